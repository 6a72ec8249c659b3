"""Request-wide middleware: log every refused access (403), the Permissions-Policy header, and the Chinese
414 answer to an over-long URL."""

import logging

from django.conf import settings
from django.utils import translation

from .clientaddr import client_ip

logger = logging.getLogger("regulator.access")


class ForbiddenLogMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code == 403:
            user = getattr(request, "user", None)
            logger.warning(
                "403 refused: user=%s method=%s path=%s ip=%s",
                getattr(user, "username", None) or "anonymous",
                request.method,
                request.path,
                client_ip(request) or "",
            )
        return response


def permissions_policy_header(policy: dict[str, list[str]]) -> str:
    """{"camera": ["self"], "usb": []} → 'camera=(self), usb=()' (origins other than self/* are quoted)."""

    def origin(value: str) -> str:
        return value if value in {"self", "*", "src"} else f'"{value}"'

    return ", ".join(f"{feature}=({' '.join(origin(v) for v in allowed)})" for feature, allowed in policy.items())


class PermissionsPolicyMiddleware:
    """Sends settings.PERMISSIONS_POLICY on every response that does not set its own."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.header = permissions_policy_header(getattr(settings, "PERMISSIONS_POLICY", {}))

    def __call__(self, request):
        response = self.get_response(request)
        if self.header and "Permissions-Policy" not in response:
            response.headers["Permissions-Policy"] = self.header
        return response


class RequestLimitsMiddleware:
    """Answers a URL (path and query string as sent) longer than settings.REQUEST_MAX_URL_BYTES with the Chinese
    414 page before any view parses it, e.g. a search of 10,000 characters; a url-encoded form over the body limit
    with the Chinese 413 page; and a URL with a NUL character, which no address or search has a use for and
    PostgreSQL refuses in any string, with the Chinese 400 page."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.limit = settings.REQUEST_MAX_URL_BYTES

    @staticmethod
    def _form_too_large(request) -> bool:
        """A url-encoded form body over DATA_UPLOAD_MAX_MEMORY_SIZE, known from its Content-Length before it is read
        (Django would refuse it when the form is read, with the debug page when DEBUG is on, as in the demo)."""
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if limit is None or not request.META.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
            return False
        try:
            return int(request.META.get("CONTENT_LENGTH") or 0) > limit
        except ValueError:
            return False

    def __call__(self, request):
        # WSGI strings hold the bytes as sent, one character each.
        length = len(request.META.get("PATH_INFO", "")) + len(request.META.get("QUERY_STRING", ""))
        if length > self.limit:
            from .views import uri_too_long

            return uri_too_long(request)
        if self._form_too_large(request):
            from django.core.exceptions import RequestDataTooBig

            from .views import bad_request

            with translation.override(translation.get_language_from_request(request)):
                return bad_request(request, RequestDataTooBig())
        if "%00" in request.META.get("QUERY_STRING", "") or "\x00" in request.META.get("PATH_INFO", ""):
            from .views import bad_request

            with translation.override(translation.get_language_from_request(request)):
                return bad_request(request)
        return self.get_response(request)
