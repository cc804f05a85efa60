"""The shipped migrations build exactly the tables the models describe, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from api.db.engine import make_engine
from api.db.migrate import MIGRATIONS_DIR, current_revision, head_revision, is_up_to_date, upgrade
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
