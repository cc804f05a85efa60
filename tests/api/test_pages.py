"""The staff pages and the road map endpoint, without a browser.

The pages are mounted on a bare FastAPI app with `api.web.mount_web` (the same
call `api.app.create_app` makes), so these tests do not depend on the database.
"""

from __future__ import annotations

import json
import re
import warnings
from html.parser import HTMLParser
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
from fastapi import FastAPI
from shapely import LineString

from api.settings import Settings
from api.web import i18n, mount_web
from api.web.pages import STATIC_DIR, STATIC_URL, TEMPLATE_DIR
from api.web.roads import MAP_FORMAT, RoadClass, road_map
from routing.graph import graph_from_multidigraph
from routing.osm_parse import great_circle_m
from routing.speeds import SpeedTable
from tests.routing.conftest import toy_lonlat

with warnings.catch_warnings():
    # Starlette 1.x asks for httpx2 but still works with the httpx the venv has.
    warnings.filterwarnings("ignore", message=r".*install `httpx2`", category=UserWarning)
    from fastapi.testclient import TestClient

PAGES = {
    "/": "乗合タクシー 業務画面",
    "/operator": "オペレーター予約受付",
    "/dispatcher": "配車ボード",
    "/driver": "乗務員運行表",
}
#: XML namespace names are identifiers, never fetched.
ALLOWED_URLS = {"http://www.w3.org/2000/svg"}
#: Tachikawa, Tokyo: the bundled town lies inside this box (lon/lat degrees).
TACHIKAWA = (139.30, 35.65, 139.50, 35.78)


def make_app(settings: Settings) -> FastAPI:
    app = FastAPI()
    mount_web(app, settings)
    return app


