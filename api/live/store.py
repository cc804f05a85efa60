"""Service days in the database: opened under lock for a change, saved back, read as of now.

`DayStore.locked` is the one way to change a day. It locks the day's `ServiceDay`
row (PostgreSQL: ``SELECT ... FOR UPDATE``; SQLite: the transaction already began
with ``BEGIN IMMEDIATE``), so concurrent requests, in any number of worker
processes, change a day one after the other and always start from the stored state.
It loads the `LiveDay` (from this process's cache when the stored version matches,
else from the snapshot and the rebuilt matrix), moves it to now, lets the caller act,
then stores the snapshot, mirrors bookings and audit entries, and commits. Anything
raised inside rolls the whole change back.

After the commit, `on_commit` (if given) acts on what the change made: the messages
to riders go to their sender (`api.notify`).

`DayStore.read` gives a private copy of the day moved to now (holds expired, stops
done), for pages that only look; nothing is written.

Every save that changed the day also stores the plan as it then stood (a
`models.PlanVersion`: the snapshot without its append-only audit trail), so
`DayStore.read_at` rebuilds the day exactly as `read` showed it at any earlier time
T: the last version stored at or before T, moved to T the way `read` moves a day to
now (time travel on the dispatch board).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, undefer

from api.convert import ServiceClock
from api.db import models
from api.live.fleet import day_fleet
from api.live.locations import DayLocation, DayLocations
from api.live.roads import TownRoads
from api.problems import invalid_field
from dispatch.errors import NoriaiError
from dispatch.live import LiveConfig, LiveDay

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Actor:
    """Who changes the day (for the audit trail)."""

    id: int | None
    name: str | None


@dataclass(frozen=True, slots=True)
class DayOptions:
    """What a new `LiveDay` is made with."""

    hold_s: int = 180
    auto_complete: bool = False

    def config(self, day: date) -> LiveConfig:
        """Booking ids read well over the phone: ``20250602-007``."""
        return LiveConfig(
            hold_s=self.hold_s,
            auto_complete=self.auto_complete,
            id_prefix=f"{day:%Y%m%d}-",
            id_digits=3,
        )


@dataclass(slots=True)
class _Cached:
    version: int
    snapshot: dict[str, Any]
    locations: list[dict[str, Any]]
    arrivals: dict[str, Any]
    live: LiveDay | None = None


class DayCache:
    """This process's copy of recent days, valid only for the stored version it names."""

    def __init__(self, max_days: int = 8) -> None:
        self._items: dict[date, _Cached] = {}
        self._lock = threading.Lock()
        self._max = max_days

    def get(self, day: date, version: int) -> _Cached | None:
        with self._lock:
            item = self._items.get(day)
            return item if item is not None and item.version == version else None

    def take_live(self, day: date, version: int) -> LiveDay | None:
        """The cached `LiveDay` for exclusive use (it is mutated), or None."""
        with self._lock:
            item = self._items.get(day)
            if item is None or item.version != version or item.live is None:
                return None
            live, item.live = item.live, None
            return live

    def put(self, day: date, item: _Cached) -> None:
        with self._lock:
            if len(self._items) >= self._max and day not in self._items:
                self._items.pop(min(self._items))
            self._items[day] = item

    def drop(self, day: date) -> None:
        with self._lock:
            self._items.pop(day, None)


def running(live: LiveDay | None, day: date, field_name: str = "service_date") -> LiveDay:
    """`live`, or 422 naming `field_name` when no vehicle runs on `day`."""
    if live is None:
        raise invalid_field(
            field_name,
            f"{day:%Y-%m-%d} は運行日ではありません（運行する車両がありません）",
            f"no vehicle runs on {day.isoformat()}",
            code="no_service",
        )
    return live


