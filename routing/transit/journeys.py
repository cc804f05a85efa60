"""Journeys on a timetable (乗換案内): walk, wait, ride, change, ride, walk — in ints.

The planner answers the question a resident who gave up their licence asks: *can I get
there by bus, and how long does it take door to door?* It uses the Connection Scan
Algorithm (Dibbelt et al., 2013) over the timetable's elementary connections (one per
pair of consecutive calls of a trip), once per number of rides, so the number of
changes is capped (``max_transfers``) without a Pareto set:

- by departure ("leave after T"): the earliest arrival; then, among journeys that
  arrive then, the one that leaves home latest (no pointless wait at the first stop);
- by arrival ("arrive by T"): the latest departure, found by the same scan on the
  mirrored timetable (times negated, directions swapped).

**Walking.** Elderly walking speed, 3 km/h by default (``walk_kmh``). Walking distance
is the straight line × `DETOUR_FACTOR` (1.3, a common pedestrian circuity), not the
road graph: the graph is the *driving* network (one-way streets, no footpaths or
crossings through parks and stations), whose distances would be wrong for a walker in
both directions, and a walking graph is not loaded. Each walk — to the first stop, from
the last — is at most ``max_walk_m``; a change walks at most ``transfer_walk_m`` between
two stops and takes that walk plus ``min_transfer_s`` (getting off, finding the stop, a
margin; at least 1 s, so a change never happens in zero time). The rider leaves home in
time for the first bus, so waiting is at changes only; the time between the asked
departure and leaving home is the caller's business (``scenarios`` reports it).

A request no journey answers is refused with a reason (`NoJourney`), never ``None``.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from routing.errors import InputError
from routing.transit.timetable import Timetable

#: Straight line × this = walking distance (see the module docstring).
DETOUR_FACTOR = 1.3
#: Elderly walking speed, km/h.
WALK_KMH = 3.0
_M_PER_DEG_LAT = 110_574.0
_INF = 2**62

LonLat = tuple[float, float]


def straight_m(a: LonLat, b: LonLat) -> float:
    """Straight-line distance between two (lon, lat) points, metres (local projection)."""
    mid = math.radians((a[1] + b[1]) / 2)
    dx = (b[0] - a[0]) * 111_320.0 * math.cos(mid)
    dy = (b[1] - a[1]) * _M_PER_DEG_LAT
    return math.hypot(dx, dy)


@dataclass(frozen=True, slots=True)
class JourneyRules:
    """How far and how fast riders walk, and how they change (ints: m, s)."""

    walk_kmh: float = WALK_KMH
    max_walk_m: int = 500  # each walk to the first stop / from the last stop
    min_transfer_s: int = 180
    transfer_walk_m: int = 200  # farthest walk between two stops at a change
    max_transfers: int = 2
    detour_factor: float = DETOUR_FACTOR

    def __post_init__(self) -> None:
        if not 0.5 <= self.walk_kmh <= 10:
            raise InputError(f"journey rules: walk_kmh {self.walk_kmh} outside 0.5..10")
        for name in ("max_walk_m", "min_transfer_s", "transfer_walk_m", "max_transfers"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise InputError(f"journey rules: {name} must be an int >= 0, got {value!r}")
        if self.detour_factor < 1.0:
            raise InputError(f"journey rules: detour_factor {self.detour_factor} below 1")

    def walk_m(self, a: LonLat, b: LonLat) -> int:
        """Walking distance, metres (straight line × detour factor, to the metre)."""
        return round(straight_m(a, b) * self.detour_factor)

    def walk_s(self, metres: int) -> int:
        """Seconds to walk ``metres`` at ``walk_kmh`` (rounded up)."""
        return math.ceil(metres * 3.6 / self.walk_kmh)


class LegKind(StrEnum):
    WALK = "walk"  # from the door to a stop, or from a stop to the destination
    RIDE = "ride"
    TRANSFER = "transfer"  # walking between two stops at a change (may be 0 m)


@dataclass(frozen=True, slots=True)
class Leg:
    """One part of a journey. ``from_stop``/``to_stop`` None = the door."""

    kind: LegKind
    start_s: int
    end_s: int
    from_stop: str | None
    to_stop: str | None
    distance_m: int = 0  # walked metres (walk and transfer legs)
    route_id: str | None = None
    trip_id: str | None = None

    def __post_init__(self) -> None:
        if self.end_s < self.start_s:
            raise InputError(f"{self.kind} leg: ends ({self.end_s}) before it starts")
        if self.kind is LegKind.RIDE and (
            self.route_id is None
            or self.trip_id is None
            or self.from_stop is None
            or self.to_stop is None
        ):
            raise InputError("ride leg: needs route_id, trip_id and both stops")


@dataclass(frozen=True, slots=True)
class Journey:
    """Door to door: legs in time order, with the totals the KPIs read."""

    legs: tuple[Leg, ...]

    def __post_init__(self) -> None:
        if not any(leg.kind is LegKind.RIDE for leg in self.legs):
            raise InputError("journey: needs at least one ride")
        for a, b in zip(self.legs, self.legs[1:], strict=False):
            if b.start_s < a.end_s:
                raise InputError(f"journey: a {b.kind} leg starts before the {a.kind} leg ends")

    @property
    def depart_s(self) -> int:
        """Leaving the door."""
        return self.legs[0].start_s

    @property
    def arrive_s(self) -> int:
        """At the destination's door."""
        return self.legs[-1].end_s

    @property
    def rides(self) -> tuple[Leg, ...]:
        return tuple(leg for leg in self.legs if leg.kind is LegKind.RIDE)

    @property
    def transfers(self) -> int:
        return len(self.rides) - 1

    @property
    def walk_m(self) -> int:
        return sum(leg.distance_m for leg in self.legs if leg.kind is not LegKind.RIDE)

    @property
    def walk_s(self) -> int:
        return sum(leg.end_s - leg.start_s for leg in self.legs if leg.kind is not LegKind.RIDE)

    @property
    def in_vehicle_s(self) -> int:
        return sum(leg.end_s - leg.start_s for leg in self.rides)

    @property
    def door_to_door_s(self) -> int:
        return self.arrive_s - self.depart_s

    @property
    def wait_s(self) -> int:
        """Time standing at stops (between legs)."""
        return self.door_to_door_s - self.walk_s - self.in_vehicle_s


