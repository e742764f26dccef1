"""What a Korean reader would still read in English: the shared check of the ko page tests (Django test client
in tests/test_i18n_pages.py, Chromium in tests/browser/test_ui_korean.py)."""

import re
from html.parser import HTMLParser

# Names and notations that stay as they are in a Korean interface: the product, the other language's own name
# in the switcher, file formats, keys and units.
PROPER_NAMES = {
    "Find Color",
    "English",
    "JPEG",
    "PNG",
    "TIFF",
    "ZIP",
    "URL",
    "CSV",
    "IIIF",
    "XMP",
    "SHA-256",
    "SHA-512",
    "BagIt",
    "Ctrl",
    "Del",
    "Delete",
    "Backspace",
    "Enter",
    "Space",
    "Shift",
    "Esc",
    "Tab",
    "ab",
    "AI",  # "AI 채색": Korean writes the abbreviation as it is
}
READ_ATTRIBUTES = ("aria-label", "title", "placeholder", "alt")
WORD = re.compile(r"[A-Za-z][A-Za-z'’-]+")
HEX_COLOUR = re.compile(r"#\s*[0-9A-Fa-f]{3,8}\b")  # colours are written as #rrggbb in both languages


class _VisibleText(HTMLParser):
    """Text a person reads or hears: text outside <script>/<style>/<template>, plus labels and tooltips."""

    SKIP = {"script", "style", "template"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self._skipping += 1
        for name, value in attrs:
            if name in READ_ATTRIBUTES and value:
                self.parts.append(value)

    def handle_endtag(self, tag):
        if tag in self.SKIP and self._skipping:
            self._skipping -= 1

    def handle_data(self, data):
        if not self._skipping and data.strip():
            self.parts.append(data)


def visible_text(html: str) -> list[str]:
    parser = _VisibleText()
    parser.feed(html)
    return parser.parts


def english_leftovers(texts: list[str], data: set[str] | tuple = ()) -> list[str]:
    """English words left in `texts` once the data strings (titles, user names, ...) and proper names are
    taken out; single letters (keyboard shortcuts such as (V)) do not count."""
    found = []
    allowed = sorted({*PROPER_NAMES, *data}, key=len, reverse=True)
    for text in texts:
        text = HEX_COLOUR.sub(" ", text)
        for item in allowed:
            text = text.replace(item, " ")
        found += [f"{word!s} (in {text.strip()[:80]!r})" for word in WORD.findall(text)]
    return found


# ---- the sources: every string a person reads is in the Korean catalogues ---------------------------------
# (tests/test_i18n_catalogue.py) The gettext calls of the templates and JS modules are extracted as
# `makemessages` would (Django's templatize, then xgettext) and compared with the catalogues by msgcmp; JS
# string literals put where a person reads them (text, title, aria-label, placeholder, alt, label, textContent)
# without passing through gettext are found by pattern.

READ_PROPERTIES = r"""(?:text|title|placeholder|alt|label|"aria-label"|'aria-label'|"aria-description")"""
JS_LITERAL = r"""(?P<q>["'`])(?P<s>(?:(?!(?P=q))[^\\]|\\.)*)(?P=q)"""
JS_READ_LITERALS = [
    re.compile(rf"{READ_PROPERTIES}\s*:\s*{JS_LITERAL}"),  # el("span", {text: "waiting"})
    re.compile(
        rf"\.(?:textContent|innerText|title|placeholder|alt)\s*=\s*{JS_LITERAL}"
    ),  # x.textContent = "..."
    re.compile(rf"setAttribute\(\s*[\"'](?:aria-label|title|placeholder|alt)[\"']\s*,\s*{JS_LITERAL}"),
]
TEMPLATE_SUBSTITUTION = re.compile(r"\$\{[^}]*\}|\$\{.*$")  # a nested literal: cut at its ${


def untranslated_js_literals(source: str) -> list[str]:
    """Readable JS string literals (English words in them once ${...} substitutions are taken out)."""
    found = []
    for pattern in JS_READ_LITERALS:
        for match in pattern.finditer(source):
            text = TEMPLATE_SUBSTITUTION.sub(" ", match.group("s"))
            if english_leftovers([text]):
                line = source.count("\n", 0, match.start()) + 1
                found.append(f"line {line}: {match.group(0)[:100]}")
    return found


NON_LITERAL_GETTEXT = re.compile(r"\b(?:gettext|ngettext|pgettext|t)\(\s*(?![\"'`\s])[^)]{0,60}")
TEMPLATE_SYNTAX = [
    re.compile(r"\{%\s*block\s+bodyclass\s*%\}.*?\{%\s*endblock\s*%\}", re.S),  # a class name, not text
    re.compile(r"\{%\s*comment\s*%\}.*?\{%\s*endcomment\s*%\}", re.S),
    re.compile(r"\{%\s*blocktrans(?:late)?\b.*?\{%\s*endblocktrans(?:late)?\s*%\}", re.S),
    re.compile(r"\{#.*?#\}", re.S),
    re.compile(r"\{%.*?%\}", re.S),
    re.compile(r"\{\{.*?\}\}", re.S),
]


def untranslated_gettext_arguments(source: str) -> list[str]:
    """gettext(variable): the extraction cannot see the msgid, so nobody is told when it has no translation."""
    found = []
    for match in NON_LITERAL_GETTEXT.finditer(source):
        line = source.count("\n", 0, match.start()) + 1
        found.append(f"line {line}: {match.group(0)}")
    return found


def untranslated_template_text(source: str) -> list[str]:
    """English a template writes outside {% translate %} / {% blocktranslate %} (its tags and variables out)."""
    for pattern in TEMPLATE_SYNTAX:
        source = pattern.sub(" ", source)
    return english_leftovers(visible_text(source))
