"""Shop orders handed over at a community hall (公民館): ordered to a hall, refused with
the door or another hall instead, the town's default, fees, and one manifest stop per
hall.

The test town's halls: 東公民館 (east, ~600 m by road from 山田's home, ~3.1 km from
鈴木's) and 西公民館 (west, ~100 m from 佐藤's home). By road the supermarket is
~2.8 km from 山田, ~3.3 km from 鈴木 and ~4.4 km from 佐藤.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.api.conftest import Town, iso, seed_town

D = "/api/v1/deliveries"
EAST = ("東公民館", 139.4230, 35.6960)
WEST = ("西公民館", 139.3920, 35.7160)
COLLECT_JA = re.compile(r"^東公民館で \d{2}:\d{2} 以降にお受け取りください$")


def add_hall(client, staff, hall=EAST, **settings: Any) -> int:
    name, lon, lat = hall
    body: dict[str, Any] = {"name": name, "kind": "community_hall", "lon": lon, "lat": lat}
    if settings:
        body["hall"] = settings
    r = client.post("/api/v1/places", json=body, headers=staff.headers("admin"))
    assert r.status_code == 201, r.text
    return r.json()["id"]


def order(client, staff, town: Town, rider: str = "yamada", *, key: str | None = None, **kw):
    body = {"shop_place_id": town.places["supermarket"], "rider_id": town.riders[rider], **kw}
    extra = {"Idempotency-Key": key} if key else {}
    return client.post(D, json=body, headers=staff.headers("operator", **extra))


def test_an_order_to_a_hall_is_booked_with_the_hall_and_when_to_collect(client, staff, town):
    east = add_hall(client, staff)
    r = order(client, staff, town, hand_over="hall", hall_place_id=east, weight_kg=2.5)
    assert r.status_code == 201, r.text
    q = r.json()
    assert q["feasible"] and q["status"] == "confirmed"
    assert q["hand_over"] == "hall" and q["hall"] == {"place_id": east, "name": "東公民館"}
    assert q["collect_from"] == q["promise"]["end"]
    assert COLLECT_JA.match(q["message_ja"]), q["message_ja"]
    assert q["message_en"].startswith("collect at 東公民館 from ")
    assert q["fee_yen"] == 100  # NORIAI_HALL_FEE_YEN's default
    b = client.get(f"/api/v1/bookings/{q['id']}", headers=staff.headers("operator")).json()
    assert b["hand_over"] == "hall" and b["hall"] == q["hall"]
    assert b["dropoff"]["place_id"] == east and b["dropoff"]["name"] == "東公民館"
    assert b["collect_from"] == q["collect_from"] and b["fee_yen"] == 100
    # a door order is priced as one and says so
    door = order(client, staff, town, "sato")
    assert door.status_code == 201, door.text
    assert door.json()["hand_over"] == "door" and door.json()["hall"] is None
    assert door.json()["fee_yen"] == 300 and door.json()["collect_from"] is None
    b = client.get(f"/api/v1/bookings/{door.json()['id']}", headers=staff.headers("operator"))
    assert b.json()["hand_over"] == "door" and b.json()["fee_yen"] == 300


def test_hall_alone_picks_the_hall_nearest_the_home(client, staff, town):
    east, west = add_hall(client, staff), add_hall(client, staff, WEST)
    yamada = order(client, staff, town, "yamada", hand_over="hall").json()
    sato = order(client, staff, town, "sato", hand_over="hall").json()
    assert yamada["hall"]["place_id"] == east and sato["hall"]["place_id"] == west
    assert yamada["feasible"] and sato["feasible"]


def test_a_full_hall_is_refused_with_the_door_as_alternative(client, staff, town):
    east = add_hall(client, staff, opening=["09:00-10:00"], capacity=1)
    first = order(client, staff, town, hall_place_id=east)
    assert first.status_code == 201 and first.json()["hand_over"] == "hall", first.text
    r = order(client, staff, town, hall_place_id=east)
    assert r.status_code == 200, r.text
    q = r.json()
    assert not q["feasible"] and q["status"] == "rejected" and q["id"] is None
    assert q["reason"]["code"] == "hall_full"
    assert q["reason"]["message_ja"] == "公民館の受け取り枠がいっぱいです"
    assert q["hand_over"] == "hall" and q["hall"]["place_id"] == east
    door = q["alternatives"][0]
    assert door["hand_over"] == "door" and door["hall"] is None and door["fee_yen"] == 300
    assert door["label_ja"].startswith("ご自宅へ ") and door["label_en"].startswith("to the door")
    assert "代わりのお届け: ご自宅へ" in q["message_ja"]
    # nothing was booked by the refusal; the door alternative books as it says
    rows = client.get("/api/v1/bookings", headers=staff.headers("operator")).json()
    assert [b["id"] for b in rows] == [first.json()["id"]]
    again = order(client, staff, town, hand_over=door["hand_over"])
    assert again.status_code == 201 and again.json()["promise"] == door["pickup_window"]


def test_a_full_hall_offers_another_hall_in_reach(client, staff, town):
    east = add_hall(client, staff, opening=["09:00-10:00"], capacity=1)
    west = add_hall(client, staff, WEST, reach_m=10_000)
    assert order(client, staff, town, hall_place_id=east).status_code == 201
    q = order(client, staff, town, hall_place_id=east).json()
    assert q["reason"]["code"] == "hall_full"
    halls = [a for a in q["alternatives"] if a["hand_over"] == "hall"]
    assert [a["hall"] for a in halls] == [{"place_id": west, "name": "西公民館"}]
    assert halls[0]["collect_from"] == halls[0]["pickup_window"]["end"]
    assert halls[0]["label_ja"].startswith("西公民館で ") and halls[0]["fee_yen"] == 100


def test_a_hall_too_far_from_the_home_is_out_of_reach(client, staff, town):
    east = add_hall(client, staff, reach_m=500)
    q = order(client, staff, town, "suzuki", hall_place_id=east).json()
    assert not q["feasible"] and q["reason"]["code"] == "hall_out_of_reach"
    assert "遠すぎます" in q["message_ja"]
    assert [a["hand_over"] for a in q["alternatives"]] == ["door"]


def test_a_closed_hall_is_refused(client, staff, town):
    east = add_hall(client, staff, opening=["18:00-19:00"])  # after the shifts end at 17:00
    q = order(client, staff, town, hall_place_id=east).json()
    assert not q["feasible"] and q["reason"]["code"] == "hall_closed"


@pytest.mark.sqlite_only
@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"hall_place_id": 999}, "hall_place_id"),
        ({"hall_place_id": "supermarket"}, "hall_place_id"),  # not a hall
        ({"hall_place_id": "retired"}, "hall_place_id"),
        ({"hall_place_id": "east", "hand_over": "door"}, "hall_place_id"),
        ({"hall_place_id": "east", "deliver_from": iso(10)}, "deliver_from"),
        ({"hand_over": "drone"}, "hand_over"),
        ({"weight_kg": 50.5}, "weight_kg"),
        ({"weight_kg": -1}, "weight_kg"),
    ],
)
def test_bad_hall_orders_are_422_naming_the_field(client, staff, town, change, field):
    places = {
        "east": add_hall(client, staff),
        "retired": add_hall(client, staff, WEST),
        "supermarket": town.places["supermarket"],
    }
    admin = staff.headers("admin")
    r = client.patch(f"/api/v1/places/{places['retired']}", json={"active": False}, headers=admin)
    assert r.status_code == 200
    body = {k: places.get(v, v) if k == "hall_place_id" else v for k, v in change.items()}
    r = order(client, staff, town, **body)
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["field"] == field
    assert client.get("/api/v1/bookings", headers=staff.headers("operator")).json() == []


@pytest.mark.sqlite_only
def test_hall_without_any_hall_registered_is_422(client, staff, town):
    r = order(client, staff, town, hand_over="hall")
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "hand_over"
    assert r.json()["code"] == "no_hall"


def test_a_retry_with_the_same_key_books_the_hall_once(client, staff, town):
    east = add_hall(client, staff, capacity=1)
    first = order(client, staff, town, key="shop-call-1", hall_place_id=east)
    again = order(client, staff, town, key="shop-call-1", hall_place_id=east)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    rows = client.get("/api/v1/bookings", headers=staff.headers("operator")).json()
    assert len(rows) == 1
    other = order(client, staff, town, key="shop-call-1", hall_place_id=east, weight_kg=1)
    assert other.status_code == 409 and other.json()["code"] == "idempotency_key_reused"


class TestTheTownsDefault:
    """NORIAI_HALL_BY_DEFAULT_KM=3: homes over 3 km by road from the shop go to the
    nearest hall that reaches them; the others, and everyone who says so, to the door."""

    @pytest.fixture
    def settings(self, settings):
        return settings.model_copy(update={"hall_by_default_km": 3.0})

    def test_far_homes_default_to_their_hall(self, client, staff, town):
        add_hall(client, staff)
        west = add_hall(client, staff, WEST)
        sato = order(client, staff, town, "sato").json()  # 4.4 km: 西公民館, 100 m away
        assert sato["hand_over"] == "hall" and sato["hall"]["place_id"] == west
        yamada = order(client, staff, town, "yamada").json()  # 2.8 km: the door
        assert yamada["hand_over"] == "door"
        suzuki = order(client, staff, town, "suzuki").json()  # 3.3 km, no hall in reach
        assert suzuki["hand_over"] == "door" and suzuki["feasible"]
        asked = order(client, staff, town, "sato", hand_over="door").json()
        assert asked["hand_over"] == "door"
        at_home_from = order(client, staff, town, "sato", deliver_from=iso(13)).json()
        assert at_home_from["hand_over"] == "door"

    def test_without_halls_it_is_the_door(self, client, staff, town):
        q = order(client, staff, town, "sato").json()
        assert q["feasible"] and q["hand_over"] == "door"


def test_orders_for_one_hall_are_one_stop_on_the_manifest(client, staff, clock):
    town = seed_town(client, staff, vehicles=(("van-1", 4, 1),))
    east = add_hall(client, staff, reach_m=10_000)
    ids = []
    for rider in ("yamada", "sato", "suzuki"):
        r = order(client, staff, town, rider, hall_place_id=east)
        assert r.status_code == 201 and r.json()["hand_over"] == "hall", r.text
        ids.append(r.json()["id"])
    door = order(client, staff, town, "sato", hand_over="door")
    assert door.status_code == 201, door.text
    m = client.get("/api/v1/vehicles/van-1/manifest", headers=staff.headers("dispatcher")).json()
    at_hall = [s for s in m["stops"] if s["hall"] is not None]
    assert len(at_hall) == 1, [(s["kind"], s["booking_id"], s["hall"]) for s in m["stops"]]
    stop = at_hall[0]
    assert stop["kind"] == "delivery_dropoff"
    assert stop["hall"] == {"place_id": east, "name": "東公民館"}
    assert sorted(p["booking_id"] for p in stop["parcels"]) == sorted(ids)
    assert stop["booking_id"] == stop["parcels"][0]["booking_id"]
    assert {p["rider_name"] for p in stop["parcels"]} == {"山田 花子", "佐藤 一郎", "鈴木 次郎"}
    assert stop["arrival"] <= stop["service_start"] < stop["departure"]
    assert [s["seq"] for s in m["stops"]] == list(range(1, len(m["stops"]) + 1))
    # 3 shop pickups, 1 hall stop, the door order's pickup and dropoff (somewhere)
    assert len(m["stops"]) == 6
    assert not any(s["hall"] for s in m["stops"] if s["booking_id"] == door.json()["id"])
    plan = client.get("/api/v1/plan", headers=staff.headers("planner")).json()
    stops = plan["routes"][0]["stops"]
    assert [s["hall"] for s in stops] == [s["hall"] for s in m["stops"]]
    planner_stop = next(s for s in stops if s["hall"])
    assert {p["rider_name"] for p in planner_stop["parcels"]} == {None}  # no personal data
    # the driver hands them over one after the other; done, they are still one stop
    for s in m["stops"]:
        if s["kind"] == "delivery_pickup":
            clock.now = max(clock.now, _at(s["service_start"]))
            r = client.post(
                "/api/v1/vehicles/van-1/events",
                json={"type": "picked_up", "booking_id": s["booking_id"]},
                headers=staff.headers("dispatcher"),
            )
            assert r.status_code == 200, r.text
            continue
        if s["hall"] is None:
            break
        clock.now = max(clock.now, _at(s["service_start"]))
        for p in s["parcels"]:
            r = client.post(
                "/api/v1/vehicles/van-1/events",
                json={"type": "dropped_off", "booking_id": p["booking_id"]},
                headers=staff.headers("dispatcher"),
            )
            assert r.status_code == 200, r.text
        break
    m = client.get("/api/v1/vehicles/van-1/manifest", headers=staff.headers("dispatcher")).json()
    done = [s for s in m["stops"] if s["hall"] is not None]
    assert len(done) == 1 and done[0]["status"] == "done"
    assert {p["status"] for p in done[0]["parcels"]} == {"done"} and len(done[0]["parcels"]) == 3
    for bid in ids:
        b = client.get(f"/api/v1/bookings/{bid}", headers=staff.headers("operator")).json()
        assert b["status"] == "done"


def _at(iso_time: str):
    from datetime import datetime

    return datetime.fromisoformat(iso_time)
