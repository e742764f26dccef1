// Guidance: the photo's era and situations (saved on the photo) and a reference colour photo for the next
// render, optionally kept as a reference of the era / situation (colorize.serializers.reference_json).
import { api, el, errorMessage, uploadWithProgress } from "../api.js";
import { gettext, t } from "../i18n.js";
import { state } from "./state.js";
import { $, toast } from "./ui.js";

function renderGuidance() {
  const { config, photo } = state;
  const era = $("g-era");
  for (const e of config.eras) era.append(el("option", { value: e.slug, selected: e.slug === photo.era }, e.name));
  const fs = $("g-situations");
  for (const s of config.situations) {
    fs.append(el("label", {}, el("input", {
      type: "checkbox", name: "situations", value: s.slug, checked: photo.situations.includes(s.slug),
      disabled: !config.canEdit,
    }), ` ${s.name}`));
  }
}

async function saveGuidance(e) {
  e.preventDefault();
  const f = e.target;
  const data = {
    era: f.elements.era.value || null,
    situations: Array.from(f.querySelectorAll("input[name=situations]:checked")).map((c) => c.value),
  };
  try {
    const photo = await api("PATCH", `/api/photos/${state.photo.id}/`, data);
    state.photo = { ...state.photo, ...photo };
    $("g-status").textContent = gettext("Saved: the next preview and render use this context.");
  } catch (err) {
    $("g-status").textContent = err.message;
  }
}

async function loadReferences() {
  const box = $("reference-pick");
  const { photo, config } = state;
  let refs;
  try {
    refs = (await api("GET", `/api/references/?${new URLSearchParams(photo.era ? { era: photo.era } : {})}`)).results;
    if (!refs.length && photo.era) refs = (await api("GET", "/api/references/")).results;
  } catch (err) {
    box.replaceChildren(box.querySelector("legend"), el("p", { class: "meta error" }, t("Could not load the references: %(error)s", { error: err.message })));
    return;
  }
  const legend = box.querySelector("legend");
  box.replaceChildren(legend);
  if (!refs.length) {
    box.append(el("p", { class: "meta" }, gettext("No reference photos yet.")));
    return;
  }
  const none = el("input", { type: "radio", name: "reference", value: "", checked: true, disabled: !config.canEdit });
  box.append(el("label", {}, none, ` ${gettext("none (the collection’s or era’s adaptation guides the colours, when it passed its check)")}`));
  for (const r of refs.slice(0, 12)) {
    const input = el("input", { type: "radio", name: "reference", value: r.id, disabled: !config.canEdit });
    const context = [r.era, r.situation].filter(Boolean).join(", ");
    box.append(el("label", { class: "reference-option" }, input,
      r.image ? el("img", { src: r.image, alt: "", class: "reference-mini" }) : "",
      ` ${r.title || t("reference %(id)s", { id: r.id })}${context ? ` (${context})` : ""}`));
  }
  box.onchange = (e) => {
    state.referenceId = e.target.value || null;
  };
}

function clearReference() {
  state.referenceFile = null;
  $("reference-input").value = "";
  $("reference-preview").replaceChildren();
}

async function keepReference(source) {
  const { photo } = state;
  const file = state.referenceFile;
  const form = new FormData();
  form.append("image", file, file.name);
  form.append("title", file.name);
  form.append("source", source);
  if (photo.era) form.append("era", photo.era);
  if (photo.situations[0]) form.append("situation", photo.situations[0]);
  const { status, body } = await uploadWithProgress("/api/references/", form, () => {});
  if (status < 200 || status >= 300) {
    toast(t("Could not keep the reference: %(error)s", { error: errorMessage(status, body) }), "error");
    return;
  }
  toast(gettext("Kept as a reference: it now guides renders of this era and situation."), "info", 4000);
  clearReference();
  await loadReferences();
  const radio = document.querySelector(`#reference-pick input[value="${body.id}"]`);
  if (radio) {
    radio.checked = true;
    state.referenceId = String(body.id);
  }
}

function onReferenceChosen(e) {
  state.referenceFile = e.target.files[0] || null;
  const box = $("reference-preview");
  box.replaceChildren();
  if (!state.referenceFile) return;
  const name = state.referenceFile.name;
  const source = el("input", { type: "text", id: "reference-source", "aria-label": gettext("Source of the reference photo"),
    placeholder: gettext("source (archive, book, URL)") });
  box.append(el("img", { src: URL.createObjectURL(state.referenceFile), alt: t("Reference photo %(name)s", { name }), class: "reference-thumb" }),
    el("p", { class: "meta" }, gettext("Used by the next render.")), source,
    el("button", { type: "button", class: "link", "aria-label": gettext("Keep it as a reference for this era and situation"),
      onclick: () => keepReference(source.value.trim()) }, gettext("Keep as a reference for this era / situation")),
    " ", el("button", { type: "button", class: "link", onclick: clearReference }, gettext("Remove reference")));
}

export function initGuidance() {
  renderGuidance();
  $("guidance-form").addEventListener("submit", saveGuidance);
  if ($("reference-input")) $("reference-input").addEventListener("change", onReferenceChosen);
  loadReferences();
}
