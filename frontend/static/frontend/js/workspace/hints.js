// Hints: the list panel, selecting, placing (point and brush; a brush fence), moving, recolouring the selected
// hint (an explicit act), each hint's reach, the evidence form of the selected hint (curators and up), deleting,
// undo and redo, and the verify dialog.
import { api, el, timeAgo } from "../api.js";
import { gettext, t } from "../i18n.js";
import { snapshotArrived } from "./canvas.js";
import { askSuggest, clearSuggestions, pushRecent, setColor } from "./colour.js";
import { state } from "./state.js";
import { $, reportError, toast } from "./ui.js";

const EDITABLE = ["x", "y", "shape", "radius", "points", "width", "color", "reach", "evidence_note", "evidence_source", "evidence_url"];
const EVIDENCE = ["evidence_note", "evidence_source", "evidence_url"];

function reachName(reach) {
  return { object: gettext("this object"), region: gettext("this region"), wide: gettext("wide") }[reach] || reach;
}

// The reach the next hint gets (the select beside the colour).
function nextReach() {
  const select = $("hint-reach");
  return select ? select.value : "wide";
}

function hintsSorted() {
  return Array.from(state.room.hints.values()).sort((a, b) => a.id - b.id);
}

function selectedHint() {
  const id = state.viewer.selected;
  return id === null ? null : state.room.hints.get(id) || null;
}

function canChange(hint) {
  return state.config.canEdit && (hint.status !== "verified" || state.config.canReview);
}

// The "Recolour the selected hint" button: shown when a hint is selected and the chosen colour differs.
export function updateRecolour() {
  const button = $("recolor-hint");
  if (!button) return;
  const hint = selectedHint();
  const show = Boolean(hint) && canChange(hint);
  button.hidden = !show;
  if (!show) return;
  button.disabled = hint.color === state.color;
  $("recolor-text").textContent = t("Recolour hint #%(id)s to %(color)s", { id: hint.id, color: state.color });
  $("recolor-from").style.background = hint.color;
  $("recolor-to").style.background = state.color;
}

export function renderHints() {
  const { viewer, room, config } = state;
  const hints = hintsSorted();
  viewer.hints = hints;
  if (viewer.selected !== null && !room.hints.has(viewer.selected)) viewer.selected = null;
  viewer.invalidate();
  $("hint-count").textContent = String(hints.length);
  const list = $("hint-list");
  list.replaceChildren(...hints.map(hintItem));
  if (!hints.length) {
    list.append(el("li", { class: "meta" }, config.canEdit
      ? gettext("No hints yet: choose a colour and click the photo.") : gettext("No hints yet.")));
  }
  updateRecolour();
  renderEvidenceForm();
}

function reachControl(h) {
  if (h.shape === "fence" || !canChange(h)) {
    return h.shape === "fence" ? "" : el("span", { class: "hint-reach" }, t("reach: %(reach)s", { reach: reachName(h.reach) }));
  }
  const select = el("select", {
    class: "hint-reach", "aria-label": t("Reach of hint %(id)s", { id: h.id }),
    onchange: (e) => changeReach(h.id, e.target.value),
  }, ...["wide", "region", "object"].map((r) => el("option", { value: r, selected: r === h.reach ? "" : null }, reachName(r))));
  select.value = h.reach || "wide";
  return select;
}

async function changeReach(id, reach) {
  try {
    await state.room.update(id, { reach });
    state.redo.length = 0;
    toast(t("Hint #%(id)s now reaches: %(reach)s.", { id, reach: reachName(reach) }), "info", 3000);
  } catch (err) {
    reportError(err, gettext("Could not change the reach"));
    renderHints();
  }
}

function hintItem(h) {
  const { config, viewer } = state;
  const selected = h.id === viewer.selected;
  const verified = h.status === "verified";
  const evidence = [h.evidence_note, h.evidence_source].filter(Boolean).join(" — ");
  const shape = h.shape === "fence" ? gettext("fence") : h.shape === "stroke" ? gettext("stroke") : gettext("point");
  const statusText = verified ? gettext("verified") : gettext("suggested");
  return el("li", {
    class: `hint-item${selected ? " selected" : ""}`, "data-hint": h.id, "data-revision": h.revision,
    "data-color": h.color, "data-x": h.x.toFixed(4), "data-y": h.y.toFixed(4), "aria-current": selected ? "true" : null,
  },
  el("button", {
    type: "button", class: "hint-select", title: t("Select hint %(id)s (%(color)s, %(status)s)", { id: h.id, color: h.color, status: statusText }),
    onclick: () => selectHint(h.id),
  }, el("span", { class: "swatch", style: `background:${h.color}`, "aria-hidden": "true" }),
  el("span", { class: "hint-title" }, `#${h.id} ${shape} ${h.color}`)),
  el("span", { class: `badge ${verified ? "verified" : "suggested"}` }, statusText),
  el("div", { class: "hint-meta" },
    h.created_by ? t("by %(user)s", { user: h.created_by }) : "", h.updated_at ? ` · ${timeAgo(h.updated_at)}` : "",
    ` · ${t("rev %(n)s", { n: h.revision })}`),
  reachControl(h),
  evidence || h.evidence_url || h.evidence_image ? el("div", { class: "hint-evidence" }, evidence,
    h.evidence_url ? el("a", { href: h.evidence_url, target: "_blank", rel: "noopener" }, ` ${gettext("source")}`) : "",
    h.evidence_image ? el("a", { href: h.evidence_image, target: "_blank", rel: "noopener" }, ` ${gettext("image")}`) : "") : "",
  verified ? el("div", { class: "hint-meta" }, t("verified by %(user)s", { user: h.verified_by })
    + (h.verified_at ? ` · ${timeAgo(h.verified_at)}` : "")) : "",
  el("div", { class: "hint-actions" },
    canChange(h) ? el("button", {
      type: "button", class: "link", "aria-label": t("Delete hint %(id)s", { id: h.id }), onclick: () => deleteHint(h.id),
    }, gettext("Delete")) : "",
    config.canReview ? el("button", {
      type: "button", class: "link", onclick: () => openVerify(h.id),
      "aria-label": verified ? t("Edit evidence of hint %(id)s", { id: h.id }) : t("Verify hint %(id)s", { id: h.id }),
    }, verified ? gettext("Edit evidence") : gettext("Verify")) : ""));
}

