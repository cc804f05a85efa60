"""Drones in the service: the fleet in the office tables, the drones of a live day.

Drone bases (`models.DroneBase`, ドローン拠点) sit at saved places — a shop, a
supermarket or a depot; drones (`models.Drone`) are stationed at a base. In a live
day every active drone at an active base whose place is active is a
`dispatch.drones.Drone` under its own id, and its base a `dispatch.drones.DroneBase`
with id ``base-<id>``: at the day's location of the place (its road point, where a van
would collect an order that cannot fly) and the place's own coordinates (drones fly
straight lines from there). Units go from the office's to the engine's: kg to grams,
km to metres, minutes to seconds, ``"HH:MM-HH:MM"`` flying hours to seconds of the
service day.

`sync_drones` puts the office's fleet into a day before a shop order is quoted and
before drones are grounded (`dispatch.live.LiveDay.set_drones`: nothing happens
when the day already has it; a drone that flew today stays, grounded for the rest
of it when the office retired it).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.db import models
from api.live.halls import period_minutes
from api.live.store import OpenDay
from api.settings import Settings
from api.vocab import PlaceKind
from dispatch.drones import REASON_TEXT, DroneSearch, Grounded, NoFlightReason
from dispatch.drones import Drone as EngineDrone
from dispatch.drones import DroneBase as EngineBase
from dispatch.events import EventResult
from dispatch.live.air import DroneService
from dispatch.model import TimeWindow

#: The kinds of saved place a drone base may sit at.
BASE_PLACE_KINDS = (PlaceKind.SHOP, PlaceKind.SUPERMARKET, PlaceKind.DEPOT)

#: What the engine's booking note starts with when an order to a pad goes by van.
BY_VAN = "by van: "

_PREFIX = "base-"


def base_key(base_id: int) -> str:
    """The live day's id of a drone base."""
    return f"{_PREFIX}{base_id}"


Fleet = list[tuple[models.Drone, models.DroneBase, models.Place]]


def active_fleet(session: Session) -> Fleet:
    """The drones that may fly: active, at an active base at an active place; by id."""
    rows = session.execute(
        select(models.Drone, models.DroneBase, models.Place)
        .join(models.DroneBase, models.Drone.base_id == models.DroneBase.id)
        .join(models.Place, models.DroneBase.place_id == models.Place.id)
        .where(
            models.Drone.active.is_(True),
            models.DroneBase.active.is_(True),
            models.Place.active.is_(True),
        )
        .order_by(models.Drone.id)
    ).all()
    return [(d, b, p) for d, b, p in rows]


def engine_drone(drone: models.Drone) -> EngineDrone:
    """The engine's drone for an office row (its base as `base_key`)."""
    start, end = period_minutes(drone.flying_hours)
    return EngineDrone(
        drone.id,
        base_key(drone.base_id),
        payload_g=max(1, round(drone.payload_kg * 1000)),
        range_m=max(1, round(drone.range_km * 1000)),
        cruise_kmh=int(drone.cruise_kmh),
        flying_hours=TimeWindow(start * 60, end * 60),
        turnaround_s=int(drone.turnaround_min) * 60,
    )


def drone_service(od: OpenDay, fleet: Fleet, settings: Settings) -> DroneService | None:
    """The day's `DroneService` for `fleet` (None: no drone may fly); base places are
    added to the day's locations as needed."""
    if not fleet:
        return None
    places: dict[int, models.Place] = {}
    bases: dict[int, models.DroneBase] = {}
    for _, base, place in fleet:
        bases.setdefault(base.id, base)
        places.setdefault(base.id, place)
    order = sorted(bases)
    where = od.locate_places([places[b] for b in order], field_name="place_id")
    engine_bases = tuple(
        EngineBase(
            base_key(b),
            bases[b].name,
            index,
            float(places[b].lon),
            float(places[b].lat),
        )
        for b, index in zip(order, where, strict=True)
    )
    return DroneService(
        engine_bases,
        tuple(engine_drone(d) for d, _, _ in fleet),
        shop_reach_m=settings.drone_shop_reach_m,
        search=DroneSearch(time_limit_s=settings.drone_time_limit_s),
    )


def sync_drones(od: OpenDay, session: Session, settings: Settings) -> EventResult:
    """Put the office's drones into the day (a no-op when it has them already)."""
    live = od.day()
    return live.set_drones(drone_service(od, active_fleet(session), settings))


def van_reason(note: str | None) -> NoFlightReason | None:
    """Why an order to a drone pad goes by van, from the engine's booking note."""
    if not note or not note.startswith(BY_VAN):
        return None
    text = note.removeprefix(BY_VAN)
    return next((r for r, (_, en) in REASON_TEXT.items() if en == text), None)


def grounding_id(g: Grounded) -> str:
    """A grounded period's id: the same for the same period, in any process."""
    plain = [
        g.start,
        g.end,
        None if g.drone_ids is None else sorted(g.drone_ids),
        g.cause.value,
        g.note,
    ]
    digest = hashlib.sha256(json.dumps(plain, ensure_ascii=False).encode()).hexdigest()
    return digest[:12]


def drone_names(session: Session, ids: Sequence[str] | None = None) -> dict[str, str]:
    """Drone names by id (all, or those of `ids`)."""
    q = select(models.Drone.id, models.Drone.name)
    if ids is not None:
        if not ids:
            return {}
        q = q.where(models.Drone.id.in_(list(ids)))
    return {i: n for i, n in session.execute(q).all()}


def carrier_words(
    drone: tuple[str, str] | None, reason: NoFlightReason | None
) -> tuple[str | None, str | None]:
    """How an order travels, in both languages: by drone (its ``(id, name)``), or by van
    with the reason no drone flies it; (None, None) when no drone was in question."""
    if drone is not None:
        return f"ドローン便（{drone[1]}）", f"by drone ({drone[1]})"
    if reason is not None:
        ja, en = REASON_TEXT[reason]
        return f"車両便（ドローンで運べない理由: {ja}）", f"by van: {en}"
    return None, None
