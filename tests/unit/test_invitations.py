"""Invitations and facilitators: signed single-use links, and who may steer which session."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import timedelta

import pytest
from itsdangerous import URLSafeSerializer
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from chat.errors import ChatError, Forbidden, NotFound, ValidationError
from chat.events import StaffChanged
from chat.models import ChatSession, Invitation, User, session_facilitators
from chat.services import invitations, roles
from tests.helpers import START, Clock, make_user

SECRET = "unit-secret"
GUEST = "guest@example.org"


def make_session(dbs: Session, title: str = "Working with shame", **extra) -> ChatSession:
    session = ChatSession(
        title=title,
        starts_at=START + timedelta(days=30),
        duration_minutes=60,
        time_zone="Europe/London",
        created_at=START,
        **extra,
    )
    dbs.add(session)
    dbs.commit()
    return session


def facilitator_ids(dbs: Session, session: ChatSession) -> set[int]:
    """Straight from the association table, so a stale ORM collection cannot hide a row."""
    rows = dbs.execute(
        select(session_facilitators.c.user_id).where(
            session_facilitators.c.session_id == session.id
        )
    )
    return {user_id for (user_id,) in rows}


def invitation_count(dbs: Session) -> int:
    return dbs.scalar(select(func.count()).select_from(Invitation)) or 0


@pytest.fixture
def organiser(dbs: Session) -> User:
    return make_user(dbs, "org@example.org", organiser=True)


@pytest.fixture
def guest(dbs: Session) -> User:
    return make_user(dbs, GUEST, "Dr Guest")


@pytest.fixture
def session(dbs: Session) -> ChatSession:
    return make_session(dbs)


@pytest.fixture
def other_session(dbs: Session) -> ChatSession:
    return make_session(dbs, "Endings")


@pytest.fixture
def invited(
    dbs: Session, organiser: User, session: ChatSession, clock: Clock
) -> tuple[Invitation, str]:
    return invitations.create_invitation(dbs, organiser, session, GUEST, SECRET, clock.now)


@pytest.fixture
def second_db(dbs: Session) -> Iterator[Session]:
    """Another connection to the same database, as a second server process would have."""
    with Session(dbs.get_bind(), expire_on_commit=False) as other:
        yield other


def refused(dbs: Session, token: str, clock: Clock, secret: str = SECRET) -> pytest.ExceptionInfo:
    with pytest.raises(invitations.InvitationError) as err:
        invitations.check_invitation(dbs, token, secret, clock.now)
    return err


def test_a_valid_link_makes_the_guest_facilitator_of_that_session_only(
    dbs: Session,
    guest: User,
    session: ChatSession,
    other_session: ChatSession,
    invited: tuple[Invitation, str],
    clock: Clock,
) -> None:
    invitation, token = invited
    assert invitations.check_invitation(dbs, token, SECRET, clock.now).id == invitation.id
    assert invitations.pending_invitations(dbs, session, clock.now) == [invitation]

    accepted, events = invitations.accept_invitation(dbs, token, guest, SECRET, clock.now)

    assert accepted.id == session.id
    assert events == [StaffChanged(session.id, {"session_id": session.id})]
    assert facilitator_ids(dbs, session) == {guest.id}
    assert facilitator_ids(dbs, other_session) == set()
    assert roles.is_facilitator(guest, session) and roles.is_staff(guest, session)
    assert not roles.is_staff(guest, other_session)
    with pytest.raises(Forbidden):
        roles.require_staff(guest, other_session)
    dbs.refresh(invitation)
    assert (invitation.used_at, invitation.used_by_id) == (clock.now, guest.id)
    assert invitations.pending_invitations(dbs, session, clock.now) == []


def test_only_a_hash_of_the_nonce_is_stored(dbs: Session, invited: tuple[Invitation, str]) -> None:
    invitation, token = invited
    invitation_id, nonce = URLSafeSerializer(SECRET, salt="invitation").loads(token)
    assert invitation_id == invitation.id
    assert invitation.nonce_hash == hashlib.sha256(nonce.encode()).hexdigest()
    assert nonce not in invitation.nonce_hash and invitation.nonce_hash not in token


def test_the_link_works_until_it_expires(
    dbs: Session, guest: User, invited: tuple[Invitation, str], clock: Clock
) -> None:
    invitation, token = invited
    assert invitation.expires_at == START + timedelta(days=14)
    clock.now = invitation.expires_at - timedelta(microseconds=1)
    invitations.check_invitation(dbs, token, SECRET, clock.now)

    clock.now = invitation.expires_at
    err = refused(dbs, token, clock)
    assert (err.value.reason, err.value.code) == ("expired", "conflict")
    assert err.value.message.startswith("This invitation expired on ")
    assert "ask the organiser for a new one" in err.value.message
    with pytest.raises(invitations.InvitationError):
        invitations.accept_invitation(dbs, token, guest, SECRET, clock.now)
    assert facilitator_ids(dbs, invitation.session) == set()
    assert invitations.pending_invitations(dbs, invitation.session, clock.now) == []


def test_a_used_link_cannot_be_used_again(
    dbs: Session, guest: User, invited: tuple[Invitation, str], clock: Clock
) -> None:
    invitation, token = invited
    invitations.accept_invitation(dbs, token, guest, SECRET, clock.now)
    clock.now += timedelta(minutes=5)
    with pytest.raises(invitations.InvitationError) as err:
        invitations.accept_invitation(dbs, token, guest, SECRET, clock.now)
    assert (err.value.reason, err.value.code) == ("used", "conflict")
    assert "already been used" in err.value.message
    dbs.refresh(invitation)
    assert invitation.used_at == START  # the first use, not the second


def test_a_revoked_link_grants_nothing(
    dbs: Session,
    organiser: User,
    guest: User,
    invited: tuple[Invitation, str],
    clock: Clock,
) -> None:
    invitation, token = invited
    invitations.revoke_invitation(dbs, organiser, invitation.id, clock.now)
    err = refused(dbs, token, clock)
    assert (err.value.reason, err.value.code) == ("revoked", "conflict")
    assert "withdrawn" in err.value.message
    with pytest.raises(invitations.InvitationError):
        invitations.accept_invitation(dbs, token, guest, SECRET, clock.now)
    assert facilitator_ids(dbs, invitation.session) == set()
    # Revoking again is harmless.
    assert invitations.revoke_invitation(dbs, organiser, invitation.id, clock.now).revoked_at


def flip(token: str, index: int) -> str:
    return token[:index] + ("B" if token[index] != "B" else "C") + token[index + 1 :]


@pytest.mark.parametrize(
    "forge",
    [
        pytest.param(lambda inv, token: flip(token, 3), id="payload-character-flipped"),
        pytest.param(
            lambda inv, token: flip(token, token.index(".") + 5), id="signature-character-flipped"
        ),
        pytest.param(
            lambda inv, token: URLSafeSerializer("another-key", salt="invitation").dumps(
                URLSafeSerializer(SECRET, salt="invitation").loads(token)
            ),
            id="signed-with-another-key",
        ),
        pytest.param(
            lambda inv, token: URLSafeSerializer(SECRET, salt="setup").dumps(
                URLSafeSerializer(SECRET, salt="invitation").loads(token)
            ),
            id="signed-for-another-purpose",
        ),
        pytest.param(
            lambda inv, token: URLSafeSerializer(SECRET, salt="invitation").dumps(
                [inv.id, "a-guessed-nonce"]
            ),
            id="right-key-wrong-nonce",
        ),
        pytest.param(
            lambda inv, token: URLSafeSerializer(SECRET, salt="invitation").dumps(
                [inv.id + 1, URLSafeSerializer(SECRET, salt="invitation").loads(token)[1]]
            ),
            id="unknown-id",
        ),
        pytest.param(
            lambda inv, token: URLSafeSerializer(SECRET, salt="invitation").dumps({"id": inv.id}),
            id="wrong-shape",
        ),
        pytest.param(lambda inv, token: "", id="empty"),
        pytest.param(lambda inv, token: "not-a-token", id="garbage"),
        pytest.param(lambda inv, token: token + "x" * 600, id="too-long"),
    ],
)
def test_tampered_links_are_not_valid_and_grant_nothing(
    dbs: Session, guest: User, invited: tuple[Invitation, str], clock: Clock, forge
) -> None:
    invitation, token = invited
    forged = forge(invitation, token)
    assert forged != token
    err = refused(dbs, forged, clock)
    assert (err.value.reason, err.value.code) == ("invalid", "not_found")
    assert err.value.message == (
        "This invitation link is not valid. Ask the organiser for a new one."
    )
    with pytest.raises(invitations.InvitationError):
        invitations.accept_invitation(dbs, forged, guest, SECRET, clock.now)
    assert facilitator_ids(dbs, invitation.session) == set()
    dbs.refresh(invitation)
    assert invitation.used_at is None


def test_a_link_checked_with_another_secret_key_is_not_valid(
    dbs: Session, invited: tuple[Invitation, str], clock: Clock
) -> None:
    _, token = invited
    assert refused(dbs, token, clock, secret="rotated-key").value.reason == "invalid"


def test_only_the_invited_address_can_accept(
    dbs: Session, guest: User, invited: tuple[Invitation, str], clock: Clock
) -> None:
    invitation, token = invited
    stranger = make_user(dbs, "stranger@example.org")
    with pytest.raises(invitations.InvitationError) as err:
        invitations.accept_invitation(dbs, token, stranger, SECRET, clock.now)
    assert (err.value.reason, err.value.code) == ("wrong_email", "forbidden")
    assert "g***@example.org" in err.value.message and GUEST not in err.value.message
    assert "Sign out" in err.value.message and "ask the organiser" in err.value.message
    assert facilitator_ids(dbs, invitation.session) == set()
    dbs.refresh(invitation)
    assert invitation.used_at is None
    # The invited person can still use it.
    invitations.accept_invitation(dbs, token, guest, SECRET, clock.now)
    assert facilitator_ids(dbs, invitation.session) == {guest.id}


def test_the_invited_address_is_stored_normalised(
    dbs: Session, organiser: User, session: ChatSession, clock: Clock
) -> None:
    invitation, _ = invitations.create_invitation(
        dbs, organiser, session, "  Guest@Example.ORG ", SECRET, clock.now
    )
    assert invitation.email == GUEST


def test_members_and_facilitators_cannot_invite(
    dbs: Session, guest: User, session: ChatSession, clock: Clock
) -> None:
    member = make_user(dbs, "trainee@example.org")
    session.facilitators.append(guest)
    dbs.commit()
    for actor in (member, guest):
        with pytest.raises(Forbidden):
            invitations.create_invitation(dbs, actor, session, "x@example.org", SECRET, clock.now)
    assert invitation_count(dbs) == 0


@pytest.mark.parametrize("email", ["", "   ", "guest", "guest@example", "a b@example.org"])
def test_the_email_must_look_like_one(
    dbs: Session, organiser: User, session: ChatSession, clock: Clock, email: str
) -> None:
    with pytest.raises(ValidationError) as err:
        invitations.create_invitation(dbs, organiser, session, email, SECRET, clock.now)
    assert list(err.value.fields) == ["email"]
    assert invitation_count(dbs) == 0


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"cancelled": True}, "cancelled"),
        ({"ended_at": START - timedelta(minutes=1)}, "ended"),
        ({"starts_at": START - timedelta(hours=2)}, "ended"),
        ({"rehearsal_of_id": "self"}, "rehearsal"),
    ],
)
def test_no_invitations_to_cancelled_ended_or_rehearsal_sessions(
    dbs: Session, organiser: User, session: ChatSession, clock: Clock, changes, message
) -> None:
    target = session
    if changes.get("rehearsal_of_id") == "self":
        target = make_session(dbs, "Rehearsal: Working with shame", rehearsal_of_id=session.id)
    else:
        for name, value in changes.items():
            setattr(target, name, value)
        dbs.commit()
    with pytest.raises(ChatError) as err:
        invitations.create_invitation(dbs, organiser, target, GUEST, SECRET, clock.now)
    assert err.value.code == "conflict" and message in err.value.message
    assert invitation_count(dbs) == 0


def test_a_link_stops_working_when_its_session_is_cancelled(
    dbs: Session, guest: User, invited: tuple[Invitation, str], clock: Clock
) -> None:
    invitation, token = invited
    invitation.session.cancelled = True
    dbs.commit()
    with pytest.raises(invitations.InvitationError) as err:
        invitations.accept_invitation(dbs, token, guest, SECRET, clock.now)
    assert (err.value.reason, err.value.code) == ("closed", "conflict")
    assert facilitator_ids(dbs, invitation.session) == set()


def test_inviting_the_same_address_again_replaces_the_earlier_link(
    dbs: Session,
    organiser: User,
    guest: User,
    session: ChatSession,
    invited: tuple[Invitation, str],
    clock: Clock,
) -> None:
    first, first_token = invited
    clock.now += timedelta(hours=1)
    second, second_token = invitations.create_invitation(
        dbs, organiser, session, GUEST, SECRET, clock.now
    )
    assert second_token != first_token and second.nonce_hash != first.nonce_hash
    assert refused(dbs, first_token, clock).value.reason == "revoked"
    assert invitations.pending_invitations(dbs, session, clock.now) == [second]
    invitations.accept_invitation(dbs, second_token, guest, SECRET, clock.now)
    assert facilitator_ids(dbs, session) == {guest.id}


def test_pending_invitations_leave_out_used_revoked_and_expired(
    dbs: Session, organiser: User, session: ChatSession, other_session: ChatSession, clock: Clock
) -> None:
    def invite(email: str, valid_for: timedelta = timedelta(days=14)) -> tuple[Invitation, str]:
        return invitations.create_invitation(
            dbs, organiser, session, email, SECRET, clock.now, valid_for=valid_for
        )

    _, used_token = invite("used@example.org")
    invitations.accept_invitation(
        dbs, used_token, make_user(dbs, "used@example.org"), SECRET, clock.now
    )
    revoked, _ = invite("revoked@example.org")
    invitations.revoke_invitation(dbs, organiser, revoked.id, clock.now)
    invite("soon@example.org", valid_for=timedelta(hours=1))
    waiting, _ = invite("waiting@example.org")
    invitations.create_invitation(dbs, organiser, other_session, "else@example.org", SECRET, START)
    clock.now += timedelta(hours=1)
    assert invitations.pending_invitations(dbs, session, clock.now) == [waiting]


def test_an_accepted_invitation_cannot_be_revoked(
    dbs: Session, organiser: User, guest: User, invited: tuple[Invitation, str], clock: Clock
) -> None:
    invitation, token = invited
    invitations.accept_invitation(dbs, token, guest, SECRET, clock.now)
    with pytest.raises(ChatError) as err:
        invitations.revoke_invitation(dbs, organiser, invitation.id, clock.now)
    assert err.value.code == "conflict" and "revoke the facilitator" in err.value.message
    dbs.refresh(invitation)
    assert invitation.revoked_at is None


def test_revoking_checks_the_session_and_the_actor(
    dbs: Session,
    organiser: User,
    guest: User,
    other_session: ChatSession,
    invited: tuple[Invitation, str],
    clock: Clock,
) -> None:
    invitation, _ = invited
    with pytest.raises(NotFound):
        invitations.revoke_invitation(
            dbs, organiser, invitation.id, clock.now, session_id=other_session.id
        )
    with pytest.raises(NotFound):
        invitations.revoke_invitation(dbs, organiser, invitation.id + 100, clock.now)
    with pytest.raises(Forbidden):
        invitations.revoke_invitation(dbs, guest, invitation.id, clock.now)
    dbs.refresh(invitation)
    assert invitation.revoked_at is None


def test_two_simultaneous_accepts_cannot_both_succeed(
    dbs: Session, second_db: Session, guest: User, invited: tuple[Invitation, str], clock: Clock
) -> None:
    invitation, token = invited
    # The second process has already read the invitation as unused ...
    stale = invitations.check_invitation(second_db, token, SECRET, clock.now)
    guest_elsewhere = second_db.get(User, guest.id)
    assert guest_elsewhere is not None
    # ... when the first accepts it.
    invitations.accept_invitation(dbs, token, guest, SECRET, clock.now)
    assert stale.used_at is None  # its view is out of date: only the UPDATE can tell
    with pytest.raises(invitations.InvitationError) as err:
        invitations.accept_invitation(second_db, token, guest_elsewhere, SECRET, clock.now)
    assert (err.value.reason, err.value.code) == ("used", "conflict")
    assert facilitator_ids(dbs, invitation.session) == {guest.id}
    dbs.refresh(invitation)
    assert invitation.used_by_id == guest.id


def test_the_conditional_update_lets_exactly_one_claim_win(
    dbs: Session, second_db: Session, guest: User, invited: tuple[Invitation, str], clock: Clock
) -> None:
    invitation, _ = invited
    other_copy = second_db.get(Invitation, invitation.id)
    guest_elsewhere = second_db.get(User, guest.id)
    assert other_copy is not None and guest_elsewhere is not None
    assert invitations.claim(dbs, invitation, guest, clock.now) is True
    dbs.commit()
    assert invitations.claim(second_db, other_copy, guest_elsewhere, clock.now) is False
    second_db.rollback()
    assert invitations.claim(dbs, invitation, guest, clock.now) is False
    dbs.rollback()


def test_a_revoked_invitation_cannot_be_claimed(
    dbs: Session, organiser: User, guest: User, invited: tuple[Invitation, str], clock: Clock
) -> None:
    invitation, _ = invited
    invitations.revoke_invitation(dbs, organiser, invitation.id, clock.now)
    assert invitations.claim(dbs, invitation, guest, clock.now) is False
    dbs.rollback()


def test_facilitating_one_session_gives_nothing_on_another(
    dbs: Session,
    organiser: User,
    guest: User,
    session: ChatSession,
    other_session: ChatSession,
    invited: tuple[Invitation, str],
    clock: Clock,
) -> None:
    _, token = invited
    invitations.accept_invitation(dbs, token, guest, SECRET, clock.now)
    assert roles.author_role(guest, session) == "facilitator"
    assert roles.author_role(guest, other_session) == "member"
    with pytest.raises(Forbidden):
        roles.require_staff(guest, other_session)
    # Nor may a facilitator manage facilitators or invite, even for their own session.
    with pytest.raises(Forbidden):
        invitations.create_invitation(dbs, guest, session, "x@example.org", SECRET, clock.now)
    with pytest.raises(Forbidden):
        invitations.add_facilitator(dbs, guest, other_session, GUEST)
    assert facilitator_ids(dbs, other_session) == set()


def test_add_and_revoke_a_co_facilitator(
    dbs: Session, organiser: User, guest: User, session: ChatSession, other_session: ChatSession
) -> None:
    events = invitations.add_facilitator(dbs, organiser, session, "  GUEST@example.org ")
    assert events == [StaffChanged(session.id, {"session_id": session.id})]
    assert facilitator_ids(dbs, session) == {guest.id}
    assert facilitator_ids(dbs, other_session) == set()

    with pytest.raises(ValidationError) as twice:
        invitations.add_facilitator(dbs, organiser, session, GUEST)
    assert "already facilitates" in twice.value.fields["email"]

    events = invitations.revoke_facilitator(dbs, organiser, session, guest.id)
    assert events == [StaffChanged(session.id, {"session_id": session.id})]
    assert facilitator_ids(dbs, session) == set()
    assert not roles.is_staff(guest, session)
    with pytest.raises(NotFound):
        invitations.revoke_facilitator(dbs, organiser, session, guest.id)


def test_only_registered_users_can_be_added(
    dbs: Session, organiser: User, session: ChatSession
) -> None:
    with pytest.raises(ValidationError) as err:
        invitations.add_facilitator(dbs, organiser, session, "nobody@example.org")
    assert err.value.fields == {
        "email": "No account uses this address; send an invitation instead."
    }
    with pytest.raises(ValidationError) as bad:
        invitations.add_facilitator(dbs, organiser, session, "nobody")
    assert list(bad.value.fields) == ["email"]
    assert facilitator_ids(dbs, session) == set()


def test_only_organisers_add_or_revoke_facilitators(
    dbs: Session, guest: User, session: ChatSession
) -> None:
    member = make_user(dbs, "trainee@example.org")
    session.facilitators.append(guest)
    dbs.commit()
    with pytest.raises(Forbidden):
        invitations.add_facilitator(dbs, guest, session, member.email)
    with pytest.raises(Forbidden):
        invitations.revoke_facilitator(dbs, member, session, guest.id)
    assert facilitator_ids(dbs, session) == {guest.id}


def test_revoking_a_facilitator_also_removes_them_from_its_rehearsal(
    dbs: Session, organiser: User, guest: User, session: ChatSession
) -> None:
    session.facilitators.append(guest)
    rehearsal = make_session(
        dbs, "Rehearsal: Working with shame", rehearsal_of_id=session.id, facilitators=[guest]
    )
    with pytest.raises(ChatError) as err:
        invitations.revoke_facilitator(dbs, organiser, rehearsal, guest.id)
    assert err.value.code == "conflict"

    events = invitations.revoke_facilitator(dbs, organiser, session, guest.id)
    assert events == [
        StaffChanged(session.id, {"session_id": session.id}),
        StaffChanged(rehearsal.id, {"session_id": rehearsal.id}),
    ]
    assert facilitator_ids(dbs, session) == set()
    assert facilitator_ids(dbs, rehearsal) == set()


@pytest.mark.parametrize(
    ("email", "masked"),
    [("guest@example.org", "g***@example.org"), ("g@x.org", "g***@x.org"), ("odd", "***")],
)
def test_mask_email(email: str, masked: str) -> None:
    assert invitations.mask_email(email) == masked