@dataclass
class OpenDay:
    """A service day opened for a change; locked until the transaction ends."""

    service_date: date
    session: Session
    row: models.ServiceDay
    live: LiveDay | None
    locations: DayLocations
    arrivals: dict[str, Any]
    now: datetime
    now_s: int
    actor: Actor
    roads: TownRoads
    clock: ServiceClock
    mirror: Callable[[OpenDay], None]
    office_events: list[models.AuditRecord] = field(default_factory=list)
    #: messages to riders made by this change (`api.notify`), sent once it commits
    outbox: list[models.OutboxMessage] = field(default_factory=list)
    #: audit entries from this number on are the actor's (earlier: the clock's)
    actor_from_seq: int = 1
    #: the live day's version as loaded (None: new today); a save past it stores a version
    loaded_version: int | None = None

    def day(self, field_name: str = "service_date") -> LiveDay:
        """The live day, or 422 when no vehicle runs that day."""
        return running(self.live, self.service_date, field_name)

    # -- locations ------------------------------------------------------------------
    def locate_place(self, place: models.Place, *, field_name: str) -> int:
        """The day's location index of a saved place (added, and the matrix grown, if new)."""
        known = self.locations.of_place(place.id)
        if known is not None:
            return known
        point = self.roads.snap(place.lon, place.lat, field=field_name)
        return self._add(DayLocation.of(point, place_id=place.id, label=place.name))

    def locate_places(self, places: Iterable[models.Place], *, field_name: str) -> list[int]:
        """`locate_place` for several places, the matrix grown once for all new ones."""
        before = len(self.locations)
        out = []
        for place in places:
            index = self.locations.of_place(place.id)
            if index is None:
                point = self.roads.snap(place.lon, place.lat, field=field_name)
                loc = DayLocation.of(point, place_id=place.id, label=place.name)
                index = self.locations.add(loc)
            out.append(index)
        if len(self.locations) > before and self.live is not None:
            m = self.roads.matrix(self.service_date, self.locations.points())
            self.live.set_matrix(m.time_s, m.distance_m)
        return out

    def locate_point(
        self, lon: float, lat: float, *, field_name: str, label: str = "", merge_m: float = 0
    ) -> int:
        """The day's location index of a point (snapped; a known one within `merge_m` reused)."""
        point = self.roads.snap(lon, lat, field=field_name)
        if merge_m > 0:
            near = self.locations.nearest(point.lon, point.lat, merge_m)
            if near is not None:
                return near
        return self._add(DayLocation.of(point, label=label))

    def _add(self, loc: DayLocation) -> int:
        before = len(self.locations)
        index = self.locations.add(loc)
        if len(self.locations) > before and self.live is not None:
            m = self.roads.matrix(self.service_date, self.locations.points())
            self.live.set_matrix(m.time_s, m.distance_m)
        return index

    def sync(self) -> None:
        """Mirror the day into the booking rows now (saving does it again, at the end)."""
        self.mirror(self)

    def seconds(self, at: datetime) -> int:
        return self.clock.seconds(at, self.service_date)

    def record(self, event: str, ja: str, en: str, **fields: Any) -> None:
        """An office event for the audit trail (e.g. a rejected quote)."""
        self.office_events.append(
            models.AuditRecord(
                service_date=self.service_date,
                at=self.now,
                event=event,
                message_ja=ja,
                message_en=en,
                actor_id=self.actor.id,
                actor_name=self.actor.name,
                changes=[],
                **fields,
            )
        )


@dataclass(frozen=True, slots=True)
class ReadDay:
    """A private copy of a day as of now (nothing of it is stored)."""

    service_date: date
    version: int
    live: LiveDay | None
    locations: DayLocations
    arrivals: dict[str, Any]
    now: datetime


