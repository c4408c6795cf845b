"""Leaving gracefully, and making clients catch up.

On SIGTERM a process drains: it refuses new connections, lets the socket events it is
handling finish (a message being stored is stored and acked), then drops its
connections so that clients reconnect, to another process or to this one's successor,
and re-join with `last_seen_id` to fetch from the database whatever they missed.

The same reconnect serves a process whose Redis subscription broke
(chat/realtime/message_queue.py): messages other processes published meanwhile never
reached it, but they are in the database.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType

import socketio

from chat.extensions import db
from chat.realtime import context

log = logging.getLogger(__name__)

# How long a drain waits for events in flight: far more than storing a message takes,
# and well inside the 30 seconds gunicorn (and most platforms) allow before killing.
DRAIN_SECONDS = 10.0
RESTARTING = "The server is restarting; connecting again in a moment."

_lock = threading.Lock()
_handling = 0
_draining = False


@contextmanager
def in_flight(event: str) -> Iterator[None]:
    """Count a socket event as being handled while the block runs; while draining, a
    new connection is refused instead."""
    global _handling
    if event == "connect" and _draining:
        raise context.refused("unavailable", RESTARTING)
    # A session that was open before (a test's, around its test client) is not ours.
    opened_here = not db.has_session()
    with _lock:
        _handling += 1
    try:
        yield
    finally:
        # Release the handler's database session here rather than at teardown: giving its
        # connection back may wait on the network, and once the count reaches zero the
        # drain must find nothing left to wait for before each handler's ack is queued.
        if opened_here:
            db.remove()
        with _lock:
            _handling -= 1


def handling() -> int:
    """How many socket events this process is handling now."""
    return _handling


def draining() -> bool:
    """Whether this process is draining (it then refuses new connections)."""
    return _draining


def reconnect_local_clients(server: socketio.Server) -> int:
    """Drop every connection to this process so that its client reconnects; return how
    many were dropped. Each one's `disconnect` handler runs, as for any lost connection.

    The transport is closed without Engine.IO's close packet or Socket.IO's disconnect
    packet: clients take either of those as "stay away" (python-socketio for the first,
    both for the second), and a dropped transport as "reconnect".
    """
    engine = server.eio
    dropped = 0
    for eio_sid, connection in list(engine.sockets.items()):
        connection.close(wait=False, abort=True)
        engine.sockets.pop(eio_sid, None)
        dropped += 1
    return dropped


def drain(server: socketio.Server, seconds: float = DRAIN_SECONDS) -> None:
    """Refuse new connections, wait (at most `seconds`) for the events in flight, then
    drop every connection so that its client reconnects elsewhere."""
    global _draining
    _draining = True
    log.warning(
        "Draining: refusing new connections, finishing %d socket events in flight", _handling
    )
    deadline = time.monotonic() + seconds
    while _handling and time.monotonic() < deadline:
        server.sleep(0.05)
    unfinished = _handling
    dropped = reconnect_local_clients(server)
    log.warning(
        "Drained: %d connections closed for their clients to reconnect (%d events unfinished)",
        dropped,
        unfinished,
    )


def drain_on_sigterm(server: socketio.Server, stop: Callable[[], None]) -> None:
    """On the first SIGTERM, drain in the background, then call `stop` to end the server."""

    def drain_then_stop() -> None:
        try:
            drain(server)
        finally:
            stop()

    def handle(_signum: int, _frame: FrameType | None) -> None:
        global _draining
        # Platforms may signal every process of a group and gunicorn's master passes the
        # signal on: the worker can hear it twice. A signal handler blocks nothing, so
        # the waiting happens in a background task.
        if not _draining:
            _draining = True
            server.start_background_task(drain_then_stop)

    signal.signal(signal.SIGTERM, handle)
