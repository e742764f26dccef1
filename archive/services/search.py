"""Photo text search, for Korean and English (docs/search.md).

Every word of the query must appear in the photo's descriptive text, as a substring of the compacted text
(Photo.search_text: lower case, white space removed), or in its era's Korean or English name. Substrings suit
Korean, whose words carry particles ("서울역" is found in "서울역에서") and whose spacing varies ("서울 역" finds
"서울역", "서울역" finds "서울 역"). On PostgreSQL English full-text search is added (stemming: "celebrating"
finds "celebrate"), and each part is served by an index: pg_trgm GIN on search_text, GIN on the English
vector, the era foreign key's B-tree; the planner combines them (BitmapOr/BitmapAnd) instead of scanning.
Elsewhere (SQLite) the same substring match scans.

Results come best first: photos with more of the query's words in their title, then the newest. A search costs
one query more than a plain list (the era names, matched in Python), whatever the number of words or photos."""

import re

from django.conf import settings
from django.db.models import Case, IntegerField, Q, Value, When

from archive.models import SEARCH_FIELDS, Era, Photo

_BLANKS = re.compile(r"\s+")
_LATIN = re.compile(r"[a-z]")
MAX_WORDS = 8


def query_words(text: str) -> list[str]:
    """The query's words, lower case (at most MAX_WORDS: a pasted paragraph is not a search)."""
    return [w.lower() for w in _BLANKS.split(text.strip()) if w][:MAX_WORDS]


def full_text_vector():
    """The indexed expression of migration 0007: keep them identical, or the planner cannot use the index."""
    from django.contrib.postgres.search import SearchVector

    return SearchVector(*SEARCH_FIELDS, config="english")


def eras_named(words: list[str]) -> dict[str, list[int]]:
    """For each word, the eras whose Korean or English name contains it: one small query (the vocabulary has a
    few dozen rows) instead of a join or subquery per word, which would hide the photo indexes from the
    planner (an OR across a join or an IN-subquery turns the search into a scan of every photo)."""
    eras = list(Era.objects.order_by().values_list("pk", "name_ko", "name_en"))
    return {
        word: [pk for pk, ko, en in eras if word in (ko or "").lower() or word in (en or "").lower()]
        for word in words
    }


def word_condition(words: list[str]) -> Q:
    condition = Q()
    for word, era_ids in eras_named(words).items():
        condition &= (
            Q(search_text__contains=word) | Q(era_id__in=era_ids)
            if era_ids
            else Q(search_text__contains=word)
        )
    return condition


def title_rank(words: list[str]):
    """How many of the query's words the title contains (computed for the matching photos only)."""
    rank = Value(0, output_field=IntegerField())
    for word in words:
        rank = rank + Case(
            When(title__icontains=word, then=Value(1)), default=Value(0), output_field=IntegerField()
        )
    return rank


def search_photos(queryset, text: str):
    """The photos of `queryset` matching `text` (see the module's docstring), best first."""
    words = query_words(text)
    if not words:
        return queryset
    condition = word_condition(words)
    latin = [w for w in words if _LATIN.search(w)]
    if settings.IS_POSTGRES and latin:  # English stemming means nothing to a Korean word
        from django.contrib.postgres.search import SearchQuery

        query = SearchQuery(" ".join(latin), search_type="websearch", config="english")
        # An IN-subquery: the GIN index finds the matches once; computing the vector row by row is what
        # makes a scan slow when the planner expects many matches.
        matches = Photo.objects.order_by().annotate(fts=full_text_vector()).filter(fts=query).values("pk")
        condition |= Q(pk__in=matches)
    return queryset.filter(condition).annotate(rank=title_rank(words)).order_by("-rank", "-created", "-id")
