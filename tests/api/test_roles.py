"""Every role boundary: each endpoint answers 403 to every role that may not call it.

Personal data (riders, names, phone numbers, homes) is for operators and dispatchers;
drivers see their own vehicle; planners see plans and bookings without names; admins
manage staff, vehicles and places. (The redaction itself is tested per resource.)
"""

from __future__ import annotations

import re

import pytest

from api.vocab import Role
from tests.api.conftest import iso

ALL = {r.value for r in Role}
OP_DISP = {"operator", "dispatcher"}
FLEET_VIEW = {"dispatcher", "planner", "admin", "driver"}
PLAN_VIEW = {"dispatcher", "planner", "admin"}
FLEET = {"dispatcher", "admin"}
DRONE = {"id": "d9", "name": "x", "base_id": 1, "payload_kg": 5, "range_km": 10, "cruise_kmh": 36}

#: (method, path, body, roles allowed)
ENDPOINTS = [
    ("GET", "/auth/me", None, ALL),
    ("GET", "/auth/tokens", None, ALL),
    ("POST", "/auth/tokens", {"label": "x"}, ALL),
    ("DELETE", "/auth/tokens/999", None, ALL),
    ("GET", "/users", None, {"admin"}),
    ("POST", "/users", {"name": "new-one", "role": "operator"}, {"admin"}),
    ("POST", "/users/1/tokens", {"label": "x"}, {"admin"}),
    ("POST", "/users/1/deactivate", None, {"admin"}),
    ("GET", "/riders", None, OP_DISP),
    (
        "POST",
        "/riders",
        {"registration_no": "R-1", "name": "x", "eligibility": ["age_65"]},
        OP_DISP,
    ),
    ("GET", "/riders/1", None, OP_DISP),
    ("GET", "/riders/1/recent", None, OP_DISP),
    ("PATCH", "/riders/1", {"notes": "x"}, OP_DISP),
    ("GET", "/places", None, ALL),
    ("GET", "/places/1", None, ALL),
    (
        "POST",
        "/places",
        {"name": "x", "lon": 139.4137, "lat": 35.6980},
        {"operator", "dispatcher", "admin"},
    ),
    ("PATCH", "/places/1", {"name": "y"}, {"operator", "dispatcher", "admin"}),
    (
        "POST",
        "/quotes",
        {"rider_id": 1, "pickup_place_id": 1, "dropoff_place_id": 2, "depart_at": iso(9)},
        OP_DISP,
    ),
    ("POST", "/quotes/x/confirm", None, OP_DISP),
    ("DELETE", "/quotes/x", None, OP_DISP),
    ("GET", "/bookings", None, {"operator", "dispatcher", "planner"}),
    ("GET", "/bookings/x", None, {"operator", "dispatcher", "planner"}),
    ("POST", "/bookings/x/cancel", None, OP_DISP),
    ("POST", "/deliveries", {"shop_place_id": 1, "rider_id": 1}, OP_DISP),
    ("POST", "/visits", {"rider_id": 1, "wanted_at": iso(10)}, OP_DISP),
    ("GET", "/standing-bookings", None, OP_DISP),
    (
        "POST",
        "/standing-bookings",
        {"rider_id": 1, "pickup_place_id": 1, "dropoff_place_id": 2, "weekdays": ["tue"]},
        OP_DISP,
    ),
    ("GET", "/standing-bookings/problems", None, OP_DISP),
    ("POST", "/standing-bookings/materialise", None, OP_DISP),
    ("POST", "/standing-bookings/problems/1/settle", {}, OP_DISP),
    ("GET", "/standing-bookings/1", None, OP_DISP),
    ("PATCH", "/standing-bookings/1", {"note": "x"}, OP_DISP),
    ("DELETE", "/standing-bookings/999", None, OP_DISP),
    ("GET", "/vehicles", None, FLEET_VIEW),
    ("GET", "/vehicles/car-1", None, FLEET_VIEW),
    (
        "POST",
        "/vehicles",
        {"id": "v9", "name": "x", "seats": 3, "depot_place_id": 1},
        {"dispatcher", "admin"},
    ),
    ("GET", "/vehicles/car-1/manifest", None, {"driver", "dispatcher"}),
    (
        "POST",
        "/vehicles/car-1/events",
        {"type": "delayed", "delay_min": 1},
        {"driver", "dispatcher"},
    ),
    (
        "POST",
        "/vehicles/car-1/position",
        {"lon": 139.4137, "lat": 35.6980},
        {"driver", "dispatcher"},
    ),
    ("GET", "/shifts", None, FLEET_VIEW),
    (
        "POST",
        "/shifts",
        {"vehicle_id": "car-1", "start_at": iso(8, days=3), "end_at": iso(12, days=3)},
        {"dispatcher", "admin"},
    ),
    ("DELETE", "/shifts/999", None, {"dispatcher", "admin"}),
    ("GET", "/plan", None, {"dispatcher", "planner", "admin"}),
    ("POST", "/plan/reoptimise", {"time_limit_s": 0.5}, {"dispatcher"}),
    ("GET", "/plan/at?at=" + iso(8), None, PLAN_VIEW),
    ("GET", "/plan/moments", None, PLAN_VIEW),
    ("GET", "/plan/summary", None, PLAN_VIEW),
    (
        "POST",
        "/vehicles/car-1/events/preview",
        {"type": "delayed", "delay_min": 1},
        {"driver", "dispatcher"},
    ),
    ("POST", "/overrides/move/preview", {"booking_id": "x", "vehicle_id": "car-1"}, {"dispatcher"}),
    ("GET", "/overrides/move/options?booking_id=x", None, {"dispatcher"}),
    ("POST", "/overrides/pin", {"booking_id": "x", "vehicle_id": "car-1"}, {"dispatcher"}),
    ("POST", "/overrides/move", {"booking_id": "x", "vehicle_id": "car-1"}, {"dispatcher"}),
    ("POST", "/overrides/lock", {"vehicle_id": "car-1"}, {"dispatcher"}),
    ("POST", "/overrides/unlock", {"vehicle_id": "car-1"}, {"dispatcher"}),
    ("GET", "/audit", None, {"dispatcher", "planner", "admin"}),
    ("GET", "/drone-bases", None, PLAN_VIEW),
    ("POST", "/drone-bases", {"name": "x", "place_id": 1}, FLEET),
    ("GET", "/drone-bases/1", None, PLAN_VIEW),
    ("PATCH", "/drone-bases/1", {"name": "y"}, FLEET),
    ("DELETE", "/drone-bases/999", None, FLEET),
    ("GET", "/drones", None, PLAN_VIEW),
    ("POST", "/drones", DRONE, FLEET),
    ("GET", "/drones/x", None, PLAN_VIEW),
    ("PATCH", "/drones/x", {"name": "y"}, FLEET),
    ("DELETE", "/drones/x", None, FLEET),
    ("POST", "/drones/grounded", {"start": iso(9), "end": iso(10)}, {"dispatcher"}),
    ("GET", "/drones/grounded", None, PLAN_VIEW),
    ("POST", "/drones/grounded/x/lift", None, {"dispatcher"}),
    ("GET", "/flights", None, PLAN_VIEW),
    ("PUT", "/riders/1/pin", {"pin": "2468"}, {"operator", "dispatcher", "admin"}),
    ("POST", "/riders/1/one-time-code", None, {"operator", "dispatcher", "admin"}),
    ("GET", "/call-list", None, OP_DISP),
    ("GET", "/outbox", None, OP_DISP),
    ("POST", "/outbox/reminders", None, OP_DISP),
]


