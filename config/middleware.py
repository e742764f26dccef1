"""No 5xx from bad input: numbers too big for the database (a 30-digit id in a URL or a query parameter) end as
a clear 400 wherever they are converted, in the REST API and in the plain pages alike."""

import logging

from django.db import DataError
from django.http import HttpResponseBadRequest, JsonResponse
from django.utils.translation import gettext

from config.api import error_body

log = logging.getLogger(__name__)


class BadInputMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        # OverflowError: SQLite takes 64-bit integers only; DataError: PostgreSQL's "out of range" for a value
        # the client sent (both are about input: the same request can never succeed).
        if not isinstance(exception, OverflowError | DataError):
            return None
        log.info("bad input on %s: %s", request.path, exception)
        message = gettext("a number in the request is out of range")
        if request.path.startswith(("/api/", "/iiif/")):
            return JsonResponse(error_body("invalid", message), status=400)
        return HttpResponseBadRequest(message)
