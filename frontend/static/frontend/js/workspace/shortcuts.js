// Keyboard shortcuts of the workspace, and the "?" dialog that lists them.
import { setLayer, setTool, toggleCompare } from "./canvas.js";
import { deleteHint, redo, renderHints, undo } from "./hints.js";
import { closePlace, placeOpen, toggleQuickPlace } from "./place.js";
import { state } from "./state.js";
import { $ } from "./ui.js";

const TOOLS = { v: "select", p: "point", b: "brush", h: "pan", s: "suggest" };

function onKey(e) {
  const { config, viewer } = state;
  const tag = (e.target.tagName || "").toLowerCase();
  if (["input", "textarea", "select"].includes(tag) || e.target.isContentEditable) return;
  if (document.querySelector("dialog[open]")) return;
  if (e.target.id === "ab-plane" && e.key.startsWith("Arrow")) return;
  const k = e.key;
  const ctrl = e.ctrlKey || e.metaKey;
  if (ctrl && (k.toLowerCase() === "y" || (k.toLowerCase() === "z" && e.shiftKey))) {
    e.preventDefault();
    if (config.canEdit) redo();
    return;
  }
  if (ctrl && k.toLowerCase() === "z") {
    e.preventDefault();
    if (config.canEdit) undo();
    return;
  }
  if (ctrl || e.altKey) return;
  if (k === "?") {
    $("shortcuts-dialog").showModal();
  } else if (TOOLS[k.toLowerCase()]) setTool(TOOLS[k.toLowerCase()]);
  else if ((k === "Delete" || k === "Backspace") && config.canEdit) {
    e.preventDefault();
    deleteHint(viewer.selected);
  } else if (k === "u" && config.canEdit) undo();
  else if (k === "r" && config.canEdit) redo();
  else if (k === "+" || k === "=") viewer.zoomAt(1.25);
  else if (k === "-") viewer.zoomAt(0.8);
  else if (k === "0") viewer.fit();
  else if (k === "1") viewer.actualPixels();
  else if (k === "q" && config.canEdit) toggleQuickPlace();
  else if (k === "Escape" && placeOpen()) closePlace(true);
  else if (k === "Escape") {
    viewer.selected = null;
    renderHints();
  } else if (k === "o") setLayer("original");
  else if (k === "l") setLayer("preview");
  else if (k === "c") toggleCompare();
}

export function initShortcuts() {
  window.addEventListener("keydown", onKey);
  $("shortcuts").addEventListener("click", () => $("shortcuts-dialog").showModal());
  $("shortcuts-close").addEventListener("click", () => $("shortcuts-dialog").close());
}
