"""Checks on the services the app depends on, for /readyz and for the start-up log."""

from __future__ import annotations

import logging

import redis
from flask import Flask
from redis.backoff import NoBackoff
from redis.retry import Retry

log = logging.getLogger(__name__)

# A check that hangs is as bad as one that fails: answer within this many seconds.
REDIS_TIMEOUT_SECONDS = 2


def quick_redis(url: str) -> redis.Redis:
    """A client that gives up fast: one immediate retry (for a connection Redis closed when
    it restarted) instead of redis-py's ten with backoff, which would hold up every socket
    event for seconds while Redis is down."""
    return redis.Redis.from_url(
        url,
        socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
        socket_timeout=REDIS_TIMEOUT_SECONDS,
        retry=Retry(NoBackoff(), 1),
    )


def redis_reachable(url: str) -> bool:
    """Whether the Redis server at `url` answers a PING."""
    client = quick_redis(url)
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False
    finally:
        client.close()


def report_redis_at_start(app: Flask) -> None:
    """Say plainly in the log when REDIS_URL is set but Redis does not answer: rooms are
    then not shared with other processes and /readyz fails until it does."""
    url = app.config["REDIS_URL"]
    if url and not redis_reachable(url):
        log.error(
            "REDIS_URL is set but Redis at %s is unreachable: messages will not reach "
            "people connected to other processes, and /readyz answers 503 until it is back.",
            _where(url),
        )


def _where(url: str) -> str:
    """Host and port (or socket path) of a Redis URL, without its password."""
    parts = redis.connection.parse_url(url)
    return str(parts.get("path") or f"{parts.get('host', 'localhost')}:{parts.get('port', 6379)}")
