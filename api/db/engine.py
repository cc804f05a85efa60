"""Engines and sessions for SQLite (default, a file) and PostgreSQL (by URL).

Plan changes are serialised per service day *in the database* (see `api.live.store`):
on PostgreSQL with ``SELECT ... FOR UPDATE`` on the day's row; on SQLite every
writing transaction starts with ``BEGIN IMMEDIATE`` (one writer at a time, readers
keep going in WAL mode), which pysqlite cannot do by itself, so this module issues
the ``BEGIN`` (the SQLAlchemy recipe for pysqlite's transaction handling).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger(__name__)

READ_ONLY = "noriai_read_only"
"""Execution option of sessions that only read (SQLite: a deferred ``BEGIN``)."""


def safe_url(url: str | URL) -> str:
    """The URL with its password hidden, for logs and messages."""
    return make_url(url).render_as_string(hide_password=True)


def make_engine(url: str) -> Engine:
    """An engine for `url` (``sqlite:///path`` or ``postgresql+psycopg://...``)."""
    u = make_url(url)
    if u.get_backend_name() == "sqlite":
        return _sqlite_engine(u)
    if u.get_backend_name() == "postgresql" and u.drivername == "postgresql":
        u = u.set(drivername="postgresql+psycopg")  # the driver we ship
    engine = create_engine(u, pool_pre_ping=True, pool_size=5, max_overflow=10)
    log.info("database %s", safe_url(u))
    return engine


def _sqlite_engine(u: URL) -> Engine:
    if u.database and u.database != ":memory:":
        Path(u.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(u, connect_args={"timeout": 30, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        read_only = conn.get_execution_options().get(READ_ONLY, False)
        conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    log.info("database %s", safe_url(u))
    return engine


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def session_factories(engine: Engine) -> tuple[sessionmaker[Session], sessionmaker[Session]]:
    """(writing, read-only) session factories; objects stay readable after commit."""
    writer = sessionmaker(engine, expire_on_commit=False)
    reader = sessionmaker(engine.execution_options(**{READ_ONLY: True}), expire_on_commit=False)
    return writer, reader
