// The photo workspace: canvas + room + colour chooser + hints list + guidance + runs + versions.
import { api, el, errorMessage, items, timeAgo, uploadWithProgress } from "./api.js";
import { abAt, abToXY, drawAbPlane, hexToRgb, inkOn, labToRgb, rgbToHex, rgbToLab } from "./color.js";
import { Room } from "./room.js";
import { Viewer } from "./viewer.js";

const config = JSON.parse(document.getElementById("page-config").textContent);
const photo = config.photo;
const $ = (id) => document.getElementById(id);
const root = $("workspace");

// Exposed for tests and debugging: window.findcolor.{room, viewer, metrics}.
const metrics = { readyMs: null, imageMs: null, snapshotMs: null };
window.findcolor = { metrics, config };

// ---- toast / status ----------------------------------------------------------------------------------
let toastTimer = null;
function toast(message, kind = "info", ms = 6000) {
  const t = $("toast");
  t.textContent = message;
  t.className = `toast ${kind}`;
  t.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => {
    t.hidden = true;
  }, ms);
}

// ---- viewer ------------------------------------------------------------------------------------------
const viewer = new Viewer($("canvas"), photo.width, photo.height);
viewer.origWidth = photo.width;
viewer.readOnly = !config.canEdit;
viewer.canChangeVerified = config.canReview; // curators may not change a verified hint (reviewers may)
viewer.tool = config.canEdit ? "point" : "pan";
window.findcolor.viewer = viewer;
viewer.addEventListener("zoom", (e) => {
  $("zoom-level").textContent = `${e.detail.scale}%`;
});

function loadImage(url) {
  return new Promise((resolve, reject) => {
    const img = new Image();
    img.decoding = "async";
    img.onload = () => (img.decode ? img.decode().catch(() => {}) : Promise.resolve()).then(() => resolve(img));
    img.onerror = () => reject(new Error(`could not load ${url}`));
    img.src = url;
  });
}

// Lightness lookup: the web image drawn small into an offscreen canvas.
let lumaCanvas = null;
function lightnessAt(u, v) {
  if (!lumaCanvas) return 50;
  const ctx = lumaCanvas.getContext("2d", { willReadFrequently: true });
  const x = Math.min(lumaCanvas.width - 1, Math.max(0, Math.floor(u * lumaCanvas.width)));
  const y = Math.min(lumaCanvas.height - 1, Math.max(0, Math.floor(v * lumaCanvas.height)));
  const d = ctx.getImageData(x, y, 1, 1).data;
  return rgbToLab([d[0], d[1], d[2]])[0];
}

async function loadOriginal(attempt = 0) {
  const status = $("canvas-status");
  let url = photo.web;
  if (!url) {
    try {
      const p = await api("GET", `/api/photos/${photo.id}/`);
      url = (p.urls && p.urls.web) || p.web || "";
      if (!url && (p.derivatives_status === "failed" || p.derivatives === "failed")) {
        status.textContent = `The web image could not be made: ${p.derivatives_error || "unknown error"}`;
        return;
      }
    } catch { /* keep polling */ }
  }
  if (!url) {
    status.textContent = "Preparing the web image…";
    setTimeout(() => loadOriginal(attempt + 1), Math.min(500 * (attempt + 1), 3000));
    return;
  }
  const img = await loadImage(url);
  metrics.imageMs = performance.now();
  viewer.layers.original = img;
  lumaCanvas = document.createElement("canvas");
  const k = 512 / Math.max(img.naturalWidth, img.naturalHeight);
  lumaCanvas.width = Math.max(1, Math.round(img.naturalWidth * k));
  lumaCanvas.height = Math.max(1, Math.round(img.naturalHeight * k));
  lumaCanvas.getContext("2d", { willReadFrequently: true }).drawImage(img, 0, 0, lumaCanvas.width, lumaCanvas.height);
  status.textContent = "";
  status.hidden = true;
  viewer.invalidate();
  markReady();
}

function markReady() {
  if (!viewer.layers.original || metrics.snapshotMs === null || metrics.readyMs !== null) return;
  requestAnimationFrame(() => {
    metrics.readyMs = performance.now(); // since navigation start
    root.dataset.state = "ready";
  });
}

// ---- tools -------------------------------------------------------------------------------------------
function setTool(tool) {
  if (!config.canEdit && tool !== "pan" && tool !== "select") return;
  viewer.tool = tool;
  document.querySelectorAll(".tool[data-tool]").forEach((b) =>
    b.setAttribute("aria-pressed", String(b.dataset.tool === tool)));
}
document.querySelectorAll(".tool[data-tool]").forEach((b) => b.addEventListener("click", () => setTool(b.dataset.tool)));
setTool(viewer.tool);

$("zoom-in").addEventListener("click", () => viewer.zoomAt(1.25));
$("zoom-out").addEventListener("click", () => viewer.zoomAt(0.8));
$("zoom-fit").addEventListener("click", () => viewer.fit());
if ($("hint-size")) {
  $("hint-size").addEventListener("input", (e) => {
    viewer.pointRadius = Number(e.target.value);
    viewer.brushWidth = Number(e.target.value);
  });
}

// ---- the room ----------------------------------------------------------------------------------------
const room = new Room(config.wsPath);
window.findcolor.room = room;

function hintsSorted() {
  return Array.from(room.hints.values()).sort((a, b) => a.id - b.id);
}

