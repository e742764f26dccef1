// Small helpers shared by the workspace panels: element lookup, the toast, tabs, image loading.
import { $ } from "../api.js";
import { gettext, t } from "../i18n.js";

export { $ };

let toastTimer = null;
export function toast(message, kind = "info", ms = 6000) {
  const box = $("toast");
  box.textContent = message;
  box.className = `toast ${kind}`;
  box.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => {
    box.hidden = true;
  }, ms);
}

// A failed room request: a stale write shows the current state; anything else says what went wrong.
export function reportError(err, what) {
  if (err.current) toast(t("%(what)s: someone else changed this hint first — showing its current state.", { what }), "warn");
  else toast(`${what}: ${err.message}`, "error");
}

export function loadImage(url) {
  return new Promise((resolve, reject) => {
    const img = new Image();
    img.decoding = "async";
    img.onload = () => img.decode().then(() => resolve(img), () => resolve(img));
    img.onerror = () => reject(new Error(t("could not load %(url)s", { url })));
    img.src = url;
  });
}

const TABS = ["hints", "guidance", "details", "versions"];
export function selectTab(name) {
  for (const tab of TABS) {
    if (!$(`tab-${tab}`)) continue;
    $(`tab-${tab}`).setAttribute("aria-selected", String(tab === name));
    $(`panel-${tab}`).hidden = tab !== name;
  }
}
export function initTabs() {
  for (const tab of TABS) if ($(`tab-${tab}`)) $(`tab-${tab}`).addEventListener("click", () => selectTab(tab));
}

export { gettext };