@pytest.fixture(scope="module")
def client(data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    settings = Settings(data_dir=data_dir, cache_dir=tmp_path_factory.mktemp("cache"))
    with TestClient(make_app(settings)) as c:
        yield c


class _Collector(HTMLParser):
    """Every attribute value of a page, and the ids."""

    def __init__(self) -> None:
        super().__init__()
        self.attrs: list[tuple[str, str, str]] = []
        self.in_label: set[str] = set()  # ids of controls wrapped in a <label>
        self._labels = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            self.attrs.append((tag, name, value or ""))
        if tag == "label":
            self._labels += 1
        elif self._labels and tag in {"input", "select"}:
            self.in_label |= {v or "" for n, v in attrs if n == "id"}

    def handle_endtag(self, tag: str) -> None:
        if tag == "label":
            self._labels -= 1


def parse(html: str) -> _Collector:
    p = _Collector()
    p.feed(html)
    return p


# ------------------------------------------------------------------ pages


@pytest.mark.parametrize(("path", "title"), PAGES.items())
def test_page_is_japanese_html(client: TestClient, path: str, title: str) -> None:
    res = client.get(path)
    assert res.status_code == 200
    assert res.headers["content-type"].startswith("text/html")
    assert '<html lang="ja">' in res.text
    assert "<h1 data-i18n=" in res.text and title in res.text
    assert "ログイン" in res.text  # the sign-in form
    ids = [v for _, n, v in parse(res.text).attrs if n == "id"]
    assert len(ids) == len(set(ids)), "duplicate ids"


@pytest.mark.parametrize("path", ["/operator", "/dispatcher", "/driver"])
def test_page_in_english_on_request(client: TestClient, path: str) -> None:
    res = client.get(path, params={"lang": "en"})
    assert res.status_code == 200
    assert '<html lang="en">' in res.text
    assert 'data-lang-forced="true"' in res.text
    assert i18n.STRINGS["login.title"][1] in res.text


def test_operator_page_has_the_booking_controls(client: TestClient) -> None:
    html = client.get("/operator").text
    for word in (
        "出発希望時刻",
        "到着希望時刻",
        "お迎え予定時間帯",
        "予約確定",
        "代わりの時間",
        "車椅子",
    ):
        assert word in html
    page = parse(html)
    ids = {v for _, n, v in page.attrs if n == "id"}
    assert {"rider-q", "trip-from", "trip-to", "confirm-btn", "alternatives"} <= ids
    # every form control with an id has a label (for= or wrapping)
    labelled = {v for t, n, v in page.attrs if t == "label" and n == "for"} | page.in_label
    controls = {v for t, n, v in page.attrs if t in {"input", "select"} and n == "id"}
    assert len(controls) >= 8
    assert controls <= labelled, controls - labelled


def test_operator_page_takes_shop_orders_to_the_door_or_a_hall(client: TestClient) -> None:
    html = client.get("/operator").text
    words = ("買い物の注文", "受け渡し方法", "ご自宅へお届け", "公民館で受け取り", "代わりのお届け")
    for word in words:
        assert word in html
    page = parse(html)
    ids = {v for _, n, v in page.attrs if n == "id"}
    assert {
        "order-shop",
        "order-hall",
        "order-cargo",
        "order-weight",
        "order-btn",
        "order-words",
        "order-alternatives",
    } <= ids
    labelled = {v for t, n, v in page.attrs if t == "label" and n == "for"}
    assert {"order-shop", "order-hall", "order-cargo", "order-weight"} <= labelled
    radios = [v for t, n, v in page.attrs if t == "input" and n == "value"]
    assert {"auto", "door", "hall"} <= set(radios)
    script = (STATIC_DIR / "operator.js").read_text()
    assert 'api("/deliveries"' in script and "hallsNearest()" in script


def test_operator_page_books_home_visits(client: TestClient) -> None:
    html = client.get("/operator").text
    for word in (
        "訪問診療の予約",
        "訪問予定時間帯（診療所の指定）",
        "訪問希望時刻",
        "診療時間（分）",
    ):
        assert word in html
    page = parse(html)
    ids = {v for _, n, v in page.attrs if n == "id"}
    controls = {"visit-date", "visit-start", "visit-end", "visit-wanted", "visit-duration"}
    assert controls | {"visit-btn", "visit-words", "visit-alternatives", "visit-missing"} <= ids
    labelled = {v for t, n, v in page.attrs if t == "label" and n == "for"}
    assert controls <= labelled
    radios = [v for t, n, v in page.attrs if t == "input" and n == "value"]
    assert {"appointment", "wanted"} <= set(radios)
    assert re.search(r'id="visit-duration"[^>]*min="10" max="120"', html)
    # pages take "now" from the service (none here: the pages without the service)
    assert 'data-service-now=""' in html
    script = (STATIC_DIR / "operator.js").read_text()
    assert 'api("/visits"' in script and '$("visit-date").value = todayIso();' in script
    assert "idempotencyKey" in script.split('api("/visits"')[1].split("\n")[0]


def test_board_and_tablet_show_visit_stops() -> None:
    for name in ("dispatcher.js", "driver.js"):
        script = (STATIC_DIR / name).read_text()
        assert 'tr("visit.badge")' in script, name
        assert 'tr("visit.minutes", { n: s.duration_min })' in script, name
    driver = (STATIC_DIR / "driver.js").read_text()
    assert '["visited", "dr.visited", "btn-alight"]' in driver
    assert "visit_not_begun" in driver
    assert i18n.STRINGS["visit.badge"][0] == "訪問"
    assert i18n.STRINGS["kind.visit"][0] == "訪問診療"
    assert i18n.STRINGS["dr.visited"] == ("訪問完了", "Visit done")


def test_board_and_tablet_show_hall_stops_with_their_parcels() -> None:
    for name in ("dispatcher.js", "driver.js"):
        script = (STATIC_DIR / name).read_text()
        assert 'tr("hall.badge")' in script, name
        assert '"hall.parcels", { n: s.parcels.length }' in script, name
    assert i18n.STRINGS["hall.badge"][0] == "公民館"
    assert i18n.STRINGS["hall.parcels"] == ("荷物 {n}個", "{n} parcels")


def test_board_has_the_drone_panel_with_a_confirmed_switch(client: TestClient) -> None:
    html = client.get("/dispatcher").text
    page = parse(html)
    ids = {v for _, n, v in page.attrs if n == "id"}
    assert {
        "drones",
        "drone-flights",
        "grounded-list",
        "ground-form",
        "ground-drone",
        "ground-start",
        "ground-end",
        "ground-cause",
        "ground-note",
        "ground-btn",
    } <= ids
    labelled = {v for t, n, v in page.attrs if t == "label" and n == "for"}
    assert {"ground-drone", "ground-start", "ground-end", "ground-cause", "ground-note"} <= labelled
    for element_id, key in (("drones-h", "dp.drones"), ("grounded-h", "dp.grounded")):
        found = re.search(
            rf'id="{element_id}"[^>]*data-i18n="{re.escape(key)}"[^>]*>([^<]*)<', html
        )
        assert found is not None and found.group(1) == i18n.STRINGS[key][0], element_id
    assert i18n.STRINGS["dp.drones"][0] == "ドローン便"
    assert {v for t, n, v in page.attrs if t == "option" and n == "value"} >= {
        "weather",
        "dispatcher",
    }
    script = (STATIC_DIR / "dispatcher.js").read_text()
    for call in ('api("/flights")', 'api("/drones/grounded"', "/lift`"):
        assert call in script, call
    # grounding and lifting ask first; times are the service's day and clock
    assert 'window.confirm(t("dp.ground.confirm"' in script
    assert 'window.confirm(t("dp.unground.confirm"' in script
    assert "zonedIso(day, start)" in script and "state.plan.now" in script


def test_operator_shows_a_flown_order_as_drone_delivery(client: TestClient) -> None:
    html = client.get("/operator").text
    ids = {v for _, n, v in parse(html).attrs if n == "id"}
    assert {"order-drone", "order-carrier"} <= ids
    assert "ドローン便" in html
    script = (STATIC_DIR / "operator.js").read_text()
    assert '$("order-drone").hidden = !q.drone' in script
    assert "carrier_${lang()}" in script


def test_dispatcher_page_passes_the_refresh_period(client: TestClient) -> None:
    html = client.get("/dispatcher", params={"refresh_s": 10}).text
    assert 'data-refresh-s="10"' in html
    # drawn by the server, in Japanese first
    for element_id, key in (
        ("reopt-btn", "dp.reoptimise"),  # 再最適化
        ("alerts-h", "dp.alerts"),  # 遅れ・遅延のおそれ
        ("manifests-h", "dp.manifests"),  # 運行表
        ("audit-h", "dp.audit"),  # 変更履歴
    ):
        found = re.search(
            rf'id="{element_id}"[^>]*data-i18n="{re.escape(key)}"[^>]*>([^<]*)<', html
        )
        assert found is not None, element_id
        assert found.group(1) == i18n.STRINGS[key][0]
    # drawn by dispatcher.js from the page's strings (ルート固定 on each route)
    island = re.search(
        r'<script type="application/json" id="noriai-strings">(.*?)</script>', html, re.S
    )
    assert island is not None
    assert json.loads(island.group(1))["ja"]["dp.lock"] == "ルート固定"
    assert 'tr(locked ? "dp.unlock" : "dp.lock")' in (STATIC_DIR / "dispatcher.js").read_text()


def test_driver_page_passes_the_vehicle(client: TestClient) -> None:
    html = client.get("/driver", params={"vehicle": "sedan-1"}).text
    assert 'data-vehicle="sedan-1"' in html
    assert "現在地を報告" in html


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/operator", {"lang": "fr"}),
        ("/", {"lang": "JA"}),
        ("/dispatcher", {"refresh_s": 1}),
        ("/dispatcher", {"refresh_s": "soon"}),
        ("/driver", {"vehicle": "<script>"}),
        ("/driver", {"vehicle": "x" * 65}),
        ("/api/v1/map", {"tolerance_m": -1}),
        ("/api/v1/map", {"tolerance_m": 51}),
        ("/api/v1/map", {"tolerance_m": "fine"}),
        ("/api/v1/map", {"highway": "footway"}),
    ],
)
def test_bad_query_parameters_are_422(client: TestClient, path: str, params: dict) -> None:
    res = client.get(path, params=params)
    assert res.status_code == 422, res.text


