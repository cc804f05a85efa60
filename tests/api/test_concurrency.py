"""Many operators at once against a multi-worker server: no capacity is promised twice,
every booking is in the plan exactly once, an idempotent retry books once.

The server is real (uvicorn, several worker processes, one database); plan changes are
serialised per service day by the database (PostgreSQL row lock, SQLite BEGIN
IMMEDIATE), never by anything in a process.
"""

from __future__ import annotations

import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.api.conftest import make_staff, quote_body, seed_town
from tests.api.server import serve
from tests.api.test_persistence import service_env

DESTINATIONS = ("station", "hospital", "city_hall", "supermarket")


def check_plan_against_bookings(plan: dict, held: set[str], seats: dict[str, int]) -> None:
    """Loads within capacity, promises kept, every held/confirmed booking once in the plan."""
    seen: list[str] = []
    for route in plan["routes"]:
        load = 0
        for stop in route["stops"]:
            if stop["kind"] == "pickup":
                load += stop["party_size"]
                seen.append(stop["booking_id"])
                assert stop["promise"]["start"] <= stop["service_start"] <= stop["promise"]["end"]
            elif stop["kind"] == "dropoff":
                load -= stop["party_size"]
            assert 0 <= load <= seats[route["vehicle_id"]], route["vehicle_id"]
    assert sorted(seen) == sorted(held)
    assert plan["unassigned"] == [] and plan["broken_promises"] == []


@pytest.mark.parametrize(("workers", "requests"), [(3, 48)])
def test_parallel_quotes_on_a_multi_worker_server(
    database_url, backend, data_dir, tmp_path: Path, workers, requests
):
    staff = make_staff(database_url)
    env = service_env(database_url, data_dir, tmp_path)
    op = staff.headers("operator")
    with serve(env, tmp_path / "server.log", workers=workers) as server, server.client() as http:
        town = seed_town(http, staff, vehicles=(("car-1", 2, 0), ("car-2", 1, 0)))
        riders = list(town.riders)[:2]  # no wheelchair
        bodies = [
            quote_body(town, riders[i % 2], to=DESTINATIONS[i % len(DESTINATIONS)])
            for i in range(requests)
        ]

        def ask(body: dict) -> tuple[int, dict, float]:
            with server.client() as c:
                t0 = time.perf_counter()
                r = c.post("/api/v1/quotes", json=body, headers=op)
                return r.status_code, r.json(), time.perf_counter() - t0

        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=16) as pool:
            answers = list(pool.map(ask, bodies))
        wall = time.perf_counter() - started
        assert all(code in (200, 201) for code, _, _ in answers), answers
        held = {a["id"] for code, a, _ in answers if code == 201}
        assert len(held) == sum(1 for _, a, _ in answers if a["feasible"])
        assert 2 <= len(held) < requests  # the fleet fills up; the rest are told no
        plan = http.get("/api/v1/plan", headers=staff.headers("dispatcher")).json()
        check_plan_against_bookings(plan, held, {"car-1": 2, "car-2": 1})
        rows = http.get("/api/v1/bookings", headers=staff.headers("dispatcher")).json()
        assert {b["id"] for b in rows} == held and all(b["status"] == "held" for b in rows)
        workers_seen = {  # a new connection each time: any worker may take it
            httpx.get(server.url + "/api/v1/health").json()["worker"] for _ in range(30)
        }
        assert len(workers_seen) >= 2, "several processes serve the same day"
        latencies = sorted(t for _, _, t in answers)
        print(
            f"\n{backend}: {requests} parallel quotes, {workers} workers: {wall:.2f} s wall, "
            f"p50 {statistics.median(latencies) * 1000:.0f} ms, "
            f"p95 {latencies[int(0.95 * len(latencies)) - 1] * 1000:.0f} ms, {len(held)} held"
        )

        # the same retry sent 12 times at once books once, and every answer is the first
        retry = quote_body(town, "sato", to="station", depart_at="2025-06-02T14:00:00+09:00")
        key = staff.headers("operator", **{"Idempotency-Key": "phone-retry-1"})

        def resend(_: int) -> tuple[int, dict]:
            with server.client() as c:
                r = c.post("/api/v1/quotes", json=retry, headers=key)
                return r.status_code, r.json()

        with ThreadPoolExecutor(max_workers=12) as pool:
            copies = list(pool.map(resend, range(12)))
        assert {code for code, _ in copies} == {201}
        assert len({a["id"] for _, a in copies}) == 1
        assert all(a == copies[0][1] for _, a in copies)
        rows = http.get("/api/v1/bookings", headers=staff.headers("dispatcher")).json()
        assert len(rows) == len(held) + 1

        # confirms racing with cancels of the same bookings: each ends one way, never both
        targets = sorted(held)[:4]

        def confirm(bid: str) -> int:
            with server.client() as c:
                return c.post(f"/api/v1/quotes/{bid}/confirm", headers=op).status_code

        def cancel(bid: str) -> int:
            with server.client() as c:
                return c.post(f"/api/v1/bookings/{bid}/cancel", headers=op).status_code

        with ThreadPoolExecutor(max_workers=8) as pool:
            futures = [pool.submit(f, b) for b in targets for f in (confirm, cancel)]
            codes = [f.result() for f in futures]
        assert all(c in (200, 409) for c in codes), codes
        final = {b["id"]: b["status"] for b in http.get("/api/v1/bookings", headers=op).json()}
        assert all(final[b] in ("confirmed", "cancelled") for b in targets)
    assert "Traceback" not in (tmp_path / "server.log").read_text()
