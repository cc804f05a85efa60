"""Residents booking themselves: sign-in with the registration number and a PIN or a
one-time code, the operator's quote and promise, their own bookings only, rate limits."""

from __future__ import annotations

from typing import Any

import pytest

from api.main import create_app
from api.security import hash_secret, verify_secret
from tests.api.conftest import iso, quote_body, seed_town

R = "/api/v1/resident"
PIN = "2468"


def set_pin(client, staff, rider_id: int, pin: str = PIN, role: str = "operator") -> None:
    r = client.put(f"/api/v1/riders/{rider_id}/pin", json={"pin": pin}, headers=staff.headers(role))
    assert r.status_code == 204, r.text


def sign_in(client, reg: str, pin: str = PIN) -> dict[str, str]:
    r = client.post(f"{R}/sign-in", json={"registration_no": reg, "pin": pin})
    assert r.status_code == 201, r.text
    assert r.json()["token"].startswith("res_")
    return {"Authorization": f"Bearer {r.json()['token']}"}


def ask(town, rider: str = "yamada", **kw: Any) -> dict[str, Any]:
    body = quote_body(town, rider, **kw)
    body.pop("rider_id")
    return body


@pytest.fixture
def yamada(client, staff, town) -> dict[str, str]:
    """The signed-in headers of 山田 (T-0001)."""
    set_pin(client, staff, town.riders["yamada"])
    return sign_in(client, "T-0001")


def test_secrets_are_slow_hashes_that_verify():
    stored = hash_secret("2468")
    assert stored.startswith("scrypt$") and "2468" not in stored
    assert verify_secret("2468", stored) and not verify_secret("2469", stored)
    assert hash_secret("2468") != stored  # salted
    assert not verify_secret("2468", "md5$nonsense") and not verify_secret("2468", "x")


def test_a_resident_books_the_operators_quote_sees_it_and_cancels(client, staff, town, yamada):
    me = client.get(f"{R}/me", headers=yamada).json()
    assert me["name"] == "山田 花子" and me["home"]["id"] == town.homes["yamada"]
    kinds = {p["kind"] for p in me["places"]}
    assert "hospital" in kinds and not kinds & {"home", "depot"}
    # the resident's quote is the operator's: same window, same vehicle, same words
    mine = client.post(f"{R}/quotes", json=ask(town), headers=yamada)
    assert mine.status_code == 201 and mine.json()["feasible"], mine.text
    assert client.delete(f"{R}/quotes/{mine.json()['id']}", headers=yamada).status_code == 204
    op = client.post("/api/v1/quotes", json=quote_body(town), headers=staff.headers("operator"))
    for key in ("pickup_window", "vehicle_id", "expected_pickup", "latest_arrival"):
        assert mine.json()[key] == op.json()[key], key
    client.delete(f"/api/v1/quotes/{op.json()['id']}", headers=staff.headers("operator"))
    q = client.post(f"{R}/quotes", json=ask(town), headers=yamada).json()
    booked = client.post(f"{R}/quotes/{q['id']}/confirm", headers=yamada)
    assert booked.status_code == 200, booked.text
    b = booked.json()
    assert b["status"] == "confirmed" and b["promise"] == q["pickup_window"]
    assert b["rider_id"] == town.riders["yamada"] and b["note"] == ""
    # the office sees it as any booking, made by the resident (no staff member)
    office = client.get(f"/api/v1/bookings/{q['id']}", headers=staff.headers("operator")).json()
    assert office["status"] == "confirmed" and office["promise"] == b["promise"]
    listed = client.get(f"{R}/bookings", headers=yamada).json()
    assert [x["id"] for x in listed] == [q["id"]]
    again = client.post(f"{R}/quotes/{q['id']}/confirm", headers=yamada)
    assert again.status_code == 409
    gone = client.post(f"{R}/bookings/{q['id']}/cancel", headers=yamada)
    assert gone.status_code == 200 and gone.json()["status"] == "cancelled"
    assert client.post(f"{R}/bookings/{q['id']}/cancel", headers=yamada).status_code == 409
    assert [x["status"] for x in client.get(f"{R}/bookings", headers=yamada).json()] == [
        "cancelled"
    ]
    audit = client.get("/api/v1/audit", headers=staff.headers("dispatcher"))
    assert audit.status_code == 200, audit.text
    names = {e["actor"] for e in audit.json() if e.get("booking_id") == q["id"]}
    assert "利用者本人（ウェブ）" in names


