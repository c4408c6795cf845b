"""TraineeTalk Live: the application factory."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import Flask

from chat import config as settings
from chat import dependencies, limiting, proxy
from chat.extensions import csrf, db, login_manager, socketio

# Handlers must be declared before the first socketio.init_app(): Flask-SocketIO keeps
# the ones declared while it is unbound and re-applies them to every app's server.
from chat.realtime import confidentiality as _confidentiality_handlers  # noqa: F401
from chat.realtime import event_log, message_queue, presence, presence_updates
from chat.realtime import handlers as _socket_handlers  # noqa: F401
from chat.realtime import introductions as _introduction_handlers  # noqa: F401
from chat.realtime import moderation as _moderation_handlers  # noqa: F401
from chat.realtime import queue as _queue_handlers  # noqa: F401
from chat.realtime import reports as _report_handlers  # noqa: F401
from chat.realtime import resources as _resource_handlers  # noqa: F401
from chat.realtime import steering as _steering_handlers  # noqa: F401
from chat.wsgi import without_websocket_compression

ROOT = Path(__file__).resolve().parent.parent


def _utcnow() -> datetime:
    return datetime.now(UTC)


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the app: config from the environment (plus `test_config`), extensions, routes."""
    app = Flask(
        __name__,
        instance_path=str(ROOT / "instance"),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    app.config.update(settings.from_environment(Path(app.instance_path), overrides=test_config))
    clock_fn: Callable[[], datetime] = app.config.get("CHAT_NOW") or _utcnow
    app.config["CHAT_NOW"] = clock_fn

    db.init_app(app)
    csrf.init_app(app)
    login_manager.init_app(app)
    # Given every time: Flask-SocketIO would keep the message queue of an earlier app in
    # this process, and each app must get the one its own REDIS_URL calls for (or none).
    socketio.init_app(
        app,
        async_mode=app.config["CHAT_ASYNC_MODE"],
        client_manager=message_queue.manager_for(app.config["REDIS_URL"]),
        max_http_buffer_size=64 * 1024,
        cors_allowed_origins=None,  # same origin only
    )
    app.wsgi_app = without_websocket_compression(app.wsgi_app)  # type: ignore[method-assign,assignment]
    limiting.init_app(app)
    event_log.init_app(app)
    presence.use_store_for(app.config["REDIS_URL"])
    presence_updates.use_interval(app.config["CHAT_PRESENCE_SECONDS"])
    dependencies.report_redis_at_start(app)

    from chat import cli, web

    web.init_app(app)
    cli.init_app(app)
    proxy.init_app(app)  # last: its ProxyFix wraps every other layer
    return app