function reportError(e, what) {
  if (e.current) {
    toast(`${what}: someone else changed this hint first — showing its current state.`, "warn");
  } else {
    toast(`${what}: ${e.message}`, "error");
  }
}

room.addEventListener("status", (e) => {
  $("conn").textContent = e.detail.connected ? "live" : "reconnecting…";
  $("conn").className = `conn ${e.detail.connected ? "ok" : "down"}`;
});
room.addEventListener("refused", (e) => {
  $("conn").textContent = e.detail.code === 4403 ? "not allowed in this room" : "room unavailable";
});
room.addEventListener("hints", (e) => {
  if (e.detail.frame && e.detail.frame.type === "snapshot" && metrics.snapshotMs === null) {
    metrics.snapshotMs = performance.now();
    markReady();
  }
  renderHints();
});
room.addEventListener("people", renderPresence);
room.addEventListener("cursor", (e) => {
  const f = e.detail;
  const name = who(f.user) || "?";
  if (room.you && f.connection === room.you.connection) return;
  const key = f.connection || name;
  viewer.cursors.set(key, { x: f.x, y: f.y, name, color: colorFor(name), t: performance.now() });
  viewer.invalidate();
});
room.addEventListener("preview", (e) => onPreview(e.detail));
room.addEventListener("event", (e) => onRoomEvent(e.detail));
room.addEventListener("server-error", (e) => {
  const err = e.detail.error || e.detail;
  toast(err.message || "the room reported an error", "error");
});

function updateRevision() {
  const pr = previewError ? "unavailable" : previewRevision === null ? "—" : `r${previewRevision}`;
  $("revision").textContent = `hints r${room.revision} · preview ${pr}`;
}

function renderHints() {
  const hints = hintsSorted();
  viewer.hints = hints;
  if (viewer.selected !== null && !room.hints.has(viewer.selected)) viewer.selected = null;
  viewer.invalidate();
  $("hint-count").textContent = String(hints.length);
  updateRevision();
  const list = $("hint-list");
  list.replaceChildren(...hints.map(hintItem));
  if (!hints.length) {
    list.append(el("li", { class: "meta" }, config.canEdit ? "No hints yet: choose a colour and click the photo." : "No hints yet."));
  }
}

function who(v) {
  if (!v) return "";
  return typeof v === "object" ? v.username || v.name || "" : String(v);
}

function hintItem(h) {
  const selected = h.id === viewer.selected;
  const verified = h.status === "verified";
  const by = who(h.created_by || h.author || h.by);
  const when = h.updated_at || h.created_at;
  const evidence = [h.evidence_note, h.evidence_source].filter(Boolean).join(" — ");
  const li = el("li", {
    class: `hint-item${selected ? " selected" : ""}`, "data-hint": h.id, "data-revision": h.revision,
    "data-color": h.color, "data-x": h.x.toFixed(4), "data-y": h.y.toFixed(4), "aria-current": selected ? "true" : null,
  },
  el("button", {
    type: "button", class: "hint-select", "aria-label": `Select hint ${h.id} (${h.color}, ${h.status})`,
    onclick: () => selectHint(h.id, true),
  }, el("span", { class: "swatch", style: `background:${h.color}`, "aria-hidden": "true" }),
  el("span", { class: "hint-title" }, `#${h.id} ${h.shape === "stroke" ? "stroke" : "point"} ${h.color}`)),
  el("span", { class: `badge ${verified ? "verified" : "suggested"}` }, verified ? "verified" : "suggested"),
  el("div", { class: "hint-meta" },
    by ? `by ${by}` : "", when ? ` · ${timeAgo(when)}` : "", ` · rev ${h.revision}`),
  evidence || h.evidence_url ? el("div", { class: "hint-evidence" }, evidence,
    h.evidence_url ? el("a", { href: h.evidence_url, target: "_blank", rel: "noopener" }, " source") : "") : "",
  verified ? el("div", { class: "hint-meta" }, `verified by ${who(h.verified_by) || "?"}${h.verified_at ? ` · ${timeAgo(h.verified_at)}` : ""}`) : "",
  el("div", { class: "hint-actions" },
    config.canEdit && (!verified || config.canReview) ? el("button", {
      type: "button", class: "link", "aria-label": `Delete hint ${h.id}`, onclick: () => deleteHint(h.id),
    }, "Delete") : "",
    config.canReview ? el("button", {
      type: "button", class: "link", "aria-label": `Verify hint ${h.id}`, onclick: () => openVerify(h.id),
    }, verified ? "Edit evidence" : "Verify") : ""));
  return li;
}

function selectHint(id, fromList = false) {
  viewer.selected = id;
  const h = room.hints.get(id);
  if (h && fromList) {
    setColor(h.color, false);
    askSuggest(h.x, h.y);
  }
  renderHints();
}

viewer.addEventListener("select", (e) => {
  const { id } = e.detail;
  viewer.selected = id;
  if (id !== null) {
    const h = room.hints.get(id);
    if (h) setColor(h.color, false);
  }
  renderHints();
});
// A click on a hint (not a drag) asks for suggestions there; a drag must not wait behind the model.
viewer.addEventListener("pick", (e) => askSuggest(e.detail.x, e.detail.y));

