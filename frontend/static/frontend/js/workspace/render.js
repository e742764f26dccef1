// Full-resolution renders: start one, follow its progress (room events, and a poll of GET /api/runs/{id}/
// while it runs), cancel it, and show the new version when done. Another person's render shows in the
// status line. Every run event (run.queued, run.started, run.progress, run.done, run.failed,
// run.cancelled) carries the run as `run`, exactly as GET /api/runs/{id}/ answers it.
import { api, errorMessage, uploadWithProgress } from "../api.js";
import { gettext, t } from "../i18n.js";
import { setLayer } from "./canvas.js";
import { state } from "./state.js";
import { $, selectTab, toast } from "./ui.js";
import { loadVersions } from "./versions.js";

const ACTIVE = ["queued", "running"];
const FINISHED = ["done", "failed", "cancelled"];

function statusText(run) {
  return {
    queued: gettext("Render queued…"),
    running: t("Rendering… %(pct)s%", { pct: run.progress }),
    done: gettext("Render done: a new version is in the Versions panel."),
    failed: t("Render failed: %(error)s", { error: run.error }),
    cancelled: gettext("Render cancelled."),
  }[run.status];
}

function showRun(run) {
  const active = ACTIVE.includes(run.status);
  $("render-progress").hidden = !active;
  $("render-cancel").hidden = !active;
  $("render").disabled = active;
  $("render-progress").value = run.progress;
  $("render-status").textContent = statusText(run);
  $("workspace").dataset.run = run.status;
}

function mergeRun(changes) {
  const run = state.activeRun;
  const before = run.status;
  // a finished run never runs again: an event or poll answer sent before it finished, arriving late, is stale
  if (FINISHED.includes(before) && ACTIVE.includes(changes.status)) return;
  // progress never goes backwards within one status (a late poll answer after a newer event)
  const progress = changes.status === run.status ? Math.max(run.progress, changes.progress) : changes.progress;
  state.activeRun = { ...run, ...changes, progress };
  showRun(state.activeRun);
  if (FINISHED.includes(state.activeRun.status)) {
    clearInterval(state.runPoll);
    state.runPoll = null;
    if (state.activeRun.status === "done" && before !== "done") showRunVersion(state.activeRun.version);
  }
}

async function pollRun() {
  if (!state.activeRun) return;
  try {
    mergeRun(await api("GET", `/api/runs/${state.activeRun.id}/`));
  } catch (err) {
    $("render-status").textContent = t("Could not ask how the render is going (%(error)s); the room's events still count.", { error: err.message });
  }
}

async function showRunVersion(versionId) {
  await loadVersions(false);
  if (state.versions.has(versionId)) {
    await setLayer(`v${versionId}`);
    selectTab("versions");
    $("workspace").dataset.version = String(versionId);
  }
}

async function startRender() {
  const { photo } = state;
  const form = new FormData();
  form.append("hints", $("run-hints").value);
  if (photo.era) form.append("era", photo.era);
  if (photo.situations[0]) form.append("situation", photo.situations[0]);
  if (state.referenceFile) form.append("reference_image", state.referenceFile, state.referenceFile.name);
  else if (state.referenceId) form.append("reference", state.referenceId);
  $("render-status").textContent = gettext("Starting the render…");
  const { status, body } = await uploadWithProgress(`/api/photos/${photo.id}/runs/`, form, () => {});
  if (status < 200 || status >= 300) {
    $("render-status").textContent = t("Could not start the render: %(error)s", { error: errorMessage(status, body) });
    return;
  }
  state.activeRun = body;
  showRun(body);
  clearInterval(state.runPoll);
  state.runPoll = setInterval(pollRun, 1500);
}

async function cancelRender() {
  if (!state.activeRun) return;
  try {
    mergeRun(await api("POST", `/api/runs/${state.activeRun.id}/cancel/`));
  } catch (err) {
    toast(t("Could not cancel: %(error)s", { error: err.message }), "error");
  }
}

function onRunEvent(frame) {
  const run = frame.run;
  const mine = state.activeRun && state.activeRun.id === run.id;
  if (mine) mergeRun(run);
  else if (!(state.activeRun && ACTIVE.includes(state.activeRun.status))) {
    // someone else's render: say so (the progress bar and Cancel are theirs)
    const text = { "run.queued": gettext("queued"), "run.started": gettext("started"), "run.progress": `${run.progress}%`,
      "run.done": gettext("done"), "run.failed": gettext("failed"), "run.cancelled": gettext("cancelled") }[frame.type];
    $("render-status").textContent = t("Render by %(user)s: %(state)s", { user: run.requested_by, state: text });
  }
  if (frame.type === "run.done") loadVersions(false);
}

export function initRender() {
  state.room.addEventListener("event", (e) => {
    const frame = e.detail;
    if (frame.type.startsWith("run.")) onRunEvent(frame);
    else if (frame.type.startsWith("version.") || frame.type.startsWith("review.")) loadVersions(false);
  });
  if (!$("render")) return;
  $("render").addEventListener("click", startRender);
  $("render-cancel").addEventListener("click", cancelRender);
}
