"""The service in a real Chromium: an operator refused a time takes an alternative; the
dispatcher board shows a booking on the map; the driver records the pickup on the tablet.
The operator booking a ride by keyboard and seeing the promise is in
`tests/api/e2e/test_accessibility.py` (with the keyboard alone, the focus seen at each step).

One live server (uvicorn in a thread) on SQLite, the bundled town, the service clock at
07:30 on 2 June 2025 and the browser's clock set to the same moment.
Screenshots: ``test-artifacts/e2e/``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.api.conftest import quote_body
from tests.api.e2e.conftest import Site, open_signed_in, wait_for_search_focus

pytestmark = pytest.mark.e2e

WINDOW = re.compile(r"「\d{2}:\d{2}〜\d{2}:\d{2}」")


def test_operator_sees_why_not_and_takes_an_alternative(
    new_page, site: Site, artifacts: Path
) -> None:
    with site.http() as http:  # fill 09:00 from the station
        while True:
            r = http.post(
                "/api/v1/quotes",
                json=quote_body(site.town, "sato", to="station"),
                headers=site.staff.headers("dispatcher"),
            )
            if not r.json()["feasible"]:
                break
    page = open_signed_in(new_page, site, "/operator", "operator")
    wait_for_search_focus(page)
    page.keyboard.type("サトウ")
    page.locator("#rider-results li").first.wait_for()
    page.keyboard.press("Enter")
    page.locator("#trip-to").select_option(label="立川駅")
    page.locator("#trip-date").fill("2025-06-02")
    page.locator("#trip-time").fill("09:00")
    page.locator("#quote-btn").click()
    page.locator("#quote-no").wait_for(state="visible")
    assert "埋まって" in page.locator("#no-reason").inner_text()
    assert page.locator("#alternatives button").count() >= 1
    page.screenshot(path=str(artifacts / "operator-alternatives.png"), full_page=True)
    page.locator("body").press("1")  # the first alternative, by its number
    page.locator("#quote-ok").wait_for(state="visible")
    assert WINDOW.fullmatch(page.locator("#promise").inner_text())


def test_dispatcher_board_shows_the_booking_on_the_map(
    new_page, site: Site, artifacts: Path
) -> None:
    op = site.staff.headers("operator")
    with site.http() as http:
        q = http.post("/api/v1/quotes", json=quote_body(site.town), headers=op).json()
        http.post(f"/api/v1/quotes/{q['id']}/confirm", headers=op)
    page = open_signed_in(
        new_page, site, "/dispatcher?refresh_s=60", "dispatcher", width=1400, height=1000
    )
    page.locator("body[data-loaded=true]").wait_for()
    page.locator("#map[data-ready=true]").wait_for()
    markers = page.locator(f'#map-overlay .stop[data-booking-id="{q["id"]}"]')
    assert markers.count() == 2  # its pickup and its dropoff
    assert (
        page.locator(
            f'#map-overlay .route[data-vehicle-id="{q["vehicle_id"]}"] .route-line'
        ).count()
        == 1
    )
    assert page.locator("#map-overlay .vehicle").count() == len(site.town.vehicles)
    row = page.locator(f'#manifests tr[data-booking-id="{q["id"]}"][data-kind="pickup"]')
    assert "山田 花子" in row.inner_text() and WINDOW.search(row.inner_text())
    for event, word in (("quote_held", "仮押さえ"), ("confirmed", "予約確定")):  # held, confirmed
        booking_cell = page.locator("td", has_text=re.compile(f"^{re.escape(q['id'])}$"))
        entry = page.locator(f'#audit tr[data-event="{event}"]', has=booking_cell)
        assert entry.count() == 1 and word in entry.inner_text()
    page.locator(f'#map-overlay .route[data-vehicle-id="{q["vehicle_id"]}"] .route-line').wait_for()
    page.screenshot(path=str(artifacts / "dispatcher-board.png"), full_page=True)
    markers.first.dispatch_event("click")  # the marker leads to its manifest row
    assert page.evaluate("document.activeElement.dataset.bookingId") == q["id"]


def test_driver_records_arrival_and_pickup(new_page, site: Site, artifacts: Path) -> None:
    op = site.staff.headers("operator")
    with site.http() as http:
        q = http.post("/api/v1/quotes", json=quote_body(site.town), headers=op).json()
        http.post(f"/api/v1/quotes/{q['id']}/confirm", headers=op)
        pin = {"booking_id": q["id"], "vehicle_id": "car-1"}  # the driver drives car-1
        r = http.post("/api/v1/overrides/pin", json=pin, headers=site.staff.headers("dispatcher"))
        assert r.status_code == 200, r.text
    site.clock.set(8, 50)
    page = open_signed_in(new_page, site, "/driver", "driver", width=800, height=1100)
    page.locator("body[data-loaded=true]").wait_for()
    nxt = page.locator(".dr-stop.next")
    assert q["id"] == nxt.get_attribute("data-booking-id")
    nxt.locator('button[data-event="arrived"]').click()
    page.locator('.dr-stop.next[data-status="arrived"]').wait_for()
    page.locator('.dr-stop.next button[data-event="picked_up"]').click()
    page.locator(f'.dr-stop.done[data-booking-id="{q["id"]}"][data-kind="pickup"]').wait_for()
    page.screenshot(path=str(artifacts / "driver-manifest.png"), full_page=True)
    with site.http() as http:
        b = http.get(f"/api/v1/bookings/{q['id']}", headers=op).json()
    assert b["status"] == "picked_up"
