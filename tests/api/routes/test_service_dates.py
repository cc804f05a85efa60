"""Service dates: a year either side of today, else a 422 naming the field, everywhere.

Found by fuzzing a booked day: ``service_date=0001-01-01`` on ``GET /plan`` and a
vehicle's manifest was a 500 (OverflowError: date value out of range).
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from api.deps import SERVICE_DATE_DAYS
from api.problems import PROBLEM_JSON
from tests.api.conftest import DAY, iso, quote_body

SPAN = timedelta(days=SERVICE_DATE_DAYS)
FIRST, LAST = DAY - SPAN, DAY + SPAN  # the test clock's today is DAY

#: (role, method, path) of every endpoint with a ``service_date`` query parameter.
DATE_QUERIES = [
    ("dispatcher", "GET", "/api/v1/plan"),
    ("dispatcher", "GET", "/api/v1/vehicles/car-1/manifest"),
    ("driver", "GET", "/api/v1/vehicles/car-1/manifest"),
    ("dispatcher", "GET", "/api/v1/shifts"),
    ("dispatcher", "GET", "/api/v1/bookings"),
    ("dispatcher", "GET", "/api/v1/audit"),
    ("dispatcher", "POST", "/api/v1/plan/reoptimise"),
]


def assert_out_of_range(response, field: str = "service_date") -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    body = response.json()
    assert body["status"] == 422 and body["detail_ja"] and body["detail_en"]
    [error] = body["errors"]
    assert error["field"] == field
    assert error["message_ja"] and error["message_en"]


@pytest.mark.sqlite_only
@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
@pytest.mark.parametrize(
    "path", ["/api/v1/plan", "/api/v1/vehicles/car-1/manifest"], ids=["plan", "manifest"]
)
def test_the_ends_of_the_calendar_are_422_not_500(client, staff, booked_day, path, day):
    r = client.get(path, params={"service_date": day}, headers=staff.headers("dispatcher"))
    assert_out_of_range(r)
    assert r.json()["code"] == "service_date_out_of_range"
    assert FIRST.isoformat() in r.json()["errors"][0]["message_en"]
    assert LAST.isoformat() in r.json()["errors"][0]["message_en"]


@pytest.mark.parametrize(
    "path", ["/api/v1/plan", "/api/v1/vehicles/car-1/manifest"], ids=["plan", "manifest"]
)
def test_the_range_is_a_year_either_side_of_today(client, staff, booked_day, path):
    dispatcher = staff.headers("dispatcher")
    for inside in (FIRST, LAST, DAY):
        r = client.get(path, params={"service_date": inside.isoformat()}, headers=dispatcher)
        assert r.status_code == 200, (inside, r.text)
        assert r.json()["service_date"] == inside.isoformat()
    for outside in (FIRST - timedelta(days=1), LAST + timedelta(days=1)):
        r = client.get(path, params={"service_date": outside.isoformat()}, headers=dispatcher)
        assert_out_of_range(r)
    today = client.get(path, headers=dispatcher).json()
    stops = today["stops"] if "stops" in today else [s for r in today["routes"] for s in r["stops"]]
    assert stops, "the booked day is there by default"


@pytest.mark.sqlite_only
@pytest.mark.parametrize(("role", "method", "path"), DATE_QUERIES)
def test_every_service_date_query_is_checked(client, staff, booked_day, role, method, path):
    for day in ("0001-01-01", (LAST + timedelta(days=1)).isoformat()):
        r = client.request(method, path, params={"service_date": day}, headers=staff.headers(role))
        assert_out_of_range(r)


@pytest.mark.sqlite_only
def test_a_locked_route_of_another_day_is_checked(client, staff, booked_day):
    r = client.post(
        "/api/v1/overrides/lock",
        json={"vehicle_id": "car-1", "service_date": "0001-01-01"},
        headers=staff.headers("dispatcher"),
    )
    assert_out_of_range(r)


def test_shift_and_delivery_days_are_checked(client, staff, booked_day):
    admin = staff.headers("admin")
    far = (LAST + timedelta(days=1)).isoformat()
    r = client.post(
        "/api/v1/shifts",
        json={"vehicle_id": "car-1", "start_at": f"{far}T08:00:00+09:00",
              "end_at": f"{far}T17:00:00+09:00"},
        headers=admin,
    )  # fmt: skip
    assert_out_of_range(r, "start_at")
    last = LAST.isoformat()
    r = client.post(
        "/api/v1/shifts",
        json={"vehicle_id": "car-1", "start_at": f"{last}T08:00:00+09:00",
              "end_at": f"{last}T17:00:00+09:00"},
        headers=admin,
    )  # fmt: skip
    assert r.status_code == 201, r.text
    town = booked_day.town
    r = client.post(
        "/api/v1/deliveries",
        json={"shop_place_id": town.places["supermarket"], "rider_id": town.riders["sato"],
              "ready_at": f"{far}T10:00:00+09:00"},
        headers=staff.headers("operator"),
    )  # fmt: skip
    assert_out_of_range(r, "ready_at")


@pytest.mark.sqlite_only
@pytest.mark.parametrize(
    ("field", "value"),
    [("depart_at", "9999-12-31T23:00:00-12:00"), ("depart_at", "0001-01-01T00:00:00+14:00")],
)
def test_times_at_the_ends_of_the_calendar_are_422(client, staff, booked_day, field, value):
    body = quote_body(booked_day.town, "sato", **{field: value})
    r = client.post("/api/v1/quotes", json=body, headers=staff.headers("operator"))
    assert r.status_code == 422, r.text
    [error] = r.json()["errors"]
    assert error["field"] == field and "out of range" in error["message_en"]
    shift = {"vehicle_id": "car-1", "start_at": value, "end_at": iso(17)}
    r = client.post("/api/v1/shifts", json=shift, headers=staff.headers("admin"))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "start_at", r.text