@pytest.mark.sqlite_only
@pytest.mark.parametrize(
    ("method", "path", "body", "allowed"),
    ENDPOINTS,
    ids=[f"{m} {p}" for m, p, _, _ in ENDPOINTS],
)
def test_wrong_roles_get_403(client, staff, method, path, body, allowed):
    for role in sorted(ALL - allowed):
        r = client.request(method, "/api/v1" + path, json=body, headers=staff.headers(role))
        assert r.status_code == 403, (role, r.status_code, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["code"] == "forbidden" and r.json()["detail_ja"]
    for role in sorted(allowed):
        r = client.request(method, "/api/v1" + path, json=body, headers=staff.headers(role))
        assert r.status_code not in (401, 403, 500), (role, r.status_code, r.text)


def _template(path: str) -> str:
    """A path with its ids as ``{}`` (``/bookings/x/cancel`` -> ``/bookings/{}/cancel``),
    without its query."""
    return re.sub(r"/(\{[a-z_]+\}|\d+|x|car-1)(?=/|$)", "/{}", path.split("?")[0])


@pytest.mark.sqlite_only
def test_every_api_route_is_in_the_table(app):
    listed = {(m, _template("/api/v1" + p)) for m, p, _, _ in ENDPOINTS}
    # residents' routes take a resident's sign-in, never a staff token (test_resident.py)
    public = ("/api/v1/map", "/api/v1/health", "/api/v1/clock", "/api/v1/resident/")
    routes = {
        (method.upper(), _template(path))
        for path, operations in app.openapi()["paths"].items()
        if path.startswith("/api/v1/") and not path.startswith(public)
        for method in operations
    }
    assert routes == listed, (sorted(routes - listed), sorted(listed - routes))


@pytest.mark.sqlite_only
def test_drivers_never_see_residents_phone_numbers(client, staff, town):
    op = staff.headers("operator")
    q = client.post(
        "/api/v1/quotes",
        json={
            "rider_id": town.riders["yamada"],
            "pickup_place_id": town.homes["yamada"],
            "dropoff_place_id": town.places["hospital"],
            "depart_at": iso(9),
        },
        headers=op,
    ).json()
    client.post(f"/api/v1/quotes/{q['id']}/confirm", headers=op)
    vehicle = q["vehicle_id"]
    headers = staff.headers("driver" if vehicle == "car-1" else "dispatcher")
    text = client.get(f"/api/v1/vehicles/{vehicle}/manifest", headers=headers).text
    assert "042" not in text and "ヤマダ" not in text and "T-0001" not in text
