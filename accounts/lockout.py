"""Brute-force protection: django-axes counts failed sign-ins (per username and client address) on every
password form (/login/, /admin/login/) and on POST /api/auth/token/; a locked-out client gets 429.

The lockout answer never says whether the username exists: axes counts failures for unknown usernames exactly
like for real ones, and the message speaks of "this address", not of an account.
"""

from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from config.api import error_body


class LockoutBackend(AxesStandaloneBackend):
    """Refuses any sign-in from a locked-out client. Programmatic `authenticate()` calls without a request
    (management commands, tests) are not web sign-ins and pass through to the next backend."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def client_address(request) -> str:
    """The client's address: REMOTE_ADDR, or with PROXY_COUNT proxies the matching X-Forwarded-For hop (the same
    rule as DRF's throttles with NUM_PROXIES)."""
    if settings.PROXY_COUNT:
        hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
        if hops:
            return hops[-min(settings.PROXY_COUNT, len(hops))]
    return request.META.get("REMOTE_ADDR", "")


def lockout_message() -> str:
    minutes = settings.LOGIN_COOLOFF_MINUTES
    return ngettext(
        "Too many failed sign-in attempts. Try again in %(minutes)d minute.",
        "Too many failed sign-in attempts. Try again in %(minutes)d minutes.",
        minutes,
    ) % {"minutes": minutes}


def lockout_response(request, original_response=None, credentials=None):
    """AXES_LOCKOUT_CALLABLE: the same 429 whatever the username; JSON for the API, a page for browsers."""
    status = settings.AXES_HTTP_RESPONSE_CODE
    if request.path.startswith("/api/"):
        response = JsonResponse(error_body("locked_out", lockout_message()), status=status)
    else:
        response = render(
            request,
            "frontend/lockout.html",
            {"message": lockout_message(), "title": _("Sign-in paused")},
            status=status,
        )
    response["Retry-After"] = str(settings.LOGIN_COOLOFF_MINUTES * 60)
    return response
