"""Probes for load balancers and orchestrators.

`/healthz` answers while the process can serve a request at all (liveness); `/readyz`
answers 200 only when the database and, when configured, Redis are reachable, so a load
balancer stops sending people to a worker that could not store what they write. Neither
needs a session, a cookie or a CSRF token, and neither says more than which part failed.
"""

from __future__ import annotations

import logging

import redis
from flask import Blueprint, Response, current_app, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from chat.extensions import db

bp = Blueprint("health", __name__)
log = logging.getLogger(__name__)

# A probe that hangs is as bad as one that fails: answer within this many seconds.
REDIS_TIMEOUT_SECONDS = 2


@bp.get("/healthz")
def healthz() -> Response:
    """200 while the process is alive and serving."""
    return _no_store(jsonify(status="ok"))


@bp.get("/readyz")
def readyz() -> tuple[Response, int]:
    """200 with each check "ok" when ready; 503 naming the check that failed."""
    checks = {"database": _database_reachable()}
    if current_app.config["REDIS_URL"]:
        checks["redis"] = _redis_reachable(current_app.config["REDIS_URL"])
    ready = all(checks.values())
    body = {
        "status": "ok" if ready else "unavailable",
        "checks": {name: "ok" if ok else "unreachable" for name, ok in checks.items()},
    }
    return _no_store(jsonify(body)), 200 if ready else 503


def _database_reachable() -> bool:
    try:
        db.session.execute(text("SELECT 1"))
        return True
    except SQLAlchemyError:
        log.warning("readiness: the database is unreachable", exc_info=True)
        db.session.rollback()
        return False


def _redis_reachable(url: str) -> bool:
    client = redis.Redis.from_url(
        url, socket_connect_timeout=REDIS_TIMEOUT_SECONDS, socket_timeout=REDIS_TIMEOUT_SECONDS
    )
    try:
        return bool(client.ping())
    except redis.RedisError:
        log.warning("readiness: Redis at REDIS_URL is unreachable", exc_info=True)
        return False
    finally:
        client.close()


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response
