"""Cookies are Secure when the site is served over HTTPS: directly, by setting, or
behind a trusted proxy; a forged X-Forwarded-Proto changes nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_login import login_user

from chat.config import from_environment
from chat.models import User
from tests.helpers import PASSWORD

PLAIN = {"SESSION_COOKIE_SECURE": False, "REMEMBER_COOKIE_SECURE": False}
PROXIED = PLAIN | {"CHAT_TRUSTED_PROXIES": 1}
HTTPS = {"X-Forwarded-Proto": "https"}


def session_cookie(client: FlaskClient, user: User, base_url: str | None = None, **headers: str):
    response = client.post(
        "/login",
        data={"email": user.email, "password": PASSWORD},
        headers=headers,
        **({"base_url": base_url} if base_url else {}),
    )
    assert response.status_code == 302
    (cookie,) = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
    return cookie


def is_secure(set_cookie: str) -> bool:
    return "secure" in [part.strip().lower() for part in set_cookie.split(";")]


@pytest.mark.parametrize("app_config", [PLAIN])
def test_plain_http_without_a_proxy_gets_plain_cookies_even_if_a_header_says_https(
    client: FlaskClient, member: User
) -> None:
    assert not is_secure(session_cookie(client, member))
    assert not is_secure(session_cookie(client, member, **HTTPS))  # forged: no trusted proxy


@pytest.mark.parametrize("app_config", [PLAIN])
def test_a_request_over_https_gets_secure_cookies(client: FlaskClient, member: User) -> None:
    assert is_secure(session_cookie(client, member, base_url="https://traineetalk.test"))


@pytest.mark.parametrize("app_config", [PROXIED])
def test_behind_a_trusted_proxy_its_forwarded_scheme_decides(
    client: FlaskClient, member: User
) -> None:
    assert is_secure(session_cookie(client, member, **HTTPS))
    assert not is_secure(session_cookie(client, member, **{"X-Forwarded-Proto": "http"}))


@pytest.mark.parametrize("app_config", [PLAIN])
def test_the_remember_cookie_is_secure_over_https_too(app: Flask, member: User) -> None:
    for scheme, secure in (("https", True), ("http", False)):
        with app.test_request_context("/login", base_url=f"{scheme}://traineetalk.test"):
            app.preprocess_request()
            login_user(member, remember=True)
            response = app.process_response(app.make_response("signed in"))
        cookies = {c.split("=", 1)[0]: c for c in response.headers.getlist("Set-Cookie")}
        assert is_secure(cookies["remember_token"]) is secure
        assert is_secure(cookies["session"]) is secure


@pytest.mark.parametrize(
    ("env", "secure"),
    [
        ({"CHAT_ENV": "development"}, False),
        ({"CHAT_ENV": "development", "PREFERRED_URL_SCHEME": "https"}, True),
        ({"CHAT_ENV": "development", "CHAT_SECURE_COOKIES": "1"}, True),
        ({}, True),  # production
        ({"CHAT_SECURE_COOKIES": "0", "PREFERRED_URL_SCHEME": "https"}, True),
    ],
)
def test_settings_make_every_cookie_secure(
    tmp_path: Path, env: dict[str, Any], secure: bool
) -> None:
    config = from_environment(tmp_path, env={"SECRET_KEY": "x", **env})
    assert config["SESSION_COOKIE_SECURE"] is secure
    assert config["REMEMBER_COOKIE_SECURE"] is secure


@pytest.mark.parametrize(
    "app_config", [{"PREFERRED_URL_SCHEME": "https", "SESSION_COOKIE_SECURE": True}]
)
def test_with_https_preferred_cookies_are_secure_over_any_hop(
    client: FlaskClient, member: User
) -> None:
    assert is_secure(session_cookie(client, member))
