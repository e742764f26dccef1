// The workspace's repair panel (docs/repair.md, "Platform"): find damage (a job; its progress comes as room
// events, polled only while the socket is down), the mask as a red overlay on the panel's view and, while the
// panel is open, on the main deep-zoom view (pixel-exact at every zoom, with the applied repair's mask in green),
// a repair brush and an eraser painted on either view (each stroke a logged, undoable room frame, or a REST call
// while the socket is down), a before/after preview, apply and undo. Self-contained: it reads the page config,
// the repair API and the room's repair.* events (so every curator's panel follows the mask live), and loads as
// its own module.

import { $, el, get, post } from "../api.js";
import { formatNumber, t } from "../i18n.js";
import { state as workspace } from "./state.js";

const config = JSON.parse($("page-config").textContent);
const photo = config.photo;
const grayUrl = photo.urls && photo.urls.gray; // the working image (8-bit gray, full size)
const base = `/api/photos/${photo.id}/repair`;
const FINAL = ["done", "failed", "cancelled"];
const DRAFT_RGBA = [255, 0, 0, 150]; // the draft mask: red
const APPLIED_RGBA = [0, 200, 120, 120]; // the active repaired base's mask: green

let state = null;
let grayImage = null;
let maskCanvas = null; // the draft mask as a red, half-transparent layer at the working size
let baseCanvas = null; // the active base's mask, green (loaded once per base)
let baseCanvasId = null;
let drawing = null; // the stroke being drawn: {points: [[x, y], ...]}
let polling = null;

function status(text) {
  $("repair-status").textContent = text;
}

function failed(error) {
  status(error.message || String(error));
}

function loadImage(url) {
  return new Promise((resolve, reject) => {
    const img = new Image();
    img.onload = () => resolve(img);
    img.onerror = () => reject(new Error(t("could not load %(url)s", { url })));
    img.src = url;
  });
}

// A mask PNG (255 = damaged) as a layer: its pixels in `rgba`, the rest transparent.
function tint(img, [r, g, b, a]) {
  const c = document.createElement("canvas");
  c.width = img.naturalWidth;
  c.height = img.naturalHeight;
  const ctx = c.getContext("2d");
  ctx.drawImage(img, 0, 0);
  const data = ctx.getImageData(0, 0, c.width, c.height);
  for (let i = 0; i < data.data.length; i += 4) {
    const on = data.data[i] > 127;
    data.data[i] = r;
    data.data[i + 1] = g;
    data.data[i + 2] = b;
    data.data[i + 3] = on ? a : 0;
  }
  ctx.putImageData(data, 0, 0);
  return c;
}

async function loadMask() {
  const active = state.bases.find((b) => b.active);
  if (!active) baseCanvas = baseCanvasId = null;
  else if (active.id !== baseCanvasId) {
    baseCanvas = tint(await loadImage(active.mask_url), APPLIED_RGBA);
    baseCanvasId = active.id;
  }
  maskCanvas = state.mask ? tint(await loadImage(`${state.mask.url}&t=${Date.now()}`), DRAFT_RGBA) : null;
}

// The main view (viewer.js, over the deep-zoom tiles) shows the masks while the panel is open and "Show the mask"
// is on: drawn over the image's whole extent with the view's transform, so they stay aligned at every zoom.
function showOnPhoto() {
  const viewer = workspace.viewer;
  if (!viewer) return;
  const shown = $("repair-panel").open && $("repair-show-mask").checked;
  viewer.masks = shown ? [baseCanvas, maskCanvas].filter(Boolean) : [];
  const box = $("workspace");
  if (shown && maskCanvas) box.dataset.repairMask = String(state.mask.revision);
  else delete box.dataset.repairMask;
  viewer.invalidate();
}

function eraser() {
  return Boolean($("repair-eraser") && $("repair-eraser").checked);
}

