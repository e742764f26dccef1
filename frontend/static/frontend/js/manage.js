// Owners manage their collection: settings (title, description, visibility) and members (add by username or
// e-mail, change roles, remove), through the collection and member endpoints (archive.services.collections,
// which check the owner's role and write the audit entries).
import { $, api, el } from "./api.js";
import { gettext, roleName, t } from "./i18n.js";

function memberItem(config, m) {
  const role = el("select", { "aria-label": t("Role of %(user)s", { user: m.username }), "data-user": m.username },
    ...config.roles.map((r) => el("option", { value: r, selected: r === m.role }, roleName(r))));
  role.addEventListener("change", () => changeRole(config, m.username, role.value));
  return el("li", { class: "member", "data-user": m.username },
    el("span", { class: "member-name" }, m.username), role,
    el("button", { type: "button", class: "link", "aria-label": t("Remove %(user)s", { user: m.username }),
      onclick: () => removeMember(config, m.username) }, gettext("Remove")));
}

function showError(id, err) {
  $(id).textContent = err ? err.message : "";
  $(id).hidden = !err;
}

async function loadMembers(config) {
  try {
    const members = await api("GET", `/api/collections/${config.collectionId}/members/`);
    $("member-list").replaceChildren(...members.map((m) => memberItem(config, m)));
    if (!members.length) $("member-list").append(el("li", { class: "meta" }, gettext("No members yet: only you.")));
    showError("member-error", null);
  } catch (err) {
    showError("member-error", err);
  }
}

async function changeRole(config, username, role) {
  try {
    await api("PATCH", `/api/collections/${config.collectionId}/members/${encodeURIComponent(username)}/`, { role });
    showError("member-error", null);
  } catch (err) {
    showError("member-error", err);
  }
  loadMembers(config);
}

async function removeMember(config, username) {
  try {
    await api("DELETE", `/api/collections/${config.collectionId}/members/${encodeURIComponent(username)}/`);
    loadMembers(config);
  } catch (err) {
    showError("member-error", err);
  }
}

async function addMember(config, e) {
  e.preventDefault();
  const f = e.target;
  try {
    await api("POST", `/api/collections/${config.collectionId}/members/`, { username: f.elements.username.value.trim(), role: f.elements.role.value });
    f.elements.username.value = "";
    loadMembers(config);
  } catch (err) {
    showError("member-error", err);
  }
}

async function saveSettings(config, e) {
  e.preventDefault();
  const f = e.target;
  try {
    const c = await api("PATCH", `/api/collections/${config.collectionId}/`, {
      title: f.elements.title.value, description: f.elements.description.value, visibility: f.elements.visibility.value,
    });
    showError("settings-error", null);
    $("settings-status").textContent = gettext("Saved.");
    document.querySelector(".collection-head h1").textContent = c.title;
  } catch (err) {
    showError("settings-error", err);
  }
}

export function initManage(config) {
  if (!config.isOwner) return;
  $("manage-open").addEventListener("click", () => {
    $("manage-dialog").showModal();
    loadMembers(config);
  });
  $("manage-close").addEventListener("click", () => $("manage-dialog").close());
  $("settings-form").addEventListener("submit", (e) => saveSettings(config, e));
  $("member-form").addEventListener("submit", (e) => addMember(config, e));
}