def test_page_strings_are_escaped_in_the_json_island(client: TestClient) -> None:
    html = client.get("/operator").text
    island = re.search(
        r'<script type="application/json" id="noriai-strings">(.*?)</script>', html, re.S
    )
    assert island is not None
    assert json.loads(island.group(1)) == i18n.both()


# ------------------------------------------------------------------ strings


def _template_keys() -> set[str]:
    keys: set[str] = set()
    for path in TEMPLATE_DIR.iterdir():
        text = path.read_text()
        keys |= set(re.findall(r'i18n\("([\w.]+)"\)', text))
        keys |= set(re.findall(r"""\bt\(['"]([\w.]+)['"]\)""", text))
        keys |= set(re.findall(r'title_key = "([\w.]+)"', text))
        for attr in re.findall(r'data-i18n-attr="([^"]+)"', text):
            keys |= {pair.split(":")[1] for pair in attr.split(";")}
    return keys


def _script_keys() -> set[str]:
    keys: set[str] = set()
    for path in STATIC_DIR.glob("*.js"):
        text = path.read_text()
        keys |= set(re.findall(r"""\b(?:t|tr)\(\s*["']([\w.]+)["']""", text))
    return keys


def test_every_string_key_used_exists_in_both_languages() -> None:
    used = _template_keys() | _script_keys()
    assert len(used) > 50
    missing = used - set(i18n.STRINGS)
    assert not missing, f"keys used but not in api/web/i18n.py: {sorted(missing)}"
    for key, (ja, en) in i18n.STRINGS.items():
        assert ja.strip() and en.strip(), key
        assert set(re.findall(r"{\w+}", ja)) == set(re.findall(r"{\w+}", en)), key


