"""Alembic environment: runs on the connection `api.db.migrate` hands over (or ``-x url=``).

On PostgreSQL the migration takes a transaction-level advisory lock first, so several
worker processes starting at once do not migrate concurrently (SQLite's
``BEGIN IMMEDIATE`` does the same there).
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import text

from api.db.engine import make_engine
from api.db.models import Base

MIGRATION_LOCK = 7_240_001
"""Key of the PostgreSQL advisory lock held while migrating."""

target_metadata = Base.metadata


def run_on(connection) -> None:  # type: ignore[no-untyped-def]
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": MIGRATION_LOCK})
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        run_on(connection)
        return
    url = context.get_x_argument(as_dictionary=True).get("url")
    if not url:
        raise SystemExit("give the database with -x url=... (or use `noriai service init-db`)")
    engine = make_engine(url)
    with engine.begin() as conn:
        run_on(conn)
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (SQL script) migrations are not supported")
run_migrations()
