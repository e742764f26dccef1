// Translations and locale formatting for the pages' modules. Django's JavaScriptCatalog (/jsi18n/, a
// classic script that base.html loads before any module) defines the gettext family as globals; this module
// re-exports them so that modules import what they use, and formats dates and numbers in the page's
// language (<html lang>) and the browser's time zone.

const g = globalThis;

export const gettext = g.gettext || ((msgid) => msgid);
export const ngettext = g.ngettext || ((singular, plural, n) => (n === 1 ? singular : plural));
export const pgettext = g.pgettext || ((context, msgid) => msgid);
export const interpolate =
  g.interpolate ||
  ((fmt, obj, named) =>
    named ? fmt.replace(/%\(\w+\)s/g, (m) => String(obj[m.slice(2, -2)])) : fmt.replace(/%s/g, () => String(obj.shift())));

/** "%(n)s photos" style: interpolate(gettext(...), {n: 3}, true), in one call. */
export function format(fmt, values) {
  return interpolate(fmt, values, true);
}

export function language() {
  return document.documentElement.lang || "en";
}

export function formatDateTime(value, options = { dateStyle: "medium", timeStyle: "short" }) {
  if (!value) return "";
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) return String(value);
  return new Intl.DateTimeFormat(language(), options).format(date);
}

export function formatDate(value) {
  return formatDateTime(value, { dateStyle: "medium" });
}

export function formatTime(value) {
  return formatDateTime(value, { timeStyle: "medium" });
}

export function formatNumber(value, options) {
  return new Intl.NumberFormat(language(), options).format(value);
}

// The server renders datetimes in the zone this cookie names (frontend/middleware.py).
try {
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  // IANA names (Asia/Seoul, America/Argentina/Buenos_Aires) are cookie-safe as they are.
  if (/^[\w+\-/]+$/.test(zone) && !document.cookie.split("; ").includes(`tz=${zone}`)) {
    document.cookie = `tz=${zone}; path=/; max-age=31536000; SameSite=Lax`;
  }
} catch {
  // no Intl time zone: the server's TIME_ZONE applies
}

/** gettext then the named values: t("%(n)s hints", {n: 3}); without values, gettext alone. */
export function t(msgid, values) {
  return values ? format(gettext(msgid), values) : gettext(msgid);
}

// The roles' names (accounts.Role labels, as the API sends them) in the reader's language.
const ROLE_NAMES = {
  viewer: () => pgettext("role", "viewer"),
  curator: () => pgettext("role", "curator"),
  reviewer: () => pgettext("role", "reviewer"),
  owner: () => pgettext("role", "owner"),
};

export function roleName(role) {
  return ROLE_NAMES[role] ? ROLE_NAMES[role]() : role;
}
