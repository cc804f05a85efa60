"""Bookings: lists by day and rider, cancelling frees the seat, planners see no names."""

from __future__ import annotations

import pytest

from tests.api.conftest import iso, quote_body, seed_town

Q = "/api/v1/quotes"
B = "/api/v1/bookings"


def book(client, staff, town, rider="yamada", **kw) -> dict:
    op = staff.headers("operator")
    q = client.post(Q, json=quote_body(town, rider, **kw), headers=op)
    assert q.status_code == 201, q.text
    r = client.post(f"{Q}/{q.json()['id']}/confirm", headers=op)
    assert r.status_code == 200, r.text
    return r.json()


def test_a_riders_bookings_from_today_on(client, staff, town):
    a = book(client, staff, town, "yamada")
    book(client, staff, town, "sato", depart_at=iso(11))
    mine = client.get(
        B, params={"rider_id": town.riders["yamada"]}, headers=staff.headers("operator")
    )
    assert [b["id"] for b in mine.json()] == [a["id"]]
    assert {"id", "status", "promise", "pickup", "dropoff"} <= set(mine.json()[0])
    day = client.get(B, params={"service_date": "2025-06-02"}, headers=staff.headers("dispatcher"))
    assert len(day.json()) == 2
    held_only = client.get(B, params={"status": "held"}, headers=staff.headers("dispatcher"))
    assert held_only.json() == []


def test_cancel_frees_the_seat_for_the_next_caller(client, staff):
    town = seed_town(client, staff, vehicles=(("car-1", 1, 0),))
    op = staff.headers("operator")
    held = []
    while True:
        r = client.post(Q, json=quote_body(town, "sato", to="station"), headers=op)
        if not r.json()["feasible"]:
            break
        held.append(r.json()["id"])
        client.post(f"{Q}/{held[-1]}/confirm", headers=op)
    r = client.post(f"{B}/{held[0]}/cancel", headers=op)
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    again = client.post(Q, json=quote_body(town, "sato", to="station"), headers=op)
    assert again.status_code == 201
    twice = client.post(f"{B}/{held[0]}/cancel", headers=op)
    assert twice.status_code == 409 and twice.json()["code"] == "not_active"


def test_cancel_with_an_idempotency_key_replays(client, staff, town):
    b = book(client, staff, town)
    h = staff.headers("operator", **{"Idempotency-Key": f"cancel-{b['id']}"})
    first = client.post(f"{B}/{b['id']}/cancel", headers=h)
    again = client.post(f"{B}/{b['id']}/cancel", headers=h)
    assert first.status_code == again.status_code == 200 and first.json() == again.json()


@pytest.mark.sqlite_only
def test_planners_see_no_names_phones_or_homes(client, staff, town):
    b = book(client, staff, town)
    [row] = client.get(B, headers=staff.headers("planner")).json()
    assert row["id"] == b["id"] and row["rider_id"] is None and row["rider_name"] is None
    assert row["pickup"] == {
        "place_id": None,
        "name": "自宅",
        "lon": round(b["pickup"]["lon"], 3),
        "lat": round(b["pickup"]["lat"], 3),
    }
    assert row["dropoff"]["name"] == "中央病院"  # public places stay
    text = str(client.get(f"{B}/{b['id']}", headers=staff.headers("planner")).json())
    assert "山田" not in text and "042" not in text
    assert (
        client.get(
            B, params={"rider_id": town.riders["yamada"]}, headers=staff.headers("planner")
        ).json()
        == []
    )


@pytest.mark.sqlite_only
def test_unknown_booking_is_404(client, staff, town):
    assert client.get(f"{B}/nope", headers=staff.headers("operator")).status_code == 404
    assert client.post(f"{B}/nope/cancel", headers=staff.headers("operator")).status_code == 404
