"""Dispatcher overrides: pin, move, lock, unlock; refused ones are 409 with the violations."""

from __future__ import annotations

import pytest

from tests.api.conftest import quote_body

OV = "/api/v1/overrides"


def booked(client, staff, town, rider="yamada") -> tuple[str, str]:
    op = staff.headers("operator")
    q = client.post("/api/v1/quotes", json=quote_body(town, rider), headers=op).json()
    client.post(f"/api/v1/quotes/{q['id']}/confirm", headers=op)
    return q["id"], q["vehicle_id"]


def vehicle_of(client, staff, bid):
    plan = client.get("/api/v1/plan", headers=staff.headers("dispatcher")).json()
    return next(
        r["vehicle_id"] for r in plan["routes"] if any(s["booking_id"] == bid for s in r["stops"])
    )


def test_pin_moves_a_booking_to_another_vehicle(client, staff, town):
    bid, vid = booked(client, staff, town)
    other = next(v for v in town.vehicles if v != vid)
    r = client.post(
        f"{OV}/pin",
        json={"booking_id": bid, "vehicle_id": other},
        headers=staff.headers("dispatcher"),
    )
    assert r.status_code == 200, r.text
    assert r.json()["applied"] is True
    assert vehicle_of(client, staff, bid) == other
    audit = client.get("/api/v1/audit", headers=staff.headers("dispatcher")).json()
    assert audit[0]["event"] == "override_pin" and audit[0]["message_ja"].startswith("手動変更")


def test_move_that_breaks_a_rule_is_refused_and_recorded(client, staff, town):
    bid, vid = booked(client, staff, town, "suzuki")  # a wheelchair: only the van takes it
    assert vid == "van-1"
    r = client.post(
        f"{OV}/move",
        json={"booking_id": bid, "vehicle_id": "car-1"},
        headers=staff.headers("dispatcher"),
    )
    assert r.status_code == 409, r.text
    p = r.json()
    assert p["code"] == "override_refused" and p["violations"]
    assert vehicle_of(client, staff, bid) == "van-1"
    audit = client.get("/api/v1/audit", headers=staff.headers("dispatcher")).json()
    assert audit[0]["event"] == "override_refused"


def test_lock_and_unlock_a_route(client, staff, town):
    _, vid = booked(client, staff, town)
    r = client.post(f"{OV}/lock", json={"vehicle_id": vid}, headers=staff.headers("dispatcher"))
    assert r.status_code == 200 and r.json()["applied"]
    plan = client.get("/api/v1/plan", headers=staff.headers("dispatcher")).json()
    assert next(r for r in plan["routes"] if r["vehicle_id"] == vid)["locked"] is True
    r = client.post(f"{OV}/unlock", json={"vehicle_id": vid}, headers=staff.headers("dispatcher"))
    assert r.status_code == 200
    plan = client.get("/api/v1/plan", headers=staff.headers("dispatcher")).json()
    assert next(r for r in plan["routes"] if r["vehicle_id"] == vid)["locked"] is False


@pytest.mark.sqlite_only
def test_unknown_vehicle_or_booking(client, staff, town):
    bid, _ = booked(client, staff, town)
    r = client.post(
        f"{OV}/pin",
        json={"booking_id": bid, "vehicle_id": "ghost"},
        headers=staff.headers("dispatcher"),
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "vehicle_id"
    r = client.post(
        f"{OV}/pin",
        json={"booking_id": "nope", "vehicle_id": "car-1"},
        headers=staff.headers("dispatcher"),
    )
    assert r.status_code == 404
    r = client.post(f"{OV}/lock", json={"vehicle_id": "ghost"}, headers=staff.headers("dispatcher"))
    assert r.status_code == 422