viewer.addEventListener("place", async (e) => {
  const { x, y } = e.detail;
  drawPlane(lightnessAt(x, y));
  const started = performance.now();
  const hint = { x, y, color: currentColor, radius: viewer.pointRadius, shape: "point" };
  try {
    const ack = await room.add(hint);
    metrics.lastAckMs = performance.now() - started;
    const id = ack.hint ? ack.hint.id : ack.id ?? ack.hint_id;
    if (id !== undefined) {
      viewer.selected = id;
      renderHints();
    }
    pushRecent(currentColor);
  } catch (err) {
    reportError(err, "Could not place the hint");
  }
  askSuggest(x, y); // after the add: the room answers frames in order and a suggestion runs the model
});

viewer.addEventListener("stroke", async (e) => {
  const pts = e.detail.points;
  const hint = {
    shape: "stroke", points: pts, x: pts[0][0], y: pts[0][1], width: viewer.brushWidth, color: currentColor,
  };
  try {
    await room.add(hint);
    pushRecent(currentColor);
  } catch (err) {
    reportError(err, "Could not add the stroke");
  }
});

viewer.addEventListener("move-hint", async (e) => {
  const { id, changes } = e.detail;
  try {
    await room.update(id, changes);
  } catch (err) {
    reportError(err, "Could not move the hint");
  }
  renderHints();
});

viewer.addEventListener("hover", (e) => {
  if (e.detail && config.user) room.cursor(e.detail.x, e.detail.y);
});

async function deleteHint(id) {
  if (id === null || id === undefined) return;
  try {
    await room.remove(id);
    toast(`Hint #${id} deleted (Ctrl+Z to undo).`, "info", 3000);
  } catch (err) {
    reportError(err, "Could not delete the hint");
  }
}

async function undo() {
  try {
    await room.undo();
  } catch (err) {
    reportError(err, "Nothing to undo");
  }
}

if ($("delete-hint")) $("delete-hint").addEventListener("click", () => deleteHint(viewer.selected));
if ($("undo")) $("undo").addEventListener("click", undo);

// ---- keyboard shortcuts ------------------------------------------------------------------------------
window.addEventListener("keydown", (e) => {
  const tag = (e.target.tagName || "").toLowerCase();
  if (["input", "textarea", "select"].includes(tag) || e.target.isContentEditable) return;
  if (document.querySelector("dialog[open]")) return;
  const k = e.key;
  if ((e.ctrlKey || e.metaKey) && k.toLowerCase() === "z") {
    e.preventDefault();
    if (config.canEdit) undo();
    return;
  }
  if (e.ctrlKey || e.metaKey || e.altKey) return;
  const map = { v: "select", p: "point", b: "brush", h: "pan" };
  if (map[k.toLowerCase()]) setTool(map[k.toLowerCase()]);
  else if ((k === "Delete" || k === "Backspace") && config.canEdit) {
    e.preventDefault();
    deleteHint(viewer.selected);
  } else if (k === "u" && config.canEdit) undo();
  else if (k === "+" || k === "=") viewer.zoomAt(1.25);
  else if (k === "-") viewer.zoomAt(0.8);
  else if (k === "0") viewer.fit();
  else if (k === "Escape") {
    viewer.selected = null;
    renderHints();
  } else if (k === "o") setLayer("original");
  else if (k === "l") setLayer("preview");
  else if (k === "c") toggleCompare();
});

// ---- presence ----------------------------------------------------------------------------------------
function colorFor(name) {
  let h = 0;
  for (const ch of String(name)) h = (h * 31 + ch.charCodeAt(0)) % 360;
  return `hsl(${h} 65% 42%)`;
}

function renderPresence() {
  const ul = $("presence");
  const seen = new Set();
  const people = [];
  for (const p of room.people.values()) {
    const name = who(p);
    if (!name || seen.has(name)) continue;
    seen.add(name);
    people.push({ name, role: p.role });
  }
  const initials = (name) => {
    const two = name.slice(0, 2).toUpperCase();
    const clash = people.some((q) => q.name !== name && q.name.slice(0, 2).toUpperCase() === two);
    return clash ? `${name[0]}${name[name.length - 1]}`.toUpperCase() : two;
  };
  ul.replaceChildren(...people.map((p) => el("li", {
    class: "avatar", style: `background:${colorFor(p.name)}`, title: `${p.name}${p.role ? ` (${p.role})` : ""}`,
    "aria-label": `${p.name} is here`, "data-user": p.name,
  }, initials(p.name))));
}

// ---- colour chooser ----------------------------------------------------------------------------------
let currentColor = localStorage.getItem("findcolor.color") || "#b22222";
const RECENT_KEY = "findcolor.recent";
let recent = JSON.parse(localStorage.getItem(RECENT_KEY) || "[]");
let planeL = 50;

