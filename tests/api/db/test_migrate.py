"""The shipped migrations build exactly the tables the models describe, on both databases."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from api.db.engine import make_engine
from api.db.migrate import (
    MIGRATIONS_DIR,
    alembic_config,
    current_revision,
    head_revision,
    is_up_to_date,
    upgrade,
)
from api.db.models import Base


def test_migrated_schema_matches_the_models(database_url):
    engine = make_engine(database_url)
    assert is_up_to_date(engine) and current_revision(engine) == head_revision()
    with engine.connect() as conn:
        diff = compare_metadata(
            MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata
        )
    engine.dispose()
    assert diff == []


def test_upgrade_from_empty_and_again_is_harmless(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    assert current_revision(engine) is None
    upgrade(engine)
    upgrade(engine)
    assert set(inspect(engine).get_table_names()) >= {
        "bookings",
        "service_days",
        "riders",
        "api_tokens",
    }
    engine.dispose()


def test_migrations_ship_with_the_package():
    assert (MIGRATIONS_DIR / "alembic.ini").is_file()
    assert sorted(p.name for p in (MIGRATIONS_DIR / "versions").glob("*.py")) == [
        "0001_initial.py",
        "0002_day_allocates_booking_ids.py",
        "0003_community_halls.py",
        "0004_drones.py",
        "0005_visits.py",
        "0006_standing_bookings.py",
        "0007_plan_versions.py",
        "0008_cancel_reasons.py",
        "0009_residents.py",
    ]


def test_upgrade_from_0001_keeps_service_days_and_drops_the_booking_counter(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(engine, "0001")
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO service_days (service_date, version, next_booking_no, "
                "last_audit_seq, created_at, updated_at) VALUES "
                "('2026-06-05', 3, 8, 0, '2026-06-05 00:00:00', '2026-06-05 00:00:00')"
            )
        )
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    columns = {c["name"] for c in inspect(engine).get_columns("service_days")}
    assert "next_booking_no" not in columns
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version FROM service_days")).scalar_one() == 3
    engine.dispose()


def _downgrade(engine, revision: str) -> None:
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)


def test_0003_adds_hall_settings_and_delivery_terms_keeping_rows(database_url):
    """On both databases: a day's places and bookings from before 0003 come through
    unchanged (no hall settings, no hand-over, no fee), and 0003 goes down again."""
    engine = make_engine(database_url)
    try:
        _downgrade(engine, "0002")
        assert current_revision(engine) == "0002"
        assert "hall" not in {c["name"] for c in inspect(engine).get_columns("places")}
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO places (id, name, kind, address, lon, lat, road_lon, road_lat, "
                    "snap_m, active, created_at) VALUES (1, '東公民館', 'community_hall', '', "
                    "139.42, 35.69, 139.42, 35.69, 1.0, true, '2026-06-05 00:00:00+00')"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO bookings (id, service_date, kind, status, dropoff_place_id, "
                    "pickup_name, dropoff_name, pickup_lon, pickup_lat, dropoff_lon, "
                    "dropoff_lat, by_arrival, party_size, wheelchairs, cargo_units, note, "
                    "created_at, updated_at) VALUES ('20260605-001', '2026-06-05', "
                    "'delivery', 'confirmed', 1, 'スーパー', '東公民館', 139.40, 35.70, "
                    "139.42, 35.69, true, 0, 0, 1, '', '2026-06-05 00:00:00+00', "
                    "'2026-06-05 00:00:00+00')"
                )
            )
        upgrade(engine, "0003")
        assert current_revision(engine) == "0003"
        with engine.connect() as conn:
            place = conn.execute(text("SELECT name, kind, hall FROM places")).one()
            booking = conn.execute(
                text("SELECT status, cargo_units, hand_over, fee_yen FROM bookings")
            ).one()
        assert tuple(place) == ("東公民館", "community_hall", None)
        assert tuple(booking) == ("confirmed", 1, None, None)
    finally:
        upgrade(engine)  # the next tests need the newest schema
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM bookings"))
            conn.execute(text("DELETE FROM places"))
        engine.dispose()


_PLACE = (
    "INSERT INTO places (id, name, kind, address, lon, lat, road_lon, road_lat, snap_m, "
    "active, created_at) VALUES (1, 'スーパー', 'supermarket', '', 139.40, 35.70, 139.40, "
    "35.70, 1.0, true, '2026-06-05 00:00:00+00')"
)
_BOOKING = (
    "INSERT INTO bookings (id, service_date, kind, status, pickup_place_id, pickup_name, "
    "dropoff_name, pickup_lon, pickup_lat, dropoff_lon, dropoff_lat, by_arrival, party_size, "
    "wheelchairs, cargo_units, note, hand_over, fee_yen, created_at, updated_at) VALUES "
    "('20260605-001', '2026-06-05', 'delivery', 'confirmed', 1, 'スーパー', '東公民館', "
    "139.40, 35.70, 139.42, 35.69, true, 0, 0, 1, '', 'hall', 100, "
    "'2026-06-05 00:00:00+00', '2026-06-05 00:00:00+00')"
)


def test_0004_adds_the_drone_fleet_and_flown_bookings_keeping_rows(database_url):
    """On both databases: bookings from before 0004 come through unflown (no drone, no
    van reason); the fleet tables take a base at a place and a drone at the base (a
    drone at an unknown base is refused), and 0004 goes down again."""
    engine = make_engine(database_url)
    try:
        _downgrade(engine, "0003")
        assert current_revision(engine) == "0003"
        tables = set(inspect(engine).get_table_names())
        assert not tables & {"drones", "drone_bases"}
        assert "drone_id" not in {c["name"] for c in inspect(engine).get_columns("bookings")}
        with engine.begin() as conn:
            conn.execute(text(_PLACE))
            conn.execute(text(_BOOKING))
        upgrade(engine, "0004")
        assert current_revision(engine) == "0004"
        with engine.begin() as conn:
            booking = conn.execute(
                text("SELECT status, hand_over, fee_yen, drone_id, van_reason FROM bookings")
            ).one()
            assert tuple(booking) == ("confirmed", "hall", 100, None, None)
            conn.execute(
                text(
                    "INSERT INTO drone_bases (id, name, place_id, active, created_at) VALUES "
                    "(1, 'ゆうあい拠点', 1, true, '2026-06-05 00:00:00+00')"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO drones (id, name, base_id, payload_kg, range_km, cruise_kmh, "
                    "turnaround_min, flying_hours, active, created_at) VALUES ('d1', "
                    "'ゆうあい1号', 1, 5.0, 14.0, 36, 10, '09:00-17:00', true, "
                    "'2026-06-05 00:00:00+00')"
                )
            )
            drone = conn.execute(text("SELECT base_id, flying_hours FROM drones")).one()
        assert tuple(drone) == (1, "09:00-17:00")
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO drones (id, name, base_id, payload_kg, range_km, cruise_kmh, "
                    "turnaround_min, flying_hours, active, created_at) VALUES ('d2', 'x', 99, "
                    "5.0, 14.0, 36, 10, '09:00-17:00', true, '2026-06-05 00:00:00+00')"
                )
            )
        _downgrade(engine, "0003")
        assert not set(inspect(engine).get_table_names()) & {"drones", "drone_bases"}
        with engine.connect() as conn:
            assert conn.execute(text("SELECT fee_yen FROM bookings")).scalar_one() == 100
    finally:
        upgrade(engine)  # the next tests need the newest schema
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM drones"))
            conn.execute(text("DELETE FROM drone_bases"))
            conn.execute(text("DELETE FROM bookings"))
            conn.execute(text("DELETE FROM places"))
        engine.dispose()
