"""Probes for load balancers and orchestrators.

`/healthz` answers while the process can serve a request at all (liveness); `/readyz`
answers 200 only when the database and, when configured, Redis are reachable, so a load
balancer stops sending people to a worker that could not store what they write. Neither
needs a session, a cookie or a CSRF token, and neither says more than which part failed.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, current_app, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from chat.dependencies import redis_reachable
from chat.extensions import db
from chat.realtime import shutdown

bp = Blueprint("health", __name__)
log = logging.getLogger(__name__)


@bp.get("/healthz")
def healthz() -> Response:
    """200 while the process is alive and serving."""
    return _no_store(jsonify(status="ok"))


@bp.get("/readyz")
def readyz() -> tuple[Response, int]:
    """200 with each check "ok" when ready; 503 naming the check that failed, or with
    status "draining" once the process is shutting down (send no one new to it)."""
    checks = {"database": _database_reachable()}
    if current_app.config["REDIS_URL"]:
        checks["redis"] = redis_reachable(current_app.config["REDIS_URL"])
        if not checks["redis"]:
            log.warning("readiness: Redis at REDIS_URL is unreachable")
    draining = shutdown.draining()
    ready = all(checks.values()) and not draining
    body = {
        "status": "draining" if draining else "ok" if ready else "unavailable",
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


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response
