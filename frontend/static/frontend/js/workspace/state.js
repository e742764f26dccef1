// The workspace's one shared state object. Every panel module reads and writes it; nothing else is global.
const config = JSON.parse(document.getElementById("page-config").textContent);

export const state = {
  config,
  photo: config.photo, // the photo as GET /api/photos/{id}/ sends it (PhotoSerializer)
  room: null, // Room (room.js): hints, people, revision
  viewer: null, // Viewer (viewer.js): the canvas
  metrics: { readyMs: null, imageMs: null, snapshotMs: null, lastAckMs: null, previewAt: null, tilesMs: null },
  color: "#b22222", // the colour the NEXT hint gets
  recent: [],
  planeL: 50, // lightness the ab plane is drawn at
  lumaCanvas: null, // small copy of the web image, for the lightness under a point
  previewRevision: null,
  previewError: null,
  versions: new Map(), // id -> version (colorize.services.review.version_dict)
  versionImages: new Map(),
  activeRun: null, // the run this tab started (run_dict)
  runPoll: null,
  referenceFile: null,
  referenceId: null,
  compareAfterRun: null, // {run, before}: a render without the adaptation, compared with `before` once done
  redo: [], // changes this tab undid, newest last (see hints.js)
};
