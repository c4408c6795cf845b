"""Presence stores: in one process, and shared by several processes through a real Redis."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis

from chat.dependencies import quick_redis
from chat.realtime.presence import LocalPresence, RedisPresence
from tests.conftest import free_port

ROOM = 7


def names(snapshot: dict) -> list[str]:
    return [person["name"] for person in snapshot["people"]]


def test_local_counts_a_person_with_two_tabs_once() -> None:
    store = LocalPresence()
    store.add(ROOM, "tab-1", 1, "Ana")
    store.add(ROOM, "tab-2", 1, "Ana")
    store.add(ROOM, "tab-3", 2, "Ben")
    assert store.snapshot(ROOM)["count"] == 2
    assert store.remove_everywhere("tab-1") == [ROOM]
    assert names(store.snapshot(ROOM)) == ["Ana", "Ben"]
    assert store.remove(ROOM, "tab-2") and not store.remove(ROOM, "tab-2")
    assert names(store.snapshot(ROOM)) == ["Ben"]


@pytest.fixture
def processes(redis_url: str) -> Iterator[tuple[RedisPresence, RedisPresence]]:
    """Two processes' stores on one Redis."""
    clients = [redis.Redis.from_url(redis_url) for _ in range(2)]
    yield RedisPresence(clients[0]), RedisPresence(clients[1])
    for client in clients:
        client.close()


def test_every_process_counts_everyone_in_the_room(
    processes: tuple[RedisPresence, RedisPresence],
) -> None:
    a, b = processes
    a.add(ROOM, "sid-a", 1, "Ana")
    b.add(ROOM, "sid-b", 2, "Ben")
    b.add(ROOM, "sid-b2", 1, "Ana")  # Ana's second tab, on the other process
    for store in processes:
        assert store.snapshot(ROOM) == {
            "session_id": ROOM,
            "count": 2,
            "people": [{"id": 1, "name": "Ana"}, {"id": 2, "name": "Ben"}],
        }
    assert b.remove_everywhere("sid-b") == [ROOM]
    assert a.remove_everywhere("sid-b") == []  # not one of a's sockets
    assert names(a.snapshot(ROOM)) == ["Ana"]
    assert a.snapshot(ROOM + 1)["count"] == 0


def test_a_killed_process_stops_counting_when_its_mark_expires(
    processes: tuple[RedisPresence, RedisPresence], redis_url: str
) -> None:
    a, b = processes
    a.add(ROOM, "sid-a", 1, "Ana")
    b.add(ROOM, "sid-b", 2, "Ben")
    # Process b is killed: nothing removes its sockets, and its mark runs out.
    redis.Redis.from_url(redis_url).delete(b._alive(b.process))
    assert names(a.snapshot(ROOM)) == ["Ana"]
    assert redis.Redis.from_url(redis_url).hlen(a._room(ROOM)) == 1  # dropped as found


def test_without_redis_a_process_counts_its_own_connections() -> None:
    store = RedisPresence(quick_redis(f"redis://127.0.0.1:{free_port()}/0"))
    store.add(ROOM, "sid-a", 1, "Ana")
    assert names(store.snapshot(ROOM)) == ["Ana"]
    assert store.remove_everywhere("sid-a") == [ROOM]
    assert store.snapshot(ROOM)["count"] == 0
