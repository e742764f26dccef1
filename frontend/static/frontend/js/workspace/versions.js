// The Versions panel: every rendered version (colorize.services.review.version_dict) with its review
// state, Show / Compare / Restore hints / Submit / Approve / Reject and the downloads.
import { api, el, items, timeAgo } from "../api.js";
import { format, gettext, ngettext, t } from "../i18n.js";
import { setBefore, setLayer, updateOverlay } from "./canvas.js";
import { state } from "./state.js";
import { $, selectTab, toast } from "./ui.js";

let loading = null;
let again = false;

// One list request at a time; an event that arrives meanwhile asks for one more afterwards.
export function loadVersions(showNewest) {
  if (loading) {
    again = true;
    return loading;
  }
  loading = (async () => {
    try {
      const list = items(await api("GET", `/api/photos/${state.photo.id}/versions/`));
      const known = new Set(state.versions.keys());
      state.versions.clear();
      list.forEach((v) => state.versions.set(v.id, v));
      renderVersions();
      await openPendingCompare();
      const fresh = list.filter((v) => !known.has(v.id));
      if (showNewest && fresh.length) {
        await setLayer(`v${fresh.reduce((a, b) => (a.number > b.number ? a : b)).id}`);
        selectTab("versions");
      }
    } catch (err) {
      $("version-list").replaceChildren(el("li", { class: "error", role: "alert" }, t("Could not load versions: %(error)s", { error: err.message })));
    } finally {
      loading = null;
    }
    if (again) {
      again = false;
      await loadVersions(showNewest);
    }
  })();
  return loading;
}

// Which adaptation (docs/adaptation.md) guided the colours of a version, in one line.
export function adaptationLine(v) {
  const ref = v.reference || {};
  if (ref.kind === "adaptation") {
    const base = format(ngettext("adapted: %(n)s colour reference", "adapted: %(n)s colour references", ref.n_references), { n: ref.n_references });
    const figure = typeof ref.delta_db === "number" && ref.n_heldout
      ? `; ${format(ngettext("on %(n)s held-out one %(delta)s dB", "on %(n)s held-out ones %(delta)s dB", ref.n_heldout), { n: ref.n_heldout, delta: `${ref.delta_db < 0 ? "−" : "+"}${Math.abs(ref.delta_db).toFixed(2)}` })}`
      : "";
    return `${base}${figure} (${String(ref.checksum).slice(0, 12)})`;
  }
  if (ref.kind === "uploaded" || ref.kind === "reference") return gettext("guided by a reference photo (no adaptation)");
  if (ref.adaptation_refused) return t("no adaptation: the stored one was refused (%(error)s)", { error: ref.adaptation_refused.error });
  if (v.params && v.params.use_adaptation === false) return gettext("no adaptation (asked for without it)");
  return gettext("no adaptation");
}

// A render of the same photo without the adaptation, shown beside this version in the compare slider once done.
async function renderWithout(v) {
  const { photo } = state;
  try {
    const run = await api("POST", `/api/photos/${photo.id}/runs/`, {
      hints: v.hints_mode, use_adaptation: false, era: photo.era || "", situation: photo.situations[0] || "",
    });
    state.compareAfterRun = { run: run.id, before: v.id };
    toast(gettext("Rendering without the adaptation: it will open beside this version in the compare slider."), "info", 4000);
  } catch (err) {
    toast(t("Could not start the render: %(error)s", { error: err.message }), "error");
  }
}

async function openPendingCompare() {
  const pending = state.compareAfterRun;
  if (!pending) return;
  const made = Array.from(state.versions.values()).find((v) => v.run === pending.run);
  if (!made) return;
  state.compareAfterRun = null;
  await setLayer(`v${made.id}`);
  await setBefore(`v${pending.before}`);
}

function refreshLayerOptions(list) {
  for (const sel of [$("layer"), $("before")]) {
    const keep = sel.value;
    sel.querySelectorAll("option[data-version]").forEach((o) => o.remove());
    for (const v of list) sel.append(el("option", { value: `v${v.id}`, "data-version": v.id }, t("Version %(n)s", { n: v.number })));
    sel.value = keep;
  }
}

