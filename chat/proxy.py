"""Serving over HTTPS, directly or behind reverse proxies.

With CHAT_TRUSTED_PROXIES=n the app believes the last n hops' X-Forwarded-For and
X-Forwarded-Proto (werkzeug's ProxyFix), so the client's address (used by the sign-in
limits) and scheme are the real ones. Without it those headers are ignored: anyone can
send them. Cookies set in answer to a request that arrived over HTTPS are Secure.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import Flask, Response, has_request_context, request
from werkzeug.middleware.proxy_fix import ProxyFix


class SecureOverHttpsResponse(Response):
    """A response whose cookies are Secure whenever the request came over HTTPS.

    Flask's session cookie and Flask-Login's remember cookie are both set through
    `set_cookie`, so this covers them as well as any cookie set by a view; settings
    (SESSION_COOKIE_SECURE, REMEMBER_COOKIE_SECURE) can only add the flag, never drop it.
    """

    def set_cookie(
        self,
        key: str,
        value: str = "",
        max_age: timedelta | int | None = None,
        expires: str | datetime | int | float | None = None,
        path: str | None = "/",
        domain: str | None = None,
        secure: bool = False,
        httponly: bool = False,
        samesite: str | None = None,
        partitioned: bool = False,
    ) -> None:
        """Set a cookie, Secure if asked or if this request is over HTTPS."""
        super().set_cookie(
            key,
            value,
            max_age=max_age,
            expires=expires,
            path=path,
            domain=domain,
            secure=secure or (has_request_context() and request.is_secure),
            httponly=httponly,
            samesite=samesite,
            partitioned=partitioned,
        )


def init_app(app: Flask) -> None:
    """Use Secure-over-HTTPS cookies and trust CHAT_TRUSTED_PROXIES hops of proxy headers.

    Call last in the factory: ProxyFix must be the outermost layer, so Socket.IO
    requests see the real address and scheme too.
    """
    app.response_class = SecureOverHttpsResponse
    hops = app.config["CHAT_TRUSTED_PROXIES"]
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
