"""Home visits (訪問診療): booked for a patient with an appointment or a wanted time on a
car with the feature, refused naming a missing feature, shown on bookings, the plan and
the nurse car's manifest, reported done by the driver (not before the appointment).

The town's cars (`seed_town`) have no features; ``nurse-1`` (the clinic's car, feature
``nurse``, 08:00-17:00, from the depot) is added where a test needs it. 山田's home is
~2.5 km by road from the depot.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import pytest

from tests.api.conftest import at, iso

V = "/api/v1/visits"
B = "/api/v1/bookings"
WORDS_JA = re.compile(r"^訪問予定時間帯 10:00〜10:30、訪問開始予定 (\d{2}:\d{2})$")


def add_nurse_car(client, staff, town, vid: str = "nurse-1") -> str:
    admin = staff.headers("admin")
    r = client.post(
        "/api/v1/vehicles",
        json={
            "id": vid,
            "name": "訪問診療車",
            "kind": "van",
            "seats": 2,
            "features": ["nurse"],
            "depot_place_id": town.places["depot"],
        },
        headers=admin,
    )
    assert r.status_code == 201, r.text
    r = client.post(
        "/api/v1/shifts",
        json={"vehicle_id": vid, "start_at": iso(8), "end_at": iso(17)},
        headers=admin,
    )
    assert r.status_code == 201, r.text
    return vid


@pytest.fixture
def nurse(client, staff, town) -> str:
    return add_nurse_car(client, staff, town)


def visit(client, staff, town, rider="yamada", *, key: str | None = None, **kw: Any):
    body: dict[str, Any] = {"rider_id": town.riders[rider]}
    if "wanted_at" not in kw and "appointment" not in kw:
        body["appointment"] = {"start": iso(10), "end": iso(10, 30)}
    body.update({k: v for k, v in kw.items() if v is not None})
    extra = {"Idempotency-Key": key} if key else {}
    return client.post(V, json=body, headers=staff.headers("operator", **extra))


def event(client, staff, payload, vehicle="nurse-1"):
    return client.post(
        f"/api/v1/vehicles/{vehicle}/events", json=payload, headers=staff.headers("dispatcher")
    )


def manifest(client, staff, vehicle="nurse-1") -> dict:
    r = client.get(f"/api/v1/vehicles/{vehicle}/manifest", headers=staff.headers("dispatcher"))
    assert r.status_code == 200, r.text
    return r.json()


def booking(client, staff, bid: str, role="operator") -> dict:
    r = client.get(f"{B}/{bid}", headers=staff.headers(role))
    assert r.status_code == 200, r.text
    return r.json()


def _t(value: str) -> datetime:
    return datetime.fromisoformat(value)


# -- booking -------------------------------------------------------------------------------


def test_a_visit_is_booked_in_its_appointment_on_the_nurse_car(client, staff, town, nurse):
    r = visit(client, staff, town, duration_min=45, note="血圧の薬")
    assert r.status_code == 201, r.text
    q = r.json()
    assert q["kind"] == "visit" and q["feasible"] and q["status"] == "confirmed"
    assert q["vehicle_id"] == nurse and q["vehicle_name"] == "訪問診療車"
    window = {"start": iso(10), "end": iso(10, 30)}
    assert q["appointment"] == q["promise"] == window
    assert at(10) <= _t(q["planned_start"]) <= at(10, 30)
    assert _t(q["planned_end"]) - _t(q["planned_start"]) == timedelta(minutes=45)
    assert (q["duration_min"], q["required_feature"]) == (45, "nurse")
    found = WORDS_JA.match(q["message_ja"])
    assert found and found.group(1) == _t(q["planned_start"]).strftime("%H:%M"), q["message_ja"]
    assert q["message_en"].startswith("visit starting between 10:00 and 10:30, planned at ")
    assert q["reason"] is None and q["alternatives"] == [] and q["missing_features"] == []
    b = booking(client, staff, q["id"])
    assert b["kind"] == "visit" and b["status"] == "confirmed" and b["vehicle_id"] == nurse
    assert b["rider_name"] == "山田 花子" and b["note"] == "血圧の薬"
    assert b["pickup"] == b["dropoff"] and b["pickup"]["place_id"] == town.homes["yamada"]
    assert b["promise"] == window and b["depart_at"] is None and b["arrive_by"] is None
    assert b["visit"] == {
        "appointment": window,
        "planned_start": q["planned_start"],
        "duration_min": 45,
        "required_feature": "nurse",
        "wanted_at": None,
    }
    # a planner sees the visit, not who or where exactly
    p = booking(client, staff, q["id"], role="planner")
    assert p["rider_id"] is None and p["rider_name"] is None and p["note"] == ""
    assert p["pickup"]["name"] == "自宅" and p["pickup"]["place_id"] is None
    assert p["visit"]["appointment"] == window
    # listed with the day's bookings, and alone when asking for visits
    ride = client.post(
        "/api/v1/deliveries",
        json={"shop_place_id": town.places["supermarket"], "rider_id": town.riders["sato"]},
        headers=staff.headers("operator"),
    )
    assert ride.status_code == 201, ride.text
    day = client.get(B, headers=staff.headers("dispatcher")).json()
    assert {x["kind"] for x in day} == {"visit", "delivery"}
    only = client.get(B, params={"kind": "visit"}, headers=staff.headers("dispatcher")).json()
    assert [x["id"] for x in only] == [q["id"]]
    audit = client.get(
        "/api/v1/audit", params={"booking_id": q["id"]}, headers=staff.headers("dispatcher")
    ).json()
    assert [a["event"] for a in reversed(audit)][:2] == ["quote_held", "confirmed"]
    assert audit[0]["actor"] == "operator-san"


def test_a_visit_at_a_wanted_time_is_promised_a_window_around_it(client, staff, town, nurse):
    r = visit(client, staff, town, "sato", wanted_at=iso(13))
    assert r.status_code == 201, r.text
    q = r.json()
    start, end = _t(q["appointment"]["start"]), _t(q["appointment"]["end"])
    assert end - start == timedelta(minutes=30)  # a 30-minute window ...
    assert start <= _t(q["planned_start"]) <= end  # ... around the planned start
    assert at(12, 30) <= start and end <= at(14)  # near the wanted start
    b = booking(client, staff, q["id"])
    assert b["visit"]["wanted_at"] == iso(13) and b["visit"]["duration_min"] == 30
    assert b["visit"]["appointment"] == q["appointment"]


def test_no_nurse_car_that_day_is_an_answer_naming_the_feature(client, staff, town):
    r = visit(client, staff, town)
    assert r.status_code == 200, r.text
    q = r.json()
    assert not q["feasible"] and q["status"] == "rejected" and q["id"] is None
    assert q["reason"]["code"] == "no_vehicle" and q["missing_features"] == ["nurse"]
    assert q["reason"]["message_ja"] == "この日は看護師同乗（nurse）の車両が運行していません"
    assert q["reason"]["message_en"] == "no vehicle in service offers nurse"
    assert q["message_ja"].startswith("予約できません（この日は看護師同乗（nurse）の車両")
    assert q["vehicle_id"] is None and q["appointment"] is None
    assert client.get(B, headers=staff.headers("dispatcher")).json() == []
    audit = client.get("/api/v1/audit", headers=staff.headers("dispatcher")).json()
    assert audit[0]["event"] == "visit_rejected" and "nurse" in audit[0]["message_ja"]
    # another feature than the nurse's is named as asked
    other = visit(client, staff, town, required_feature="dialysis").json()
    assert other["missing_features"] == ["dialysis"] and "dialysis" in other["message_ja"]


def test_a_broken_down_nurse_car_leaves_no_car_with_the_feature(client, staff, town, nurse):
    r = event(client, staff, {"type": "breakdown"})
    assert r.status_code == 200, r.text
    q = visit(client, staff, town).json()
    assert not q["feasible"] and q["missing_features"] == ["nurse"]


def test_a_busy_nurse_car_offers_other_times_for_a_wanted_time(client, staff, town, nurse):
    first = visit(
        client, staff, town, appointment={"start": iso(9, 30), "end": iso(9, 45)}, duration_min=120
    )
    assert first.status_code == 201, first.text
    second = visit(
        client, staff, town, "suzuki", appointment={"start": iso(10, 30), "end": iso(10, 45)}
    )
    assert second.status_code == 200 and second.json()["reason"]["code"] == "fully_booked"
    assert second.json()["alternatives"] == []  # an appointment is kept, or refused
    r = visit(client, staff, town, "suzuki", wanted_at=iso(10, 30), duration_min=60)
    assert r.status_code == 200, r.text
    q = r.json()
    assert q["reason"]["code"] == "fully_booked" and q["missing_features"] == []
    assert q["alternatives"], q
    assert "代わりの時間: " in q["message_ja"]
    alt = q["alternatives"][0]
    a_start, a_end = _t(alt["appointment"]["start"]), _t(alt["appointment"]["end"])
    window = f"{a_start:%H:%M}〜{a_end:%H:%M}"
    assert alt["vehicle_id"] == nurse and alt["label_ja"] == f"訪問予定時間帯 {window}"
    assert f"代わりの時間: {window}" in q["message_ja"]
    assert a_start <= _t(alt["planned_start"]) <= a_end
    again = visit(client, staff, town, "suzuki", wanted_at=alt["wanted_at"], duration_min=60)
    assert again.status_code == 201, again.text
    assert again.json()["appointment"] == alt["appointment"]  # as offered


# -- bad input ---------------------------------------------------------------------------


@pytest.mark.sqlite_only
@pytest.mark.parametrize(
    ("change", "fields", "code"),
    [
        ({"appointment": {"start": iso(11), "end": iso(10)}}, ["appointment.end"], None),
        ({"appointment": {"start": iso(10), "end": iso(10)}}, ["appointment.end"], None),
        (
            {"appointment": {"start": iso(10), "end": iso(10, 30)}, "wanted_at": iso(10)},
            ["appointment", "wanted_at"],
            None,
        ),
        (
            {"appointment": None, "wanted_at": None, "_neither": True},
            ["appointment", "wanted_at"],
            None,
        ),
        ({"duration_min": 5}, ["duration_min"], None),
        ({"duration_min": 121}, ["duration_min"], None),
        ({"rider_id": 9999}, ["rider_id"], None),
        ({"wanted_at": iso(10, days=400)}, ["wanted_at"], "too_far_ahead"),
        ({"wanted_at": iso(7)}, ["wanted_at"], "time_in_past"),
        (
            {"appointment": {"start": iso(6), "end": iso(7)}},
            ["appointment.end"],
            "time_in_past",
        ),
        (
            {"appointment": {"start": iso(16), "end": iso(9, days=1)}},
            ["appointment.end"],
            None,
        ),
        ({"wanted_at": "2025-06-02T10:00:00"}, ["wanted_at"], None),  # no time zone
        ({"required_feature": ""}, ["required_feature"], None),
        ({"colour": "red"}, ["colour"], None),
    ],
)
def test_bad_visits_are_422_naming_the_field(client, staff, town, nurse, change, fields, code):
    body: dict[str, Any] = {
        "rider_id": town.riders["yamada"],
        "appointment": {"start": iso(10), "end": iso(10, 30)},
    }
    neither = change.pop("_neither", False)
    if "wanted_at" in change and "appointment" not in change:
        del body["appointment"]
    body.update(change)
    if neither:
        del body["appointment"], body["wanted_at"]
    r = client.post(V, json=body, headers=staff.headers("operator"))
    assert r.status_code == 422, r.text
    problem = r.json()
    assert [e["field"] for e in problem["errors"]] == fields, problem
    assert all(e["message_ja"] and e["message_en"] for e in problem["errors"])
    if code is not None:
        assert problem["code"] == code
    assert client.get(B, headers=staff.headers("dispatcher")).json() == []


@pytest.mark.sqlite_only
def test_a_patient_without_a_home_or_inactive_is_422(client, staff, town, nurse):
    op = staff.headers("operator")
    r = client.post(
        "/api/v1/riders",
        json={"registration_no": "T-0099", "name": "高橋 三郎", "eligibility": ["age_65"]},
        headers=op,
    )
    assert r.status_code == 201, r.text
    homeless = r.json()["id"]
    r = client.post(V, json={"rider_id": homeless, "wanted_at": iso(10)}, headers=op)
    assert r.status_code == 422 and r.json()["code"] == "no_home"
    assert r.json()["errors"][0]["field"] == "rider_id"
    assert "自宅" in r.json()["errors"][0]["message_ja"]
    r = client.patch(f"/api/v1/riders/{town.riders['sato']}", json={"active": False}, headers=op)
    assert r.status_code == 200, r.text
    r = visit(client, staff, town, "sato")
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "rider_id"


@pytest.mark.sqlite_only
def test_a_day_without_any_car_is_422(client, staff, town, nurse):
    r = visit(client, staff, town, wanted_at=iso(10, days=2))
    assert r.status_code == 422 and r.json()["code"] == "no_service"
    assert r.json()["errors"][0]["field"] == "wanted_at"


# -- idempotency and cancelling -------------------------------------------------------------


def test_a_retry_with_the_same_key_books_once(client, staff, town, nurse):
    first = visit(client, staff, town, key="clinic-call-1")
    again = visit(client, staff, town, key="clinic-call-1")
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json() and again.headers["Idempotent-Replayed"] == "true"
    assert len(client.get(B, headers=staff.headers("operator")).json()) == 1
    other = visit(client, staff, town, key="clinic-call-1", duration_min=60)
    assert other.status_code == 409 and other.json()["code"] == "idempotency_key_reused"
    # a refusal is replayed too (nothing was booked by either)
    no = visit(client, staff, town, "sato", key="clinic-call-2", required_feature="dialysis")
    assert no.status_code == 200 and not no.json()["feasible"]
    no_again = visit(client, staff, town, "sato", key="clinic-call-2", required_feature="dialysis")
    assert no_again.status_code == 200 and no_again.json() == no.json()


def test_cancelling_a_visit_frees_the_nurse_car(client, staff, town, nurse):
    slot = {"start": iso(10), "end": iso(10, 30)}
    first = visit(client, staff, town, appointment=slot, duration_min=60)
    assert first.status_code == 201, first.text
    busy = visit(client, staff, town, "suzuki", appointment=slot, duration_min=60)
    assert busy.status_code == 200 and not busy.json()["feasible"]
    bid = first.json()["id"]
    h = staff.headers("operator", **{"Idempotency-Key": f"cancel-{bid}"})
    r = client.post(f"{B}/{bid}/cancel", headers=h)
    assert r.status_code == 200 and r.json()["status"] == "cancelled", r.text
    assert r.json()["kind"] == "visit" and r.json()["visit"]["duration_min"] == 60
    assert client.post(f"{B}/{bid}/cancel", headers=h).json() == r.json()  # replayed
    assert [s for s in manifest(client, staff)["stops"] if s["booking_id"] == bid] == []
    free = visit(client, staff, town, "suzuki", appointment=slot, duration_min=60)
    assert free.status_code == 201, free.text
    twice = client.post(f"{B}/{bid}/cancel", headers=staff.headers("operator"))
    assert twice.status_code == 409 and twice.json()["code"] == "not_active"


# -- the plan, the manifest and the driver ---------------------------------------------------


def test_the_manifest_and_the_plan_show_the_visit_stop(client, staff, town, nurse):
    q = visit(client, staff, town, duration_min=45).json()
    stops = manifest(client, staff)["stops"]
    assert [(s["kind"], s["booking_id"]) for s in stops] == [("visit", q["id"])]
    stop = stops[0]
    assert stop["rider_name"] == "山田 花子" and stop["place"]["name"] == "自宅"
    assert stop["place"]["place_id"] == town.homes["yamada"]
    assert stop["promise"] == q["appointment"] and stop["latest_at"] == iso(10, 30)
    assert stop["duration_min"] == 45 and stop["party_size"] is None
    assert stop["service_start"] == q["planned_start"] and stop["status"] == "planned"
    assert _t(stop["departure"]) - _t(stop["service_start"]) == timedelta(minutes=45)
    assert stop["late_s"] == 0 and not stop["at_risk"]
    plan = client.get("/api/v1/plan", headers=staff.headers("planner")).json()
    [route] = [r for r in plan["routes"] if r["vehicle_id"] == nurse]
    [seen] = route["stops"]
    assert seen["kind"] == "visit" and seen["duration_min"] == 45
    assert seen["rider_name"] is None and seen["place"]["name"] == "自宅"  # no personal data
    others = [s for r in plan["routes"] if r["vehicle_id"] != nurse for s in r["stops"]]
    assert others == []  # only the nurse car can make it
    # the booking follows the plan's start
    assert booking(client, staff, q["id"])["visit"]["planned_start"] == stop["service_start"]


def test_the_driver_reports_the_visit_done_not_before_the_appointment(
    client, staff, town, nurse, clock
):
    q = visit(client, staff, town, duration_min=30).json()
    bid = q["id"]
    clock.set(9, 45)
    assert event(client, staff, {"type": "arrived", "booking_id": bid}).status_code == 200
    stop = manifest(client, staff)["stops"][0]
    assert (stop["kind"], stop["status"]) == ("visit", "arrived")
    # early: nothing changes, and the driver is told from when
    early = event(client, staff, {"type": "visited", "booking_id": bid})
    assert early.status_code == 409, early.text
    assert early.json()["code"] == "visit_not_begun"
    assert "10:00〜10:30" in early.json()["detail_ja"] and "10:00 以降" in early.json()["detail_ja"]
    assert "has not begun" in early.json()["detail_en"]
    assert booking(client, staff, bid)["status"] == "confirmed"
    # the wrong report for a visit stop
    wrong = event(client, staff, {"type": "dropped_off", "booking_id": bid})
    assert wrong.status_code == 409 and wrong.json()["code"] == "not_next_stop"
    clock.set(10, 35)
    done = event(client, staff, {"type": "visited", "booking_id": bid})
    assert done.status_code == 200, done.text
    assert done.json()["changed"] == [bid] and done.json()["broken"] == []
    assert booking(client, staff, bid)["status"] == "done"
    [stop] = manifest(client, staff)["stops"]
    assert (stop["kind"], stop["status"], stop["duration_min"]) == ("visit", "done", 30)
    assert at(10) <= _t(stop["service_start"]) <= at(10, 30)
    audit = client.get(
        "/api/v1/audit", params={"booking_id": bid}, headers=staff.headers("dispatcher")
    ).json()
    assert audit[0]["event"] == "visited" and audit[0]["message_ja"].startswith("訪問完了")
    again = event(client, staff, {"type": "visited", "booking_id": bid})
    assert again.status_code == 409 and again.json()["code"] == "not_next_stop"


def test_a_visit_reported_late_is_a_broken_appointment(client, staff, town, nurse, clock):
    q = visit(client, staff, town, duration_min=30).json()
    clock.set(11, 20)  # began 10:50, twenty minutes after the appointment
    r = event(client, staff, {"type": "visited", "booking_id": q["id"]})
    assert r.status_code == 200, r.text
    [bp] = r.json()["broken"]
    assert (bp["booking_id"], bp["what"], bp["by_s"]) == (q["id"], "appointment", 1200)
    assert bp["promised"] == q["appointment"]
    plan = client.get("/api/v1/plan", headers=staff.headers("dispatcher")).json()
    assert [b["booking_id"] for b in plan["broken_promises"]] == [q["id"]]
    assert booking(client, staff, q["id"])["status"] == "done"


def test_nobody_at_home_is_a_no_show_of_the_visit(client, staff, town, nurse, clock):
    q = visit(client, staff, town).json()
    clock.set(10, 5)
    r = event(client, staff, {"type": "no_show", "booking_id": q["id"]})
    assert r.status_code == 200, r.text
    assert booking(client, staff, q["id"])["status"] == "no_show"
    [stop] = manifest(client, staff)["stops"]
    assert (stop["kind"], stop["status"]) == ("visit", "no_show")
