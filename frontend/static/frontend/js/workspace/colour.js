// The colour chooser: the colour of the next hint (native input, hex field, ab plane, swatches), the
// model's suggestions at a point, the in-gamut colours at that point's lightness, recently used colours.
// Choosing a colour never changes an existing hint: recolouring is the explicit button in hints.js.
import { el } from "../api.js";
import { abAt, abToXY, drawAbPlane, gamutSwatches, hexToRgb, inkOn, labToRgb, planeRange, rgbToHex, rgbToLab } from "../color.js";
import { gettext, t } from "../i18n.js";
import { lightnessAt } from "./canvas.js";
import { state } from "./state.js";
import { $, toast } from "./ui.js";

const COLOR_KEY = "findcolor.color";
const RECENT_KEY = "findcolor.recent";
const HEX = /^#[0-9a-f]{6}$/i;

export function setColor(hex) {
  if (!HEX.test(hex)) return;
  state.color = hex.toLowerCase();
  state.viewer.color = state.color;
  localStorage.setItem(COLOR_KEY, state.color);
  $("color-input").value = state.color;
  $("color-hex").value = state.color;
  $("current-swatch").style.background = state.color;
  if ($("colour-sheet-swatch")) $("colour-sheet-swatch").style.background = state.color;
  drawPlane(state.planeL);
  document.dispatchEvent(new CustomEvent("findcolor:color", { detail: { color: state.color } }));
}

export function pushRecent(hex) {
  state.recent = [hex, ...state.recent.filter((c) => c !== hex)].slice(0, 12);
  localStorage.setItem(RECENT_KEY, JSON.stringify(state.recent));
  renderRecent();
}

function swatchButton(hex, label, extra = "") {
  return el("li", {}, el("button", {
    type: "button", class: "swatch-btn", style: `background:${hex};color:${inkOn(hex)}`,
    "aria-label": `${label} ${hex}${extra ? ` ${extra}` : ""}`, title: `${hex}${extra ? ` ${extra}` : ""}`,
    "data-color": hex, onclick: () => setColor(hex),
  }, extra));
}

function renderRecent() {
  const ul = $("recent");
  ul.replaceChildren(...state.recent.map((c) => swatchButton(c, gettext("Recently used colour"))));
  if (!state.recent.length) ul.append(el("li", { class: "meta" }, gettext("none yet")));
}

// ---- the ab plane -------------------------------------------------------------------------------------
let planeCursor = null; // [a, b] moved with the arrow keys

function drawPlane(L) {
  state.planeL = Math.min(100, Math.max(0, L));
  const c = $("ab-plane");
  c.abRange = planeRange(state.planeL); // zoomed to the gamut: at L 95 it is a small disc, blues included
  $("ab-l").textContent = `L ${Math.round(state.planeL)}`;
  c.dataset.lightness = String(Math.round(state.planeL));
  drawAbPlane(c, state.planeL);
  const ctx = c.getContext("2d");
  const ring = (a, b, colour) => {
    const [px, py] = abToXY(c, a, b);
    ctx.beginPath();
    ctx.arc(px, py, 5, 0, Math.PI * 2);
    ctx.lineWidth = 2;
    ctx.strokeStyle = colour;
    ctx.stroke();
  };
  const [, a, b] = rgbToLab(hexToRgb(state.color));
  ring(a, b, "#fff");
  if (planeCursor) ring(planeCursor[0], planeCursor[1], "#ffd400");
  describePlane(c, planeCursor || [a, b]);
}

// The plane is a slider for assistive technology: its value is the point's a (red–green), its text both axes.
function describePlane(c, [a, b]) {
  const range = Math.round(c.abRange);
  const { inGamut } = labToRgb(state.planeL, a, b);
  c.setAttribute("aria-valuemin", String(-range));
  c.setAttribute("aria-valuemax", String(range));
  c.setAttribute("aria-valuenow", String(Math.max(-range, Math.min(range, Math.round(a)))));
  c.setAttribute("aria-valuetext", t("a %(a)s, b %(b)s%(out)s", {
    a: Math.round(a), b: Math.round(b), out: inGamut ? "" : gettext(" (out of gamut)"),
  }));
}

function pickOnPlane(a, b) {
  const { rgb, inGamut } = labToRgb(state.planeL, a, b);
  if (!inGamut) {
    toast(gettext("That colour cannot exist at this lightness; pick inside the coloured area."), "info", 2500);
    return;
  }
  setColor(rgbToHex(rgb));
}

function onPlaneClick(e) {
  const c = e.currentTarget;
  const r = c.getBoundingClientRect();
  const [a, b] = abAt(c, ((e.clientX - r.left) * c.width) / r.width, ((e.clientY - r.top) * c.height) / r.height);
  pickOnPlane(a, b);
}

