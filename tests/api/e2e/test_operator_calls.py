"""The operator's page in a real Chromium: the service's clock and Japanese dates, the
caller one key away (recent bookings, usual places, repeat, cancel with the reason), and
printing the driver's manifest and the day's schedule on A4.

The browser in the clock test is a US one in New York, its clock in December 2026; the
service's clock is stopped (``NORIAI_FIXED_NOW``) at 07:40 on Monday 2 June 2025. The
other tests use the live ``site`` of `tests.api.e2e.conftest` (07:30 the same day).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from api.db.migrate import upgrade
from api.main import create_app
from api.settings import Settings
from tests.api.conftest import TOKYO, FakeClock, iso, make_staff, quote_body, seed_town
from tests.api.e2e.conftest import Site, serve_in_thread
from tests.api.e2e.test_home_visits import choose_rider, open_as, open_operator
from tests.api.e2e.test_page_shells import shell_url  # noqa: F401 (the pages alone)

pytestmark = pytest.mark.e2e

FIXED = datetime(2025, 6, 2, 7, 40, tzinfo=TOKYO)
DECEMBER = datetime(2026, 12, 5, 22, 40, tzinfo=TOKYO)  # the browser's own clock


@pytest.fixture
def fixed_site(data_dir: Path, tmp_path: Path, town_graph: Any) -> Iterator[Site]:
    """A live server whose clock is stopped by its settings, as NORIAI_FIXED_NOW does."""
    url = f"sqlite:///{tmp_path / 'fixed.db'}"
    settings = Settings(
        data_dir=data_dir, cache_dir=tmp_path / "cache", database_url=url, fixed_now=FIXED
    )
    app = create_app(settings, graph=town_graph)
    upgrade(app.state.runtime.engine)
    staff = make_staff(url)
    with serve_in_thread(app) as base, Site(base, staff, None, FakeClock(FIXED)).http() as http:
        yield Site(base, staff, seed_town(http, staff), FakeClock(FIXED))


def us_page(new_page: Any, site: Site, path: str, role: str, **size: int) -> Any:
    """A page in a US browser in New York whose clock says December 2026."""

    def us(**kw: Any) -> Any:
        return new_page(locale="en-US", timezone_id="America/New_York", **kw)

    return open_as(us, site, path, role, DECEMBER, **size)[0]


def test_forms_and_board_follow_the_services_clock_in_japanese(
    new_page, fixed_site: Site, artifacts: Path
) -> None:
    page = us_page(new_page, fixed_site, "/operator", "operator")
    assert page.evaluate("new Date().getFullYear()") == 2026  # the browser's own clock
    page.locator("#service-today").filter(has_text="2025").wait_for()
    assert page.locator("#service-today").inner_text() == "2025年6月2日(月)"
    choose_rider(page, "やまだ")
    assert page.locator("#trip-date").input_value() == "2025-06-02"
    assert page.locator("#trip-date").get_attribute("min") == "2025-06-02"
    assert page.locator("#trip-time").input_value() == "08:40"  # an hour on, 24-hour
    assert page.locator("#trip-date-words").inner_text() == "2025年6月2日(月)"
    assert page.locator("#visit-date").input_value() == "2025-06-02"
    assert page.locator("#standing-start").input_value() == "2025-06-03"
    assert page.locator("#standing-start-words").inner_text() == "2025年6月3日(火)"
    assert page.locator("#standing-problems-date").inner_text() == "2025年6月3日(火)"
    page.locator("#trip-date").fill("2025-06-04")
    assert page.locator("#trip-date-words").inner_text() == "2025年6月4日(水)"
    text = page.locator("main").inner_text()
    assert "2026" not in text and "AM" not in text and "PM" not in text
    assert "/2025" not in text and "12/" not in text  # no US-style dates anywhere
    page.screenshot(path=str(artifacts / "operator-service-clock.png"), full_page=True)
    page.locator("#trip-time").fill("9時5分")  # typed the way it is said
    page.locator("#trip-time").press("Tab")
    assert page.locator("#trip-time").input_value() == "09:05"
    page.locator("#trip-time").fill("25:00")
    page.locator("#trip-time").press("Enter")
    assert page.locator("#trip-time").get_attribute("aria-invalid") == "true"
    assert "「25:00」は時刻として読めません" in page.locator("#error").inner_text()
    page.locator("#trip-time").fill("8:40")
    page.locator("#wareki-toggle").check()  # 和暦
    assert page.locator("#service-today").inner_text() == "令和7年6月2日(月)"
    assert page.locator("#trip-date-words").inner_text() == "令和7年6月4日(水)"
    page.locator("#wareki-toggle").uncheck()
    page.locator("#lang-toggle").click()  # English second
    assert page.locator("#service-today").inner_text() == "Mon 2 Jun 2025"
    assert page.locator("#trip-date-words").inner_text() == "Wed 4 Jun 2025"
    board = us_page(new_page, fixed_site, "/dispatcher?refresh_s=60", "dispatcher")
    board.locator("#updated").filter(has_text="2025").wait_for()
    assert board.locator("#updated").inner_text().startswith("最終更新 2025年6月2日(月) 07:4")
    board.screenshot(path=str(artifacts / "dispatcher-service-clock.png"))


def book(site: Site, rider: str = "yamada", **kw: Any) -> dict:
    op = site.staff.headers("operator")
    with site.http() as http:
        q = http.post("/api/v1/quotes", json=quote_body(site.town, rider, **kw), headers=op)
        assert q.status_code == 201 and q.json()["feasible"], q.text
        r = http.post(f"/api/v1/quotes/{q.json()['id']}/confirm", headers=op)
        assert r.status_code == 200, r.text
    return r.json()


def test_repeat_a_booking_and_cancel_one_with_its_reason_by_keyboard(
    new_page, site: Site, artifacts: Path
) -> None:
    first = book(site, depart_at=iso(9, 30), companions=1)
    page = open_operator(new_page, site)
    choose_rider(page, "やまだ")
    row = page.locator(f'#rider-bookings-list li[data-booking-id="{first["id"]}"]')
    row.wait_for()
    assert "2025年6月2日(月)" in row.inner_text() and "予約確定" in row.inner_text()
    usual = page.locator("#rider-usual-list button")
    assert usual.nth(0).inner_text().split("\n")[:2] == ["1", "中央病院"]
    assert usual.nth(1).inner_text().split("\n")[:2] == ["2", "自宅"]
    home, hospital = str(site.town.homes["yamada"]), str(site.town.places["hospital"])
    page.locator("#trip-from").focus()
    page.keyboard.press("Alt+Digit1")  # 中央病院 as drop-off
    assert page.locator("#trip-to").input_value() == hospital
    page.keyboard.press("Alt+Digit2")  # 自宅 as drop-off: the pickup swaps to the hospital
    assert page.locator("#trip-to").input_value() == home
    assert page.locator("#trip-from").input_value() == hospital
    page.keyboard.press("Shift+Alt+Digit2")  # 自宅 as pickup again
    assert page.locator("#trip-from").input_value() == home
    assert page.locator("#trip-to").input_value() == hospital
    page.locator("#trip-to").select_option(label="立川駅")  # the repeat puts it back
    page.keyboard.press("Alt+KeyR")  # repeat the newest ride
    assert page.locator("#trip-to").input_value() == hospital
    assert page.locator("#trip-companions").input_value() == "1"
    assert page.locator("#trip-date").input_value() == "2025-06-02"  # 09:30 is still ahead
    assert page.locator("#trip-time").input_value() == "09:30"
    assert page.evaluate("document.activeElement.id") == "quote-btn"
    page.keyboard.press("Enter")
    page.locator("#quote-ok").wait_for(state="visible")
    page.keyboard.press("Alt+Enter")
    page.locator("#quote-confirmed").wait_for(state="visible")
    second = page.locator("#result").get_attribute("data-booking-id")
    assert second != first["id"]
    page.locator(f'#rider-bookings-list li[data-booking-id="{second}"]').wait_for()
    # cancel the first with its reason, by keyboard
    row.locator('button[data-action="cancel"]').focus()
    page.keyboard.press("Enter")
    dialog = page.locator("#cancel-dialog")
    dialog.wait_for(state="visible")
    assert page.evaluate("document.activeElement.id") == "cancel-reason"
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # no reason chosen
    assert page.locator("#cancel-reason-error").inner_text() == "キャンセル理由を選んでください。"
    assert page.evaluate("document.activeElement.id") == "cancel-reason"
    page.locator("#cancel-reason").select_option("other")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # other, without words
    assert (
        "「その他」の場合は理由を入力してください。"
        in page.locator("#cancel-note-error").inner_text()
    )
    assert page.evaluate("document.activeElement.id") == "cancel-note"
    page.keyboard.type("息子さんが送る")
    page.screenshot(path=str(artifacts / "operator-cancel-reason.png"), full_page=True)
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    dialog.wait_for(state="hidden")
    cancelled = page.locator(
        f'#rider-bookings-list li[data-booking-id="{first["id"]}"][data-status="cancelled"]'
    )
    cancelled.wait_for()
    assert "理由: その他：息子さんが送る" in cancelled.inner_text()
    assert cancelled.locator('button[data-action="cancel"]').count() == 0
    page.screenshot(path=str(artifacts / "operator-recent-bookings.png"), full_page=True)
    with site.http() as http:
        b = http.get(f"/api/v1/bookings/{first['id']}", headers=site.staff.headers("operator"))
        history = http.get(
            "/api/v1/audit",
            params={"booking_id": first["id"]},
            headers=site.staff.headers("dispatcher"),
        ).json()
    assert b.json()["cancel_reason"]["code"] == "other"
    assert b.json()["cancel_note"] == "息子さんが送る"
    assert "キャンセル理由: その他（息子さんが送る）" in [h["message_ja"] for h in history]


def pdf_text(pdf: bytes) -> tuple[list[str], tuple[float, float]]:
    """Each sheet's text, and the first sheet's size in points."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf))
    box = reader.pages[0].mediabox
    return [p.extract_text() for p in reader.pages], (box.width, box.height)


