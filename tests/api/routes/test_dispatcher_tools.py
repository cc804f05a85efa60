"""The dispatcher's tools: previews of events and moves, the reassign assistant, the plan
at an earlier time, and the day so far.

A preview changes nothing (the plan, its version and the audit trail are as before)
and predicts what applying the same body does.
"""

from __future__ import annotations

from tests.api.conftest import iso, quote_body
from tests.api.routes import test_vehicles

V = "/api/v1/vehicles"
OV = "/api/v1/overrides"

one_car = test_vehicles.one_car  # the town with car-1 only (a fixture)
book = test_vehicles.book


def plan(client, staff) -> dict:
    r = client.get("/api/v1/plan", headers=staff.headers("dispatcher"))
    assert r.status_code == 200, r.text
    return r.json()


def audit(client, staff) -> list:
    return client.get("/api/v1/audit", headers=staff.headers("dispatcher")).json()


def vehicle_of(p: dict, bid: str) -> str | None:
    return next(
        (
            r["vehicle_id"]
            for r in p["routes"]
            if any(s["booking_id"] == bid and s["status"] == "planned" for s in r["stops"])
        ),
        None,
    )


def outcome(p: dict) -> dict:
    """Every booking's vehicle and planned pickup and drop-off in a plan."""
    out: dict = {}
    for r in p["routes"]:
        for s in r["stops"]:
            if s["booking_id"] and s["status"] == "planned":
                out.setdefault(s["booking_id"], [r["vehicle_id"]]).append(s["service_start"])
    return out


def preview(client, staff, vehicle, body, role="dispatcher"):
    return client.post(f"{V}/{vehicle}/events/preview", json=body, headers=staff.headers(role))


# -- previews of events ---------------------------------------------------------------


def test_a_delay_preview_changes_nothing_and_predicts_the_applied_outcome(
    client, staff, town, clock
):
    bid = book(client, staff, town)
    clock.set(8, 10)
    before, trail = plan(client, staff), audit(client, staff)
    vid = vehicle_of(before, bid)
    body = {"type": "delayed", "delay_min": 90}
    r = preview(client, staff, vid, body)
    assert r.status_code == 200, r.text
    p = r.json()
    assert plan(client, staff) == before and audit(client, staff) == trail
    assert p["applies"] and p["retime_min"] == 5
    other = next(v for v in town.vehicles if v != vid)
    # the other car takes the ride: it moves, no promise breaks
    assert [(c["booking_id"], c["before_vehicle"], c["after_vehicle"]) for c in p["moved"]] == [
        (bid, vid, other)
    ]
    assert p["broken"] == [] and p["dropped"] == []
    assert p["moved"][0]["rider_name"] == "山田 花子"
    applied = client.post(f"{V}/{vid}/events", json=body, headers=staff.headers("dispatcher"))
    assert applied.status_code == 200, applied.text
    after = plan(client, staff)
    assert vehicle_of(after, bid) == other
    moved = p["moved"][0]
    assert outcome(after)[bid] == [other, moved["after_pickup"], moved["after_dropoff"]]


def test_a_breakdown_preview_reports_the_promise_it_breaks(client, staff, one_car, clock):
    bid = book(client, staff, one_car)
    clock.set(8, 10)
    before = plan(client, staff)
    r = preview(client, staff, "car-1", {"type": "breakdown"})
    assert r.status_code == 200, r.text
    p = r.json()
    assert [(b["booking_id"], b["what"]) for b in p["broken"]] == [(bid, "pickup_window")]
    assert [c["booking_id"] for c in p["dropped"]] == [bid]
    assert p["broken"][0]["message_ja"] and p["broken"][0]["cause"]
    assert p["after"]["served"] == p["before"]["served"] - 1
    assert plan(client, staff) == before
    applied = client.post(
        f"{V}/car-1/events", json={"type": "breakdown"}, headers=staff.headers("dispatcher")
    )
    assert [(b["booking_id"], b["what"], b["by_s"]) for b in applied.json()["broken"]] == [
        (b["booking_id"], b["what"], b["by_s"]) for b in p["broken"]
    ]


