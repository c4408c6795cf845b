"""Accounts: validation, passwords, tokens and the first-organiser link."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from chat.errors import NotFound, ValidationError
from chat.models import ApiToken, User
from chat.services import accounts
from tests.helpers import PASSWORD, START, make_user


@pytest.mark.parametrize(
    ("email", "name", "password", "field"),
    [
        ("not-an-email", "Sam", PASSWORD, "email"),
        ("", "Sam", PASSWORD, "email"),
        ("sam@example.org", "   ", PASSWORD, "display_name"),
        ("sam@example.org", "S" * 81, PASSWORD, "display_name"),
        ("sam@example.org", "Sam", "short", "password"),
        ("sam@example.org", "Sam", "123456789", "password"),
    ],
)
def test_registration_errors_name_the_field_and_store_nothing(
    dbs: Session, email: str, name: str, password: str, field: str
) -> None:
    with pytest.raises(ValidationError) as err:
        accounts.register(dbs, accounts.Registration(email, name, password), START)
    assert field in err.value.fields
    assert dbs.scalar(select(func.count()).select_from(User)) == 0


def test_duplicate_email_is_case_insensitive(dbs: Session) -> None:
    make_user(dbs, "sam@example.org")
    with pytest.raises(ValidationError) as err:
        accounts.register(dbs, accounts.Registration(" SAM@Example.org ", "Sam", PASSWORD), START)
    assert "already exists" in err.value.fields["email"]


def test_passwords_are_hashed_with_argon2_and_checked(dbs: Session) -> None:
    user = make_user(dbs, "sam@example.org")
    assert user.password_hash.startswith("$argon2")
    assert PASSWORD not in user.password_hash
    assert accounts.authenticate(dbs, "SAM@example.org", PASSWORD).id == user.id
    for email, password in [
        ("sam@example.org", "wrong password"),
        ("nobody@example.org", PASSWORD),
    ]:
        with pytest.raises(ValidationError) as err:
            accounts.authenticate(dbs, email, password)
        assert err.value.fields == {"password": "That email and password do not match."}


def test_profile_update_validates_zone_and_stage(dbs: Session) -> None:
    user = make_user(dbs, "sam@example.org")
    with pytest.raises(ValidationError) as err:
        accounts.update_profile(
            dbs, user, accounts.Profile("Sam", time_zone="Moon/Base", training_stage="Guru")
        )
    assert set(err.value.fields) == {"time_zone", "training_stage"}
    accounts.update_profile(
        dbs,
        user,
        accounts.Profile(
            "Sam", "they/them", "Metanoia", "Integrative", "Certificate", "grief", "", "Asia/Tokyo"
        ),
    )
    dbs.refresh(user)
    assert (user.modality, user.training_stage, user.time_zone) == (
        "Integrative",
        "Certificate",
        "Asia/Tokyo",
    )


def test_api_tokens_identify_their_user_and_are_stored_hashed(dbs: Session) -> None:
    user = make_user(dbs, "bot@example.org")
    token = accounts.issue_api_token(dbs, user, START)
    assert accounts.user_for_token(dbs, token).id == user.id  # type: ignore[union-attr]
    stored = dbs.scalars(select(ApiToken.token_hash)).all()
    assert len(stored) == 1 and token not in stored[0]
    for bad in [None, 42, "", "tt_nope", token + "x", {"token": token}]:
        assert accounts.user_for_token(dbs, bad) is None


def test_setup_link_is_single_use_and_expires(dbs: Session) -> None:
    assert accounts.needs_first_organiser(dbs)
    first = accounts.issue_setup_link_token(dbs, START)
    token = accounts.issue_setup_link_token(dbs, START)
    with pytest.raises(NotFound):  # a newer link replaces the older one
        accounts.check_setup_token(dbs, first, START)
    with pytest.raises(NotFound):
        accounts.check_setup_token(dbs, token, START + timedelta(days=2))
    form = accounts.Registration("lead@example.org", "Lead", PASSWORD)
    user = accounts.create_first_organiser(dbs, token, form, START)
    assert user.is_organiser
    assert not accounts.needs_first_organiser(dbs)
    with pytest.raises(NotFound):
        accounts.create_first_organiser(
            dbs, token, accounts.Registration("two@example.org", "Two", PASSWORD), START
        )
