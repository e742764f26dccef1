"""Every string a person reads is in the Korean catalogues (issue 23, item 7): the templates' and JS modules'
gettext calls, extracted as `makemessages` would (Django's templatize, then xgettext), all have a Korean
translation (msgcmp against locale/ko); no readable JS literal or template text bypasses gettext. Needs the
gettext tools (apt: gettext), which CI installs for msgfmt."""

import itertools
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.utils.translation.template import templatize

from tests.i18n_check import (
    untranslated_gettext_arguments,
    untranslated_js_literals,
    untranslated_template_text,
)

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = sorted((ROOT / "frontend" / "templates").rglob("*.html"))
MODULES = sorted((ROOT / "frontend" / "static" / "frontend" / "js").rglob("*.js"))
LOCALE = ROOT / "locale" / "ko" / "LC_MESSAGES"
KEYWORDS = [
    "--keyword=gettext",
    "--keyword=ngettext:1,2",
    "--keyword=pgettext:1c,2",
    "--keyword=npgettext:1c,2,3",
]

needs_gettext = pytest.mark.skipif(
    not (shutil.which("xgettext") and shutil.which("msgcmp")), reason="apt-get install gettext"
)


def missing_translations(catalogue: Path, pot: Path) -> list[str]:
    """The msgids of `pot` that `catalogue` lacks or leaves untranslated (msgcmp's own report)."""
    result = subprocess.run(["msgcmp", str(catalogue), str(pot)], capture_output=True, text=True)
    lines = pot.read_text(encoding="utf-8").splitlines()
    missing = []
    for report in result.stderr.splitlines():
        number = re.match(rf"{re.escape(str(pot))}:(\d+): this message is used but not defined", report)
        if number is None:  # unused or similar entries of the catalogue, the count of errors
            continue
        start = int(number.group(1)) - 1  # msgcmp names a line of the entry: back to its msgid
        while start > 0 and not lines[start].startswith("msgid "):
            start -= 1
        block = [lines[start]] + list(
            itertools.takewhile(lambda line: line.startswith('"'), lines[start + 1 :])
        )
        missing.append(" ".join(block))
    if result.returncode and not missing:
        missing.append(result.stderr.strip())
    return missing


@needs_gettext
def test_every_template_string_has_a_korean_translation(tmp_path):
    sources = []
    for template in TEMPLATES:
        source = tmp_path / f"{template.name}.py"
        source.write_text(
            templatize(template.read_text(encoding="utf-8"), origin=str(template)), encoding="utf-8"
        )
        sources.append(str(source))
    pot = tmp_path / "templates.pot"
    subprocess.run(
        ["xgettext", "-L", "Python", "--from-code=UTF-8", *KEYWORDS, "--keyword=gettext_noop", "-o", str(pot)]
        + sources,
        check=True,
    )
    assert pot.exists()
    assert missing_translations(LOCALE / "django.po", pot) == []


@needs_gettext
def test_every_js_string_has_a_korean_translation(tmp_path):
    pot = tmp_path / "js.pot"
    subprocess.run(
        ["xgettext", "-L", "JavaScript", "--from-code=UTF-8", *KEYWORDS, "--keyword=t", "-o", str(pot)]
        + [str(m) for m in MODULES],
        check=True,
    )
    assert pot.exists()
    assert missing_translations(LOCALE / "djangojs.po", pot) == []


@pytest.mark.parametrize("module", MODULES, ids=lambda p: str(p.relative_to(ROOT / "frontend" / "static")))
def test_no_readable_js_literal_bypasses_gettext(module):
    source = module.read_text(encoding="utf-8")
    assert untranslated_js_literals(source) == []
    if module.name != "i18n.js":  # i18n.js defines t(msgid) over gettext(msgid)
        assert untranslated_gettext_arguments(source) == []


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: p.name)
def test_no_template_text_bypasses_translate(template):
    assert untranslated_template_text(template.read_text(encoding="utf-8")) == []


def test_the_check_finds_what_it_is_for():
    """The patterns catch the strings issue 23 found in English on Korean pages."""
    assert untranslated_js_literals('el("span", { class: "upload-status", text: "waiting" })')
    assert untranslated_js_literals('ui.status.textContent = "uploading…";')
    assert untranslated_js_literals('el("progress", { "aria-label": `Upload progress of ${file.name}` })')
    assert untranslated_gettext_arguments("config.roles.map((r) => el('option', {}, gettext(r)))")
    assert untranslated_template_text("<p>{% translate 'Saved' %} Reviewers only</p>")
    assert not untranslated_js_literals('el("span", { text: gettext("waiting") })')
    assert not untranslated_template_text('<p title="{% translate "Saved" %}">{{ photo.title }}</p>')