// Selecting a hint shows its colour in the chooser (so the plane and the recolour button compare
// against it) without changing the colour of the next hint... unless the user then picks one.
export function selectHint(id) {
  state.viewer.selected = id;
  const hint = state.room.hints.get(id);
  if (hint) askSuggest(hint.x, hint.y);
  renderHints();
}

async function recolourSelected() {
  const hint = selectedHint();
  if (!hint || hint.color === state.color) return;
  const color = state.color;
  try {
    await state.room.update(hint.id, { color });
    state.redo.length = 0;
    pushRecent(color);
    toast(t("Hint #%(id)s recoloured (Ctrl+Z to undo).", { id: hint.id }), "info", 3000);
  } catch (err) {
    reportError(err, gettext("Could not recolour the hint"));
  }
}

export async function deleteHint(id) {
  if (id === null || id === undefined) return;
  try {
    await state.room.remove(id);
    state.redo.length = 0;
    toast(t("Hint #%(id)s deleted (Ctrl+Z to undo).", { id }), "info", 3000);
  } catch (err) {
    reportError(err, gettext("Could not delete the hint"));
  }
}

// Undo is the server's (the event log); redo re-applies, through ordinary writes, the state a hint had
// before this tab undid its change, so a redo is itself undoable.
export async function undo() {
  const before = new Map(state.room.hints);
  try {
    const ack = await state.room.undo();
    const prior = before.get(ack.hint.id) || null;
    state.redo.push({ id: ack.hint.id, prior, undone: ack.hint });
  } catch (err) {
    reportError(err, gettext("Nothing to undo"));
  }
}

function pick(hint) {
  return Object.fromEntries(EDITABLE.filter((k) => k in hint).map((k) => [k, hint[k]]));
}

export async function redo() {
  const step = state.redo.pop();
  if (!step) {
    toast(gettext("Nothing to redo"), "info", 2500);
    return;
  }
  const { room } = state;
  try {
    if (!step.prior) {
      await room.remove(step.id); // the undo brought a deleted hint back: delete it again
    } else if (step.undone.deleted) {
      const ack = await room.add(pick(step.prior)); // the undo removed a hint added here: add it again
      state.redo.forEach((s) => {
        if (s.id === step.id) s.id = ack.hint.id;
      });
    } else {
      await room.update(step.id, pick(step.prior));
    }
    toast(gettext("Redone."), "info", 2000);
  } catch (err) {
    reportError(err, gettext("Could not redo"));
  }
}

function onPlace(e) {
  const { x, y } = e.detail;
  clearSuggestions(x, y); // the previous point's suggestions go at once
  const color = state.color;
  const started = performance.now();
  state.room.add({ x, y, color, radius: state.viewer.pointRadius, shape: "point", reach: nextReach() }).then((ack) => {
    state.metrics.lastAckMs = performance.now() - started;
    state.redo.length = 0;
    state.viewer.selected = ack.hint.id;
    renderHints();
    pushRecent(color);
  }, (err) => reportError(err, gettext("Could not place the hint")));
  askSuggest(x, y); // the server leaves out a hint under the point: no echo of the colour just placed
}

async function onStroke(e) {
  const pts = e.detail.points;
  const color = state.color;
  try {
    if ($("brush-fence") && $("brush-fence").checked) {
      await state.room.add({ shape: "fence", points: pts, width: state.viewer.brushWidth });
      state.redo.length = 0;
      return;
    }
    await state.room.add({ shape: "stroke", points: pts, x: pts[0][0], y: pts[0][1], width: state.viewer.brushWidth, color, reach: nextReach() });
    state.redo.length = 0;
    pushRecent(color);
  } catch (err) {
    reportError(err, gettext("Could not add the stroke"));
  }
}

async function onMove(e) {
  const { id, changes } = e.detail;
  try {
    await state.room.update(id, changes);
    state.redo.length = 0;
  } catch (err) {
    reportError(err, gettext("Could not move the hint"));
  }
  renderHints();
}

