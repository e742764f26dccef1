"""The language of descriptive text (titles, descriptions, notes): detected, or chosen by the person who wrote it.

Detection is deliberately simple and predictable: any Hangul → `ko` (Korean text often carries Latin words and
acronyms), otherwise Latin letters → `en`, otherwise `und` (undetermined: digits, punctuation, other scripts).
A chosen tag is any well-formed BCP 47 language tag (`ko`, `en`, `ja`, `zh-Hant`, `und`, …), stored lowercase
apart from script and region subtags as BCP 47 writes them. Empty text has no language (``).

Consumers: IIIF language maps (`und` and language-less values such as hashes become `none`), W3C Web Annotation
bodies (`language`) and XMP `xml:lang` alternatives (docs/provenance.md).
"""

import re
import unicodedata

UNDETERMINED = "und"
MAX_TAG = 35
_TAG = re.compile(r"^(?:[a-z]{2,3}|und)(?:-[a-z]{4})?(?:-(?:[a-z]{2}|[0-9]{3}))?(?:-[a-z0-9]{5,8})*$", re.I)
# Hangul syllables, Jamo, compatibility Jamo, Jamo extended A/B.
_HANGUL = re.compile("[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f\ua960-\ua97f\ud7b0-\ud7ff]")


def detect(text: str | None) -> str:
    """`ko`, `en`, `und`, or `` for empty text."""
    if not text or not text.strip():
        return ""
    if _HANGUL.search(text):
        return "ko"
    for char in text:
        if char.isalpha() and unicodedata.name(char, "").startswith("LATIN"):
            return "en"
    return UNDETERMINED


def normalize_tag(value) -> str | None:
    """The tag in canonical case, or None when it is not a well-formed language tag."""
    if not isinstance(value, str):
        return None
    value = value.strip().replace("_", "-")
    if not value or len(value) > MAX_TAG or not _TAG.match(value):
        return None
    parts = value.split("-")
    out = [parts[0].lower()]
    for part in parts[1:]:
        if len(part) == 4 and part.isalpha():
            out.append(part.title())
        elif len(part) == 2 and part.isalpha():
            out.append(part.upper())
        else:
            out.append(part.lower())
    return "-".join(out)


def language_of(text: str, recorded: str | None) -> str:
    """The recorded language of a value, or the detected one when none was recorded (older rows)."""
    if not text:
        return ""
    return recorded or detect(text)


def iiif_key(language: str) -> str:
    """A IIIF language map key: `none` where the value has no determined language."""
    return language if language and language != UNDETERMINED else "none"
