// The collection page's IIIF import and BagIt export (docs/interop.md): each starts a background job
// (202 + status_url) and follows its status URL until it is done, showing progress and each item's outcome.
import { $, api, el } from "./api.js";
import { gettext, t } from "./i18n.js";

const POLL_MS = 1000;

function showError(id, err) {
  $(id).textContent = err ? err.message : "";
  $(id).hidden = !err;
}

async function follow(statusUrl, onUpdate) {
  for (;;) {
    const job = await api("GET", statusUrl);
    onUpdate(job);
    if (job.status === "done" || job.status === "failed") return job;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

function progress(job) {
  if (job.status === "queued") return gettext("Waiting to start…");
  if (job.status === "failed") return t("Failed: %(error)s", { error: job.error });
  const counts = t("%(done)s of %(total)s", { done: job.processed, total: job.total });
  return job.status === "done" ? t("Done: %(counts)s", { counts }) : t("Working: %(counts)s", { counts });
}

function canvasRow(result) {
  const outcome = { ok: gettext("imported"), skipped: gettext("already here"), error: gettext("error") }[result.status]
    || result.status;
  const text = result.message ? `${outcome}: ${result.message}` : outcome;
  return el("li", { class: `interop-${result.status}`, "data-status": result.status },
    el("span", {}, t("Canvas %(n)s", { n: result.index + 1 })), " ", el("span", {}, text));
}

function initImport(config, onImported) {
  const dialog = $("iiif-import-dialog");
  if (!dialog) return;
  $("iiif-import-open").addEventListener("click", () => dialog.showModal());
  $("iiif-import-close").addEventListener("click", () => dialog.close());
  $("iiif-import-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    showError("iiif-import-error", null);
    $("iiif-import-report").replaceChildren();
    const manifest = $("iiif-manifest-url").value.trim();
    try {
      const job = await api("POST", `/api/collections/${config.collectionId}/imports/iiif/`, { manifest });
      const finished = await follow(job.status_url, (j) => {
        $("iiif-import-status").textContent = progress(j);
        $("iiif-import-report").replaceChildren(...j.results.map(canvasRow));
      });
      if (finished.counts.ok) onImported();
    } catch (err) {
      showError("iiif-import-error", err);
    }
  });
}

function initExport(config) {
  const dialog = $("bagit-export-dialog");
  if (!dialog) return;
  $("bagit-export-open").addEventListener("click", () => dialog.showModal());
  $("bagit-export-close").addEventListener("click", () => dialog.close());
  $("bagit-export-start").addEventListener("click", async () => {
    showError("bagit-export-error", null);
    const link = $("bagit-export-download");
    link.hidden = true;
    $("bagit-export-start").disabled = true;
    try {
      const job = await api("POST", `/api/collections/${config.collectionId}/exports/bagit/`);
      const finished = await follow(job.status_url, (j) => {
        $("bagit-export-status").textContent = progress(j);
      });
      if (finished.download_url) {
        link.href = finished.download_url;
        link.hidden = false;
      }
    } catch (err) {
      showError("bagit-export-error", err);
    } finally {
      $("bagit-export-start").disabled = false;
    }
  });
}

export function initInterop(config, onImported) {
  initImport(config, onImported);
  initExport(config);
}
