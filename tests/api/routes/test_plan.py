"""The dispatch board's plan: routes with stops, positions, late and at-risk stops; re-optimise."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from tests.api.conftest import iso, quote_body, seed_town

P = "/api/v1/plan"


def book(client, staff, town, rider="yamada", **kw) -> str:
    op = staff.headers("operator")
    q = client.post("/api/v1/quotes", json=quote_body(town, rider, **kw), headers=op)
    assert q.status_code == 201, q.text
    assert client.post(f"/api/v1/quotes/{q.json()['id']}/confirm", headers=op).status_code == 200
    return q.json()["id"]


def test_a_day_without_bookings_shows_its_vehicles_at_the_depot(client, staff, town):
    plan = client.get(P, headers=staff.headers("dispatcher")).json()
    assert plan["service_date"] == "2025-06-02" and plan["summary"]["served"] == 0
    assert [r["vehicle_id"] for r in plan["routes"]] == ["car-1", "van-1"]
    depot = client.get(
        f"/api/v1/places/{town.places['depot']}", headers=staff.headers("dispatcher")
    ).json()
    for r in plan["routes"]:
        assert r["stops"] == [] and r["locked"] is False and r["in_service"]
        assert abs(r["position"]["lon"] - depot["road_lon"]) < 1e-9
    nothing = client.get(
        P, params={"service_date": "2025-06-09"}, headers=staff.headers("dispatcher")
    )
    assert nothing.json()["routes"] == []


def test_every_stop_carries_what_the_board_draws(client, staff, town):
    a = book(client, staff, town, "yamada")
    b = book(client, staff, town, "sato", to="station", depart_at=iso(9, 30))
    plan = client.get(P, headers=staff.headers("dispatcher")).json()
    stops = [s for r in plan["routes"] for s in r["stops"]]
    assert {s["booking_id"] for s in stops} == {a, b}
    for s in stops:
        assert s["kind"] in ("pickup", "dropoff") and s["status"] == "planned"
        assert s["place"]["lon"] and s["place"]["lat"] and s["place"]["name"]
        assert s["arrival"] <= s["service_start"] < s["departure"]
        assert s["rider_name"] in ("山田 花子", "佐藤 一郎")
        assert s["late_s"] == 0
    pickup = next(s for s in stops if s["booking_id"] == a and s["kind"] == "pickup")
    assert pickup["promise"]["start"] <= pickup["service_start"] <= pickup["promise"]["end"]
    assert (
        plan["summary"]["served"] == 2
        and plan["unassigned"] == []
        and plan["broken_promises"] == []
    )


def test_at_risk_and_late_stops_are_flagged(client, staff, clock):
    town = seed_town(client, staff, vehicles=(("car-1", 3, 0),))
    bid = book(client, staff, town)
    r = client.post(
        "/api/v1/vehicles/car-1/events",
        json={"type": "delayed", "delay_min": 40},
        headers=staff.headers("dispatcher"),
    )
    assert r.status_code == 200
    assert [b["booking_id"] for b in r.json()["broken"]] == [bid]
    plan = client.get(P, headers=staff.headers("dispatcher")).json()
    [broken] = plan["broken_promises"]
    assert broken["booking_id"] == bid and broken["message_ja"].startswith("お約束")
    listed = client.get(f"/api/v1/bookings/{bid}", headers=staff.headers("operator")).json()
    assert listed["status"] == "promise_broken"
    # not on board yet and no other vehicle: the booking leaves the route (no late stop
    # is planned) and is listed unassigned with the cause, for the dispatcher to call
    assert [s for r in plan["routes"] for s in r["stops"] if s["booking_id"] == bid] == []
    [unassigned] = plan["unassigned"]
    assert unassigned["booking_id"] == bid and unassigned["rider_name"] == "山田 花子"
    assert "car-1 delayed by 40 min" in unassigned["reason_en"]


@pytest.mark.sqlite_only
def test_planners_see_the_plan_without_names(client, staff, town):
    book(client, staff, town)
    plan = client.get(P, headers=staff.headers("planner")).json()
    stops = [s for r in plan["routes"] for s in r["stops"]]
    assert stops and all(s["rider_name"] is None for s in stops)
    home = next(s for s in stops if s["kind"] == "pickup")
    assert home["place"]["name"] == "自宅" and home["place"]["place_id"] is None
    assert "山田" not in str(plan)


def test_reoptimise_keeps_every_promise(client, staff, town):
    ids = [book(client, staff, town, r, depart_at=iso(h)) for r, h in (("yamada", 9), ("sato", 10))]
    before = client.get(P, headers=staff.headers("dispatcher")).json()
    r = client.post(
        P + "/reoptimise", json={"time_limit_s": 1}, headers=staff.headers("dispatcher")
    )
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["cost_before"] > 0 and isinstance(out["accepted"], bool) and out["reason"]
    after = client.get(P, headers=staff.headers("dispatcher")).json()

    def promises(plan):
        return {
            s["booking_id"]: s["promise"]
            for r in plan["routes"]
            for s in r["stops"]
            if s["kind"] == "pickup"
        }

    assert promises(after) == promises(before) and set(promises(after)) == set(ids)
    audit = client.get("/api/v1/audit", headers=staff.headers("dispatcher")).json()
    assert (
        audit[0]["event"] in ("reoptimised", "reopt_discarded")
        and audit[0]["actor"] == "dispatcher-san"
    )


def book_full_day(client, staff, clock, n: int = 48):
    """`n` rides on three cars, booked at 07:40 before any car left: the three riders
    to and from the town's places every 9 minutes from 08:30."""
    clock.set(7, 40)
    town = seed_town(client, staff, vehicles=(("car-1", 3, 0), ("car-2", 3, 0), ("van-1", 4, 1)))
    places = ("hospital", "station", "city_hall", "supermarket")
    for k in range(n):
        rider, place = ("yamada", "sato", "suzuki")[k % 3], places[(k // 3) % 4]
        h, m = divmod(8 * 60 + 30 + 9 * k, 60)
        way = {"to": place}
        if k % 2:  # the way home
            way = {"pickup_place_id": town.places[place], "dropoff_place_id": town.homes[rider]}
        book(client, staff, town, rider, depart_at=iso(h, m), **way)
    return town


def test_a_full_morning_flags_only_the_genuinely_tight_stop(client, staff, clock):
    book_full_day(client, staff, clock)
    plan = client.get(P, headers=staff.headers("dispatcher")).json()
    stops = [(r["vehicle_id"], s) for r in plan["routes"] for s in r["stops"]]
    assert plan["summary"]["served"] == 48 and len(stops) == 96

    def slack_s(s):
        return (
            datetime.fromisoformat(s["latest_at"]) - datetime.fromisoformat(s["service_start"])
        ).total_seconds()

    promised = [(v, s) for v, s in stops if s["latest_at"] is not None]
    # the old rule (planned start less than 5 min before the promise's end) flagged a
    # good part of the day; the probability flags none of it before the cars leave
    assert sum(1 for _, s in promised if s["kind"] == "pickup" and slack_s(s) < 300) >= 12
    assert [s for _, s in stops if s["at_risk"]] == []
    assert all(0 <= s["late_probability"] <= 1 for _, s in promised)
    assert all(s["risk_reason"] is None for _, s in stops)
    # car-1 runs late: delayed so that its first pickup now starts just before the
    # promise's end — that one stop is at risk, because the car is behind
    first = next(s for v, s in stops if v == "car-1")
    assert first["kind"] == "pickup" and slack_s(first) >= 120
    delay_min = int(slack_s(first) // 60)
    r = client.post(
        "/api/v1/vehicles/car-1/events",
        json={"type": "delayed", "delay_min": delay_min},
        headers=staff.headers("dispatcher"),
    )
    assert r.status_code == 200 and r.json()["broken"] == [], r.text
    plan = client.get(P, headers=staff.headers("dispatcher")).json()
    flagged = [s for r in plan["routes"] for s in r["stops"] if s["at_risk"]]
    assert [s["booking_id"] for s in flagged][:1] == [first["booking_id"]]
    assert len(flagged) <= 3
    tight = flagged[0]
    assert slack_s(tight) < 60 and tight["late_probability"] >= 0.3
    assert tight["risk_reason"] == "vehicle_behind"
    soon = datetime.fromisoformat(plan["now"]) + timedelta(hours=1)
    for s in (s for r in plan["routes"] for s in r["stops"] if s["latest_at"]):
        if slack_s(s) >= 600:  # ten minutes or more to spare: not at risk
            assert not s["at_risk"], s
            if datetime.fromisoformat(s["service_start"]) <= soon:
                assert s["late_probability"] < 0.3, s
