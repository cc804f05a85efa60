"""End-to-end fixtures: the system's Chromium driven by Playwright, and live servers.

The browser is Debian's ``chromium`` package (``/usr/bin/chromium``, or
``NORIAI_CHROMIUM``); Playwright never downloads one. Without it the e2e tests
skip, except on CI (``CI`` set), where they fail: CI must install it.
Screenshots go to ``test-artifacts/e2e/`` (or ``NORIAI_TEST_ARTIFACTS``).

``site``: one live server (uvicorn in a thread) on SQLite with the bundled town, the
service clock at 07:30 on 2 June 2025; `open_signed_in` opens a page of it signed in
with the browser's clock at the same moment.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.db.migrate import upgrade
from api.main import create_app
from api.settings import Settings
from tests.api.conftest import START, FakeClock, make_staff, seed_town
from tests.conftest import REPO_ROOT, on_ci

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DEBIAN_PACKAGES = "chromium fonts-ipafont-gothic"


def _unavailable(reason: str) -> None:
    message = f"{reason} (install the Debian packages: apt-get install -y {DEBIAN_PACKAGES})"
    if on_ci():
        pytest.fail(f"e2e tests need a browser on CI: {message}", pytrace=False)
    pytest.skip(message)


def chromium_path() -> Path:
    """The system Chromium, or skip (fail on CI) with the reason."""
    path = Path(os.environ.get("NORIAI_CHROMIUM", "/usr/bin/chromium"))
    if not (path.is_file() and os.access(path, os.X_OK)):
        found = shutil.which("chromium")
        if found is None:
            _unavailable(f"Chromium not found at {path}")
        path = Path(found)  # type: ignore[arg-type]
    return path


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Where screenshots are written (gitignored)."""
    root = Path(os.environ.get("NORIAI_TEST_ARTIFACTS", REPO_ROOT / "test-artifacts"))
    path = root / "e2e"
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Chromium for the session."""
    executable = chromium_path()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:  # pragma: no cover - dev extra missing
        _unavailable(f"Playwright for Python is not installed ({exc})")
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(executable), args=CHROMIUM_ARGS, timeout=30_000)
        try:
            yield b
        finally:
            b.close()


@dataclass
class PageErrors:
    """Console errors and uncaught exceptions seen by a page."""

    messages: list[str] = field(default_factory=list)
    #: substrings of console errors that a test expects (e.g. a 401 it provokes)
    expected: list[str] = field(default_factory=list)

    def unexpected(self) -> list[str]:
        return [m for m in self.messages if not any(e in m for e in self.expected)]


@pytest.fixture
def new_page(browser: Any) -> Iterator[Callable[..., tuple[Any, PageErrors]]]:
    """Open pages in fresh contexts (tablet size, Japanese, Tokyo time unless given); no page
    errors allowed."""
    contexts: list[Any] = []
    seen: list[PageErrors] = []

    def open_page(
        *, width: int = 1180, height: int = 820, **context_args: Any
    ) -> tuple[Any, PageErrors]:
        context = browser.new_context(
            viewport={"width": width, "height": height},
            **{"locale": "ja-JP", "timezone_id": "Asia/Tokyo", **context_args},
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        errors = PageErrors()
        page.on(
            "console",
            lambda msg: (
                errors.messages.append(f"console: {msg.text}") if msg.type == "error" else None
            ),
        )
        page.on("pageerror", lambda exc: errors.messages.append(f"pageerror: {exc}"))
        seen.append(errors)
        return page, errors

    yield open_page
    for context in contexts:
        context.close()
    for errors in seen:
        assert not errors.unexpected(), errors.unexpected()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serve_in_thread(app: Any) -> Iterator[str]:
    """Run an ASGI app with uvicorn in a thread; yields its base URL."""
    import uvicorn

    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"uvicorn did not start on port {port}")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)


# -- the live site ---------------------------------------------------------------------


class Site:
    def __init__(self, url: str, staff: Any, town: Any, clock: FakeClock) -> None:
        self.url, self.staff, self.town, self.clock = url, staff, town, clock

    def http(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30)


@pytest.fixture
def site(data_dir: Path, tmp_path: Path, town_graph: Any) -> Iterator[Site]:
    url = f"sqlite:///{tmp_path / 'e2e.db'}"
    settings = Settings(data_dir=data_dir, cache_dir=tmp_path / "cache", database_url=url)
    clock = FakeClock()
    app = create_app(settings, graph=town_graph, clock=clock)
    upgrade(app.state.runtime.engine)
    staff = make_staff(url)
    with serve_in_thread(app) as base, httpx.Client(base_url=base, timeout=30) as http:
        town = seed_town(http, staff)
        yield Site(base, staff, town, clock)


def open_signed_in(new_page: Any, site: Site, path: str, role: str, **size: int) -> Any:
    page, _ = new_page(**size)
    page.clock.install(time=START)
    page.goto(site.url + path)
    page.locator("#login-token").fill(site.staff.tokens[role])
    page.keyboard.press("Enter")
    page.locator("#main").wait_for(state="visible")
    return page


def wait_for_search_focus(page: Any) -> None:
    """The operator page puts the cursor in the rider search once it is ready (places
    loaded): an operator on the phone types straight away. Keys before that are lost."""
    page.wait_for_function("document.activeElement && document.activeElement.id === 'rider-q'")
