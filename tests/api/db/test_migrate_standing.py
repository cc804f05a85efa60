"""Migration 0006 (standing bookings, 定期予約): the new tables, bookings linked to the
standing booking that made them, rows from before kept."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from api.db.engine import make_engine
from api.db.migrate import current_revision, upgrade
from tests.api.db.test_migrate import _downgrade
from tests.api.db.test_migrate_visits import A_RIDE

TABLES = {"standing_bookings", "standing_problems"}
_T = "'2026-06-05 00:00:00+00'"
_RIDER = (
    "INSERT INTO riders (id, registration_no, name, kana, kana_key, phone, phone_key, "
    f"eligibility, fare_category, wheelchair, companions, assistance, notes, active, "
    f"created_at, updated_at) VALUES (1, 'T-1', '山田', '', '', '', '', '[]', 'standard', "
    f"false, 0, false, '', true, {_T}, {_T})"
)
_PLACE = (
    "INSERT INTO places (id, name, kind, address, lon, lat, road_lon, road_lat, snap_m, "
    f"active, created_at) VALUES ({{id}}, 'p', 'hospital', '', 139.4, 35.7, 139.4, 35.7, "
    f"1.0, true, {_T})"
)
_STANDING = (
    "INSERT INTO standing_bookings (id, rider_id, pickup_place_id, dropoff_place_id, "
    "weekdays, outbound_s, by_arrival, return_after_s, start_date, skip_dates, "
    "skip_holidays, note, active, created_at, updated_at) VALUES (1, {rider}, 1, 2, "
    f"'[\"tue\", \"fri\"]', 32400, true, 14400, '2026-06-02', '[]', true, '', true, {_T}, {_T})"
)


def test_0006_adds_standing_bookings_keeping_rows(database_url):
    """On both databases: a ride from before 0006 comes through booked one by one (no
    standing booking); a standing booking needs a known rider; a ride may name the
    standing booking that made it; and 0006 goes down again."""
    engine = make_engine(database_url)
    try:
        _downgrade(engine, "0005")
        assert not set(inspect(engine).get_table_names()) & TABLES
        with engine.begin() as conn:
            conn.execute(text(A_RIDE))
        upgrade(engine, "0006")
        assert current_revision(engine) == "0006"
        assert set(inspect(engine).get_table_names()) >= TABLES
        with engine.begin() as conn:
            old = conn.execute(
                text("SELECT kind, standing_booking_id, standing_leg FROM bookings")
            ).one()
            assert tuple(old) == ("ride", None, None)
            conn.execute(text(_RIDER))
            conn.execute(text(_PLACE.format(id=1)))
            conn.execute(text(_PLACE.format(id=2)))
            conn.execute(text(_STANDING.format(rider=1)))
            conn.execute(
                text("UPDATE bookings SET standing_booking_id = 1, standing_leg = 'outbound'")
            )
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(text(_STANDING.replace("VALUES (1,", "VALUES (2,").format(rider=99)))
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(text("UPDATE bookings SET standing_booking_id = 42"))
        _downgrade(engine, "0005")
        assert not set(inspect(engine).get_table_names()) & TABLES
        columns = {c["name"] for c in inspect(engine).get_columns("bookings")}
        assert not columns & {"standing_booking_id", "standing_leg"}
        with engine.connect() as conn:
            assert conn.execute(text("SELECT id FROM bookings")).scalar_one() == "20260605-001"
    finally:
        upgrade(engine)  # the next tests need the newest schema
        with engine.begin() as conn:
            for table in ("bookings", "standing_problems", "standing_bookings", "riders"):
                conn.execute(text(f"DELETE FROM {table}"))
            conn.execute(text("DELETE FROM places"))
        engine.dispose()