function setColor(hex, applyToSelected = true) {
  if (!/^#[0-9a-f]{6}$/i.test(hex)) return;
  currentColor = hex.toLowerCase();
  viewer.color = currentColor;
  localStorage.setItem("findcolor.color", currentColor);
  $("color-input").value = currentColor;
  $("color-hex").value = currentColor;
  $("current-swatch").style.background = currentColor;
  drawPlaneMarker();
  if (applyToSelected && config.canEdit && viewer.selected !== null) {
    const h = room.hints.get(viewer.selected);
    if (h && h.status === "verified" && !config.canReview) {
      toast("This hint is verified: only a reviewer may change it. The colour is kept for your next hint.", "info", 4000);
    } else if (h && h.color !== currentColor) {
      room.update(h.id, { color: currentColor }).then(() => pushRecent(currentColor))
        .catch((err) => reportError(err, "Could not recolour the hint"));
    }
  }
}

function pushRecent(hex) {
  recent = [hex, ...recent.filter((c) => c !== hex)].slice(0, 12);
  localStorage.setItem(RECENT_KEY, JSON.stringify(recent));
  renderRecent();
}

function swatchButton(hex, label, extra = "") {
  return el("li", {}, el("button", {
    type: "button", class: "swatch-btn", style: `background:${hex};color:${inkOn(hex)}`,
    "aria-label": `${label} ${hex}${extra ? ` ${extra}` : ""}`, title: `${hex}${extra ? ` ${extra}` : ""}`,
    onclick: () => setColor(hex),
  }, extra));
}

function renderRecent() {
  const ul = $("recent");
  ul.replaceChildren(...recent.map((c) => swatchButton(c, "Recently used colour")));
  if (!recent.length) ul.append(el("li", { class: "meta" }, "none yet"));
}

function drawPlane(L) {
  planeL = Math.min(96, Math.max(6, L)); // the gamut is a dot at the extremes: keep the plane usable
  $("ab-l").textContent = `L ${Math.round(L)}`;
  $("ab-plane").dataset.lightness = String(Math.round(L));
  drawPlaneMarker();
}

function drawPlaneMarker() {
  const c = $("ab-plane");
  drawAbPlane(c, planeL);
  const [, a, b] = rgbToLab(hexToRgb(currentColor));
  const [px, py] = abToXY(c, a, b);
  const ctx = c.getContext("2d");
  ctx.beginPath();
  ctx.arc(px, py, 5, 0, Math.PI * 2);
  ctx.lineWidth = 2;
  ctx.strokeStyle = "#fff";
  ctx.stroke();
  ctx.beginPath();
  ctx.arc(px, py, 7, 0, Math.PI * 2);
  ctx.lineWidth = 1;
  ctx.strokeStyle = "#000";
  ctx.stroke();
}

$("ab-plane").addEventListener("click", (e) => {
  const c = e.currentTarget;
  const r = c.getBoundingClientRect();
  const px = ((e.clientX - r.left) * c.width) / r.width;
  const py = ((e.clientY - r.top) * c.height) / r.height;
  const [a, b] = abAt(c, px, py);
  const { rgb, inGamut } = labToRgb(planeL, a, b);
  if (!inGamut) {
    toast("That colour cannot exist at this lightness; pick inside the coloured area.", "info", 2500);
    return;
  }
  setColor(rgbToHex(rgb));
});
$("color-input").addEventListener("input", (e) => setColor(e.target.value));
$("color-hex").addEventListener("change", (e) => {
  const v = e.target.value.trim();
  const hex = v.startsWith("#") ? v : `#${v}`;
  if (/^#[0-9a-f]{6}$/i.test(hex)) setColor(hex);
  else toast("Write a colour as #rrggbb.", "error", 2500);
});

let suggestSeq = 0;
async function askSuggest(x, y) {
  const L = lightnessAt(x, y);
  drawPlane(L);
  const mine = ++suggestSeq;
  const ul = $("suggestions");
  ul.replaceChildren(el("li", { class: "meta" }, "asking the model…"));
  $("gamut").replaceChildren();
  try {
    const frame = await room.suggest(x, y);
    if (mine !== suggestSeq) return;
    const raw = frame.colors || frame.suggestions || frame.suggest || [];
    const list = raw.map((s) => (Array.isArray(s) ? { color: s[0], p: s[1] } : { color: s.color || s.hex, p: s.probability ?? s.p ?? s.likelihood }));
    ul.replaceChildren(...list.map((s) => swatchButton(s.color, "Suggested colour",
      typeof s.p === "number" ? `${Math.round(s.p * 100)}%` : "")));
    if (!list.length) ul.append(el("li", { class: "meta" }, "no suggestion"));
    if (typeof frame.lightness === "number") drawPlane(frame.lightness);
    const gamut = Array.isArray(frame.gamut) ? frame.gamut.slice(0, 16) : [];
    $("gamut").replaceChildren(...gamut.map((hex) => swatchButton(hex, "Colour in gamut at this lightness")));
  } catch (err) {
    if (mine !== suggestSeq) return;
    ul.replaceChildren(el("li", { class: "meta" }, `no suggestions (${err.message})`));
  }
}

// ---- verify ------------------------------------------------------------------------------------------
let verifying = null;
function openVerify(id) {
  verifying = id;
  const h = room.hints.get(id) || {};
  const f = $("verify-form");
  f.reset();
  f.elements.evidence_note.value = h.evidence_note || "";
  f.elements.evidence_source.value = h.evidence_source || "";
  f.elements.evidence_url.value = h.evidence_url || "";
  $("verify-error").hidden = true;
  $("verify-dialog").showModal();
}
$("verify-cancel").addEventListener("click", () => $("verify-dialog").close());
$("verify-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const f = e.target;
  const evidence = {
    evidence_note: f.elements.evidence_note.value.trim(),
    evidence_source: f.elements.evidence_source.value.trim(),
    evidence_url: f.elements.evidence_url.value.trim(),
  };
  const err = $("verify-error");
  if (!evidence.evidence_note && !evidence.evidence_source) {
    err.textContent = "Verifying needs evidence: write a note or a source.";
    err.hidden = false;
    return;
  }
  try {
    await room.verify(verifying, evidence);
    $("verify-dialog").close();
  } catch (ex) {
    err.textContent = ex.current ? "Someone else changed this hint; its current state is shown. Try again." : ex.message;
    err.hidden = false;
  }
});

// ---- layers, compare, overlay ------------------------------------------------------------------------
let previewRevision = null;
const versions = new Map();
const versionImages = new Map();

async function layerImage(name) {
  if (name === "original" || name === "preview") return viewer.layers[name] || null;
  if (name.startsWith("v")) {
    const id = name.slice(1);
    if (versionImages.has(id)) return versionImages.get(id);
    const v = versions.get(Number(id)) || versions.get(id);
    const url = v && versionUrl(v, "preview");
    if (!url) return null;
    const img = await loadImage(url);
    versionImages.set(id, img);
    viewer.layers[name] = img;
    return img;
  }
  return null;
}

async function setLayer(name) {
  $("layer").value = name;
  if (name === "preview" && !viewer.layers.preview) toast("No live preview yet: place a hint.", "info", 2500);
  await layerImage(name).catch((e) => toast(e.message, "error"));
  viewer.main = name;
  updateOverlay();
  viewer.invalidate();
}

async function setBefore(name) {
  $("before").value = name;
  if (!name) {
    viewer.compare = false;
    $("split").hidden = true;
  } else {
    await layerImage(name).catch((e) => toast(e.message, "error"));
    viewer.before = name;
    viewer.compare = true;
    $("split").hidden = false;
  }
  viewer.invalidate();
}

function toggleCompare() {
  setBefore(viewer.compare ? "" : viewer.main === "original" ? "preview" : "original");
}

$("layer").addEventListener("change", (e) => setLayer(e.target.value));
$("before").addEventListener("change", (e) => setBefore(e.target.value));
$("split").addEventListener("input", (e) => {
  viewer.split = Number(e.target.value) / 100;
  viewer.invalidate();
});
viewer.addEventListener("split", (e) => {
  $("split").value = String(Math.round(e.detail.split * 100));
});
$("show-hints").addEventListener("change", (e) => {
  viewer.showHints = e.target.checked;
  viewer.invalidate();
});

async function updateOverlay() {
  const box = $("uncertainty");
  const name = viewer.main;
  const v = name.startsWith("v") ? versions.get(Number(name.slice(1))) : latestVersion();
  const url = v && versionUrl(v, "uncertainty");
  box.disabled = !url;
  box.title = url ? `uncertainty of version ${v.number}` : "render a version to see its uncertainty";
  if (box.checked && url) {
    try {
      viewer.overlay = await loadImage(url);
    } catch {
      viewer.overlay = null;
    }
  } else viewer.overlay = null;
  viewer.invalidate();
}
$("uncertainty").addEventListener("change", updateOverlay);

let previewError = null;
function onPreview(frame) {
  const rev = frame.room_revision ?? frame.revision ?? null;
  if (frame.error) {
    previewError = frame.error.message || frame.error.code;
    $("revision").title = `The live preview failed: ${previewError}`;
    updateRevision();
    return;
  }
  previewError = null;
  const src = frame.image || frame.url;
  if (!src) return;
  if (rev !== null && previewRevision !== null && rev < previewRevision) return;
  loadImage(src).then((img) => {
    viewer.layers.preview = img;
    previewRevision = rev;
    metrics.previewAt = performance.now();
    updateRevision();
    viewer.invalidate();
    root.dataset.preview = String(rev);
  }).catch(() => {});
}

// ---- guidance ----------------------------------------------------------------------------------------
function renderGuidance() {
  const era = $("g-era");
  for (const e of config.eras) era.append(el("option", { value: e.slug, selected: e.slug === photo.era }, e.name));
  const fs = $("g-situations");
  for (const s of config.situations) {
    fs.append(el("label", {}, el("input", {
      type: "checkbox", name: "situations", value: s.slug, checked: photo.situations.includes(s.slug),
      disabled: !config.canEdit,
    }), ` ${s.name}`));
  }
}
renderGuidance();
$("guidance-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const f = e.target;
  const data = {
    era: f.elements.era.value || null,
    situations: Array.from(f.querySelectorAll("input[name=situations]:checked")).map((c) => c.value),
  };
  try {
    await api("PATCH", `/api/photos/${photo.id}/`, data);
    photo.era = data.era || "";
    photo.situations = data.situations;
    $("g-status").textContent = "Saved: the next preview and render use this context.";
  } catch (ex) {
    $("g-status").textContent = ex.message;
  }
});
let referenceFile = null;
let referenceId = null;