function renderVersions() {
  const list = Array.from(state.versions.values()).sort((a, b) => b.number - a.number);
  $("version-count").textContent = String(list.length);
  refreshLayerOptions(list);
  const ul = $("version-list");
  if (!list.length) ul.replaceChildren(el("li", { class: "meta" }, gettext("No versions yet. “Render full resolution” makes one.")));
  else ul.replaceChildren(...list.map(versionItem));
  updateOverlay();
}

const STATE_NAMES = () => ({ draft: gettext("draft"), submitted: gettext("submitted"), approved: gettext("approved"), rejected: gettext("rejected") });

function versionActions(v, label) {
  const { config } = state;
  const state_ = v.review_state;
  const mine = config.user && v.created_by === config.user.username;
  const button = (name, text, onclick, extra = {}) => el("button", { type: "button", class: "link", "aria-label": name, onclick, ...extra }, text);
  const actions = [
    button(t("Show %(label)s", { label }), gettext("Show"), () => setLayer(`v${v.id}`)),
    button(t("Compare %(label)s with the original", { label }), gettext("Compare"), async () => {
      await setLayer(`v${v.id}`);
      await setBefore("original");
    }),
  ];
  if (config.canEdit) {
    actions.push(button(t("Restore hints from %(label)s", { label }), gettext("Restore hints"), () => restoreHints(v)));
    if (v.reference && v.reference.kind === "adaptation") {
      actions.push(button(t("Render %(label)s without its adaptation and compare", { label }), gettext("Without adaptation"), () => renderWithout(v), { "data-action": "without-adaptation" }));
    }
    if (state_ === "draft" || state_ === "rejected") {
      actions.push(button(t("Submit %(label)s for review", { label }), gettext("Submit for review"), () => submit(v), { "data-action": "submit" }));
    }
  }
  if (config.canReview && state_ === "submitted") {
    const fourEyes = mine ? { disabled: true, title: gettext("four eyes: someone else must review your version") } : {};
    actions.push(button(t("Approve %(label)s", { label }), gettext("Approve"), () => openReview(v, "approve"), { ...fourEyes, "data-action": "approve" }));
    actions.push(button(t("Reject %(label)s", { label }), gettext("Reject"), () => openReview(v, "reject"), { ...fourEyes, "data-action": "reject" }));
  }
  return actions;
}

function versionItem(v) {
  const label = t("version %(n)s", { n: v.number });
  // Only the published version downloads unmarked; every other one is a draft (file name, band, metadata).
  const draft = !v.published;
  const downloads = ["jpeg", "png", "tiff"].map((fmt) => el("a", {
    href: `/api/versions/${v.id}/export/?format=${fmt}`, download: "", class: draft ? "draft-download" : "",
    "data-draft": draft ? "true" : "false",
    "aria-label": draft
      ? t("Download %(label)s as %(format)s (draft, not published)", { label, format: fmt.toUpperCase() })
      : t("Download %(label)s as %(format)s", { label, format: fmt.toUpperCase() }),
  }, fmt.toUpperCase()));
  if (draft) downloads.unshift(el("span", { class: "badge draft-mark", title: gettext("Not the published version: the files are marked DRAFT") }, gettext("DRAFT")), " ");
  const hints = format(ngettext("%(n)s hint", "%(n)s hints", v.hint_count), { n: v.hint_count });
  const meta = [
    v.created_by ? t("by %(user)s", { user: v.created_by }) : "",
    `${hints} ${t("(%(n)s verified)", { n: v.verified_hint_count })}`,
    timeAgo(v.created_at),
  ].filter(Boolean).join(" · ");
  const comment = v.latest_review ? v.latest_review.comment : "";
  return el("li", { class: `version-item state-${v.review_state}`, "data-version": v.id, "data-number": v.number },
    v.preview ? el("img", { src: v.preview, alt: t("Preview of %(label)s", { label }), class: "version-thumb", loading: "lazy" }) : "",
    el("div", { class: "version-body" },
      el("strong", {}, t("Version %(n)s", { n: v.number })), " ",
      el("span", { class: `badge state-${v.review_state}` }, STATE_NAMES()[v.review_state]),
      v.published ? el("span", { class: "badge state-approved" }, ` ${gettext("published")}`) : "",
      el("div", { class: "hint-meta" }, meta),
      el("div", { class: "hint-meta" }, t("model %(name)s %(version)s", { name: v.model.name, version: v.model.version })),
      el("div", { class: "hint-meta adaptation-line", "data-adaptation": (v.reference || {}).kind === "adaptation" ? "used" : "none" }, adaptationLine(v)),
      comment ? el("div", { class: "hint-evidence" }, `“${comment}”`) : "",
      el("div", { class: "hint-actions" }, ...versionActions(v, label)),
      el("div", { class: "downloads" }, `${gettext("Download")} `, ...downloads)));
}

