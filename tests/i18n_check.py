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
