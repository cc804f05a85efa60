"""Drone delivery to community halls (公民館): bases, drones, hall pads, orders, flights.

Ina flies small shop orders from a drone base (at a shop or a depot) to the pad of
a community hall, where residents collect them; what a drone cannot fly goes by van.
Every value object here is frozen and validated when built, with messages that name
the object and the field.

Units, as everywhere inside noriai: times are int seconds from the start of the
service day, distances int metres, weights int grams, speeds int km/h; coordinates
are degrees, given as ``lon`` and ``lat``. Windows are inclusive (`TimeWindow`).
Drones fly straight lines: `flight_distance_m` is the one distance function, used by
the scheduler and the checker alike.

A flight carries one order: take off at the base, fly to the hall, land and hand the
parcel over, fly back, land, then `Drone.turnaround_s` on the ground (battery swap,
loading) before the next take-off.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import StrEnum
from itertools import pairwise

import numpy as np

from dispatch.errors import InputError
from dispatch.model import TimeWindow
from routing.osm_parse import great_circle_m

__all__ = [
    "Drone",
    "DroneBase",
    "DroneOrder",
    "DroneProblem",
    "Flight",
    "Grounded",
    "GroundedCause",
    "HallPad",
    "flight_distance_m",
]


def _fail(obj: str, field_name: str, message: str) -> InputError:
    return InputError(f"{obj}: {field_name} {message}")


def _require_id(kind: str, value: object) -> None:
    if not isinstance(value, str) or not value:
        raise InputError(f"{kind}: id must be a non-empty string, got {value!r}")


def _require_int(obj: str, name: str, value: object, *, minimum: int | None = 0) -> None:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise _fail(obj, name, f"must be an int, got {value!r}")
    if minimum is not None and value < minimum:
        raise _fail(obj, name, f"must be >= {minimum}, got {value}")


def _require_window(obj: str, name: str, value: object) -> None:
    if not isinstance(value, TimeWindow):
        raise _fail(obj, name, f"must be a TimeWindow, got {value!r}")


def _require_coordinates(obj: str, lon: object, lat: object) -> None:
    for name, value, limit in (("lon", lon, 180.0), ("lat", lat, 90.0)):
        if isinstance(value, bool) or not isinstance(value, int | float | np.floating):
            raise _fail(obj, name, f"must be a number of degrees, got {value!r}")
        if not math.isfinite(value) or abs(value) > limit:
            raise _fail(obj, name, f"must be within ±{limit:g} degrees, got {value!r}")


@dataclass(frozen=True, slots=True)
class DroneBase:
    """Where drones take off, land, swap batteries and are loaded (a shop or a depot).

    ``location`` is the base's index in the road matrices, so a caller can hand an
    order that cannot fly to a van from the same place.
    """

    id: str
    name: str
    location: int
    lon: float
    lat: float

    def __post_init__(self) -> None:
        _require_id("drone base", self.id)
        obj = f"drone base {self.id!r}"
        if not isinstance(self.name, str):
            raise _fail(obj, "name", f"must be a string, got {self.name!r}")
        _require_int(obj, "location", self.location)
        _require_coordinates(obj, self.lon, self.lat)


@dataclass(frozen=True, slots=True)
class HallPad:
    """A community hall (公民館・集会所) with a drone pad: the hand-over point.

    A parcel may only be handed over while the hall is open (``opening_hours``):
    someone has to take it in.
    """

    id: str
    name: str
    location: int
    lon: float
    lat: float
    opening_hours: TimeWindow

    def __post_init__(self) -> None:
        _require_id("hall pad", self.id)
        obj = f"hall pad {self.id!r}"
        if not isinstance(self.name, str):
            raise _fail(obj, "name", f"must be a string, got {self.name!r}")
        _require_int(obj, "location", self.location)
        _require_coordinates(obj, self.lon, self.lat)
        _require_window(obj, "opening_hours", self.opening_hours)


@dataclass(frozen=True, slots=True)
class Drone:
    """One delivery drone, stationed at one base.

    ``range_m`` is the *round trip* a full battery allows (out to the hall and back).
    Each leg takes ``takeoff_landing_s`` (climb and descent) plus the straight-line
    distance at ``cruise_kmh``; landing at the hall, releasing the parcel and taking
    off again takes ``handover_s``; after landing back, ``turnaround_s`` (battery
    swap, loading) passes before the next take-off. The drone is airborne only within
    ``flying_hours``: from the first take-off to the last landing back at the base.
    """

    id: str
    base_id: str
    payload_g: int
    range_m: int
    cruise_kmh: int
    flying_hours: TimeWindow
    turnaround_s: int = 600
    handover_s: int = 120
    takeoff_landing_s: int = 60

    def __post_init__(self) -> None:
        _require_id("drone", self.id)
        obj = f"drone {self.id!r}"
        if not isinstance(self.base_id, str) or not self.base_id:
            raise _fail(obj, "base_id", f"must be a non-empty string, got {self.base_id!r}")
        _require_int(obj, "payload_g", self.payload_g, minimum=1)
        _require_int(obj, "range_m", self.range_m, minimum=1)
        _require_int(obj, "cruise_kmh", self.cruise_kmh, minimum=1)
        _require_window(obj, "flying_hours", self.flying_hours)
        _require_int(obj, "turnaround_s", self.turnaround_s)
        # A hand-over takes time; it also keeps every flight longer than zero seconds.
        _require_int(obj, "handover_s", self.handover_s, minimum=1)
        _require_int(obj, "takeoff_landing_s", self.takeoff_landing_s)


class GroundedCause(StrEnum):
    """Why drones may not fly for a while (運航停止)."""

    WEATHER = "weather"
    DISPATCHER = "dispatcher"


@dataclass(frozen=True, slots=True)
class Grounded:
    """No drone it names may be away from its base within ``[start, end)``.

    ``drone_ids`` None grounds every drone (weather over the whole town); a set names
    the drones (a dispatcher's switch, one drone in for repair). The end is exclusive:
    a drone may land back exactly at ``start`` and take off exactly at ``end``.
    """

    start: int
    end: int
    drone_ids: frozenset[str] | None = None
    cause: GroundedCause = GroundedCause.WEATHER
    note: str = ""

    def __post_init__(self) -> None:
        obj = "grounded period"
        _require_int(obj, "start", self.start)
        _require_int(obj, "end", self.end)
        if self.end <= self.start:
            raise _fail(obj, "end", f"({self.end}) must be after start ({self.start})")
        if self.drone_ids is not None and (
            not isinstance(self.drone_ids, frozenset) or not self.drone_ids
        ):
            raise _fail(obj, "drone_ids", "must be None (every drone) or a non-empty frozenset")
        if not isinstance(self.cause, GroundedCause):
            raise _fail(obj, "cause", f"must be a GroundedCause, got {self.cause!r}")

    def applies_to(self, drone_id: str) -> bool:
        return self.drone_ids is None or drone_id in self.drone_ids


@dataclass(frozen=True, slots=True)
class DroneOrder:
    """A shop order to be flown from a base to a hall (買い物支援・宅配).

    ``ready_at`` is when the parcel waits packed at the base: no take-off before it.
    ``slot`` is the hand-over slot at the hall promised to the resident: the drone
    lands at the hall within it (inclusive). ``hall_id`` names where the resident
    collects; when it is not a hall with a pad the order cannot fly (a reason, not an
    error), but ``base_id`` must name a known base.
    """

    id: str
    base_id: str
    hall_id: str
    weight_g: int
    ready_at: int
    slot: TimeWindow

    def __post_init__(self) -> None:
        _require_id("drone order", self.id)
        obj = f"drone order {self.id!r}"
        for name in ("base_id", "hall_id"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value:
                raise _fail(obj, name, f"must be a non-empty string, got {value!r}")
        _require_int(obj, "weight_g", self.weight_g, minimum=1)
        _require_int(obj, "ready_at", self.ready_at)
        _require_window(obj, "slot", self.slot)
        if self.slot.end < self.ready_at:
            raise _fail(obj, "slot", f"ends ({self.slot.end}) before ready_at ({self.ready_at})")


@dataclass(frozen=True, slots=True)
class Flight:
    """One round trip carrying one order, as planned or as flown.

    ``at_hall`` is the landing at the hall pad, which is the hand-over time;
    ``leaves_hall`` the take-off from it; ``back`` the landing at the base; ``ready``
    when the drone may take off again (``back`` + turnaround). ``distance_m`` is the
    round trip flown, metres.
    """

    drone_id: str
    order_id: str
    hall_id: str
    takeoff: int
    at_hall: int
    leaves_hall: int
    back: int
    ready: int
    distance_m: int

    def __post_init__(self) -> None:
        obj = f"flight of order {self.order_id!r}"
        for name in ("drone_id", "order_id", "hall_id"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value:
                raise _fail(obj, name, f"must be a non-empty string, got {value!r}")
        times = ("takeoff", "at_hall", "leaves_hall", "back", "ready")
        for name in (*times, "distance_m"):
            _require_int(obj, name, getattr(self, name))
        for earlier, later in pairwise(times):
            if getattr(self, later) < getattr(self, earlier):
                raise _fail(obj, later, f"({getattr(self, later)}) is before {earlier}")


def flight_distance_m(base: DroneBase, hall: HallPad) -> int:
    """One-way straight-line (great-circle) distance from a base to a hall, metres.

    Rounded up, so that a range check never passes by rounding.
    """
    metres = float(great_circle_m(base.lon, base.lat, hall.lon, hall.lat))
    return math.ceil(metres)


@dataclass(frozen=True, slots=True)
class DroneProblem:
    """Everything a drone schedule is made for, validated as a whole.

    ``locked`` flights are facts (flown, or in the air at ``now``): a schedule keeps
    them as they are, and their drones are busy until they land plus turnaround.
    New flights take off no earlier than ``now``.
    """

    bases: tuple[DroneBase, ...]
    drones: tuple[Drone, ...]
    halls: tuple[HallPad, ...]
    orders: tuple[DroneOrder, ...]
    grounded: tuple[Grounded, ...] = ()
    locked: tuple[Flight, ...] = ()
    now: int = 0

    _base: dict[str, DroneBase] = field(init=False, repr=False, compare=False)
    _drone: dict[str, Drone] = field(init=False, repr=False, compare=False)
    _hall: dict[str, HallPad] = field(init=False, repr=False, compare=False)
    _order: dict[str, DroneOrder] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        obj = "drone problem"
        for name, kind in (
            ("bases", DroneBase),
            ("drones", Drone),
            ("halls", HallPad),
            ("orders", DroneOrder),
            ("grounded", Grounded),
            ("locked", Flight),
        ):
            value = getattr(self, name)
            if not isinstance(value, tuple) or not all(isinstance(x, kind) for x in value):
                raise _fail(obj, name, f"must be a tuple of {kind.__name__}")
        _require_int(obj, "now", self.now)
        for name, attr in (("bases", "_base"), ("drones", "_drone"), ("halls", "_hall")):
            object.__setattr__(self, attr, _by_id(name, getattr(self, name)))
        object.__setattr__(self, "_order", _by_id("orders", self.orders))
        for d in self.drones:
            if d.base_id not in self._base:
                raise _fail(f"drone {d.id!r}", "base_id", f"names an unknown base {d.base_id!r}")
        for o in self.orders:
            if o.base_id not in self._base:
                raise _fail(
                    f"drone order {o.id!r}", "base_id", f"names an unknown base {o.base_id!r}"
                )
        for g in self.grounded:
            if g.drone_ids is not None and not g.drone_ids <= self._drone.keys():
                unknown = sorted(g.drone_ids - self._drone.keys())
                raise _fail("grounded period", "drone_ids", f"name unknown drones {unknown}")
        seen: set[str] = set()
        for f in self.locked:
            where = f"locked flight of order {f.order_id!r}"
            if f.drone_id not in self._drone:
                raise _fail(where, "drone_id", f"names an unknown drone {f.drone_id!r}")
            if f.order_id not in self._order:
                raise _fail(where, "order_id", "names an unknown order")
            if f.order_id in seen:
                raise _fail(where, "order_id", "is locked twice")
            seen.add(f.order_id)

    # -- lookups ------------------------------------------------------------
    def base(self, base_id: str) -> DroneBase:
        return self._base[base_id]

    def drone(self, drone_id: str) -> Drone:
        return self._drone[drone_id]

    def order(self, order_id: str) -> DroneOrder:
        return self._order[order_id]

    def hall(self, hall_id: str) -> HallPad | None:
        """The hall pad, or None when ``hall_id`` is not a hall with a pad."""
        return self._hall.get(hall_id)

    def drones_at(self, base_id: str) -> tuple[Drone, ...]:
        return tuple(d for d in self.drones if d.base_id == base_id)

    def grounded_for(self, drone_id: str) -> tuple[Grounded, ...]:
        return tuple(g for g in self.grounded if g.applies_to(drone_id))

    @property
    def locked_order_ids(self) -> frozenset[str]:
        return frozenset(f.order_id for f in self.locked)


def _by_id(name: str, items: tuple) -> dict:
    out: dict = {}
    for item in items:
        if item.id in out:
            raise _fail("drone problem", name, f"have a duplicate id {item.id!r}")
        out[item.id] = item
    return out
