"""Drone legs (ドローン便) in a real Chromium: the operator's answer says a flown order is
a drone delivery; the dispatcher's board lists the flights per drone, grounds the
drones with its switch after confirming (the flight moves to a van), lists the period
and lifts it again after confirming.

The live ``site`` of `tests.api.e2e.conftest` (SQLite, the bundled town, 07:30 on 2 June 2025).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.api.e2e.conftest import Site, open_signed_in
from tests.api.e2e.test_hall_orders import choose_rider

pytestmark = pytest.mark.e2e

EAST = {
    "name": "東公民館",
    "kind": "community_hall",
    "lon": 139.4230,
    "lat": 35.6960,
    "hall": {"reach_m": 10_000, "drone_pad": True},
}
DRONE = {
    "id": "yuai-1",
    "name": "ゆうあい1号",
    "payload_kg": 5,
    "range_km": 10,
    "cruise_kmh": 36,
    "flying_hours": "08:00-17:00",
}


def add_fleet(site: Site) -> int:
    """東公民館 with a pad, a base at the supermarket, one drone; the hall's id."""
    admin = site.staff.headers("admin")
    with site.http() as http:
        r = http.post("/api/v1/places", json=EAST, headers=admin)
        assert r.status_code == 201, r.text
        hall = r.json()["id"]
        r = http.post(
            "/api/v1/drone-bases",
            json={"name": "ゆうあい拠点", "place_id": site.town.places["supermarket"]},
            headers=admin,
        )
        assert r.status_code == 201, r.text
        r = http.post("/api/v1/drones", json={**DRONE, "base_id": r.json()["id"]}, headers=admin)
        assert r.status_code == 201, r.text
    return hall


def fly_one(site: Site, hall: int) -> dict[str, Any]:
    with site.http() as http:
        r = http.post(
            "/api/v1/deliveries",
            json={
                "shop_place_id": site.town.places["supermarket"],
                "rider_id": site.town.riders["yamada"],
                "hall_place_id": hall,
                "weight_kg": 1.5,
            },
            headers=site.staff.headers("operator"),
        )
    assert r.status_code == 201 and r.json()["drone"] is not None, r.text
    return r.json()


def test_operator_reads_out_a_drone_delivery(new_page, site: Site, artifacts: Path) -> None:
    hall = add_fleet(site)
    page = open_signed_in(new_page, site, "/operator", "operator")
    choose_rider(page, "やまだ")
    page.get_by_label("公民館で受け取り").check()
    page.locator("#order-hall").select_option(str(hall))
    page.locator("#order-shop").select_option(label="スーパー")
    page.locator("#order-weight").fill("1.5")
    page.locator("#order-btn").click()
    page.locator("#order-ok").wait_for(state="visible")
    assert page.locator("#order-drone").is_visible()
    assert page.locator("#order-drone").inner_text() == "ドローン便"
    assert page.locator("#order-words").inner_text().endswith("（ドローン便）")
    assert page.locator("#order-carrier").inner_text() == "ドローン便（ゆうあい1号）"
    assert page.locator("#result").get_attribute("data-drone") == "yuai-1"
    booking_id = page.locator("#result").get_attribute("data-booking-id")
    row = page.locator(f'#rider-bookings-list li[data-booking-id="{booking_id}"]')
    row.wait_for()
    assert row.locator(".badge-drone").inner_text() == "ドローン便"
    page.screenshot(path=str(artifacts / "operator-drone-order.png"), full_page=True)
    page.locator("#lang-toggle").click()
    assert page.locator("#order-carrier").inner_text() == "by drone (ゆうあい1号)"
    assert page.locator("#order-drone").inner_text() == "By drone"


def test_board_grounds_and_lifts_with_confirmation(new_page, site: Site, artifacts: Path) -> None:
    q = fly_one(site, add_fleet(site))
    board = open_signed_in(
        new_page, site, "/dispatcher?refresh_s=60", "dispatcher", width=1400, height=1000
    )
    board.locator("body[data-loaded=true]").wait_for()
    flight = board.locator(
        f'#drone-flights article[data-drone-id="yuai-1"] tr[data-booking-id="{q["id"]}"]'
    )
    flight.wait_for()
    assert flight.get_attribute("data-status") == "planned"
    assert "東公民館" in flight.inner_text() and "予定" in flight.inner_text()
    assert board.locator("#grounded-list").inner_text() == "運航停止はありません。"
    # the switch starts at the service's now (07:30), for two hours
    assert board.locator("#ground-start").input_value() == "07:30"
    assert board.locator("#ground-end").input_value() == "09:30"
    board.locator("#ground-end").fill("17:30")
    board.get_by_label("メモ（例: 強風）").fill("強風")
    # declined: nothing happens
    board.once("dialog", lambda d: d.dismiss())
    board.locator("#ground-btn").click()
    assert board.locator("#grounded-list li[data-grounding-id]").count() == 0
    dialogs: list[str] = []

    def accept(d: Any) -> None:
        dialogs.append(d.message)
        d.accept()

    board.once("dialog", accept)
    board.locator("#ground-btn").click()
    period = board.locator("#grounded-list li[data-grounding-id]")
    period.wait_for()
    assert dialogs and "すべてのドローン" in dialogs[0] and "「07:30〜17:30」" in dialogs[0]
    assert "「07:30〜17:30」" in period.inner_text() and "天候（強風）" in period.inner_text()
    assert board.locator("#drone-flights").inner_text() == "本日のドローン便はありません。"
    # the order is on a van now
    board.locator(f'#manifests tr[data-booking-id="{q["id"]}"]').first.wait_for()
    board.screenshot(path=str(artifacts / "dispatcher-drones-grounded.png"), full_page=True)
    with site.http() as http:
        b = http.get(f"/api/v1/bookings/{q['id']}", headers=site.staff.headers("operator"))
    assert b.json()["drone"] is None and b.json()["van_reason"]["code"] == "grounded"
    board.once("dialog", lambda d: d.accept())
    period.locator('button[data-action="lift"]').click()
    board.locator("#grounded-list li[data-grounding-id]").wait_for(state="detached")
    assert board.locator("#grounded-list").inner_text() == "運航停止はありません。"
