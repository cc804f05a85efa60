"""Shop deliveries: booked at once with a hand-over slot, on the same fleet; cut-off and size."""

from __future__ import annotations

import pytest

from tests.api.conftest import iso

D = "/api/v1/deliveries"


def test_a_delivery_is_booked_with_a_slot(client, staff, town):
    body = {
        "shop_place_id": town.places["supermarket"],
        "rider_id": town.riders["yamada"],
        "cargo_units": 2,
    }
    r = client.post(D, json=body, headers=staff.headers("operator"))
    assert r.status_code == 201, r.text
    d = r.json()
    assert d["kind"] == "delivery" and d["status"] == "confirmed" and d["promise"]
    plan = client.get("/api/v1/plan", headers=staff.headers("dispatcher")).json()
    kinds = {s["kind"] for r in plan["routes"] for s in r["stops"] if s["booking_id"] == d["id"]}
    assert kinds == {"delivery_pickup", "delivery_dropoff"}
    b = client.get(f"/api/v1/bookings/{d['id']}", headers=staff.headers("operator")).json()
    assert (
        b["status"] == "confirmed" and b["cargo_units"] == 2 and b["pickup"]["name"] == "スーパー"
    )


def test_after_the_cut_off_it_is_refused(client, staff, town, clock):
    clock.set(11, 30)
    body = {"shop_place_id": town.places["supermarket"], "rider_id": town.riders["sato"]}
    r = client.post(D, json=body, headers=staff.headers("operator"))
    assert r.status_code == 200 and r.json()["reason"]["code"] == "after_cutoff"
    assert r.json()["reason"]["message_ja"] == "本日分の注文締切を過ぎています"


@pytest.mark.sqlite_only
def test_too_much_cargo_and_unknown_shop_are_422(client, staff, town):
    body = {
        "shop_place_id": town.places["supermarket"],
        "rider_id": town.riders["sato"],
        "cargo_units": 9,
    }
    r = client.post(D, json=body, headers=staff.headers("operator"))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "cargo_units"
    body.update(cargo_units=1, shop_place_id=999)
    r = client.post(D, json=body, headers=staff.headers("operator"))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "shop_place_id"
    body.update(shop_place_id=town.places["supermarket"], dropoff_place_id=town.homes["yamada"])
    r = client.post(D, json=body, headers=staff.headers("operator"))
    assert r.status_code == 422 and r.json()["code"] == "unknown_place"  # another rider's home
    del body["dropoff_place_id"]
    body.update(due_by=iso(7))
    r = client.post(D, json=body, headers=staff.headers("operator"))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "due_by"