def test_windows_use_the_glossary_format() -> None:
    common = (STATIC_DIR / "common.js").read_text()
    assert "`「${fmtTime(start)}〜${fmtTime(end)}」`" in common


# ------------------------------------------------------------------ static files


def test_every_static_file_is_served(client: TestClient) -> None:
    files = [p for p in STATIC_DIR.iterdir() if p.is_file()]
    assert {"common.js", "map.js", "noriai.css", "operator.js", "dispatcher.js", "driver.js"} <= {
        p.name for p in files
    }
    kinds = {".js": "javascript", ".css": "text/css", ".svg": "image/svg+xml"}
    for path in files:
        res = client.get(f"{STATIC_URL}/{path.name}")
        assert res.status_code == 200, path.name
        assert res.content == path.read_bytes()
        assert kinds[path.suffix] in res.headers["content-type"], path.name
    assert client.get(f"{STATIC_URL}/nothing.js").status_code == 404


@pytest.mark.parametrize("path", list(PAGES))
def test_pages_reference_only_local_assets_that_exist(client: TestClient, path: str) -> None:
    html = client.get(path).text
    refs = [v for _, n, v in parse(html).attrs if n in {"src", "href"}]
    assert any(r.startswith(STATIC_URL) for r in refs)
    for ref in refs:
        assert ref.startswith("/") or ref.startswith("#"), ref
        if ref.startswith(STATIC_URL):
            assert client.get(ref).status_code == 200, ref


def test_no_external_urls_in_templates_and_static_files() -> None:
    files = [*TEMPLATE_DIR.iterdir(), *STATIC_DIR.iterdir()]
    assert len(files) >= 10
    for path in files:
        text = path.read_text()
        urls = set(re.findall(r"""(?:https?:)?//[\w.-]+\.[a-z]{2,}[^\s"'`)<>]*""", text))
        assert urls <= ALLOWED_URLS, f"{path.name} refers to {sorted(urls - ALLOWED_URLS)}"
        assert "@import" not in text, path.name


def test_scripts_import_only_local_modules() -> None:
    for path in STATIC_DIR.glob("*.js"):
        for spec in re.findall(r"""\bfrom\s+["']([^"']+)["']""", path.read_text()):
            assert spec.startswith("./") and (STATIC_DIR / spec[2:]).is_file(), (path.name, spec)


# ------------------------------------------------------------------ road map


def test_map_endpoint_returns_the_town_within_its_bbox(client: TestClient) -> None:
    res = client.get("/api/v1/map")
    assert res.status_code == 200
    assert res.headers["content-type"].startswith("application/json")
    data = res.json()
    assert data["format"] == MAP_FORMAT
    min_lon, min_lat, max_lon, max_lat = data["bbox"]
    assert TACHIKAWA[0] < min_lon < max_lon < TACHIKAWA[2]
    assert TACHIKAWA[1] < min_lat < max_lat < TACHIKAWA[3]
    assert data["n_roads"] > 1000
    order = [c.value for c in reversed(RoadClass)]
    assert data["classes"] == sorted(data["classes"], key=order.index)
    assert "primary" in data["classes"] and "residential" in data["classes"]
    n_lines = n_points = 0
    eps = 1e-5
    for layer in data["layers"]:
        assert layer["class"] in data["classes"]
        for line in layer["lines"]:
            pts = np.asarray(line, dtype=float)
            assert pts.ndim == 2 and pts.shape[1] == 2 and len(pts) >= 2
            assert np.all(pts[:, 0] >= min_lon - eps) and np.all(pts[:, 0] <= max_lon + eps)
            assert np.all(pts[:, 1] >= min_lat - eps) and np.all(pts[:, 1] <= max_lat + eps)
            n_lines += 1
            n_points += len(pts)
    assert (n_lines, n_points) == (data["n_roads"], data["n_points"])


