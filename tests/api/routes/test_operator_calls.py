"""What the operator's page needs when a rider calls: the service's clock, the rider's
recent bookings and usual places, and cancelling with the reason (キャンセル理由)."""

from __future__ import annotations

import pytest

from tests.api.conftest import iso
from tests.api.routes.test_bookings import book

B = "/api/v1/bookings"


@pytest.mark.sqlite_only
def test_clock_is_the_services_not_the_wall(client):
    """The test service's clock stands at 07:30 on 2 June 2025, whatever today is."""
    r = client.get("/api/v1/clock")
    assert r.status_code == 200
    assert r.json() == {
        "now": "2025-06-02T07:30:00+09:00",
        "service_date": "2025-06-02",
        "timezone": "Asia/Tokyo",
    }


def test_cancel_with_a_reason_keeps_it_on_the_booking_and_in_its_history(client, staff, town):
    b = book(client, staff, town)
    op = staff.headers("operator")
    r = client.post(
        f"{B}/{b['id']}/cancel", json={"reason": "unwell", "note": "熱が出た"}, headers=op
    )
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "cancelled"
    assert r.json()["cancel_reason"] == {
        "code": "unwell",
        "message_ja": "体調不良",
        "message_en": "unwell",
    }
    assert r.json()["cancel_note"] == "熱が出た"
    again = client.get(f"{B}/{b['id']}", headers=op).json()
    assert again["cancel_reason"]["code"] == "unwell" and again["cancel_note"] == "熱が出た"
    history = client.get(
        "/api/v1/audit", params={"booking_id": b["id"]}, headers=staff.headers("dispatcher")
    ).json()
    said = [h["message_ja"] for h in history if h["event"] == "cancel_reason"]
    assert said == ["キャンセル理由: 体調不良（熱が出た）"]
    planner = client.get(f"{B}/{b['id']}", headers=staff.headers("planner")).json()
    assert planner["cancel_reason"]["code"] == "unwell" and planner["cancel_note"] is None


def test_cancel_without_a_body_still_works_and_gives_no_reason(client, staff, town):
    b = book(client, staff, town)
    r = client.post(f"{B}/{b['id']}/cancel", headers=staff.headers("operator"))
    assert r.status_code == 200 and r.json()["cancel_reason"] is None


@pytest.mark.sqlite_only
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"reason": "bored"}, "reason"),
        ({"note": "x"}, "reason"),
        ({"reason": "other"}, "note"),
        ({"reason": "other", "note": "   "}, "note"),
        ({"reason": "unwell", "note": "あ" * 201}, "note"),
        ({"reason": "unwell", "extra": 1}, "extra"),
    ],
)
def test_bad_cancel_reasons_are_422_naming_the_field(client, staff, town, body, field):
    b = book(client, staff, town)
    r = client.post(f"{B}/{b['id']}/cancel", json=body, headers=staff.headers("operator"))
    assert r.status_code == 422, r.text
    assert field in [e["field"] for e in r.json()["errors"]]
    still = client.get(f"{B}/{b['id']}", headers=staff.headers("operator")).json()
    assert still["status"] == "confirmed"  # nothing was cancelled


def test_recent_bookings_newest_first_and_usual_places_most_used_first(client, staff, town):
    first = book(client, staff, town, depart_at=iso(9))
    second = book(client, staff, town, to="station", depart_at=iso(11))
    third = book(client, staff, town, depart_at=iso(13))
    client.post(
        f"{B}/{third['id']}/cancel", json={"reason": "weather"}, headers=staff.headers("operator")
    )
    rider = town.riders["yamada"]
    r = client.get(
        f"/api/v1/riders/{rider}/recent", params={"limit": 2}, headers=staff.headers("operator")
    )
    assert r.status_code == 200, r.text
    out = r.json()
    assert [b["id"] for b in out["bookings"]] == [third["id"], second["id"]]
    assert out["bookings"][0]["status"] == "cancelled"
    assert out["bookings"][0]["cancel_reason"]["message_ja"] == "天候"
    places = [(p["name"], p["uses"], p["home"]) for p in out["places"]]
    assert places[:3] == [("自宅", 3, True), ("中央病院", 2, False), ("立川駅", 1, False)]
    assert all(p["uses"] == 0 for p in out["places"][3:])  # then the saved places
    assert len(out["places"]) <= 9
    assert first["id"] not in [b["id"] for b in out["bookings"]]


def test_recent_of_a_rider_with_no_history_offers_home_and_saved_places(client, staff, town):
    rider = town.riders["sato"]
    out = client.get(f"/api/v1/riders/{rider}/recent", headers=staff.headers("operator")).json()
    assert out["bookings"] == []
    assert out["places"][0] == {
        "place_id": town.homes["sato"],
        "name": "自宅",
        "kind": "home",
        "uses": 0,
        "home": True,
    }
    assert {p["place_id"] for p in out["places"][1:]} <= set(town.places.values())
    assert town.places["depot"] not in {p["place_id"] for p in out["places"]}


@pytest.mark.sqlite_only
@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/api/v1/riders/999999/recent", 404),
        ("/api/v1/riders/0/recent", 422),
        ("/api/v1/riders/1/recent?limit=0", 422),
        ("/api/v1/riders/1/recent?limit=21", 422),
    ],
)
def test_recent_rejects_bad_input(client, staff, town, path, status):
    assert client.get(path, headers=staff.headers("operator")).status_code == status


@pytest.mark.sqlite_only
def test_planners_and_drivers_may_not_read_a_riders_history(client, staff, town):
    rider = town.riders["yamada"]
    for role in ("planner", "driver"):
        r = client.get(f"/api/v1/riders/{rider}/recent", headers=staff.headers(role))
        assert r.status_code == 403
