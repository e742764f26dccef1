// Collection page: sort auto-submit, drag-and-drop upload with a progress bar and a clear error per file,
// and the metadata editor (PATCH /api/photos/{id}/).
import { el, errorMessage, get, uploadWithProgress } from "./api.js";
import { format, gettext, ngettext, pgettext, t } from "./i18n.js";
import { initFilterFold } from "./filters.js";
import { initGrid } from "./grid.js";
import { initInterop } from "./interop.js";
import { initManage } from "./manage.js";
import { initMetadataDialog, openMetadataEditor } from "./metadata.js";
import { initReferences } from "./references.js";

const config = JSON.parse(document.getElementById("page-config").textContent);

document.querySelectorAll("[data-autosubmit]").forEach((s) =>
  s.addEventListener("change", () => s.form.submit()));

// ---- upload -------------------------------------------------------------------------------------------
const dropzone = document.getElementById("dropzone");
const list = document.getElementById("upload-list");
const input = document.getElementById("file-input");
const CONCURRENCY = 2;
let queue = [];
let active = 0;
let changed = false;

function isZip(file) {
  return /\.zip$/i.test(file.name) || file.type === "application/zip" || file.type === "application/x-zip-compressed";
}

function addRow(file) {
  const progress = el("progress", { max: "100", value: "0", "aria-label": t("Upload progress of %(name)s", { name: file.name }) });
  const status = el("span", { class: "upload-status", text: pgettext("upload", "waiting") });
  const row = el("li", { class: "upload-row", dataset: { name: file.name } },
    el("span", { class: "upload-name", text: file.name }), progress, status);
  list.append(row);
  return { row, progress, status };
}

function fail(ui, message) {
  ui.row.classList.add("failed");
  ui.status.textContent = message;
  ui.status.setAttribute("role", "alert");
  ui.progress.value = 0;
}

// The ZIP endpoint reports per member (archive.serializers.ZipReportSerializer): {counts, results: [{name,
// status: ok|duplicate|error|skipped, photo_id, code, message}]}; each one not added is listed under the row.
function zipReport(ui, body) {
  let bad = 0;
  const sub = el("ul", { class: "zip-report" });
  for (const r of body.results) {
    if (r.status !== "ok") bad += 1;
    const text = r.status === "ok" ? gettext("uploaded") : r.message;
    sub.append(el("li", { class: r.status === "ok" ? "ok" : "failed" }, `${r.name}: ${text}`));
  }
  ui.row.append(sub);
  return bad;
}

// One sentence per refused file: a duplicate's message already names the photo it duplicates.
function refusal(status, body) {
  if (body && body.error && body.error.code === "duplicate") return body.error.message;
  return errorMessage(status, body, gettext("upload failed"));
}

async function uploadOne(file) {
  const ui = addRow(file);
  queue.push({ file, ui });
  pump();
}

async function run({ file, ui }) {
  ui.status.textContent = pgettext("upload", "uploading…");
  const form = new FormData();
  form.append("file", file, file.name);
  const url = isZip(file) && config.zipUploadUrl ? config.zipUploadUrl : config.uploadUrl;
  const { status, body } = await uploadWithProgress(url, form, (f) => {
    ui.progress.value = Math.round(f * 100);
  });
  if (status === 202 && body && body.status_url) {
    // A heavy ZIP is ingested in the background: follow its batch until the report is complete.
    await followBatch(ui, body);
    return;
  }
  if (status >= 200 && status < 300) {
    ui.progress.value = 100;
    changed = true;
    if (isZip(file)) {
      showZipReport(ui, body);
    } else {
      ui.status.textContent = gettext("uploaded");
      ui.row.classList.add("ok");
    }
  } else {
    fail(ui, `${file.name}: ${refusal(status, body)}`);
  }
}

function showZipReport(ui, body) {
  const bad = zipReport(ui, body);
  ui.status.textContent = bad
    ? format(ngettext("done, %(n)s file not added", "done, %(n)s files not added", bad), { n: bad })
    : gettext("done");
  if (bad) ui.row.classList.add("partial");
}

// A heavy ZIP is a background batch (202): poll GET /api/batches/{id}/ (UploadBatchSerializer) for its
// progress until its report is complete.
async function followBatch(ui, batch) {
  let state = batch;
  while (state.status === "queued" || state.status === "running") {
    ui.status.textContent = format(gettext("processing %(done)s of %(total)s…"), {
      done: state.processed,
      total: state.total,
    });
    ui.progress.value = state.total ? Math.round((100 * state.processed) / state.total) : 0;
    await new Promise((resolve) => setTimeout(resolve, 1000));
    try {
      state = await get(batch.status_url);
    } catch (error) {
      fail(ui, error.message || gettext("the batch's progress could not be read"));
      return;
    }
  }
  changed = true;
  if (state.status === "failed") {
    fail(ui, state.error || gettext("the batch failed"));
    return;
  }
  ui.progress.value = 100;
  showZipReport(ui, state);
}

function pump() {
  while (active < CONCURRENCY && queue.length) {
    const job = queue.shift();
    active += 1;
    run(job).finally(() => {
      active -= 1;
      if (!active && !queue.length && changed) {
        changed = false;
        refreshGrid();
      }
      pump();
    });
  }
}

async function refreshGrid() {
  const response = await fetch(location.href, { credentials: "same-origin" });
  const html = new DOMParser().parseFromString(await response.text(), "text/html");
  for (const sel of ["#grid-wrap", "aside.facets"]) {
    const fresh = html.querySelector(sel);
    const here = document.querySelector(sel);
    if (fresh && here) here.replaceWith(fresh);
  }
  bindEditButtons();
  document.dispatchEvent(new CustomEvent("grid-refreshed"));
}

if (dropzone) {
  const files = (items) => Array.from(items).forEach(uploadOne);
  ["dragenter", "dragover"].forEach((t) => dropzone.addEventListener(t, (e) => {
    e.preventDefault();
    dropzone.classList.add("over");
  }));
  ["dragleave", "drop"].forEach((t) => dropzone.addEventListener(t, (e) => {
    e.preventDefault();
    dropzone.classList.remove("over");
  }));
  dropzone.addEventListener("drop", (e) => files(e.dataTransfer.files));
  input.addEventListener("change", () => {
    files(input.files);
    input.value = "";
  });
  dropzone.addEventListener("keydown", (e) => {
    if (e.key === "Enter" || e.key === " ") {
      e.preventDefault();
      input.click();
    }
  });
}

// ---- metadata -----------------------------------------------------------------------------------------
function bindEditButtons() {
  document.querySelectorAll("button.edit-meta").forEach((b) => {
    if (b.dataset.bound) return;
    b.dataset.bound = "1";
    b.addEventListener("click", () => openMetadataEditor(b.dataset.photo, refreshGrid));
  });
}

if (initMetadataDialog()) bindEditButtons();

initManage(config);
initGrid(config, refreshGrid);
initFilterFold();
initInterop(config, refreshGrid);
initReferences(config);