def test_map_endpoint_filters_classes_and_simplifies(client: TestClient) -> None:
    main = client.get("/api/v1/map", params=[("highway", "primary"), ("highway", "secondary")])
    assert main.status_code == 200
    data = main.json()
    assert data["classes"] == ["secondary", "primary"]
    everything = client.get("/api/v1/map").json()
    assert 0 < data["n_roads"] < everything["n_roads"]
    exact = client.get("/api/v1/map", params={"tolerance_m": 0}).json()
    coarse = client.get("/api/v1/map", params={"tolerance_m": 20}).json()
    assert exact["n_roads"] == coarse["n_roads"]
    assert exact["n_points"] > everything["n_points"] > coarse["n_points"]


def test_map_endpoint_says_why_when_the_map_is_missing(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, cache_dir=tmp_path / "cache")
    with TestClient(make_app(settings)) as c:
        res = c.get("/api/v1/map")
        assert res.status_code == 503
        assert res.headers["content-type"].startswith("application/problem+json")
        body = res.json()
        assert body["status"] == 503 and "tachikawa_drive.graphml" in body["detail"]
        assert c.get("/operator").status_code == 200  # pages do not need the map


def _line_town() -> nx.MultiDiGraph:
    """A two-way street with a collinear middle point, and a one-way street with a bend."""
    G = nx.MultiDiGraph(crs="epsg:4326")
    for osmid, xy in {1: (0.0, 0.0), 2: (400.0, 0.0), 3: (400.0, 300.0)}.items():
        lon, lat = toy_lonlat(*xy)
        G.add_node(osmid, x=lon, y=lat)
    straight = LineString([toy_lonlat(0, 0), toy_lonlat(200, 0.5), toy_lonlat(400, 0)])
    G.add_edge(1, 2, length=400.0, highway="primary", geometry=straight)
    G.add_edge(2, 1, length=400.0, highway="primary", geometry=straight.reverse())
    bent = LineString([toy_lonlat(400, 0), toy_lonlat(300, 150), toy_lonlat(400, 300)])
    G.add_edge(2, 3, length=360.0, highway="residential_link", oneway=True, geometry=bent)
    G.add_edge(3, 1, length=500.0, highway="residential")
    return G


def test_road_map_draws_each_street_once_and_simplifies_in_metres() -> None:
    graph = graph_from_multidigraph(_line_town(), SpeedTable(factor=1.0), source="line town")
    assert graph.n_edges == 4
    exact = road_map(graph, tolerance_m=0)
    assert len(exact.roads) == 3  # the two-way street once
    assert sorted(len(xy) for _, xy in exact.roads) == [2, 3, 3]
    fine = road_map(graph, tolerance_m=1.0)  # drops the 0.5 m wiggle, keeps the 100 m bend
    assert sorted(len(xy) for _, xy in fine.roads) == [2, 2, 3]
    assert {c for c, _ in fine.roads} == {RoadClass.primary, RoadClass.residential}
    data = fine.as_dict(tolerance_m=1.0, classes=[RoadClass.primary])
    assert data["classes"] == ["primary"] and data["n_roads"] == 1
    start, end = data["layers"][0]["lines"][0]
    assert {tuple(start), tuple(end)} == {
        tuple(round(v, 5) for v in toy_lonlat(0, 0)),
        tuple(round(v, 5) for v in toy_lonlat(400, 0)),
    }
    with pytest.raises(ValueError, match="tolerance_m"):
        road_map(graph, tolerance_m=-1)


# ------------------------------------------------------------------ road paths


def _two_road_points(client: TestClient) -> tuple[list[float], list[float]]:
    """Two points on main roads far apart: the first and last point of the primary layer."""
    data = client.get("/api/v1/map", params={"highway": "primary", "tolerance_m": 0}).json()
    lines = data["layers"][0]["lines"]
    return lines[0][0], lines[-1][-1]


