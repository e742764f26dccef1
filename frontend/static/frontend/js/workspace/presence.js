// Who is here: avatars (each person present gets a different colour) and the others' cursors.
import { el } from "../api.js";
import { roleName, t } from "../i18n.js";
import { state } from "./state.js";
import { $ } from "./ui.js";

// Well-separated hues, dark enough for white initials. People present are numbered by user id, so two
// people in a room never share a colour (up to the palette's length; then hues are spread further).
const PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#b35806", "#17808a", "#c2185b", "#5d4037"];

export function colorFor(userId) {
  const ids = Array.from(new Set(Array.from(state.room.people.values()).map((p) => p.id))).sort((a, b) => a - b);
  const i = ids.indexOf(userId);
  if (i < 0) return "#555";
  if (ids.length <= PALETTE.length) return PALETTE[i];
  return `hsl(${Math.round((360 * i) / ids.length)} 65% 38%)`;
}

function renderPresence() {
  const people = Array.from(state.room.people.values()).sort((a, b) => a.id - b.id);
  const initials = (name) => {
    const two = name.slice(0, 2).toUpperCase();
    const clash = people.some((q) => q.username !== name && q.username.slice(0, 2).toUpperCase() === two);
    return clash ? `${name[0]}${name[name.length - 1]}`.toUpperCase() : two;
  };
  $("presence").replaceChildren(...people.map((p) => el("li", {
    class: "avatar", style: `background:${colorFor(p.id)}`, title: t("%(user)s (%(role)s)", { user: p.username, role: roleName(p.role) }),
    "aria-label": t("%(user)s is here", { user: p.username }), "data-user": p.username,
  }, initials(p.username))));
}

export function initPresence() {
  const { room, viewer } = state;
  room.addEventListener("people", renderPresence);
  room.addEventListener("cursor", (e) => {
    const f = e.detail;
    viewer.cursors.set(f.connection, { x: f.x, y: f.y, name: f.user.username, color: colorFor(f.user.id), t: performance.now() });
    viewer.invalidate();
  });
}
