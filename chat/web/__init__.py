"""HTTP blueprints: thin views that parse, call a service and render."""

from __future__ import annotations

import logging

from flask import Flask, render_template
from werkzeug.exceptions import HTTPException

from chat.errors import ChatError
from chat.web import (
    anonymised,
    attendance,
    audit,
    auth,
    bans,
    common,
    conduct,
    connections,
    consent,
    directory,
    headers,
    health,
    invitations,
    mydata,
    organise,
    prompts,
    recaps,
    resources,
    schedule,
    transcripts,
)


def init_app(app: Flask) -> None:
    """Register blueprints, template helpers and the one HTTP error mapping."""
    app.register_blueprint(auth.bp)
    app.register_blueprint(mydata.bp)
    app.register_blueprint(anonymised.bp)
    app.register_blueprint(schedule.bp)
    app.register_blueprint(organise.bp)
    app.register_blueprint(audit.bp)
    app.register_blueprint(bans.bp)
    app.register_blueprint(transcripts.bp)
    app.register_blueprint(attendance.bp)
    app.register_blueprint(invitations.bp)
    app.register_blueprint(prompts.bp)
    app.register_blueprint(recaps.bp)
    app.register_blueprint(conduct.bp)
    app.register_blueprint(consent.bp)
    app.register_blueprint(directory.bp)
    app.register_blueprint(connections.bp)
    app.register_blueprint(resources.bp)
    app.register_blueprint(health.bp)
    common.init_app(app)
    headers.init_app(app)
    # Invitation links are written to the log (there is no mail server), at INFO: make
    # sure INFO reaches it unless the deployment configured the level itself.
    if app.logger.level == logging.NOTSET:
        app.logger.setLevel(logging.INFO)

    @app.errorhandler(ChatError)
    def _chat_error(exc: ChatError) -> tuple[str, int]:
        return render_template("error.html", message=exc.message), exc.http_status

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> tuple[str, int]:
        return render_template("error.html", message=exc.description), exc.code or 500