def test_path_endpoint_follows_the_roads(client: TestClient) -> None:
    a, b = _two_road_points(client)
    res = client.get("/api/v1/map/path", params={"points": f"{a[0]},{a[1]};{b[0]},{b[1]}"})
    assert res.status_code == 200, res.text
    data = res.json()
    assert data["legs"] == 1
    coords = np.asarray(data["coords"])
    assert len(coords) > 2
    assert np.allclose(coords[0], a, atol=2e-5) and np.allclose(coords[-1], b, atol=2e-5)
    straight = great_circle_m(a[0], a[1], b[0], b[1])
    assert data["length_m"] >= straight
    assert data["length_m"] == pytest.approx(
        great_circle_m(coords[:-1, 0], coords[:-1, 1], coords[1:, 0], coords[1:, 1]).sum(), rel=1e-3
    )
    there_and_back = client.get(
        "/api/v1/map/path", params={"points": f"{a[0]},{a[1]};{b[0]},{b[1]};{a[0]},{a[1]}"}
    ).json()
    assert there_and_back["legs"] == 2 and there_and_back["length_m"] > data["length_m"]


@pytest.mark.parametrize(
    ("points", "says"),
    [
        ("139.40,35.70", "string_pattern_mismatch"),
        ("139.40,35.70;abc", "string_pattern_mismatch"),
        ("139.40,35.70;200,35.70", "points[1]"),
        ("139.40,35.70;0.5,0.5", "from the nearest drivable road"),
        (";".join(["139.40,35.70"] * 65), "2 to 64"),
    ],
)
def test_path_endpoint_rejects_bad_points(client: TestClient, points: str, says: str) -> None:
    a, _ = _two_road_points(client)
    points = points.replace("139.40,35.70", f"{a[0]},{a[1]}")
    res = client.get("/api/v1/map/path", params={"points": points})
    assert res.status_code == 422
    assert says in res.text


def test_board_lists_stops_at_risk_with_their_chance_and_reason() -> None:
    script = (STATIC_DIR / "dispatcher.js").read_text()
    # late first, then the most likely late; each with 「遅れる確率 N%」 and why
    assert "flagged.sort((a, b) => rank(b) - rank(a))" in script
    assert 'tr("risk.probability", { p })' in script and "tr(`risk.${s.risk_reason}`)" in script
    assert i18n.STRINGS["risk.probability"] == ("遅れる確率 {p}%", "{p}% chance late")
    for reason, ja in (
        ("vehicle_behind", "遅れている車両"),
        ("tight_chain", "余裕のない連続"),
        ("long_leg", "長い区間"),
    ):
        assert i18n.STRINGS[f"risk.{reason}"][0] == ja


def test_operator_page_registers_standing_bookings_and_lists_rides_not_kept(
    client: TestClient,
) -> None:
    html = client.get("/operator").text
    for word in ("定期予約の登録", "帰り便", "祝日は運休", "明日の定期予約で確保できない便"):
        assert word in html, word
    assert i18n.STRINGS["st.skip.date"][0] == "例外日（乗らない日）"
    page = parse(html)
    ids = {v for _, n, v in page.attrs if n == "id"}
    controls = {
        "standing-from",
        "standing-to",
        "standing-time",
        "standing-after",
        "standing-back",
        "standing-start",
        "standing-end",
    }
    assert controls | {"standing-btn", "standing-problems-list", "standing-make"} <= ids
    labelled = {v for t, n, v in page.attrs if t == "label" and n == "for"}
    assert controls <= labelled
    assert "standing-holidays" in page.in_label
    days = [v for t, n, v in page.attrs if t == "input" and n == "value"]
    assert {"mon", "tue", "wed", "thu", "fri", "sat", "sun"} <= set(days)
    assert {"none", "after", "at"} <= set(days)
    script = (STATIC_DIR / "operator.js").read_text()
    assert 'api("/standing-bookings", { method: "POST", body: payload, idempotencyKey })' in script
    assert 'api("/standing-bookings/problems"' in script and "tomorrowIso()" in script
    assert "add_skip_dates" in script
    # the exception date input made for each standing booking has its label
    assert 'el("label", { for: dateId }, t("st.skip.date"))' in script
    assert i18n.STRINGS["st.problems"] == (
        "明日の定期予約で確保できない便",
        "Standing rides we cannot keep tomorrow",
    )
