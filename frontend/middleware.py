"""The viewer's time zone: pages render datetimes in the zone the browser reports (cookie `tz`, set by
frontend/js/i18n.js from Intl), else in settings.TIME_ZONE. Storage stays UTC (USE_TZ)."""

import zoneinfo

from django.utils import timezone

TZ_COOKIE = "tz"


def _zone(name: str):
    if not name or len(name) > 64:
        return None
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None


class TimezoneMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        zone = _zone(request.COOKIES.get(TZ_COOKIE, ""))
        if zone is None:
            timezone.deactivate()
        else:
            timezone.activate(zone)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
