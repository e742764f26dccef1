// Collection page: sort auto-submit, drag-and-drop upload with a progress bar and a clear error per file,
// and the metadata editor (PATCH /api/photos/{id}/).
import { api, el, errorMessage, uploadWithProgress } from "./api.js";

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
  const progress = el("progress", { max: "100", value: "0", "aria-label": `Upload progress of ${file.name}` });
  const status = el("span", { class: "upload-status", text: "waiting" });
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

function zipReport(ui, body) {
  // The ZIP endpoint reports per entry; show each failure under the archive's row.
  const entries = Array.isArray(body) ? body : body && (body.results || body.files || body.report || body.items);
  if (!Array.isArray(entries)) return 0;
  let bad = 0;
  const sub = el("ul", { class: "zip-report" });
  for (const e of entries) {
    const name = e.name || e.filename || e.file || "?";
    const st = e.status || (e.error ? "error" : "ok");
    const msg = e.message || (e.error && (typeof e.error === "string" ? e.error : e.error.message)) || "";
    if (st !== "ok") bad += 1;
    const text = st === "ok" ? "uploaded" : st === "duplicate" ? `already in this collection${msg ? ` (${msg})` : ""}`
      : msg || st;
    sub.append(el("li", { class: st === "ok" ? "ok" : "failed" }, `${name}: ${text}`));
  }
  ui.row.append(sub);
  return bad;
}

async function uploadOne(file) {
  const ui = addRow(file);
  queue.push({ file, ui });
  pump();
}

async function run({ file, ui }) {
  ui.status.textContent = "uploading…";
  const form = new FormData();
  form.append("file", file, file.name);
  const url = isZip(file) && config.zipUploadUrl ? config.zipUploadUrl : config.uploadUrl;
  const { status, body } = await uploadWithProgress(url, form, (f) => {
    ui.progress.value = Math.round(f * 100);
  });
  if (status >= 200 && status < 300) {
    ui.progress.value = 100;
    changed = true;
    if (isZip(file)) {
      const bad = zipReport(ui, body);
      ui.status.textContent = bad ? `done, ${bad} file${bad > 1 ? "s" : ""} not added` : "done";
      if (bad) ui.row.classList.add("partial");
    } else {
      ui.status.textContent = "uploaded";
      ui.row.classList.add("ok");
    }
  } else {
    const dup = body && body.error && body.error.code === "duplicate";
    fail(ui, `${file.name}: ${errorMessage(status, body, "upload failed")}${dup ? "" : ""}`);
  }
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
const dialog = document.getElementById("metadata-dialog");
const form = document.getElementById("metadata-form");
let editing = null;

async function openEditor(photoId) {
  editing = photoId;
  const err = document.getElementById("metadata-error");
  err.hidden = true;
  form.reset();
  try {
    const photo = await api("GET", `/api/photos/${photoId}/`);
    for (const field of ["title", "description", "creator", "date_display", "date_from", "date_to", "place",
      "source", "rights", "identifier"]) {
      if (form.elements[field]) form.elements[field].value = photo[field] ?? "";
    }
    const era = photo.era && typeof photo.era === "object" ? photo.era.slug : photo.era;
    form.elements.era.value = era || "";
    const situations = (photo.situations || []).map((s) => (typeof s === "object" ? s.slug : s));
    form.querySelectorAll("input[name=situations]").forEach((c) => {
      c.checked = situations.includes(c.value);
    });
  } catch (e) {
    err.textContent = `Could not load the metadata: ${e.message}`;
    err.hidden = false;
  }
  dialog.showModal();
  form.elements.title.focus();
}

function bindEditButtons() {
  document.querySelectorAll("button.edit-meta").forEach((b) => {
    if (b.dataset.bound) return;
    b.dataset.bound = "1";
    b.addEventListener("click", () => openEditor(b.dataset.photo));
  });
}

if (dialog) {
  bindEditButtons();
  document.getElementById("metadata-cancel").addEventListener("click", () => dialog.close());
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const data = {};
    for (const field of ["title", "description", "creator", "date_display", "date_from", "date_to", "place",
      "source", "rights", "identifier", "era"]) {
      const v = form.elements[field].value;
      data[field] = (field.startsWith("date_") && field !== "date_display") || field === "era" ? v || null : v;
    }
    data.situations = Array.from(form.querySelectorAll("input[name=situations]:checked")).map((c) => c.value);
    const err = document.getElementById("metadata-error");
    try {
      await api("PATCH", `/api/photos/${editing}/`, data);
      dialog.close();
      refreshGrid();
    } catch (ex) {
      err.textContent = ex.message;
      err.hidden = false;
    }
  });
}
