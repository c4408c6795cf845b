"""The audit log for organisers: a filterable page and the same list as CSV. 403 for others."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, Response, render_template, request

from chat.extensions import db
from chat.services import audit
from chat.web.common import organiser_required

bp = Blueprint("audit", __name__, url_prefix="/organise")


@dataclass(frozen=True)
class Filters:
    """Which entries to show: one session's, one person's (as actor or subject), or all."""

    session_id: int | None
    person_id: int | None

    @classmethod
    def from_request(cls) -> Filters:
        """Read `session` and `person` from the query string; anything else means all."""
        return cls(_positive("session"), _positive("person"))

    def as_args(self) -> dict[str, int]:
        """The filters as query arguments for links (pages, the CSV download)."""
        args = {"session": self.session_id, "person": self.person_id}
        return {name: value for name, value in args.items() if value is not None}


def _positive(name: str) -> int | None:
    value = request.args.get(name, type=int)
    return value if value is not None and value > 0 else None


def _titles() -> dict[int, str]:
    return {s.id: s.title for s in audit.sessions(db.session)}


@bp.get("/audit")
@organiser_required
def audit_log() -> str:
    """Moderation actions and report resolutions, newest first, a page at a time."""
    filters = Filters.from_request()
    page = max(_positive("page") or 1, 1)
    rows = audit.entries(
        db.session,
        filters.session_id,
        filters.person_id,
        limit=audit.PAGE + 1,
        offset=(page - 1) * audit.PAGE,
    )
    sessions = audit.sessions(db.session)
    return render_template(
        "organise/audit.html",
        entries=rows[: audit.PAGE],
        page=page,
        has_next=len(rows) > audit.PAGE,
        filters=filters,
        sessions=sessions,
        titles={s.id: s.title for s in sessions},
        people=audit.people(db.session),
    )


@bp.get("/audit.csv")
@organiser_required
def audit_csv() -> Response:
    """Every entry that matches the filters, as a CSV download."""
    filters = Filters.from_request()
    rows = audit.entries(db.session, filters.session_id, filters.person_id, limit=None)
    return Response(
        audit.to_csv(rows, _titles()),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="traineetalk-audit-log.csv"'},
    )
