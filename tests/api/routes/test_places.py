"""Saved places: snapped to the road when saved; homes are never listed."""

from __future__ import annotations

from tests.api.conftest import OFF_NETWORK

P = "/api/v1/places"


def test_places_are_listed_by_name_without_homes(client, staff, town):
    r = client.get(P, headers=staff.headers("driver"))
    assert r.status_code == 200
    names = [p["name"] for p in r.json()]
    assert names == sorted(names) and "自宅" not in names
    assert {p["id"] for p in r.json()} == set(town.places.values())
    hospitals = client.get(P, params={"kind": "hospital"}, headers=staff.headers("planner")).json()
    assert [p["name"] for p in hospitals] == ["中央病院"]


def test_a_place_is_snapped_to_the_road(client, staff, town):
    p = client.get(f"{P}/{town.places['station']}", headers=staff.headers("operator")).json()
    assert 0 < p["snap_m"] < 300
    assert (p["road_lon"], p["road_lat"]) != (p["lon"], p["lat"])


def test_off_network_place_is_422_and_home_kind_is_refused(client, staff, town):
    admin = staff.headers("admin")
    r = client.post(
        P, json={"name": "海", "lon": OFF_NETWORK[0], "lat": OFF_NETWORK[1]}, headers=admin
    )
    assert r.status_code == 422 and r.json()["code"] == "off_road_network"
    r = client.post(
        P, json={"name": "家", "kind": "home", "lon": 139.41, "lat": 35.70}, headers=admin
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "kind"
    r = client.post(P, json={"name": "x", "lon": 200, "lat": 35.7}, headers=admin)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "lon"


def test_a_home_is_not_a_public_place(client, staff, town):
    r = client.get(f"{P}/{town.homes['yamada']}", headers=staff.headers("operator"))
    assert r.status_code == 404


def test_retired_places_leave_the_list(client, staff, town):
    pid = town.places["supermarket"]
    r = client.patch(f"{P}/{pid}", json={"active": False}, headers=staff.headers("admin"))
    assert r.status_code == 200 and r.json()["active"] is False
    ids = [p["id"] for p in client.get(P, headers=staff.headers("operator")).json()]
    assert pid not in ids
    everything = client.get(P, params={"include_inactive": True}, headers=staff.headers("operator"))
    assert pid in [p["id"] for p in everything.json()]
