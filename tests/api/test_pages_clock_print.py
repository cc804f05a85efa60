"""The pages take "now" from the service, show dates the Japanese way, offer the
caller's usual places and a cancel with its reason, and print on A4 (no browser here;
see tests/api/e2e/test_operator_calls.py for the real one)."""

from __future__ import annotations

import re

import pytest

from api.vocab import CancelReason
from api.web import i18n
from api.web.pages import STATIC_DIR
from tests.api.test_pages import parse

SERVICE_NOW = "2025-06-02T07:30:00+09:00"  # the tests' service clock (tests.api.conftest)
PAGES = ["/operator", "/dispatcher", "/driver", "/dispatcher/print", "/"]
#: the scripts this change owns: none may take the day or the hour from the browser
CLOCK_FREE = ["operator.js", "driver.js", "schedule_print.js", "manifest_print.js"]

#: pages as rendered: the database plays no part (tests/api/conftest.py, backend)
pytestmark = pytest.mark.sqlite_only


@pytest.mark.parametrize("path", PAGES)
def test_every_page_carries_the_services_now(client, path: str) -> None:
    html = client.get(path).text
    assert f'data-service-now="{SERVICE_NOW}"' in html
    assert '<html lang="ja">' in html


def test_print_page_takes_a_date_and_rejects_bad_ones(client) -> None:
    r = client.get("/dispatcher/print", params={"date": "2025-06-03"})
    assert r.status_code == 200 and 'data-date="2025-06-03"' in r.text
    assert "運行計画（印刷用）" in r.text and 'id="print-btn"' in r.text
    assert 'data-date=""' in client.get("/dispatcher/print").text  # the script takes today
    for bad in ("2025-13-01", "tomorrow", "2025-06-31", "0001-01-01", "9999-12-31"):
        r = client.get("/dispatcher/print", params={"date": bad})
        assert r.status_code == 422, bad


def test_operator_page_has_the_cancel_dialog_with_every_reason(client) -> None:
    html = client.get("/operator").text
    page = parse(html)
    ids = {v for _, n, v in page.attrs if n == "id"}
    assert {"cancel-dialog", "cancel-reason", "cancel-note", "cancel-submit"} <= ids
    assert {"rider-usual-list", "rider-bookings-list", "service-today", "wareki-toggle"} <= ids
    labelled = {v for t, n, v in page.attrs if t == "label" and n == "for"}
    assert {"cancel-reason", "cancel-note"} <= labelled
    options = re.findall(r'<option value="([a-z_]*)"', html.split('id="cancel-reason"')[1])
    assert options == ["", *(r.value for r in CancelReason)]
    assert "体調不良" in html and "キャンセル理由" in html
    assert re.search(r'id="cancel-reason"[^>]*required', html)
    assert re.search(r'id="cancel-note"[^>]*maxlength="200"', html)
    dates = re.findall(r"<input[^>]*type=\"date\"[^>]*>", html)
    assert len(dates) >= 4 and all('lang="ja"' in d for d in dates)


def test_cancel_reasons_have_one_set_of_words() -> None:
    for reason in CancelReason:
        assert i18n.STRINGS[f"cancel.reason.{reason.value}"] == reason.words


@pytest.mark.parametrize("name", CLOCK_FREE)
def test_scripts_never_read_the_browsers_clock_or_locale(name: str) -> None:
    script = (STATIC_DIR / name).read_text()
    assert "new Date()" not in script and "Date.now()" not in script
    assert "toLocale" not in script


def test_common_js_has_the_one_clock_and_the_one_date_formatter() -> None:
    common = (STATIC_DIR / "common.js").read_text()
    assert 'api("/clock")' in common and "export function serviceNow()" in common
    assert "export function fmtDate(" in common and "export function fmtDateTime(" in common
    assert "toLocale" not in common
    assert "${year}${m}月${d}日" in common and '"令和" : "平成"' in common
    for name in ("operator.js", "driver.js", "dispatcher.js"):
        text = (STATIC_DIR / name).read_text()
        assert "fmtDate" in text, name
    board = (STATIC_DIR / "dispatcher.js").read_text()
    assert 'tr("updated", { time: fmtDateTime(serviceNow()) })' in board


def test_print_rules_for_a4() -> None:
    css = (STATIC_DIR / "noriai.css").read_text()
    assert re.search(r"@page\s*{\s*size:\s*A4;", css)
    rules = css.split("@media print", 1)[1]
    for needed in (
        ".topbar",
        "display: table-header-group",
        "break-inside: avoid",
        "break-before: page",
        "font-size: 12pt",
    ):
        assert needed in rules, needed
    table = (STATIC_DIR / "manifest_print.js").read_text()
    assert 'el("thead"' in table and "print.vehicle_date" in table


def test_driver_page_has_a_print_button_and_sheet(client) -> None:
    html = client.get("/driver").text
    assert 'id="dr-print"' in html and 'id="dr-print-sheet"' in html
    assert "印刷（A4）" in html
