"""Directory search finds words through the `term` index, on SQLite and PostgreSQL.

A search runs for real while its statements are recorded; then the database explains
the one that reads `member_terms`. It must search the `ix_member_terms_term` index by a
range, never read the whole table (PostgreSQL is asked with sequential scans discouraged,
as in test_query_plans.py: the question is whether the index can serve the query).
"""

from __future__ import annotations

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from chat.models import User
from chat.services import accounts, directory
from tests.helpers import START, make_user
from tests.unit.test_query_plans import plan, recorded

INDEX = "ix_member_terms_term"


def uses_term_index(engine: Engine, query_plan: str) -> bool:
    """Whether the plan searches `member_terms` through the term index, and never scans it."""
    lines = query_plan.splitlines()
    if engine.dialect.name == "sqlite":
        searches = [line for line in lines if line.startswith("SEARCH member_terms USING")]
        scans = [line for line in lines if line.startswith("SCAN member_terms")]
        return any(INDEX in line and "term>" in line for line in searches) and not scans
    scans = [line for line in lines if "Seq Scan on member_terms" in line]
    return any(INDEX in line for line in lines) and not scans


@pytest.mark.parametrize(
    "criteria",
    [{"q": "anx"}, {"q": "anx scot"}, {"interest": "gri"}],
    ids=["one", "two", "interest"],
)
def test_directory_search_uses_the_term_index(
    engine: Engine, dbs: Session, member: User, criteria: dict[str, str]
) -> None:
    for n in range(30):
        person = make_user(dbs, f"p{n}@example.org", f"Person {n}")
        profile = accounts.Profile(
            person.display_name,
            region="Scotland",
            interests=f"Anxiety {n}, grief",
            directory_listed=True,
        )
        accounts.update_profile(dbs, person, profile)
    with recorded(engine) as statements:
        found = directory.search(dbs, member, now=START, **criteria)
    assert found.total == 30, "the search found nobody: the plan would prove nothing"
    reading_terms = [(s, p) for s, p in statements if "member_terms" in s]
    assert reading_terms
    for statement, parameters in reading_terms:
        query_plan = plan(engine, statement, parameters)
        assert uses_term_index(engine, query_plan), f"{statement}\n{query_plan}"