async function loadReferences() {
  const box = $("reference-pick");
  const params = new URLSearchParams();
  if (photo.era) params.set("era", photo.era);
  let refs = [];
  try {
    refs = items(await api("GET", `/api/references/?${params}`));
    if (!refs.length && photo.era) refs = items(await api("GET", "/api/references/"));
  } catch {
    return;
  }
  const legend = box.querySelector("legend");
  box.replaceChildren(legend);
  if (!refs.length) {
    box.append(el("p", { class: "meta" }, "No reference photos yet."));
    return;
  }
  const none = el("input", { type: "radio", name: "reference", value: "", checked: true, disabled: !config.canEdit });
  box.append(el("label", {}, none, " none (the era/situation profile guides the colours)"));
  for (const r of refs.slice(0, 12)) {
    const input = el("input", { type: "radio", name: "reference", value: r.id, disabled: !config.canEdit });
    box.append(el("label", { class: "reference-option" }, input,
      r.image ? el("img", { src: r.image, alt: "", class: "reference-mini" }) : "",
      ` ${r.title || `reference ${r.id}`}${r.era || r.situation ? ` (${[r.era, r.situation].filter(Boolean).join(", ")})` : ""}`));
  }
  box.onchange = (e) => {
    referenceId = e.target.value || null;
  };
}
if ($("reference-input")) {
  $("reference-input").addEventListener("change", (e) => {
    referenceFile = e.target.files[0] || null;
    const box = $("reference-preview");
    box.replaceChildren();
    if (referenceFile) {
      const url = URL.createObjectURL(referenceFile);
      const source = el("input", { type: "text", id: "reference-source", "aria-label": "Source of the reference photo",
        placeholder: "source (archive, book, URL)" });
      const keep = el("button", {
        type: "button", class: "link", "aria-label": "Keep it as a reference for this era and situation",
        onclick: async () => {
          const form = new FormData();
          form.append("image", referenceFile, referenceFile.name);
          form.append("title", referenceFile.name);
          form.append("source", source.value.trim());
          if (photo.era) form.append("era", photo.era);
          if (photo.situations[0]) form.append("situation", photo.situations[0]);
          const { status, body } = await uploadWithProgress("/api/references/", form, () => {});
          if (status >= 200 && status < 300) {
            toast("Kept as a reference: it now guides renders of this era and situation.", "info", 4000);
            referenceFile = null;
            $("reference-input").value = "";
            box.replaceChildren();
            await loadReferences();
            const radio = document.querySelector(`#reference-pick input[value="${body.id}"]`);
            if (radio) {
              radio.checked = true;
              referenceId = String(body.id);
            }
          } else toast(`Could not keep the reference: ${errorMessage(status, body)}`, "error");
        },
      }, "Keep as a reference for this era / situation");
      box.append(el("img", { src: url, alt: `Reference photo ${referenceFile.name}`, class: "reference-thumb" }),
        el("p", { class: "meta" }, "Used by the next render."), source, keep, " ",
        el("button", { type: "button", class: "link", onclick: () => { referenceFile = null; $("reference-input").value = ""; box.replaceChildren(); } }, "Remove reference"));
    }
  });
}