def test_a_resident_sees_and_touches_only_their_own_bookings(client, staff, town, yamada):
    op = staff.headers("operator")
    theirs = client.post("/api/v1/quotes", json=quote_body(town, "sato"), headers=op).json()
    held = theirs["id"]
    for method, path in (
        ("post", f"{R}/quotes/{held}/confirm"),
        ("delete", f"{R}/quotes/{held}"),
        ("post", f"{R}/bookings/{held}/cancel"),
        ("post", f"{R}/bookings/no-such-id/cancel"),
    ):
        r = client.request(method, path, headers=yamada)
        assert r.status_code == 404, (path, r.text)
    assert client.post(f"/api/v1/quotes/{held}/confirm", headers=op).status_code == 200
    assert client.get(f"{R}/bookings", headers=yamada).json() == []
    # another rider's home is not a place this resident may ride from
    r = client.post(
        f"{R}/quotes",
        json=ask(town, pickup_place_id=town.homes["sato"]),
        headers=yamada,
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "pickup_place_id"


def test_tokens_do_not_cross_between_staff_and_residents(client, staff, town, yamada):
    assert client.get(f"{R}/me", headers=staff.headers("operator")).status_code == 401
    assert client.get(f"{R}/me").status_code == 401
    assert client.get("/api/v1/bookings", headers=yamada).status_code == 401
    assert client.get("/api/v1/riders", headers=yamada).status_code == 401
    bad = {"Authorization": "Bearer res_" + "x" * 43}
    assert client.get(f"{R}/bookings", headers=bad).status_code == 401
    assert client.post(f"{R}/sign-out", headers=yamada).status_code == 204
    assert client.get(f"{R}/me", headers=yamada).status_code == 401


def test_wrong_pin_and_unknown_number_get_the_same_answer(client, staff, town):
    set_pin(client, staff, town.riders["yamada"])
    wrong = client.post(f"{R}/sign-in", json={"registration_no": "T-0001", "pin": "1111"})
    unknown = client.post(f"{R}/sign-in", json={"registration_no": "T-9999", "pin": PIN})
    no_pin = client.post(f"{R}/sign-in", json={"registration_no": "T-0002", "pin": PIN})
    for r in (wrong, unknown, no_pin):
        assert r.status_code == 401 and r.json()["code"] == "unauthorized"
    assert wrong.json() == unknown.json() == no_pin.json()
    for body in (
        {"registration_no": "T-0001", "pin": "12"},
        {"registration_no": "", "pin": PIN},
        {"registration_no": "T-0001", "pin": "abcd"},
        {"registration_no": "T-0001"},
    ):
        r = client.post(f"{R}/sign-in", json=body)
        assert r.status_code == 422 and r.json()["errors"], body


def test_a_new_pin_replaces_the_old_and_ends_open_sign_ins(client, staff, town, yamada):
    set_pin(client, staff, town.riders["yamada"], "13579", role="admin")
    assert client.get(f"{R}/me", headers=yamada).status_code == 401
    r = client.post(f"{R}/sign-in", json={"registration_no": "T-0001", "pin": PIN})
    assert r.status_code == 401
    sign_in(client, "T-0001", "13579")


@pytest.mark.sqlite_only
def test_who_may_set_pins_and_codes(client, staff, town):
    rid = town.riders["yamada"]
    for role in ("planner", "driver"):
        r = client.put(f"/api/v1/riders/{rid}/pin", json={"pin": PIN}, headers=staff.headers(role))
        assert r.status_code == 403
        r = client.post(f"/api/v1/riders/{rid}/one-time-code", headers=staff.headers(role))
        assert r.status_code == 403
    assert client.put(f"/api/v1/riders/{rid}/pin", json={"pin": PIN}).status_code == 401
    r = client.put("/api/v1/riders/999/pin", json={"pin": PIN}, headers=staff.headers("admin"))
    assert r.status_code == 404
    r = client.put(f"/api/v1/riders/{rid}/pin", json={"pin": "1"}, headers=staff.headers("admin"))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "pin"


def test_the_pin_still_works_among_many_codes(client, staff, town):
    set_pin(client, staff, town.riders["yamada"])
    for _ in range(5):
        r = client.post(
            f"/api/v1/riders/{town.riders['yamada']}/one-time-code",
            headers=staff.headers("operator"),
        )
        assert r.status_code == 201
    sign_in(client, "T-0001")
    sign_in(client, "T-0001", r.json()["code"])


def test_a_one_time_code_signs_in_once_and_expires(client, staff, town, clock):
    rid = town.riders["sato"]
    r = client.post(f"/api/v1/riders/{rid}/one-time-code", headers=staff.headers("operator"))
    assert r.status_code == 201
    code = r.json()["code"]
    assert len(code) == 8 and code.isdigit()
    sign_in(client, "T-0002", code)
    again = client.post(f"{R}/sign-in", json={"registration_no": "T-0002", "pin": code})
    assert again.status_code == 401
    late = client.post(f"/api/v1/riders/{rid}/one-time-code", headers=staff.headers("admin"))
    clock.advance(hours=73)
    r = client.post(f"{R}/sign-in", json={"registration_no": "T-0002", "pin": late.json()["code"]})
    assert r.status_code == 401


def test_a_sign_in_lasts_its_hours(client, staff, town, yamada, clock):
    assert client.get(f"{R}/me", headers=yamada).status_code == 200
    clock.advance(hours=12, seconds=1)
    assert client.get(f"{R}/me", headers=yamada).status_code == 401


def test_an_inactive_rider_cannot_sign_in(client, staff, town, yamada):
    r = client.patch(
        f"/api/v1/riders/{town.riders['yamada']}",
        json={"active": False},
        headers=staff.headers("operator"),
    )
    assert r.status_code == 200
    assert client.get(f"{R}/me", headers=yamada).status_code == 401
    r = client.post(f"{R}/sign-in", json={"registration_no": "T-0001", "pin": PIN})
    assert r.status_code == 401


@pytest.mark.sqlite_only
def test_bad_asks_are_422_naming_the_field(client, staff, town, yamada):
    cases = [
        ({**ask(town), "arrive_by": iso(10)}, "depart_at"),
        ({**ask(town), "depart_at": iso(6)}, "depart_at"),
        ({**ask(town), "depart_at": iso(9, days=30)}, "depart_at"),
        ({**ask(town), "dropoff_place_id": 99999}, "dropoff_place_id"),
        ({**ask(town), "dropoff_place_id": town.homes["yamada"]}, "dropoff_place_id"),
        ({**ask(town), "pickup": {"lon": 139.4, "lat": 35.7}}, "pickup"),
        ({**ask(town), "rider_id": town.riders["sato"]}, "rider_id"),
        ({**ask(town), "companions": 20}, "companions"),
    ]
    for body, field in cases:
        r = client.post(f"{R}/quotes", json=body, headers=yamada)
        assert r.status_code == 422, (body, r.text)
        assert field in {e["field"] for e in r.json()["errors"]}, (field, r.json())


@pytest.fixture
def strict_client(settings, town_graph, clock):
    from fastapi.testclient import TestClient

    tight = settings.model_copy(
        update={"resident_sign_ins_per_15min": 2, "resident_quotes_per_hour": 2}
    )
    with TestClient(create_app(tight, graph=town_graph, clock=clock)) as c:
        yield c


def test_sign_in_attempts_are_limited(strict_client, staff, clock):
    client = strict_client
    town = seed_town(client, staff)
    set_pin(client, staff, town.riders["yamada"])
    for _ in range(2):
        r = client.post(f"{R}/sign-in", json={"registration_no": "T-0001", "pin": "0000"})
        assert r.status_code == 401
    r = client.post(f"{R}/sign-in", json={"registration_no": "T-0001", "pin": PIN})
    assert r.status_code == 429 and r.json()["code"] == "too_many_requests"
    assert int(r.headers["Retry-After"]) > 0 and r.json()["detail_ja"]
    # another number from the same address still gets its own tries (x4 per address)
    set_pin(client, staff, town.riders["sato"])
    sign_in(client, "T-0002")
    clock.advance(minutes=15)
    sign_in(client, "T-0001")


def test_quotes_are_limited_per_resident(strict_client, staff):
    client = strict_client
    town = seed_town(client, staff)
    set_pin(client, staff, town.riders["yamada"])
    headers = sign_in(client, "T-0001")
    for hour in (9, 10):
        r = client.post(f"{R}/quotes", json=ask(town, depart_at=iso(hour)), headers=headers)
        assert r.status_code == 201, r.text
    r = client.post(f"{R}/quotes", json=ask(town, depart_at=iso(11)), headers=headers)
    assert r.status_code == 429 and "Retry-After" in r.headers