class DayStore:
    """Opens, saves and reads service days (one per process, shared by threads)."""

    def __init__(
        self,
        roads: TownRoads,
        clock: ServiceClock,
        now: Callable[[], datetime],
        options: DayOptions,
        on_save: Callable[[OpenDay], None],
        on_commit: Callable[[OpenDay], None] | None = None,
    ) -> None:
        self.roads = roads
        self.clock = clock
        self._now = now
        self.options = options
        self._on_save = on_save
        self._on_commit = on_commit
        self.cache = DayCache()

    # -- changing a day ---------------------------------------------------------------
    @contextmanager
    def locked(self, session: Session, day: date, actor: Actor) -> Iterator[OpenDay]:
        """Open `day` under lock, yield it, then save and commit (or roll back on error)."""
        try:
            row = self.lock_row(session, day)
            od = self._open(session, row, actor)
            yield od
            snapshot = self._save(od)
            session.commit()
        except BaseException:
            session.rollback()
            self.cache.drop(day)
            raise
        self.cache.put(
            day,
            _Cached(row.version, snapshot, od.locations.to_plain(), dict(od.arrivals), od.live),
        )
        if self._on_commit is not None:
            self._on_commit(od)

    def lock_row(self, session: Session, day: date) -> models.ServiceDay:
        """The day's row, created if new, locked until the transaction ends."""
        now = datetime.now(UTC)
        insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
        session.execute(
            insert(models.ServiceDay)
            .values(
                service_date=day,
                version=1,
                locations=[],
                arrivals={},
                last_audit_seq=0,
                created_at=now,
                updated_at=now,
            )
            .on_conflict_do_nothing(index_elements=["service_date"])
        )
        return session.execute(
            select(models.ServiceDay)
            .where(models.ServiceDay.service_date == day)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).scalar_one()

    def _open(self, session: Session, row: models.ServiceDay, actor: Actor) -> OpenDay:
        day = row.service_date
        now = self._now()
        now_s = self.clock.seconds(now, day)
        live = self.cache.take_live(day, row.version)
        cached = self.cache.get(day, row.version)
        if cached is not None:  # this process has the stored version: no need to load it
            locations = DayLocations.from_plain(cached.locations)
            arrivals = dict(cached.arrivals)
            if live is None and cached.snapshot:
                m = self.roads.matrix(day, locations.points())
                live = LiveDay.from_snapshot(cached.snapshot, m.time_s, m.distance_m)
        else:
            locations = DayLocations.from_plain(row.locations)
            arrivals = dict(row.arrivals or {})
        od = OpenDay(
            day,
            session,
            row,
            live,
            locations,
            arrivals,
            now,
            now_s,
            actor,
            self.roads,
            self.clock,
            self._on_save,
        )
        new = False
        if od.live is None:
            if row.snapshot:
                m = self.roads.matrix(day, locations.points())
                od.live = LiveDay.from_snapshot(json.loads(row.snapshot), m.time_s, m.distance_m)
            else:
                od.live = self._new_live(session, day, od.locations, now_s)
                new = True
        if od.live is not None and not new:  # as stored: a save past it stores a version
            od.loaded_version = od.live.version
        if od.live is not None:
            _advance(od.live, now_s, keep_to_plan=not self.options.auto_complete)
            od.actor_from_seq = len(od.live.audit) + 1
        return od

    def _new_live(
        self, session: Session, day: date, locations: DayLocations, now_s: int
    ) -> LiveDay | None:
        def locate(place: models.Place) -> int:
            point = self.roads.snap(place.lon, place.lat, field="depot_place_id")
            return locations.add(DayLocation.of(point, place_id=place.id, label=place.name))

        fleet = day_fleet(session, day, locate)
        if not fleet:
            return None
        m = self.roads.matrix(day, locations.points())
        return LiveDay(m.time_s, m.distance_m, fleet, now=now_s, config=self.options.config(day))

    def _save(self, od: OpenDay) -> dict[str, Any]:
        row = od.row
        snapshot = od.live.snapshot() if od.live is not None else {}
        row.snapshot = json.dumps(snapshot, separators=(",", ":")) if od.live else None
        row.locations = od.locations.to_plain()
        row.arrivals = dict(od.arrivals)
        row.updated_at = od.now
        if od.live is not None and od.live.version != od.loaded_version:
            od.session.add(
                models.PlanVersion(
                    service_date=od.service_date,
                    at=od.now,
                    live_version=od.live.version,
                    audit_len=len(od.live.audit),
                    snapshot=json.dumps(
                        {k: v for k, v in snapshot.items() if k != "audit"},
                        separators=(",", ":"),
                    ),
                )
            )
        self._on_save(od)
        for record in od.office_events:
            od.session.add(record)
        od.session.flush()
        return snapshot

    # -- reading a day ------------------------------------------------------------------
    def read(self, session: Session, day: date) -> ReadDay:
        """A private copy of `day` moved to now (new days: built from the shifts)."""
        now = self._now()
        now_s = self.clock.seconds(now, day)
        head = session.execute(
            select(models.ServiceDay.id, models.ServiceDay.version).where(
                models.ServiceDay.service_date == day
            )
        ).first()
        cached = self.cache.get(day, head.version) if head is not None else None
        if head is not None and cached is None:
            row = session.get(models.ServiceDay, head.id)
            assert row is not None
            snapshot = json.loads(row.snapshot) if row.snapshot else {}
            cached = _Cached(row.version, snapshot, list(row.locations), dict(row.arrivals or {}))
            self.cache.put(day, cached)
        if cached is None or not cached.snapshot:
            locations = DayLocations.from_plain(cached.locations if cached else ())
            live = self._new_live(session, day, locations, now_s)
            version = cached.version if cached else 0
            arrivals: dict[str, Any] = dict(cached.arrivals) if cached else {}
        else:
            locations = DayLocations.from_plain(cached.locations)
            m = self.roads.matrix(day, locations.points())
            live = LiveDay.from_snapshot(cached.snapshot, m.time_s, m.distance_m)
            version, arrivals = cached.version, dict(cached.arrivals)
        if live is not None:
            _advance(live, now_s, keep_to_plan=not self.options.auto_complete, quiet=True)
        return ReadDay(day, version, live, locations, arrivals, now)

    def read_at(self, session: Session, day: date, at: datetime) -> ReadDay | None:
        """A private copy of `day` as `read` showed it at `at` (None: nothing stored
        by then): the last `models.PlanVersion` stored at or before `at`, its audit
        trail the first entries of today's, moved to `at`."""
        version = session.execute(
            select(models.PlanVersion)
            .where(models.PlanVersion.service_date == day, models.PlanVersion.at <= at)
            .order_by(models.PlanVersion.at.desc(), models.PlanVersion.id.desc())
            .limit(1)
            .options(undefer(models.PlanVersion.snapshot))
        ).scalar_one_or_none()
        current = session.execute(
            select(models.ServiceDay)
            .where(models.ServiceDay.service_date == day)
            .options(undefer(models.ServiceDay.snapshot), undefer(models.ServiceDay.locations))
            .options(undefer(models.ServiceDay.arrivals))
        ).scalar_one_or_none()
        if version is None or current is None or not current.snapshot:
            return None
        data = json.loads(version.snapshot)
        data["audit"] = json.loads(current.snapshot)["audit"][: version.audit_len]
        locations = DayLocations.from_plain(current.locations)
        m = self.roads.matrix(day, locations.points())
        live = LiveDay.from_snapshot(data, m.time_s, m.distance_m)
        _advance(
            live,
            self.clock.seconds(at, day),
            keep_to_plan=not self.options.auto_complete,
            quiet=True,
        )
        arrivals = {
            k: v
            for k, v in (current.arrivals or {}).items()
            if datetime.fromisoformat(str(v)) <= at
        }
        return ReadDay(day, version.live_version, live, locations, arrivals, at)

    def moments(self, session: Session, day: date) -> list[datetime]:
        """When the day's plan changed (the versions stored), oldest first."""
        return list(
            session.scalars(
                select(models.PlanVersion.at)
                .where(models.PlanVersion.service_date == day)
                .order_by(models.PlanVersion.at, models.PlanVersion.id)
            )
        )


