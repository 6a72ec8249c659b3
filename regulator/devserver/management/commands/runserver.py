"""`manage.py runserver` as django.contrib.staticfiles has it, except that the answers the server gives without the
application — 414 for a request line over 64 KB (a search of 10,000 Chinese characters is 90 KB once
percent-encoded), 400 for one it cannot parse — are the site's Chinese pages, not http.server's English ones.
Shorter over-long URLs reach regulator.middleware.RequestLimitsMiddleware, which answers the same 414 page."""

from django.conf import settings
from django.contrib.staticfiles.management.commands.runserver import Command as StaticfilesRunserver
from django.core.servers.basehttp import WSGIRequestHandler, WSGIServer
from django.template import loader
from django.utils import translation

TEMPLATES = {400: "400.html", 414: "414.html", 431: "414.html"}


class ChineseErrorsHandler(WSGIRequestHandler):
    def send_error(self, code, message=None, explain=None):
        template = TEMPLATES.get(code)
        if template is None:
            return super().send_error(code, message, explain)
        try:
            with translation.override(settings.LANGUAGE_CODE):
                content = loader.get_template(template).render({}).encode()
        except Exception:  # noqa: BLE001 - fall back to the standard page rather than drop the connection
            return super().send_error(code, message, explain)
        self.close_connection = True
        self.send_response(code, message)
        self.send_header("Connection", "close")
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(content)


class ChineseErrorsServer(WSGIServer):
    def __init__(self, server_address, request_handler_class, *args, **kwargs):
        super().__init__(server_address, ChineseErrorsHandler, *args, **kwargs)


class Command(StaticfilesRunserver):
    server_cls = ChineseErrorsServer
