"""Quotes: held with a promise, confirmed, released, expired; alternatives; 422s and 409s."""

from __future__ import annotations

from datetime import datetime

import pytest

from tests.api.conftest import OFF_NETWORK, iso, quote_body, seed_town

Q = "/api/v1/quotes"


def minutes(a: str, b: str) -> float:
    return (datetime.fromisoformat(b) - datetime.fromisoformat(a)).total_seconds() / 60


def test_quote_holds_a_promise_and_confirm_makes_it_a_booking(client, staff, town):
    op = staff.headers("operator")
    r = client.post(Q, json=quote_body(town), headers=op)
    assert r.status_code == 201, r.text
    q = r.json()
    assert q["feasible"] and q["status"] == "held" and q["kind"] == "ride"
    assert q["id"] == q["booking_id"] == "20250602-001"
    w = q["pickup_window"]
    assert w == q["promise"] and minutes(w["start"], w["end"]) == 15
    assert w["start"] <= iso(9) <= w["end"]  # 09:00 asked, 09:00 promised
    assert w["start"].endswith("+09:00")  # times in the service's zone
    assert q["expected_pickup"] >= w["start"] and q["expected_arrival"] > q["expected_pickup"]
    assert q["hold_expires_at"] == iso(7, 33)  # held for 3 minutes from 07:30
    assert q["vehicle_id"] in town.vehicles and q["vehicle_name"].endswith("号車")
    assert q["message_ja"].startswith("お迎え予定時間帯")
    r = client.post(f"{Q}/{q['id']}/confirm", headers=op)
    assert r.status_code == 200, r.text
    b = r.json()
    assert b["status"] == "confirmed" and b["id"] == q["id"]
    assert b["promise"] == w
    assert b["rider_name"] == "山田 花子" and b["pickup"]["name"] == "自宅"
    assert b["dropoff"]["name"] == "中央病院" and b["party_size"] == 1
    assert b["expected_pickup"] == q["expected_pickup"]


def test_quote_by_arrival_arrives_in_time(client, staff, town):
    r = client.post(Q, json=quote_body(town, arrive_by=iso(10)), headers=staff.headers("operator"))
    assert r.status_code == 201, r.text
    q = r.json()
    assert q["expected_arrival"] <= iso(10) and q["latest_arrival"] <= iso(10)
    r = client.get(f"/api/v1/bookings/{q['id']}", headers=staff.headers("operator"))
    assert r.json()["arrive_by"] == iso(10) and r.json()["depart_at"] is None


def test_quote_to_a_point_snaps_it_to_the_road(client, staff, town):
    body = quote_body(town)
    del body["dropoff_place_id"]
    body["dropoff"] = {"lon": 139.4137, "lat": 35.6980}
    r = client.post(Q, json=body, headers=staff.headers("operator"))
    assert r.status_code == 201, r.text
    b = client.get(f"/api/v1/bookings/{r.json()['id']}", headers=staff.headers("operator")).json()
    assert b["dropoff"]["place_id"] is None and b["dropoff"]["name"] == "指定地点"
    assert b["dropoff"]["lon"] != 139.4137  # the point on the road


def test_release_gives_the_seat_back_and_only_once(client, staff, town):
    op = staff.headers("operator")
    q = client.post(Q, json=quote_body(town), headers=op).json()
    assert client.delete(f"{Q}/{q['id']}", headers=op).status_code == 204
    r = client.get(f"/api/v1/bookings/{q['id']}", headers=op)
    assert r.json()["status"] == "cancelled"
    r = client.delete(f"{Q}/{q['id']}", headers=op)
    assert r.status_code == 409 and r.json()["code"] == "not_held"
    assert client.post(f"{Q}/{q['id']}/confirm", headers=op).status_code == 409


def test_expired_hold_cannot_be_confirmed(client, staff, town, clock):
    op = staff.headers("operator")
    q = client.post(Q, json=quote_body(town), headers=op).json()
    clock.advance(minutes=4)
    r = client.post(f"{Q}/{q['id']}/confirm", headers=op)
    assert r.status_code == 409
    body = r.json()
    assert r.headers["content-type"].startswith("application/problem+json")
    assert body["code"] == "hold_expired" and "期限" in body["detail_ja"]
    assert client.get(f"/api/v1/bookings/{q['id']}", headers=op).json()["status"] == "expired"


