"""The dispatcher's tools in a real Chromium: preview a delay, then apply it; the reassign
assistant; the plan at an earlier time (read-only, with its banner); the day so far.

The live ``site`` of `tests.api.e2e.conftest` (SQLite, the bundled town, car-1 and
van-1 from 08:00 to 17:00), driven with the keyboard where a dispatcher would.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.api.conftest import iso, quote_body
from tests.api.e2e.conftest import Site, open_signed_in

pytestmark = pytest.mark.e2e


def book(site: Site, rider: str = "yamada", **kw) -> str:
    op = site.staff.headers("operator")
    with site.http() as http:
        q = http.post("/api/v1/quotes", json=quote_body(site.town, rider, **kw), headers=op)
        assert q.status_code == 201 and q.json()["feasible"], q.text
        bid = q.json()["id"]
        assert http.post(f"/api/v1/quotes/{bid}/confirm", headers=op).status_code == 200
    return bid


def vehicle_of(site: Site, bid: str) -> str | None:
    with site.http() as http:
        plan = http.get("/api/v1/plan", headers=site.staff.headers("dispatcher")).json()
    return next(
        (
            r["vehicle_id"]
            for r in plan["routes"]
            if any(s["booking_id"] == bid and s["status"] == "planned" for s in r["stops"])
        ),
        None,
    )


def board(new_page, site: Site):
    page = open_signed_in(
        new_page, site, "/dispatcher?refresh_s=60", "dispatcher", width=1400, height=1000
    )
    page.locator("body[data-loaded=true]").wait_for()
    return page


def row(page, vehicle: str, bid: str):
    return page.locator(
        f'article.manifest[data-vehicle-id="{vehicle}"] tr[data-booking-id="{bid}"]'
    ).first


def test_a_delay_is_previewed_then_applied(new_page, site: Site, artifacts: Path) -> None:
    site.clock.set(8, 10)
    bid = book(site)
    vid = vehicle_of(site, bid)
    other = next(v for v in site.town.vehicles if v != vid)
    page = board(new_page, site)
    page.locator(f'article.manifest[data-vehicle-id="{vid}"] button[data-event="delayed"]').click()
    delay = page.locator("#ev-delay")
    assert page.evaluate("document.activeElement.id") == "ev-delay"
    delay.fill("90")
    page.keyboard.press("Enter")  # the report form: preview first
    preview = page.locator('#preview[data-applies="true"]')
    preview.wait_for()
    moved = page.locator(f'#preview ul[data-list="moved"] li[data-booking-id="{bid}"]')
    assert moved.count() == 1 and "→" in moved.inner_text()
    assert "守れないお約束はありません" in preview.inner_text()
    assert vehicle_of(site, bid) == vid  # nothing applied yet
    page.screenshot(path=str(artifacts / "dispatcher-preview-delay.png"), full_page=True)
    assert page.evaluate("document.activeElement.id") == "preview-apply"
    page.keyboard.press("Enter")  # confirm
    row(page, other, bid).wait_for()
    assert vehicle_of(site, bid) == other
    assert page.locator("#preview-apply").is_hidden()


def test_the_reassign_assistant_moves_a_booking_in_one_click(
    new_page, site: Site, artifacts: Path
) -> None:
    bid = book(site)
    vid = vehicle_of(site, bid)
    page = board(new_page, site)
    page.locator("#ov-booking").select_option(bid)
    page.locator("#ov-options").click()
    option = page.locator('#ov-option-list li[data-keeps="true"]').first
    option.wait_for()
    target = option.get_attribute("data-vehicle-id")
    assert target and target != vid
    assert "お約束を守れます" in option.inner_text() and "遅れる確率" in option.inner_text()
    page.screenshot(path=str(artifacts / "dispatcher-reassign.png"), full_page=True)
    option.locator('button[data-action="move-here"]').click()
    row(page, target, bid).wait_for()
    assert vehicle_of(site, bid) == target


def test_time_travel_shows_the_earlier_plan_read_only(
    new_page, site: Site, artifacts: Path
) -> None:
    first = book(site)
    site.clock.set(8, 0)
    second = book(site, "sato", to="station", depart_at=iso(9, 30))
    page = board(new_page, site)
    page.locator(f'#manifests tr[data-booking-id="{second}"]').first.wait_for()
    page.locator("#tt-time").fill("07:45")
    page.locator("#tt-time").press("Enter")
    banner = page.locator("#past-banner")
    banner.wait_for(state="visible")
    assert "過去の計画（07:45時点）" in banner.inner_text()
    assert page.locator(f'#manifests tr[data-booking-id="{first}"]').count() > 0
    assert page.locator(f'#manifests tr[data-booking-id="{second}"]').count() == 0
    assert page.locator("#ov-move").is_disabled() and page.locator("#ev-preview").is_disabled()
    page.screenshot(path=str(artifacts / "dispatcher-time-travel.png"), full_page=True)
    page.locator("#lang-toggle").click()
    assert "Plan as of 07:45" in banner.inner_text()
    page.locator("#tt-now").click()
    banner.wait_for(state="hidden")
    page.locator(f'#manifests tr[data-booking-id="{second}"]').first.wait_for()
    assert page.locator("#ov-move").is_enabled()


def test_the_day_summary(new_page, site: Site, artifacts: Path) -> None:
    op = site.staff.headers("operator")
    book(site)
    cancelled = book(site, "sato", to="station", depart_at=iso(11))
    with site.http() as http:
        assert http.post(f"/api/v1/bookings/{cancelled}/cancel", headers=op).status_code == 200
        q = http.post("/api/v1/quotes", json=quote_body(site.town, depart_at=iso(20)), headers=op)
        assert not q.json()["feasible"], q.text
    page = board(new_page, site)
    summary = page.locator("#summary")
    summary.locator('dd[data-key="cancelled"]').wait_for()
    value = {
        key: summary.locator(f'dd[data-key="{key}"]').inner_text()
        for key in ("served", "refused", "cancelled", "no_shows", "late")
    }
    assert value == {"served": "0", "refused": "1", "cancelled": "1", "no_shows": "0", "late": "0"}
    km = summary.locator('dd[data-key="km"]').inner_text()
    assert km.startswith("0.0 km ／ ") and not km.endswith(" 0.0 km")
    page.locator("#summary-card").screenshot(path=str(artifacts / "dispatcher-summary.png"))
