// Viewer glue: the web image, the lightness under a point, tools and zoom, layers (original, live
// preview, versions), the before/after slider, the uncertainty overlay and the live preview frames.
import { api } from "../api.js";
import { rgbToLab } from "../color.js";
import { gettext, t } from "../i18n.js";
import { initDeepZoom } from "./deepzoom.js";
import { state } from "./state.js";
import { $, loadImage, toast } from "./ui.js";

export function lightnessAt(u, v) {
  const luma = state.lumaCanvas;
  if (!luma) return 50;
  const ctx = luma.getContext("2d", { willReadFrequently: true });
  const x = Math.min(luma.width - 1, Math.max(0, Math.floor(u * luma.width)));
  const y = Math.min(luma.height - 1, Math.max(0, Math.floor(v * luma.height)));
  const d = ctx.getImageData(x, y, 1, 1).data;
  return rgbToLab([d[0], d[1], d[2]])[0];
}

function markReady() {
  const { viewer, metrics } = state;
  if (!viewer.layers.original || metrics.snapshotMs === null || metrics.readyMs !== null) return;
  requestAnimationFrame(() => {
    metrics.readyMs = performance.now(); // since navigation start
    $("workspace").dataset.state = "ready";
  });
}

export function snapshotArrived() {
  if (state.metrics.snapshotMs === null) {
    state.metrics.snapshotMs = performance.now();
    markReady();
  }
}

// An error written to the canvas status stays there while loadOriginal keeps asking: data-error marks it (the
// text itself is in the reader's language, so it cannot tell an error from a progress message).
function showStatusError(status, text) {
  status.textContent = text;
  status.dataset.error = "true";
}

// The web derivative (≈2048 px) is made after the upload; until it exists, ask again with back-off.
export async function loadOriginal(attempt = 0) {
  const status = $("canvas-status");
  let url = state.photo.urls.web;
  if (!url && attempt > 0) {
    try {
      const photo = await api("GET", `/api/photos/${state.photo.id}/`);
      state.photo = { ...state.photo, ...photo };
      url = photo.urls.web;
    } catch (err) {
      showStatusError(status, t("Could not ask for the web image (%(error)s); trying again…", { error: err.message }));
    }
  }
  if (!url && state.photo.derivatives_status === "failed") {
    showStatusError(status, t("The web image could not be made: %(error)s", { error: state.photo.derivatives_error }));
    return;
  }
  if (!url) {
    if (status.dataset.error !== "true") status.textContent = gettext("Preparing the web image…");
    setTimeout(() => loadOriginal(attempt + 1), Math.min(500 * (attempt + 1), 3000));
    return;
  }
  const img = await loadImage(url);
  state.metrics.imageMs = performance.now();
  state.viewer.layers.original = img;
  const luma = document.createElement("canvas");
  const k = 512 / Math.max(img.naturalWidth, img.naturalHeight);
  luma.width = Math.max(1, Math.round(img.naturalWidth * k));
  luma.height = Math.max(1, Math.round(img.naturalHeight * k));
  luma.getContext("2d", { willReadFrequently: true }).drawImage(img, 0, 0, luma.width, luma.height);
  state.lumaCanvas = luma;
  status.textContent = "";
  delete status.dataset.error;
  status.hidden = true;
  state.viewer.invalidate();
  markReady();
  initDeepZoom(); // the original's tiles beneath the canvas (deepzoom.js), when OpenSeadragon is here
}

// ---- tools and zoom ---------------------------------------------------------------------------------
export function setTool(tool) {
  if (!state.config.canEdit && tool !== "pan" && tool !== "select") return;
  state.viewer.tool = tool;
  state.viewer.emit("tool", { tool });
  document.querySelectorAll(".tool[data-tool]").forEach((b) =>
    b.setAttribute("aria-pressed", String(b.dataset.tool === tool)));
}

// ---- layers, compare, overlay --------------------------------------------------------------------
async function layerImage(name) {
  const { viewer } = state;
  if (name === "original" || name === "preview") return viewer.layers[name] || null;
  const version = state.versions.get(Number(name.slice(1)));
  if (!version || !version.preview) return null;
  if (!state.versionImages.has(version.id)) state.versionImages.set(version.id, await loadImage(version.preview));
  viewer.layers[name] = state.versionImages.get(version.id);
  return viewer.layers[name];
}

export async function setLayer(name) {
  $("layer").value = name;
  if (name === "preview" && !state.viewer.layers.preview && !state.room.hints.size) {
    toast(gettext("No live preview yet: place a hint."), "info", 2500);
  }
  await layerImage(name).catch((err) => toast(err.message, "error"));
  state.viewer.main = name;
  ensurePreview();
  updateOverlay();
  state.viewer.invalidate();
}

export async function setBefore(name) {
  const { viewer } = state;
  $("before").value = name;
  if (!name) {
    viewer.compare = false;
    $("split").hidden = true;
  } else {
    await layerImage(name).catch((err) => toast(err.message, "error"));
    viewer.before = name;
    viewer.compare = true;
    $("split").hidden = false;
    ensurePreview();
  }
  viewer.invalidate();
}

export function toggleCompare() {
  const { viewer } = state;
  setBefore(viewer.compare ? "" : viewer.main === "original" ? "preview" : "original");
}

