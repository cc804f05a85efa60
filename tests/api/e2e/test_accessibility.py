"""Accessibility (アクセシビリティ) in a real Chromium: every page of the service passes an
axe-core audit with no serious or critical violations, signed in with its role on a busy
day; an operator books a ride and a dispatcher reaches a stop with the keyboard alone,
and the focus can be seen at every step.

axe-core comes inside the ``axe-playwright-python`` wheel (``axe.min.js``, injected into
the page): nothing is fetched, and the tests check that the page asked no other host.
The full axe results of each audit are kept as ``test-artifacts/e2e/axe/<page>-<state>.json``.

The list of pages is checked against the app's routes: a new page that the audit does
not cover fails `test_every_page_is_audited`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import fastapi.routing
import pytest

from api.main import create_app
from api.settings import Settings
from tests.api.conftest import BookedDay, TestClient, book_day
from tests.api.e2e.conftest import Site, wait_for_search_focus
from tests.api.e2e.test_drone_panel import add_fleet, fly_one
from tests.api.e2e.test_hall_orders import choose_rider
from tests.api.e2e.test_resident_booking import PIN, set_pin

pytestmark = pytest.mark.e2e

SEVERE = ("serious", "critical")
WINDOW = re.compile(r"「\d{2}:\d{2}〜\d{2}:\d{2}」")


# -- the pages ----------------------------------------------------------------------------


def ready_index(page: Any, site: Site, day: BookedDay) -> None:
    page.wait_for_load_state("networkidle")


def ready_operator(page: Any, site: Site, day: BookedDay) -> None:
    """山田さん chosen (her bookings listed) and a ride quoted: the promise on screen."""
    choose_rider(page, "やまだ")
    page.locator("#rider-bookings-list li").first.wait_for()
    page.locator("#trip-to").select_option(label="中央病院")
    page.locator("#trip-time").fill("10:00")
    page.locator("#trip-time").press("Enter")
    page.locator("#quote-ok").wait_for(state="visible")


def ready_dispatcher(page: Any, site: Site, day: BookedDay) -> None:
    """The board with its map drawn, the manifests and the drone flights listed."""
    page.locator("body[data-loaded=true]").wait_for()
    page.locator("#map[data-ready=true]").wait_for()
    page.locator(f'#manifests tr[data-booking-id="{day.confirmed[0]}"]').first.wait_for()
    page.locator("#drone-flights tr[data-booking-id]").first.wait_for()
    page.locator('#alerts li[data-state="at_risk"]').first.wait_for()
    page.locator("#manifests tr.row-done").first.wait_for()


def ready_driver(page: Any, site: Site, day: BookedDay) -> None:
    """car-1's stops for the day (the driver drives car-1), the first one done."""
    page.locator("body[data-loaded=true]").wait_for()
    page.locator(".dr-stop.done").first.wait_for()
    page.locator(".dr-stop.next").wait_for()


def ready_print(page: Any, site: Site, day: BookedDay) -> None:
    """The day's schedule for printing: every vehicle's manifest drawn."""
    page.locator("body[data-loaded=true]").wait_for()
    page.locator("#print-sheets .print-route").first.wait_for()


def ready_resident(page: Any, site: Site, day: BookedDay) -> None:
    """山田さん signed in with her registration number and PIN, a ride to the hospital
    asked: the promised window on screen."""
    set_pin(site, "yamada")
    page.get_by_label("登録番号").fill("T-0001")
    page.locator("#res-pin").fill(PIN)
    page.keyboard.press("Enter")
    page.locator("#res-app").wait_for(state="visible")
    page.locator("#res-to label", has_text="中央病院").click()
    page.locator("#res-time").select_option("10:00")
    page.locator("#res-ask").click()
    page.locator("#res-offer").wait_for(state="visible")


def ready_docs(page: Any, site: Site, day: BookedDay) -> None:
    page.locator(".swagger-ui .opblock").first.wait_for()


@dataclass(frozen=True)
class PageAudit:
    """How a page is audited: who signs in (None: nobody needs to), what makes it busy,
    and the axe rules whose serious violations are known and accepted, with why."""

    name: str
    role: str | None
    ready: Callable[[Any, Site, BookedDay], None]
    width: int = 1180
    height: int = 820
    accepted: Mapping[str, str] = field(default_factory=dict)


