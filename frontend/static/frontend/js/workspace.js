// The photo workspace: builds the shared state (state.js), the canvas (viewer.js) and the room connection
// (room.js), then starts each panel module. Each module owns one panel; they share `state` only.
import { gettext } from "./i18n.js";
import { Room } from "./room.js";
import { Viewer } from "./viewer.js";
import { initCanvas, loadOriginal, setBefore, setLayer, snapshotArrived, updateRevision } from "./workspace/canvas.js";
import { initColour } from "./workspace/colour.js";
import { initDetails } from "./workspace/details.js";
import { initGuidance } from "./workspace/guidance.js";
import { initHints } from "./workspace/hints.js";
import { initPlace } from "./workspace/place.js";
import { initPresence } from "./workspace/presence.js";
import { initRender } from "./workspace/render.js";
import { state } from "./workspace/state.js";
import { initShortcuts } from "./workspace/shortcuts.js";
import { $, initTabs, selectTab, toast } from "./workspace/ui.js";
import { initVersions, loadVersions } from "./workspace/versions.js";

export { state };

const { config, photo } = state;

const viewer = new Viewer($("canvas"), photo.width, photo.height);
viewer.origWidth = photo.width;
viewer.readOnly = !config.canEdit;
viewer.canChangeVerified = config.canReview; // curators may not change a verified hint (reviewers may)
viewer.tool = config.canEdit ? "point" : "pan";
state.viewer = viewer;
state.room = new Room(config.wsPath);

const room = state.room;
room.addEventListener("status", (e) => {
  $("conn").textContent = e.detail.connected ? gettext("live") : gettext("reconnecting…");
  $("conn").className = `conn ${e.detail.connected ? "ok" : "down"}`;
});
room.addEventListener("refused", (e) => {
  $("conn").textContent = e.detail.code === 4403 ? gettext("not allowed in this room") : gettext("room unavailable");
});
room.addEventListener("hints", updateRevision);
room.addEventListener("server-error", (e) => toast(e.detail.message, "error"));

initCanvas();
initColour();
initHints();
initPlace();
initPresence();
initRender();
initVersions();
if (config.live) initGuidance();
initDetails();
initShortcuts();
initTabs();

loadOriginal().catch((err) => {
  $("canvas-status").textContent = err.message;
});
if (config.live) room.connect();
else showPublished();
// A visitor of a public photo (not a member): no room, no hints and no drafts; the published restoration
// against the original, with its provenance in the Versions panel.
function showPublished() {
  snapshotArrived();
  for (const tab of ["hints", "guidance"]) $(`tab-${tab}`).hidden = true;
  selectTab("versions");
  $("conn").textContent = gettext("read only");
}

const versionsLoaded = loadVersions(false);
versionsLoaded.then(async () => {
  if (config.live) return;
  const published = Array.from(state.versions.values()).find((v) => v.published);
  if (published) {
    await setLayer(`v${published.id}`);
    await setBefore("original");
  } else toast(gettext("No restoration of this photo is published yet."), "info");
});
versionsLoaded.then(async () => {
  // /photos/ID/?version=V (from the review queue): show V against the original, versions panel open.
  const wanted = Number(new URLSearchParams(location.search).get("version"));
  if (wanted && state.versions.has(wanted)) {
    await setLayer(`v${wanted}`);
    await setBefore("original");
    selectTab("versions");
  }
});
