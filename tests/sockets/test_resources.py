"""Socket events of the room's resources: sharing, voting, featuring and removing, who may
do each (member, staff, outsider, muted), and what the room hears."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import func, select

from chat.extensions import db
from chat.models import AuditEntry, ChatSession, Resource, ResourceVote, User
from chat.services import rehearsals
from tests.helpers import Clock, make_user
from tests.sockets.helpers import received, signed_in


def sharing(room: ChatSession, title: str = "On endings", **extra: Any) -> dict[str, Any]:
    return {
        "session_id": room.id,
        "title": title,
        "url": "https://www.example.org/endings",
        "note": "A short read.",
        "client_id": str(uuid.uuid4()),
        **extra,
    }


def share(sio: Any, room: ChatSession, title: str = "On endings", **extra: Any) -> dict:
    ack = sio.emit("share_resource", sharing(room, title, **extra), callback=True)
    assert ack["ok"], ack
    return ack["resource"]


def emit(sio: Any, event: str, room: ChatSession, **payload: Any) -> dict:
    return sio.emit(event, {"session_id": room.id, **payload}, callback=True)


def stored() -> list[tuple[str, bool, bool]]:
    db.session.expire_all()
    rows = db.session.scalars(select(Resource).order_by(Resource.id))
    return [(r.title, r.featured, r.removed_at is not None) for r in rows]


@pytest.fixture
def other(app: Any) -> User:
    return make_user(db.session, "kit@example.org", "Kit")


def test_a_shared_resource_is_heard_by_the_room_and_in_the_next_join(
    joined, member: User, other: User, guest: User, room: ChatSession
) -> None:
    sharer, watcher, staff = joined(member), joined(other), joined(guest)
    shared = share(sharer, room)
    assert shared["domain"] == "example.org" and shared["author"]["name"] == "Tam Trainee"
    (heard,) = received(watcher, "resource")
    assert heard == shared
    assert received(staff, "resource") == [shared]
    rejoin = emit(watcher, "join", room)
    assert [(r["id"], r["voted"]) for r in rejoin["resources"]] == [(shared["id"], False)]


def test_votes_count_once_are_heard_and_never_for_your_own(
    joined, member: User, other: User, guest: User, room: ChatSession
) -> None:
    sharer, voter, staff = joined(member), joined(other), joined(guest)
    shared = share(sharer, room)
    received(sharer, "resource")
    assert emit(voter, "vote_resource", room, resource_id=shared["id"], active=True) == {
        "ok": True,
        "votes": 1,
    }
    assert emit(voter, "vote_resource", room, resource_id=shared["id"], active=True)["votes"] == 1
    assert emit(staff, "vote_resource", room, resource_id=shared["id"], active=True)["votes"] == 2
    assert [r["votes"] for r in received(sharer, "resource")] == [1, 2]
    own = emit(sharer, "vote_resource", room, resource_id=shared["id"], active=True)
    assert own["error"]["code"] == "forbidden"
    assert emit(voter, "join", room)["resources"][0]["voted"] is True
    assert emit(voter, "vote_resource", room, resource_id=shared["id"], active=False)["votes"] == 1
    assert db.session.scalar(select(func.count()).select_from(ResourceVote)) == 1


def test_only_staff_feature_and_one_at_a_time(
    joined, member: User, other: User, guest: User, organiser: User, room: ChatSession
) -> None:
    sharer, watcher, maya, olu = joined(member), joined(other), joined(guest), joined(organiser)
    first = share(sharer, room, "First link")
    second = share(maya, room, "Second link")
    refused = emit(watcher, "feature_resource", room, resource_id=first["id"], featured=True)
    assert refused["error"]["code"] == "forbidden"
    assert emit(maya, "feature_resource", room, resource_id=first["id"], featured=True)["ok"]
    received(watcher, "resource")
    assert emit(olu, "feature_resource", room, resource_id=second["id"], featured=True)["ok"]
    heard = {(r["id"], r["featured"]) for r in received(watcher, "resource")}
    assert heard == {(second["id"], True), (first["id"], False)}
    assert stored() == [("First link", False, False), ("Second link", True, False)]
    assert emit(watcher, "join", room)["resources"][0]["title"] == "Second link"


def test_the_sharer_and_staff_remove_others_cannot(
    joined, member: User, other: User, guest: User, room: ChatSession
) -> None:
    sharer, stranger, maya = joined(member), joined(other), joined(guest)
    mine = share(sharer, room, "Mine to take back")
    theirs = share(stranger, room, "Taken down by staff")
    refused = emit(stranger, "remove_resource", room, resource_id=mine["id"])
    assert refused["error"]["code"] == "forbidden"
    assert emit(sharer, "remove_resource", room, resource_id=mine["id"]) == {"ok": True}
    assert emit(maya, "remove_resource", room, resource_id=theirs["id"]) == {"ok": True}
    gone = [r for r in received(stranger, "resource") if r.get("removed")]
    assert gone == [
        {"id": mine["id"], "session_id": room.id, "removed": True},
        {"id": theirs["id"], "session_id": room.id, "removed": True},
    ]
    assert emit(stranger, "join", room)["resources"] == []
    again = emit(sharer, "remove_resource", room, resource_id=mine["id"])
    assert again["error"]["code"] == "not_found"
    (entry,) = db.session.scalars(select(AuditEntry))
    assert (entry.action, entry.subject_id) == ("remove_resource", other.id)


def test_a_muted_member_can_neither_share_nor_vote(
    joined, member: User, other: User, guest: User, room: ChatSession
) -> None:
    tam, kit, maya = joined(member), joined(other), joined(guest)
    shared = share(kit, room)
    assert emit(maya, "mute_member", room, user_id=member.id, minutes=10, reason="Cool off")["ok"]
    refused = tam.emit("share_resource", sharing(room), callback=True)
    assert refused["error"]["code"] == "forbidden" and "until" in refused["error"]
    vote = emit(tam, "vote_resource", room, resource_id=shared["id"], active=True)
    assert vote["error"]["code"] == "forbidden" and "until" in vote["error"]
    assert stored() == [("On endings", False, False)]


def test_outsiders_are_refused(
    app: Any, socket_client: Any, joined, member: User, guest: User, room: ChatSession, clock: Clock
) -> None:
    shared = share(joined(guest), room)
    not_joined = socket_client(signed_in(app, member))
    for event, payload in [
        ("share_resource", sharing(room)),
        ("vote_resource", {"session_id": room.id, "resource_id": shared["id"], "active": True}),
    ]:
        assert not_joined.emit(event, payload, callback=True)["error"]["code"] == "forbidden"
    rehearsal = rehearsals.start_rehearsal(db.session, guest, room, clock.now)
    ack = not_joined.emit("join", {"session_id": rehearsal.id}, callback=True)
    assert ack["error"]["code"] == "not_found"
    refused = not_joined.emit("share_resource", sharing(rehearsal), callback=True)
    assert refused["error"]["code"] == "forbidden"  # never let in, so never joined
    assert stored() == [("On endings", False, False)]


def test_a_removed_member_is_refused(joined, member: User, guest: User, room: ChatSession) -> None:
    tam, maya = joined(member), joined(guest)
    assert emit(maya, "remove_member", room, user_id=member.id, reason="Hostile")["ok"]
    refused = tam.emit("share_resource", sharing(room), callback=True)
    assert refused["error"]["code"] == "forbidden"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"url": "javascript:alert(1)"}, "url"),
        ({"url": "JAVASCRIPT:alert(1)"}, "url"),
        ({"url": "data:text/html,<script>alert(1)</script>"}, "url"),
        ({"url": "https://example.org/" + "a" * 1990}, "url"),
        ({"title": "no"}, "title"),
        ({"note": "n" * 501}, "note"),
    ],
)
def test_bad_links_and_text_are_invalid_with_the_field_named(
    joined, member: User, room: ChatSession, change: dict[str, str], field: str
) -> None:
    ack = joined(member).emit("share_resource", sharing(room, **change), callback=True)
    assert ack["error"]["code"] == "invalid" and set(ack["error"]["fields"]) == {field}
    assert stored() == []


@pytest.mark.parametrize(
    "change",
    [{"title": 3}, {"url": None}, {"client_id": "nope"}, {"note": ["x"]}],
)
def test_malformed_payloads_are_invalid(
    joined, member: User, room: ChatSession, change: dict[str, Any]
) -> None:
    ack = joined(member).emit("share_resource", sharing(room, **change), callback=True)
    assert ack["error"]["code"] == "invalid"


def test_sharing_closes_with_the_room(
    joined, member: User, guest: User, room: ChatSession, clock: Clock
) -> None:
    tam, maya = joined(member), joined(guest)
    shared = share(maya, room)
    assert emit(maya, "set_locked", room, locked=True)["ok"]
    assert tam.emit("share_resource", sharing(room), callback=True)["error"]["code"] == (
        "room_closed"
    )
    assert emit(maya, "set_locked", room, locked=False)["ok"]
    assert emit(maya, "end_session", room)["ok"]
    assert tam.emit("share_resource", sharing(room), callback=True)["error"]["code"] == (
        "room_closed"
    )
    vote = emit(tam, "vote_resource", room, resource_id=shared["id"], active=True)
    assert vote["error"]["code"] == "room_closed"
