"""API tokens on the plain Django views that sit beside the REST API (/media/, /iiif/, annotations): the same
`Authorization: Token <key>` that DRF accepts, so scripts reach everything a browser session reaches."""

from functools import wraps

from django.http import JsonResponse
from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed

from config.api import error_body


def token_or_session(view):
    """Authenticate a `Token` Authorization header like DRF does (a bad token is refused, never ignored);
    without one the session decides."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        try:
            found = TokenAuthentication().authenticate(request)
        except AuthenticationFailed as exc:
            return JsonResponse(error_body("authentication_failed", str(exc.detail)), status=403)
        if found is not None:
            request.user = found[0]
        return view(request, *args, **kwargs)

    return wrapped
