"""Photo text search: PostgreSQL full-text search (ranked) on PostgreSQL, a word-by-word icontains elsewhere."""

from django.conf import settings
from django.db.models import Q

SEARCH_FIELDS = ("title", "description", "place", "creator", "identifier", "source", "date_display", "rights")


def search_photos(queryset, text: str):
    """PostgreSQL full-text search (ranked) on PostgreSQL; every word must appear (icontains) elsewhere."""
    text = text.strip()
    if not text:
        return queryset
    if settings.IS_POSTGRES:
        from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector

        vector = (
            SearchVector("title", weight="A", config="english")
            + SearchVector("identifier", "creator", weight="B", config="english")
            + SearchVector("description", "place", "era__name", weight="C", config="english")
            + SearchVector("source", "date_display", "rights", weight="D", config="english")
        )
        query = SearchQuery(text, search_type="websearch", config="english")
        return (
            queryset.annotate(search=vector, rank=SearchRank(vector, query))
            .filter(search=query)
            .order_by("-rank", "-created", "-id")
        )
    condition = Q()
    for word in text.split():
        any_field = Q()
        for name in (*SEARCH_FIELDS, "era__name"):
            any_field |= Q(**{f"{name}__icontains": word})
        condition &= any_field
    return queryset.filter(condition)
