// The review queue: each version whose evidence is not what the photo has now (rendered with no verified
// hint, or hints verified since it was rendered) says so, and offers "re-render with the current evidence"
// (the run request the API gives as evidence_warning.rerender: same settings, the current hints).
import { api, el, get } from "./api.js";
import { gettext, t } from "./i18n.js";

function warningBox(item) {
  const warning = item.evidence_warning;
  const status = el("p", { class: "meta", role: "status" });
  const button = el("button", { type: "button", class: "rerender" }, gettext("Re-render with the current evidence"));
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      const run = await api(warning.rerender.method, warning.rerender.url, warning.rerender.body);
      status.textContent = t("Re-render requested (run %(id)s): submit the new version when it is done.", { id: run.id });
    } catch (err) {
      status.textContent = err.message;
      button.disabled = false;
    }
  });
  return el("div", { class: "evidence-warning", "data-codes": warning.codes.join(" ") },
    el("p", {}, el("strong", {}, gettext("Evidence:")), " ", warning.message), button, status);
}

async function init() {
  const list = document.querySelector(".review-list");
  if (!list) return;
  let payload;
  try {
    payload = await get("/api/reviews/");
  } catch {
    return; // the list itself is the page; the warnings are an addition
  }
  for (const item of payload.results || []) {
    if (!item.evidence_warning) continue;
    const li = list.querySelector(`.review-item[data-version="${item.id}"]`);
    if (li) li.append(warningBox(item));
  }
}

init();
