"""Home visits (訪問診療) in a real Chromium: the operator books the clinic's appointment
for a patient (the form's date from the service's clock, not the browser's), is told
why not when no nurse car runs and takes another time by its number; the dispatcher
board and the driver's tablet show the visit stop (訪問 badge, length), and the tablet
reports it done — not before the appointment, with words that say from when.

The live ``site`` of `tests.api.e2e.conftest` (SQLite, the bundled town, 07:30 on 2 June 2025).
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.api.conftest import START, iso
from tests.api.e2e.conftest import Site, open_signed_in, wait_for_search_focus

pytestmark = pytest.mark.e2e

WORDS = re.compile(r"^訪問予定時間帯 10:00〜10:30、訪問開始予定 \d{2}:\d{2}$")


def add_nurse_car(site: Site) -> str:
    admin = site.staff.headers("admin")
    with site.http() as http:
        r = http.post(
            "/api/v1/vehicles",
            json={
                "id": "nurse-1",
                "name": "訪問診療車",
                "seats": 2,
                "features": ["nurse"],
                "depot_place_id": site.town.places["depot"],
            },
            headers=admin,
        )
        assert r.status_code == 201, r.text
        r = http.post(
            "/api/v1/shifts",
            json={"vehicle_id": "nurse-1", "start_at": iso(8), "end_at": iso(17)},
            headers=admin,
        )
        assert r.status_code == 201, r.text
    return "nurse-1"


def book_visit(site: Site, rider: str, **body: Any) -> dict:
    with site.http() as http:
        r = http.post(
            "/api/v1/visits",
            json={"rider_id": site.town.riders[rider], **body},
            headers=site.staff.headers("operator"),
        )
    assert r.status_code == 201, r.text
    return r.json()


def open_as(
    new_page: Any, site: Site, path: str, role: str, browser_time: Any = START, **size: int
) -> tuple[Any, Any]:
    """A page signed in as `role`, the browser's clock at `browser_time`; and its errors."""
    page, errors = new_page(**size)
    page.clock.install(time=browser_time)
    page.goto(site.url + path)
    page.locator("#login-token").fill(site.staff.tokens[role])
    page.keyboard.press("Enter")
    page.locator("#main").wait_for(state="visible")
    return page, errors


def open_operator(new_page: Any, site: Site, browser_time: Any = START) -> Any:
    return open_as(new_page, site, "/operator", "operator", browser_time)[0]


def choose_rider(page: Any, kana: str) -> None:
    wait_for_search_focus(page)
    page.keyboard.type(kana)
    page.locator("#rider-results li").first.wait_for()
    page.keyboard.press("Enter")


def test_operator_books_the_clinics_appointment(new_page, site: Site, artifacts: Path) -> None:
    add_nurse_car(site)
    # the browser's clock is three days and hours off: the form follows the service's
    page = open_operator(new_page, site, START + timedelta(days=3, hours=14))
    assert page.locator("#visit-btn").is_disabled()  # no patient yet
    choose_rider(page, "やまだ")
    assert page.locator("#visit-btn").is_enabled()
    assert page.locator("#visit-date").input_value() == "2025-06-02"
    assert page.locator("#visit-start").input_value() == "08:30"  # an hour from 07:30
    assert page.locator("#trip-date").input_value() == "2025-06-02"
    assert page.locator("#visit-wanted-field").is_hidden()
    page.get_by_label("時間帯の開始").fill("10:00")
    page.get_by_label("時間帯の終了").fill("10:30")
    page.get_by_label("診療時間（分）").fill("45")
    page.locator("#visit-btn").click()
    page.locator("#visit-ok").wait_for(state="visible")
    assert page.locator("#visit-window").inner_text() == "「10:00〜10:30」"
    assert WORDS.match(page.locator("#visit-words").inner_text())
    assert page.locator("#visit-vehicle").inner_text() == "訪問診療車"
    assert page.locator("#visit-minutes").inner_text() == "45分"
    assert page.locator("#result").get_attribute("data-state") == "visit-booked"
    booking_id = page.locator("#result").get_attribute("data-booking-id")
    row = page.locator(f'#rider-bookings-list li[data-booking-id="{booking_id}"]')
    row.wait_for()
    assert row.get_attribute("data-kind") == "visit"
    assert row.locator(".badge-visit").inner_text() == "訪問"
    assert "「10:00〜10:30」" in row.inner_text() and "診療 45分" in row.inner_text()
    page.screenshot(path=str(artifacts / "operator-visit.png"), full_page=True)
    page.locator("#lang-toggle").click()  # the words follow the language
    assert (
        page.locator("#visit-words")
        .inner_text()
        .startswith("visit starting between 10:00 and 10:30, planned at ")
    )
    with site.http() as http:
        b = http.get(f"/api/v1/bookings/{booking_id}", headers=site.staff.headers("operator"))
    assert b.json()["kind"] == "visit" and b.json()["visit"]["duration_min"] == 45