#: every HTML page the app serves (path -> audit); `test_every_page_is_audited` keeps it whole
PAGES = {
    "/": PageAudit("index", None, ready_index, width=800, height=1100),
    "/operator": PageAudit("operator", "operator", ready_operator),
    "/dispatcher": PageAudit("dispatcher", "dispatcher", ready_dispatcher, 1400, 1000),
    "/driver": PageAudit("driver", "driver", ready_driver, width=800, height=1100),
    "/dispatcher/print": PageAudit("print", "dispatcher", ready_print),
    "/resident": PageAudit("resident", None, ready_resident, width=390, height=844),
    "/docs": PageAudit(
        "docs",
        None,
        ready_docs,
        accepted={  # the developers' API reference, Swagger UI's own markup and colours
            "color-contrast": "Swagger UI's pale method labels and version stamp",
            "nested-interactive": "Swagger UI puts buttons inside its operation summaries",
        },
    ),
}


def app_routes(app: Any) -> list[Any]:
    """The app's routes, included routers opened (FastAPI from 0.16x keeps them whole)."""
    flatten = getattr(fastapi.routing, "iter_route_contexts", None)
    return list(flatten(app.routes)) if flatten is not None else list(app.routes)


def html_pages(app: Any, api_prefix: str = "/api/") -> set[str]:
    """Paths of the GET routes without parameters that answer with an HTML page."""
    paths = {
        route.path
        for route in app_routes(app)
        if "GET" in (getattr(route, "methods", None) or ())
        and "{" not in route.path
        and not route.path.startswith(api_prefix)
    }
    client = TestClient(app)  # no lifespan: the pages need neither the graph nor the database
    return {
        path
        for path in paths
        if client.get(path).headers.get("content-type", "").startswith("text/html")
    }


def test_every_page_is_audited(data_dir: Path, tmp_path: Path) -> None:
    settings = Settings(
        data_dir=data_dir,
        cache_dir=tmp_path / "cache",
        database_url=f"sqlite:///{tmp_path / 'routes.db'}",
    )
    found = html_pages(create_app(settings))
    assert {"/", "/operator", "/dispatcher", "/driver"} <= found  # the finder finds pages
    assert found == set(PAGES), f"pages without an accessibility audit: {found - set(PAGES)}"


# -- the audit ------------------------------------------------------------------------------