class NoJourney(StrEnum):
    """Why no journey answers a request (the operator's words in `NO_JOURNEY_TEXT`)."""

    NO_STOP_NEAR_ORIGIN = "no_stop_near_origin"
    NO_STOP_NEAR_DESTINATION = "no_stop_near_destination"
    NO_TRIP_IN_TIME = "no_trip_in_time"


NO_JOURNEY_TEXT: dict[NoJourney, tuple[str, str]] = {
    NoJourney.NO_STOP_NEAR_ORIGIN: (
        "出発地から歩ける距離にバス停がありません",
        "no stop within walking distance of the origin",
    ),
    NoJourney.NO_STOP_NEAR_DESTINATION: (
        "目的地から歩ける距離にバス停がありません",
        "no stop within walking distance of the destination",
    ),
    NoJourney.NO_TRIP_IN_TIME: (
        "希望の時間に合うバスがありません",
        "no bus at the time asked",
    ),
}


@dataclass(frozen=True, slots=True)
class _Conn:
    """A vehicle going from one stop (index) to the next, with the trip's call positions
    it leaves and reaches (in the mirrored index the calls run backwards)."""

    dep: int
    arr: int
    frm: int
    to: int
    trip: int
    frm_call: int
    to_call: int


@dataclass(frozen=True, slots=True, eq=False)
class TransitIndex:
    """A timetable prepared for many journeys: stops by index, connections in scan
    order (and mirrored), footpaths between nearby stops. Build with `index_timetable`."""

    timetable: Timetable
    rules: JourneyRules
    stop_ids: tuple[str, ...]
    points: tuple[LonLat, ...]
    forward: tuple[_Conn, ...]
    mirrored: tuple[_Conn, ...]
    forward_deps: tuple[int, ...]
    mirrored_deps: tuple[int, ...]
    footpaths: tuple[tuple[tuple[int, int, int], ...], ...]  # per stop: (stop, metres, s)
    lookup: dict[str, int]
    xy: np.ndarray  # stops in local metres (prefilter for stops near a point)


