// Eras and situations: rename (PATCH /api/{eras,situations}/{slug}/) and add (POST, with an optional English
// name); staff only (archive/services/vocabulary.py).
import { api } from "./api.js";
import { gettext } from "./i18n.js";

const error = document.getElementById("vocab-error");
const path = (kind) => (kind === "era" ? "eras" : "situations");

function show(err) {
  error.textContent = err ? err.message : "";
  error.hidden = !err;
}

document.querySelectorAll("form.vocab-rename").forEach((f) => f.addEventListener("submit", async (e) => {
  e.preventDefault();
  const button = f.querySelector("button");
  try {
    await api("PATCH", `/api/${path(f.dataset.kind)}/${f.dataset.slug}/`, { name: f.elements.name.value });
    show(null);
    button.textContent = gettext("Saved");
  } catch (err) {
    show(err);
  }
}));

document.querySelectorAll("form.vocab-add").forEach((f) => f.addEventListener("submit", async (e) => {
  e.preventDefault();
  try {
    const entry = { name: f.elements.name.value };
    if (f.elements.name_en.value.trim()) entry.name_en = f.elements.name_en.value.trim();
    await api("POST", `/api/${path(f.dataset.kind)}/`, entry);
    location.reload(); // the new entry in its place in the list, with its rename form
  } catch (err) {
    show(err);
  }
}));
