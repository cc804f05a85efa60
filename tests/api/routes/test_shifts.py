"""Shifts and vehicles: a day's fleet is fixed once it takes bookings."""

from __future__ import annotations

import pytest

from tests.api.conftest import iso, quote_body, seed_town

S = "/api/v1/shifts"


def test_shifts_of_the_day_with_breaks(client, staff, town):
    admin = staff.headers("admin")
    r = client.post(
        "/api/v1/vehicles",
        json={"id": "car-2", "name": "3号車", "seats": 3, "depot_place_id": town.places["depot"]},
        headers=admin,
    )
    assert r.status_code == 201
    body = {
        "vehicle_id": "car-2",
        "start_at": iso(9),
        "end_at": iso(15),
        "breaks": [{"earliest": iso(11, 30), "latest": iso(12, 30), "minutes": 45}],
    }
    r = client.post(S, json=body, headers=admin)
    assert r.status_code == 201, r.text
    assert r.json()["breaks"] == [
        {"id": "break1", "earliest": iso(11, 30), "latest": iso(12, 30), "minutes": 45}
    ]
    listed = client.get(S, params={"service_date": "2025-06-02"}, headers=staff.headers("planner"))
    assert [s["vehicle_id"] for s in listed.json()] == ["car-1", "car-2", "van-1"]
    assert client.post(S, json=body, headers=admin).status_code == 409


def test_the_manifest_shows_a_break_taken_after_the_last_stop(client, staff):
    """One car, a ride at 09:00 and a 45-minute break to start from 14:00: the plan's
    route ends with the drop-off, and the driver's run sheet still lists the break,
    after it, from 14:00 (taken back at the depot, off the clock)."""
    town = seed_town(client, staff, vehicles=())
    admin = staff.headers("admin")
    car = {"id": "car-2", "name": "3号車", "seats": 3, "depot_place_id": town.places["depot"]}
    assert client.post("/api/v1/vehicles", json=car, headers=admin).status_code == 201
    body = {
        "vehicle_id": "car-2",
        "start_at": iso(8),
        "end_at": iso(17),
        "breaks": [{"earliest": iso(14), "latest": iso(14, 50), "minutes": 45}],
    }
    assert client.post(S, json=body, headers=admin).status_code == 201
    r = client.post("/api/v1/quotes", json=quote_body(town), headers=staff.headers("operator"))
    assert r.status_code == 201 and r.json()["feasible"], r.text
    m = client.get("/api/v1/vehicles/car-2/manifest", headers=staff.headers("dispatcher"))
    m = m.json()
    assert [s["kind"] for s in m["stops"]] == ["pickup", "dropoff", "break"]
    brk = m["stops"][-1]
    assert brk["booking_id"] is None and brk["status"] == "planned"
    assert brk["service_start"] == iso(14) and brk["departure"] == iso(14, 45)
    assert [s["seq"] for s in m["stops"]] == [1, 2, 3]
    plan = client.get("/api/v1/plan", headers=staff.headers("planner")).json()
    assert [s["kind"] for s in plan["routes"][0]["stops"]] == ["pickup", "dropoff", "break"]


@pytest.mark.sqlite_only
def test_bad_shifts_are_422(client, staff, town):
    admin = staff.headers("admin")
    r = client.post(
        S,
        json={"vehicle_id": "car-1", "start_at": iso(15), "end_at": iso(9, days=1)},
        headers=admin,
    )
    assert r.status_code in (201, 409, 422)
    r = client.post(
        S, json={"vehicle_id": "car-1", "start_at": iso(15), "end_at": iso(9)}, headers=admin
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "end_at"
    r = client.post(
        S, json={"vehicle_id": "ghost", "start_at": iso(9), "end_at": iso(15)}, headers=admin
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "vehicle_id"
    r = client.post(
        S,
        json={
            "vehicle_id": "car-1",
            "start_at": iso(9, days=2),
            "end_at": iso(15, days=2),
            "breaks": [{"earliest": iso(14, days=2), "latest": iso(14, 50, days=2), "minutes": 30}],
        },
        headers=admin,
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "breaks.0"


def test_a_started_day_keeps_its_fleet(client, staff, town):
    assert (
        client.post(
            "/api/v1/quotes", json=quote_body(town), headers=staff.headers("operator")
        ).status_code
        == 201
    )
    [first, *_] = client.get(S, headers=staff.headers("dispatcher")).json()
    r = client.delete(f"{S}/{first['id']}", headers=staff.headers("dispatcher"))
    assert r.status_code == 409 and r.json()["code"] == "day_started"
    r = client.post(
        "/api/v1/vehicles",
        json={"id": "late-car", "name": "x", "seats": 3, "depot_place_id": town.places["depot"]},
        headers=staff.headers("admin"),
    )
    r = client.post(
        S,
        json={"vehicle_id": "late-car", "start_at": iso(12), "end_at": iso(15)},
        headers=staff.headers("admin"),
    )
    assert r.status_code == 409
    # another day is still open
    r = client.post(
        S,
        json={"vehicle_id": "late-car", "start_at": iso(9, days=1), "end_at": iso(15, days=1)},
        headers=staff.headers("admin"),
    )
    assert r.status_code == 201