async function restoreHints(v) {
  try {
    const r = await api("POST", `/api/versions/${v.id}/restore-hints/`);
    toast(t("Hints of version %(n)s restored: %(added)s added back, %(updated)s changed back, %(unchanged)s already as they were.", {
      n: v.number, added: r.added.length, updated: r.updated.length, unchanged: r.unchanged.length,
    }), "info", 5000);
  } catch (err) {
    toast(t("Could not restore hints: %(error)s", { error: err.message }), "error");
  }
}

async function submit(v) {
  try {
    await api("POST", `/api/versions/${v.id}/submit/`, {});
    toast(t("Version %(n)s submitted for review.", { n: v.number }), "info", 3000);
    loadVersions(false);
  } catch (err) {
    toast(t("Could not submit: %(error)s", { error: err.message }), "error");
  }
}

let reviewing = null;

// Approving while another version is published moves "published": ask, and ask why (the API insists too).
function showReplace(text) {
  $("review-replace-text").textContent = text;
  $("review-replace").hidden = false;
  $("review-confirm-replace").required = true;
  $("review-reason").required = true;
}

function openReview(v, action) {
  reviewing = { v, action };
  $("review-title").textContent = action === "approve" ? t("Approve version %(n)s", { n: v.number }) : t("Reject version %(n)s", { n: v.number });
  $("review-save").textContent = action === "approve" ? gettext("Approve") : gettext("Reject");
  $("review-error").hidden = true;
  $("review-form").reset();
  $("review-replace").hidden = true;
  $("review-confirm-replace").required = false;
  $("review-reason").required = false;
  const published = Array.from(state.versions.values()).find((p) => p.published && p.id !== v.id);
  if (action === "approve" && published) {
    showReplace(t("Version %(published)s is the published restoration of this photo. Approving version %(n)s replaces it.", { published: published.number, n: v.number }));
  }
  $("review-dialog").showModal();
}

async function submitReview(e) {
  e.preventDefault();
  const { v, action } = reviewing;
  const body = { comment: $("review-comment").value.trim() };
  if (!$("review-replace").hidden) {
    body.confirm_replace = $("review-confirm-replace").checked;
    body.reason = $("review-reason").value.trim();
  }
  try {
    await api("POST", `/api/versions/${v.id}/${action}/`, body);
    $("review-dialog").close();
    toast(action === "approve" ? t("Version %(n)s approved.", { n: v.number }) : t("Version %(n)s rejected.", { n: v.number }), "info", 3000);
    loadVersions(false);
  } catch (err) {
    if (err.code === "confirm_replace") showReplace(err.message); // published moved meanwhile
    $("review-error").textContent = err.message;
    $("review-error").hidden = false;
  }
}

export function initVersions() {
  $("review-cancel").addEventListener("click", () => $("review-dialog").close());
  $("review-form").addEventListener("submit", submitReview);
}
