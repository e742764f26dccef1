"""Context: the era and situation of a photo, as free-form slugs mapped to a fixed vocabulary ("unknown" = 0)."""

from __future__ import annotations

from dataclasses import dataclass

ERAS = (
    "unknown", "1860s", "1870s", "1880s", "1890s", "1900s", "1910s", "world-war-1", "1920s", "1930s",
    "world-war-2", "1940s", "korean-war", "1950s", "1960s", "1970s",
)  # fmt: skip
SITUATIONS = (
    "unknown", "war", "liberation", "protest", "portrait", "street", "ceremony", "family", "rural",
    "industry", "military", "sport", "landscape", "interior", "transport", "group",
)  # fmt: skip


def slug(name: str | None) -> str:
    """Normalize a free-form name to a slug: lower case, spaces/underscores to '-'. None -> 'unknown'."""
    if name is None:
        return "unknown"
    s = "-".join(str(name).strip().lower().replace("_", " ").split())
    return s or "unknown"


@dataclass(frozen=True)
class Context:
    """Where and when a photo was taken, as free-form slugs, e.g. era='korean-war', situation='protest'."""

    era: str | None = None
    situation: str | None = None

    def ids(self, eras=ERAS, situations=SITUATIONS) -> tuple[int, int]:
        """Vocabulary ids (0 = unknown) of era and situation."""
        e, s = slug(self.era), slug(self.situation)
        return (eras.index(e) if e in eras else 0), (situations.index(s) if s in situations else 0)

    def key(self) -> str:
        """A profile key such as 'korean-war/protest' (unknown parts kept as 'unknown')."""
        return f"{slug(self.era)}/{slug(self.situation)}"
