// Deep zoom (docs/ui.md, "Deep zoom"): OpenSeadragon (vendored, frontend/static/frontend/vendor/openseadragon/)
// draws the original from tiles under the workspace canvas, so a large scan zooms to 1:1 pixels. The canvas
// (viewer.js) stays the one place that handles input and decides the view; after each of its frames the
// OpenSeadragon viewport is set to show the image exactly where the canvas puts it. Hints, cursors, the
// uncertainty map and the other layers are drawn by the canvas with the same transform, so they stay aligned
// at every zoom. Tiles come from the IIIF Image API of the photo's original (docs/interop.md) when the server
// has it; otherwise from the web image, as one simple image.
import { state } from "./state.js";
import { $ } from "./ui.js";

// The IIIF Image API 3.0 service of a photo's original (docs/interop.md).
export const iiifInfoUrl = (photoId) => `/iiif/3/photo-${photoId}/info.json`;

async function tileSource() {
  try {
    const r = await fetch(iiifInfoUrl(state.photo.id), { credentials: "same-origin", headers: { Accept: "application/ld+json" } });
    if (r.ok) {
      const info = await r.json();
      if (info.width && info.height && (info.id || info["@id"])) return { source: info, kind: "iiif" };
    }
  } catch (err) {
    // no IIIF service here: the web image below
  }
  return state.photo.urls.web ? { source: { type: "image", url: state.photo.urls.web }, kind: "image" } : null;
}

// The canvas's transform (viewer.js: the image's logical box iw×ih at scale, offset tx, ty, in CSS px) as
// OpenSeadragon viewport bounds (units of the image's width, origin at its top-left corner).
function sync(osd, viewer) {
  const box = $("deepzoom");
  if (box.style.width !== `${viewer.cw}px`) box.style.width = `${viewer.cw}px`;
  if (box.style.height !== `${viewer.ch}px`) box.style.height = `${viewer.ch}px`;
  const w = viewer.iw * viewer.scale; // on-screen width of the image
  const rect = new window.OpenSeadragon.Rect(-viewer.tx / w, -viewer.ty / w, viewer.cw / w, viewer.ch / w);
  const size = osd.viewport.getContainerSize();
  if (size.x !== viewer.cw || size.y !== viewer.ch) osd.viewport.resize(new window.OpenSeadragon.Point(viewer.cw, viewer.ch), true);
  osd.viewport.fitBounds(rect, true);
}

export async function initDeepZoom() {
  const { viewer } = state;
  const OSD = window.OpenSeadragon;
  if (!OSD || !$("deepzoom")) return;
  const found = await tileSource();
  if (!found) return;
  const osd = OSD({
    element: $("deepzoom"),
    tileSources: found.source,
    drawer: "canvas",
    showNavigationControl: false,
    mouseNavEnabled: false,
    keyboardNavEnabled: false,
    animationTime: 0,
    blendTime: 0,
    visibilityRatio: 0,
    minZoomImageRatio: 0,
    maxZoomPixelRatio: Infinity,
    constrainDuringPan: false,
    wrapHorizontal: false,
    wrapVertical: false,
    preserveImageSizeOnResize: false,
    imageSmoothingEnabled: false, // past 1:1 the pixels show as pixels: what a hint is placed on
    crossOriginPolicy: false,
  });
  // OpenSeadragon's canvas drawer stretches each tile by one screen pixel to hide seams; at 1:1 that moves the
  // tile's far pixels by up to one pixel from where the canvas puts them. Exact placement wins over seams.
  osd.drawer.minimumOverlapRequired = () => false;
  // Beneath the canvas and hidden from assistive technology: nothing in it takes the focus (the canvas does).
  const unfocusable = () => $("deepzoom").querySelectorAll("[tabindex]").forEach((e) => e.setAttribute("tabindex", "-1"));
  unfocusable();
  osd.addHandler("open", () => {
    unfocusable();
    viewer.baseExternal = true; // the canvas leaves the original to the tiles beneath it
    viewer.onView = () => sync(osd, viewer);
    $("workspace").dataset.deepzoom = found.kind;
    // data-tiles: whether every tile the view needs is drawn ("loaded") or still coming ("loading")
    osd.world.getItemAt(0).addHandler("fully-loaded-change", (e) => {
      $("workspace").dataset.tiles = e.fullyLoaded ? "loaded" : "loading";
      if (e.fullyLoaded && !state.metrics.tilesMs) state.metrics.tilesMs = performance.now(); // since navigation
    });
    viewer.invalidate();
  });
  osd.addHandler("open-failed", () => {
    viewer.baseExternal = false;
    viewer.onView = null;
    $("deepzoom").hidden = true;
    viewer.invalidate();
  });
  state.deepzoom = osd;
}