// ---- runs --------------------------------------------------------------------------------------------
let activeRun = null;
let runPoll = null;

function runId(x) {
  if (!x) return null;
  return x.run_id ?? (typeof x.run === "object" && x.run ? x.run.id : x.run) ?? x.id;
}

function showRun(run) {
  const bar = $("render-progress");
  const cancel = $("render-cancel");
  const status = $("render-status");
  if (!bar) {
    status.textContent = run ? `render ${run.status} ${run.progress ?? ""}%` : "";
    return;
  }
  const active = run && (run.status === "queued" || run.status === "running");
  bar.hidden = !active;
  cancel.hidden = !active;
  $("render").disabled = !!active;
  if (!run) return;
  bar.value = run.progress || 0;
  if (run.status === "queued") status.textContent = "Render queued…";
  else if (run.status === "running") status.textContent = `Rendering… ${run.progress || 0}%`;
  else if (run.status === "done") status.textContent = "Render done: a new version is in the Versions panel.";
  else if (run.status === "failed") status.textContent = `Render failed: ${run.error || "unknown error"}`;
  else if (run.status === "cancelled") status.textContent = "Render cancelled.";
  root.dataset.run = run.status;
}

async function pollRun() {
  if (!activeRun) return;
  try {
    const run = await api("GET", `/api/runs/${activeRun.id}/`);
    mergeRun(run);
  } catch { /* the room events still arrive */ }
}

function mergeRun(run) {
  if (!activeRun || runId(run) !== activeRun.id) return;
  const before = activeRun.status;
  if (typeof run.progress === "number" && run.status === activeRun.status && run.progress < activeRun.progress) {
    run = { ...run, progress: activeRun.progress };
  }
  activeRun = { ...activeRun, ...run, id: activeRun.id };
  showRun(activeRun);
  if (["done", "failed", "cancelled"].includes(activeRun.status)) {
    clearInterval(runPoll);
    runPoll = null;
    if (activeRun.status === "done" && before !== "done") showRunVersion();
  }
}

if ($("render")) {
  $("render").addEventListener("click", async () => {
    const form = new FormData();
    form.append("hints", $("run-hints").value);
    form.append("hints_mode", $("run-hints").value);
    if (photo.era) form.append("era", photo.era);
    if (photo.situations[0]) form.append("situation", photo.situations[0]);
    if (referenceFile) form.append("reference_image", referenceFile, referenceFile.name);
    else if (referenceId) form.append("reference", referenceId);
    $("render-status").textContent = "Starting the render…";
    const { status, body } = await uploadWithProgress(`/api/photos/${photo.id}/runs/`, form, () => {});
    if (status < 200 || status >= 300) {
      $("render-status").textContent = `Could not start the render: ${errorMessage(status, body)}`;
      return;
    }
    activeRun = { ...body, id: body.id, progress: body.progress || 0, status: body.status || "queued" };
    showRun(activeRun);
    clearInterval(runPoll);
    runPoll = setInterval(pollRun, 1500);
  });
  $("render-cancel").addEventListener("click", async () => {
    if (!activeRun) return;
    try {
      const run = await api("POST", `/api/runs/${activeRun.id}/cancel/`);
      if (run) mergeRun({ ...run, id: activeRun.id });
    } catch (ex) {
      toast(`Could not cancel: ${ex.message}`, "error");
    }
  });
}