def index_timetable(timetable: Timetable, rules: JourneyRules | None = None) -> TransitIndex:
    """Prepare ``timetable`` for `plan_journey` (once per day and rule set)."""
    rules = rules or JourneyRules()
    stop_ids = tuple(sorted(timetable.stops))
    lookup = {s: i for i, s in enumerate(stop_ids)}
    points = tuple((timetable.stops[s].lon, timetable.stops[s].lat) for s in stop_ids)
    forward, mirrored = [], []
    for t, trip in enumerate(timetable.trips):
        calls = trip.stop_times
        for p in range(len(calls) - 1):
            a, b = calls[p], calls[p + 1]
            i, j = lookup[a.stop_id], lookup[b.stop_id]
            forward.append(_Conn(a.departure_s, b.arrival_s, i, j, t, p, p + 1))
            mirrored.append(_Conn(-b.arrival_s, -a.departure_s, j, i, t, p + 1, p))
    forward.sort(key=lambda c: (c.dep, c.arr, c.trip, c.frm_call))
    mirrored.sort(key=lambda c: (c.dep, c.arr, c.trip, -c.frm_call))
    xy = _xy(points)
    paths: list[list[tuple[int, int, int]]] = [[] for _ in stop_ids]
    for i in range(len(stop_ids)):
        for j in _within(xy, xy[i], rules.transfer_walk_m / rules.detour_factor):
            metres = 0 if i == j else rules.walk_m(points[i], points[j])
            if metres <= rules.transfer_walk_m:
                change = max(1, rules.walk_s(metres) + rules.min_transfer_s)
                paths[i].append((j, metres, change))
    return TransitIndex(
        timetable,
        rules,
        stop_ids,
        points,
        tuple(forward),
        tuple(mirrored),
        tuple(c.dep for c in forward),
        tuple(c.dep for c in mirrored),
        tuple(tuple(p) for p in paths),
        lookup,
        xy,
    )


def _xy(points: tuple[LonLat, ...]) -> np.ndarray:
    """Metres east and north of the first point (a prefilter for nearby stops only:
    distances are then measured exactly by `JourneyRules.walk_m`)."""
    if not points:
        return np.zeros((0, 2))
    arr = np.asarray(points, dtype=float)
    lat0 = math.radians(arr[0, 1])
    return np.column_stack(
        (
            (arr[:, 0] - arr[0, 0]) * 111_320.0 * math.cos(lat0),
            (arr[:, 1] - arr[0, 1]) * _M_PER_DEG_LAT,
        )
    )


def _within(xy: np.ndarray, at: np.ndarray, radius_m: float) -> list[int]:
    """Indices of points roughly within ``radius_m`` of ``at`` (20 % + 10 m of slack:
    the local projection drifts over a large feed)."""
    if not len(xy):
        return []
    d = np.hypot(xy[:, 0] - at[0], xy[:, 1] - at[1])
    return [int(i) for i in np.flatnonzero(d <= radius_m * 1.2 + 10.0)]


def stops_near(index: TransitIndex, point: LonLat) -> dict[int, int]:
    """{stop index: walking metres} of the stops within ``max_walk_m`` of ``point``."""
    r = index.rules
    if not index.points:
        return {}
    here = _xy((index.points[0], point))[1]
    near = (
        (i, r.walk_m(point, index.points[i]))
        for i in _within(index.xy, here, r.max_walk_m / r.detour_factor)
    )
    return {i: m for i, m in near if m <= r.max_walk_m}


#: One ride found by a scan: (trip index, boarding call position, alighting call position).
_Ride = tuple[int, int, int]