def print_a4(page: Any, artifacts: Path, name: str) -> list[str]:
    """Print the page to an A4 PDF as Chromium does (kept, with a screenshot of the print
    view); each sheet's text."""
    pdf = page.pdf(format="A4", print_background=True)
    (artifacts / f"{name}-a4.pdf").write_bytes(pdf)
    page.emulate_media(media="print")
    page.screenshot(path=str(artifacts / f"{name}-print.png"), full_page=True)
    texts, (width, height) = pdf_text(pdf)
    assert abs(width - 595.3) < 2 and abs(height - 841.9) < 2, (width, height)  # 210 x 297 mm
    return texts


def test_driver_manifest_and_day_schedule_print_on_a4(
    new_page, site: Site, artifacts: Path
) -> None:
    disp = site.staff.headers("dispatcher")
    ids = []
    for hour, rider in ((9, "yamada"), (10, "sato"), (11, "yamada")):
        b = book(site, rider, depart_at=iso(hour))
        ids.append(b["id"])
        with site.http() as http:
            pin = {"booking_id": b["id"], "vehicle_id": "car-1"}
            assert http.post("/api/v1/overrides/pin", json=pin, headers=disp).status_code == 200
    page, _ = new_page(width=800, height=1100)
    page.clock.install(time=DECEMBER)  # the browser's clock says nothing about the day
    page.goto(site.url + "/driver")
    page.locator("#login-token").fill(site.staff.tokens["driver"])
    page.keyboard.press("Enter")
    page.locator("body[data-loaded=true]").wait_for()
    assert page.locator("#dr-print").is_visible()
    sato = page.locator("#dr-print-sheet tbody tr").nth(2)  # 佐藤's pickup, 「09:50〜10:05」
    planned = sato.locator("td.col-time").text_content()
    assert "09:50" <= planned <= "10:05", planned  # when the car serves, not when it arrives
    # a long day: the same rows twelve times over run onto further sheets
    page.evaluate(
        """() => { const body = document.querySelector('#dr-print-sheet tbody');
        const rows = [...body.rows]; for (let i = 0; i < 11; i++)
        for (const r of rows) body.append(r.cloneNode(true)); }"""
    )
    texts = print_a4(page, artifacts, "driver-manifest")
    text = "\n".join(texts)
    for words in ("運行表", "2025年6月2日(月)", "お迎え予定時間帯", "山田 花子", "佐藤"):
        assert words in text, (words, text)
    assert "現在地を報告" not in text and "予約受付" not in text  # no buttons, no navigation
    assert text.count("「") >= 3  # the promised windows
    assert len(texts) >= 2
    for one in texts:  # each page is headed by the vehicle, the date and the columns
        assert "car-1 号車 ・ 2025年6月2日(月)" in one and "お迎え予定時間帯" in one, one
    # the day's schedule: every vehicle with stops, each on its own sheet
    board = open_as(new_page, site, "/dispatcher/print?date=2025-06-02", "dispatcher", DECEMBER)[0]
    board.locator("body[data-loaded=true]").wait_for()
    assert board.locator("#print-date-words").inner_text() == "2025年6月2日(月)"
    sheets = board.locator("#print-sheets .print-route")
    assert sheets.count() >= 1
    texts = print_a4(board, artifacts, "day-schedule")
    assert len(texts) >= sheets.count()  # each vehicle starts a sheet
    text = "\n".join(texts)
    assert "運行表 car-1 号車 ・ 2025年6月2日(月)" in text and "山田 花子" in text
    assert "印刷（A4）" not in text and "配車ボード" not in text  # no form, no navigation


