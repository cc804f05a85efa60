"""The dispatch domain: rides, deliveries, vehicles and the problem they form.

Everything is a frozen, validated value object of ints: times are seconds from the
start of the service day (00:00 local), distances are metres, loads are units of the
capacity dimensions (`DIMENSIONS`). Locations are indices into the problem's
travel-time/distance matrices, so `dispatch` never needs a map.

A ride and a delivery are both a *paired* pickup and dropoff served by one vehicle;
a visit (訪問診療: a nurse car seeing a patient at home) is a *single* stop with an
appointment window, a long service time and no load. `Problem` resolves each of them
into a `Task` (its `StopSpec`s, a load vector and a ride-time limit), the single shape
that the solver, the insertion heuristic and the checker all read.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

import numpy as np

from dispatch.errors import InputError

#: Capacity dimensions, in the order of every load/capacity vector.
DIMENSIONS: tuple[str, ...] = ("seats", "wheelchair", "cargo")
N_DIMS = len(DIMENSIONS)

#: Upper bound on any time: far beyond a service day (which ends by 172 800 s, two
#: days), because benchmarks express scaled instance units in the same ints.
MAX_HORIZON_S = 10_000_000


def _fail(obj: str, field_name: str, message: str) -> InputError:
    return InputError(f"{obj}: {field_name} {message}")


def _require_int(obj: str, name: str, value: object, *, minimum: int | None = 0) -> None:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise _fail(obj, name, f"must be an int, got {value!r}")
    if minimum is not None and value < minimum:
        raise _fail(obj, name, f"must be >= {minimum}, got {value}")


@dataclass(frozen=True, slots=True)
class TimeWindow:
    """Inclusive window ``[start, end]`` for the *start of service*, seconds."""

    start: int
    end: int

    def __post_init__(self) -> None:
        _require_int("TimeWindow", "start", self.start)
        _require_int("TimeWindow", "end", self.end)
        if self.end < self.start:
            raise InputError(f"TimeWindow: end {self.end} is before start {self.start}")

    def contains(self, t: int) -> bool:
        return self.start <= t <= self.end

    def intersect(self, other: TimeWindow | None) -> TimeWindow | None:
        """The overlap, or None when the windows are disjoint."""
        if other is None:
            return self
        lo, hi = max(self.start, other.start), min(self.end, other.end)
        return TimeWindow(lo, hi) if lo <= hi else None

    @property
    def width(self) -> int:
        return self.end - self.start


class StopKind(StrEnum):
    PICKUP = "pickup"
    DROPOFF = "dropoff"
    VISIT = "visit"  # the single stop of a `VisitRequest`


@dataclass(frozen=True, slots=True)
class RideTimePolicy:
    """Maximum ride time ``min(cap_s, alpha * direct_s + beta_s)``, seconds.

    Ina-style services promise that a shared ride is never much longer than a direct
    taxi: the default allows 1.5x the direct time plus 10 minutes, at most an hour.
    """

    alpha: float = 1.5
    beta_s: int = 600
    cap_s: int = 3600

    def __post_init__(self) -> None:
        if not (isinstance(self.alpha, int | float) and self.alpha >= 1.0):
            raise InputError(f"RideTimePolicy: alpha must be >= 1.0, got {self.alpha!r}")
        _require_int("RideTimePolicy", "beta_s", self.beta_s)
        _require_int("RideTimePolicy", "cap_s", self.cap_s, minimum=1)

    def max_ride_s(self, direct_s: int) -> int:
        return int(min(self.cap_s, math.floor(self.alpha * direct_s + self.beta_s)))


@dataclass(frozen=True, slots=True)
class Onboard:
    """A request whose pickup is already done: who carries it and when it departed."""

    vehicle_id: str
    pickup_departed_at: int

    def __post_init__(self) -> None:
        _require_int("Onboard", "pickup_departed_at", self.pickup_departed_at)


def _check_common(
    obj: str,
    *,
    priority: int,
    features: frozenset[str],
    vehicle_ids: frozenset[str] | None,
    max_ride_s: int | None,
) -> None:
    _require_int(obj, "priority", priority, minimum=1)
    if not isinstance(features, frozenset):
        raise _fail(obj, "required_features", "must be a frozenset of strings")
    if vehicle_ids is not None and (not isinstance(vehicle_ids, frozenset) or not vehicle_ids):
        raise _fail(obj, "vehicle_ids", "must be None or a non-empty frozenset of vehicle ids")
    if max_ride_s is not None:
        _require_int(obj, "max_ride_s", max_ride_s, minimum=1)


@dataclass(frozen=True, slots=True)
class RideRequest:
    """A resident's booked door-to-door ride (乗合タクシー).

    Book by departure (``pickup_window``: when the car may start boarding) or by
    arrival (``arrive_by``: alighting starts no later, e.g. a hospital appointment;
    ``arrive_earliest`` optionally bounds how early). ``promise`` is the pickup
    window told to the rider (お迎え予定時間帯): once set it is a hard constraint.
    ``party_size`` counts the rider and companions; ``wheelchairs`` of them travel in
    wheelchair places instead of seats.
    """

    id: str
    pickup: int
    dropoff: int
    rider_id: str = ""
    party_size: int = 1
    wheelchairs: int = 0
    board_s: int = 60
    alight_s: int = 60
    pickup_window: TimeWindow | None = None
    arrive_by: int | None = None
    arrive_earliest: int | None = None
    max_ride_s: int | None = None
    promise: TimeWindow | None = None
    priority: int = 1
    required_features: frozenset[str] = frozenset()
    vehicle_ids: frozenset[str] | None = None
    onboard: Onboard | None = None

    kind: Literal["ride"] = field(default="ride", init=False)

    def __post_init__(self) -> None:
        obj = f"ride {self.id!r}"
        if not isinstance(self.id, str) or not self.id:
            raise InputError(f"ride request: id must be a non-empty string, got {self.id!r}")
        _require_int(obj, "pickup", self.pickup)
        _require_int(obj, "dropoff", self.dropoff)
        _require_int(obj, "party_size", self.party_size, minimum=1)
        _require_int(obj, "wheelchairs", self.wheelchairs)
        if self.wheelchairs > self.party_size:
            raise _fail(obj, "wheelchairs", f"({self.wheelchairs}) exceeds party_size")
        _require_int(obj, "board_s", self.board_s)
        _require_int(obj, "alight_s", self.alight_s)
        if self.pickup_window is None and self.arrive_by is None and self.onboard is None:
            raise _fail(obj, "pickup_window", "or arrive_by is required")
        if self.arrive_by is not None:
            _require_int(obj, "arrive_by", self.arrive_by)
        if self.arrive_earliest is not None:
            _require_int(obj, "arrive_earliest", self.arrive_earliest)
            if self.arrive_by is not None and self.arrive_earliest > self.arrive_by:
                raise _fail(obj, "arrive_earliest", "is after arrive_by")
        window = self.pickup_window
        if self.promise is not None and window is not None and not self.promise.intersect(window):
            raise _fail(obj, "promise", "does not overlap the pickup window")
        _check_common(
            obj,
            priority=self.priority,
            features=self.required_features,
            vehicle_ids=self.vehicle_ids,
            max_ride_s=self.max_ride_s,
        )

    @property
    def load(self) -> tuple[int, ...]:
        return (self.party_size - self.wheelchairs, self.wheelchairs, 0)


def _check_weight(obj: str, weight_kg: object) -> None:
    if (
        isinstance(weight_kg, bool)
        or not isinstance(weight_kg, int | float)
        or not math.isfinite(weight_kg)
        or weight_kg < 0
    ):
        raise _fail(obj, "weight_kg", f"must be a number of kg >= 0, got {weight_kg!r}")


@dataclass(frozen=True, slots=True)
class DeliveryOrder:
    """A shop order (買い物支援・宅配): picked up at the shop, handed over the same day.

    ``ready_at`` is when the goods can be collected; ``due_by`` the latest hand-over;
    ``deliver_from`` optionally the earliest (a resident out until noon). ``hall_id``
    names the community hall (公民館, `dispatch.halls`) it goes to instead of the door
    (``customer`` is then the hall's location); ``weight_kg`` decides whether a drone
    may fly it.
    """

    id: str
    shop: int
    customer: int
    ready_at: int
    due_by: int
    cargo_units: int = 1
    deliver_from: int | None = None
    pickup_service_s: int = 120
    dropoff_service_s: int = 120
    max_ride_s: int | None = None
    priority: int = 1
    required_features: frozenset[str] = frozenset()
    vehicle_ids: frozenset[str] | None = None
    onboard: Onboard | None = None
    hall_id: str | None = None
    weight_kg: float = 0.0

    kind: Literal["delivery"] = field(default="delivery", init=False)

    def __post_init__(self) -> None:
        obj = f"delivery {self.id!r}"
        if not isinstance(self.id, str) or not self.id:
            raise InputError(f"delivery order: id must be a non-empty string, got {self.id!r}")
        for name in ("shop", "customer", "ready_at", "due_by", "pickup_service_s"):
            _require_int(obj, name, getattr(self, name))
        _require_int(obj, "dropoff_service_s", self.dropoff_service_s)
        _require_int(obj, "cargo_units", self.cargo_units, minimum=1)
        if self.due_by < self.ready_at:
            raise _fail(obj, "due_by", f"({self.due_by}) is before ready_at ({self.ready_at})")
        if self.deliver_from is not None:
            _require_int(obj, "deliver_from", self.deliver_from)
            if self.deliver_from > self.due_by:
                raise _fail(obj, "deliver_from", "is after due_by")
        _check_weight(obj, self.weight_kg)
        if self.hall_id is not None and (not isinstance(self.hall_id, str) or not self.hall_id):
            raise _fail(obj, "hall_id", f"must be a non-empty string or None, got {self.hall_id!r}")
        _check_common(
            obj,
            priority=self.priority,
            features=self.required_features,
            vehicle_ids=self.vehicle_ids,
            max_ride_s=self.max_ride_s,
        )

    @property
    def load(self) -> tuple[int, ...]:
        return (0, 0, self.cargo_units)


@dataclass(frozen=True, slots=True)
class VisitRequest:
    """A home visit (訪問診療, INA ヘルスモビリティ): one stop at the patient's home.

    A nurse car drives to ``location`` and stays ``service_s`` (an online consultation
    with the doctor, typically 30-45 minutes); the visit must *start* inside
    ``window`` (the appointment). It carries nobody and nothing (zero load), and needs
    a vehicle with every feature in ``required_features`` (e.g. ``"nurse"``: a nurse
    and the consultation kit on board) and, if given, one of ``vehicle_ids``.
    ``rider_id`` is the patient's registration number (the same register as riders'),
    ``promise`` the appointment window told to the patient: once set it is a hard
    constraint, as a ride's promised pickup window is. A visit is never on board
    (``onboard`` is always None) and has no ride time.
    """

    id: str
    location: int
    window: TimeWindow
    service_s: int = 1800
    rider_id: str = ""
    promise: TimeWindow | None = None
    priority: int = 1
    required_features: frozenset[str] = frozenset()
    vehicle_ids: frozenset[str] | None = None

    kind: Literal["visit"] = field(default="visit", init=False)

    def __post_init__(self) -> None:
        obj = f"visit {self.id!r}"
        if not isinstance(self.id, str) or not self.id:
            raise InputError(f"visit request: id must be a non-empty string, got {self.id!r}")
        _require_int(obj, "location", self.location)
        if not isinstance(self.window, TimeWindow):
            raise _fail(obj, "window", f"must be a TimeWindow, got {self.window!r}")
        _require_int(obj, "service_s", self.service_s, minimum=1)
        if not isinstance(self.rider_id, str):
            raise _fail(obj, "rider_id", f"must be a string, got {self.rider_id!r}")
        if self.promise is not None:
            if not isinstance(self.promise, TimeWindow):
                raise _fail(obj, "promise", f"must be a TimeWindow, got {self.promise!r}")
            if not self.promise.intersect(self.window):
                raise _fail(obj, "promise", "does not overlap the appointment window")
        _check_common(
            obj,
            priority=self.priority,
            features=self.required_features,
            vehicle_ids=self.vehicle_ids,
            max_ride_s=None,
        )

    @property
    def load(self) -> tuple[int, ...]:
        return (0,) * N_DIMS

    @property
    def onboard(self) -> None:
        """Always None: nobody rides on a visit (read like a ride's ``onboard``)."""
        return None

    @property
    def max_ride_s(self) -> None:
        """Always None: a visit has no ride time."""
        return None


Request = RideRequest | DeliveryOrder | VisitRequest


@dataclass(frozen=True, slots=True)
class Break:
    """A driver's break of ``duration_s`` that must *start* within ``window``."""

    id: str
    window: TimeWindow
    duration_s: int

    def __post_init__(self) -> None:
        _require_int(f"break {self.id!r}", "duration_s", self.duration_s, minimum=1)


@dataclass(frozen=True, slots=True)
class Vehicle:
    """One car and its driver's shift.

    ``capacity`` is a vector over `DIMENSIONS`; ``features`` are what a request may
    require (e.g. ``"wheelchair_lift"``); costs are yen per hour of operating time,
    yen per km and yen per day if used at all. ``max_duration_s`` caps the time from
    leaving the start to arriving at the end (a route-duration limit, as in DARP).
    ``start_time`` delays the earliest departure (re-planning: the vehicle's "now").
    """

    id: str
    start: int
    end: int
    shift: TimeWindow
    capacity: tuple[int, ...]
    kind: str = "sedan"
    breaks: tuple[Break, ...] = ()
    features: frozenset[str] = frozenset()
    cost_per_hour: int = 3000
    cost_per_km: int = 30
    fixed_cost: int = 0
    max_duration_s: int | None = None
    start_time: int | None = None

    def __post_init__(self) -> None:
        obj = f"vehicle {self.id!r}"
        if not isinstance(self.id, str) or not self.id:
            raise InputError(f"vehicle: id must be a non-empty string, got {self.id!r}")
        _require_int(obj, "start", self.start)
        _require_int(obj, "end", self.end)
        if not isinstance(self.capacity, tuple) or len(self.capacity) != N_DIMS:
            raise _fail(
                obj,
                "capacity",
                f"must be a tuple of {N_DIMS} ints {DIMENSIONS}, got {self.capacity!r}",
            )
        for dim, value in zip(DIMENSIONS, self.capacity, strict=True):
            _require_int(obj, f"capacity.{dim}", value)
        for name in ("cost_per_hour", "cost_per_km", "fixed_cost"):
            _require_int(obj, name, getattr(self, name))
        if self.max_duration_s is not None:
            _require_int(obj, "max_duration_s", self.max_duration_s, minimum=1)
        if self.start_time is not None:
            _require_int(obj, "start_time", self.start_time)
            if not self.shift.contains(self.start_time):
                raise _fail(obj, "start_time", f"({self.start_time}) is outside the shift")
        ids = [b.id for b in self.breaks]
        if len(set(ids)) != len(ids):
            raise _fail(obj, "breaks", "have duplicate ids")
        for b in self.breaks:
            if b.window.start < self.shift.start or b.window.end + b.duration_s > self.shift.end:
                raise _fail(obj, f"break {b.id!r}", "does not fit inside the shift")

    @property
    def earliest_departure(self) -> int:
        return self.shift.start if self.start_time is None else self.start_time


@dataclass(frozen=True, slots=True)
class CostWeights:
    """Objective weights (yen). One place to read and override them.

    The plan's cost is::

        sum over used vehicles: fixed_cost + cost_per_hour * operating_h + cost_per_km * km
        + sum over unassigned: unassigned_penalty * priority
        + excess_ride_per_hour * sum over riders of (ride time - direct time) in hours

    ``unassigned_penalty`` dwarfs any route cost, so serving a request always wins.
    """

    unassigned_penalty: int = 1_000_000
    excess_ride_per_hour: int = 500

    def __post_init__(self) -> None:
        _require_int("CostWeights", "unassigned_penalty", self.unassigned_penalty)
        _require_int("CostWeights", "excess_ride_per_hour", self.excess_ride_per_hour)


@dataclass(frozen=True, slots=True)
class StopRef:
    """A stop of a request, as referenced by route locks and plans."""

    request_id: str
    kind: StopKind


@dataclass(frozen=True, slots=True)
class StopSpec:
    """A resolved stop: where, when service may start, how long it lasts."""

    location: int
    window: TimeWindow
    service_s: int


@dataclass(frozen=True, slots=True)
class Task:
    """A request resolved against the matrices: the one shape every algorithm reads.

    ``pickup`` is None for a request already on board (``onboard``); its load is then
    part of that vehicle's initial load. ``max_ride_s`` bounds dropoff service start
    minus pickup departure (pickup service start + service). A visit (``kind`` "visit")
    has ``pickup`` None, ``onboard`` None and its one stop in ``dropoff``, referred to
    as `StopKind.VISIT`; any compatible vehicle may serve it.
    """

    index: int
    id: str
    kind: str
    pickup: StopSpec | None
    dropoff: StopSpec
    load: tuple[int, ...]
    direct_s: int
    max_ride_s: int | None
    priority: int
    required_features: frozenset[str]
    vehicle_ids: frozenset[str] | None
    promise: TimeWindow | None
    onboard: Onboard | None

    @property
    def is_visit(self) -> bool:
        return self.kind == "visit"

    @property
    def last_stop(self) -> StopKind:
        """The stop that completes the task: its dropoff, or the visit."""
        return StopKind.VISIT if self.is_visit else StopKind.DROPOFF

    @property
    def stop_kinds(self) -> tuple[StopKind, ...]:
        """The stops still to serve, in order (no pickup once on board)."""
        return (self.last_stop,) if self.pickup is None else (StopKind.PICKUP, StopKind.DROPOFF)

    def stop(self, kind: StopKind) -> StopSpec | None:
        """The stop of this kind, or None when the task has none (a done pickup, the
        dropoff of a visit, the visit of a ride)."""
        if kind is StopKind.PICKUP:
            return self.pickup
        return self.dropoff if kind is self.last_stop else None


@dataclass(frozen=True, slots=True)
class Problem:
    """A whole instance: matrices, requests, fleet, weights and re-planning locks.

    ``time_s[i, j]`` and ``distance_m[i, j]`` are the travel time and distance from
    location i to j. ``locked`` maps a vehicle id to the stops its route must begin
    with, in order (done, under way, or pinned by a dispatcher); ``closed_vehicles``
    accept no stops beyond their lock.
    """

    time_s: np.ndarray
    distance_m: np.ndarray
    requests: tuple[Request, ...]
    vehicles: tuple[Vehicle, ...]
    horizon_s: int = 24 * 3600
    ride_policy: RideTimePolicy = field(default_factory=RideTimePolicy)
    weights: CostWeights = field(default_factory=CostWeights)
    locked: Mapping[str, tuple[StopRef, ...]] = field(default_factory=dict)
    closed_vehicles: frozenset[str] = frozenset()
    tasks: tuple[Task, ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        time_s = np.asarray(self.time_s)
        dist = np.asarray(self.distance_m)
        if time_s.ndim != 2 or time_s.shape[0] != time_s.shape[1]:
            raise InputError(f"problem: time_s must be a square matrix, got shape {time_s.shape}")
        if dist.shape != time_s.shape:
            raise InputError(
                f"problem: distance_m shape {dist.shape} differs from time_s {time_s.shape}"
            )
        for name, arr in (("time_s", time_s), ("distance_m", dist)):
            if not np.issubdtype(arr.dtype, np.integer):
                raise InputError(f"problem: {name} must hold ints, got dtype {arr.dtype}")
            if arr.size and arr.min() < 0:
                raise InputError(f"problem: {name} has negative entries")
        ro_time = time_s.astype(np.int64, copy=True)
        ro_dist = dist.astype(np.int64, copy=True)
        ro_time.flags.writeable = False
        ro_dist.flags.writeable = False
        object.__setattr__(self, "time_s", ro_time)
        object.__setattr__(self, "distance_m", ro_dist)
        object.__setattr__(self, "requests", tuple(self.requests))
        object.__setattr__(self, "vehicles", tuple(self.vehicles))
        object.__setattr__(self, "locked", dict(self.locked))
        _require_int("problem", "horizon_s", self.horizon_s, minimum=1)
        if self.horizon_s > MAX_HORIZON_S:
            raise InputError(f"problem: horizon_s must be <= {MAX_HORIZON_S}")
        self._validate_ids_and_locations()
        object.__setattr__(
            self, "tasks", tuple(self._resolve(i, r) for i, r in enumerate(self.requests))
        )
        self._validate_locks()

    # -- validation ---------------------------------------------------------
    @property
    def n_locations(self) -> int:
        return int(self.time_s.shape[0])

    def _check_location(self, obj: str, name: str, loc: int) -> None:
        if not 0 <= loc < self.n_locations:
            what = "" if name == "location" else "location "
            raise _fail(obj, name, f"{what}{loc} is not in the matrix (0..{self.n_locations - 1})")

    def _validate_ids_and_locations(self) -> None:
        seen: set[str] = set()
        for r in self.requests:
            if not isinstance(r, RideRequest | DeliveryOrder | VisitRequest):
                raise InputError(
                    "problem: requests must be RideRequest, DeliveryOrder or VisitRequest,"
                    f" got {r!r}"
                )
            if r.id in seen:
                raise InputError(f"problem: duplicate request id {r.id!r}")
            seen.add(r.id)
            obj = f"{r.kind} {r.id!r}"
            if isinstance(r, VisitRequest):
                self._check_location(obj, "location", r.location)
                continue
            a, b = (r.pickup, r.dropoff) if isinstance(r, RideRequest) else (r.shop, r.customer)
            self._check_location(obj, "pickup" if r.kind == "ride" else "shop", a)
            self._check_location(obj, "dropoff" if r.kind == "ride" else "customer", b)
        vids: set[str] = set()
        for v in self.vehicles:
            if v.id in vids:
                raise InputError(f"problem: duplicate vehicle id {v.id!r}")
            vids.add(v.id)
            self._check_location(f"vehicle {v.id!r}", "start", v.start)
            self._check_location(f"vehicle {v.id!r}", "end", v.end)
            if v.shift.end > self.horizon_s:
                raise _fail(
                    f"vehicle {v.id!r}", "shift", f"ends after the horizon ({self.horizon_s})"
                )
        for r in self.requests:
            if r.vehicle_ids is not None and not r.vehicle_ids <= vids:
                unknown = sorted(r.vehicle_ids - vids)
                raise _fail(f"{r.kind} {r.id!r}", "vehicle_ids", f"name unknown vehicles {unknown}")
            if r.onboard is not None and r.onboard.vehicle_id not in vids:
                raise _fail(f"{r.kind} {r.id!r}", "onboard.vehicle_id", "names an unknown vehicle")

    def _resolve(self, index: int, r: Request) -> Task:
        obj = f"{r.kind} {r.id!r}"
        horizon = TimeWindow(0, self.horizon_s)
        if isinstance(r, VisitRequest):
            return self._resolve_visit(index, r, horizon)
        if isinstance(r, RideRequest):
            p_loc, d_loc, p_serv, d_serv = r.pickup, r.dropoff, r.board_s, r.alight_s
            direct = int(self.time_s[p_loc, d_loc])
            max_ride = (
                r.max_ride_s if r.max_ride_s is not None else self.ride_policy.max_ride_s(direct)
            )
            p_win = horizon.intersect(r.pickup_window)
            if p_win is not None and r.promise is not None:
                p_win = p_win.intersect(r.promise)
            d_lo = r.arrive_earliest if r.arrive_earliest is not None else 0
            d_hi = r.arrive_by if r.arrive_by is not None else self.horizon_s
            d_win = horizon.intersect(TimeWindow(d_lo, max(d_lo, d_hi)))
            promise = r.promise
        else:
            p_loc, d_loc, p_serv, d_serv = (
                r.shop,
                r.customer,
                r.pickup_service_s,
                r.dropoff_service_s,
            )
            direct = int(self.time_s[p_loc, d_loc])
            max_ride = r.max_ride_s
            p_win = horizon.intersect(TimeWindow(r.ready_at, r.due_by))
            d_lo = r.deliver_from if r.deliver_from is not None else r.ready_at
            d_win = horizon.intersect(TimeWindow(d_lo, r.due_by))
            promise = None
        if p_win is None:
            raise _fail(obj, "pickup_window", f"lies outside the horizon 0..{self.horizon_s}")
        if d_win is None:
            raise _fail(obj, "dropoff window", f"lies outside the horizon 0..{self.horizon_s}")
        if r.onboard is None and d_win.end < p_win.start:
            raise _fail(
                obj, "dropoff window", f"ends ({d_win.end}) before pickup opens ({p_win.start})"
            )
        pickup = None if r.onboard is not None else StopSpec(p_loc, p_win, p_serv)
        return Task(
            index=index,
            id=r.id,
            kind=r.kind,
            pickup=pickup,
            dropoff=StopSpec(d_loc, d_win, d_serv),
            load=r.load,
            direct_s=direct,
            max_ride_s=max_ride,
            priority=r.priority,
            required_features=r.required_features,
            vehicle_ids=r.vehicle_ids,
            promise=promise,
            onboard=r.onboard,
        )

    def _resolve_visit(self, index: int, r: VisitRequest, horizon: TimeWindow) -> Task:
        obj = f"visit {r.id!r}"
        window = horizon.intersect(r.window)
        if window is None:
            raise _fail(obj, "window", f"lies outside the horizon 0..{self.horizon_s}")
        if r.promise is not None:
            window = window.intersect(r.promise)
            if window is None:
                raise _fail(obj, "promise", f"lies outside the horizon 0..{self.horizon_s}")
        return Task(
            index=index,
            id=r.id,
            kind=r.kind,
            pickup=None,
            dropoff=StopSpec(r.location, window, r.service_s),
            load=r.load,
            direct_s=0,
            max_ride_s=None,
            priority=r.priority,
            required_features=r.required_features,
            vehicle_ids=r.vehicle_ids,
            promise=r.promise,
            onboard=None,
        )

    def _validate_locks(self) -> None:
        ids = {t.id: t for t in self.tasks}
        vids = {v.id for v in self.vehicles}
        used: set[StopRef] = set()
        where: dict[str, str] = {}
        for vid, refs in self.locked.items():
            if vid not in vids:
                raise InputError(f"problem: locked route for unknown vehicle {vid!r}")
            for ref in refs:
                task = ids.get(ref.request_id)
                if task is None:
                    raise InputError(
                        f"problem: locked route of {vid!r} names unknown request {ref.request_id!r}"
                    )
                if task.stop(ref.kind) is None:
                    what = (
                        "the done pickup"
                        if ref.kind is StopKind.PICKUP and task.onboard is not None
                        else f"a {ref.kind.value} stop, which {task.kind} has not,"
                    )
                    raise InputError(
                        f"problem: locked route of {vid!r} names {what} of {ref.request_id!r}"
                    )
                if ref in used:
                    raise InputError(f"problem: stop {ref} is locked twice")
                used.add(ref)
                owner = where.setdefault(ref.request_id, vid)
                if owner != vid:
                    raise InputError(
                        f"problem: request {ref.request_id!r} is locked on {owner!r} and {vid!r}"
                    )
                if task.onboard is not None and task.onboard.vehicle_id != vid:
                    raise InputError(
                        f"problem: on-board request {ref.request_id!r} is locked on {vid!r}"
                    )
            kinds = [(ref.request_id, ref.kind) for ref in refs]
            for pos, (rid, kind) in enumerate(kinds):
                pick = (rid, StopKind.PICKUP)
                if kind is StopKind.DROPOFF and pick in kinds and kinds.index(pick) > pos:
                    raise InputError(
                        f"problem: locked route of {vid!r} drops {rid!r} before its pickup"
                    )
        unknown = self.closed_vehicles - vids
        if unknown:
            raise InputError(f"problem: closed_vehicles name unknown vehicles {sorted(unknown)}")

    # -- lookups ------------------------------------------------------------
    def task(self, request_id: str) -> Task:
        for t in self.tasks:
            if t.id == request_id:
                return t
        raise KeyError(request_id)

    def vehicle(self, vehicle_id: str) -> Vehicle:
        for v in self.vehicles:
            if v.id == vehicle_id:
                return v
        raise KeyError(vehicle_id)

    def initial_load(self, vehicle_id: str) -> tuple[int, ...]:
        """Load on board at departure: requests already picked up by this vehicle."""
        load = [0] * N_DIMS
        for t in self.tasks:
            if t.onboard is not None and t.onboard.vehicle_id == vehicle_id:
                load = [a + b for a, b in zip(load, t.load, strict=True)]
        return tuple(load)

    def with_changes(self, **changes: object) -> Problem:
        """A copy with some fields replaced (re-validated)."""
        fields = {
            "time_s": self.time_s,
            "distance_m": self.distance_m,
            "requests": self.requests,
            "vehicles": self.vehicles,
            "horizon_s": self.horizon_s,
            "ride_policy": self.ride_policy,
            "weights": self.weights,
            "locked": self.locked,
            "closed_vehicles": self.closed_vehicles,
        }
        fields.update(changes)
        return Problem(**fields)  # type: ignore[arg-type]
