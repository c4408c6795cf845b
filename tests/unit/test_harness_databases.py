"""The suite's own databases: each test runs on the one its name says, a PostgreSQL
database comes back empty for the next test, and only crashed runs' leftovers are dropped."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from chat.extensions import db, make_engine
from chat.models import User
from tests.conftest import POSTGRES_ADMIN_URL, postgres
from tests.helpers import make_user
from tests.postgres import PostgresDatabases


def test_each_test_runs_on_the_database_in_its_name(engine: Engine, database: str) -> None:
    assert engine.dialect.name == database


def test_a_database_given_back_is_empty_with_ids_from_one() -> None:
    databases = postgres()
    url = databases.borrow()
    engine = make_engine(url)
    try:
        with Session(engine) as first:
            make_user(first, "a@example.org")
            assert make_user(first, "b@example.org").id == 2
        databases.give_back(url)
        assert databases.borrow() == url
        with Session(engine) as second:
            assert second.scalar(select(func.count()).select_from(User)) == 0
            assert make_user(second, "c@example.org").id == 1
    finally:
        engine.dispose()
        databases.give_back(url)


def names(databases: PostgresDatabases) -> set[str]:
    return set(databases.connection.scalars(text("SELECT datname FROM pg_database")))


def test_a_run_drops_crashed_runs_leftovers_and_keeps_running_runs_databases() -> None:
    postgres()  # skips (or fails) without a server, like the tests that need one
    crashed = PostgresDatabases(POSTGRES_ADMIN_URL)
    running = PostgresDatabases(POSTGRES_ADMIN_URL)
    later: PostgresDatabases | None = None
    try:
        lost, kept = crashed.empty(), running.empty()
        crashed.connection.close()  # a crash ends the run's connection, and so its lock
        crashed.admin.dispose()
        later = PostgresDatabases(POSTGRES_ADMIN_URL)
        found = names(later)
        assert lost.rsplit("/", 1)[1] not in found
        assert kept.rsplit("/", 1)[1] in found
    finally:
        running.close()
        if later is not None:
            later.close()


def test_the_app_runs_on_the_database_in_its_name(app: Flask, database: str) -> None:
    assert db.engine is not None and db.engine.dialect.name == database