FORMATS = """async () => {
  const c = await import("/web/static/common.js");
  const out = {};
  out.morning = c.fmtDateTime("2026-12-04T22:40:00Z");  // 07:40 the next day in Tokyo
  out.plain = c.fmtDate("2026-12-05");
  out.noWeekday = c.fmtDate("2026-12-05", { weekday: false });
  out.yearEnd = c.addDaysIso("2025-12-31", 1);
  const typed = ["9:30", "0930", "930", "9時5分", "０９：３０", "24:00", "9:60", "abc"];
  out.times = typed.map(c.parseTime);
  localStorage.setItem("noriai.wareki", "1");
  out.heisei = c.fmtDate("2019-04-30");
  out.gannen = c.fmtDate("2019-05-01");
  out.reiwa8 = c.fmtDate("2026-12-05");
  localStorage.setItem("noriai.wareki", "0");
  c.setLang("en", { remember: false });
  out.english = c.fmtDateTime("2026-12-04T22:40:00Z");
  return out;
}"""


def test_one_formatter_for_dates_and_times_whatever_the_browser(new_page, request) -> None:
    page, _ = new_page(locale="en-US", timezone_id="America/New_York")
    page.goto(request.getfixturevalue("shell_url") + "/operator")
    page.locator("#login").wait_for(state="visible")
    assert page.evaluate(FORMATS) == {
        "morning": "2026年12月5日(土) 07:40",
        "plain": "2026年12月5日(土)",
        "noWeekday": "2026年12月5日",
        "yearEnd": "2026-01-01",
        "times": ["09:30", "09:30", "09:30", "09:05", "09:30", None, None, None],
        "heisei": "平成31年4月30日(火)",
        "gannen": "令和元年5月1日(水)",
        "reiwa8": "令和8年12月5日(土)",
        "english": "Sat 5 Dec 2026 07:40",
    }
