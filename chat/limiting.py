"""The app's rate limiter: buckets in Redis when REDIS_URL is set, in this process otherwise.

Several processes behind one Redis share every limit: each take runs as one Lua script,
which Redis executes atomically, so two processes cannot both take the last token. If
Redis cannot be reached the limits let attempts through (and log it) rather than turn
every message and sign-in into an error while it is down.
"""

from __future__ import annotations

import logging

import redis
from flask import Flask, current_app

from chat.dependencies import quick_redis
from chat.services.limits import Limiter, MemoryStore, Rule, Store, rules_from_config

log = logging.getLogger(__name__)

# KEYS[1] the bucket; ARGV: burst, rate (tokens a second), now (epoch seconds), cost.
# The same arithmetic as chat.services.limits.take; returns "0" or the seconds to wait
# as a string (Redis would truncate a Lua number to an integer).
_TAKE = """
local burst = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local cost = tonumber(ARGV[4])
local held = redis.call('HMGET', KEYS[1], 'tokens', 'updated')
local tokens = tonumber(held[1]) or burst
local updated = tonumber(held[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - updated) * rate)
updated = math.max(now, updated)
if cost > tokens then
  return tostring((cost - tokens) / rate)
end
tokens = math.min(burst, tokens - cost)
redis.call('HSET', KEYS[1], 'tokens', string.format('%.17g', tokens),
           'updated', string.format('%.17g', updated))
redis.call('PEXPIRE', KEYS[1], math.ceil((burst - tokens) / rate * 1000) + 1000)
return '0'
"""


class RedisStore:
    """Buckets in Redis, shared by every process that uses the same server."""

    def __init__(self, client: redis.Redis, prefix: str = "traineetalk:limit:") -> None:
        self.client = client
        self.prefix = prefix
        self._take = client.register_script(_TAKE)

    def take(self, key: str, rule: Rule, now: float, cost: int = 1) -> float:
        """Atomically take `cost` tokens; 0.0 if taken (or Redis is unreachable), else
        the seconds to wait."""
        try:
            wait = self._take(keys=[self.prefix + key], args=[rule.burst, rule.rate, now, cost])
        except redis.RedisError:
            log.warning("rate limits are off: Redis is unreachable", exc_info=True)
            return 0.0
        return float(wait)

    def reset(self, key: str) -> None:
        """Forget a bucket (nothing to forget while Redis is unreachable)."""
        try:
            self.client.delete(self.prefix + key)
        except redis.RedisError:
            log.warning("could not reset a rate limit: Redis is unreachable", exc_info=True)


def store_for(redis_url: str | None) -> Store:
    """A Redis store for `redis_url`, or an in-process store without one."""
    if redis_url:
        return RedisStore(quick_redis(redis_url))
    return MemoryStore()


def init_app(app: Flask) -> None:
    """Bind a limiter with the app's rules and the store REDIS_URL calls for."""
    app.extensions["chat_limiter"] = Limiter(
        store_for(app.config["REDIS_URL"]),
        rules_from_config(app.config),
        repeat_seconds=app.config["CHAT_REPEAT_SECONDS"],
    )


def current() -> Limiter:
    """The limiter of the app handling this request or event."""
    limiter: Limiter = current_app.extensions["chat_limiter"]
    return limiter
