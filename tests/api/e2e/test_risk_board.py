"""遅延のおそれ in a real Chromium: a car reported late puts its next pickup on the
board's list of stops at risk, with the chance it is late and why (遅れている車両);
the list reads in English after the language switch.

The live ``site`` of `tests.api.e2e.conftest` (SQLite, the bundled town), its service
clock moved to 08:10 so that the pickup is due within the board's hour.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import pytest

from tests.api.conftest import iso, quote_body
from tests.api.e2e.conftest import Site, open_signed_in

pytestmark = pytest.mark.e2e


def late_car(site: Site) -> str:
    """One ride at 09:00, its car delayed until the pickup starts just before the
    promise's end; the booking id."""
    site.clock.set(8, 10)
    op, dp = site.staff.headers("operator"), site.staff.headers("dispatcher")
    with site.http() as http:
        q = http.post("/api/v1/quotes", json=quote_body(site.town, depart_at=iso(9)), headers=op)
        assert q.status_code == 201 and q.json()["feasible"], q.text
        bid = q.json()["id"]
        assert http.post(f"/api/v1/quotes/{bid}/confirm", headers=op).status_code == 200
        plan = http.get("/api/v1/plan", headers=dp).json()
        vid, stop = next(
            (r["vehicle_id"], s)
            for r in plan["routes"]
            for s in r["stops"]
            if s["kind"] == "pickup"
        )
        slack = datetime.fromisoformat(stop["latest_at"]) - datetime.fromisoformat(
            stop["service_start"]
        )
        r = http.post(
            f"/api/v1/vehicles/{vid}/events",
            json={"type": "delayed", "delay_min": int(slack.total_seconds() // 60)},
            headers=dp,
        )
        assert r.status_code == 200 and r.json()["broken"] == [], r.text
        after = http.get("/api/v1/plan", headers=dp).json()
    [pickup] = [s for r in after["routes"] for s in r["stops"] if s["kind"] == "pickup"]
    assert pickup["at_risk"], pickup
    return bid


def test_board_lists_the_stop_at_risk_with_its_chance_and_reason(
    new_page, site: Site, artifacts: Path
) -> None:
    bid = late_car(site)
    board = open_signed_in(
        new_page, site, "/dispatcher?refresh_s=60", "dispatcher", width=1400, height=1000
    )
    board.locator("body[data-loaded=true]").wait_for()
    item = board.locator(f'#alerts li[data-state="at_risk"][data-booking-id="{bid}"]')
    item.wait_for()
    assert board.locator('#alerts li[data-state="at_risk"]').count() == 1
    text = item.inner_text()
    assert "遅延のおそれ" in text and "遅れている車両" in text
    assert re.search(r"遅れる確率 \d+%", text), text
    board.screenshot(path=str(artifacts / "dispatcher-at-risk.png"), full_page=True)
    board.locator("#lang-toggle").click()
    text = item.inner_text()
    assert "at risk" in text and "vehicle behind" in text
    assert re.search(r"\d+% chance late", text), text
