"""Drone legs (ドローン便) in the service: the fleet (bases, drones) and its 422s, shop
orders to a hall's pad that fly or go by van with the reason, the dispatcher's switch
(運航停止) that moves flights to vans or breaks promises, the day's flights.

The test town's supermarket is the drone base; 東公民館 has a pad ~1.9 km from it as
the drone flies (a 3.8 km round trip), ~600 m by road from 山田's home.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import select

from api.db.engine import make_engine
from api.db.models import AuditRecord
from tests.api.conftest import Town, iso, seed_town
from tests.api.routes.test_halls import add_hall

D = "/api/v1/deliveries"
DRONE = {
    "id": "yuai-1",
    "name": "ゆうあい1号",
    "payload_kg": 5.0,
    "range_km": 10.0,
    "cruise_kmh": 36,
    "turnaround_min": 10,
    "flying_hours": "08:00-17:00",
}


def add_base(
    client, staff, town: Town, place: str = "supermarket", name: str = "ゆうあい拠点"
) -> int:
    r = client.post(
        "/api/v1/drone-bases",
        json={"name": name, "place_id": town.places[place]},
        headers=staff.headers("admin"),
    )
    assert r.status_code == 201, r.text
    return r.json()["id"]


def add_drone(client, staff, base: int, **kw: Any) -> dict:
    r = client.post(
        "/api/v1/drones", json={**DRONE, "base_id": base, **kw}, headers=staff.headers("admin")
    )
    assert r.status_code == 201, r.text
    return r.json()


def pad_hall(client, staff) -> int:
    return add_hall(client, staff, drone_pad=True, reach_m=10_000)


def order(client, staff, town: Town, hall: int, rider: str = "yamada", **kw: Any):
    body = {
        "shop_place_id": town.places["supermarket"],
        "rider_id": town.riders[rider],
        "hall_place_id": hall,
        **kw,
    }
    return client.post(D, json=body, headers=staff.headers("operator"))


def booking(client, staff, bid: str) -> dict:
    r = client.get(f"/api/v1/bookings/{bid}", headers=staff.headers("operator"))
    assert r.status_code == 200, r.text
    return r.json()


def ground(client, staff, **kw: Any):
    body = {"start": iso(8), "end": iso(12), "cause": "weather", "note": "強風", **kw}
    return client.post("/api/v1/drones/grounded", json=body, headers=staff.headers("dispatcher"))


@pytest.fixture
def fleet(client, staff, town) -> dict:
    """東公民館 with a pad, a base at the supermarket and one drone there."""
    hall = pad_hall(client, staff)
    base = add_base(client, staff, town)
    drone = add_drone(client, staff, base)
    return {"hall": hall, "base": base, "drone": drone}


# -- the fleet ----------------------------------------------------------------------------


def test_bases_and_drones_are_kept_changed_and_retired(client, staff, town, database_url):
    admin, planner = staff.headers("admin"), staff.headers("planner")
    base = add_base(client, staff, town)
    got = client.get(f"/api/v1/drone-bases/{base}", headers=planner).json()
    assert got["place_id"] == town.places["supermarket"] and got["place_name"] == "スーパー"
    assert got["active"] and (got["lon"], got["lat"]) == (139.4030, 35.7010)
    drone = add_drone(client, staff, base)
    assert drone == {**DRONE, "base_id": base, "base_name": "ゆうあい拠点", "active": True}
    assert client.get("/api/v1/drones", headers=planner).json() == [drone]
    r = client.patch(
        "/api/v1/drones/yuai-1",
        json={"payload_kg": 3.5, "flying_hours": "09:00-16:30", "active": False},
        headers=admin,
    )
    assert r.status_code == 200, r.text
    assert (r.json()["payload_kg"], r.json()["flying_hours"]) == (3.5, "09:00-16:30")
    assert not r.json()["active"] and r.json()["range_km"] == 10.0  # the rest is kept
    depot = add_base(client, staff, town, "depot", "車庫拠点")
    r = client.patch("/api/v1/drones/yuai-1", json={"base_id": depot}, headers=admin)
    assert r.status_code == 200 and r.json()["base_name"] == "車庫拠点"
    r = client.patch(f"/api/v1/drone-bases/{base}", json={"active": False}, headers=admin)
    assert r.status_code == 200 and not r.json()["active"]
    assert client.delete(f"/api/v1/drone-bases/{base}", headers=admin).status_code == 204
    r = client.delete(f"/api/v1/drone-bases/{depot}", headers=admin)
    assert r.status_code == 409 and r.json()["code"] == "base_in_use"
    assert client.delete("/api/v1/drones/yuai-1", headers=admin).status_code == 204
    assert client.get("/api/v1/drones/yuai-1", headers=planner).status_code == 404
    assert client.delete(f"/api/v1/drone-bases/{depot}", headers=admin).status_code == 204
    engine = make_engine(database_url)
    with engine.connect() as conn:
        rows = conn.execute(select(AuditRecord.event, AuditRecord.actor_name)).all()
    engine.dispose()
    assert {
        ("drone_base_added", "admin-san"),
        ("drone_added", "admin-san"),
        ("drone_changed", "admin-san"),
        ("drone_removed", "admin-san"),
        ("drone_base_removed", "admin-san"),
    } <= set(rows)


def test_a_drone_or_vehicle_id_taken_is_409(client, staff, town):
    base = add_base(client, staff, town)
    add_drone(client, staff, base)
    r = client.post(
        "/api/v1/drones", json={**DRONE, "base_id": base}, headers=staff.headers("admin")
    )
    assert r.status_code == 409 and r.json()["code"] == "drone_exists"
    # drones and vehicles never share an id (a booking's vehicle_id names either)
    r = client.post(
        "/api/v1/drones",
        json={**DRONE, "id": "car-1", "base_id": base},
        headers=staff.headers("admin"),
    )
    assert r.status_code == 409 and r.json()["code"] == "id_taken"
    r = client.post(
        "/api/v1/vehicles",
        json={"id": "yuai-1", "name": "x", "seats": 3, "depot_place_id": town.places["depot"]},
        headers=staff.headers("admin"),
    )
    assert r.status_code == 409 and r.json()["code"] == "id_taken"


@pytest.mark.sqlite_only
@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"range_km": 0}, "range_km"),
        ({"range_km": -3}, "range_km"),
        ({"payload_kg": 0}, "payload_kg"),
        ({"cruise_kmh": 0}, "cruise_kmh"),
        ({"turnaround_min": -1}, "turnaround_min"),
        ({"flying_hours": "17:00-09:00"}, "flying_hours"),
        ({"flying_hours": "9 to 5"}, "flying_hours"),
        ({"base_id": 999}, "base_id"),
        ({"id": "grounded"}, "id"),
        ({"id": "ゆうあい"}, "id"),
        ({"wings": 4}, "wings"),
    ],
)
def test_bad_drones_are_422_naming_the_field(client, staff, town, change, field):
    base = add_base(client, staff, town)
    r = client.post(
        "/api/v1/drones", json={**DRONE, "base_id": base, **change}, headers=staff.headers("admin")
    )
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert [e["field"] for e in r.json()["errors"]] == [field]
    assert r.json()["errors"][0]["message_ja"]
    assert client.get("/api/v1/drones", headers=staff.headers("admin")).json() == []


@pytest.mark.sqlite_only
@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"range_km": 0}, "range_km"),
        ({"flying_hours": "12:00-11:00"}, "flying_hours"),
        ({"base_id": 999}, "base_id"),
        ({"name": None}, "name"),
        ({"active": None}, "active"),
    ],
)
def test_bad_drone_changes_are_422_and_change_nothing(client, staff, town, change, field):
    base = add_base(client, staff, town)
    before = add_drone(client, staff, base)
    r = client.patch("/api/v1/drones/yuai-1", json=change, headers=staff.headers("admin"))
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["field"] == field
    assert client.get("/api/v1/drones/yuai-1", headers=staff.headers("admin")).json() == before


@pytest.mark.sqlite_only
@pytest.mark.parametrize("place", ["home", "hospital", "hall", 999])
def test_a_base_only_sits_at_a_shop_or_depot(client, staff, town, place):
    ids = {"home": town.homes["yamada"], "hospital": town.places["hospital"], "hall": None}
    if place == "hall":
        ids["hall"] = add_hall(client, staff)
    place_id = ids.get(place, place)
    r = client.post(
        "/api/v1/drone-bases",
        json={"name": "拠点", "place_id": place_id},
        headers=staff.headers("dispatcher"),
    )
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["field"] == "place_id"
    assert r.json()["code"] == "unknown_base_place"
    base = add_base(client, staff, town)
    r = client.patch(
        f"/api/v1/drone-bases/{base}", json={"place_id": place_id}, headers=staff.headers("admin")
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "place_id"


# -- orders that fly, or go by van --------------------------------------------------------


def test_an_order_to_a_pad_flies_with_its_drone_named(client, staff, town, fleet):
    r = order(client, staff, town, fleet["hall"], weight_kg=2.0)
    assert r.status_code == 201, r.text
    q = r.json()
    assert q["feasible"] and q["hand_over"] == "hall"
    assert q["drone"] == {"id": "yuai-1", "name": "ゆうあい1号"}
    assert q["vehicle_id"] == "yuai-1" and q["vehicle_name"] == "ゆうあい1号"
    assert q["message_ja"].endswith("（ドローン便）"), q["message_ja"]
    assert (
        q["carrier_ja"] == "ドローン便（ゆうあい1号）"
        and q["carrier_en"] == "by drone (ゆうあい1号)"
    )
    assert q["van_reason"] is None
    slot = q["promise"]
    assert slot["start"] <= q["expected_arrival"] <= slot["end"]  # lands in its slot
    assert q["expected_pickup"] < q["expected_arrival"]  # take-off, then the hall
    b = booking(client, staff, q["id"])
    assert b["drone"] == q["drone"] and b["vehicle_id"] == "yuai-1"
    assert b["carrier_ja"] == "ドローン便（ゆうあい1号）" and b["van_reason"] is None
    assert b["expected_arrival"] == q["expected_arrival"]
    # the flight is on no van's route
    plan = client.get("/api/v1/plan", headers=staff.headers("dispatcher")).json()
    assert q["id"] not in {s["booking_id"] for r in plan["routes"] for s in r["stops"]}


def test_an_overweight_order_goes_by_van_and_says_why(client, staff, town, fleet):
    r = order(client, staff, town, fleet["hall"], weight_kg=7.5)
    assert r.status_code == 201, r.text
    q = r.json()
    assert q["drone"] is None and q["vehicle_id"] in town.vehicles
    assert q["van_reason"]["code"] == "overweight"
    assert q["van_reason"]["message_ja"] == "荷物がドローンの積載量を超えています"
    assert (
        q["carrier_ja"] == "車両便（ドローンで運べない理由: 荷物がドローンの積載量を超えています）"
    )
    assert q["carrier_en"].startswith("by van: the parcel is heavier")
    assert not q["message_ja"].endswith("（ドローン便）")
    b = booking(client, staff, q["id"])
    assert b["drone"] is None and b["van_reason"] == q["van_reason"]
    assert b["vehicle_id"] == q["vehicle_id"]
    assert client.get("/api/v1/flights", headers=staff.headers("dispatcher")).json() == []


def test_an_order_to_a_hall_without_a_pad_says_nothing_of_drones(client, staff, town):
    add_base(client, staff, town)
    hall = add_hall(client, staff, reach_m=10_000)
    q = order(client, staff, town, hall, weight_kg=1.0).json()
    assert q["feasible"] and q["drone"] is None and q["van_reason"] is None
    assert q["carrier_ja"] is None


def test_the_days_flights_are_listed_with_their_times(client, staff, clock, town, fleet):
    first = order(client, staff, town, fleet["hall"], weight_kg=1.0).json()
    second = order(client, staff, town, fleet["hall"], "sato", weight_kg=1.0).json()
    assert first["drone"] and second["drone"], (first, second)
    r = client.get("/api/v1/flights", headers=staff.headers("planner"))
    assert r.status_code == 200, r.text
    flights = r.json()
    assert [f["booking_id"] for f in flights] == [first["id"], second["id"]]
    f = flights[0]
    assert f["drone"] == {"id": "yuai-1", "name": "ゆうあい1号"}
    assert f["hall"] == {"place_id": fleet["hall"], "name": "東公民館"}
    assert f["status"] == "planned" and f["booking_status"] == "confirmed"
    times = [datetime.fromisoformat(f[k]) for k in ("takeoff", "at_hall", "leaves_hall", "back")]
    assert times == sorted(times) and all(t.utcoffset().total_seconds() == 9 * 3600 for t in times)
    assert f["takeoff"].endswith("+09:00")
    assert f["at_hall"] == first["expected_arrival"] and f["takeoff"] == first["expected_pickup"]
    assert 3600 < f["distance_m"] < 4200  # ~1.9 km each way
    # one drone: the second take-off waits for the first landing and the turnaround
    assert datetime.fromisoformat(flights[1]["takeoff"]) >= times[3]
    clock.now = times[0]  # 離陸
    assert (
        client.get("/api/v1/flights", headers=staff.headers("dispatcher")).json()[0]["status"]
        == "in_the_air"
    )
    clock.now = times[3]
    now = client.get("/api/v1/flights", headers=staff.headers("dispatcher")).json()
    assert now[0]["status"] == "landed" and now[0]["booking_status"] == "done"
    assert now[1]["status"] == "planned"
    other_day = client.get(
        "/api/v1/flights", params={"service_date": "2025-06-03"}, headers=staff.headers("admin")
    )
    assert other_day.status_code == 200 and other_day.json() == []


def test_a_retired_drone_sends_its_pending_orders_by_van(client, staff, town, fleet):
    q = order(client, staff, town, fleet["hall"], weight_kg=1.0).json()
    assert q["drone"] is not None
    r = client.patch(
        "/api/v1/drones/yuai-1", json={"active": False}, headers=staff.headers("admin")
    )
    assert r.status_code == 200
    # the day takes the change at its next order: the flight goes, a van takes it
    later = order(client, staff, town, fleet["hall"], "sato", weight_kg=1.0).json()
    assert later["feasible"] and later["drone"] is None and later["van_reason"] is None
    b = booking(client, staff, q["id"])
    assert b["drone"] is None and b["van_reason"]["code"] == "no_drone_at_base"
    assert b["vehicle_id"] in town.vehicles and b["promise"] == q["promise"]
    assert client.get("/api/v1/flights", headers=staff.headers("planner")).json() == []
    audit = client.get("/api/v1/audit", headers=staff.headers("dispatcher")).json()
    changed = [a for a in audit if a["event"] == "drones_changed"]
    assert changed[0]["message_ja"] == "ドローンの変更"
    assert "1 order(s) moved to vans" in changed[0]["message_en"]


# -- the dispatcher's switch -------------------------------------------------------------


def test_grounding_moves_a_flight_to_a_van_and_says_so(client, staff, town, fleet):
    q = order(client, staff, town, fleet["hall"], weight_kg=1.0).json()
    assert q["drone"] is not None
    r = ground(client, staff, end=iso(17, 30))  # past the hall's last slot
    assert r.status_code == 201, r.text
    out = r.json()
    g = out["grounded"]
    assert (g["start"], g["end"]) == (iso(8), iso(17, 30))
    assert g["drone_ids"] is None and g["cause"] == "weather" and g["note"] == "強風"
    assert g["cause_ja"] == "天候（強風）" and not g["in_force"]  # 07:30 now
    (moved,) = out["moved_to_vans"]
    assert moved["booking_id"] == q["id"] and moved["vehicle_id"] in town.vehicles
    assert moved["reason"]["code"] == "grounded"
    assert out["broken"] == []
    b = booking(client, staff, q["id"])
    assert b["drone"] is None and b["vehicle_id"] == moved["vehicle_id"]
    assert b["van_reason"]["code"] == "grounded" and b["promise"] == q["promise"]
    assert b["carrier_ja"].startswith("車両便（ドローンで運べない理由: 運航停止中")
    plan = client.get("/api/v1/plan", headers=staff.headers("dispatcher")).json()
    assert q["id"] in {s["booking_id"] for r in plan["routes"] for s in r["stops"]}
    assert client.get("/api/v1/flights", headers=staff.headers("dispatcher")).json() == []
    audit = client.get("/api/v1/audit", headers=staff.headers("dispatcher")).json()
    (entry,) = [a for a in audit if a["event"] == "drones_grounded"]
    assert entry["message_ja"] == "ドローン運航停止 08:00〜17:30（天候）"
    assert entry["actor"] == "dispatcher-san"
    assert "1 order(s) moved to vans, 0 promise(s) broken" in entry["message_en"]
    # orders during the grounding go by van, and say why
    later = order(client, staff, town, fleet["hall"], "sato", weight_kg=1.0).json()
    assert later["drone"] is None and later["van_reason"]["code"] == "grounded"


def test_grounding_with_no_van_free_reports_the_broken_promise(client, staff):
    town = seed_town(client, staff, vehicles=(("van-1", 4, 1),), shift=(8, 9))
    hall = pad_hall(client, staff)
    add_drone(client, staff, add_base(client, staff, town))
    q = order(client, staff, town, hall, weight_kg=1.0).json()
    assert q["feasible"] and q["drone"] is not None, q  # the van's shift is over by then
    r = ground(client, staff, drone_ids=["yuai-1"], cause="dispatcher", note="点検")
    assert r.status_code == 201, r.text
    out = r.json()
    assert out["moved_to_vans"] == [] and out["grounded"]["drone_ids"] == ["yuai-1"]
    (bp,) = out["broken"]
    assert bp["booking_id"] == q["id"] and bp["what"] == "handover"
    assert "grounded (dispatcher: 点検)" in bp["cause"] and bp["message_ja"]
    assert bp["at"].endswith("+09:00")
    b = booking(client, staff, q["id"])
    assert b["status"] == "promise_broken" and b["drone"] is None
    plan = client.get("/api/v1/plan", headers=staff.headers("dispatcher")).json()
    assert [p["booking_id"] for p in plan["broken_promises"]] == [q["id"]]


def test_grounded_periods_are_listed_and_lifted(client, staff, clock, town, fleet):
    assert ground(client, staff).status_code == 201
    clock.set(9)
    r = ground(
        client, staff, start=iso(9), end=iso(15), drone_ids=["yuai-1"], cause="dispatcher", note=""
    )
    assert r.status_code == 201, r.text
    periods = client.get("/api/v1/drones/grounded", headers=staff.headers("planner")).json()
    assert [(p["start"], p["end"], p["in_force"]) for p in periods] == [
        (iso(8), iso(12), True),
        (iso(9), iso(15), True),
    ]
    assert periods[1]["cause_ja"] == "配車担当の指示" and periods[1]["drone_ids"] == ["yuai-1"]
    d = staff.headers("dispatcher")
    for p in periods:
        r = client.post(f"/api/v1/drones/grounded/{p['id']}/lift", headers=d)
        assert r.status_code == 200, r.text
    after = client.get("/api/v1/drones/grounded", headers=d).json()
    # the one under way ends now; the one beginning now is dropped
    assert [(p["start"], p["end"], p["in_force"]) for p in after] == [(iso(8), iso(9), False)]
    q = order(client, staff, town, fleet["hall"], weight_kg=1.0).json()
    assert q["drone"] is not None, q  # flies again
    r = client.post(f"/api/v1/drones/grounded/{after[0]['id']}/lift", headers=d)
    assert r.status_code == 409 and r.json()["code"] == "grounding_over"
    r = client.post("/api/v1/drones/grounded/0123456789ab/lift", headers=d)
    assert r.status_code == 404
    audit = client.get("/api/v1/audit", headers=d).json()
    lifted = [a["message_ja"] for a in audit if a["event"] == "drones_ungrounded"]
    assert sorted(lifted) == [
        "ドローン運航停止の解除 08:00〜12:00",
        "ドローン運航停止の解除 09:00〜15:00",
    ]


def test_a_grounding_not_begun_is_dropped_when_lifted(client, staff, town, fleet):
    r = ground(client, staff, start=iso(13), end=iso(15))
    assert r.status_code == 201
    gid = r.json()["grounded"]["id"]
    lifted = client.post(f"/api/v1/drones/grounded/{gid}/lift", headers=staff.headers("dispatcher"))
    assert lifted.status_code == 200 and lifted.json() == []


@pytest.mark.sqlite_only
@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"end": iso(7)}, "end", "end_first"),
        ({"start": iso(12), "end": iso(12)}, "end", "end_first"),
        ({"start": iso(6), "end": iso(7)}, "end", "time_in_past"),
        ({"end": iso(9, days=2)}, "end", "invalid_input"),
        ({"drone_ids": ["yuai-1", "yuai-9"]}, "drone_ids.1", "unknown_drone"),
        ({"service_date": "2025-06-03"}, "start", "invalid_input"),
        ({"service_date": "2027-06-02"}, "service_date", "service_date_out_of_range"),
        ({"cause": "aliens"}, "cause", "invalid_input"),
        ({"drone_ids": []}, "drone_ids", "invalid_input"),
        ({"start": "2025-06-02T08:00:00"}, "start", "invalid_input"),
    ],
)
def test_bad_groundings_are_422_naming_the_field(client, staff, town, fleet, change, field, code):
    r = ground(client, staff, **change)
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["field"] == field and r.json()["code"] == code
    assert client.get("/api/v1/drones/grounded", headers=staff.headers("dispatcher")).json() == []


@pytest.mark.sqlite_only
def test_grounding_a_day_without_drones_is_422(client, staff, town):
    r = ground(client, staff)
    assert r.status_code == 422, r.text
    assert r.json()["code"] == "no_drones" and r.json()["errors"][0]["field"] == "service_date"
    base = add_base(client, staff, town)
    add_drone(client, staff, base)
    r = client.patch(
        "/api/v1/drones/yuai-1", json={"active": False}, headers=staff.headers("admin")
    )
    assert r.status_code == 200
    r = ground(client, staff, drone_ids=["yuai-1"])
    assert r.status_code == 422 and r.json()["code"] == "no_drones"


def test_a_drone_that_carried_an_order_is_retired_not_deleted(client, staff, town, fleet):
    q = order(client, staff, town, fleet["hall"], weight_kg=1.0).json()
    assert q["drone"] is not None
    r = client.delete("/api/v1/drones/yuai-1", headers=staff.headers("admin"))
    assert r.status_code == 409 and r.json()["code"] == "drone_in_use"
