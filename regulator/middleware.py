"""Log every refused access (403) with who, what and from where."""

import logging

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
