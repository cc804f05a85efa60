"""Migration 0005 (home visits): the visit columns on bookings, rows from before kept."""

from __future__ import annotations

from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from api.db.engine import make_engine
from api.db.migrate import alembic_config, current_revision, upgrade
from tests.api.db.test_migrate import _downgrade

VISIT_COLUMNS = {"visit_min", "visit_feature", "visit_wanted_at"}
_COLUMNS = (
    "id, service_date, kind, status, pickup_name, dropoff_name, pickup_lon, pickup_lat, "
    "dropoff_lon, dropoff_lat, by_arrival, party_size, wheelchairs, cargo_units, note, "
    "created_at, updated_at"
)
_VALUES = (
    "'2026-06-05', 'confirmed', '自宅', '自宅', 139.42, 35.69, 139.42, 35.69, false, "
    "{party}, 0, 0, '', '2026-06-05 00:00:00+00', '2026-06-05 00:00:00+00'"
)

#: A ride booked one by one, as any revision since 0002 stores it.
A_RIDE = (
    f"INSERT INTO bookings ({_COLUMNS}) VALUES ('20260605-001', "
    + _VALUES.format(party=1).replace("'confirmed'", "'ride', 'confirmed'", 1)
    + ")"
)


def test_0005_adds_visit_terms_keeping_rows(database_url):
    """On both databases: a ride from before 0005 comes through with no visit terms, a
    visit keeps its length, feature and wanted start, and 0005 goes down again."""
    before = ScriptDirectory.from_config(alembic_config()).get_revision("0005").down_revision
    assert isinstance(before, str)
    engine = make_engine(database_url)
    try:
        _downgrade(engine, before)
        assert current_revision(engine) == before
        columns = {c["name"] for c in inspect(engine).get_columns("bookings")}
        assert not columns & VISIT_COLUMNS
        with engine.begin() as conn:
            conn.execute(text(A_RIDE))
        upgrade(engine, "0005")
        assert current_revision(engine) == "0005"
        columns = {c["name"] for c in inspect(engine).get_columns("bookings")}
        assert columns >= VISIT_COLUMNS
        with engine.begin() as conn:
            ride = conn.execute(
                text("SELECT kind, visit_min, visit_feature, visit_wanted_at FROM bookings")
            ).one()
            assert tuple(ride) == ("ride", None, None, None)
            conn.execute(
                text(
                    f"INSERT INTO bookings ({_COLUMNS}, visit_min, visit_feature, "
                    "visit_wanted_at) VALUES ('20260605-002', "
                    + _VALUES.format(party=0).replace("'confirmed'", "'visit', 'confirmed'", 1)
                    + ", 45, 'nurse', '2026-06-05 01:00:00+00')"
                )
            )
            visit = conn.execute(
                text("SELECT visit_min, visit_feature FROM bookings WHERE kind = 'visit'")
            ).one()
        assert tuple(visit) == (45, "nurse")
        _downgrade(engine, before)
        columns = {c["name"] for c in inspect(engine).get_columns("bookings")}
        assert not columns & VISIT_COLUMNS
        with engine.connect() as conn:
            kinds = conn.execute(text("SELECT kind FROM bookings ORDER BY id")).scalars().all()
        assert kinds == ["ride", "visit"]
    finally:
        upgrade(engine)  # the next tests need the newest schema
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM bookings"))
        engine.dispose()