def _advance(live: LiveDay, now_s: int, *, keep_to_plan: bool, quiet: bool = False) -> None:
    """Move the day to now (never backwards, never past its horizon).

    With `keep_to_plan` (drivers report stops, not departures), a vehicle whose planned
    departure comes before now is taken to have left then (`LiveDay.depart`), so it is
    not assumed to be waiting where it last reported while it drives to its next stop.
    """
    t = min(now_s, live.horizon_s)
    try:
        for _ in range(len(live.fleet) + 1) if keep_to_plan else ():
            due = _next_departure(live, t)
            if due is None:
                break
            vehicle_id, leave = due
            if leave > live.now:
                live.advance_to(leave)
            live.depart(vehicle_id, at=leave)
        if t > live.now:
            live.advance_to(t)
    except NoriaiError:
        if not quiet:
            raise
        log.warning("could not move the day to %d s for reading", t, exc_info=True)


def _next_departure(live: LiveDay, until: int) -> tuple[str, int] | None:
    """The vehicle due to leave for its next stop first, by `until`, and when."""
    due = [
        (route.steps[0].departure, route.vehicle_id)
        for route in live.plan.routes
        if not route.is_empty
        and route.steps[0].departure <= until
        and not live.vehicle_state(route.vehicle_id).en_route
    ]
    if not due:
        return None
    leave, vehicle_id = min(due)
    return vehicle_id, leave
