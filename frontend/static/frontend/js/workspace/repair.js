// The workspace's repair panel (docs/repair.md, "Platform"): find damage (a job, with progress and cancel), the
// mask as a red overlay on the photo's working image, a repair brush and an eraser (each stroke a logged, undoable
// REST call), a before/after preview, apply and undo. Self-contained: it reads the page config and the repair API
// only (and listens to the room's repair.* events, so every curator's panel follows the mask live), and loads as
// its own module.

import { $, el, get, post } from "../api.js";
import { formatNumber, t } from "../i18n.js";
import { state as workspace } from "./state.js";

const config = JSON.parse($("page-config").textContent);
const photo = config.photo;
const grayUrl = photo.urls && photo.urls.gray; // the working image (8-bit gray, full size)
const base = `/api/photos/${photo.id}/repair`;
const FINAL = ["done", "failed", "cancelled"];

let state = null;
let grayImage = null;
let maskCanvas = null; // the mask as a red, half-transparent layer at the working size
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

async function loadMask() {
  maskCanvas = null;
  if (!state.mask) return;
  const img = await loadImage(`${state.mask.url}&t=${Date.now()}`);
  const c = document.createElement("canvas");
  c.width = img.naturalWidth;
  c.height = img.naturalHeight;
  const ctx = c.getContext("2d");
  ctx.drawImage(img, 0, 0);
  const data = ctx.getImageData(0, 0, c.width, c.height);
  for (let i = 0; i < data.data.length; i += 4) {
    const on = data.data[i] > 127;
    data.data[i] = 255;
    data.data[i + 1] = 0;
    data.data[i + 2] = 0;
    data.data[i + 3] = on ? 150 : 0;
  }
  ctx.putImageData(data, 0, 0);
  maskCanvas = c;
}

function draw() {
  const canvas = $("repair-canvas");
  if (!grayImage) return;
  const ctx = canvas.getContext("2d");
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  ctx.drawImage(grayImage, 0, 0, canvas.width, canvas.height);
  if (maskCanvas && $("repair-show-mask").checked) ctx.drawImage(maskCanvas, 0, 0, canvas.width, canvas.height);
  if (drawing && drawing.points.length) {
    const scale = canvas.width / photo.width;
    ctx.strokeStyle = $("repair-eraser").checked ? "rgba(0, 160, 255, 0.8)" : "rgba(255, 0, 0, 0.8)";
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
    if (!polling) polling = setTimeout(() => ((polling = null), refresh().catch(failed)), 1000);
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

async function sendStroke() {
  const stroke = drawing;
  drawing = null;
  if (!stroke || !stroke.points.length) return;
  const action = $("repair-eraser").checked ? "remove" : "add";
  try {
    await post(`${base}/strokes/`, { action, points: stroke.points.slice(0, 2000), radius: radius() });
    status(action === "add" ? t("Marked as damage.") : t("Erased from the mask."));
    hidePreview();
    await refresh();
  } catch (e) {
    failed(e);
    draw();
  }
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

function follow(room) {
  // repair.mask, repair.stroke_undone, repair.scan, repair.applied, repair.undone: someone changed the repair.
  room.addEventListener("event", (e) => {
    const type = (e.detail && e.detail.type) || "";
    if (type.startsWith("repair.") && grayImage) refreshOnce();
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
    canvas.addEventListener("pointerup", () => sendStroke());
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
    $("repair-undo-stroke").addEventListener("click", () =>
      act(async () => {
        await post(`${base}/strokes/undo/`, {});
        status(t("Stroke undone."));
        hidePreview();
        await refresh();
      }),
    );
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
