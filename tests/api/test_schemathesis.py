"""Schemathesis against the OpenAPI schema: whatever it sends, the service never answers 500.

Bounded: a few positive and negative examples per operation (derandomised, no example
database), each sent with the token of a role allowed to call it, against a service
holding a real day (saved places, vehicles, shifts, riders, confirmed rides and a
delivery, a held quote: `tests.api.conftest.book_day`) and a drone fleet (a hall with
a pad, a base at the supermarket, a drone: `add_drones`) and a standing booking whose
rides cannot be kept tomorrow (no car runs then), so requests get past sign-in
and reach a day with routes and flights, not an empty database.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import timedelta

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from api.db.models import ResidentSession
from api.security import hash_token, new_resident_token
from tests.api.conftest import BookedDay, book_day, iso
from tests.api.routes.test_standing_bookings import dialysis, materialise, register
from tests.api.test_roles import ENDPOINTS

EXAMPLES = 6
#: Only a hang fails on time: schemathesis's default 10 s read timeout once failed a
#: plain POST /users on a busy CI machine (a wall-clock check, which tests do not make).
HANG_S = 300
#: Runs a full solve of up to `time_limit_s` per call: tested in routes/test_plan.py.
SKIPPED = {"/api/v1/plan/reoptimise"}
PREFERENCE = ("dispatcher", "operator", "admin", "driver", "planner")


def _template(path: str) -> str:
    return re.sub(r"/(\{[a-z_]+\}|\d+|x|car-1)(?=/|$)", "/{}", path)


def role_for(method: str, path: str) -> str:
    for m, p, _, allowed in ENDPOINTS:
        if m == method and _template("/api/v1" + p) == _template(path):
            return next(r for r in PREFERENCE if r in allowed)
    return "dispatcher"  # public routes (map, health) ignore the token


@pytest.fixture
def booked_day(client, staff, town) -> BookedDay:
    """`tests.api.conftest.book_day` on a fleet with the clinic's car too (feature
    ``nurse``), and a home visit (訪問診療) on it, so visit stops are fuzzed as well."""
    admin = staff.headers("admin")
    car = {"id": "nurse-1", "name": "訪問診療車", "seats": 2, "features": ["nurse"]}
    r = client.post(
        "/api/v1/vehicles",
        json={**car, "depot_place_id": town.places["depot"]},
        headers=admin,
    )
    assert r.status_code == 201, r.text
    shift = {"vehicle_id": "nurse-1", "start_at": iso(8), "end_at": iso(17)}
    assert client.post("/api/v1/shifts", json=shift, headers=admin).status_code == 201
    day = book_day(client, staff, town)
    visit = {"rider_id": town.riders["suzuki"], "wanted_at": iso(10), "note": "往診"}
    r = client.post("/api/v1/visits", json=visit, headers=staff.headers("operator"))
    assert r.status_code == 201, r.text
    manifest = client.get(
        "/api/v1/vehicles/nurse-1/manifest", headers=staff.headers("dispatcher")
    ).json()
    assert "visit" in [s["kind"] for s in manifest["stops"]]  # (it may carry rides too)
    day.confirmed.append(r.json()["id"])
    # 定期予約, so its routes find one (id 1) and tomorrow has problems to list
    register(client, staff, dialysis(town))
    assert materialise(client, staff, "2025-06-03")["problems"]
    return day


def fuzz(operation, mode, token: str, statuses: Counter[int], failures: list[str]) -> None:  # type: ignore[no-untyped-def]
    """Send a few generated requests of one operation; note every 5xx."""

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case) -> None:  # type: ignore[no-untyped-def]
        response = case.call(headers={"Authorization": f"Bearer {token}"}, timeout=HANG_S)
        statuses[response.status_code] += 1
        if response.status_code >= 500:
            failures.append(
                f"{case.method} {case.formatted_path} -> {response.status_code}: "
                f"{case.body!r:.200} {response.text[:300]}"
            )

    run()


def resident_token(app, rider_id: int) -> str:
    """A fresh sign-in of a resident (made directly: the fuzzer signs out, and its sign-ins
    use up the rate limit)."""
    token = new_resident_token()
    rt = app.state.runtime
    with rt.writer() as session:
        session.add(
            ResidentSession(
                rider_id=rider_id,
                token_hash=hash_token(token),
                created_at=rt.now(),
                expires_at=rt.now() + timedelta(hours=1),
            )
        )
        session.commit()
    return token


def add_drones(client, staff, booked_day) -> None:
    """A hall with a drone pad, a drone base at the supermarket, a drone, and one order
    flown there."""
    admin = staff.headers("admin")
    hall = client.post(
        "/api/v1/places",
        json={
            "name": "東公民館",
            "kind": "community_hall",
            "lon": 139.4230,
            "lat": 35.6960,
            "hall": {"drone_pad": True, "reach_m": 10_000},
        },
        headers=admin,
    ).json()["id"]
    supermarket = booked_day.town.places["supermarket"]
    base = client.post(
        "/api/v1/drone-bases", json={"name": "拠点", "place_id": supermarket}, headers=admin
    ).json()["id"]
    drone = {"id": "d1", "name": "1号", "base_id": base, "payload_kg": 5, "range_km": 10}
    r = client.post("/api/v1/drones", json={**drone, "cruise_kmh": 36}, headers=admin)
    assert r.status_code == 201, r.text
    r = client.post(
        "/api/v1/deliveries",
        json={
            "shop_place_id": supermarket,
            "rider_id": booked_day.town.riders["yamada"],
            "hall_place_id": hall,
            "weight_kg": 1,
        },
        headers=staff.headers("operator"),
    )
    assert r.status_code == 201 and r.json()["drone"] is not None, r.text


@pytest.mark.sqlite_only
def test_no_request_gets_a_500(app, client, staff, booked_day):
    plan = client.get("/api/v1/plan", headers=staff.headers("dispatcher")).json()
    assert {s["booking_id"] for r in plan["routes"] for s in r["stops"]} >= set(
        booked_day.confirmed
    )
    add_drones(client, staff, booked_day)
    assert client.get("/api/v1/flights", headers=staff.headers("dispatcher")).json()
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    statuses: Counter[int] = Counter()
    failures: list[str] = []
    operations = [
        op for op in (r.ok() for r in schema.get_all_operations()) if op.path not in SKIPPED
    ]
    assert len(operations) >= 40
    yamada = booked_day.town.riders["yamada"]
    for operation in operations:
        token = staff.tokens[role_for(operation.method.upper(), operation.path)]
        if operation.path.startswith("/api/v1/resident/"):
            token = resident_token(app, yamada)
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                fuzz(operation, mode, token, statuses, failures)
            except Unsatisfiable:
                assert mode is GenerationMode.NEGATIVE  # nothing to get wrong (no inputs)
    assert not failures, "\n".join(failures[:10])
    assert sum(statuses.values()) > 200
    print(dict(sorted(statuses.items())))
    assert {200, 422} <= set(statuses), statuses


#: Dates a fuzzer reaches only with luck (the 500 of ``service_date=0001-01-01`` took
#: some 4,000 generated calls): sent to every date query parameter of the schema.
CALENDAR_ENDS = ("0001-01-01", "9999-12-31")


def _is_date(schema: dict) -> bool:
    return schema.get("format") == "date" or any(_is_date(s) for s in schema.get("anyOf", ()))


def date_parameters(openapi: dict) -> list[tuple[str, str, str]]:
    """(method, path, name) of every query parameter of the schema that is a date."""
    return [
        (method.upper(), path, p["name"])
        for path, item in openapi["paths"].items()
        for method, op in item.items()
        for p in op.get("parameters", ())
        if p["in"] == "query" and _is_date(p.get("schema", {}))
    ]


@pytest.mark.sqlite_only
def test_every_date_parameter_refuses_the_ends_of_the_calendar(app, client, staff, booked_day):
    found = date_parameters(app.openapi())
    assert {path for _, path, _ in found} >= {
        "/api/v1/plan",
        "/api/v1/plan/reoptimise",
        "/api/v1/vehicles/{vehicle_id}/manifest",
        "/api/v1/shifts",
        "/api/v1/bookings",
        "/api/v1/audit",
    }
    ids = {"vehicle_id": "car-1", "booking_id": booked_day.confirmed[0]}
    for method, path, name in found:
        url = re.sub(r"\{(\w+)\}", lambda m: str(ids.get(m.group(1), 1)), path)
        token = staff.tokens[role_for(method, path)]
        for day in CALENDAR_ENDS:
            r = client.request(
                method, url, params={name: day}, headers={"Authorization": f"Bearer {token}"}
            )
            assert r.status_code == 422, (method, url, day, r.status_code, r.text[:300])
            assert [e["field"] for e in r.json()["errors"]] == [name]
