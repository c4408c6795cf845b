"""Steering end to end: a facilitator's client posts Q1 on a real server, a member answers."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy.orm import Session

from chat.extensions import make_engine
from chat.models import ChatSession, User
from chat.services import prompts
from tests.conftest import LiveServer
from tests.e2e.clients import Member, create_session, register, wait_until

pytestmark = pytest.mark.e2e


@pytest.fixture
def steered_room(live_server: LiveServer) -> dict[str, Any]:
    """A session in its lobby, facilitated by Fay, with a two-prompt run sheet; tokens by name."""
    tokens = register(live_server, ("fay@example.org", "Fay"), ("tam@example.org", "Tam"))
    session_id = create_session(live_server, "fay@example.org")
    # Prepare the run sheet through the service, on the server's own database file.
    engine = make_engine(live_server.env["DATABASE_URL"])
    with Session(engine) as db:
        session = db.get(ChatSession, session_id)
        fay = db.query(User).filter_by(email="fay@example.org").one()
        assert session is not None
        prompts.add_prompts(
            db, fay, session, ["What do endings stir up?", "Self-care"], 10, datetime.now(UTC)
        )
    engine.dispose()
    return {"id": session_id, "tokens": tokens}


def test_facilitator_posts_q1_and_the_member_s_answer_arrives_tagged_q1(
    live_server: LiveServer, steered_room: dict[str, Any]
) -> None:
    fay = Member(live_server, steered_room["tokens"]["Fay"], steered_room["id"])
    tam = Member(live_server, steered_room["tokens"]["Tam"], steered_room["id"])
    rooms: list[dict[str, Any]] = []
    tam.client.on("room", rooms.append)
    fay_ack, tam_ack = fay.connect(), tam.connect()
    try:
        assert fay_ack["you"]["role"] == "facilitator" and fay_ack["run_sheet"]["next_id"]
        assert tam_ack["run_sheet"] is None  # members never see unposted prompts
        assert "What do endings stir up?" not in json.dumps(tam_ack)

        q1 = fay.client.call("post_prompt", {"session_id": steered_room["id"]}, timeout=10)
        assert q1["ok"], q1
        wait_until(lambda: "What do endings stir up?" in tam.bodies(), "Q1 to arrive", live_server)
        prompt = tam.heard[-1]
        assert prompt["kind"] == "prompt" and prompt["prompt"]["number"] == 1
        wait_until(lambda: bool(rooms), "the room's new current prompt", live_server)
        assert rooms[-1]["current_prompt"]["number"] == 1

        tam.send("Endings stir up my own losses.")
        wait_until(
            lambda: "Endings stir up my own losses." in fay.bodies(), "the answer", live_server
        )
        answer = fay.heard[-1]
        assert answer["kind"] == "message"
        assert answer["prompt"] == {"id": prompt["prompt"]["id"], "number": 1}

        # Members cannot steer: the same event from Tam is refused and nothing is posted.
        refused = tam.client.call("post_prompt", {"session_id": steered_room["id"]}, timeout=10)
        assert refused["error"]["code"] == "forbidden"
        marker = fay.send("marker")
        wait_until(lambda: "marker" in tam.bodies(), "the marker", live_server)
        assert [m["kind"] for m in tam.heard if m["id"] < marker["id"]] == ["prompt", "message"]
    finally:
        for client in (fay, tam):
            client.disconnect()
