"""Connection requests from sending to answering, what they refuse, the daily limit,
contact details, reports, blocking, and "people you met" after a session."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from chat.errors import ChatError, Forbidden, NotFound, RateLimited, ValidationError
from chat.models import AuditEntry, Block, ChatSession, Connection, ConnectionReport, User, Visit
from chat.services import blocks, connections, deletion, mydata
from tests.helpers import PASSWORD, make_user

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
LIMIT = 10


def listed(dbs: Session, name: str, interests: str = "", region: str = "") -> User:
    """A member who opted in to the directory."""
    user = make_user(dbs, f"{name.lower()}@example.org", name)
    user.directory_listed = True
    user.interests = interests
    user.region = region
    dbs.commit()
    return user


@pytest.fixture
def ana(dbs: Session) -> User:
    user = listed(dbs, "Ana")
    user.contact_email = "ana@practice.example"
    user.contact_website = "https://ana.example"
    dbs.commit()
    return user


@pytest.fixture
def ben(dbs: Session) -> User:
    user = listed(dbs, "Ben")
    user.contact_email = "ben@clinic.example"
    dbs.commit()
    return user


def send(dbs: Session, sender: User, to: User, note: str = "Hello", now: datetime = NOW) -> int:
    return connections.request(dbs, sender, to.id, note, now, LIMIT).id


def status(dbs: Session, connection_id: int) -> str:
    dbs.expire_all()
    found = dbs.get(Connection, connection_id)
    assert found is not None
    return found.status


# ---- the life cycle -------------------------------------------------------------------


def test_a_request_is_sent_with_its_note_and_accepted(dbs: Session, ana: User, ben: User) -> None:
    cid = send(dbs, ana, ben, "  We met in the endings session.  ")
    waiting = connections.incoming(dbs, ben).items
    assert [(c.requester_id, c.note) for c in waiting] == [
        (ana.id, "We met in the endings session.")
    ]
    assert [c.id for c in connections.outgoing(dbs, ana).items] == [cid]
    assert connections.incoming_count(dbs, ben) == 1
    connections.accept(dbs, ben, cid, NOW + timedelta(hours=1))
    assert status(dbs, cid) == "accepted"
    assert connections.incoming_count(dbs, ben) == 0
    assert [row.member.id for row in connections.connected(dbs, ana).items] == [ben.id]
    assert [row.member.id for row in connections.connected(dbs, ben).items] == [ana.id]
    assert connections.state_with(dbs, ana) == {ben.id: "connected"}


def test_a_declined_request_ends_and_the_requester_may_ask_again(
    dbs: Session, ana: User, ben: User
) -> None:
    cid = send(dbs, ana, ben)
    connections.decline(dbs, ben, cid, NOW)
    assert status(dbs, cid) == "declined"
    assert connections.incoming(dbs, ben).items == []
    with pytest.raises(ChatError) as answered:
        connections.accept(dbs, ben, cid, NOW)
    assert answered.value.code == "conflict"
    assert "already declined" in answered.value.message
    send(dbs, ana, ben)  # a later request is allowed (the daily limit bounds it)


def test_the_requester_withdraws_a_waiting_request(dbs: Session, ana: User, ben: User) -> None:
    cid = send(dbs, ana, ben)
    assert connections.state_with(dbs, ben) == {ana.id: "received"}
    connections.withdraw(dbs, ana, cid, NOW)
    assert status(dbs, cid) == "withdrawn"
    assert connections.outgoing(dbs, ana).items == []
    assert connections.state_with(dbs, ana) == {}


def test_either_side_removes_an_accepted_connection(dbs: Session, ana: User, ben: User) -> None:
    cid = send(dbs, ana, ben)
    connections.accept(dbs, ben, cid, NOW)
    connections.remove(dbs, ben, cid, NOW)
    assert status(dbs, cid) == "withdrawn"
    assert connections.connected(dbs, ana).items == []
    assert connections.contact_for(dbs, ana, ben) is None


@pytest.mark.parametrize("blocker", ["requester", "addressee"])
def test_blocking_ends_a_pending_request(dbs: Session, ana: User, ben: User, blocker) -> None:
    cid = send(dbs, ana, ben)
    if blocker == "requester":
        connections.block_member(dbs, ana, ben.id, NOW)
        assert status(dbs, cid) == "withdrawn"
    else:
        connections.block_member(dbs, ben, ana.id, NOW)
        assert status(dbs, cid) == "declined"
    assert blocks.between(dbs, ana.id, ben.id)
    assert connections.incoming(dbs, ben).items == []
    assert connections.outgoing(dbs, ana).items == []


def test_blocking_ends_a_connection_and_its_contact_details(
    dbs: Session, ana: User, ben: User
) -> None:
    cid = send(dbs, ana, ben)
    connections.accept(dbs, ben, cid, NOW)
    assert connections.contact_for(dbs, ana, ben) == connections.Contact("ben@clinic.example", "")
    connections.block_member(dbs, ben, ana.id, NOW)
    assert status(dbs, cid) == "withdrawn"
    assert connections.contact_for(dbs, ana, ben) is None
    assert connections.contact_for(dbs, ben, ana) is None
    assert [m.id for m in connections.blocked(dbs, ben).items] == [ana.id]
    blocks.unblock(dbs, ben, ana.id)
    assert connections.contact_for(dbs, ana, ben) is None  # what ended stays ended


def test_contact_details_only_after_acceptance(dbs: Session, ana: User, ben: User) -> None:
    assert connections.contact_for(dbs, ben, ana) is None
    cid = send(dbs, ana, ben)
    assert connections.contact_for(dbs, ben, ana) is None  # asked, not yet accepted
    assert connections.contact_for(dbs, ana, ben) is None
    connections.accept(dbs, ben, cid, NOW)
    assert connections.contact_for(dbs, ben, ana) == connections.Contact(
        "ana@practice.example", "https://ana.example"
    )


def test_a_block_made_elsewhere_hides_contact_details_and_stops_an_accept(
    dbs: Session, ana: User, ben: User
) -> None:
    """A block made by blocks.block alone (not through block_member) still wins."""
    first = send(dbs, ana, ben)
    connections.accept(dbs, ben, first, NOW)
    blocks.block(dbs, ana, ben.id, NOW)
    assert connections.contact_for(dbs, ben, ana) is None
    assert connections.connected(dbs, ben).items == []


@pytest.mark.parametrize(
    "who, action",
    [
        ("requester", connections.accept),
        ("requester", connections.decline),
        ("stranger", connections.accept),
        ("addressee", connections.withdraw),
        ("stranger", connections.withdraw),
        ("stranger", connections.remove),
    ],
)
def test_only_the_right_side_answers_a_request(
    dbs: Session, ana: User, ben: User, who: str, action: Callable
) -> None:
    cid = send(dbs, ana, ben)
    if action is connections.remove:
        connections.accept(dbs, ben, cid, NOW)
    actor = {"requester": ana, "addressee": ben, "stranger": listed(dbs, "Cy")}[who]
    with pytest.raises(NotFound):
        action(dbs, actor, cid, NOW)


# ---- what a request refuses -----------------------------------------------------------


def _not_listed(dbs: Session, ana: User, ben: User) -> tuple[int, str]:
    ben.directory_listed = False
    dbs.commit()
    return ben.id, ""


def _deleted(dbs: Session, ana: User, ben: User) -> tuple[int, str]:
    deletion.delete_account(dbs, ben, PASSWORD, NOW)
    return ben.id, ""


def _blocked_by_sender(dbs: Session, ana: User, ben: User) -> tuple[int, str]:
    blocks.block(dbs, ana, ben.id, NOW)
    return ben.id, ""


def _blocked_by_addressee(dbs: Session, ana: User, ben: User) -> tuple[int, str]:
    blocks.block(dbs, ben, ana.id, NOW)
    return ben.id, ""


def _pending(dbs: Session, ana: User, ben: User) -> tuple[int, str]:
    send(dbs, ana, ben)
    return ben.id, ""


def _reverse_pending(dbs: Session, ana: User, ben: User) -> tuple[int, str]:
    send(dbs, ben, ana)
    return ben.id, ""


def _connected(dbs: Session, ana: User, ben: User) -> tuple[int, str]:
    connections.accept(dbs, ana, send(dbs, ben, ana), NOW)
    return ben.id, ""


@pytest.mark.parametrize(
    "case, error, message",
    [
        (lambda dbs, ana, ben: (ana.id, ""), ChatError, "to yourself"),
        (lambda dbs, ana, ben: (999_999, ""), NotFound, "no such member in the directory"),
        (_not_listed, NotFound, "no such member in the directory"),
        (_deleted, NotFound, "no such member in the directory"),
        (_blocked_by_sender, Forbidden, "You can't send this member a request."),
        (_blocked_by_addressee, Forbidden, "You can't send this member a request."),
        (_pending, ChatError, "already sent Ben a request"),
        (_reverse_pending, ChatError, "Ben already sent you a request: accept theirs"),
        (_connected, ChatError, "already connected with Ben"),
        (lambda dbs, ana, ben: (ben.id, "x" * 301), ValidationError, "300 characters or fewer"),
    ],
    ids=[
        "self",
        "nobody",
        "not listed",
        "deleted",
        "blocked by sender",
        "blocked by addressee",
        "duplicate pending",
        "reverse pending",
        "already connected",
        "note too long",
    ],
)
def test_requests_are_refused(
    dbs: Session, ana: User, ben: User, case: Callable, error: type, message: str
) -> None:
    to_id, note = case(dbs, ana, ben)
    before = dbs.scalar(select(Connection.id).order_by(Connection.id.desc()).limit(1))
    with pytest.raises(error) as refused:
        connections.request(dbs, ana, to_id, note or "Hi", NOW, LIMIT)
    assert message in refused.value.message
    assert "block" not in refused.value.message.lower()  # a block is never revealed
    assert dbs.scalar(select(Connection.id).order_by(Connection.id.desc()).limit(1)) == before


def test_a_note_of_exactly_300_characters_is_accepted(dbs: Session, ana: User, ben: User) -> None:
    cid = send(dbs, ana, ben, "é" * 300)
    assert dbs.get(Connection, cid).note == "é" * 300  # type: ignore[union-attr]


# ---- the daily limit ------------------------------------------------------------------


def test_the_eleventh_request_in_a_day_waits_until_the_first_leaves_the_window(
    dbs: Session, ana: User
) -> None:
    others = [listed(dbs, f"Member{n}") for n in range(12)]
    for n, other in enumerate(others[:LIMIT]):
        send(dbs, ana, other, now=NOW + timedelta(minutes=10 * n))
    connections.withdraw(dbs, ana, connections.outgoing(dbs, ana).items[0].id, NOW)
    late = NOW + timedelta(hours=20)
    with pytest.raises(RateLimited) as limited:
        send(dbs, ana, others[LIMIT], now=late)
    assert limited.value.retry_after == 4 * 3600
    assert limited.value.message == (
        "You can send up to 10 connection requests a day. You can send the next one in 4 hours."
    )
    # A withdrawn request still counted; after the first leaves the 24 hours, one more.
    send(dbs, ana, others[LIMIT], now=NOW + timedelta(hours=24, seconds=1))
    with pytest.raises(RateLimited) as again:
        send(dbs, ana, others[LIMIT + 1], now=NOW + timedelta(hours=24, seconds=2))
    # The second was sent 10 minutes after the first: 9 min 58 s, said as 10 minutes.
    assert again.value.retry_after == 598 and "in 10 minutes." in again.value.message


def test_a_limit_of_zero_switches_the_limit_off(dbs: Session, ana: User) -> None:
    for n in range(LIMIT + 2):
        connections.request(dbs, ana, listed(dbs, f"M{n}").id, "", NOW, 0)
    assert len(connections.outgoing(dbs, ana, 1).items) == LIMIT + 2


def test_lists_are_paginated(dbs: Session, ana: User) -> None:
    others = [listed(dbs, f"Member{n:02}") for n in range(connections.PAGE + 1)]
    for other in others:
        connections.request(dbs, other, ana.id, "", NOW, LIMIT)
    first = connections.incoming(dbs, ana, 1)
    second = connections.incoming(dbs, ana, 2)
    assert len(first.items) == connections.PAGE and first.has_next
    assert len(second.items) == 1 and not second.has_next
    assert connections.incoming_count(dbs, ana) == connections.PAGE + 1


# ---- reports --------------------------------------------------------------------------


def test_the_addressee_reports_a_request_and_an_organiser_resolves_it(
    dbs: Session, ana: User, ben: User, organiser: User
) -> None:
    cid = send(dbs, ana, ben, "Buy my course")
    filed = connections.report(dbs, ben, cid, "spam", "Advertising", NOW)
    assert status(dbs, cid) == "declined"
    with pytest.raises(ChatError, match="already reported"):
        connections.report(dbs, ben, cid, "spam", "", NOW)
    assert [r.id for r in connections.open_reports(dbs, organiser).items] == [filed.id]
    connections.resolve_report(dbs, organiser, filed.id, "resolved", "Warned them", NOW)
    assert connections.open_reports(dbs, organiser).items == []
    entry = dbs.scalars(select(AuditEntry)).one()
    assert (entry.action, entry.subject_id, entry.reason) == (
        "resolve_connection_report",
        ana.id,
        "Warned them",
    )
    assert entry.target == f"connection report {filed.id}"
    with pytest.raises(ChatError, match="already resolved"):
        connections.resolve_report(dbs, organiser, filed.id, "dismissed", "", NOW)


@pytest.mark.parametrize(
    "reporter, reason, note, error",
    [
        ("requester", "spam", "", NotFound),
        ("stranger", "spam", "", NotFound),
        ("addressee", "rude", "", ValidationError),
        ("addressee", "", "", ValidationError),
        ("addressee", "other", "x" * 1001, ValidationError),
    ],
)
def test_reports_are_refused(
    dbs: Session, ana: User, ben: User, reporter: str, reason: str, note: str, error: type
) -> None:
    cid = send(dbs, ana, ben)
    actor = {"requester": ana, "addressee": ben, "stranger": listed(dbs, "Cy")}[reporter]
    with pytest.raises(error):
        connections.report(dbs, actor, cid, reason, note, NOW)
    assert status(dbs, cid) == "pending"


def test_only_organisers_see_and_resolve_reports(dbs: Session, ana: User, ben: User) -> None:
    filed = connections.report(dbs, ben, send(dbs, ana, ben), "harassment", "", NOW)
    with pytest.raises(Forbidden):
        connections.open_reports(dbs, ben)
    with pytest.raises(Forbidden):
        connections.resolve_report(dbs, ben, filed.id, "dismissed", "", NOW)


# ---- people you met -------------------------------------------------------------------


def after(room: ChatSession) -> datetime:
    return room.starts_at + timedelta(hours=2)


def visit(dbs: Session, room: ChatSession, *people: User) -> None:
    for person in people:
        dbs.add(
            Visit(
                session_id=room.id,
                user_id=person.id,
                sid=f"sid-{person.id}",
                joined_at=room.starts_at,
                left_at=room.starts_at + timedelta(minutes=50),
            )
        )
    dbs.commit()


@pytest.fixture
def met(dbs: Session, room: ChatSession) -> dict[str, User]:
    """The viewer and everyone else in the room, each a case of the table below."""
    people = {
        "viewer": listed(dbs, "Viv", "Trauma, grief ,  Play therapy", "Scotland"),
        "interest": listed(dbs, "Ivy", " trauma,CBT", "Wales"),
        "region": listed(dbs, "Rae", "Art", " scotland "),
        "both": listed(dbs, "Bo", "GRIEF, play therapy", "Scotland"),
        "neither": listed(dbs, "Nia", "CBT", "Wales"),
        "not listed": listed(dbs, "Nol", "trauma", "Scotland"),
        "blocked": listed(dbs, "Blo", "trauma", ""),
        "blocker": listed(dbs, "Bly", "trauma", ""),
        "connected": listed(dbs, "Con", "trauma", ""),
        "asked": listed(dbs, "Ask", "trauma", ""),
        "deleted": listed(dbs, "Del", "trauma", ""),
    }
    people["not listed"].directory_listed = False
    dbs.commit()
    visit(dbs, room, *people.values())
    viewer = people["viewer"]
    blocks.block(dbs, viewer, people["blocked"].id, NOW)
    blocks.block(dbs, people["blocker"], viewer.id, NOW)
    cid = send(dbs, viewer, people["connected"])
    connections.accept(dbs, people["connected"], cid, NOW)
    send(dbs, people["asked"], viewer)
    deletion.delete_account(dbs, people["deleted"], PASSWORD, NOW)
    # Someone who shares everything but was not in this room.
    listed(dbs, "Out", "trauma", "Scotland")
    return people


def test_people_you_met_share_an_interest_or_a_region(
    dbs: Session, room: ChatSession, met: dict[str, User]
) -> None:
    found = connections.people_you_met(dbs, met["viewer"], room, after(room))
    assert [(s.member.display_name, s.reasons) for s in found.items] == [
        ("Bo", ["You both mentioned GRIEF and play therapy", "Also in Scotland"]),
        ("Ivy", ["You both mentioned trauma"]),
        ("Rae", ["Also in scotland"]),
    ]
    assert not found.has_next


@pytest.mark.parametrize(
    "case",
    ["neither", "not listed", "blocked", "blocker", "connected", "asked", "deleted"],
)
def test_people_you_met_leave_out(
    dbs: Session, room: ChatSession, met: dict[str, User], case: str
) -> None:
    found = connections.people_you_met(dbs, met["viewer"], room, after(room))
    assert met[case].id not in {s.member.id for s in found.items}


def test_people_you_met_only_after_the_end_and_only_for_those_there(
    dbs: Session, room: ChatSession, met: dict[str, User]
) -> None:
    with pytest.raises(ChatError) as early:
        connections.people_you_met(dbs, met["viewer"], room, room.starts_at)
    assert early.value.code == "conflict"
    absent = listed(dbs, "Abe", "trauma", "Scotland")
    with pytest.raises(Forbidden):
        connections.people_you_met(dbs, absent, room, after(room))
    assert not connections.can_see_suggestions(dbs, absent, room, after(room))
    assert connections.can_see_suggestions(dbs, met["viewer"], room, after(room))


# ---- account deletion and the member's data ------------------------------------------


def test_deleting_an_account_deletes_its_connections_and_blocks(
    dbs: Session, ana: User, ben: User
) -> None:
    cy = listed(dbs, "Cy")
    connections.accept(dbs, ben, send(dbs, ana, ben), NOW)
    send(dbs, cy, ana)
    blocks.block(dbs, ana, cy.id, NOW)
    blocks.block(dbs, ben, cy.id, NOW)
    deletion.delete_account(dbs, ana, PASSWORD, NOW)
    assert dbs.scalars(select(Connection)).all() == []
    assert [(b.blocker_id, b.blocked_id) for b in dbs.scalars(select(Block))] == [(ben.id, cy.id)]
    assert connections.connected(dbs, ben).items == []


def test_my_data_lists_connections_and_blocks(dbs: Session, ana: User, ben: User) -> None:
    cy = listed(dbs, "Cy")
    connections.accept(dbs, ben, send(dbs, ana, ben, "Hi Ben"), NOW)
    incoming = send(dbs, cy, ana, "Cy's words")
    connections.report(dbs, ana, incoming, "spam", "Selling", NOW)
    blocks.block(dbs, ana, cy.id, NOW)
    data = mydata.export(dbs, ana, NOW)
    assert [(c["with"], c["direction"], c["status"], c["note"]) for c in data["connections"]] == [
        ("Ben", "sent", "accepted", "Hi Ben"),
        ("Cy", "received", "declined", None),  # another's words stay out
    ]
    assert [b["name"] for b in data["blocks"]] == ["Cy"]
    assert [(r["reason"], r["note"]) for r in data["connection_reports_made"]] == [
        ("spam", "Selling")
    ]
    assert mydata.export(dbs, cy, NOW)["blocks"] == []  # Ana's block of Cy is not Cy's data
    assert dbs.scalars(select(ConnectionReport)).one().reporter_id == ana.id
