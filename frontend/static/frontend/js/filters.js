// On a phone the collection's search and facets fold behind one "Filters" button (app.css: .filters-folding),
// so the photos fill the first screen. Without this module every filter simply stays open.
const PHONE = window.matchMedia("(max-width: 760px)");

export function initFilterFold() {
  const toggle = document.getElementById("filters-toggle");
  const facets = document.getElementById("facets");
  if (!toggle || !facets) return;
  const layout = facets.parentElement;
  const set = (open) => {
    facets.classList.toggle("open", open);
    toggle.setAttribute("aria-expanded", String(open));
  };
  const apply = () => {
    layout.classList.toggle("filters-folding", PHONE.matches);
    toggle.hidden = !PHONE.matches;
    if (!PHONE.matches) set(false);
  };
  toggle.addEventListener("click", () => {
    const open = !facets.classList.contains("open");
    set(open);
    if (open) facets.querySelector("input, select, a")?.focus();
  });
  PHONE.addEventListener("change", apply);
  apply();
}
