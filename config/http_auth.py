"""API tokens on the plain Django views that sit beside the REST API (/media/, /iiif/, annotations): the same
`Authorization: Token <key>` that DRF accepts, so scripts reach everything a browser session reaches."""

from functools import wraps

from asgiref.sync import iscoroutinefunction, sync_to_async
from django.http import JsonResponse
from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed

from config.api import error_body


def token_or_session(view):
    """Authenticate a `Token` Authorization header like DRF does (a bad token is refused, never ignored);
    without one the session decides. An async view reads the user with `await request.auser()`."""
    if iscoroutinefunction(view):
        return _async_token_or_session(view)

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


def _async_token_or_session(view):
    @wraps(view)
    async def wrapped(request, *args, **kwargs):
        if request.headers.get("Authorization"):  # else nothing to look up: no database work, no thread
            try:
                found = await sync_to_async(TokenAuthentication().authenticate)(request)
            except AuthenticationFailed as exc:
                return JsonResponse(error_body("authentication_failed", str(exc.detail)), status=403)
            if found is not None:
                user = request.user = found[0]

                async def auser():
                    return user

                request.auser = auser
        return await view(request, *args, **kwargs)

    return wrapped