def _scan(
    index: TransitIndex,
    conns: tuple[_Conn, ...],
    deps: tuple[int, ...],
    access: dict[int, int],
    egress: dict[int, int],
    start: int,
) -> tuple[int, list[_Ride]] | None:
    """Earliest arrival at the door via ``egress`` (stop: walk metres), leaving the door
    at ``start`` via ``access``: (arrival, rides in scan order), or None."""
    rules = index.rules
    n, levels = len(index.stop_ids), rules.max_transfers + 1
    ready = [[_INF] * n for _ in range(levels)]  # at a stop, ready to board ride r
    ready_from = [[-1] * n for _ in range(levels)]  # the stop alighted before (-1: home)
    arrived = [[_INF] * n for _ in range(levels)]
    arrived_by: list[list[_Ride | None]] = [[None] * n for _ in range(levels)]
    boarded: list[dict[int, int]] = [{} for _ in range(levels)]  # trip -> boarding call
    for s, metres in access.items():
        ready[0][s] = start + rules.walk_s(metres)
    exit_walk = {s: rules.walk_s(m) for s, m in egress.items()}
    best, best_at = _INF, (-1, -1)
    for c in conns[bisect.bisect_left(deps, start) :]:
        if c.dep >= best:
            break  # nothing leaving from now on arrives earlier
        for r in range(levels):
            board = boarded[r].get(c.trip)
            if board is None:
                if ready[r][c.frm] > c.dep:
                    continue
                board = boarded[r][c.trip] = c.frm_call
            if c.arr >= arrived[r][c.to]:
                continue
            arrived[r][c.to] = c.arr
            arrived_by[r][c.to] = (c.trip, board, c.to_call)
            if c.to in exit_walk and c.arr + exit_walk[c.to] < best:
                best, best_at = c.arr + exit_walk[c.to], (r, c.to)
            if r + 1 < levels:
                for s, _m, change in index.footpaths[c.to]:
                    if c.arr + change < ready[r + 1][s]:
                        ready[r + 1][s] = c.arr + change
                        ready_from[r + 1][s] = c.to
    if best == _INF:
        return None
    r, stop = best_at
    rides: list[_Ride] = []
    while True:
        ride = arrived_by[r][stop]
        assert ride is not None
        rides.append(ride)
        if r == 0:
            rides.reverse()
            return best, rides
        trip, board, _ = ride
        stop = ready_from[r][index.lookup[index.timetable.trips[trip].stop_times[board].stop_id]]
        r -= 1


def plan_journey(
    index: TransitIndex,
    origin: LonLat,
    destination: LonLat,
    *,
    depart_at: int | None = None,
    arrive_by: int | None = None,
) -> Journey | NoJourney:
    """The journey for a request by departure (earliest arrival, then leaving home as
    late as that arrival allows) or by arrival (latest departure); exactly one of
    ``depart_at`` / ``arrive_by``, seconds of the service day."""
    if (depart_at is None) == (arrive_by is None):
        raise InputError("journey request: give exactly one of depart_at and arrive_by")
    access, egress = stops_near(index, origin), stops_near(index, destination)
    if not access:
        return NoJourney.NO_STOP_NEAR_ORIGIN
    if not egress:
        return NoJourney.NO_STOP_NEAR_DESTINATION
    if depart_at is not None:
        found = _scan(index, index.forward, index.forward_deps, access, egress, depart_at)
        if found is None:
            return NoJourney.NO_TRIP_IN_TIME
        arrive_by = found[0]
    assert arrive_by is not None
    back = _scan(index, index.mirrored, index.mirrored_deps, egress, access, -arrive_by)
    if back is None:
        return NoJourney.NO_TRIP_IN_TIME
    rides = [(trip, alight, board) for trip, board, alight in reversed(back[1])]
    return _journey(index, access, egress, rides)


def _journey(
    index: TransitIndex, access: dict[int, int], egress: dict[int, int], rides: list[_Ride]
) -> Journey:
    """Legs of the rides found, timed by the trips' own stop times."""
    tt, rules = index.timetable, index.rules
    legs: list[Leg] = []
    prev_stop: str | None = None
    prev_end = 0
    for trip_i, board, alight in rides:
        trip = tt.trips[trip_i]
        on, off = trip.stop_times[board], trip.stop_times[alight]
        if prev_stop is None:
            metres = access[index.lookup[on.stop_id]]
            walk = rules.walk_s(metres)
            legs.append(
                Leg(LegKind.WALK, on.departure_s - walk, on.departure_s, None, on.stop_id, metres)
            )
        else:
            a, b = index.lookup[prev_stop], index.lookup[on.stop_id]
            metres = 0 if a == b else rules.walk_m(index.points[a], index.points[b])
            legs.append(
                Leg(
                    LegKind.TRANSFER,
                    prev_end,
                    prev_end + rules.walk_s(metres),
                    prev_stop,
                    on.stop_id,
                    metres,
                )
            )
        legs.append(
            Leg(
                LegKind.RIDE,
                on.departure_s,
                off.arrival_s,
                on.stop_id,
                off.stop_id,
                route_id=trip.route_id,
                trip_id=trip.trip_id,
            )
        )
        prev_stop, prev_end = off.stop_id, off.arrival_s
    assert prev_stop is not None
    metres = egress[index.lookup[prev_stop]]
    legs.append(
        Leg(LegKind.WALK, prev_end, prev_end + rules.walk_s(metres), prev_stop, None, metres)
    )
    return Journey(tuple(legs))
