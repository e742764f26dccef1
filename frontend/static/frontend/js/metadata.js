// The metadata dialog (_metadata_dialog.html), shared by the collection page and the workspace: loads
// GET /api/photos/{id}/ and saves with PATCH; the server's validation message shows in the dialog.
import { api } from "./api.js";
import { t } from "./i18n.js";

const TEXT_FIELDS = ["title", "description", "creator", "date_display", "date_from", "date_to", "place", "source", "rights", "identifier"];
const NULLABLE = new Set(["date_from", "date_to", "era"]);

let editing = null;
let onSaved = null;

function fill(form, photo) {
  for (const field of TEXT_FIELDS) form.elements[field].value = photo[field] ?? "";
  form.elements.era.value = photo.era ?? "";
  form.querySelectorAll("input[name=situations]").forEach((c) => {
    c.checked = photo.situations.includes(c.value);
  });
}

export async function openMetadataEditor(photoId, saved) {
  const dialog = document.getElementById("metadata-dialog");
  const form = document.getElementById("metadata-form");
  const err = document.getElementById("metadata-error");
  editing = photoId;
  onSaved = saved;
  err.hidden = true;
  form.reset();
  try {
    fill(form, await api("GET", `/api/photos/${photoId}/`));
  } catch (e) {
    err.textContent = t("Could not load the metadata: %(error)s", { error: e.message });
    err.hidden = false;
  }
  dialog.showModal();
  form.elements.title.focus();
}

async function save(e) {
  e.preventDefault();
  const form = e.target;
  const data = {};
  for (const field of [...TEXT_FIELDS, "era"]) {
    const v = form.elements[field].value;
    data[field] = NULLABLE.has(field) ? v || null : v;
  }
  data.situations = Array.from(form.querySelectorAll("input[name=situations]:checked")).map((c) => c.value);
  const err = document.getElementById("metadata-error");
  try {
    const photo = await api("PATCH", `/api/photos/${editing}/`, data);
    document.getElementById("metadata-dialog").close();
    if (onSaved) onSaved(photo);
  } catch (ex) {
    err.textContent = ex.message;
    err.hidden = false;
  }
}

export function initMetadataDialog() {
  const dialog = document.getElementById("metadata-dialog");
  if (!dialog) return false;
  document.getElementById("metadata-cancel").addEventListener("click", () => dialog.close());
  document.getElementById("metadata-form").addEventListener("submit", save);
  return true;
}