def test_second_confirm_is_a_conflict(client, staff, town):
    op = staff.headers("operator")
    q = client.post(Q, json=quote_body(town), headers=op).json()
    assert client.post(f"{Q}/{q['id']}/confirm", headers=op).status_code == 200
    r = client.post(f"{Q}/{q['id']}/confirm", headers=op)
    assert r.status_code == 409 and r.json()["code"] == "already_confirmed"


def fill_until_refused(client, staff, town, *, to: str = "station", at: str | None = None):
    """Quote rides at one time until one is refused; returns (held ids, the refusal)."""
    op = staff.headers("operator")
    held = []
    for i in range(12):
        rider = ("yamada", "sato")[i % 2]
        r = client.post(Q, json=quote_body(town, rider, to=to, depart_at=at or iso(9)), headers=op)
        if r.status_code == 200:
            return held, r.json()
        assert r.status_code == 201, r.text
        held.append(r.json()["id"])
    raise AssertionError("never full")


def test_a_full_slot_is_refused_with_alternatives(client, staff):
    town = seed_town(client, staff, vehicles=(("car-1", 1, 0),))
    held, no = fill_until_refused(client, staff, town)
    assert held
    assert no["feasible"] is False and no["status"] == "rejected" and no["id"] is None
    assert no["reason"]["code"] == "fully_booked"
    assert no["reason"]["message_ja"] == "ご希望の時間は車両が埋まっています"
    assert no["message_ja"].startswith("予約できません")
    assert no["alternatives"], "a later or earlier time works"
    alt = no["alternatives"][0]
    assert alt["depart_at"] and alt["arrive_by"] is None and alt["pickup_window"]["start"]
    again = client.post(
        Q,
        json=quote_body(town, "sato", to="station", depart_at=alt["depart_at"]),
        headers=staff.headers("operator"),
    )
    assert again.status_code == 201 and again.json()["pickup_window"] == alt["pickup_window"]
    audit = client.get("/api/v1/audit", headers=staff.headers("dispatcher")).json()
    assert any(a["event"] == "quote_rejected" and a["actor"] == "operator-san" for a in audit)


def test_wheelchair_ride_goes_to_the_accessible_van(client, staff, town):
    r = client.post(Q, json=quote_body(town, "suzuki"), headers=staff.headers("operator"))
    assert r.status_code == 201, r.text
    assert r.json()["vehicle_id"] == "van-1"


@pytest.mark.sqlite_only
@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"rider_id": 999}, "rider_id", "invalid_input"),
        ({"depart_at": iso(7)}, "depart_at", "time_in_past"),
        ({"depart_at": iso(9, days=30)}, "depart_at", "too_far_ahead"),
        ({"depart_at": iso(9, days=1)}, "depart_at", "no_service"),
        ({"companions": 6}, "companions", "party_too_big"),
        ({"pickup_place_id": 999}, "pickup_place_id", "unknown_place"),
        (
            {"dropoff_place_id": None, "dropoff": {"lon": OFF_NETWORK[0], "lat": OFF_NETWORK[1]}},
            "dropoff",
            "off_road_network",
        ),
        ({"arrive_by": iso(10)}, "depart_at", "invalid_input"),
        ({"depart_at": None}, "depart_at", "invalid_input"),
        ({"depart_at": "2025-06-02T09:00:00"}, "depart_at", "invalid_input"),  # no offset
        ({"companions": -1}, "companions", "invalid_input"),
        ({"surprise": 1}, "surprise", "invalid_input"),
    ],
)
def test_bad_asks_are_422_naming_the_field(client, staff, town, change, field, code):
    body = {k: v for k, v in {**quote_body(town), **change}.items() if v is not None}
    r = client.post(Q, json=body, headers=staff.headers("operator"))
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    p = r.json()
    assert p["status"] == 422 and p["code"] == code
    assert field in [e["field"] for e in p["errors"]], p
    e = next(e for e in p["errors"] if e["field"] == field)
    assert e["message_ja"] and e["message_en"]


