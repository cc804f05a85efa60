"""Service days in the database: two app instances on one database (two worker processes)
see each other's changes, the cache is only trusted for the version it was made from,
and a vehicle keeps to its plan between drivers' reports."""

from __future__ import annotations

import pytest

from api.main import create_app
from tests.api.conftest import TestClient, quote_body, seed_town


@pytest.fixture
def second(settings, town_graph, clock):
    """Another worker: its own process state, the same database."""
    with TestClient(create_app(settings, graph=town_graph, clock=clock)) as c:
        yield c


def test_a_second_worker_sees_the_first_workers_bookings(client, second, staff):
    town = seed_town(client, staff, vehicles=(("car-1", 1, 0),))
    op = staff.headers("operator")
    held = []
    for i in range(20):  # alternate workers until the car is full
        c = (client, second)[i % 2]
        r = c.post(
            "/api/v1/quotes",
            json=quote_body(town, ("yamada", "sato")[i % 2], to="station"),
            headers=op,
        )
        if not r.json()["feasible"]:
            break
        held.append(r.json()["id"])
    assert len(held) >= 2
    plans = [
        c.get("/api/v1/plan", headers=staff.headers("dispatcher")).json() for c in (client, second)
    ]
    assert plans[0] == plans[1]
    planned = [s["booking_id"] for s in plans[0]["routes"][0]["stops"] if s["kind"] == "pickup"]
    assert sorted(planned) == sorted(held)  # none lost to a stale cache
    # confirm on one worker, cancel on the other: each sees the other's change
    assert second.post(f"/api/v1/quotes/{held[0]}/confirm", headers=op).status_code == 200
    assert client.post(f"/api/v1/quotes/{held[0]}/confirm", headers=op).status_code == 409
    assert client.post(f"/api/v1/bookings/{held[0]}/cancel", headers=op).status_code == 200
    assert second.get(f"/api/v1/bookings/{held[0]}", headers=op).json()["status"] == "cancelled"


def test_a_car_on_its_way_keeps_to_the_plan(client, staff, clock):
    town = seed_town(client, staff, vehicles=(("car-1", 3, 0),))
    op = staff.headers("operator")
    q = client.post("/api/v1/quotes", json=quote_body(town), headers=op).json()
    client.post(f"/api/v1/quotes/{q['id']}/confirm", headers=op)
    before = client.get("/api/v1/plan", headers=staff.headers("dispatcher")).json()
    pickup = next(s for s in before["routes"][0]["stops"] if s["kind"] == "pickup")
    clock.set(8, 49)  # after the planned departure, no report from the driver
    after = client.get("/api/v1/plan", headers=staff.headers("dispatcher")).json()
    again = next(s for s in after["routes"][0]["stops"] if s["kind"] == "pickup")
    assert again["service_start"] == pickup["service_start"] and again["late_s"] == 0
    audit = client.get("/api/v1/audit", headers=staff.headers("dispatcher")).json()
    assert not any(
        "left for its next stop" in a["message_en"] for a in audit
    )  # reading wrote nothing
    client.post(
        "/api/v1/vehicles/car-1/events",
        json={"type": "delayed", "delay_min": 1},
        headers=staff.headers("dispatcher"),
    )
    audit = client.get("/api/v1/audit", headers=staff.headers("dispatcher")).json()
    departed = [a for a in audit if "left for its next stop" in a["message_en"]]
    assert (
        len(departed) == 1 and departed[0]["actor"] is None
    )  # the clock's doing, not the caller's
