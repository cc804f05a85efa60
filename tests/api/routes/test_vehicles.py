"""The driver's tablet: own manifest, arrived / picked up / dropped off / no-show, position."""

from __future__ import annotations

import pytest

from tests.api.conftest import OFF_NETWORK, iso, quote_body, seed_town

V = "/api/v1/vehicles"


@pytest.fixture
def one_car(client, staff):
    return seed_town(client, staff, vehicles=(("car-1", 3, 0),))


def book(client, staff, town, rider="yamada", **kw) -> str:
    op = staff.headers("operator")
    q = client.post("/api/v1/quotes", json=quote_body(town, rider, **kw), headers=op).json()
    assert client.post(f"/api/v1/quotes/{q['id']}/confirm", headers=op).status_code == 200
    return q["id"]


def event(client, staff, payload, vehicle="car-1", role="driver"):
    return client.post(f"{V}/{vehicle}/events", json=payload, headers=staff.headers(role))


@pytest.mark.sqlite_only
def test_driver_sees_only_their_vehicle(client, staff, town):
    mine = client.get(V, headers=staff.headers("driver")).json()
    assert [v["id"] for v in mine] == ["car-1"]
    assert client.get(f"{V}/van-1/manifest", headers=staff.headers("driver")).status_code == 403
    assert client.get(f"{V}/van-1", headers=staff.headers("driver")).status_code == 403
    assert (
        event(client, staff, {"type": "delayed", "delay_min": 5}, vehicle="van-1").status_code
        == 403
    )
    assert (
        client.post(
            f"{V}/van-1/position",
            json={"lon": 139.41, "lat": 35.70},
            headers=staff.headers("driver"),
        ).status_code
        == 403
    )
    assert client.get(f"{V}/van-1/manifest", headers=staff.headers("dispatcher")).status_code == 200


def test_a_ride_from_arrival_to_dropoff(client, staff, one_car, clock):
    bid = book(client, staff, one_car)
    clock.set(8, 50)
    m = client.get(f"{V}/car-1/manifest", headers=staff.headers("driver")).json()
    assert [(s["kind"], s["booking_id"], s["status"]) for s in m["stops"]] == [
        ("pickup", bid, "planned"),
        ("dropoff", bid, "planned"),
    ]
    pickup = m["stops"][0]
    assert pickup["rider_name"] == "山田 花子" and pickup["party_size"] == 1
    assert (
        pickup["place"]["name"] == "自宅" and pickup["promise"]["start"] <= pickup["service_start"]
    )
    # dropping off first is not the next stop
    r = event(client, staff, {"type": "dropped_off", "booking_id": bid})
    assert r.status_code == 409 and r.json()["code"] == "not_next_stop"
    r = event(client, staff, {"type": "arrived", "booking_id": bid, "stop_kind": "pickup"})
    assert r.status_code == 200, r.text
    m = client.get(f"{V}/car-1/manifest", headers=staff.headers("driver")).json()
    assert m["stops"][0]["status"] == "arrived"
    assert m["position"] == {"lon": pickup["place"]["lon"], "lat": pickup["place"]["lat"]}
    assert event(client, staff, {"type": "picked_up", "booking_id": bid}).status_code == 200
    b = client.get(f"/api/v1/bookings/{bid}", headers=staff.headers("operator")).json()
    assert b["status"] == "picked_up"
    clock.set(9, 5)
    assert event(client, staff, {"type": "dropped_off", "booking_id": bid}).status_code == 200
    m = client.get(f"{V}/car-1/manifest", headers=staff.headers("driver")).json()
    assert [s["status"] for s in m["stops"]] == ["done", "done"]
    assert (
        client.get(f"/api/v1/bookings/{bid}", headers=staff.headers("operator")).json()["status"]
        == "done"
    )
    audit = client.get(
        "/api/v1/audit", params={"booking_id": bid}, headers=staff.headers("dispatcher")
    ).json()
    events = [a["event"] for a in reversed(audit)]
    assert events[:2] == ["quote_held", "confirmed"] and events[-2:] == ["picked_up", "dropped_off"]
    assert audit[0]["actor"] == "driver-san" and audit[0]["message_ja"].startswith("降車")


