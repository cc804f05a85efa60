"""Riders: registration with a snapped home, search by name, kana, phone or number."""

from __future__ import annotations

import pytest

from tests.api.conftest import OFF_NETWORK

R = "/api/v1/riders"


@pytest.mark.parametrize(
    ("q", "who"),
    [
        ("山田", ["山田 花子"]),
        ("ﾔﾏﾀﾞ", ["山田 花子"]),  # half-width katakana
        ("やまだはなこ", ["山田 花子"]),  # hiragana, no space
        ("サトウ イチ", ["佐藤 一郎"]),
        ("0425243", []),  # not a substring of any number
        ("524-2222", ["佐藤 一郎"]),
        ("０４２５２５", ["鈴木 次郎"]),  # full-width digits
        ("t-0003", ["鈴木 次郎"]),  # registration number, any case
        ("%", []),  # LIKE wildcards are literal
    ],
)
def test_search_finds_riders_the_way_operators_type(client, staff, town, q, who):
    r = client.get(R, params={"q": q}, headers=staff.headers("operator"))
    assert r.status_code == 200, r.text
    assert [x["name"] for x in r.json()] == who


def test_search_result_has_what_the_operator_page_reads(client, staff, town):
    [r] = client.get(R, params={"q": "鈴木"}, headers=staff.headers("dispatcher")).json()
    assert {"id", "name", "kana", "phone", "registration_no", "wheelchair", "home"} <= set(r)
    assert r["wheelchair"] is True and r["eligibility"] == ["disability"]
    assert r["home"]["id"] == town.homes["suzuki"] and r["home"]["name"] == "立川市 3-1"


def test_registration_number_is_unique(client, staff, town):
    body = {"registration_no": "T-0001", "name": "別人", "eligibility": ["age_65"]}
    r = client.post(R, json=body, headers=staff.headers("operator"))
    assert r.status_code == 409 and r.json()["code"] == "registration_no_taken"


@pytest.mark.sqlite_only
def test_a_home_off_the_road_network_is_422(client, staff, town):
    body = {
        "registration_no": "T-9999",
        "name": "遠方 太郎",
        "eligibility": ["age_65"],
        "home": {"lon": OFF_NETWORK[0], "lat": OFF_NETWORK[1]},
    }
    r = client.post(R, json=body, headers=staff.headers("operator"))
    assert r.status_code == 422
    [e] = r.json()["errors"]
    assert e["field"] == "home.lon" and "m" in e["message_ja"]
    assert "from the nearest drivable road" in e["message_en"]


@pytest.mark.sqlite_only
def test_eligibility_is_required_and_checked(client, staff, town):
    body = {"registration_no": "T-5", "name": "x", "eligibility": []}
    r = client.post(R, json=body, headers=staff.headers("operator"))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "eligibility"
    body["eligibility"] = ["teenager"]
    r = client.post(R, json=body, headers=staff.headers("operator"))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "eligibility.0"


def test_update_changes_search_forms_and_home(client, staff, town):
    rid = town.riders["sato"]
    r = client.patch(
        f"{R}/{rid}",
        json={
            "kana": "サトウ ジロウ",
            "phone": "090-1111-2222",
            "home": {"lon": 139.4030, "lat": 35.7010},
        },
        headers=staff.headers("operator"),
    )
    assert r.status_code == 200, r.text
    assert r.json()["home"]["id"] != town.homes["sato"]
    found = client.get(R, params={"q": "さとうじろう"}, headers=staff.headers("operator")).json()
    assert [x["id"] for x in found] == [rid]
    found = client.get(R, params={"q": "09011112222"}, headers=staff.headers("operator")).json()
    assert [x["id"] for x in found] == [rid]
    r = client.patch(f"{R}/{rid}", json={"name": None}, headers=staff.headers("operator"))
    assert r.status_code == 422


@pytest.mark.sqlite_only
def test_unknown_rider_is_404(client, staff, town):
    r = client.get(f"{R}/424242", headers=staff.headers("operator"))
    assert r.status_code == 404 and r.json()["detail_ja"].startswith("利用者")