def busy_day(site: Site) -> BookedDay:
    """The day under way at 08:50: rides confirmed and one held (`book_day`), a hall with a
    drone pad and a drone flight, car-1's first rider on board (a stop done) and van-1
    running late (stops at risk): every list on every page has rows, in every state."""
    with site.http() as http:
        day = book_day(http, site.staff, site.town)
    fly_one(site, add_fleet(site))
    site.clock.set(8, 50)
    driver, dispatcher = site.staff.headers("driver"), site.staff.headers("dispatcher")
    with site.http() as http:
        [first, *_] = http.get("/api/v1/vehicles/car-1/manifest", headers=driver).json()["stops"]
        for event in ({"type": "arrived", "stop_kind": "pickup"}, {"type": "picked_up"}):
            r = http.post(
                "/api/v1/vehicles/car-1/events",
                json={**event, "booking_id": first["booking_id"]},
                headers=driver,
            )
            assert r.status_code == 200, r.text
        van = next(
            r
            for r in http.get("/api/v1/plan", headers=dispatcher).json()["routes"]
            if r["vehicle_id"] == "van-1"
        )
        slack = min(
            datetime.fromisoformat(s["latest_at"]) - datetime.fromisoformat(s["service_start"])
            for s in van["stops"]
            if s["kind"] == "pickup"
        )  # late by as much as the tightest pickup can take: at risk, no promise broken
        r = http.post(
            "/api/v1/vehicles/van-1/events",
            json={"type": "delayed", "delay_min": int(slack.total_seconds() // 60)},
            headers=dispatcher,
        )
        assert r.status_code == 200 and r.json()["broken"] == [], r.text
        plan = http.get("/api/v1/plan", headers=dispatcher).json()
    assert any(s["at_risk"] for r in plan["routes"] for s in r["stops"]), plan
    return day


def audit(page: Any, artifacts: Path, name: str) -> list[dict[str, Any]]:
    """Run axe-core on the page, keep its full results; the serious and critical violations."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options={"resultTypes": ["violations", "incomplete", "passes"]})
    folder = artifacts / "axe"
    folder.mkdir(exist_ok=True)
    results.save_to_file(folder / f"{name}.json")
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)
    assert results.response["testEngine"]["name"] == "axe-core"
    assert results.response["passes"], "axe checked nothing"
    return [v for v in results.response["violations"] if v["impact"] in SEVERE]


def describe(violations: list[dict[str, Any]]) -> str:
    return "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(" ".join(n["target"]) for n in v["nodes"][:6])
        for v in violations
    )


def sign_in_by_keyboard(page: Any, token: str) -> None:
    """The sign-in form has the focus: type the token, press Enter."""
    page.wait_for_function("document.activeElement && document.activeElement.id === 'login-token'")
    page.keyboard.type(token)
    page.keyboard.press("Enter")
    page.locator("#main").wait_for(state="visible")


@pytest.mark.parametrize("path", list(PAGES), ids=[p.name for p in PAGES.values()])
def test_page_passes_the_audit(new_page, site: Site, artifacts: Path, path: str) -> None:
    spec = PAGES[path]
    day = busy_day(site)
    page, _ = new_page(width=spec.width, height=spec.height)
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url))
    page.clock.install(time=site.clock())
    page.goto(site.url + path)
    found: dict[str, list[dict[str, Any]]] = {}
    if spec.role is not None:
        page.locator("#login-token").wait_for()
        found["sign-in"] = audit(page, artifacts, f"{spec.name}-sign-in")
        sign_in_by_keyboard(page, site.staff.tokens[spec.role])
    spec.ready(page, site, day)
    found["busy"] = audit(page, artifacts, f"{spec.name}-busy")
    problems = {
        state: describe([v for v in severe if v["id"] not in spec.accepted])
        for state, severe in found.items()
    }
    assert not any(problems.values()), problems
    seen = {v["id"] for severe in found.values() for v in severe}
    assert seen >= set(spec.accepted), f"no longer violated, drop: {set(spec.accepted) - seen}"
    elsewhere = [u for u in asked if not u.startswith((site.url, "data:", "blob:"))]
    assert not elsewhere, elsewhere


# -- the keyboard alone ---------------------------------------------------------------------

#: how the focused element shows its focus: whether it matches :focus-visible, and the
#: best contrast of its ring's colours (outline, box-shadow) against what is around it
#: (the first opaque background of its parents); WCAG 1.4.11 asks 3:1
FOCUS_RING = """() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  const rgb = (c) => (c.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => {
    const f = (v) => (v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const contrast = (a, b) => {
    const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p);
    return (x + 0.05) / (y + 0.05);
  };
  let around = [255, 255, 255];
  for (let p = el.parentElement; p; p = p.parentElement) {
    const c = rgb(getComputedStyle(p).backgroundColor);
    if (c.length === 3 || (c.length === 4 && c[3] === 1)) { around = c.slice(0, 3); break; }
  }
  const rings = [];
  if (style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2) {
    rings.push(rgb(style.outlineColor).slice(0, 3));
  }
  for (const m of style.boxShadow.matchAll(/rgba?\\([^)]*\\)/g)) rings.push(rgb(m[0]).slice(0, 3));
  return {
    what: el.tagName.toLowerCase() + (el.id ? "#" + el.id : ""),
    visible: el.matches(":focus-visible"),
    contrast: Math.max(0, ...rings.map((c) => contrast(c, around))),
  };
}"""

HAS_FOCUS_VISIBLE_RULE = """() => [...document.styleSheets].some((sheet) =>
  [...sheet.cssRules].some((rule) => (rule.selectorText || "").includes(":focus-visible")))"""


def assert_focus_seen(page: Any) -> dict[str, Any]:
    """The focused element has a ring drawn that stands out 3:1."""
    ring = page.evaluate(FOCUS_RING)
    assert ring["contrast"] >= 3, ring
    return ring


def tab_to(page: Any, selector: str, *, key: str = "Tab", limit: int = 80) -> list[str]:
    """Press Tab (or `key`, e.g. Shift+Tab) until the focus is on `selector`, checking the
    focus can be seen at every step; the elements passed on the way."""
    passed: list[str] = []
    for _ in range(limit):
        page.keyboard.press(key)
        passed.append(assert_focus_seen(page)["what"])
        if page.evaluate("(s) => document.activeElement.matches(s)", selector):
            return passed
    raise AssertionError(f"{selector} not reached in {limit} Tabs: {passed}")


def open_by_keyboard(new_page: Any, site: Site, path: str, role: str, **size: int) -> Any:
    page, _ = new_page(**size)
    page.clock.install(time=site.clock())
    page.goto(site.url + path)
    assert page.evaluate(HAS_FOCUS_VISIBLE_RULE)
    sign_in_by_keyboard(page, site.staff.tokens[role])
    return page


def test_operator_books_a_ride_with_the_keyboard_alone(
    new_page, site: Site, artifacts: Path
) -> None:
    page = open_by_keyboard(new_page, site, "/operator", "operator")
    wait_for_search_focus(page)
    page.keyboard.type("やまだ")
    page.locator("#rider-results li").first.wait_for()
    page.keyboard.press("Enter")
    assert page.locator("#rider-name").inner_text() == "山田 花子"
    ring = assert_focus_seen(page)  # the script moved the focus after a key: still shown
    assert ring["what"] == "select#trip-from" and ring["visible"], ring
    tab_to(page, "#trip-to")
    chosen = "document.activeElement.selectedOptions[0]?.text"
    for _ in range(20):  # the saved places, one arrow press at a time
        if page.evaluate(chosen) == "中央病院":
            break
        page.keyboard.press("ArrowDown")
    assert page.evaluate(chosen) == "中央病院"
    tab_to(page, "#trip-time")
    page.keyboard.type("1000")  # hours, then minutes (a 24-hour text field, read as 10:00)
    page.keyboard.press("Enter")  # check availability
    page.locator("#quote-ok").wait_for(state="visible")
    assert page.locator("#trip-time").input_value() == "10:00"
    promise = page.locator("#promise").inner_text()
    assert WINDOW.fullmatch(promise), promise
    assert "仮押さえ" in page.locator("#hold").inner_text()
    page.screenshot(path=str(artifacts / "operator-quote.png"), full_page=True)
    page.keyboard.press("Alt+Enter")  # 予約確定
    page.locator("#quote-confirmed").wait_for(state="visible")
    assert page.locator("#confirmed-promise").inner_text() == promise
    assert "予約を確定しました" in page.locator("#confirmed-msg").inner_text()
    booking_id = page.locator("#result").get_attribute("data-booking-id")
    page.locator("#rider-bookings-list li").first.wait_for()  # her bookings, the new one first
    assert page.locator("#rider-bookings-list li strong").first.inner_text() == promise
    page.screenshot(path=str(artifacts / "keyboard-operator-booked.png"), full_page=True)
    with site.http() as http:
        b = http.get(
            f"/api/v1/bookings/{booking_id}", headers=site.staff.headers("operator")
        ).json()
    assert b["status"] == "confirmed" and b["rider_name"] == "山田 花子", b


def test_dispatcher_reaches_a_stop_and_a_manifest_with_the_keyboard_alone(
    new_page, site: Site, artifacts: Path
) -> None:
    busy_day(site)
    page = open_by_keyboard(
        new_page, site, "/dispatcher?refresh_s=60", "dispatcher", width=1400, height=1000
    )
    page.locator("body[data-loaded=true]").wait_for()
    alert = page.locator('#alerts li[data-state="at_risk"]').first
    booking_id = alert.get_attribute("data-booking-id")
    passed = tab_to(page, '#alerts li[data-state="at_risk"] button')
    assert "div#map" in passed  # the map takes the focus on the way (arrows pan it)
    page.keyboard.press("Enter")  # to the stop's row in its vehicle's manifest
    row = page.evaluate(
        "({booking: document.activeElement.dataset.bookingId,"
        " vehicle: document.activeElement.closest('article')?.dataset.vehicleId})"
    )
    assert row == {"booking": booking_id, "vehicle": "van-1"}, row
    assert assert_focus_seen(page)["visible"]
    page.screenshot(path=str(artifacts / "keyboard-dispatcher-stop.png"))
    # back from the row to the other vehicle's manifest
    tab_to(page, '#manifests article[data-vehicle-id="car-1"] button', key="Shift+Tab")
    manifest = page.locator('#manifests article[data-vehicle-id="car-1"]')
    assert manifest.locator("tr[data-booking-id]").first.is_visible()
    assert manifest.locator("h3").inner_text() == "car-1 号車"