// "Paint on the photo": a drag on the main view paints with the brush (or eraser) and radius chosen here.
function updatePainter() {
  const viewer = workspace.viewer;
  if (!viewer || !$("repair-paint")) return;
  const on = $("repair-paint").checked && $("repair-panel").open;
  viewer.painter = on ? { radius: radius(), colour: eraser() ? "rgba(0, 160, 255, 0.8)" : "rgba(255, 0, 0, 0.8)" } : null;
  viewer.invalidate();
}

function draw() {
  const canvas = $("repair-canvas");
  if (!grayImage) return;
  const ctx = canvas.getContext("2d");
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  ctx.drawImage(grayImage, 0, 0, canvas.width, canvas.height);
  if (maskCanvas && $("repair-show-mask").checked) ctx.drawImage(maskCanvas, 0, 0, canvas.width, canvas.height);
  showOnPhoto();
  if (drawing && drawing.points.length) {
    const scale = canvas.width / photo.width;
    ctx.strokeStyle = eraser() ? "rgba(0, 160, 255, 0.8)" : "rgba(255, 0, 0, 0.8)";
    ctx.lineWidth = Math.max(1, (2 * radius() + 1) * scale);
    ctx.lineCap = ctx.lineJoin = "round";
    ctx.beginPath();
    drawing.points.forEach(([x, y], i) => (i ? ctx.lineTo(x * scale, y * scale) : ctx.moveTo(x * scale, y * scale)));
    if (drawing.points.length === 1) ctx.lineTo(drawing.points[0][0] * scale + 0.01, drawing.points[0][1] * scale);
    ctx.stroke();
  }
}

function radius() {
  return Number($("repair-radius").value);
}

function describeMask() {
  const m = state.mask;
  if (!m) return t("No mask yet: find damage, or paint it with the repair brush.");
  const share = formatNumber(m.share * 100, { maximumFractionDigits: 2 });
  return t("Mask revision %(revision)s: %(pixels)s pixels (%(share)s%) marked as damage.", {
    revision: m.revision,
    pixels: formatNumber(m.pixels),
    share,
  });
}

function renderBases() {
  const list = $("repair-bases");
  list.replaceChildren();
  for (const b of state.bases) {
    const share = formatNumber(b.share * 100, { maximumFractionDigits: 2 });
    const text = b.active
      ? t("Repair %(number)s (active): %(share)s% of the pixels repaired by %(model)s, applied by %(user)s", {
          number: b.number,
          share,
          model: `${b.model.name} ${b.model.version}`,
          user: b.applied_by || "?",
        })
      : t("Repair %(number)s (undone by %(user)s)", { number: b.number, user: b.withdrawn_by || "?" });
    list.append(
      el("li", { class: b.active ? "active" : "withdrawn", dataset: { base: String(b.id) } }, text, " ",
        el("a", { href: b.mask_url, target: "_blank", rel: "noopener" }, t("mask"))),
    );
  }
}

function renderScan() {
  const scan = state.scan;
  const running = scan && !FINAL.includes(scan.status);
  $("repair-progress").hidden = !running;
  $("repair-cancel").hidden = !running;
  if (running) $("repair-progress").value = scan.progress;
  if (!config.canEdit) return;
  $("repair-find").disabled = Boolean(running);
  const hasMask = state.mask && state.mask.pixels > 0;
  $("repair-preview").disabled = !hasMask;
  $("repair-apply").disabled = !hasMask || state.mask.applied;
  $("repair-undo").disabled = state.active_base === null;
}

// The room's socket is open: strokes go over it, and scan progress comes as events (no polling).
function live() {
  const room = workspace.room;
  return Boolean(room && room.ws && room.ws.readyState === WebSocket.OPEN);
}

async function refresh() {
  state = await get(`${base}/`);
  await loadMask();
  $("repair-summary").textContent = describeMask();
  renderBases();
  renderScan();
  draw();
  const scan = state.scan;
  if (scan && !FINAL.includes(scan.status)) {
    status(t("Finding damage… %(progress)s%", { progress: scan.progress }));
    // progress comes as repair.scan events; polled only while the socket is down
    if (!polling && !live()) polling = setTimeout(() => ((polling = null), refreshOnce()), 1000);
  } else if (scan && scan.status === "failed") {
    status(t("Finding damage failed: %(error)s", { error: scan.error }));
  }
}

