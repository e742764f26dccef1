// Suggest, then place: with the point tool a click (or Enter on the canvas) opens a small chooser at that point
// with the model's suggestions there and the current colour; picking one places the hint in it. Quick
// placement (the toolbar toggle or Q, remembered in this browser; Shift+click once) places at once in the
// current colour, as before.
import { el } from "../api.js";
import { inkOn } from "../color.js";
import { gettext, t } from "../i18n.js";
import { askSuggest, setColor } from "./colour.js";
import { state } from "./state.js";
import { $ } from "./ui.js";

const QUICK_KEY = "findcolor.quickPlace";
let point = null; // {x, y} waiting for its colour

export function setQuickPlace(on) {
  state.viewer.quickPlace = on;
  localStorage.setItem(QUICK_KEY, on ? "1" : "0");
  const button = $("quick-place");
  if (button) button.setAttribute("aria-pressed", String(on));
  if (on) closePlace();
}

export function toggleQuickPlace() {
  setQuickPlace(!state.viewer.quickPlace);
}

export function placeOpen() {
  return point !== null;
}

export function closePlace(refocus = false) {
  point = null;
  state.viewer.pending = null;
  state.viewer.invalidate();
  $("place-pop").hidden = true;
  if (refocus) $("canvas").focus({ preventScroll: true });
}

function place(color) {
  const { x, y } = point;
  closePlace(true);
  setColor(color); // the colour chosen here is also the colour of the next quick hint
  state.viewer.emit("place", { x, y });
}

function choice(color, label, extra = "") {
  return el("li", {}, el("button", {
    type: "button", class: "swatch-btn place-choice", "data-color": color,
    style: `background:${color};color:${inkOn(color)}`,
    "aria-label": t("Place the hint in %(label)s %(color)s", { label, color }) + (extra ? ` ${extra}` : ""),
    onclick: () => place(color),
  }, extra));
}

function renderCurrent() {
  const color = state.color;
  const button = $("place-current");
  button.dataset.color = color;
  $("place-current-swatch").style.background = color;
  $("place-current-text").textContent = t("Use my colour %(color)s", { color });
}

// Beside the point, inside the canvas (a sheet at the bottom on a phone: CSS).
function position(clientX, clientY) {
  const pop = $("place-pop");
  const wrap = pop.parentElement.getBoundingClientRect();
  const w = pop.offsetWidth;
  const h = pop.offsetHeight;
  let left = clientX - wrap.left + 14;
  if (left + w > wrap.width - 4) left = clientX - wrap.left - w - 14;
  const top = Math.min(Math.max(4, clientY - wrap.top - 20), Math.max(4, wrap.height - h - 4));
  pop.style.left = `${Math.max(4, left)}px`;
  pop.style.top = `${top}px`;
}

function openPlace(e) {
  const { x, y, clientX, clientY } = e.detail;
  point = { x, y };
  delete $("place-pop").dataset.ready;
  $("place-suggestions").replaceChildren(el("li", { class: "meta" }, gettext("asking the model…")));
  $("place-pop").dataset.point = `${x.toFixed(4)},${y.toFixed(4)}`;
  renderCurrent();
  $("place-pop").hidden = false;
  position(clientX, clientY);
  $("place-current").focus({ preventScroll: true });
  askSuggest(x, y);
}

function onSuggestions(e) {
  const { x, y, colors, error } = e.detail;
  if (!point || Math.abs(point.x - x) > 1e-9 || Math.abs(point.y - y) > 1e-9) return;
  const ul = $("place-suggestions");
  if (error) ul.replaceChildren(el("li", { class: "meta error" }, t("no suggestions (%(error)s)", { error })));
  else if (!colors.length) ul.replaceChildren(el("li", { class: "meta" }, gettext("no suggestion")));
  else {
    ul.replaceChildren(...colors.map((s) => choice(s.color, gettext("suggested colour"), `${Math.round(s.probability * 100)}%`)));
  }
  $("place-pop").dataset.ready = "true";
}

export function initPlace() {
  const { viewer } = state;
  if (!state.config.canEdit) return;
  viewer.addEventListener("place-ask", openPlace);
  document.addEventListener("findcolor:suggestions", onSuggestions);
  document.addEventListener("findcolor:color", () => {
    if (point) renderCurrent();
  });
  $("place-current").addEventListener("click", () => place(state.color));
  $("place-cancel").addEventListener("click", () => closePlace(true));
  $("place-pop").addEventListener("keydown", (e) => {
    if (e.key === "Escape") {
      e.preventDefault();
      e.stopPropagation();
      closePlace(true);
    }
  });
  // Another tool, or a click that is not a placement, leaves the waiting point.
  viewer.addEventListener("select", () => closePlace());
  viewer.addEventListener("suggest-at", () => closePlace());
  viewer.addEventListener("tool", (e) => {
    if (e.detail.tool !== "point") closePlace();
  });
  $("quick-place").addEventListener("click", toggleQuickPlace);
  setQuickPlace(localStorage.getItem(QUICK_KEY) === "1");
}
