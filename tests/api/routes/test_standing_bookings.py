"""Standing bookings (定期予約): register, change, end; each date's rides made ahead through
the quote path, never twice; the rides that cannot be kept listed as problems.

The test day is Monday 2 June 2025 (clock 07:30); "tomorrow" is Tuesday 3 June.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import Staff, Town, iso

URL = "/api/v1/standing-bookings"
TUE, WED, FRI = "2025-06-03", "2025-06-04", "2025-06-06"


def add_shifts(client: Any, staff: Staff, town: Town, days: int, hours: tuple[int, int]) -> None:
    for vid in town.vehicles:
        r = client.post(
            "/api/v1/shifts",
            json={
                "vehicle_id": vid,
                "start_at": iso(hours[0], days=days),
                "end_at": iso(hours[1], days=days),
            },
            headers=staff.headers("admin"),
        )
        assert r.status_code == 201, r.text


def dialysis(town: Town, **kw: Any) -> dict[str, Any]:
    """Yamada to hospital on Tuesdays and Fridays, there by 09:00, home 4 hours later."""
    body = {
        "rider_id": town.riders["yamada"],
        "pickup_place_id": town.homes["yamada"],
        "dropoff_place_id": town.places["hospital"],
        "weekdays": ["tue", "fri"],
        "arrive_by": "09:00",
        "return_after_min": 240,
    }
    body.update(kw)
    return {k: v for k, v in body.items() if v is not None}


def register(client: Any, staff: Staff, body: dict[str, Any]) -> dict[str, Any]:
    r = client.post(URL, json=body, headers=staff.headers("operator"))
    assert r.status_code == 201, r.text
    return r.json()


def materialise(client: Any, staff: Staff, day: str) -> dict[str, Any]:
    r = client.post(
        f"{URL}/materialise", params={"service_date": day}, headers=staff.headers("dispatcher")
    )
    assert r.status_code == 200, r.text
    return r.json()


def test_register_read_and_list_by_rider(client, staff, town):
    sb = register(client, staff, dialysis(town, note="透析"))
    assert sb["start_date"] == TUE  # default: tomorrow
    assert sb["arrive_by"] == "09:00" and sb["depart_at"] is None
    assert sb["return_at"] == "13:00" and sb["return_after_min"] == 240
    assert sb["next_dates"] == [TUE, FRI, "2025-06-10", "2025-06-13", "2025-06-17"]
    assert sb["pickup"]["place_id"] == town.homes["yamada"]
    assert sb["rider_name"] == "山田 花子"
    op = staff.headers("operator")
    assert client.get(f"{URL}/{sb['id']}", headers=op).json() == sb
    mine = client.get(URL, params={"rider_id": town.riders["yamada"]}, headers=op).json()
    assert [s["id"] for s in mine] == [sb["id"]]
    assert client.get(URL, params={"rider_id": town.riders["sato"]}, headers=op).json() == []
    assert client.get(URL, headers=staff.headers("planner")).status_code == 403
    assert client.get(f"{URL}/999", headers=op).status_code == 404


def test_a_retry_with_the_same_key_registers_once(client, staff, town):
    headers = staff.headers("operator", **{"Idempotency-Key": "standing-1"})
    first = client.post(URL, json=dialysis(town), headers=headers)
    again = client.post(URL, json=dialysis(town), headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert len(client.get(URL, headers=staff.headers("operator")).json()) == 1


@pytest.mark.sqlite_only
@pytest.mark.parametrize(
    ("change", "fields"),
    [
        ({"rider_id": 9999}, {"rider_id"}),
        ({"dropoff_place_id": 9999}, {"dropoff_place_id"}),
        ({"weekdays": []}, {"weekdays"}),
        ({"weekdays": ["tue", "someday"]}, {"weekdays.1"}),
        ({"start_date": "2025-06-10", "end_date": "2025-06-09"}, {"end_date"}),
        ({"start_date": "2025-05-01"}, {"start_date"}),
        ({"arrive_by": "06:00"}, {"arrive_by"}),
        ({"arrive_by": "25:00"}, {"arrive_by"}),
        ({"return_after_min": None, "return_at": "20:30"}, {"return_at"}),
        ({"return_after_min": None, "return_at": "08:00"}, {"return_at"}),
        ({"return_at": "14:00"}, {"return_at"}),
        ({"depart_at": "08:00"}, {"depart_at", "arrive_by"}),
        ({"dropoff_place_id": "home"}, {"dropoff_place_id"}),
    ],
)
def test_bad_input_is_422_naming_the_field(client, staff, town, change, fields):
    body = dialysis(town)
    body.update(change)
    body = {k: v for k, v in body.items() if v is not None}
    if body.get("dropoff_place_id") == "home":
        body["dropoff_place_id"] = town.homes["yamada"]  # = the pickup
    r = client.post(URL, json=body, headers=staff.headers("operator"))
    assert r.status_code == 422, r.text
    assert {e["field"] for e in r.json()["errors"]} == fields
    assert all(e["message_ja"] and e["message_en"] for e in r.json()["errors"])


@pytest.mark.sqlite_only
def test_another_riders_home_is_not_a_place_of_theirs(client, staff, town):
    body = dialysis(town, dropoff_place_id=town.homes["sato"])
    r = client.post(URL, json=body, headers=staff.headers("operator"))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "dropoff_place_id"


def test_materialise_books_both_rides_through_the_quote_path_once(client, staff, town):
    add_shifts(client, staff, town, 1, (8, 17))
    sb = register(client, staff, dialysis(town))
    out = materialise(client, staff, TUE)
    assert out["problems"] == [] and out["already"] == 0
    rides = sorted(out["booked"], key=lambda b: b["created_at"])
    assert len(rides) == 2
    there, back = sorted(rides, key=lambda b: b["arrive_by"] is None)
    assert there["arrive_by"] == "2025-06-03T09:00:00+09:00" and there["status"] == "confirmed"
    assert there["dropoff"]["place_id"] == town.places["hospital"]
    assert back["depart_at"] == "2025-06-03T13:00:00+09:00"
    assert back["pickup"]["place_id"] == town.places["hospital"]
    assert {b["standing_booking_id"] for b in rides} == {sb["id"]}
    assert there["promise"] is not None  # a promise like any confirmed ride
    # the same rows any list shows, with the link to the standing booking
    listed = client.get(
        "/api/v1/bookings", params={"service_date": TUE}, headers=staff.headers("operator")
    ).json()
    assert {b["id"] for b in listed} == {there["id"], back["id"]}
    again = materialise(client, staff, TUE)
    assert again["booked"] == [] and again["already"] == 2 and again["problems"] == []
    # a day it does not ride: nothing
    assert materialise(client, staff, WED)["booked"] == []


def test_a_ride_that_cannot_be_kept_is_a_problem_the_day_before(client, staff, town):
    add_shifts(client, staff, town, 1, (10, 17))  # Tuesday's cars start after 09:00
    sb = register(client, staff, dialysis(town))
    out = materialise(client, staff, TUE)
    assert [b["standing_booking_id"] for b in out["booked"]] == [sb["id"]]  # the return
    (problem,) = out["problems"]
    assert problem["leg"] == "outbound" and problem["service_date"] == TUE
    assert problem["arrive_by"] == "2025-06-03T09:00:00+09:00"
    assert problem["reason"] == {
        "code": "outside_service_hours",
        "message_ja": "運行時間外です",
        "message_en": "outside service hours",
    }
    assert problem["rider_name"] == "山田 花子"
    assert problem["alternatives"]  # the nearest times the quote offered instead
    for alt in problem["alternatives"]:
        assert alt["arrive_by"] > "2025-06-03T10:00:00+09:00"
    op = staff.headers("operator")
    listed = client.get(f"{URL}/problems", headers=op).json()  # default: tomorrow
    assert [p["id"] for p in listed] == [problem["id"]]
    assert client.get(f"{URL}/problems", params={"service_date": FRI}, headers=op).json() == []
    # running again does not duplicate the problem (nor the booked return)
    again = materialise(client, staff, TUE)
    assert again["already"] == 1 and [p["id"] for p in again["problems"]] == [problem["id"]]
    assert len(client.get(f"{URL}/problems", headers=op).json()) == 1
    # the operator takes the date out: the problem leaves the list, the return is cancelled
    r = client.patch(f"{URL}/{sb['id']}", json={"add_skip_dates": [TUE]}, headers=op)
    assert r.status_code == 200, r.text
    assert TUE in r.json()["skip_dates"] and TUE not in r.json()["next_dates"]
    assert client.get(f"{URL}/problems", headers=op).json() == []
    rides = client.get("/api/v1/bookings", params={"service_date": TUE}, headers=op).json()
    assert [b["status"] for b in rides] == ["cancelled"]


def test_a_day_without_service_is_reported_and_settled_by_a_later_run(client, staff, town):
    sb = register(client, staff, dialysis(town, return_after_min=None))
    out = materialise(client, staff, TUE)  # no car runs on Tuesday yet
    assert [p["reason"]["code"] for p in out["problems"]] == ["no_service"]
    add_shifts(client, staff, town, 1, (8, 17))
    later = materialise(client, staff, TUE)
    assert [b["standing_booking_id"] for b in later["booked"]] == [sb["id"]]
    op = staff.headers("operator")
    assert client.get(f"{URL}/problems", params={"service_date": TUE}, headers=op).json() == []
    # a rider whose registration ended: Friday's ride is a problem, not a booking
    r = client.patch(f"/api/v1/riders/{town.riders['yamada']}", json={"active": False}, headers=op)
    assert r.status_code == 200, r.text
    add_shifts(client, staff, town, 4, (8, 17))
    friday = materialise(client, staff, FRI)
    assert friday["booked"] == [] and friday["problems"][0]["reason"]["code"] == "rider_inactive"


@pytest.mark.sqlite_only
def test_materialise_checks_its_date(client, staff, town):
    r = client.post(
        f"{URL}/materialise",
        params={"service_date": "2025-06-01"},
        headers=staff.headers("dispatcher"),
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "service_date"
    r = client.post(
        f"{URL}/materialise",
        params={"service_date": "2025-06-17"},  # beyond the 14 days of booking horizon
        headers=staff.headers("dispatcher"),
    )
    assert r.status_code == 422 and r.json()["code"] == "too_far_ahead"
    r = client.post(f"{URL}/materialise", headers=staff.headers("dispatcher"))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "service_date"
    r = client.post(
        f"{URL}/materialise", params={"service_date": TUE}, headers=staff.headers("planner")
    )
    assert r.status_code == 403


def test_patch_changes_times_and_exceptions(client, staff, town):
    sb = register(client, staff, dialysis(town))
    op = staff.headers("operator")
    r = client.patch(
        f"{URL}/{sb['id']}",
        json={"depart_at": "08:15", "return_at": "12:30", "add_skip_dates": [FRI]},
        headers=op,
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["depart_at"], body["arrive_by"], body["return_at"]) == ("08:15", None, "12:30")
    assert body["return_after_min"] is None
    assert body["next_dates"][:2] == [TUE, "2025-06-10"]
    r = client.patch(f"{URL}/{sb['id']}", json={"return_at": "08:00"}, headers=op)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "return_at"
    r = client.patch(f"{URL}/{sb['id']}", json={"weekdays": None}, headers=op)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "weekdays"
    r = client.patch(f"{URL}/{sb['id']}", json={"end_date": "2025-06-01"}, headers=op)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "end_date"
    unchanged = client.get(f"{URL}/{sb['id']}", headers=op).json()
    assert unchanged["depart_at"] == "08:15" and unchanged["end_date"] is None


def test_ending_keeps_past_rides_and_cancels_later_ones(client, staff, town, clock):
    add_shifts(client, staff, town, 1, (8, 17))
    sb = register(client, staff, dialysis(town, return_after_min=None))
    (ride,) = materialise(client, staff, TUE)["booked"]
    op = staff.headers("operator")
    r = client.delete(f"{URL}/{sb['id']}", headers=op)
    assert r.status_code == 200, r.text
    assert r.json()["active"] is False and r.json()["next_dates"] == []
    assert client.get(f"/api/v1/bookings/{ride['id']}", headers=op).json()["status"] == (
        "cancelled"
    )
    assert client.get(URL, headers=op).json() == []
    ended = client.get(URL, params={"include_ended": True}, headers=op).json()
    assert [s["id"] for s in ended] == [sb["id"]]
    assert materialise(client, staff, FRI)["booked"] == []


def test_the_operator_books_an_alternative_and_settles_the_problem(client, staff, town):
    add_shifts(client, staff, town, 1, (10, 17))
    sb = register(client, staff, dialysis(town))
    (problem,) = materialise(client, staff, TUE)["problems"]
    alt = problem["alternatives"][0]
    op = staff.headers("operator")
    q = client.post(
        "/api/v1/quotes",
        json={
            "rider_id": town.riders["yamada"],
            "pickup_place_id": problem["pickup"]["place_id"],
            "dropoff_place_id": problem["dropoff"]["place_id"],
            "arrive_by": alt["arrive_by"],
        },
        headers=op,
    )
    assert q.status_code == 201, q.text
    ride = q.json()["id"]
    assert client.post(f"/api/v1/quotes/{ride}/confirm", headers=op).status_code == 200
    settle = f"{URL}/problems/{problem['id']}/settle"
    other = client.post(
        "/api/v1/quotes",
        json={
            "rider_id": town.riders["sato"],
            "pickup_place_id": town.homes["sato"],
            "dropoff_place_id": town.places["station"],
            "depart_at": iso(11, days=1),
        },
        headers=op,
    ).json()["id"]
    for wrong in (other, "20250603-999"):  # another rider's ride, no ride
        r = client.post(settle, json={"booking_id": wrong}, headers=op)
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "booking_id"
    r = client.post(settle, json={"booking_id": ride}, headers=op)
    assert r.status_code == 200, r.text
    assert r.json()["booking_id"] == ride and r.json()["resolved_at"] is not None
    assert client.post(settle, json={}, headers=op).status_code == 409
    assert client.get(f"{URL}/problems", headers=op).json() == []
    linked = client.get(f"/api/v1/bookings/{ride}", headers=op).json()
    assert linked["standing_booking_id"] == sb["id"]
    # a later run leaves the settled ride alone: nothing booked twice
    again = materialise(client, staff, TUE)
    assert again["booked"] == [] and again["problems"] == [] and again["already"] == 2
    assert client.post(f"{URL}/problems/999/settle", json={}, headers=op).status_code == 404


def test_a_problem_settled_without_a_ride_is_left_alone(client, staff, town):
    register(client, staff, dialysis(town, return_after_min=None))
    (problem,) = materialise(client, staff, TUE)["problems"]  # no car runs on Tuesday
    op = staff.headers("operator")
    r = client.post(f"{URL}/problems/{problem['id']}/settle", json={}, headers=op)
    assert r.status_code == 200 and r.json()["booking_id"] is None
    add_shifts(client, staff, town, 1, (8, 17))
    assert materialise(client, staff, TUE)["booked"] == []  # the rider goes another way
