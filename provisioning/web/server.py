"""Serving the back office: Django's threaded WSGI server for one shop (each open monitoring
page holds one thread for its live feed), or any WSGI server through ``wsgi.application``."""

from __future__ import annotations

from collections.abc import Callable

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


def serve(
    host: str, port: int, *, on_ready: Callable[[ThreadedWSGIServer], None] | None = None
) -> None:
    """Serve until interrupted; ``on_ready`` is called once the socket listens."""
    httpd = make_server(host, port)
    if on_ready is not None:
        on_ready(httpd)
    try:
        httpd.serve_forever()
    finally:
        httpd.server_close()