function point(event) {
  const canvas = $("repair-canvas");
  const rect = canvas.getBoundingClientRect();
  const x = ((event.clientX - rect.left) / rect.width) * photo.width;
  const y = ((event.clientY - rect.top) / rect.height) * photo.height;
  return [Math.min(photo.width - 0.01, Math.max(0, x)), Math.min(photo.height - 0.01, Math.max(0, y))];
}

// At most 2000 points (the server's limit), the last one kept.
function thin(points) {
  if (points.length <= 2000) return points;
  const k = Math.ceil(points.length / 1999);
  return points.filter((_, i) => i % k === 0).concat([points[points.length - 1]]);
}

// One stroke, points in working-image pixels: a room frame (the room's repair.mask event then refreshes every
// panel, this one included), or the REST endpoint while the socket is down.
async function sendStroke(points) {
  if (!points || !points.length) return;
  const action = eraser() ? "remove" : "add";
  const stroke = { action, points: thin(points), radius: radius() };
  try {
    if (live()) await workspace.room.request({ type: "repair.stroke", stroke });
    else {
      await post(`${base}/strokes/`, stroke);
      await refresh();
    }
    status(action === "add" ? t("Marked as damage.") : t("Erased from the mask."));
    hidePreview();
  } catch (e) {
    failed(e);
    draw();
  }
}

async function undoStroke() {
  if (live()) await workspace.room.request({ type: "repair.stroke_undo" });
  else {
    await post(`${base}/strokes/undo/`, {});
    await refresh();
  }
  status(t("Stroke undone."));
  hidePreview();
}

// A stroke painted on the main view: its normalized points as working-image pixels.
function paintedOnPhoto(e) {
  const clamp = (value, size) => Math.min(size - 0.01, Math.max(0, value));
  sendStroke(e.detail.points.map(([u, v]) => [clamp(u * photo.width, photo.width), clamp(v * photo.height, photo.height)]));
}

function hidePreview() {
  $("repair-compare").hidden = true;
}

async function showPreview() {
  status(t("Repairing a preview…"));
  const revision = state.mask.revision;
  const after = await loadImage(`${base}/preview.png?revision=${revision}`);
  const box = $("repair-compare");
  const before = el("img", { src: grayUrl, alt: t("Before repair"), class: "before", style: "width:100%;display:block" });
  after.alt = t("After repair (preview)");
  after.className = "after";
  after.style.cssText = "position:absolute;top:0;left:0;width:100%;display:block";
  box.style.cssText = "position:relative;max-width:320px"; // styles through the CSSOM: allowed by the CSP
  box.replaceChildren(before, after);
  box.hidden = false;
  clip();
  status(t("Preview of mask revision %(revision)s: drag the slider to compare.", { revision }));
}

function clip() {
  const after = $("repair-compare").querySelector("img.after");
  if (after) after.style.clipPath = `inset(0 0 0 ${$("repair-split").value}%)`;
}

async function act(fn) {
  try {
    await fn();
  } catch (e) {
    failed(e);
  }
}

let refreshing = false;
let again = false;

async function refreshOnce() {
  if (refreshing) {
    again = true; // an event came during a refresh: one more afterwards, so no revision is missed
    return;
  }
  refreshing = true;
  try {
    do {
      again = false;
      await refresh();
    } while (again);
  } catch (e) {
    failed(e);
  } finally {
    refreshing = false;
  }
}

// A running scan's progress event: the bar moves, nothing is reloaded (never backwards within one scan).
function onProgress(scan) {
  const held = state.scan;
  if (held && held.id === scan.id && held.status === scan.status && held.progress > scan.progress) return;
  state.scan = scan;
  renderScan();
  status(t("Finding damage… %(progress)s%", { progress: scan.progress }));
}

