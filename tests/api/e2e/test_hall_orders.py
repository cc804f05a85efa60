"""Community halls (公民館) in a real Chromium: the operator orders shopping to a hall from
the nearest-first picker and reads out the collect-from words; a full hall is refused
with the door as the alternative, taken with its number key; the dispatcher board and
the driver's tablet show one hall stop with its parcels.

The live ``site`` of `tests.api.e2e.conftest` (SQLite, the bundled town, 07:30 on 2 June 2025).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.api.e2e.conftest import Site, open_signed_in, wait_for_search_focus

pytestmark = pytest.mark.e2e

EAST = {"name": "東公民館", "kind": "community_hall", "lon": 139.4230, "lat": 35.6960}
WEST = {"name": "西公民館", "kind": "community_hall", "lon": 139.3920, "lat": 35.7160}
COLLECT = re.compile(r"^東公民館で \d{2}:\d{2} 以降にお受け取りください$")


def add_halls(site: Site, **east: Any) -> tuple[int, int]:
    with site.http() as http:
        ids = []
        for body in ({**EAST, "hall": {"reach_m": 10_000, **east}}, WEST):
            r = http.post("/api/v1/places", json=body, headers=site.staff.headers("admin"))
            assert r.status_code == 201, r.text
            ids.append(r.json()["id"])
    return ids[0], ids[1]


def choose_rider(page: Any, kana: str) -> None:
    wait_for_search_focus(page)
    page.keyboard.type(kana)
    page.locator("#rider-results li").first.wait_for()
    page.keyboard.press("Enter")


def test_operator_orders_to_the_nearest_hall(new_page, site: Site, artifacts: Path) -> None:
    east, _ = add_halls(site)
    page = open_signed_in(new_page, site, "/operator", "operator")
    choose_rider(page, "やまだ")
    assert page.locator("#order-hall-field").is_hidden()  # the town's rule unless chosen
    page.get_by_label("公民館で受け取り").check()
    assert page.locator("#order-hall-field").is_visible()
    options = page.locator("#order-hall option")
    assert options.count() == 2
    assert options.first.get_attribute("value") == str(east)  # 山田's nearest hall first
    assert options.first.inner_text().startswith("東公民館（約 ")
    page.locator("#order-shop").select_option(label="スーパー")
    page.locator("#order-btn").click()
    page.locator("#order-ok").wait_for(state="visible")
    assert COLLECT.match(page.locator("#order-words").inner_text())
    assert page.locator("#order-fee").inner_text() == "100円"
    assert page.locator("#result").get_attribute("data-hand-over") == "hall"
    booking_id = page.locator("#result").get_attribute("data-booking-id")
    row = page.locator(f'#rider-bookings-list li[data-booking-id="{booking_id}"]')
    row.wait_for()
    assert "公民館" in row.locator(".badge-hall").inner_text()
    page.screenshot(path=str(artifacts / "operator-hall-order.png"), full_page=True)
    page.locator("#lang-toggle").click()  # the words follow the language
    assert page.locator("#order-words").inner_text().startswith("collect at 東公民館 from ")
    with site.http() as http:
        b = http.get(f"/api/v1/bookings/{booking_id}", headers=site.staff.headers("operator"))
    assert b.json()["hall"] == {"place_id": east, "name": "東公民館"}


def test_a_full_hall_offers_the_door_taken_by_its_number(
    new_page, site: Site, artifacts: Path
) -> None:
    east, _ = add_halls(site, opening=["09:00-10:00"], capacity=1)
    with site.http() as http:  # the only slot is taken
        r = http.post(
            "/api/v1/deliveries",
            json={
                "shop_place_id": site.town.places["supermarket"],
                "rider_id": site.town.riders["sato"],
                "hall_place_id": east,
            },
            headers=site.staff.headers("operator"),
        )
        assert r.status_code == 201, r.text
    page = open_signed_in(new_page, site, "/operator", "operator")
    choose_rider(page, "やまだ")
    page.get_by_label("公民館で受け取り").check()
    page.locator("#order-hall").select_option(str(east))
    page.locator("#order-btn").click()
    page.locator("#order-no").wait_for(state="visible")
    assert "受け取り枠がいっぱい" in page.locator("#order-reason").inner_text()
    first = page.locator("#order-alternatives button").first
    assert first.get_attribute("data-hand-over") == "door"
    assert "ご自宅へ" in first.inner_text() and "300円" in first.inner_text()
    page.screenshot(path=str(artifacts / "operator-hall-full.png"), full_page=True)
    page.locator("body").press("1")  # the door, by its number
    page.locator("#order-ok").wait_for(state="visible")
    assert page.locator("#result").get_attribute("data-hand-over") == "door"
    assert page.locator("#order-words").inner_text().startswith("お届け予定時間帯 ")
    assert page.locator('input[name="hand_over"][value="door"]').is_checked()


def test_board_and_tablet_show_one_stop_per_hall(new_page, site: Site, artifacts: Path) -> None:
    east, _ = add_halls(site)
    op = site.staff.headers("operator")
    with site.http() as http:
        ids = []
        for rider in ("yamada", "sato", "suzuki"):
            r = http.post(
                "/api/v1/deliveries",
                json={
                    "shop_place_id": site.town.places["supermarket"],
                    "rider_id": site.town.riders[rider],
                    "hall_place_id": east,
                },
                headers=op,
            )
            assert r.status_code == 201, r.text
            ids.append(r.json()["id"])
        for bid in ids:  # all on the driver's car
            pin = {"booking_id": bid, "vehicle_id": "car-1"}
            dispatcher = site.staff.headers("dispatcher")
            r = http.post("/api/v1/overrides/pin", json=pin, headers=dispatcher)
            assert r.status_code == 200, r.text
        m = http.get("/api/v1/vehicles/car-1/manifest", headers=site.staff.headers("dispatcher"))
    hall_stops = [s for s in m.json()["stops"] if s["hall"]]
    assert len(hall_stops) == 1 and len(hall_stops[0]["parcels"]) == 3
    board = open_signed_in(
        new_page, site, "/dispatcher?refresh_s=60", "dispatcher", width=1400, height=1000
    )
    board.locator("body[data-loaded=true]").wait_for()
    rows = board.locator(f'#manifests tr[data-hall="{east}"]')
    assert rows.count() == 1
    assert rows.get_attribute("data-parcels") == "3"
    assert "公民館" in rows.inner_text() and "荷物 3個" in rows.inner_text()
    board.screenshot(path=str(artifacts / "dispatcher-hall-stop.png"), full_page=True)
    tablet = open_signed_in(new_page, site, "/driver", "driver", width=800, height=1100)
    tablet.locator("body[data-loaded=true]").wait_for()
    stop = tablet.locator(f'.dr-stop[data-hall="{east}"]')
    assert stop.count() == 1
    assert "公民館" in stop.locator(".badge-hall").inner_text()
    assert stop.locator(".dr-parcels").inner_text() == "荷物 3個"
    assert stop.locator(".parcels li").count() == 3
    tablet.screenshot(path=str(artifacts / "driver-hall-stop.png"), full_page=True)
