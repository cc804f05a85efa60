"""Fixtures of the service tests: the same tests run on SQLite and on PostgreSQL.

``backend`` is parametrised over both, except for tests marked ``sqlite_only`` (the rule
is in `backend`). PostgreSQL comes from
``NORIAI_TEST_DATABASE_URL`` (a database whose name contains "test": it is wiped) or
from a private server started from the local binaries; without either the
PostgreSQL half skips, except on CI (``CI`` set), where it fails.

The town is the bundled Tachikawa graph; the service day is Monday 2 June 2025, the
clock starts at 07:30 in Tokyo and tests move it (`FakeClock`).
"""

from __future__ import annotations

import copy
import os
import shutil
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from api.db.engine import make_engine, session_factories
from api.db.migrate import upgrade
from api.main import create_app
from api.security import create_user, issue_token
from api.settings import Settings
from api.vocab import Role
from routing.graph import RoadGraph, load_graph
from routing.speeds import SpeedTable
from tests.api import pg
from tests.conftest import on_ci

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message=r".*install `httpx2`", category=UserWarning)
    from fastapi.testclient import TestClient

TOKYO = ZoneInfo("Asia/Tokyo")
DAY = datetime(2025, 6, 2, tzinfo=TOKYO).date()
START = datetime(2025, 6, 2, 7, 30, tzinfo=TOKYO)

#: Places of the test town (lon, lat on or near Tachikawa's roads).
PLACES: dict[str, tuple[str, str, float, float]] = {
    "depot": ("車庫", "depot", 139.3975, 35.7028),
    "station": ("立川駅", "station", 139.4137, 35.6980),
    "city_hall": ("市役所", "city_hall", 139.4080, 35.7140),
    "hospital": ("中央病院", "hospital", 139.4200, 35.7050),
    "supermarket": ("スーパー", "supermarket", 139.4030, 35.7010),
}
HOMES = {
    "yamada": (139.4250, 35.6950),
    "sato": (139.3910, 35.7173),
    "suzuki": (139.4294, 35.7148),
}
OFF_NETWORK = (139.30, 35.60)  # south of the map


def at(hour: int, minute: int = 0, *, days: int = 0) -> datetime:
    """A time of the test day in Tokyo."""
    return datetime(2025, 6, 2, hour, minute, tzinfo=TOKYO) + timedelta(days=days)


def iso(hour: int, minute: int = 0, *, days: int = 0) -> str:
    return at(hour, minute, days=days).isoformat()


class FakeClock:
    """The service's clock, moved by the tests."""

    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def set(self, hour: int, minute: int = 0) -> None:
        self.now = at(hour, minute)

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


# -- road graph --------------------------------------------------------------------


