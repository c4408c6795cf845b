"""The Socket.IO message queue on Redis, recovering from a Redis restart.

While this process is not subscribed (Redis restarting, the network down), what the
other processes publish never reaches it; their messages are stored and acked all the
same. So once it subscribes again it drops its connections: each client reconnects,
re-joins with `last_seen_id` and fetches what it missed from the database.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import socketio

from chat.dependencies import REDIS_TIMEOUT_SECONDS
from chat.realtime import shutdown

log = logging.getLogger(__name__)

# Flask-SocketIO's channel, so that processes emitting through `SocketIO(message_queue=…)`
# reach ours.
CHANNEL = "flask-socketio"
# python-socketio doubles its wait between attempts up to a minute: a short Redis
# restart could then keep processes apart for most of a minute after Redis is back.
RETRY_SECONDS_MAX = 2.0


class RecoveringRedisManager(socketio.RedisManager):
    """python-socketio's Redis manager, retrying every few seconds and making this
    process's clients catch up after each gap in its subscription."""

    def __init__(self, url: str) -> None:
        # A Redis that does not answer must not hold up every emit for long.
        options = {"socket_connect_timeout": REDIS_TIMEOUT_SECONDS}
        super().__init__(url, channel=CHANNEL, redis_options=options)

    def _redis_listen_with_retries(self) -> Iterator[dict[str, Any]]:
        """python-socketio's loop (which `_listen` reads), with a shorter longest wait and
        a catch-up for this process's clients after each resubscription."""
        retry_seconds = 0.5
        missed = False  # whether messages may have gone by unheard
        while True:
            try:
                self._redis_connect()
                self.pubsub.subscribe(self.channel)
                if missed:
                    log.warning("Subscribed to Redis again: this process's clients reconnect")
                    self.server.start_background_task(shutdown.reconnect_local_clients, self.server)
                    missed = False
                retry_seconds = 0.5
                yield from self.pubsub.listen()
            except Exception as exc:
                log.error("Cannot receive from Redis, retrying in %s s: %s", retry_seconds, exc)
                missed = True
                self.server.sleep(retry_seconds)
                retry_seconds = min(retry_seconds * 2, RETRY_SECONDS_MAX)


def manager_for(redis_url: str | None) -> RecoveringRedisManager | None:
    """The message queue for `redis_url`, or None (rooms in this process only)."""
    return RecoveringRedisManager(redis_url) if redis_url else None