function follow(room) {
  // repair.mask, repair.stroke_undone, repair.scan, repair.applied, repair.undone: someone changed the repair.
  room.addEventListener("event", (e) => {
    const frame = e.detail || {};
    const type = frame.type || "";
    if (!type.startsWith("repair.") || !grayImage || !state) return;
    if (type === "repair.scan" && frame.scan && !FINAL.includes(frame.scan.status)) onProgress(frame.scan);
    else refreshOnce();
  });
  // (re)connected: catch up with what was missed; disconnected: a running scan is polled until it is back
  room.addEventListener("status", () => {
    if (grayImage && state) refreshOnce();
  });
}

function setup() {
  if (workspace.room) follow(workspace.room);
  // The panel scrolls on its own below the tabs (styles through the CSSOM: allowed by the CSP).
  $("repair-panel").style.cssText = "overflow:auto;max-height:70vh;flex:0 1 auto;padding:.4rem .6rem";
  const canvas = $("repair-canvas");
  canvas.style.cssText = "max-width:100%;cursor:crosshair;touch-action:none;border:1px solid #ccc";
  const width = Math.min(320, photo.width);
  canvas.width = width;
  canvas.height = Math.max(1, Math.round((width * photo.height) / photo.width));
  $("repair-show-mask").addEventListener("change", draw);
  $("repair-panel").addEventListener("toggle", () => {
    showOnPhoto();
    updatePainter();
  });
  $("repair-split").addEventListener("input", clip);
  if (config.canEdit) {
    canvas.addEventListener("pointerdown", (event) => {
      canvas.setPointerCapture(event.pointerId);
      drawing = { points: [point(event)] };
      draw();
    });
    canvas.addEventListener("pointermove", (event) => {
      if (!drawing) return;
      drawing.points.push(point(event));
      draw();
    });
    canvas.addEventListener("pointerup", () => {
      const stroke = drawing;
      drawing = null;
      sendStroke(stroke && stroke.points);
    });
    for (const id of ["repair-brush", "repair-eraser", "repair-radius"]) $(id).addEventListener("input", updatePainter);
    $("repair-paint").addEventListener("change", () => {
      if ($("repair-paint").checked && !$("repair-show-mask").checked) {
        $("repair-show-mask").checked = true; // painting on the photo shows what is painted
        draw();
      }
      updatePainter();
    });
    if (workspace.viewer) {
      workspace.viewer.addEventListener("paint", paintedOnPhoto);
      workspace.viewer.addEventListener("tool", () => {
        $("repair-paint").checked = false; // a hint tool was chosen: the main view is for hints again
        updatePainter();
      });
    }
    $("repair-find").addEventListener("click", () =>
      act(async () => {
        await post(`${base}/scans/`, {});
        hidePreview();
        await refresh();
      }),
    );
    $("repair-cancel").addEventListener("click", () =>
      act(async () => {
        await post(`/api/repair-scans/${state.scan.id}/cancel/`, {});
        status(t("Finding damage was cancelled."));
        await refresh();
      }),
    );
    $("repair-undo-stroke").addEventListener("click", () => act(undoStroke));
    $("repair-preview").addEventListener("click", () => act(showPreview));
    $("repair-apply").addEventListener("click", () =>
      act(async () => {
        const applied = await post(`${base}/apply/`, { revision: state.mask.revision });
        status(t("Repair %(number)s applied: the next render colours the repaired photo.", { number: applied.number }));
        await refresh();
      }),
    );
    $("repair-undo").addEventListener("click", () =>
      act(async () => {
        await post(`${base}/undo/`, {});
        status(t("Repair undone: the next render colours the original."));
        hidePreview();
        await refresh();
      }),
    );
  }
  if (!grayUrl) {
    status(t("The photo is still being processed."));
    return;
  }
  loadImage(grayUrl)
    .then((img) => {
      grayImage = img;
      return refresh();
    })
    .catch(failed);
}

setup();