@pytest.fixture(scope="session")
def town_graph(data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> RoadGraph:
    settings = Settings(data_dir=data_dir)
    return load_graph(
        settings.town_graph_path(),
        SpeedTable(factor=settings.speed_factor),
        cache_dir=tmp_path_factory.mktemp("graph-cache"),
    )


# -- databases --------------------------------------------------------------------------


@pytest.fixture(scope="session")
def pg_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated, empty PostgreSQL test database (skips without PostgreSQL, except on CI)."""
    url = os.environ.get(pg.ENV_URL)
    if url:
        name = make_url(url).database or ""
        if "test" not in name:
            pytest.fail(f"{pg.ENV_URL} must name a test database (its name contains 'test')")
        yield _fresh_pg(url)
        return
    try:
        server = pg.throwaway_server(tmp_path_factory.mktemp("pg"))
        admin_url = server.__enter__()
    except Exception as exc:  # any failure to start a server
        message = f"PostgreSQL unavailable ({exc}); set {pg.ENV_URL}"
        if on_ci():
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    try:
        engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text("CREATE DATABASE noriai_test"))
        engine.dispose()
        test_url = make_url(admin_url).set(database="noriai_test").render_as_string(False)
        yield _fresh_pg(test_url, wipe=False)  # just created
    finally:
        server.__exit__(None, None, None)


def _fresh_pg(url: str, *, wipe: bool = True) -> str:
    """Drop everything the test user owns in the database (`wipe`), then migrate it."""
    engine = make_engine(url)
    try:
        if wipe:
            with engine.begin() as conn:
                conn.execute(text("DROP OWNED BY CURRENT_USER CASCADE"))
        upgrade(engine)
    finally:
        engine.dispose()
    return url


def truncate_all(url: str) -> None:
    engine = make_engine(url)
    tables = [t for t in inspect(engine).get_table_names() if t != "alembic_version"]
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test."""
    path = tmp_path_factory.mktemp("sqlite") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()  # the last connection closing folds the WAL into the file
    assert not path.with_name("template.db-wal").exists()
    return path


#: The databases of the service; `backend` runs a test on each (or on SQLite alone).
BACKENDS = ("sqlite", "postgresql")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrise `backend` by its rule: every database, or SQLite alone for a test
    marked ``sqlite_only`` (a test that parametrises ``backend`` itself is left alone)."""
    if "backend" not in metafunc.fixturenames:
        return
    for mark in metafunc.definition.iter_markers("parametrize"):
        names = mark.args[0]
        if "backend" in (names.replace(" ", "").split(",") if isinstance(names, str) else names):
            return
    only_sqlite = metafunc.definition.get_closest_marker("sqlite_only") is not None
    metafunc.parametrize("backend", BACKENDS[:1] if only_sqlite else BACKENDS, indirect=True)


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    """The test's database: "sqlite", then "postgresql" (`pytest_generate_tests`).

    The rule: a test runs on PostgreSQL too when the database is part of what it checks:
    what is written and read back (a booking's life, lists and their order, searches,
    the audit trail, JSON and date/time columns), idempotency keys, concurrency and
    locking, migrations, a restart, the booking flow end to end. A test whose subject is
    a refusal before anything is stored or read (a 422 naming a field, a 401 or 403 by
    role, a 404), or a page as rendered, is marked ``@pytest.mark.sqlite_only``: the same
    code answers on both databases and no SQL that differs between them is exercised.
    When in doubt, leave the mark off.
    """
    return request.param


@pytest.fixture
def database_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty, migrated database of the test's backend (on SQLite, for a test that takes
    the default `town`, a copy of `sqlite_town`: the staff and the town already in it)."""
    if backend == "sqlite":
        seeded = request.getfixturevalue("sqlite_town") if takes_default_town(request) else None
        template = request.getfixturevalue("sqlite_template") if seeded is None else seeded.path
        path = tmp_path / "noriai.db"
        shutil.copy(template, path)
        if seeded is not None:
            request.node.stash[SEEDED_TOWN] = seeded
        return f"sqlite:///{path}"
    url = request.getfixturevalue("pg_url")
    truncate_all(url)
    return url


# -- the app ---------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def forget_finished_apps() -> Iterator[None]:
    """Let each test's app go when the test ends.

    FastAPI keeps the endpoint functions it has classified in `functools.lru_cache`s of
    4096 entries (``fastapi.dependencies.models``); an app's own closures (its ``/docs``
    page, the pages of `api.web`) hold the app, and with it its runtime and database
    engine: ~10 MB and 40 000 objects a test, kept for the whole session. The heap grew
    past 5 GB and every later garbage collection slowed down (a benchmark test that
    collects garbage on purpose took 125 s instead of 8). The caches only memoise
    ``inspect`` answers, so emptying them changes nothing but memory.
    """
    yield
    from fastapi.dependencies import models

    for value in vars(models).values():
        if hasattr(value, "cache_clear"):
            value.cache_clear()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def service_settings(database_url: str, data_dir: Path, cache_dir: Path) -> Settings:
    return Settings(
        data_dir=data_dir,
        cache_dir=cache_dir,
        database_url=database_url,
        auto_migrate=False,
        reopt_time_limit_s=1.0,
    )


@pytest.fixture
def settings(database_url: str, data_dir: Path, tmp_path: Path) -> Settings:
    return service_settings(database_url, data_dir, tmp_path / "cache")


@pytest.fixture
def app(settings: Settings, town_graph: RoadGraph, clock: FakeClock) -> Any:
    return create_app(settings, graph=town_graph, clock=clock)


@pytest.fixture
def client(app: Any) -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c


@dataclass
class Staff:
    """One signed-in user per role: ``staff.headers("operator")``."""

    tokens: dict[str, str] = field(default_factory=dict)
    ids: dict[str, int] = field(default_factory=dict)

    def headers(self, role: str, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}", **extra}


def make_staff(database_url: str, *, driver_vehicle: str = "car-1") -> Staff:
    engine = make_engine(database_url)
    writer, _ = session_factories(engine)
    staff = Staff()
    with writer() as session:
        for role in Role:
            user = create_user(
                session,
                f"{role.value}-san",
                role,
                vehicle_id=driver_vehicle if role is Role.DRIVER else None,
            )
            staff.tokens[role.value] = issue_token(session, user).secret
            staff.ids[role.value] = user.id
        session.commit()
    engine.dispose()
    return staff


@pytest.fixture
def staff(database_url: str, request: pytest.FixtureRequest) -> Staff:
    seeded = request.node.stash.get(SEEDED_TOWN, None)
    return make_staff(database_url) if seeded is None else copy.deepcopy(seeded.staff)


# -- the town: places, vehicles, shifts, riders --------------------------------------------


@dataclass
class Town:
    places: dict[str, int]
    riders: dict[str, int]
    homes: dict[str, int]
    vehicles: list[str]


def seed_town(
    client: Any,
    staff: Staff,
    *,
    vehicles: tuple[tuple[str, int, int], ...] = (("car-1", 3, 0), ("van-1", 4, 1)),
    shift: tuple[int, int] = (8, 17),
) -> Town:
    """Places, vehicles with a shift on the test day, and three riders, through the API."""
    admin = staff.headers("admin")
    places = {}
    for key, (name, kind, lon, lat) in PLACES.items():
        r = client.post(
            "/api/v1/places",
            json={"name": name, "kind": kind, "lon": lon, "lat": lat},
            headers=admin,
        )
        assert r.status_code == 201, r.text
        places[key] = r.json()["id"]
    for vid, seats, wheelchair in vehicles:
        r = client.post(
            "/api/v1/vehicles",
            json={
                "id": vid,
                "name": f"{vid} 号車",
                "seats": seats,
                "wheelchair_places": wheelchair,
                "cargo_units": 4,
                "depot_place_id": places["depot"],
            },
            headers=admin,
        )
        assert r.status_code == 201, r.text
        r = client.post(
            "/api/v1/shifts",
            json={"vehicle_id": vid, "start_at": iso(shift[0]), "end_at": iso(shift[1])},
            headers=admin,
        )
        assert r.status_code == 201, r.text
    riders, homes = {}, {}
    people = {
        "yamada": ("山田 花子", "ヤマダ ハナコ", "042-523-1111", False, ["age_65"]),
        "sato": ("佐藤 一郎", "サトウ イチロウ", "042-524-2222", False, ["licence_returned"]),
        "suzuki": ("鈴木 次郎", "スズキ ジロウ", "042-525-3333", True, ["disability"]),
    }
    for i, (key, (name, kana, phone, wheelchair, elig)) in enumerate(people.items(), 1):
        lon, lat = HOMES[key]
        r = client.post(
            "/api/v1/riders",
            json={
                "registration_no": f"T-{i:04d}",
                "name": name,
                "kana": kana,
                "phone": phone,
                "home": {"lon": lon, "lat": lat, "address": f"立川市 {i}-1"},
                "eligibility": elig,
                "wheelchair": wheelchair,
            },
            headers=staff.headers("operator"),
        )
        assert r.status_code == 201, r.text
        riders[key] = r.json()["id"]
        homes[key] = r.json()["home"]["id"]
    return Town(places, riders, homes, [v[0] for v in vehicles])


@pytest.fixture
def town(client: Any, staff: Staff, request: pytest.FixtureRequest) -> Town:
    """`seed_town` through the test's client; on SQLite the seeded copy (`sqlite_town`)."""
    seeded = request.node.stash.get(SEEDED_TOWN, None)
    return seed_town(client, staff) if seeded is None else copy.deepcopy(seeded.town)


@dataclass(frozen=True)
class SeededTown:
    """A SQLite file where `make_staff` and `seed_town` have run, and what they returned."""

    path: Path
    staff: Staff
    town: Town


SEEDED_TOWN = pytest.StashKey[SeededTown]()

#: The fixtures whose definitions here `sqlite_town` stands for
SEEDING = ("settings", "app", "client", "clock", "staff", "town")


def takes_default_town(request: pytest.FixtureRequest) -> bool:
    """Whether the test takes `town` with the fixtures of this file that make it.

    A test that overrides one of `SEEDING` (its own `settings`, a client with a sender)
    seeds its town itself through its client, as every PostgreSQL test does. The check
    reads pytest's fixture closure of the test (`_fixtureinfo`): if pytest moves it,
    every test seeds its own town again, slower and otherwise the same.
    """
    if "town" not in request.fixturenames:
        return False
    try:
        defs = request.node._fixtureinfo.name2fixturedefs  # type: ignore[attr-defined]
    except AttributeError:
        return False
    return all(
        getattr(defs[name][-1].func, "__module__", None) == __name__
        for name in SEEDING
        if name in defs
    )


@pytest.fixture(scope="session")
def sqlite_town(
    sqlite_template: Path,
    data_dir: Path,
    town_graph: RoadGraph,
    tmp_path_factory: pytest.TempPathFactory,
) -> SeededTown:
    """The staff and the town seeded once, through the API as `staff` and `town` do on a
    fresh database at the clock's start: the SQLite tests that take `town` start from a
    copy of this file instead of ~20 requests each (the day is untouched: no quote yet).
    """
    folder = tmp_path_factory.mktemp("sqlite-town")
    path = folder / "town.db"
    shutil.copy(sqlite_template, path)
    url = f"sqlite:///{path}"
    staff = make_staff(url)
    settings = service_settings(url, data_dir, folder / "cache")
    with TestClient(create_app(settings, graph=town_graph, clock=FakeClock())) as client:
        town = seed_town(client, staff)
    assert not path.with_name("town.db-wal").exists()  # folded in when the app stopped
    return SeededTown(path, staff, town)


def quote_body(town: Town, rider: str = "yamada", *, to: str = "hospital", **kw: Any) -> dict:
    """A ride from the rider's home to a saved place, by departure at 09:00 unless given."""
    body = {
        "rider_id": town.riders[rider],
        "pickup_place_id": town.homes[rider],
        "dropoff_place_id": town.places[to],
    }
    if "arrive_by" not in kw:
        body["depart_at"] = iso(9)
    body.update(kw)
    return body


@dataclass
class BookedDay:
    """A town with a day under way: confirmed rides and a delivery, one quote held."""

    town: Town
    confirmed: list[str]
    held: str


def book_day(client: Any, staff: Staff, town: Town) -> BookedDay:
    """Book the test day through the API: three rides confirmed (by departure and by
    arrival, three riders, the wheelchair user in the van), a shop delivery, and one
    quote left on hold."""
    op = staff.headers("operator")
    asks = [
        quote_body(town, "yamada", to="hospital"),
        quote_body(town, "sato", to="station", depart_at=iso(9, 30)),
        quote_body(town, "suzuki", to="city_hall", arrive_by=iso(11)),
    ]
    confirmed = []
    for body in asks:
        q = client.post("/api/v1/quotes", json=body, headers=op)
        assert q.status_code == 201 and q.json()["feasible"], q.text
        c = client.post(f"/api/v1/quotes/{q.json()['id']}/confirm", headers=op)
        assert c.status_code == 200, c.text
        confirmed.append(q.json()["id"])
    delivery = client.post(
        "/api/v1/deliveries",
        json={"shop_place_id": town.places["supermarket"], "rider_id": town.riders["sato"]},
        headers=op,
    )
    assert delivery.status_code == 201, delivery.text
    confirmed.append(delivery.json()["id"])
    held = client.post(
        "/api/v1/quotes",
        json=quote_body(town, "yamada", to="supermarket", depart_at=iso(14)),
        headers=op,
    )
    assert held.status_code == 201 and held.json()["feasible"], held.text
    return BookedDay(town, confirmed, held.json()["id"])


@pytest.fixture
def booked_day(client: Any, staff: Staff, town: Town) -> BookedDay:
    return book_day(client, staff, town)
