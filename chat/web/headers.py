"""Security headers on every page: a strict Content-Security-Policy and friends.

No inline script is allowed anywhere, and nothing from another origin. The one inline
style block (the standalone, print-friendly transcript page) carries a per-response
nonce, so inline styles stay refused everywhere else.
"""

from __future__ import annotations

import secrets

from flask import Flask, request
from werkzeug.wrappers import Response

NONCE_KEY = "chat.csp_nonce"


def csp_nonce() -> str:
    """This response's nonce for an inline `<style>` block (made on first use, kept in
    the request's environ so no two requests share one)."""
    return str(request.environ.setdefault(NONCE_KEY, secrets.token_urlsafe(16)))


def content_security_policy(host: str, nonce: str | None) -> str:
    """The policy for a page served from `host`: this origin only, no inline script."""
    style = "style-src 'self'" + (f" 'nonce-{nonce}'" if nonce else "")
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            style,
            "img-src 'self' data:",
            # 'self' covers ws:// and wss:// of this host in current browsers; saying so
            # explicitly keeps older ones on the WebSocket transport too.
            f"connect-src 'self' ws://{host} wss://{host}",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def init_app(app: Flask) -> None:
    """Add the headers to every response and `csp_nonce()` to templates."""
    app.jinja_env.globals["csp_nonce"] = csp_nonce

    @app.after_request
    def _security_headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault(
            "Content-Security-Policy",
            content_security_policy(request.host, request.environ.get(NONCE_KEY)),
        )
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("X-Frame-Options", "DENY")
        return response
