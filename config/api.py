"""One error format for the whole API: {"error": {"code", "message", "fields"}}."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext, gettext_lazy, gettext_noop
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

# DRF's own messages: its catalogue exists only as ko_KR, which Django's "ko" does not load, so the ones this API
# answers with are extracted into locale/ko (makemessages) from here; DRF translates them lazily as usual.
DRF_MESSAGES = (
    gettext_noop("You do not have permission to perform this action."),
    gettext_noop("Authentication credentials were not provided."),
    gettext_noop("Incorrect authentication credentials."),
    gettext_noop("Invalid token."),
    gettext_noop("Malformed request."),
    gettext_noop('Method "{method}" not allowed.'),
    gettext_noop('Unsupported media type "{media_type}" in request.'),
    gettext_noop("Request was throttled."),
    gettext_noop("This field is required."),
    gettext_noop("This field may not be blank."),
    gettext_noop("This field may not be null."),
    gettext_noop("Not a valid string."),
    gettext_noop("A valid integer is required."),
    gettext_noop("Must be a valid boolean."),
    gettext_noop('"{input}" is not a valid choice.'),
    gettext_noop("Ensure this field has no more than {max_length} characters."),
    gettext_noop("Invalid page."),
    gettext_noop("Date has wrong format. Use one of these formats instead: {format}."),
    gettext_noop("No file was submitted."),
    gettext_noop("The submitted file is empty."),
    gettext_noop("A server error occurred."),
)


class ServiceError(Exception):
    """Raised by services (check_* functions) with a stable machine code and a human message."""

    status_code = status.HTTP_400_BAD_REQUEST

    def __init__(
        self, code: str, message: str, *, fields: dict | None = None, status_code: int | None = None
    ):
        super().__init__(message)
        self.code = code
        self.message = message
        self.fields = fields or {}
        if status_code is not None:
            self.status_code = status_code


class NotFound(ServiceError, Http404):
    """The one not-found error: the same code, message and status whatever is missing or hidden (an outsider
    cannot tell a private thing from an absent one). An Http404 too, so pages render their 404."""

    CODE = "not_found"
    MESSAGE = gettext_lazy("not found")

    def __init__(self):
        super().__init__(self.CODE, self.MESSAGE, status_code=404)

    @classmethod
    def body(cls) -> dict:
        """The one not-found body, for the places that answer a 404 without raising this (Http404, no route)."""
        return error_body(cls.CODE, str(cls.MESSAGE))


def fields_message(fields: dict) -> str:
    """The one-line message of field errors, "name: problem; other: problem one problem two", from
    {name: problem or [problems]} whose problems are already in the reader's language."""
    return "; ".join(
        f"{name}: {' '.join(str(p) for p in problems) if isinstance(problems, list | tuple) else problems}"
        for name, problems in fields.items()
    )


def invalid(fields: dict, message: str | None = None) -> ServiceError:
    """The one 400 "invalid" error: {field: problem or [problems]}, already in the reader's language (gettext).
    Its message is fields_message(fields), or `message` where one sentence says it better for the request."""
    fields = {name: list(p) if isinstance(p, list | tuple) else [p] for name, p in fields.items()}
    return ServiceError("invalid", fields_message(fields) if message is None else message, fields=fields)


def text_problem(value, max_length: int) -> str | None:
    """The one check of a text field: what is wrong with `value`, in the reader's language, or None when it is a
    string of at most `max_length` characters."""
    if not isinstance(value, str):
        return gettext("must be a string")
    if len(value) > max_length:
        return gettext("at most %(max)s characters") % {"max": max_length}
    return None


def error_body(code: str, message: str, fields: dict | None = None) -> dict:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def _flatten(detail) -> dict:
    if isinstance(detail, dict):
        return {
            key: [str(item) for item in (value if isinstance(value, list) else [value])]
            for key, value in detail.items()
        }
    return {}


def exception_handler(exc, context):
    if isinstance(exc, ServiceError):
        return Response(error_body(exc.code, str(exc.message), exc.fields), status=exc.status_code)
    if isinstance(exc, DjangoValidationError):
        fields = exc.message_dict if hasattr(exc, "error_dict") else {}
        message = "; ".join(exc.messages)
        return Response(error_body("invalid", message, fields), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, Http404 | exceptions.NotFound):
        return Response(NotFound.body(), status=status.HTTP_404_NOT_FOUND)
    if isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten(exc.detail)
        if isinstance(exc.detail, list):
            message = "; ".join(str(item) for item in exc.detail)
        else:
            message = fields_message(fields) or gettext("invalid input")
        response.data = error_body("invalid", message, fields)
    else:
        detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        code = getattr(detail, "code", None) or getattr(exc, "default_code", "error")
        response.data = error_body(str(code), str(detail))
    return response


# ------------------------------------------------------------------------------------------- Django's errors
# What Django answers before or outside DRF's views (config/urls.py: handler400/403/404/500): a URL that
# matches no route (/api/hints/abc/: the <int:> converter refuses it), a suspicious request, a server error.
# Under /api/ they are JSON in the one error format, with the code and message DRF's views give; elsewhere
# the usual page.


def _api(request) -> bool:
    return request.path.startswith("/api/")


def bad_request(request, exception):
    if _api(request):
        return JsonResponse(error_body("bad_request", gettext("Malformed request.")), status=400)
    return defaults.bad_request(request, exception)


def permission_denied(request, exception):
    if _api(request):
        message = gettext("You do not have permission to perform this action.")
        return JsonResponse(error_body("permission_denied", message), status=403)
    return defaults.permission_denied(request, exception)


def page_not_found(request, exception):
    if _api(request):
        return JsonResponse(NotFound.body(), status=404)
    return defaults.page_not_found(request, exception)


def server_error(request):
    if _api(request):
        return JsonResponse(error_body("server_error", gettext("A server error occurred.")), status=500)
    return defaults.server_error(request)
