"""Alembic environment: runs migrations against the URL chat.migrate passes in."""

from __future__ import annotations

from alembic import context

from chat.extensions import make_engine
from chat.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    """Run migrations with a real connection (SQLite gets batch mode for ALTERs)."""
    url = config.get_main_option("sqlalchemy.url") or ""
    engine = make_engine(url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=url.startswith("sqlite"),
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations_online()
