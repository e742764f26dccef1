// The photo's record in the workspace: its metadata, editable here by curators (the same dialog and
// PATCH as the collection page).
import { initMetadataDialog, openMetadataEditor } from "../metadata.js";
import { state } from "./state.js";
import { $ } from "./ui.js";

function onSaved(photo) {
  state.photo = { ...state.photo, ...photo };
  $("ws-title").textContent = photo.title || photo.original_name;
  document.dispatchEvent(new CustomEvent("findcolor:photo", { detail: photo }));
}

export function initDetails() {
  if (!initMetadataDialog()) return;
  $("edit-metadata").addEventListener("click", () => openMetadataEditor(state.photo.id, onSaved));
}