async function showRunVersion() {
  let vid = activeRun && activeRun.version;
  if (!vid) {
    const run = await api("GET", `/api/runs/${activeRun.id}/`).catch(() => null);
    vid = run && run.version;
  }
  await loadVersions(false);
  if (vid && !versions.has(vid)) await loadVersions(false);
  if (vid && versions.has(vid)) {
    await setLayer(`v${vid}`);
    selectTab("versions");
    root.dataset.version = String(vid);
  }
}

function onRoomEvent(frame) {
  const t = frame.type || "";
  if (t.startsWith("run.")) {
    const id = runId(frame);
    const run = typeof frame.run === "object" && frame.run ? frame.run : {};
    const status = { "run.progress": "running", "run.done": "done", "run.failed": "failed", "run.cancelled": "cancelled" }[t];
    if (!activeRun || id !== activeRun.id) {
      // someone else's render: say so (their progress bar is theirs)
      const by = run.requested_by;
      const pct = frame.progress ?? run.progress;
      const text = { "run.queued": "queued", "run.started": "started", "run.progress": `${pct}%`,
        "run.done": "done", "run.failed": "failed", "run.cancelled": "cancelled" }[t];
      if (text && !(activeRun && ["queued", "running"].includes(activeRun.status))) {
        $("render-status").textContent = `Render${by ? ` by ${by}` : ""}: ${text}`;
      }
    }
    if (activeRun && id === activeRun.id) {
      mergeRun({ ...run, id, status: run.status || frame.status || status || activeRun.status,
        progress: frame.progress ?? run.progress ?? activeRun.progress,
        error: frame.error || run.error });
    }
    if (t === "run.done") loadVersions(false);
  } else if (t === "version.created" || t.startsWith("version.") || t.startsWith("review.")) {
    loadVersions(false);
  }
}

// ---- versions ----------------------------------------------------------------------------------------
function versionUrl(v, kind) {
  const u = v.urls || {};
  return u[kind] || v[`${kind}_url`] || (typeof v[kind] === "string" && v[kind].startsWith("/") ? v[kind] : null)
    || (typeof v[kind] === "string" && v[kind].startsWith("http") ? v[kind] : null);
}

function latestVersion() {
  let best = null;
  for (const v of versions.values()) if (!best || v.number > best.number) best = v;
  return best;
}

function reviewState(v) {
  return v.review_state || v.review_status || (v.review && v.review.decision) || "draft";
}

let versionsLoading = null;
let versionsAgain = false;
async function loadVersions(showNewest) {
  if (versionsLoading) {
    // an event arrived while a list was on its way: fetch once more afterwards
    versionsAgain = versionsAgain || showNewest || true;
    return versionsLoading;
  }
  versionsLoading = (async () => {
    try {
      const list = items(await api("GET", `/api/photos/${photo.id}/versions/`));
      const known = new Set(versions.keys());
      versions.clear();
      list.forEach((v) => versions.set(v.id, v));
      renderVersions();
      const fresh = list.filter((v) => !known.has(v.id));
      if (showNewest && fresh.length) {
        const newest = fresh.reduce((a, b) => (a.number > b.number ? a : b));
        await setLayer(`v${newest.id}`);
        selectTab("versions");
      }
    } catch (ex) {
      if (ex.status !== 404) $("version-list").replaceChildren(el("li", { class: "error" }, `Could not load versions: ${ex.message}`));
    } finally {
      versionsLoading = null;
    }
    if (versionsAgain) {
      versionsAgain = false;
      await loadVersions(showNewest);
    }
  })();
  return versionsLoading;
}

function refreshLayerOptions() {
  for (const sel of [$("layer"), $("before")]) {
    const keep = sel.value;
    sel.querySelectorAll("option[data-version]").forEach((o) => o.remove());
    for (const v of Array.from(versions.values()).sort((a, b) => b.number - a.number)) {
      sel.append(el("option", { value: `v${v.id}`, "data-version": v.id }, `Version ${v.number}`));
    }
    sel.value = keep;
  }
}

function renderVersions() {
  const list = Array.from(versions.values()).sort((a, b) => b.number - a.number);
  $("version-count").textContent = String(list.length);
  refreshLayerOptions();
  const ul = $("version-list");
  if (!list.length) {
    ul.replaceChildren(el("li", { class: "meta" }, "No versions yet. “Render full resolution” makes one."));
    return;
  }
  ul.replaceChildren(...list.map(versionItem));
  updateOverlay();
}

