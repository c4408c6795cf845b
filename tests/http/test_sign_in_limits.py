"""Sign-in attempts are limited per account and per address; only failures count."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient

from chat.models import User
from tests.helpers import PASSWORD, Clock

LIMIT_MESSAGE = "Too many sign-in attempts for this account or from this address."


def sign_in(
    client: FlaskClient, email: str, password: str, address: str = "192.0.2.1", **headers: str
) -> Any:
    return client.post(
        "/login",
        data={"email": email, "password": password},
        environ_base={"REMOTE_ADDR": address},
        headers=headers,
    )


def signed_in(client: FlaskClient) -> bool:
    return client.get("/profile").status_code == 200


def test_five_failures_lock_the_account_for_a_while(
    client: FlaskClient, member: User, clock: Clock
) -> None:
    for _ in range(5):
        assert sign_in(client, member.email, "not my password").status_code == 400
    locked = sign_in(client, member.email, PASSWORD, address="198.51.100.7")
    page = locked.get_data(as_text=True)
    assert locked.status_code == 429 and locked.headers["Retry-After"] == "180"
    assert LIMIT_MESSAGE in page and "Try again in 3 minutes." in page
    assert not signed_in(client)

    clock.now += timedelta(minutes=3)  # 5 per 15 minutes: one attempt back every 3
    assert sign_in(client, member.email, PASSWORD).status_code == 302
    assert signed_in(client)


def test_an_unknown_account_is_limited_like_a_real_one(client: FlaskClient) -> None:
    for _ in range(5):
        assert sign_in(client, "nobody@example.org", "guess").status_code == 400
    assert sign_in(client, "Nobody@Example.org", "guess").status_code == 429


def test_an_address_trying_many_accounts_is_stopped_but_others_sign_in(
    client: FlaskClient, member: User
) -> None:
    for n in range(20):
        assert sign_in(client, f"guess{n}@example.org", "guess", "203.0.113.66").status_code == 400
    refused = sign_in(client, member.email, PASSWORD, "203.0.113.66")
    assert refused.status_code == 429 and LIMIT_MESSAGE in refused.get_data(as_text=True)
    # Someone else's address being blocked does not block the member elsewhere.
    assert sign_in(client, member.email, PASSWORD, "192.0.2.44").status_code == 302


def test_successful_sign_ins_never_use_up_an_address(
    client: FlaskClient, member: User, organiser: User
) -> None:
    for _ in range(25):
        for user in (member, organiser):
            assert sign_in(client, user.email, PASSWORD, "192.0.2.80").status_code == 302


def test_a_forged_forwarded_for_does_not_change_the_address(
    client: FlaskClient, member: User
) -> None:
    """Without a trusted proxy anyone could send X-Forwarded-For: it must be ignored."""
    for n in range(20):
        forged = {"X-Forwarded-For": f"10.9.0.{n}"}
        assert (
            sign_in(client, f"g{n}@example.org", "guess", "203.0.113.9", **forged).status_code
            == 400
        )
    again = sign_in(
        client, member.email, PASSWORD, "203.0.113.9", **{"X-Forwarded-For": "10.9.9.9"}
    )
    assert again.status_code == 429


@pytest.mark.parametrize("app_config", [{"CHAT_TRUSTED_PROXIES": 1}])
def test_behind_a_trusted_proxy_the_forwarded_address_counts(
    client: FlaskClient, member: User
) -> None:
    proxy = "10.0.0.2"  # every request arrives from the proxy
    for n in range(20):
        attacker = {"X-Forwarded-For": "203.0.113.5"}
        assert sign_in(client, f"g{n}@example.org", "guess", proxy, **attacker).status_code == 400
    assert (
        sign_in(
            client, member.email, PASSWORD, proxy, **{"X-Forwarded-For": "203.0.113.5"}
        ).status_code
        == 429
    )
    assert (
        sign_in(
            client, member.email, PASSWORD, proxy, **{"X-Forwarded-For": "198.51.100.20"}
        ).status_code
        == 302
    )
