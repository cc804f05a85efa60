"""Migration 0009 (residents booking themselves, notifications): riders from before get
the phone as their channel, the new tables hold their keys, and 0009 goes down again."""

from __future__ import annotations

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from api.db.engine import make_engine
from api.db.migrate import alembic_config, current_revision, upgrade
from tests.api.db.test_migrate import _downgrade
from tests.api.db.test_migrate_standing import _RIDER, _T

TABLES = {"resident_secrets", "resident_sessions", "rate_counts", "outbox_messages"}
_MESSAGE = (
    "INSERT INTO outbox_messages (kind, dedupe_key, service_date, booking_id, rider_id, "
    "channel, address, body_ja, body_en, status, sender, error, created_at) VALUES "
    "('confirmation', '{key}', '2026-06-05', '20260605-001', {rider}, 'phone', "
    f"'042-000-0000', 'ja', 'en', 'queued', 'database', '', {_T})"
)


def test_0009_adds_channels_secrets_sessions_and_the_outbox(database_url):
    before = ScriptDirectory.from_config(alembic_config()).get_revision("0009").down_revision
    assert isinstance(before, str)
    engine = make_engine(database_url)
    try:
        _downgrade(engine, before)
        assert not set(inspect(engine).get_table_names()) & TABLES
        with engine.begin() as conn:
            conn.execute(text(_RIDER))
        upgrade(engine, "0009")
        assert current_revision(engine) == "0009"
        assert set(inspect(engine).get_table_names()) >= TABLES
        with engine.begin() as conn:
            rider = conn.execute(text("SELECT channel, email FROM riders")).one()
            assert tuple(rider) == ("phone", "")
            conn.execute(text(_MESSAGE.format(key="a", rider=1)))
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(text(_MESSAGE.format(key="a", rider=1)))  # one message per cause
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(text(_MESSAGE.format(key="b", rider=99)))  # a known rider
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO resident_sessions (rider_id, token_hash, created_at, "
                    f"expires_at) VALUES (1, 'h', {_T}, {_T}), (1, 'h', {_T}, {_T})"
                )
            )
        _downgrade(engine, before)
        assert not set(inspect(engine).get_table_names()) & TABLES
        columns = {c["name"] for c in inspect(engine).get_columns("riders")}
        assert not columns & {"channel", "email"}
        with engine.connect() as conn:
            assert conn.execute(text("SELECT registration_no FROM riders")).scalar_one() == "T-1"
    finally:
        upgrade(engine)  # the next tests need the newest schema
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM outbox_messages"))
            conn.execute(text("DELETE FROM riders"))
        engine.dispose()
