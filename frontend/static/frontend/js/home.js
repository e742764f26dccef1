// The collections page: "New collection" creates one (POST /api/collections/) and opens it.
import { $, api } from "./api.js";
import { gettext } from "./i18n.js";

$("new-collection").addEventListener("click", () => {
  $("collection-form").reset();
  $("collection-error").hidden = true;
  $("collection-dialog").showModal();
});
$("collection-cancel").addEventListener("click", () => $("collection-dialog").close());
$("collection-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const f = e.target;
  try {
    const c = await api("POST", "/api/collections/", {
      title: f.elements.title.value, description: f.elements.description.value, visibility: f.elements.visibility.value,
    });
    location.assign(`/collections/${c.id}/`);
  } catch (err) {
    $("collection-error").textContent = err.message;
    $("collection-error").hidden = false;
  }
});

// Whether the public face names this person (PATCH /api/me/ {named_publicly}); off until they choose it.
$("named-publicly").addEventListener("change", async (e) => {
  const box = e.target;
  try {
    const me = await api("PATCH", "/api/me/", { named_publicly: box.checked });
    box.checked = me.named_publicly;
    $("named-status").textContent = gettext("Saved");
  } catch (err) {
    box.checked = !box.checked;
    $("named-status").textContent = err.message;
  }
});
