"""Throwaway PostgreSQL databases for one pytest run (fixtures in tests/conftest.py)."""

from __future__ import annotations

import itertools
import re
import secrets
from pathlib import Path

from sqlalchemy import Engine, create_engine, make_url, text

from chat.extensions import make_engine
from chat.migrate import upgrade
from chat.models import Base


class PostgresDatabases:
    """This run's databases on the server at `admin_url`, all dropped by close().

    Names start with `traineetalk_test_<run>_`. The run holds an advisory lock on <run>
    while it lives, so a later run tells a crashed run's leftovers (lock free) from a
    concurrent run's databases (lock held), and drops only the former.

    Every database starts as a copy of one migrated template (CREATE DATABASE ...
    TEMPLATE; its default WAL_LOG strategy measured over twice as quick as FILE_COPY,
    which forces checkpoints). Even so, creating and dropping one took 0.3 to 1.5 s on a
    busy 2-core machine, so tests that run in-process borrow a database from a pool
    instead, and give it back emptied by DELETE and sequence resets (about 10 ms).
    """

    PREFIX = "traineetalk_test_"
    LOCK_CLASS = 0x7454  # our advisory locks' namespace (the first of the two keys)

    def __init__(self, admin_url: str) -> None:
        # A server that does not answer fails the run's first PostgreSQL test, not hangs it.
        self.admin = create_engine(
            admin_url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 10}
        )
        self.run = secrets.randbelow(2**31)
        self.connection = self.admin.connect()  # holds the run's lock until close()
        self._advisory("pg_advisory_lock", self.run)
        self.numbers = itertools.count(1)
        self.made: list[str] = []
        self.free: list[str] = []
        self.resetters: dict[str, Engine] = {}  # one connection kept open per pooled database
        self.live: dict[Path, str] = {}
        self.template: str | None = None
        self.reset_sql = ""
        self._drop_leftovers()

    def _advisory(self, function: str, run: int) -> object:
        query = text(f"SELECT {function}(:namespace, :run)")
        return self.connection.scalar(query, {"namespace": self.LOCK_CLASS, "run": run})

    def _name(self, what: str) -> str:
        return f"{self.PREFIX}{self.run:08x}_{what}"

    def url(self, name: str) -> str:
        """The SQLAlchemy URL of database `name` on this server."""
        return self.admin.url.set(database=name).render_as_string(hide_password=False)

    def _drop_leftovers(self) -> None:
        pattern = re.compile(rf"{self.PREFIX}([0-9a-f]{{8}})_")
        runs: dict[int, list[str]] = {}
        for name in self.connection.scalars(text("SELECT datname FROM pg_database")):
            if found := pattern.match(name):
                runs.setdefault(int(found.group(1), 16), []).append(name)
        for run, leftovers in runs.items():
            if run != self.run and self._advisory("pg_try_advisory_lock", run):
                for name in leftovers:
                    self._drop(name)
                self._advisory("pg_advisory_unlock", run)

    def _create(self, name: str, template: str | None = None) -> str:
        clause = f' TEMPLATE "{template}"' if template else ""
        self.connection.execute(text(f'CREATE DATABASE "{name}"{clause}'))
        # Nobody needs a throwaway database to survive a crash: commits stop waiting for
        # the disk, which made the suite's PostgreSQL half quicker (what is seen is unchanged).
        self.connection.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
        self.made.append(name)
        return self.url(name)

    def _drop(self, name: str) -> None:
        self.connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    def drop(self, url: str) -> None:
        """Drop a database of this run, closing whatever is still connected to it."""
        name = make_url(url).database
        assert name in self.made
        self.made.remove(name)
        self._drop(name)

    def _migrate_template(self) -> str:
        if self.template is None:
            url = self._create(self._name("template"))
            upgrade(url)
            engine = make_engine(url)
            with engine.connect() as connection:
                sequences = connection.scalars(text("SELECT sequencename FROM pg_sequences"))
                resets = ", ".join(f"setval('\"{s}\"', 1, false)" for s in sequences)
            engine.dispose()
            # Children before parents, so that no foreign key stops a DELETE.
            deletes = [f'DELETE FROM "{t.name}"' for t in reversed(Base.metadata.sorted_tables)]
            # A connection the test left open could hold locks, or write after the reset.
            others = (
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            self.reset_sql = "; ".join([others, *deletes, f"SELECT {resets}"])
            self.template = self._name("template")
        return self.template

    def migrated(self) -> str:
        """A new database with every migration applied; drop() it after use."""
        return self._create(self._name(str(next(self.numbers))), self._migrate_template())

    def borrow(self) -> str:
        """A migrated database with no rows and fresh sequences; give_back() it after use."""
        return self.url(self.free.pop()) if self.free else self.migrated()

    def give_back(self, url: str) -> None:
        """Empty a borrowed database for the next test (drop it if that fails)."""
        name = make_url(url).database
        assert name is not None
        if name not in self.resetters:
            self.resetters[name] = make_engine(url)
        try:
            with self.resetters[name].begin() as connection:
                connection.exec_driver_sql(self.reset_sql)
        except Exception:
            self.resetters.pop(name).dispose()
            self.drop(url)
            raise
        self.free.append(name)

    def empty(self) -> str:
        """A new database without tables; drop() it after use."""
        return self._create(self._name(str(next(self.numbers))))

    def for_live_server(self, tmp: Path) -> str:
        """An empty database for the servers of test directory `tmp` (they migrate it)."""
        if tmp not in self.live:
            self.live[tmp] = self.empty()
        return self.live[tmp]

    def drop_live(self, tmp: Path) -> None:
        """Drop the databases of the servers in `tmp` or below (at the end of its test)."""
        for where in [w for w in self.live if w == tmp or tmp in w.parents]:
            self.drop(self.live.pop(where))

    def close(self) -> None:
        """Drop every database of this run and give up its lock."""
        for engine in self.resetters.values():
            engine.dispose()
        for name in reversed(self.made):
            self._drop(name)
        self.made.clear()
        self.free.clear()
        self.connection.close()  # which releases the run's lock
        self.admin.dispose()
