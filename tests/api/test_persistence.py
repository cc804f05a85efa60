"""The database is the truth: a server killed with SIGKILL mid-day comes back with every
booking, promise, hold and the plan exactly as they were."""

from __future__ import annotations

from pathlib import Path

from tests.api.conftest import OFF_NETWORK, make_staff, quote_body, seed_town
from tests.api.server import serve

NOW = "2025-06-02T08:00:00+09:00"


def service_env(database_url: str, data_dir: Path, tmp_path: Path) -> dict[str, str]:
    return {
        "NORIAI_DATABASE_URL": database_url,
        "NORIAI_DATA_DIR": str(data_dir),
        "NORIAI_CACHE_DIR": str(tmp_path / "cache"),
        "NORIAI_FIXED_NOW": NOW,
    }


def test_kill_mid_day_and_restart(database_url, data_dir, tmp_path):
    staff = make_staff(database_url)
    env = service_env(database_url, data_dir, tmp_path)
    op, disp = staff.headers("operator"), staff.headers("dispatcher")
    log = tmp_path / "server.log"
    with serve(env, log) as server, server.client() as http:
        town = seed_town(http, staff)
        confirmed = []
        for rider, to in (("yamada", "hospital"), ("sato", "station"), ("suzuki", "city_hall")):
            q = http.post("/api/v1/quotes", json=quote_body(town, rider, to=to), headers=op).json()
            assert q["feasible"], q
            assert http.post(f"/api/v1/quotes/{q['id']}/confirm", headers=op).status_code == 200
            confirmed.append(q["id"])
        held = http.post(
            "/api/v1/quotes",
            json=quote_body(
                town, "yamada", to="supermarket", depart_at="2025-06-02T11:00:00+09:00"
            ),
            headers=op,
        ).json()
        assert held["status"] == "held"
        r = http.post(
            "/api/v1/vehicles/car-1/position", json={"lon": 139.4030, "lat": 35.7010}, headers=disp
        )
        assert r.status_code == 200
        bad = http.post(
            "/api/v1/quotes",
            json={
                **quote_body(town),
                "dropoff_place_id": None,
                "dropoff": {"lon": OFF_NETWORK[0], "lat": OFF_NETWORK[1]},
            },
            headers=op,
        )
        assert bad.status_code == 422
        plan_before = http.get("/api/v1/plan", headers=disp).json()
        bookings_before = http.get("/api/v1/bookings", headers=disp).json()
        audit_before = http.get("/api/v1/audit", params={"limit": 1000}, headers=disp).json()
        server.kill()
    assert "Traceback" not in log.read_text()
    with serve(env, log) as server, server.client() as http:
        plan_after = http.get("/api/v1/plan", headers=disp).json()
        assert plan_after == plan_before
        assert http.get("/api/v1/bookings", headers=disp).json() == bookings_before
        assert (
            http.get("/api/v1/audit", params={"limit": 1000}, headers=disp).json() == audit_before
        )
        # the hold survived too: it can be confirmed after the restart
        r = http.post(f"/api/v1/quotes/{held['id']}/confirm", headers=op)
        assert r.status_code == 200 and r.json()["promise"] == held["pickup_window"]
        # and booking goes on from the stored state (the next id, no clash)
        q = http.post(
            "/api/v1/quotes",
            json=quote_body(town, "sato", to="hospital", depart_at="2025-06-02T13:00:00+09:00"),
            headers=op,
        )
        assert q.status_code == 201 and q.json()["id"] not in [*confirmed, held["id"]]
    assert "Traceback" not in log.read_text()