def test_no_show_frees_the_rest_of_the_route(client, staff, one_car, clock):
    bid = book(client, staff, one_car)
    clock.set(8, 55)
    r = event(client, staff, {"type": "no_show", "booking_id": bid})
    assert r.status_code == 200, r.text
    assert bid in r.json()["changed"]
    m = client.get(f"{V}/car-1/manifest", headers=staff.headers("driver")).json()
    assert [(s["kind"], s["status"]) for s in m["stops"]] == [("pickup", "no_show")]
    assert (
        client.get(f"/api/v1/bookings/{bid}", headers=staff.headers("operator")).json()["status"]
        == "no_show"
    )


def test_delay_and_position_reports(client, staff, one_car, clock):
    book(client, staff, one_car)
    clock.set(8, 30)
    r = event(client, staff, {"type": "delayed"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "delay_min"
    r = event(client, staff, {"type": "delayed", "delay_min": 10})
    assert r.status_code == 200 and r.json()["event"] == "delayed"
    r = client.post(
        f"{V}/car-1/position",
        json={"lon": 139.4137, "lat": 35.6980},
        headers=staff.headers("driver"),
    )
    assert r.status_code == 200, r.text
    plan = client.get("/api/v1/plan", headers=staff.headers("dispatcher")).json()
    pos = plan["routes"][0]["position"]
    assert abs(pos["lon"] - 139.4137) < 0.003 and abs(pos["lat"] - 35.6980) < 0.003
    r = client.post(
        f"{V}/car-1/position",
        json={"lon": OFF_NETWORK[0], "lat": OFF_NETWORK[1]},
        headers=staff.headers("driver"),
    )
    assert r.status_code == 422 and r.json()["code"] == "off_road_network"
    # a second report next to the first reuses its location (the matrix stays small)
    before = client.get("/api/v1/plan", headers=staff.headers("dispatcher")).json()["version"]
    client.post(
        f"{V}/car-1/position",
        json={"lon": 139.41372, "lat": 35.69801},
        headers=staff.headers("driver"),
    )
    audit = client.get("/api/v1/audit", headers=staff.headers("dispatcher")).json()
    grows = [a for a in audit if a["event"] == "matrix_extended"]
    assert len(grows) == 3  # home, hospital, first position; not the second
    assert (
        client.get("/api/v1/plan", headers=staff.headers("dispatcher")).json()["version"] > before
    )


def test_breakdown_moves_bookings_to_another_vehicle(client, staff, town, clock):
    bid = book(client, staff, town)
    clock.set(8, 10)
    plan = client.get("/api/v1/plan", headers=staff.headers("dispatcher")).json()
    vid = next(
        r["vehicle_id"] for r in plan["routes"] if any(s["booking_id"] == bid for s in r["stops"])
    )
    r = event(client, staff, {"type": "breakdown"}, vehicle=vid, role="dispatcher")
    assert r.status_code == 200, r.text
    plan = client.get("/api/v1/plan", headers=staff.headers("dispatcher")).json()
    routes = {r["vehicle_id"]: r for r in plan["routes"]}
    assert routes[vid]["in_service"] is False
    other = next(v for v in routes if v != vid)
    assert any(s["booking_id"] == bid for s in routes[other]["stops"])


def test_events_for_a_vehicle_without_a_shift_today(client, staff, town):
    client.post(
        V,
        json={"id": "spare", "name": "予備車", "seats": 3, "depot_place_id": town.places["depot"]},
        headers=staff.headers("admin"),
    )
    client.post("/api/v1/quotes", json=quote_body(town), headers=staff.headers("operator"))
    r = event(
        client, staff, {"type": "delayed", "delay_min": 5}, vehicle="spare", role="dispatcher"
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "vehicle_id"
    m = client.get(f"{V}/spare/manifest", headers=staff.headers("dispatcher")).json()
    assert m["stops"] == [] and m["in_service"] is False
    assert client.get(f"{V}/ghost/manifest", headers=staff.headers("dispatcher")).status_code == 404


def test_a_vehicle_needs_a_known_depot(client, staff, town):
    r = client.post(
        V,
        json={"id": "x1", "name": "x", "seats": 3, "depot_place_id": 999},
        headers=staff.headers("admin"),
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "depot_place_id"
    r = client.post(
        V,
        json={"id": "car-1", "name": "x", "seats": 3, "depot_place_id": town.places["depot"]},
        headers=staff.headers("admin"),
    )
    assert r.status_code == 409
    r = client.post(
        V,
        json={"id": "bad id!", "name": "x", "seats": 3, "depot_place_id": 1},
        headers=staff.headers("admin"),
    )
    assert r.status_code == 422
    assert iso(9)
