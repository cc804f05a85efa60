"""``noriai service``: init-db, staff accounts and tokens from the command line."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from api.cli import app
from api.db.engine import make_engine
from api.db.migrate import current_revision, head_revision
from tests.api.conftest import START
from tests.api.routes.test_standing_bookings import add_shifts, dialysis, register


def run(env: dict[str, str], *args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(app, list(args), env=env)


def test_init_db_users_and_tokens(tmp_path):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    env = {"NORIAI_DATABASE_URL": url}
    r = run(env, "service", "init-db")
    assert r.exit_code == 0, r.output
    assert current_revision(make_engine(url)) == head_revision()
    r = run(env, "service", "user", "add", "tanaka", "--role", "operator")
    assert r.exit_code == 0, r.output
    token = r.stdout.strip().splitlines()[-1]
    assert token.startswith("nor_") and len(token) > 40
    again = run(env, "service", "user", "add", "tanaka", "--role", "driver")
    assert again.exit_code == 2
    r = run(env, "service", "user", "add", "suzuki", "--role", "pilot")
    assert r.exit_code == 2
    listed = run(env, "service", "user", "list")
    assert "tanaka" in listed.stdout and token not in listed.stdout
    r = run(env, "service", "token", "add", "tanaka", "--label", "tablet")
    second = r.stdout.strip().splitlines()[-1]
    assert second.startswith("nor_") and second != token
    r = run(env, "service", "token", "revoke", second[:12])
    assert r.exit_code == 0 and "1 token(s) revoked" in r.stdout
    assert run(env, "service", "token", "revoke", "nor_").exit_code == 2
    assert run(env, "service", "token", "add", "nobody").exit_code == 2


def test_the_help_names_the_commands():
    r = run({}, "service", "--help")
    assert r.exit_code == 0
    for command in ("run", "init-db", "user", "token", "standing", "remind"):
        assert command in r.stdout


@pytest.mark.sqlite_only
def test_standing_makes_tomorrows_rides_and_lists_those_not_kept(
    client, staff, town, settings, tmp_path
):
    """The evening before: the return ride is booked, the 09:00 arrival (cars start at
    10:00) is listed with its reason and alternatives, exit status 3; a second run makes
    nothing new."""
    add_shifts(client, staff, town, 1, (10, 17))
    register(client, staff, dialysis(town))
    env = {
        "NORIAI_DATABASE_URL": settings.database_url,
        "NORIAI_DATA_DIR": str(settings.data_dir),
        "NORIAI_CACHE_DIR": str(tmp_path / "cli-cache"),
        "NORIAI_FIXED_NOW": START.isoformat(),
    }
    first = run(env, "service", "standing")  # default: tomorrow, Tuesday 3 June
    assert first.exit_code == 3, first.output
    assert "1 便を予約しました" in first.stdout and "already made: 0" in first.stdout
    assert "山田 花子" in first.stdout and "運行時間外です" in first.stdout
    assert "10:15" in first.stdout  # an alternative the quote offered
    again = run(env, "service", "standing", "--date", "2025-06-03")
    assert again.exit_code == 3 and "0 便を予約しました" in again.stdout
    assert "already made: 1" in again.stdout
    rides = client.get(
        "/api/v1/bookings", params={"service_date": "2025-06-03"}, headers=staff.headers("operator")
    ).json()
    assert len(rides) == 1 and rides[0]["status"] == "confirmed"
    assert run(env, "service", "standing", "--date", "2025-06-01").exit_code == 2
    assert run(env, "service", "standing", "--date", "3 June").exit_code == 2
    far = run(env, "service", "standing", "--date", "2025-07-01")
    assert far.exit_code == 2 and "14 日先まで" in far.output
    assert run(env, "service", "standing", "--date", "2025-06-04").exit_code == 0


@pytest.mark.sqlite_only
def test_remind_queues_tomorrows_reminders_once(client, staff, town, settings, tmp_path):
    op = staff.headers("operator")
    add_shifts(client, staff, town, 1, (8, 17))
    body = {
        "rider_id": town.riders["yamada"],
        "pickup_place_id": town.homes["yamada"],
        "dropoff_place_id": town.places["hospital"],
        "depart_at": "2025-06-03T09:00:00+09:00",
    }
    q = client.post("/api/v1/quotes", json=body, headers=op).json()
    assert client.post(f"/api/v1/quotes/{q['id']}/confirm", headers=op).status_code == 200
    env = {
        "NORIAI_DATABASE_URL": settings.database_url,
        "NORIAI_DATA_DIR": str(settings.data_dir),
        "NORIAI_FIXED_NOW": START.isoformat(),
    }
    first = run(env, "service", "remind")  # default: tomorrow, 3 June
    assert first.exit_code == 0 and "2025-06-03: 前日のお知らせ 1 件" in first.stdout
    assert "0 件" in run(env, "service", "remind", "--date", "2025-06-03").stdout
    [m] = client.get("/api/v1/outbox?kind=reminder", headers=op).json()
    assert m["booking_id"] == q["id"] and m["status"] == "queued"
    assert run(env, "service", "remind", "--date", "3 June").exit_code == 2
    assert run(env, "service", "remind", "--date", "2030-01-01").exit_code == 2