function latestVersion() {
  let best = null;
  for (const v of state.versions.values()) if (!best || v.number > best.number) best = v;
  return best;
}

// The uncertainty map (8-bit grey: 0 sure, 255 unsure) through a colour ramp: where the model is sure the photo
// shows through, where it is unsure it turns from blue through yellow to red. The legend (workspace.html,
// .legend-ramp in app.css) draws the same stops.
export const UNCERTAINTY_RAMP = [
  [0, [49, 54, 149, 0]], [0.25, [69, 117, 180, 0.3]], [0.5, [254, 224, 144, 0.55]],
  [0.75, [244, 109, 67, 0.7]], [1, [165, 0, 38, 0.85]],
];

function rampColour(v) {
  let i = 1;
  while (i < UNCERTAINTY_RAMP.length - 1 && v > UNCERTAINTY_RAMP[i][0]) i += 1;
  const [v0, c0] = UNCERTAINTY_RAMP[i - 1];
  const [v1, c1] = UNCERTAINTY_RAMP[i];
  const k = Math.min(1, Math.max(0, (v - v0) / (v1 - v0)));
  return c0.map((c, j) => c + (c1[j] - c) * k);
}

export function rampOverlay(img) {
  const canvas = document.createElement("canvas");
  canvas.width = img.naturalWidth || img.width;
  canvas.height = img.naturalHeight || img.height;
  const ctx = canvas.getContext("2d", { willReadFrequently: true });
  ctx.drawImage(img, 0, 0);
  const data = ctx.getImageData(0, 0, canvas.width, canvas.height);
  const lut = Array.from({ length: 256 }, (_, g) => rampColour(g / 255));
  const d = data.data;
  for (let i = 0; i < d.length; i += 4) {
    const [r, g, b, a] = lut[d[i]];
    d[i] = r;
    d[i + 1] = g;
    d[i + 2] = b;
    d[i + 3] = Math.round(a * 255);
  }
  ctx.putImageData(data, 0, 0);
  return canvas;
}

export async function updateOverlay() {
  const { viewer } = state;
  const box = $("uncertainty");
  const name = viewer.main;
  const version = name.startsWith("v") ? state.versions.get(Number(name.slice(1))) : latestVersion();
  const url = version ? version.uncertainty : "";
  box.disabled = !url;
  box.title = url ? t("uncertainty of version %(n)s", { n: version.number })
    : gettext("render a version to see its uncertainty");
  $("uncertainty-legend").hidden = !(box.checked && url);
  viewer.overlay = null;
  if (box.checked && url) {
    try {
      viewer.overlay = rampOverlay(await loadImage(url));
    } catch (err) {
      toast(t("Could not load the uncertainty overlay: %(error)s", { error: err.message }), "error");
    }
  }
  viewer.invalidate();
}

// ---- live preview ----------------------------------------------------------------------------------
// Previews come after each change; a page that joined after the last change has none until it asks the
// room (a `preview` frame) for the current revision's, when the live preview is shown.
let previewAsked = false;

export function ensurePreview() {
  const { room, viewer } = state;
  const shown = viewer.main === "preview" || (viewer.compare && viewer.before === "preview");
  if (!shown || previewAsked || state.previewRevision !== null || !room.revision) return;
  if (!room.ws || room.ws.readyState !== WebSocket.OPEN) return; // asked again when the room (re)connects
  previewAsked = true;
  room.ws.send(JSON.stringify({ type: "preview" }));
  updateRevision();
}

export function updateRevision() {
  const waiting = previewAsked ? "…" : "—";
  const pr = state.previewError ? gettext("unavailable")
    : state.previewRevision === null ? waiting : `r${state.previewRevision}`;
  $("revision").textContent = t("hints r%(hints)s · preview %(preview)s", { hints: state.room.revision, preview: pr });
}

function onPreview(frame) {
  const rev = frame.room_revision;
  if (frame.error) {
    state.previewError = frame.error.message;
    $("revision").title = t("The live preview failed: %(error)s", { error: state.previewError });
    updateRevision();
    return;
  }
  state.previewError = null;
  if (state.previewRevision !== null && rev < state.previewRevision) return;
  loadImage(frame.image).then((img) => {
    state.viewer.layers.preview = img;
    state.previewRevision = rev;
    state.metrics.previewAt = performance.now();
    updateRevision();
    state.viewer.invalidate();
    $("workspace").dataset.preview = String(rev);
  }, (err) => {
    state.previewError = err.message;
    updateRevision();
  });
}

export function initCanvas() {
  const { viewer, room, config } = state;
  viewer.addEventListener("zoom", (e) => {
    $("zoom-level").textContent = `${e.detail.scale}%`;
  });
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
  $("uncertainty").addEventListener("change", updateOverlay);
  room.addEventListener("preview", (e) => onPreview(e.detail));
  room.addEventListener("hints", ensurePreview);
  room.addEventListener("status", (e) => {
    if (!e.detail.connected) previewAsked = false; // a request lost with the connection is asked again
  });
  viewer.addEventListener("hover", (e) => {
    if (e.detail && config.user) room.cursor(e.detail.x, e.detail.y);
  });
}
