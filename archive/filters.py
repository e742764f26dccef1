"""Photo browsing filters: collection, era (with the eras below it), decade, situation, status, a date range
(overlap) and full-text q."""

import datetime as dt

import django_filters
from django import forms
from django.db.models import F, Q, Subquery
from rest_framework.filters import OrderingFilter

from archive.models import Era, EraKind, Photo, PhotoStatus
from archive.services.search import search_photos


class IdField(forms.IntegerField):
    """A database id: a whole number from 1 to 2**63 - 1 ("1e20" or "1.5" is a 400, not a crash)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", 2**63 - 1)
        super().__init__(**kwargs)


class IdFilter(django_filters.NumberFilter):
    field_class = IdField


class YearField(forms.IntegerField):
    """A year from 1 to 9999 (what a date can hold)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", 9999)
        super().__init__(**kwargs)


class YearFilter(django_filters.NumberFilter):
    field_class = YearField


class PhotoFilter(django_filters.FilterSet):
    collection = IdFilter(field_name="collection_id", help_text="a collection id")
    era = django_filters.CharFilter(
        method="filter_era",
        help_text="an era slug: photos of that era or of an era inside it; for a decade or a century, also the "
        "photos dated inside it",
    )
    decade = YearFilter(
        method="filter_decade",
        min_value=10,
        help_text="a decade's first year (1910): photos whose date range overlaps 1910–1919",
    )
    situation = django_filters.CharFilter(field_name="situations__slug", help_text="a situation slug")
    status = django_filters.ChoiceFilter(choices=PhotoStatus.choices)
    date_from = django_filters.DateFilter(
        method="filter_date_from", help_text="photos whose date range ends on or after this day"
    )
    date_to = django_filters.DateFilter(
        method="filter_date_to", help_text="photos whose date range starts on or before this day"
    )
    q = django_filters.CharFilter(method="filter_q", help_text="full-text search in the descriptive metadata")

    class Meta:
        model = Photo
        fields = ["collection", "era", "decade", "situation", "status", "date_from", "date_to", "q"]

    # A photo's range is [date_from, date_to]; a missing end takes the other end's value. A photo with no
    # date at all never matches a date filter.
    def filter_date_from(self, queryset, name, value):
        return queryset.filter(Q(date_to__gte=value) | Q(date_to__isnull=True, date_from__gte=value))

    def filter_date_to(self, queryset, name, value):
        return queryset.filter(Q(date_from__lte=value) | Q(date_from__isnull=True, date_to__lte=value))

    def filter_era(self, queryset, name, value):
        return queryset.filter(era_condition(value))

    def filter_decade(self, queryset, name, value):
        start = int(value) // 10 * 10
        return queryset.filter(dated_between(start, start + 9))

    def filter_q(self, queryset, name, value):
        return search_photos(queryset, value)


def dated_between(year_from: int, year_to: int) -> Q:
    """Photos whose date range [date_from, date_to] overlaps the years (approximate dates included: "c. 1915"
    is stored as a range); a missing end takes the other end's value; undated photos never match."""
    first, last = dt.date(year_from, 1, 1), dt.date(year_to, 12, 31)
    starts_before_end = Q(date_from__lte=last) | Q(date_from__isnull=True, date_to__lte=last)
    ends_after_start = Q(date_to__gte=first) | Q(date_to__isnull=True, date_from__gte=first)
    return starts_before_end & ends_after_start


def era_condition(slug: str) -> Q:
    """Photos of the era `slug` or of an era inside it (the trees are at most three deep: century, decade; period,
    sub-period); a decade or a century also takes the photos dated inside it (a photo carries a period, its
    decade follows from its date). No query of its own: the era's years come in as subqueries."""
    tagged = Q(era__slug=slug) | Q(era__parent__slug=slug) | Q(era__parent__parent__slug=slug)
    spans = Era.objects.filter(slug=slug, kind__in=[EraKind.DECADE, EraKind.CENTURY])
    first = Subquery(spans.values("year_from")[:1])
    last = Subquery(spans.values("year_to")[:1])
    starts_before_end = Q(date_from__year__lte=last) | Q(date_from__isnull=True, date_to__year__lte=last)
    ends_after_start = Q(date_to__year__gte=first) | Q(date_to__isnull=True, date_from__year__gte=first)
    return tagged | (starts_before_end & ends_after_start)


class PhotoOrdering(OrderingFilter):
    """`?ordering=` of the photo list. A photo without a date comes after the dated ones whichever way the dates
    run, on every database (PostgreSQL puts NULL last going up and first going down, SQLite the reverse)."""

    DATES = ("date_from", "date_to")

    def filter_queryset(self, request, queryset, view):
        ordering = self.get_ordering(request, queryset, view)
        if not ordering:
            return queryset
        terms = []
        for term in ordering:
            name = term.lstrip("-")
            if name in self.DATES:
                field = F(name)
                terms.append(
                    field.desc(nulls_last=True) if term.startswith("-") else field.asc(nulls_last=True)
                )
            else:
                terms.append(term)
        return queryset.order_by(*terms)
