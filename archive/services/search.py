"""Photo text search, for Korean and English (docs/search.md).

Every word of the query must appear in the photo's descriptive text, as a substring of the compacted text
(Photo.search_text: lower case, white space removed), or in its era's Korean or English name. Substrings suit
Korean, whose words carry particles ("서울역" is found in "서울역에서") and whose spacing varies ("서울 역" finds
"서울역", "서울역" finds "서울 역"). On PostgreSQL English full-text search is added (stemming: "celebrating"
finds "celebrate"), and each part is served by an index: pg_trgm GIN on search_text, GIN on the English
vector, the era foreign key's B-tree; the planner combines them (BitmapOr/BitmapAnd) instead of scanning.
Elsewhere (SQLite) the same substring match scans.

Results come best first: photos with more of the query's words in their title, then the newest. One query in
all: the era names are matched inside it, never looked up separately."""

import re

from django.conf import settings
from django.db.models import BooleanField, Case, Expression, F, IntegerField, Q, Value, When

from archive.models import SEARCH_FIELDS, Era

_BLANKS = re.compile(r"\s+")
MAX_WORDS = 8


def query_words(text: str) -> list[str]:
    """The query's words, lower case (at most MAX_WORDS: a pasted paragraph is not a search)."""
    return [w.lower() for w in _BLANKS.split(text.strip()) if w][:MAX_WORDS]


def full_text_vector():
    """The indexed expression of migration 0007: keep them identical, or the planner cannot use the index."""
    from django.contrib.postgres.search import SearchVector

    return SearchVector(*SEARCH_FIELDS, config="english")


class EqualsAny(Expression):
    """lhs = ANY(ARRAY(subquery)) (PostgreSQL): unlike IN (subquery) inside an OR, a B-tree index serves it."""

    output_field = BooleanField()

    def __init__(self, lhs, array):
        super().__init__()
        self.lhs, self.array = lhs, array

    def get_source_expressions(self):
        return [self.lhs, self.array]

    def set_source_expressions(self, exprs):
        self.lhs, self.array = exprs

    def as_sql(self, compiler, connection):
        lhs, lhs_params = compiler.compile(self.lhs)
        array, array_params = compiler.compile(self.array)
        return f"({lhs} = ANY({array}))", (*lhs_params, *array_params)


def _era_named(word: str) -> Q:
    eras = Era.objects.order_by().filter(Q(name_ko__icontains=word) | Q(name_en__icontains=word)).values("pk")
    if settings.IS_POSTGRES:
        from django.contrib.postgres.expressions import ArraySubquery

        return Q(EqualsAny(F("era_id"), ArraySubquery(eras)))
    return Q(era_id__in=eras)


def word_condition(words: list[str]) -> Q:
    condition = Q()
    for word in words:
        condition &= Q(search_text__contains=word) | _era_named(word)
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
    if settings.IS_POSTGRES:
        from django.contrib.postgres.search import SearchQuery

        query = SearchQuery(" ".join(words), search_type="websearch", config="english")
        queryset = queryset.annotate(fts=full_text_vector())
        condition |= Q(fts=query)
    return queryset.filter(condition).annotate(rank=title_rank(words)).order_by("-rank", "-created", "-id")
