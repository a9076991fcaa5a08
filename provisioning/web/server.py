"""Serving the back office: Django's threaded WSGI server for one shop (each open monitoring
page holds one thread for its live feed), or any WSGI server through ``wsgi.application``.
``make_server`` binds first, so ``posctl web`` can say that a port is taken before it prints a
login."""

from __future__ import annotations

from django.core.servers.basehttp import (
    ThreadedWSGIServer,
    WSGIRequestHandler,
    get_internal_wsgi_application,
)


def make_server(host: str, port: int) -> ThreadedWSGIServer:
    """The back office listening on ``host:port`` (port 0: any free port), not yet serving."""
    httpd = ThreadedWSGIServer((host, port), WSGIRequestHandler, allow_reuse_address=True)
    httpd.set_app(get_internal_wsgi_application())
    return httpd
