"""The member directory at /members: for signed-in members only."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from flask import Blueprint, render_template, request
from flask_login import current_user, login_required

from chat.extensions import db
from chat.services import accounts, directory
from chat.web.common import now

bp = Blueprint("directory", __name__)


@dataclass(frozen=True)
class Filters:
    """What the reader searched for: words, and the filters they chose."""

    q: str = ""
    modality: str = ""
    stage: str = ""
    region: str = ""
    interest: str = ""

    @classmethod
    def from_request(cls) -> Filters:
        """Read the search and filters from the query string (each cut to a sane length)."""
        return cls(
            **{name: request.args.get(name, "").strip()[:200] for name in cls.__annotations__}
        )

    def as_args(self) -> dict[str, str]:
        """The non-empty filters as query arguments, for the pages' links."""
        return {name: value for name, value in asdict(self).items() if value}


@bp.get("/members")
@login_required
def members() -> str:
    """Search the directory of members who chose to be listed, a page at a time."""
    filters = Filters.from_request()
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    results = directory.search(db.session, current_user, page=page, now=now(), **asdict(filters))
    return render_template(
        "members/directory.html",
        results=results,
        filters=filters,
        choices=directory.choices(db.session, current_user, accounts.TRAINING_STAGES),
    )
