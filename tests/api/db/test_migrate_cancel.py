"""Migration 0008 (キャンセル理由): a booking keeps why it was cancelled; rows from before
come through with no reason, and 0008 goes down again."""

from __future__ import annotations

from sqlalchemy import inspect, text

from api.db.engine import make_engine
from api.db.migrate import current_revision, upgrade
from tests.api.db.test_migrate import _downgrade
from tests.api.db.test_migrate_visits import A_RIDE

COLUMNS = {"cancel_reason", "cancel_note"}


def test_0008_adds_cancel_reasons_keeping_rows(database_url):
    engine = make_engine(database_url)
    try:
        _downgrade(engine, "0007")
        assert not {c["name"] for c in inspect(engine).get_columns("bookings")} & COLUMNS
        with engine.begin() as conn:
            conn.execute(text(A_RIDE))
        upgrade(engine, "0008")
        assert current_revision(engine) == "0008"
        with engine.begin() as conn:
            old = conn.execute(text("SELECT cancel_reason, cancel_note FROM bookings")).one()
            assert tuple(old) == (None, None)
            conn.execute(text("UPDATE bookings SET cancel_reason = 'unwell', cancel_note = '熱'"))
        _downgrade(engine, "0007")
        assert not {c["name"] for c in inspect(engine).get_columns("bookings")} & COLUMNS
        with engine.connect() as conn:
            assert conn.execute(text("SELECT id FROM bookings")).scalar_one() == "20260605-001"
    finally:
        upgrade(engine)  # the next tests need the newest schema
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM bookings"))
        engine.dispose()