// ---- evidence of the selected hint (curators attach it; verifying stays with reviewers and owners) ------
let evidenceFor = null;

function renderEvidenceForm() {
  const form = $("evidence-form");
  if (!form) return;
  const hint = selectedHint();
  const show = Boolean(hint) && hint.shape !== "fence" && canChange(hint);
  form.hidden = !show;
  if (!show) {
    evidenceFor = null;
    return;
  }
  $("evidence-title").textContent = t("Evidence for hint #%(id)s", { id: hint.id });
  const current = $("e-image-current");
  current.replaceChildren(hint.evidence_image
    ? el("a", { href: hint.evidence_image, target: "_blank", rel: "noopener" }, gettext("current evidence image"))
    : gettext("no evidence image yet"));
  if (evidenceFor === hint.id) return; // keep what the user is typing when someone else's change arrives
  evidenceFor = hint.id;
  for (const key of EVIDENCE) form.elements[key].value = hint[key] || "";
  form.elements.image.value = "";
  $("evidence-error").hidden = true;
  $("evidence-status").textContent = "";
}

async function submitEvidence(e) {
  e.preventDefault();
  const form = e.target;
  const hint = selectedHint();
  if (!hint) return;
  const box = $("evidence-error");
  box.hidden = true;
  const changes = {};
  for (const key of EVIDENCE) {
    const value = form.elements[key].value.trim();
    if (value !== (hint[key] || "")) changes[key] = value;
  }
  const file = form.elements.image.files[0];
  if (!Object.keys(changes).length && !file) {
    $("evidence-status").textContent = gettext("Nothing to save.");
    return;
  }
  try {
    let revision = hint.revision;
    if (Object.keys(changes).length) {
      const ack = await state.room.update(hint.id, changes);
      revision = ack.hint.revision;
    }
    if (file) {
      const data = new FormData();
      data.append("image", file);
      data.append("revision", String(revision));
      await api("POST", `/api/hints/${hint.id}/evidence-image/`, data);
      form.elements.image.value = "";
    }
    state.redo.length = 0;
    $("evidence-status").textContent = t("Evidence saved for hint #%(id)s.", { id: hint.id });
  } catch (err) {
    box.textContent = err.current ? gettext("Someone else changed this hint; its current state is shown. Try again.") : err.message;
    box.hidden = false;
  }
}

// ---- verify ------------------------------------------------------------------------------------------
let verifying = null;
function openVerify(id) {
  verifying = id;
  const h = state.room.hints.get(id);
  const f = $("verify-form");
  f.reset();
  f.elements.evidence_note.value = h.evidence_note;
  f.elements.evidence_source.value = h.evidence_source;
  f.elements.evidence_url.value = h.evidence_url;
  $("verify-error").hidden = true;
  $("verify-dialog").showModal();
}

async function submitVerify(e) {
  e.preventDefault();
  const f = e.target;
  const evidence = {
    evidence_note: f.elements.evidence_note.value.trim(),
    evidence_source: f.elements.evidence_source.value.trim(),
    evidence_url: f.elements.evidence_url.value.trim(),
  };
  const box = $("verify-error");
  if (!evidence.evidence_note && !evidence.evidence_source) {
    box.textContent = gettext("Verifying needs evidence: write a note or a source.");
    box.hidden = false;
    return;
  }
  try {
    await state.room.verify(verifying, evidence);
    state.redo.length = 0;
    $("verify-dialog").close();
  } catch (err) {
    box.textContent = err.current ? gettext("Someone else changed this hint; its current state is shown. Try again.") : err.message;
    box.hidden = false;
  }
}

export function initHints() {
  const { viewer, room } = state;
  room.addEventListener("hints", (e) => {
    if (e.detail.frame.type === "snapshot") snapshotArrived();
    renderHints();
  });
  viewer.addEventListener("select", (e) => {
    viewer.selected = e.detail.id;
    renderHints();
  });
  // A click on a hint (not a drag) asks for suggestions there; a drag must not wait behind the model.
  viewer.addEventListener("pick", (e) => askSuggest(e.detail.x, e.detail.y));
  viewer.addEventListener("suggest-at", (e) => askSuggest(e.detail.x, e.detail.y));
  viewer.addEventListener("place", onPlace);
  viewer.addEventListener("stroke", onStroke);
  viewer.addEventListener("move-hint", onMove);
  if ($("delete-hint")) $("delete-hint").addEventListener("click", () => deleteHint(viewer.selected));
  if ($("undo")) $("undo").addEventListener("click", undo);
  if ($("redo")) $("redo").addEventListener("click", redo);
  if ($("recolor-hint")) $("recolor-hint").addEventListener("click", recolourSelected);
  $("verify-cancel").addEventListener("click", () => $("verify-dialog").close());
  $("verify-form").addEventListener("submit", submitVerify);
  if ($("evidence-form")) $("evidence-form").addEventListener("submit", submitEvidence);
  document.addEventListener("findcolor:color", updateRecolour);
  setColor(state.color);
}
