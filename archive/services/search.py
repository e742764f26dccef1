"""Photo text search, for Korean and English (docs/search.md).

Every word of the query must appear in the photo's descriptive text, as a substring of the compacted text
(Photo.search_text: lower case, white space removed), or in its era's Korean or English name. Substrings suit
Korean, whose words carry particles ("서울역" is found in "서울역에서") and whose spacing varies ("서울 역" finds
"서울역", "서울역" finds "서울 역"). On PostgreSQL a pg_trgm GIN index serves these substring matches, and
English full-text search (stemming: "celebrating" finds "celebrate", on its own GIN index) is added; results are
ranked, title hits first. Elsewhere (SQLite) the same substring match scans.

One query in all: the era names are matched through a subquery, never a separate lookup."""

import re

from django.conf import settings
from django.db.models import Q

from archive.models import SEARCH_FIELDS, Era, Photo

_BLANKS = re.compile(r"\s+")
MAX_WORDS = 8


def query_words(text: str) -> list[str]:
    """The query's words, lower case (at most MAX_WORDS: a pasted paragraph is not a search)."""
    return [w.lower() for w in _BLANKS.split(text.strip()) if w][:MAX_WORDS]


def full_text_vector(weighted: bool = False):
    from django.contrib.postgres.search import SearchVector

    if not weighted:  # the indexed expression (migration 0007): keep them identical
        return SearchVector(*SEARCH_FIELDS, config="english")
    return (
        SearchVector("title", weight="A", config="english")
        + SearchVector("identifier", "creator", weight="B", config="english")
        + SearchVector("description", "place", weight="C", config="english")
        + SearchVector("source", "date_display", "rights", weight="D", config="english")
    )


def substring_condition(words: list[str]) -> Q:
    """Every word in the compacted text or in the era's name. Each part is a subquery of its own, so that on
    PostgreSQL each is served by its index (an OR across a join would scan every row)."""
    condition = Q()
    for word in words:
        in_text = Photo.objects.order_by().filter(search_text__contains=word).values("pk")
        eras = (
            Era.objects.order_by()
            .filter(Q(name_ko__icontains=word) | Q(name_en__icontains=word))
            .values("pk")
        )
        condition &= Q(pk__in=in_text) | Q(era_id__in=eras)
    return condition


def search_photos(queryset, text: str):
    """The photos of `queryset` matching `text` (see the module's docstring); on PostgreSQL ordered by rank."""
    words = query_words(text)
    if not words:
        return queryset
    condition = substring_condition(words)
    if not settings.IS_POSTGRES:
        return queryset.filter(condition)
    from django.contrib.postgres.search import SearchQuery, SearchRank

    query = SearchQuery(" ".join(words), search_type="websearch", config="english")
    in_full_text = Photo.objects.order_by().annotate(fts=full_text_vector()).filter(fts=query).values("pk")
    return (
        queryset.filter(condition | Q(pk__in=in_full_text))
        .annotate(rank=SearchRank(full_text_vector(weighted=True), query))
        .order_by("-rank", "-created", "-id")
    )
