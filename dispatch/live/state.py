"""The state of a live service day: one object, plain data, no behaviour of its own.

`DayState` holds everything a live day knows: the base problem (matrices, fleet,
horizon, weights), each vehicle's `VehicleState`, the bookings and their tasks, the
promise ledger, every vehicle's remaining route with its cached view, the stops
already done, the broken promises and the audit trail. The modules beside this one
are functions over it: `routes` keeps routes feasible (one refresh), `repair`
re-plans after an event, `quotes`, `driving`, `overrides`, `reopt` and `snapshot`
serve `dispatch.live.LiveDay`'s public methods.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from dispatch.audit import AuditLog
from dispatch.errors import InputError
from dispatch.events import Booking, BrokenPromise, DoneStop, VehicleState
from dispatch.halls import Hall
from dispatch.insertion import RouteView, WorkingRoute
from dispatch.live.ledger import Ledger
from dispatch.model import Problem, Task, Vehicle
from dispatch.quote import QuoteConfig
from dispatch.result import Plan


@dataclass(frozen=True, slots=True)
class LiveConfig:
    """Settings of the live loop (seconds).

    ``hold_s``: how long a quote reserves its seat (仮押さえ). ``rescue_window_s``:
    the pickup window given to riders of a broken-down vehicle. ``auto_complete``:
    `advance_to` executes the plan (stops whose departure has passed are done);
    switch it off when drivers report every stop (`complete_next_stop`).
    ``id_prefix`` and ``id_digits`` shape the booking ids the day hands out
    (``b00001``; the service uses ``20260605-001``). ``depot_wait_s``: a vehicle
    whose next stop leaves it at least this long at the depot waits there (車庫待機,
    `dispatch.depot_wait`) instead of at the kerb. ``late_rather_than_never``: a ride
    a re-plan cannot fit within its promised window any more is picked up late (the
    earliest any car can, within ``rescue_window_s`` of the window's end), its promise
    reported broken by how much, instead of being left without a car until someone
    quotes it again — what an office does when a car runs a few minutes late.
    """

    quote: QuoteConfig = field(default_factory=QuoteConfig)
    hold_s: int = 180
    rescue_window_s: int = 3600
    auto_complete: bool = True
    id_prefix: str = "b"
    id_digits: int = 5
    depot_wait_s: int = 900
    late_rather_than_never: bool = False

    def __post_init__(self) -> None:
        for name in ("hold_s", "rescue_window_s", "id_digits", "depot_wait_s"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise InputError(f"live config: {name} must be an int >= 1, got {value!r}")
        if not isinstance(self.id_prefix, str):
            raise InputError(f"live config: id_prefix must be a string, got {self.id_prefix!r}")

    def to_plain(self) -> dict[str, Any]:
        """JSON-able data, for storage."""
        return asdict(self)

    @classmethod
    def from_plain(cls, d: Mapping[str, Any]) -> LiveConfig:
        """Rebuild from `to_plain` data."""
        return cls(**{**d, "quote": QuoteConfig(**d.get("quote", {}))})


@dataclass(slots=True)
class AirState:
    """The day's drones (`dispatch.live.air`): the service (None: no drones), grounded
    periods, the flown orders and their flights by booking id, the bookings whose
    drone has landed, and those landings as done stops."""

    service: Any = None  # dispatch.live.air.DroneService (kept untyped: no import cycle)
    grounded: list[Any] = field(default_factory=list)  # dispatch.drones.Grounded
    orders: dict[str, Any] = field(default_factory=dict)  # dispatch.drones.DroneOrder
    flights: dict[str, Any] = field(default_factory=dict)  # dispatch.drones.Flight
    landed: set[str] = field(default_factory=set)
    history: list[DoneStop] = field(default_factory=list)


class HoldExpiredError(InputError):
    """A held quote ran out before it was confirmed: quote again."""


class EarlyHandoverError(InputError):
    """A delivery reported handed over before its promised slot opens: wait for it."""


class EarlyVisitError(InputError):
    """A home visit reported done before its appointment window opens."""


@dataclass(slots=True)
class DayState:
    """Everything a live day knows (see the module docstring).

    ``halls`` are the community halls orders may be handed over at (`dispatch.halls`);
    ``air`` the drones that fly orders to some of them (`dispatch.live.air`).
    ``routes`` holds the vehicles in service only; ``views`` caches each route's
    arrays for quoting and is dropped whenever the route changes (``view_memo`` keeps
    the last view built per vehicle with what it was built from, for `routes.view` to
    reuse when a refresh left the route as it was); ``version`` grows with every
    change (a re-optimisation snapshot remembers it).
    """

    config: LiveConfig
    base: Problem
    fleet: dict[str, Vehicle]
    now: int
    vehicles: dict[str, VehicleState]
    bookings: dict[str, Booking] = field(default_factory=dict)
    tasks: dict[str, Task] = field(default_factory=dict)
    ledger: Ledger = field(default_factory=Ledger)
    routes: dict[str, WorkingRoute] = field(default_factory=dict)
    views: dict[str, RouteView] = field(default_factory=dict)
    view_memo: dict[str, tuple[Problem, tuple, RouteView]] = field(default_factory=dict)
    history: dict[str, list[DoneStop]] = field(default_factory=dict)
    broken: list[BrokenPromise] = field(default_factory=list)
    audit: AuditLog = field(default_factory=AuditLog)
    halls: dict[str, Hall] = field(default_factory=dict)
    air: AirState = field(default_factory=AirState)
    version: int = 0
    next_id: int = 1
    problem_cache: tuple[int, Problem] | None = None
    plan_cache: tuple[int, Plan] | None = None

    @property
    def horizon_s(self) -> int:
        return self.base.horizon_s

    @property
    def n_locations(self) -> int:
        return self.base.n_locations

    def touch(self) -> None:
        """Mark a change: caches of the problem and plan are stale."""
        self.version += 1
        self.problem_cache = None
        self.plan_cache = None

    def new_booking_id(self) -> str:
        """The next free booking id (the one allocator; it advances as bookings are added)."""
        cfg = self.config
        while True:
            bid = f"{cfg.id_prefix}{self.next_id:0{cfg.id_digits}d}"
            if bid not in self.bookings:
                return bid
            self.next_id += 1
