"""Photo browsing filters: collection, era, situation, status, a date range (overlap) and full-text q."""

import django_filters
from django.db.models import Q

from archive.models import Photo, PhotoStatus
from archive.services.search import search_photos


class PhotoFilter(django_filters.FilterSet):
    collection = django_filters.NumberFilter(field_name="collection_id", help_text="a collection id")
    era = django_filters.CharFilter(field_name="era__slug", help_text="an era slug")
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
        fields = ["collection", "era", "situation", "status", "date_from", "date_to", "q"]

    # A photo's range is [date_from, date_to]; a missing end takes the other end's value. A photo with no
    # date at all never matches a date filter.
    def filter_date_from(self, queryset, name, value):
        return queryset.filter(Q(date_to__gte=value) | Q(date_to__isnull=True, date_from__gte=value))

    def filter_date_to(self, queryset, name, value):
        return queryset.filter(Q(date_from__lte=value) | Q(date_from__isnull=True, date_to__lte=value))

    def filter_q(self, queryset, name, value):
        return search_photos(queryset, value)
