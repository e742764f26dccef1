// The collection grid: thumbnails that appear when their derivatives are made (no reload), the toggle
// between published restorations and original scans, and selecting photos for a batch metadata edit
// (POST /api/collections/{id}/photos/metadata/: one service call, all or none).
import { $, api, el } from "./api.js";
import { format, gettext, ngettext, t } from "./i18n.js";

// ---- thumbnails being made ------------------------------------------------------------------------------
// One watcher per pending photo id. It looks its placeholder up again on every poll: the grid is replaced
// after each upload (collection.js refreshGrid), and a watcher holding the replaced element would put the
// thumbnail into a detached node while the visible one stays on "preparing…" for good.
const watching = new Set();

function placeholder(id) {
  return document.querySelector(`[data-pending="${CSS.escape(id)}"]`);
}

async function watchThumbnail(id, attempt = 0) {
  if (!placeholder(id)) {
    watching.delete(id); // the photo left the grid (another page, a filter): nothing to fill in
    return;
  }
  try {
    const photo = await api("GET", `/api/photos/${id}/`);
    const span = placeholder(id); // the grid may have been replaced while the request was out
    if (!span) {
      watching.delete(id);
      return;
    }
    if (photo.urls.thumbnail) {
      span.replaceWith(el("img", { src: photo.urls.thumbnail, alt: photo.title || photo.original_name, width: "160", height: "120", class: "thumb" }));
      watching.delete(id);
      return;
    }
    if (photo.derivatives_status === "failed") {
      span.textContent = t("no preview: %(error)s", { error: photo.derivatives_error });
      watching.delete(id);
      return;
    }
  } catch (err) {
    const span = placeholder(id);
    if (span) span.textContent = t("preparing… (%(error)s)", { error: err.message });
  }
  setTimeout(() => watchThumbnail(id, attempt + 1), Math.min(1000 + 500 * attempt, 5000));
}

export function watchPending() {
  document.querySelectorAll("[data-pending]").forEach((span) => {
    const id = span.dataset.pending;
    if (watching.has(id)) return; // its watcher finds this new placeholder on its next poll
    watching.add(id);
    watchThumbnail(id);
  });
}

// ---- published or original --------------------------------------------------------------------------------
function applyOriginals() {
  const originals = $("show-originals").checked;
  document.querySelectorAll("img.thumb[data-published]").forEach((img) => {
    img.src = originals ? img.dataset.original : img.dataset.published;
  });
}

// ---- selection and batch edit --------------------------------------------------------------------------
function selected() {
  return Array.from(document.querySelectorAll("#photo-grid input[name=selected]:checked")).map((c) => Number(c.value));
}

function updateBatchBar() {
  const bar = $("batch-bar");
  if (!bar) return;
  const n = selected().length;
  bar.hidden = n === 0;
  $("batch-count").textContent = format(ngettext("%(n)s photo selected", "%(n)s photos selected", n), { n });
}

async function applyBatch(e, onDone) {
  e.preventDefault();
  const f = e.target;
  const changes = {};
  for (const name of ["era", "place", "source", "rights", "date_display", "date_from", "date_to"]) {
    if (f.elements[name].value) changes[name] = f.elements[name].value;
  }
  if (f.elements.set_situations.checked) {
    changes.situations = Array.from(f.querySelectorAll("input[name=situations]:checked")).map((c) => c.value);
  }
  const err = $("batch-error");
  if (!Object.keys(changes).length) {
    err.textContent = gettext("Fill in at least one field.");
    err.hidden = false;
    return;
  }
  try {
    await api("POST", `/api/collections/${f.dataset.collection}/photos/metadata/`, { photos: JSON.parse(f.dataset.photos), changes });
    $("batch-dialog").close();
    onDone();
  } catch (ex) {
    err.textContent = ex.message;
    err.hidden = false;
  }
}

export function initGrid(config, refreshGrid) {
  watchPending();
  document.addEventListener("grid-refreshed", () => {
    watchPending();
    applyOriginals();
    updateBatchBar();
  });
  document.addEventListener("change", (e) => {
    if (e.target.id === "show-originals") applyOriginals();
    if (e.target.name === "selected") updateBatchBar();
  });
  if (!$("batch-dialog")) return;
  $("batch-form").dataset.collection = config.collectionId;
  document.addEventListener("click", (e) => {
    if (e.target.id === "batch-edit") {
      $("batch-form").reset();
      $("batch-form").dataset.photos = JSON.stringify(selected()); // what was ticked when the dialog opened
      $("batch-error").hidden = true;
      $("batch-title").textContent = format(ngettext("Edit %(n)s photo", "Edit %(n)s photos", selected().length), { n: selected().length });
      $("batch-dialog").showModal();
    } else if (e.target.id === "batch-clear") {
      document.querySelectorAll("#photo-grid input[name=selected]").forEach((c) => {
        c.checked = false;
      });
      updateBatchBar();
    }
  });
  $("batch-cancel").addEventListener("click", () => $("batch-dialog").close());
  $("batch-form").addEventListener("submit", (e) => applyBatch(e, refreshGrid));
}
