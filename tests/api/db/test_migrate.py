"""The shipped migrations build exactly the tables the models describe, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

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
    assert sorted(p.name for p in (MIGRATIONS_DIR / "versions").glob("*.py")) == ["0001_initial.py"]