@pytest.mark.sqlite_only
def test_same_pickup_and_dropoff_is_422(client, staff, town):
    body = quote_body(town)
    body["dropoff_place_id"] = body["pickup_place_id"]
    r = client.post(Q, json=body, headers=staff.headers("operator"))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "dropoff_place_id"


@pytest.mark.sqlite_only
def test_another_riders_home_is_not_a_place_to_quote(client, staff, town):
    body = quote_body(town, "yamada")
    body["dropoff_place_id"] = town.homes["sato"]
    r = client.post(Q, json=body, headers=staff.headers("operator"))
    assert r.status_code == 422 and r.json()["code"] == "unknown_place"


@pytest.mark.sqlite_only
def test_wheelchair_without_an_accessible_vehicle_is_422(client, staff):
    town = seed_town(client, staff, vehicles=(("car-1", 3, 0),))
    r = client.post(Q, json=quote_body(town, "suzuki"), headers=staff.headers("operator"))
    assert r.status_code == 422 and r.json()["code"] == "no_accessible_vehicle"


def test_idempotency_key_replays_the_first_answer(client, staff, town):
    op = staff.headers("operator", **{"Idempotency-Key": "call-0001"})
    first = client.post(Q, json=quote_body(town), headers=op)
    again = client.post(Q, json=quote_body(town), headers=op)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers.get("Idempotent-Replayed") == "true"
    day = client.get("/api/v1/bookings", headers=staff.headers("dispatcher")).json()
    assert [b["id"] for b in day] == [first.json()["id"]]  # booked once
    other = client.post(Q, json=quote_body(town, depart_at=iso(11)), headers=op)
    assert other.status_code == 409 and other.json()["code"] == "idempotency_key_reused"
    # the key belongs to the operator: another user may use the same string
    mine = client.post(
        Q,
        json=quote_body(town, depart_at=iso(11)),
        headers=staff.headers("dispatcher", **{"Idempotency-Key": "call-0001"}),
    )
    assert mine.status_code == 201 and mine.json()["id"] != first.json()["id"]


def test_idempotent_confirm_replays(client, staff, town):
    op = staff.headers("operator")
    q = client.post(Q, json=quote_body(town), headers=op).json()
    key = staff.headers("operator", **{"Idempotency-Key": f"confirm-{q['id']}"})
    a = client.post(f"{Q}/{q['id']}/confirm", headers=key)
    b = client.post(f"{Q}/{q['id']}/confirm", headers=key)
    assert a.status_code == b.status_code == 200 and a.json() == b.json()


def test_an_error_answer_is_not_remembered(client, staff, town):
    key = staff.headers("operator", **{"Idempotency-Key": "retry-after-fix"})
    bad = client.post(Q, json=quote_body(town, companions=6), headers=key)
    assert bad.status_code == 422
    fixed = client.post(Q, json=quote_body(town), headers=key)  # the 422 was not stored
    assert fixed.status_code == 201
    again = client.post(Q, json=quote_body(town), headers=key)
    assert again.status_code == 201 and again.json()["id"] == fixed.json()["id"]


def test_capacity_is_never_promised_twice(client, staff):
    """One seat, many asks for the same time: every promise given fits the car."""
    town = seed_town(client, staff, vehicles=(("car-1", 1, 0),))
    held, _ = fill_until_refused(client, staff, town)
    plan = client.get("/api/v1/plan", headers=staff.headers("dispatcher")).json()
    on_board = 0
    for stop in plan["routes"][0]["stops"]:
        if stop["kind"] == "pickup":
            on_board += 1
        elif stop["kind"] == "dropoff":
            on_board -= 1
        assert 0 <= on_board <= 1
        if stop["kind"] == "pickup":
            assert stop["promise"]["start"] <= stop["service_start"] <= stop["promise"]["end"]
    planned = {s["booking_id"] for r in plan["routes"] for s in r["stops"] if s["booking_id"]}
    assert planned == set(held)