function versionItem(v) {
  const state = reviewState(v);
  const author = who(v.created_by || v.author);
  const nHints = v.hint_count ?? (Array.isArray(v.hints) ? v.hints.length : "?");
  const nVerified = v.verified_hint_count ?? (Array.isArray(v.hints) ? v.hints.filter((h) => h.status === "verified").length : null);
  const model = v.model ? (typeof v.model === "object" ? `${v.model.name} ${v.model.version}` : v.model)
    : [v.model_name, v.model_version].filter(Boolean).join(" ");
  const thumb = versionUrl(v, "preview");
  const label = `version ${v.number}`;
  const mine = config.user && author === config.user.username;
  const actions = [
    el("button", { type: "button", class: "link", "aria-label": `Show ${label}`, onclick: () => setLayer(`v${v.id}`) }, "Show"),
    el("button", { type: "button", class: "link", "aria-label": `Compare ${label} with the original`, onclick: async () => { await setLayer(`v${v.id}`); await setBefore("original"); } }, "Compare"),
  ];
  if (config.canEdit) {
    actions.push(el("button", { type: "button", class: "link", "aria-label": `Restore hints from ${label}`, onclick: () => restoreHints(v) }, "Restore hints"));
    if (state === "draft" || state === "rejected") {
      actions.push(el("button", { type: "button", class: "link", "aria-label": `Submit ${label} for review`, onclick: () => review(v, "submit") }, "Submit for review"));
    }
  }
  if (config.canReview && state === "submitted") {
    actions.push(el("button", { type: "button", class: "link", "aria-label": `Approve ${label}`, disabled: mine, title: mine ? "four eyes: someone else must review your version" : "", onclick: () => review(v, "approve") }, "Approve"));
    actions.push(el("button", { type: "button", class: "link", "aria-label": `Reject ${label}`, disabled: mine, onclick: () => review(v, "reject") }, "Reject"));
  }
  const downloads = ["jpeg", "png", "tiff"].map((fmt) => el("a", {
    href: `/api/versions/${v.id}/export/?format=${fmt}`, download: "", "aria-label": `Download ${label} as ${fmt.toUpperCase()}`,
  }, fmt.toUpperCase()));
  const comment = v.latest_review && v.latest_review.comment ? v.latest_review.comment : v.review_comment;
  return el("li", { class: `version-item state-${state}`, "data-version": v.id, "data-number": v.number },
    thumb ? el("img", { src: thumb, alt: `Preview of ${label}`, class: "version-thumb", loading: "lazy" }) : "",
    el("div", { class: "version-body" },
      el("strong", {}, `Version ${v.number}`), " ", el("span", { class: `badge state-${state}` }, state),
      v.published ? el("span", { class: "badge state-approved" }, " published") : "",
      el("div", { class: "hint-meta" }, `${author ? `by ${author} · ` : ""}${nHints} hint${nHints === 1 ? "" : "s"}${nVerified !== null ? ` (${nVerified} verified)` : ""}${v.created_at ? ` · ${timeAgo(v.created_at)}` : ""}`),
      model ? el("div", { class: "hint-meta" }, `model ${model}`) : "",
      comment ? el("div", { class: "hint-evidence" }, `“${comment}”`) : "",
      el("div", { class: "hint-actions" }, ...actions),
      el("div", { class: "downloads" }, "Download ", ...downloads)));
}

async function restoreHints(v) {
  try {
    const r = await api("POST", `/api/versions/${v.id}/restore-hints/`);
    const n = (k) => (r && Array.isArray(r[k]) ? r[k].length : 0);
    toast(`Hints of version ${v.number} restored: ${n("added")} added back, ${n("updated")} changed back, `
      + `${n("unchanged")} already as they were.`, "info", 5000);
  } catch (ex) {
    toast(`Could not restore hints: ${ex.message}`, "error");
  }
}

let reviewing = null;
async function review(v, action) {
  if (action === "submit") {
    try {
      await api("POST", `/api/versions/${v.id}/submit/`, {});
      toast(`Version ${v.number} submitted for review.`, "info", 3000);
      loadVersions(false);
    } catch (ex) {
      toast(`Could not submit: ${ex.message}`, "error");
    }
    return;
  }
  reviewing = { v, action };
  $("review-title").textContent = `${action === "approve" ? "Approve" : "Reject"} version ${v.number}`;
  $("review-save").textContent = action === "approve" ? "Approve" : "Reject";
  $("review-error").hidden = true;
  $("review-form").reset();
  $("review-dialog").showModal();
}
$("review-cancel").addEventListener("click", () => $("review-dialog").close());
$("review-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const { v, action } = reviewing;
  const comment = $("review-comment").value.trim();
  try {
    await api("POST", `/api/versions/${v.id}/${action}/`, { comment });
    $("review-dialog").close();
    toast(`Version ${v.number} ${action === "approve" ? "approved" : "rejected"}.`, "info", 3000);
    loadVersions(false);
  } catch (ex) {
    $("review-error").textContent = ex.message;
    $("review-error").hidden = false;
  }
});

// ---- tabs --------------------------------------------------------------------------------------------
function selectTab(name) {
  for (const t of ["hints", "guidance", "versions"]) {
    $(`tab-${t}`).setAttribute("aria-selected", String(t === name));
    $(`panel-${t}`).hidden = t !== name;
  }
}
for (const t of ["hints", "guidance", "versions"]) $(`tab-${t}`).addEventListener("click", () => selectTab(t));

// ---- start -------------------------------------------------------------------------------------------
setColor(currentColor, false);
renderRecent();
drawPlane(50);
loadOriginal().catch((e) => {
  $("canvas-status").textContent = e.message;
});
room.connect();
loadReferences();
loadVersions(false).then(async () => {
  // /photos/ID/?version=V (from the review queue): show V against the original, versions panel open.
  const wanted = Number(new URLSearchParams(location.search).get("version"));
  if (wanted && versions.has(wanted)) {
    await setLayer(`v${wanted}`);
    await setBefore("original");
    selectTab("versions");
  }
});
