"""WSGI middleware that keeps WebSocket frames uncompressed.

simple-websocket accepts permessage-deflate whenever a client offers it, and browsers
always do; a broadcast is then compressed once per recipient, which made a room of
1,000 about 60 times slower at p99 (see DESIGN.md, measured facts). Chat frames are
small, so we hide the offer from the server and the handshake negotiates no extension.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def without_websocket_compression(app: WSGIApp) -> WSGIApp:
    """Wrap `app` so WebSocket upgrades never negotiate permessage-deflate."""

    def middleware(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        environ.pop("HTTP_SEC_WEBSOCKET_EXTENSIONS", None)
        return app(environ, start_response)

    return middleware
