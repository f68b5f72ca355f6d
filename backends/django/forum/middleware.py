"""The API's middleware: errors in the API's shape, and framing like the Flask app's.

``ApiErrorMiddleware``: an ``ApiError`` carries its own status and JSON; a
database that can't be reached is a 503 and any other database error a 500,
like the Flask reference (finboard.errors). Everything else falls through to
``handler500``.

``SecurityHeadersMiddleware``: the security headers every backend sends
(``API_SECURITY_HEADERS``), on every answer, errors included; Django's own
SecurityMiddleware would add Cross-Origin-Opener-Policy, which no other
backend sends.

``ContentLengthMiddleware``: every answer carries its Content-Length (Django
only adds one in CommonMiddleware, which would also redirect to slashes), and
a HEAD answer has the GET's headers and no body, as Flask answers HEAD.
"""

from __future__ import annotations

import logging

from django.db import DatabaseError, InterfaceError, OperationalError

from finboard.contract.errors import ApiError, http_error
from finboard.core.security_headers import API_SECURITY_HEADERS

from .responses import error_response

logger = logging.getLogger("finboard.errors")


class ApiErrorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, ApiError):
            return error_response(exception)
        if isinstance(exception, OperationalError | InterfaceError):
            logger.error("database unavailable: %s", exception.__class__.__name__, exc_info=exception)
            return error_response(http_error(503))
        if isinstance(exception, DatabaseError):
            logger.error("database error: %s", exception.__class__.__name__, exc_info=exception)
            return error_response(http_error(500))
        return None  # Django logs it and answers with handler500


class ContentLengthMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.streaming:
            return response
        if "Content-Length" not in response.headers:
            response.headers["Content-Length"] = str(len(response.content))
        if request.method == "HEAD":
            # The WSGI server would drop the body anyway, with a warning each time.
            response.content = b""
        return response


class SecurityHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        for name, value in API_SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response