def test_no_nurse_car_then_another_time_by_its_number(
    new_page, site: Site, artifacts: Path
) -> None:
    add_nurse_car(site)  # on 2 June only; on 3 June only car-1 runs
    with site.http() as http:
        r = http.post(
            "/api/v1/shifts",
            json={"vehicle_id": "car-1", "start_at": iso(8, days=1), "end_at": iso(17, days=1)},
            headers=site.staff.headers("admin"),
        )
        assert r.status_code == 201, r.text
    # on 2 June the clinic's car is at 山田's from 09:30 to 11:30
    book_visit(
        site, "yamada", appointment={"start": iso(9, 30), "end": iso(9, 45)}, duration_min=120
    )
    page = open_operator(new_page, site)
    choose_rider(page, "すずき")
    page.get_by_label("訪問希望時刻", exact=True).check()
    assert page.locator("#visit-window-fields").is_hidden()
    page.locator("#visit-date").fill("2025-06-03")
    page.locator("#visit-wanted").fill("10:30")
    page.get_by_label("診療時間（分）").fill("60")
    page.locator("#visit-btn").click()
    page.locator("#visit-no").wait_for(state="visible")
    assert page.locator("#visit-reason").inner_text() == (
        "この日は看護師同乗（nurse）の車両が運行していません"
    )
    assert page.locator("#visit-missing-list").inner_text() == "nurse"
    page.screenshot(path=str(artifacts / "operator-visit-no-nurse-car.png"), full_page=True)
    page.locator("#visit-date").fill("2025-06-02")
    page.locator("#visit-btn").click()
    page.locator("#visit-alternatives button").first.wait_for()
    assert page.locator("#visit-missing").is_hidden()
    assert "埋まっています" in page.locator("#visit-reason").inner_text()
    first = page.locator("#visit-alternatives button").first
    wanted = first.get_attribute("data-wanted-at")
    assert wanted and "訪問開始予定" in first.inner_text()
    offered = first.locator("strong").inner_text()  # the window the patient is promised
    page.screenshot(path=str(artifacts / "operator-visit-alternatives.png"), full_page=True)
    page.locator("body").press("1")  # the first other time, by its number
    page.locator("#visit-ok").wait_for(state="visible")
    assert page.locator('input[name="visit_mode"][value="wanted"]').is_checked()
    assert page.locator("#visit-minutes").inner_text() == "60分"
    assert page.locator("#visit-window").inner_text() == offered
    booking_id = page.locator("#result").get_attribute("data-booking-id")
    with site.http() as http:
        b = http.get(f"/api/v1/bookings/{booking_id}", headers=site.staff.headers("operator"))
    assert b.json()["visit"]["wanted_at"] == wanted
    assert b.json()["rider_name"] == "鈴木 次郎"


def test_board_and_tablet_show_the_visit_the_tablet_reports_it(
    new_page, site: Site, artifacts: Path
) -> None:
    vid = add_nurse_car(site)
    v = book_visit(site, "yamada", appointment={"start": iso(10), "end": iso(10, 30)})
    board = open_signed_in(
        new_page, site, "/dispatcher?refresh_s=60", "dispatcher", width=1400, height=1000
    )
    board.locator("body[data-loaded=true]").wait_for()
    row = board.locator(f'#manifests tr[data-booking-id="{v["id"]}"]')
    assert row.count() == 1 and row.get_attribute("data-kind") == "visit"
    assert "訪問診療" in row.inner_text() and "山田 花子" in row.inner_text()
    assert row.locator(".badge-visit").inner_text() == "訪問"
    assert "診療 30分" in row.inner_text() and "「10:00〜10:30」" in row.inner_text()
    board.screenshot(path=str(artifacts / "dispatcher-visit-stop.png"), full_page=True)
    site.clock.set(9, 45)  # at the door, before the appointment
    tablet, errors = open_as(
        new_page, site, f"/driver?vehicle={vid}", "dispatcher", width=800, height=1100
    )
    errors.expected.append("409 (Conflict)")  # the early report, answered with words
    tablet.locator("body[data-loaded=true]").wait_for()
    stop = tablet.locator(f'.dr-stop[data-booking-id="{v["id"]}"]')
    assert stop.get_attribute("data-kind") == "visit"
    assert stop.locator(".badge-visit").inner_text() == "訪問"
    assert stop.locator(".dr-minutes").inner_text() == "診療 30分"
    assert "訪問予定時間帯 「10:00〜10:30」" in stop.inner_text()
    done = stop.locator('button[data-event="visited"]')
    assert done.inner_text() == "訪問完了"
    done.click()
    error = tablet.locator("#error")
    error.wait_for(state="visible")
    message = error.locator(".error-message").inner_text()
    assert message.startswith("訪問予定時間帯 10:00〜10:30 の前です"), message
    assert "10:00 以降" in message and "競合" not in message
    tablet.screenshot(path=str(artifacts / "driver-visit-too-early.png"), full_page=True)
    site.clock.set(10, 35)
    tablet.locator("#error .error-close").click()
    stop.locator('button[data-event="visited"]').click()
    tablet.locator("#flash").wait_for(state="visible")
    assert tablet.locator("#flash").inner_text() == "記録しました: 訪問完了"
    stop.locator(".badge-ok").wait_for()
    assert stop.locator(".badge-ok").inner_text() == "訪問済み"
    tablet.screenshot(path=str(artifacts / "driver-visit-done.png"), full_page=True)
    with site.http() as http:
        b = http.get(f"/api/v1/bookings/{v['id']}", headers=site.staff.headers("operator"))
    assert b.json()["status"] == "done"
