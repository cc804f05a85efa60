"""The pages in a real Chromium before anyone signs in: scripts load without errors,
the sign-in form shows, the language toggle works and is remembered."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI

from api.settings import Settings
from api.web import mount_web
from tests.api.e2e.conftest import serve_in_thread

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def shell_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Only the web pages (no API behind them): what a browser sees before signing in."""
    tmp = tmp_path_factory.mktemp("shell")
    app = FastAPI()
    mount_web(app, Settings(data_dir=tmp, cache_dir=tmp / "cache"))
    with serve_in_thread(app) as url:
        yield url


@pytest.mark.parametrize(
    ("path", "heading"),
    [
        ("/operator", "オペレーター予約受付"),
        ("/dispatcher", "配車ボード"),
        ("/driver", "乗務員運行表"),
    ],
)
def test_page_shows_the_sign_in_form(new_page, shell_url: str, path: str, heading: str) -> None:
    page, errors = new_page()
    page.goto(shell_url + path)
    page.wait_for_load_state("networkidle")
    assert page.locator("#login").is_visible()
    assert page.locator("#main").is_hidden()
    assert page.evaluate("document.activeElement.id") == "login-token"
    assert page.get_by_label("アクセストークン").is_visible()
    assert page.locator("h1").inner_text() == heading  # in the DOM, hidden until signed in
    assert not errors.messages


def test_language_toggle_is_remembered(new_page, shell_url: str, artifacts: Path) -> None:
    page, _ = new_page()
    page.goto(shell_url + "/operator")
    page.wait_for_load_state("networkidle")
    assert page.locator("#login-title").inner_text() == "ログイン"
    page.locator("#lang-toggle").click()
    assert page.evaluate("document.documentElement.lang") == "en"
    assert page.locator("#login-title").inner_text() == "Sign in"
    assert page.locator("#login-token").is_visible()
    assert page.title().startswith("Operator bookings")
    assert page.locator("#rider-q").get_attribute("placeholder") == (
        "Name, kana, phone or registration number"
    )
    page.reload()
    page.wait_for_load_state("networkidle")
    assert page.evaluate("document.documentElement.lang") == "en"
    assert page.locator("#login-title").inner_text() == "Sign in"
    page.screenshot(path=str(artifacts / "shell-operator-en.png"))
    # another page of the same site follows the choice; toggling back restores Japanese
    page.goto(shell_url + "/driver")
    assert page.locator("#login-title").inner_text() == "Sign in"
    page.locator("#lang-toggle").click()
    assert page.locator("#login-title").inner_text() == "ログイン"
    assert page.evaluate("localStorage.getItem('noriai.lang')") == "ja"


def test_index_links_every_page_and_is_keyboard_reachable(new_page, shell_url: str) -> None:
    page, errors = new_page(width=800, height=1100)  # portrait tablet
    page.goto(shell_url + "/")
    page.wait_for_load_state("networkidle")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    hrefs = page.locator("main a").evaluate_all("els => els.map(e => e.getAttribute('href'))")
    assert hrefs == ["/operator", "/dispatcher", "/driver"]
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.getAttribute('href')") == "/operator"
    assert not errors.messages
