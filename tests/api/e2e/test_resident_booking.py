"""A resident books themselves in a real Chromium, on a phone and on a TV-sized screen:
sign in with the registration number and the PIN the office set, choose from home to
the hospital at 09:00, see the promised pickup window, book it (the office sees the same
promise), find it in "my bookings" and cancel it. The operator's call list shows
tomorrow's bookings. Screenshots in test-artifacts/e2e/.

The live ``site`` of `tests.api.e2e.conftest` (SQLite, the bundled town, 07:30 on
Monday 2 June 2025).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.api.conftest import START, iso, quote_body
from tests.api.e2e.conftest import Site
from tests.api.e2e.test_hall_orders import choose_rider
from tests.api.e2e.test_home_visits import open_operator

pytestmark = pytest.mark.e2e

PIN = "2468"
SCREENS = {"phone": (390, 844), "tv": (1920, 1080)}


def set_pin(site: Site, rider: str) -> None:
    with site.http() as http:
        r = http.put(
            f"/api/v1/riders/{site.town.riders[rider]}/pin",
            json={"pin": PIN},
            headers=site.staff.headers("operator"),
        )
        assert r.status_code == 204, r.text


def office_booking(site: Site, booking_id: str) -> dict:
    with site.http() as http:
        return http.get(
            f"/api/v1/bookings/{booking_id}", headers=site.staff.headers("operator")
        ).json()


@pytest.mark.parametrize("screen", list(SCREENS))
def test_resident_signs_in_books_sees_the_promise_and_cancels(
    new_page, site: Site, artifacts: Path, screen: str
) -> None:
    width, height = SCREENS[screen]
    set_pin(site, "yamada")
    page, errors = new_page(width=width, height=height)
    errors.expected.append("401")  # the wrong PIN below
    page.clock.install(time=START)
    page.goto(site.url + "/resident")
    assert page.locator("ruby").count() > 5  # furigana
    size = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    assert size >= (30 if screen == "tv" else 20), size
    page.get_by_label("登録番号").fill("T-0001")
    page.locator("#res-pin").fill("1111")
    page.keyboard.press("Enter")
    page.locator("#error").wait_for(state="visible")
    assert "登録番号または暗証番号が違います" in page.locator("#error").inner_text()
    page.locator("#res-pin").fill(PIN)
    page.keyboard.press("Enter")
    page.locator("#res-app").wait_for(state="visible")
    assert page.locator("#res-hello").inner_text() == "山田 花子 さん"
    page.screenshot(path=str(artifacts / f"resident-{screen}-start.png"), full_page=True)
    # 1. from home (chosen first), 2. to the hospital, 3. today 09:00, 4. check
    assert page.locator("#res-from input:checked").locator("xpath=..").inner_text() == "自宅"
    page.locator("#res-to label", has_text="中央病院").click()
    assert page.locator("#res-day option").first.inner_text().startswith("今日")
    page.locator("#res-time").select_option("09:00")
    page.locator("#res-ask").click()
    page.locator("#res-offer").wait_for(state="visible")
    window = page.locator("#res-window").inner_text()
    assert re.fullmatch(r"\d\d:\d\d〜\d\d:\d\d", window), window
    page.screenshot(path=str(artifacts / f"resident-{screen}-quote.png"), full_page=True)
    page.locator("#res-confirm").click()
    page.locator("#res-done").wait_for(state="visible")
    assert page.locator("#res-done-window").inner_text() == window
    booking_id = page.locator("#res-done-id").inner_text().split()[-1]
    office = office_booking(site, booking_id)
    assert office["status"] == "confirmed" and office["rider_name"] == "山田 花子"
    assert office["promise"]["start"][11:16] == window[:5]
    mine = page.locator(f'#res-bookings li[data-booking-id="{booking_id}"]')
    mine.wait_for()
    assert window in mine.inner_text() and "中央病院" in mine.inner_text()
    if screen == "phone":  # nothing wider than the phone
        assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.screenshot(path=str(artifacts / f"resident-{screen}-booked.png"), full_page=True)
    page.once("dialog", lambda dialog: dialog.accept())
    mine.get_by_role("button").click()
    mine.locator(".res-status-cancelled").wait_for()
    assert office_booking(site, booking_id)["status"] == "cancelled"
    page.screenshot(path=str(artifacts / f"resident-{screen}-cancelled.png"), full_page=True)
    # English on the toggle: the furigana goes, the words change
    page.locator("#lang-toggle").click()
    assert page.locator("#res-mine-h").inner_text() == "My bookings"
    assert page.locator("#res-mine-h ruby").count() == 0


def test_operator_sees_tomorrows_call_list(new_page, site: Site, artifacts: Path) -> None:
    site.clock.advance(days=-1)  # Sunday: tomorrow is the day with shifts
    with site.http() as http:
        op = site.staff.headers("operator")
        q = http.post("/api/v1/quotes", json=quote_body(site.town, depart_at=iso(9)), headers=op)
        assert q.status_code == 201, q.text
        assert http.post(f"/api/v1/quotes/{q.json()['id']}/confirm", headers=op).is_success
    booking_id = q.json()["id"]
    page = open_operator(new_page, site, START)
    item = page.locator(f'#cl-list li[data-booking-id="{booking_id}"]')
    item.wait_for()
    assert page.locator("#cl-date").input_value() == "2025-06-02"
    text = item.inner_text()
    assert "山田 花子" in text and "042-523-1111" in text and "要連絡" in text
    page.locator("#cl-remind").click()
    item.get_by_text("お知らせ: 送信待ち").wait_for()
    page.locator("#call-list").screenshot(path=str(artifacts / "operator-call-list.png"))


def test_operator_sets_the_pin_and_issues_a_code_the_resident_signs_in_with(
    new_page, site: Site, artifacts: Path
) -> None:
    page = open_operator(new_page, site, START)
    choose_rider(page, "やまだ")
    page.locator("#resident-access summary").click()
    page.get_by_label("暗証番号（4〜8桁）").fill(PIN)
    page.locator("#ra-set").click()
    page.get_by_text("暗証番号を設定しました。").wait_for()
    page.locator("#ra-code").click()
    page.locator("#ra-result", has_text="確認コード").wait_for()
    code = re.search(r"確認コード (\d+)", page.locator("#ra-result").inner_text())
    assert code is not None and len(code.group(1)) == 8
    shot = artifacts / "operator-resident-access.png"
    page.locator("#resident-access").screenshot(path=str(shot))
    with site.http() as http:  # the PIN the operator typed and the code read out both sign in
        for secret in (PIN, code.group(1)):
            r = http.post(
                "/api/v1/resident/sign-in", json={"registration_no": "T-0001", "pin": secret}
            )
            assert r.status_code == 201, r.text
        again = http.post(
            "/api/v1/resident/sign-in", json={"registration_no": "T-0001", "pin": code.group(1)}
        )
        assert again.status_code == 401  # a one-time code is used once