def test_a_no_show_preview(client, staff, one_car, clock):
    bid = book(client, staff, one_car)
    clock.set(8, 55)
    r = preview(client, staff, "car-1", {"type": "no_show", "booking_id": bid})
    assert r.status_code == 200, r.text
    assert [c["booking_id"] for c in r.json()["dropped"]] == [bid]
    r = client.get(f"/api/v1/bookings/{bid}", headers=staff.headers("operator"))
    assert r.json()["status"] == "confirmed"


def test_event_previews_refuse_bad_input(client, staff, town, clock):
    bid = book(client, staff, town)
    clock.set(8, 10)
    vid = vehicle_of(plan(client, staff), bid)
    other = next(v for v in town.vehicles if v != vid)
    assert preview(client, staff, "ghost", {"type": "breakdown"}).status_code == 404
    r = preview(client, staff, vid, {"type": "picked_up", "booking_id": bid})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "type"
    r = preview(client, staff, vid, {"type": "delayed"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "delay_min"
    r = preview(client, staff, vid, {"type": "delayed", "delay_min": 0})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "delay_min"
    r = preview(client, staff, other, {"type": "no_show", "booking_id": bid})
    assert r.status_code == 409 and r.json()["code"] == "not_next_stop"
    assert preview(client, staff, "van-1", {"type": "breakdown"}, role="driver").status_code == 403
    assert preview(client, staff, vid, {"type": "breakdown"}, role="operator").status_code == 403
    client.post(
        V,
        json={"id": "spare", "name": "予備車", "seats": 3, "depot_place_id": town.places["depot"]},
        headers=staff.headers("admin"),
    )
    r = preview(client, staff, "spare", {"type": "breakdown"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "vehicle_id"


# -- moves: preview and the reassign assistant ------------------------------------------


def test_a_refused_move_preview_lists_the_violations_and_audits_nothing(client, staff, town):
    bid = book(client, staff, town, "suzuki")  # a wheelchair: only the van takes it
    trail = audit(client, staff)
    r = client.post(
        f"{OV}/move/preview",
        json={"booking_id": bid, "vehicle_id": "car-1"},
        headers=staff.headers("dispatcher"),
    )
    assert r.status_code == 200, r.text
    assert r.json()["applies"] is False and r.json()["violations"]
    assert audit(client, staff) == trail  # a real refusal would be audited
    r = client.post(
        f"{OV}/move/preview",
        json={"booking_id": "nope", "vehicle_id": "car-1"},
        headers=staff.headers("dispatcher"),
    )
    assert r.status_code == 404
    r = client.post(
        f"{OV}/move/preview",
        json={"booking_id": bid, "vehicle_id": "ghost"},
        headers=staff.headers("dispatcher"),
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "vehicle_id"


def test_reassign_options_rank_the_vehicles_and_one_applies(client, staff, town):
    bid = book(client, staff, town)
    before = plan(client, staff)
    vid = vehicle_of(before, bid)
    r = client.get(
        f"{OV}/move/options", params={"booking_id": bid}, headers=staff.headers("dispatcher")
    )
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["current_vehicle_id"] == vid
    [best] = out["options"]
    assert best["vehicle_id"] != vid and best["keeps_promise"] and best["violations"] == []
    assert best["vehicle_name"].endswith("号車")
    assert 0 <= best["late_probability"] <= 1 and best["pickup_at"] < best["dropoff_at"]
    assert plan(client, staff) == before
    moved = client.post(
        f"{OV}/move",
        json={"booking_id": bid, "vehicle_id": best["vehicle_id"]},
        headers=staff.headers("dispatcher"),
    )
    assert moved.status_code == 200, moved.text
    after = plan(client, staff)
    assert outcome(after)[bid] == [best["vehicle_id"], best["pickup_at"], best["dropoff_at"]]
    assert (
        after["summary"]["distance_m"] - before["summary"]["distance_m"]
        == (best["added_distance_m"])
    )


def test_reassign_options_refuse_bad_input(client, staff, town):
    bid = book(client, staff, town)
    dp = staff.headers("dispatcher")
    assert (
        client.get(f"{OV}/move/options", params={"booking_id": "nope"}, headers=dp).status_code
        == 404
    )
    r = client.get(f"{OV}/move/options", headers=dp)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "booking_id"
    client.post(f"/api/v1/bookings/{bid}/cancel", headers=staff.headers("operator"))
    r = client.get(f"{OV}/move/options", params={"booking_id": bid}, headers=dp)
    assert r.status_code == 409 and r.json()["code"] == "booking_not_movable"
    r = client.get(
        f"{OV}/move/options", params={"booking_id": bid}, headers=staff.headers("planner")
    )
    assert r.status_code == 403


# -- time travel ----------------------------------------------------------------------


def test_the_plan_at_an_earlier_time_is_what_the_board_showed_then(client, staff, town, clock):
    first = book(client, staff, town)
    clock.set(7, 45)
    then = plan(client, staff)
    clock.set(8, 0)
    second = book(client, staff, town, "sato", to="station", depart_at=iso(9, 30))
    clock.set(8, 20)
    client.post(
        f"{V}/car-1/events",
        json={"type": "delayed", "delay_min": 15},
        headers=staff.headers("dispatcher"),
    )
    r = client.get(
        "/api/v1/plan/at", params={"at": iso(7, 45)}, headers=staff.headers("dispatcher")
    )
    assert r.status_code == 200, r.text
    past = r.json()
    assert past["as_of"] == then["now"]
    assert {k: v for k, v in past.items() if k not in ("as_of", "version")} == {
        k: v for k, v in then.items() if k != "version"
    }
    assert first in outcome(past) and second not in outcome(past)
    now = client.get(
        "/api/v1/plan/at", params={"at": iso(8, 20)}, headers=staff.headers("dispatcher")
    )
    assert second in outcome(now.json())
    moments = client.get("/api/v1/plan/moments", headers=staff.headers("dispatcher")).json()
    assert len(moments["moments"]) >= 3 and moments["moments"] == sorted(moments["moments"])


def test_time_travel_refuses_the_future_and_times_before_the_first_plan(client, staff, town, clock):
    book(client, staff, town)
    dp = staff.headers("dispatcher")
    r = client.get("/api/v1/plan/at", params={"at": iso(9)}, headers=dp)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "at"
    r = client.get("/api/v1/plan/at", params={"at": iso(6)}, headers=dp)
    assert r.status_code == 404 and r.json()["code"] == "no_plan_then"
    r = client.get("/api/v1/plan/at", params={"at": "yesterday"}, headers=dp)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "at"
    assert client.get("/api/v1/plan/at", headers=dp).status_code == 422


# -- the day so far ---------------------------------------------------------------------


def test_the_day_summary_counts_outcomes_and_km(client, staff, one_car, clock):
    op = staff.headers("operator")
    a = book(client, staff, one_car)
    b = book(client, staff, one_car, "sato", to="station", depart_at=iso(11))
    c = book(client, staff, one_car, to="supermarket", depart_at=iso(14))
    client.post(f"/api/v1/bookings/{c}/cancel", headers=op)
    refused = client.post("/api/v1/quotes", json=quote_body(one_car, depart_at=iso(20)), headers=op)
    assert refused.status_code in (200, 201) and not refused.json()["feasible"], refused.text
    s = client.get("/api/v1/plan/summary", headers=staff.headers("dispatcher")).json()
    assert (s["served"], s["refused"], s["cancelled"], s["no_shows"], s["late"]) == (0, 1, 1, 0, 0)
    assert s["distance_m_done"] == 0 and s["distance_m_planned"] > 0
    assert s["vehicle_s_done"] == 0 and s["vehicle_s_planned"] > 0
    clock.set(8, 55)
    client.post(
        f"{V}/car-1/events",
        json={"type": "no_show", "booking_id": a},
        headers=staff.headers("driver"),
    )
    clock.set(10, 0)
    s = client.get("/api/v1/plan/summary", headers=staff.headers("planner")).json()
    assert s["no_shows"] == 1 and s["distance_m_done"] > 0
    assert 0 < s["vehicle_s_done"] <= s["vehicle_s_planned"]
    assert s["distance_m_done"] <= s["distance_m_planned"]
    assert b
