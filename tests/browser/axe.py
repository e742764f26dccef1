"""axe-core in the browser tests (issue 23, item 9): `axe_violations(page)` runs axe-core (npm, pinned in
tests/browser/package.json; `npm ci --prefix tests/browser` installs it into the ignored node_modules/) on the
page as it is, and returns every violation, any impact, as readable lines.
"""

from pathlib import Path

AXE = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
INSTALL = "npm ci --prefix tests/browser"

RUN = """async () => {
  const result = await axe.run(document, { resultTypes: ["violations"] });
  return result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map((n) => n.target.join(" ")),
  }));
}"""


def axe_available() -> bool:
    return AXE.is_file()


def axe_violations(page) -> list[str]:
    """Every axe-core violation on the page, as 'id (impact): help -- selectors'."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    found = page.evaluate(RUN)
    return [f"{v['id']} ({v['impact']}): {v['help']} -- {', '.join(v['nodes'])}" for v in found]