// Keyboard: the plane is in the Tab order; arrows move a ring (Shift: bigger steps), Enter/Space picks.
function onPlaneKey(e) {
  const arrows = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, 1], ArrowDown: [0, -1] };
  const c = $("ab-plane");
  if (arrows[e.key]) {
    e.preventDefault();
    if (!planeCursor) planeCursor = rgbToLab(hexToRgb(state.color)).slice(1);
    const step = (c.abRange / 20) * (e.shiftKey ? 4 : 1);
    planeCursor = [planeCursor[0] + arrows[e.key][0] * step, planeCursor[1] + arrows[e.key][1] * step]
      .map((v) => Math.max(-c.abRange, Math.min(c.abRange, v)));
    drawPlane(state.planeL);
  } else if ((e.key === "Enter" || e.key === " ") && planeCursor) {
    e.preventDefault();
    pickOnPlane(planeCursor[0], planeCursor[1]);
  }
}

function renderGamut(L) {
  const list = gamutSwatches(L);
  $("gamut").replaceChildren(...list.map((hex) => swatchButton(hex, gettext("Colour in gamut at this lightness"))));
  $("gamut").dataset.lightness = String(Math.round(L));
}

// ---- suggestions --------------------------------------------------------------------------------------
// One request at a time (the server answers "busy" otherwise); a newer point replaces a waiting one.
let inFlight = null;
let waiting = null;

// A new point: the previous point's suggestions, lightness and gamut go at once.
export function clearSuggestions(x, y) {
  const L = lightnessAt(x, y);
  drawPlane(L);
  renderGamut(L);
  $("suggestions").replaceChildren(el("li", { class: "meta" }, gettext("asking the model…")));
  $("suggestions").dataset.point = `${x.toFixed(4)},${y.toFixed(4)}`;
}

export function askSuggest(x, y) {
  clearSuggestions(x, y);
  if (!state.config.canEdit) return;
  waiting = { x, y };
  if (!inFlight) sendSuggest();
}

// The answer for the latest point, for the panels that wait on it (place.js): {x, y, colors, error?}.
function suggested(detail) {
  document.dispatchEvent(new CustomEvent("findcolor:suggestions", { detail }));
}

async function sendSuggest() {
  const point = waiting;
  waiting = null;
  inFlight = point;
  const ul = $("suggestions");
  try {
    const frame = await state.room.suggest(point.x, point.y);
    if (!waiting) {
      ul.replaceChildren(...frame.colors.map((s) => swatchButton(s.color, gettext("Suggested colour"), `${Math.round(s.probability * 100)}%`)));
      if (!frame.colors.length) ul.append(el("li", { class: "meta" }, gettext("no suggestion")));
      drawPlane(frame.lightness);
      renderGamut(frame.lightness);
      suggested({ ...point, colors: frame.colors });
    }
  } catch (err) {
    if (!waiting) {
      ul.replaceChildren(el("li", { class: "meta error" }, t("no suggestions (%(error)s)", { error: err.message })));
      suggested({ ...point, colors: [], error: err.message });
    }
  } finally {
    inFlight = null;
    if (waiting) sendSuggest();
  }
}

// On a phone the chooser is a sheet over the canvas, opened from the toolbar (app.css, max-width 760px); on a
// wider screen the toggle is not shown and the chooser stays in the side panel.
export function toggleSheet(open = !$("color-chooser").classList.contains("sheet-open")) {
  $("color-chooser").classList.toggle("sheet-open", open);
  $("colour-sheet").setAttribute("aria-expanded", String(open));
  if (open) $("colour-sheet-close").focus({ preventScroll: true });
}

export function initColour() {
  state.color = HEX.test(localStorage.getItem(COLOR_KEY) || "") ? localStorage.getItem(COLOR_KEY) : "#b22222";
  try {
    const saved = JSON.parse(localStorage.getItem(RECENT_KEY) || "[]");
    state.recent = Array.isArray(saved) ? saved.filter((c) => HEX.test(c)) : [];
  } catch (err) {
    localStorage.removeItem(RECENT_KEY); // unreadable: start afresh
    state.recent = [];
  }
  $("ab-plane").addEventListener("click", onPlaneClick);
  $("ab-plane").addEventListener("keydown", onPlaneKey);
  $("color-input").addEventListener("input", (e) => setColor(e.target.value));
  $("color-hex").addEventListener("change", (e) => {
    const v = e.target.value.trim();
    const hex = v.startsWith("#") ? v : `#${v}`;
    if (HEX.test(hex)) setColor(hex);
    else toast(gettext("Write a colour as #rrggbb."), "error", 2500);
  });
  if ($("colour-sheet")) {
    $("colour-sheet").addEventListener("click", () => toggleSheet());
    $("colour-sheet-close").addEventListener("click", () => {
      toggleSheet(false);
      $("colour-sheet").focus({ preventScroll: true });
    });
  }
  renderRecent();
  drawPlane(50);
  renderGamut(50);
}
