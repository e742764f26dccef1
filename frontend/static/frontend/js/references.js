// A collection's colour references (docs/adaptation.md): thumbnails, upload and removal for curators, and the
// adaptation's held-out figure ("colour references: 38 photos; on 8 held-out ones +0.6 dB") with its rebuild
// status, polled while a rebuild is under way.
import { $, del, el, errorMessage, get, uploadWithProgress } from "./api.js";
import { format, formatNumber, gettext, ngettext, t } from "./i18n.js";

const POLL_MS = 3000;
let pollTimer = null;

function signed(delta) {
  const text = formatNumber(Math.abs(delta), { minimumFractionDigits: 1, maximumFractionDigits: 2 });
  return `${delta < 0 ? "−" : "+"}${text}`;
}

// One sentence for the state of the collection's adaptation.
export function adaptationSentence(state) {
  const n = state.references;
  const photos = format(ngettext("colour references: %(n)s photo", "colour references: %(n)s photos", n), { n });
  const current = state.current;
  let text;
  if (current && current.n_heldout && typeof current.delta_db === "number") {
    const figure = { n: current.n_heldout, delta: signed(current.delta_db) };
    if (current.passed) {
      text = `${photos}; ${format(ngettext("on %(n)s held-out one %(delta)s dB", "on %(n)s held-out ones %(delta)s dB", figure.n), figure)}`;
    } else if (current.delta_db > 0 && typeof current.lower_db === "number") {
      // a gain on average, but too uneven from photo to photo to be trusted (docs/adaptation.md, the gate)
      figure.lower = signed(current.lower_db);
      text = `${photos}; ${format(ngettext("not used: on %(n)s held-out one %(delta)s dB, too uneven to trust (lower bound %(lower)s dB)", "not used: on %(n)s held-out ones %(delta)s dB, too uneven to trust (lower bound %(lower)s dB)", figure.n), figure)}`;
    } else {
      text = `${photos}; ${format(ngettext("not used: on %(n)s held-out one %(delta)s dB", "not used: on %(n)s held-out ones %(delta)s dB", figure.n), figure)}`;
    }
  } else if (n < state.min_references || (current && !current.passed && current.n_references < state.min_references)) {
    // (the second case: the current adaptation was built from too few, and its rebuild has not finished yet)
    text = `${photos}; ${t("not used: at least %(min)s are needed", { min: state.min_references })}`;
  } else if (current && !current.passed) {
    // the gate's own reason is English text from ml/; the page says it in the reader's language
    text = `${photos}; ${t("not used: %(reason)s", { reason: gettext("the check failed") })}`;
  } else {
    text = photos;
  }
  if (state.building) text += ` · ${gettext("rebuilding…")}`;
  else if (state.latest && state.latest.status === "failed") text += ` · ${t("the last rebuild failed: %(error)s", { error: state.latest.error })}`;
  return text;
}

// While a rebuild is under way, or after a change until its rebuild shows up (the job starts after the commit),
// the status is asked again every few seconds (at most MAX_WAITS times for a rebuild that has not started).
const MAX_WAITS = 40;
let waitingFor = null; // {before: id of the newest attempt when the change was made, waits}

async function refreshStatus(config) {
  const box = $("adaptation-status");
  clearTimeout(pollTimer);
  try {
    const state = await get(`/api/collections/${config.collectionId}/adaptation/`);
    box.textContent = adaptationSentence(state);
    const newest = state.latest ? state.latest.id : null;
    if (waitingFor && (newest !== waitingFor.before || waitingFor.waits >= MAX_WAITS)) waitingFor = null;
    const again = state.building || waitingFor;
    box.dataset.building = again ? "true" : "false";
    box.dataset.adaptation = state.current ? String(state.current.id) : "";
    box.dataset.latest = newest === null ? "" : String(newest);
    if (waitingFor) waitingFor.waits += 1;
    if (again) pollTimer = setTimeout(() => refreshStatus(config), POLL_MS);
  } catch (err) {
    box.textContent = t("Could not load the adaptation: %(error)s", { error: err.message });
  }
}

function expectRebuild() {
  const box = $("adaptation-status");
  const shown = box.dataset.latest;
  waitingFor = { before: shown === undefined || shown === "" ? null : Number(shown), waits: 0 };
}

function referenceItem(config, ref) {
  const label = ref.title || t("reference %(id)s", { id: ref.id });
  const item = el("li", { class: "reference-item", dataset: { reference: ref.id } },
    el("img", { src: ref.image, alt: label, class: "reference-thumb", loading: "lazy", width: "96", height: "72" }),
    el("span", { class: "meta" }, label));
  if (config.canEdit) {
    const remove = el("button", { type: "button", class: "link", "aria-label": t("Remove %(name)s", { name: label }) }, gettext("Remove"));
    remove.addEventListener("click", async () => {
      remove.disabled = true;
      try {
        await del(`/api/references/${ref.id}/`);
        expectRebuild();
        item.remove();
        await refreshStatus(config);
      } catch (err) {
        remove.disabled = false;
        item.append(el("span", { class: "error", role: "alert" }, err.message));
      }
    });
    item.append(remove);
  }
  return item;
}

async function refreshList(config) {
  const list = $("reference-list");
  try {
    const body = await get(`/api/collections/${config.collectionId}/references/`);
    list.replaceChildren(...body.results.map((ref) => referenceItem(config, ref)));
    if (!body.results.length) list.append(el("li", { class: "empty meta" }, gettext("No colour references yet.")));
  } catch (err) {
    list.replaceChildren(el("li", { class: "error", role: "alert" }, err.message));
  }
}

async function uploadReferences(config, files) {
  const rows = $("reference-uploads");
  for (const file of files) {
    const status = el("span", { class: "upload-status" }, gettext("uploading…"));
    const row = el("li", { class: "upload-row" }, el("span", { class: "upload-name" }, file.name), status);
    rows.append(row);
    const form = new FormData();
    form.append("image", file, file.name);
    form.append("title", file.name.replace(/\.[^.]+$/, ""));
    const { status: code, body } = await uploadWithProgress(`/api/collections/${config.collectionId}/references/`, form, () => {});
    if (code === 201) {
      status.textContent = gettext("added");
    } else {
      row.classList.add("failed");
      status.setAttribute("role", "alert");
      status.textContent = errorMessage(code, body, gettext("upload failed"));
    }
  }
  expectRebuild();
  await refreshList(config);
  await refreshStatus(config);
}

export function initReferences(config) {
  if (!$("colour-references")) return;
  const input = $("reference-upload");
  if (input) {
    input.addEventListener("change", async () => {
      const files = [...input.files];
      input.value = "";
      await uploadReferences(config, files);
    });
  }
  refreshList(config);
  refreshStatus(config);
}
