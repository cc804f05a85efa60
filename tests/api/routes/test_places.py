"""Saved places: snapped to the road when saved; homes are never listed."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from api.db.engine import make_engine
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


@pytest.mark.sqlite_only
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


@pytest.mark.sqlite_only
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


# -- community halls (公民館) ----------------------------------------------------------------

HALL = {"name": "東公民館", "kind": "community_hall", "lon": 139.4230, "lat": 35.6960}
DEFAULT_HALL = {
    "opening": ["09:00-17:00"],
    "slot_min": 60,
    "capacity": 10,
    "reach_m": 3000,
    "drone_pad": False,
}


def test_a_hall_keeps_its_settings(client, staff, town):
    admin = staff.headers("admin")
    settings = {
        "opening": ["09:00-12:00", "13:00-16:30"],
        "slot_min": 30,
        "capacity": 4,
        "reach_m": 2500,
        "drone_pad": True,
    }
    r = client.post(P, json={**HALL, "hall": settings}, headers=admin)
    assert r.status_code == 201, r.text
    assert r.json()["hall"] == settings
    got = client.get(f"{P}/{r.json()['id']}", headers=staff.headers("operator")).json()
    assert got["hall"] == settings
    listed = client.get(P, params={"kind": "community_hall"}, headers=admin).json()
    assert [p["hall"] for p in listed] == [settings]
    # other places carry no settings
    station = client.get(f"{P}/{town.places['station']}", headers=admin).json()
    assert station["hall"] is None


def test_a_hall_without_settings_gets_the_defaults(client, staff, town):
    r = client.post(P, json=HALL, headers=staff.headers("admin"))
    assert r.status_code == 201 and r.json()["hall"] == DEFAULT_HALL


def test_settings_change_field_by_field_and_follow_the_kind(client, staff, town):
    admin = staff.headers("admin")
    pid = client.post(P, json=HALL, headers=admin).json()["id"]
    r = client.patch(f"{P}/{pid}", json={"hall": {"capacity": 3}}, headers=admin)
    assert r.status_code == 200, r.text
    assert r.json()["hall"] == {**DEFAULT_HALL, "capacity": 3}
    opening = ["10:00-11:00", "14:00-15:00"]
    r = client.patch(f"{P}/{pid}", json={"hall": {"opening": opening}}, headers=admin)
    assert r.json()["hall"] == {**DEFAULT_HALL, "capacity": 3, "opening": opening}
    r = client.patch(f"{P}/{pid}", json={"kind": "other"}, headers=admin)
    assert r.status_code == 200 and r.json()["hall"] is None
    r = client.patch(f"{P}/{pid}", json={"kind": "community_hall"}, headers=admin)
    assert r.status_code == 200 and r.json()["hall"] == DEFAULT_HALL
    station = town.places["station"]
    r = client.patch(
        f"{P}/{station}", json={"kind": "community_hall", "hall": {"capacity": 2}}, headers=admin
    )
    assert r.status_code == 200 and r.json()["hall"] == {**DEFAULT_HALL, "capacity": 2}


@pytest.mark.sqlite_only
@pytest.mark.parametrize(
    ("hall", "field"),
    [
        ({"opening": ["09:00-12:00", "9:00-10:00"]}, "hall.opening.1"),
        ({"opening": ["09:00-12:00", "13:00-25:00"]}, "hall.opening.1"),
        ({"opening": ["09:00-12:00", "12:30-12:00"]}, "hall.opening.1"),  # ends before it starts
        ({"opening": ["09:00-12:00", "11:00-13:00"]}, "hall.opening.1"),  # overlaps
        ({"opening": ["13:00-15:00", "09:00-12:00"]}, "hall.opening.1"),  # out of order
        ({"opening": ["09:00-09:20"], "slot_min": 60}, "hall.opening.0"),  # no slot fits
        ({"opening": []}, "hall.opening"),
        ({"capacity": 0}, "hall.capacity"),
        ({"slot_min": 5}, "hall.slot_min"),
        ({"reach_m": -1}, "hall.reach_m"),
        ({"doors": 2}, "hall.doors"),
    ],
)
def test_bad_hall_settings_are_422_naming_the_field(client, staff, town, hall, field):
    admin = staff.headers("admin")
    r = client.post(P, json={**HALL, "hall": hall}, headers=admin)
    assert r.status_code == 422, r.text
    assert [e["field"] for e in r.json()["errors"]] == [field]
    assert r.json()["errors"][0]["message_ja"] and r.json()["errors"][0]["message_en"]
    # the same on a change, and the hall keeps what it had
    pid = client.post(P, json=HALL, headers=admin).json()["id"]
    r = client.patch(f"{P}/{pid}", json={"hall": hall}, headers=admin)
    assert r.status_code == 422 and [e["field"] for e in r.json()["errors"]] == [field]
    assert client.get(f"{P}/{pid}", headers=admin).json()["hall"] == DEFAULT_HALL


@pytest.mark.sqlite_only
def test_hall_settings_on_another_kind_are_422(client, staff, town):
    admin = staff.headers("admin")
    r = client.post(P, json={**HALL, "kind": "supermarket", "hall": {}}, headers=admin)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "hall"
    station = town.places["station"]
    r = client.patch(f"{P}/{station}", json={"hall": {"capacity": 2}}, headers=admin)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "hall"
    hall = client.post(P, json=HALL, headers=admin).json()["id"]
    r = client.patch(f"{P}/{hall}", json={"kind": "shop", "hall": {"capacity": 2}}, headers=admin)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "hall"
    r = client.patch(f"{P}/{hall}", json={"hall": None}, headers=admin)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "hall"
    assert client.get(f"{P}/{hall}", headers=admin).json()["kind"] == "community_hall"


def test_a_hall_saved_before_its_settings_existed_reads_as_the_defaults(
    client, staff, town, database_url
):
    admin = staff.headers("admin")
    pid = client.post(P, json={**HALL, "hall": {"capacity": 2}}, headers=admin).json()["id"]
    engine = make_engine(database_url)
    with engine.begin() as conn:  # as migration 0003 leaves a hall saved before it
        conn.execute(text("UPDATE places SET hall = NULL WHERE id = :id"), {"id": pid})
    engine.dispose()
    assert client.get(f"{P}/{pid}", headers=admin).json()["hall"] == DEFAULT_HALL
    r = client.patch(f"{P}/{pid}", json={"hall": {"reach_m": 900}}, headers=admin)
    assert r.json()["hall"] == {**DEFAULT_HALL, "reach_m": 900}
