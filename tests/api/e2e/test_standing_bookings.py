"""Standing bookings (定期予約) in a real Chromium: the operator registers dialysis on
Tuesdays and Fridays for a rider, makes tomorrow's rides from the panel, sees the one
that cannot be kept (the cars start after the appointment) with its reason and the
times instead, and either takes the date out as an exception (the panel empties, the
rider's list shows the exception) or books one of the times instead.

The live ``site`` of `tests.api.e2e.conftest` (SQLite, the bundled town, 07:30 on
Monday 2 June 2025): tomorrow is Tuesday 3 June.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.api.conftest import iso
from tests.api.e2e.conftest import Site
from tests.api.e2e.test_home_visits import choose_rider, open_operator

pytestmark = pytest.mark.e2e


def late_cars_tomorrow(site: Site) -> None:
    with site.http() as http:
        for vid in ("car-1", "van-1"):  # Tuesday's cars start at 10:00
            r = http.post(
                "/api/v1/shifts",
                json={"vehicle_id": vid, "start_at": iso(10, days=1), "end_at": iso(17, days=1)},
                headers=site.staff.headers("admin"),
            )
            assert r.status_code == 201, r.text


def tuesday_rides(site: Site) -> list[dict]:
    with site.http() as http:
        return http.get(
            "/api/v1/bookings",
            params={"service_date": "2025-06-03"},
            headers=site.staff.headers("operator"),
        ).json()


def test_register_make_tomorrows_rides_and_settle_the_one_not_kept(
    new_page, site: Site, artifacts: Path
) -> None:
    late_cars_tomorrow(site)
    page = open_operator(new_page, site)
    assert page.locator("#standing-btn").is_disabled()  # no rider yet
    page.locator("#standing-problems-list li").first.wait_for()
    assert page.locator("#standing-problems-date").inner_text() == "2025年6月3日(火)"
    assert page.locator("#standing-problems-list").inner_text() == "確保できない便はありません。"
    choose_rider(page, "やまだ")
    assert page.locator("#standing-start").input_value() == "2025-06-03"  # the service's day
    page.locator("#standing-to").select_option(label="中央病院")
    page.get_by_label("火", exact=True).check()
    page.get_by_label("金", exact=True).check()
    page.locator("#standing-time").fill("09:00")
    page.get_by_label("行きの希望時刻から（分）").fill("240")
    page.locator("#standing-btn").click()
    item = page.locator("#rider-standing-list li").first
    item.wait_for()
    assert "火・金 09:00 着、帰り 13:00 発" in item.inner_text()
    assert "次回: 2025年6月3日(火)、2025年6月6日(金)" in item.inner_text()
    page.locator("#standing-make").click()
    problem = page.locator("#standing-problems-list li[data-problem-id]")
    problem.wait_for()
    assert page.locator("#standing-made").inner_text() == "1 便を予約、確保できない便 1 便"
    text = problem.inner_text()
    assert "山田 花子" in text and "行き" in text and "09:00 着" in text
    assert "運行時間外です" in text and "代わりの時間で予約:" in text
    assert problem.get_by_role("button", name="10:15").is_visible()
    page.screenshot(path=str(artifacts / "operator-standing-problem.png"), full_page=True)
    page.locator("#lang-toggle").click()
    assert "outside service hours" in problem.inner_text()
    page.locator("#lang-toggle").click()
    item.get_by_label("例外日（乗らない日）").fill("2025-06-03")
    assert "2025年6月3日(火)" in item.locator(".date-words").inner_text()
    item.get_by_role("button", name="例外日を追加").click()
    page.locator("#standing-problems-list li:not([data-problem-id])").wait_for()
    assert "例外日: 2025年6月3日(火)" in page.locator("#rider-standing-list li").first.inner_text()
    rides = tuesday_rides(site)
    assert [b["status"] for b in rides] == ["cancelled"]  # the return made for that date


def test_book_a_time_instead_from_the_panel(new_page, site: Site, artifacts: Path) -> None:
    late_cars_tomorrow(site)
    with site.http() as http:
        r = http.post(
            "/api/v1/standing-bookings",
            json={
                "rider_id": site.town.riders["yamada"],
                "pickup_place_id": site.town.homes["yamada"],
                "dropoff_place_id": site.town.places["hospital"],
                "weekdays": ["tue"],
                "arrive_by": "09:00",
            },
            headers=site.staff.headers("operator"),
        )
        assert r.status_code == 201, r.text
    page = open_operator(new_page, site)
    page.locator("#standing-make").click()
    problem = page.locator("#standing-problems-list li[data-problem-id]")
    problem.wait_for()
    page.locator("#standing-problems").screenshot(
        path=str(artifacts / "operator-standing-panel.png")
    )
    problem.get_by_role("button", name="10:15").click()
    page.locator("#standing-problems-list li:not([data-problem-id])").wait_for()
    assert page.locator("#flash").inner_text().startswith("予約を確定しました。予約番号 20250603-")
    (ride,) = tuesday_rides(site)
    assert ride["status"] == "confirmed" and ride["arrive_by"] == "2025-06-03T10:15:00+09:00"
    assert ride["standing_booking_id"] == r.json()["id"]
