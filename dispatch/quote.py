"""Instant quotes: what the operator asks, what the caller is told, and a fast insertion.

An operator takes down a `RideAsk` (by departure: ``depart_at``; by arrival:
``arrive_by``) or a `DeliveryAsk`; `dispatch.live.LiveDay.quote` answers with a
`Quote`: a promised pickup window (お迎え予定時間帯, `QuoteConfig.promise_width_s` wide)
and the estimated arrival, or a rejection with a reason (予約できません（理由）) and up
to `QuoteConfig.alternatives` other times that are feasible now (代わりの時間).

`find_insertion` is the cheapest feasible insertion of one request over all vehicles
and positions, as `dispatch.insertion.best_insertion`, made fast enough to answer
while the caller waits: per-route arrays (`RouteView`: locations, earliest departures,
latest service starts, loads) are computed once per route change, every position pair
is first screened with necessary conditions (capacity, reaching the pickup and the
dropoff in time, not pushing the next stop past its latest start, the ride limit),
and only the cheapest survivors get the exact `dispatch.schedule.schedule` check,
which verifies every constraint of the whole route (windows, promises, ride times of
riders already on board, breaks, shift, route duration).

Times are seconds from the start of the service day; ``now`` may be negative when a
booking is taken the day before.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any

import numpy as np

from dispatch.errors import InputError
from dispatch.insertion import Insertion, WorkingRoute
from dispatch.model import DeliveryOrder, Problem, Request, RideRequest, Task, TimeWindow, Vehicle
from dispatch.result import StepKind
from dispatch.schedule import Node, Schedule, dropoff_node, pickup_node, schedule
from dispatch.screening import compatible, fits_alone

# -- what the operator asks ------------------------------------------------------------


def _check_int(obj: str, name: str, value: object, *, minimum: int | None = None) -> None:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise InputError(f"{obj}: {name} must be an int, got {value!r}")
    if minimum is not None and value < minimum:
        raise InputError(f"{obj}: {name} must be >= {minimum}, got {value}")


@dataclass(frozen=True, slots=True)
class RideAsk:
    """A ride as the operator takes it down (出発希望時刻 or 到着希望時刻).

    Exactly one of ``depart_at`` (book by departure) and ``arrive_by`` (book by
    arrival: alighting starts no later) is given. Locations are matrix indices.
    """

    pickup: int
    dropoff: int
    depart_at: int | None = None
    arrive_by: int | None = None
    rider_id: str = ""
    party_size: int = 1
    wheelchairs: int = 0
    board_s: int = 60
    alight_s: int = 60
    required_features: frozenset[str] = frozenset()
    priority: int = 1

    def __post_init__(self) -> None:
        obj = "ride ask"
        _check_int(obj, "pickup", self.pickup, minimum=0)
        _check_int(obj, "dropoff", self.dropoff, minimum=0)
        if (self.depart_at is None) == (self.arrive_by is None):
            raise InputError(f"{obj}: give exactly one of depart_at and arrive_by")
        for name in ("depart_at", "arrive_by"):
            if getattr(self, name) is not None:
                _check_int(obj, name, getattr(self, name))
        _check_int(obj, "party_size", self.party_size, minimum=1)
        _check_int(obj, "wheelchairs", self.wheelchairs, minimum=0)
        if self.wheelchairs > self.party_size:
            raise InputError(f"{obj}: wheelchairs ({self.wheelchairs}) exceeds party_size")
        _check_int(obj, "board_s", self.board_s, minimum=0)
        _check_int(obj, "alight_s", self.alight_s, minimum=0)
        _check_int(obj, "priority", self.priority, minimum=1)
        if not isinstance(self.required_features, frozenset):
            raise InputError(f"{obj}: required_features must be a frozenset of strings")

    @property
    def by_arrival(self) -> bool:
        """Booked by arrival time (到着希望時刻)."""
        return self.arrive_by is not None

    @property
    def time(self) -> int:
        """The time the caller asked for (departure or arrival)."""
        return self.arrive_by if self.arrive_by is not None else self.depart_at  # type: ignore[return-value]


@dataclass(frozen=True, slots=True)
class DeliveryAsk:
    """A shop order (買い物支援): collected at ``shop``, handed over at ``customer``.

    ``ready_at`` defaults to now plus `QuoteConfig.delivery_prep_s`, ``due_by`` to the
    end of the latest shift.
    """

    shop: int
    customer: int
    ready_at: int | None = None
    due_by: int | None = None
    deliver_from: int | None = None
    cargo_units: int = 1
    pickup_service_s: int = 120
    dropoff_service_s: int = 120
    required_features: frozenset[str] = frozenset()
    priority: int = 1

    def __post_init__(self) -> None:
        obj = "delivery ask"
        _check_int(obj, "shop", self.shop, minimum=0)
        _check_int(obj, "customer", self.customer, minimum=0)
        for name in ("ready_at", "due_by", "deliver_from"):
            if getattr(self, name) is not None:
                _check_int(obj, name, getattr(self, name))
        _check_int(obj, "cargo_units", self.cargo_units, minimum=1)
        _check_int(obj, "pickup_service_s", self.pickup_service_s, minimum=0)
        _check_int(obj, "dropoff_service_s", self.dropoff_service_s, minimum=0)
        _check_int(obj, "priority", self.priority, minimum=1)
        if not isinstance(self.required_features, frozenset):
            raise InputError(f"{obj}: required_features must be a frozenset of strings")


Ask = RideAsk | DeliveryAsk


@dataclass(frozen=True, slots=True)
class QuoteConfig:
    """How quotes are made (seconds). One place to read and override them.

    By departure the pickup may be promised within ``[depart_at - departure_early_s,
    depart_at + departure_late_s]``; by arrival within the ``arrival_lead_s`` before
    the latest pickup that still arrives in time. The promise is ``promise_width_s``
    wide, its start on a ``round_s`` grid when that keeps the planned pickup inside.
    Same-day shop orders close at ``delivery_cutoff_s`` (注文締切; None: no cut-off);
    deliveries are promised a ``delivery_slot_s`` hand-over slot (0: the order's window).
    Rides must be booked ``min_lead_s`` before departure. Rejections list up to
    ``alternatives`` times, trying the asked time shifted by ±``alternative_step_s``,
    ±2×…, up to ``alternative_max_shift_s``.
    """

    promise_width_s: int = 900
    departure_early_s: int = 600
    departure_late_s: int = 1800
    arrival_lead_s: int = 2700
    min_lead_s: int = 0
    round_s: int = 300
    delivery_cutoff_s: int | None = 11 * 3600
    delivery_prep_s: int = 1800
    delivery_slot_s: int = 3600
    alternatives: int = 3
    alternative_step_s: int = 900
    alternative_max_shift_s: int = 7200
    exact_checks_per_vehicle: int = 12
    max_exact_checks: int = 60

    def __post_init__(self) -> None:
        for name, value in asdict(self).items():
            if name == "delivery_cutoff_s" and value is None:
                continue
            minimum = 1 if name in ("promise_width_s", "round_s", "alternative_step_s") else 0
            _check_int("quote config", name, value, minimum=minimum)

    def to_plain(self) -> dict[str, Any]:
        """JSON-able data, for storage."""
        return asdict(self)


# -- what the caller is told -------------------------------------------------------------


class QuoteRejection(StrEnum):
    """Why a booking cannot be taken (予約できません（理由）)."""

    FULLY_BOOKED = "fully_booked"
    OUTSIDE_SERVICE_HOURS = "outside_service_hours"
    NO_VEHICLE = "no_vehicle"
    MAX_RIDE_TOO_SHORT = "max_ride_too_short"
    AFTER_CUTOFF = "after_cutoff"
    TOO_SOON = "too_soon"


REJECTION_TEXT: dict[QuoteRejection, tuple[str, str]] = {
    QuoteRejection.FULLY_BOOKED: (
        "ご希望の時間は車両が埋まっています",
        "every vehicle is busy at the requested time",
    ),
    QuoteRejection.OUTSIDE_SERVICE_HOURS: ("運行時間外です", "outside service hours"),
    QuoteRejection.NO_VEHICLE: (
        "条件に合う車両（車椅子対応車など）が運行していません",
        "no vehicle in service can carry this booking (wheelchair, capacity, features)",
    ),
    QuoteRejection.MAX_RIDE_TOO_SHORT: (
        "乗車時間が長すぎるためお受けできません",
        "the direct ride is longer than the maximum ride time",
    ),
    QuoteRejection.AFTER_CUTOFF: (
        "本日分の注文締切を過ぎています",
        "past today's order cut-off",
    ),
    QuoteRejection.TOO_SOON: (
        "ご希望の時間までに間に合いません",
        "too close to the requested time",
    ),
}


def clock(t: int) -> str:
    """``HH:MM`` of a day time in seconds (hours past 24 for after midnight)."""
    sign = "-" if t < 0 else ""
    t = abs(int(t))
    return f"{sign}{t // 3600:02d}:{t % 3600 // 60:02d}"


def span(w: TimeWindow) -> str:
    """A window as shown on screen: 「10:05〜10:20」."""
    return f"{clock(w.start)}〜{clock(w.end)}"


@dataclass(frozen=True, slots=True)
class Alternative:
    """Another time that is feasible now (代わりの時間); ask again with ``time``."""

    time: int
    promise: TimeWindow
    estimated_pickup: int
    estimated_arrival: int
    vehicle_id: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form for the API and logs."""
        return {
            "time": self.time,
            "promise": [self.promise.start, self.promise.end],
            "estimated_pickup": self.estimated_pickup,
            "estimated_arrival": self.estimated_arrival,
            "vehicle": self.vehicle_id,
        }


@dataclass(frozen=True, slots=True)
class Quote:
    """The answer to an ask: a held booking with its promise, or a rejection.

    ``promise`` is the pickup window for rides (お迎え予定時間帯) and the hand-over
    slot for deliveries; ``latest_arrival`` is what the rules guarantee (arrive-by
    time, or promise end + boarding + maximum ride time).
    """

    ok: bool
    kind: str
    booking_id: str | None = None
    promise: TimeWindow | None = None
    estimated_pickup: int | None = None
    estimated_arrival: int | None = None
    latest_arrival: int | None = None
    vehicle_id: str | None = None
    held_until: int | None = None
    reason: QuoteRejection | None = None
    alternatives: tuple[Alternative, ...] = ()
    detail: str = ""

    @property
    def message_ja(self) -> str:
        """What to tell the caller, in Japanese."""
        if self.ok:
            assert self.promise is not None and self.estimated_arrival is not None
            if self.kind == "ride":
                return (
                    f"お迎え予定時間帯 {span(self.promise)}、"
                    f"到着予定 {clock(self.estimated_arrival)}"
                )
            return f"お届け予定時間帯 {span(self.promise)}"
        assert self.reason is not None
        text = f"予約できません（{REJECTION_TEXT[self.reason][0]}）"
        if self.alternatives:
            text += "。代わりの時間: " + "、".join(clock(a.time) for a in self.alternatives)
        return text

    @property
    def message_en(self) -> str:
        """What to tell the caller, in English."""
        if self.ok:
            assert self.promise is not None and self.estimated_arrival is not None
            if self.kind == "ride":
                return (
                    f"pickup between {clock(self.promise.start)} and {clock(self.promise.end)}, "
                    f"arrival about {clock(self.estimated_arrival)}"
                )
            return f"delivery between {clock(self.promise.start)} and {clock(self.promise.end)}"
        assert self.reason is not None
        text = f"cannot book ({REJECTION_TEXT[self.reason][1]})"
        if self.alternatives:
            text += "; alternative times: " + ", ".join(clock(a.time) for a in self.alternatives)
        return text

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form for the API and logs."""
        return {
            "ok": self.ok,
            "kind": self.kind,
            "booking_id": self.booking_id,
            "promise": None if self.promise is None else [self.promise.start, self.promise.end],
            "estimated_pickup": self.estimated_pickup,
            "estimated_arrival": self.estimated_arrival,
            "latest_arrival": self.latest_arrival,
            "vehicle": self.vehicle_id,
            "held_until": self.held_until,
            "reason": None if self.reason is None else self.reason.value,
            "alternatives": [a.to_dict() for a in self.alternatives],
            "message_ja": self.message_ja,
            "message_en": self.message_en,
            "detail": self.detail,
        }


# -- the request behind an ask -----------------------------------------------------------


def build_request(
    ask: Ask,
    booking_id: str,
    *,
    now: int,
    time_s: np.ndarray,
    horizon_s: int,
    day_end: int,
    config: QuoteConfig,
) -> Request | None:
    """The request an ask books at time `now`: its booked window, no promise yet.

    By departure the pickup window is ``[depart_at - departure_early_s, depart_at +
    departure_late_s]``; by arrival it ends at the latest pickup that still arrives in
    time driving directly (``arrive_by - direct - board_s``) and opens
    ``arrival_lead_s`` before; neither opens before `now`. A delivery is ready at
    ``ready_at`` (default now + ``delivery_prep_s``) and due by ``due_by`` (default
    `day_end`). None when the ask cannot be met from `now` (too soon).
    """
    now0 = max(now, 0)
    if isinstance(ask, RideAsk):
        extra: dict[str, Any] = {}
        if ask.depart_at is not None:
            if ask.depart_at < now + config.min_lead_s:
                return None
            lo = max(ask.depart_at - config.departure_early_s, now0)
            hi = min(ask.depart_at + config.departure_late_s, horizon_s)
        else:
            assert ask.arrive_by is not None
            direct = int(time_s[ask.pickup, ask.dropoff])
            hi = min(ask.arrive_by - direct - ask.board_s, horizon_s)
            lo = max(hi - config.arrival_lead_s, now0 + config.min_lead_s)
            extra["arrive_by"] = ask.arrive_by
        if hi < lo:
            return None
        return RideRequest(
            booking_id,
            ask.pickup,
            ask.dropoff,
            rider_id=ask.rider_id,
            party_size=ask.party_size,
            wheelchairs=ask.wheelchairs,
            board_s=ask.board_s,
            alight_s=ask.alight_s,
            pickup_window=TimeWindow(lo, hi),
            priority=ask.priority,
            required_features=ask.required_features,
            **extra,
        )
    ready = ask.ready_at if ask.ready_at is not None else now0 + config.delivery_prep_s
    ready = max(ready, now0)
    due = min(ask.due_by if ask.due_by is not None else day_end, horizon_s)
    if due < ready or (ask.deliver_from is not None and ask.deliver_from > due):
        return None
    return DeliveryOrder(
        booking_id,
        ask.shop,
        ask.customer,
        ready_at=ready,
        due_by=due,
        deliver_from=ask.deliver_from,
        cargo_units=ask.cargo_units,
        pickup_service_s=ask.pickup_service_s,
        dropoff_service_s=ask.dropoff_service_s,
        priority=ask.priority,
        required_features=ask.required_features,
    )


# -- the promised window ---------------------------------------------------------------


def place_window(center: int, width: int, lo: int, hi: int, round_s: int) -> TimeWindow:
    """A ``width``-wide window inside ``[lo, hi]`` around ``center`` (which it contains).

    The start is put on the ``round_s`` grid when the window still contains
    ``center``; when ``[lo, hi]`` is narrower than ``width`` it is the whole of it.
    """
    if not lo <= center <= hi:
        raise InputError(f"window: center {center} lies outside [{lo}, {hi}]")
    if hi - lo <= width:
        return TimeWindow(lo, hi)
    raw = center - width // 2
    for start in (raw - raw % round_s, raw):
        start = min(max(start, lo), hi - width)
        if start <= center <= start + width:
            return TimeWindow(start, start + width)
    start = min(max(center - width // 2, lo), hi - width)  # pragma: no cover - defensive
    return TimeWindow(start, start + width)


def slot_from(earliest: int, width: int, lo: int, hi: int, round_s: int) -> TimeWindow:
    """A ``width``-wide slot inside ``[lo, hi]`` starting at or just before ``earliest``."""
    start = max(lo, earliest - earliest % round_s)
    end = min(hi, start + width)
    if end < earliest:  # width below the grid step
        start, end = earliest, min(hi, earliest + width)
    return TimeWindow(start, max(start, end))


# -- fast insertion ------------------------------------------------------------------


@dataclass(slots=True)
class RouteView:
    """Arrays of one route for fast quoting; rebuild whenever the route changes.

    Position ``i`` (0..n) is "before node i". ``locs[i]`` is the last real location
    before it, ``nxt[i]`` the first real location at or after node i (the end depot
    for i = n), ``dep[i]`` the earliest departure of node i-1 (the vehicle's earliest
    departure for i = 0), ``latest[i]`` the latest service start of node i that the
    following nodes and the shift end allow (``shift end`` at i = n; ride limits
    ignored, so it is an upper bound), ``load[i]`` the load on board before node i.
    """

    locs: np.ndarray
    nxt: np.ndarray
    travel_next: np.ndarray  # 1 where nxt[i] is node i's own location (travel counts), else 0
    dep: np.ndarray
    latest: np.ndarray
    load: np.ndarray
    cost: float
    used: bool


def route_cost(problem: Problem, vehicle: Vehicle, nodes: Sequence[Node], sched: Schedule) -> float:
    """Operating cost + excess ride cost of one route under `sched` (yen).

    The same figure as `dispatch.insertion`'s private route cost, so deltas compare.
    """
    if not any(not n.is_break for n in nodes):
        return 0.0
    D = problem.distance_m
    dist = 0
    last = vehicle.start
    for node in nodes:
        if not node.is_break:
            dist += int(D[last, node.location])
            last = node.location
    dist += int(D[last, vehicle.end])
    cost = (
        vehicle.fixed_cost
        + vehicle.cost_per_hour * (sched.end_arrival - sched.departure) / 3600
        + vehicle.cost_per_km * dist / 1000
    )
    picked: dict[str, int] = {}
    excess = 0
    for node, start in zip(nodes, sched.starts, strict=True):
        task = node.task
        if task is None or task.kind != "ride":
            continue
        if node.kind is StepKind.PICKUP:
            picked[task.id] = start + node.service_s
        else:
            dep = picked.get(task.id, task.onboard.pickup_departed_at if task.onboard else None)
            if dep is not None:
                excess += max(0, start - dep - task.direct_s)
    return cost + problem.weights.excess_ride_per_hour * excess / 3600


def route_view(problem: Problem, route: WorkingRoute) -> RouteView:
    """The arrays of `route` (which must have a schedule)."""
    v = route.vehicle
    nodes = route.nodes
    sched = route.sched
    assert sched is not None, "route views need a feasible route"
    n = len(nodes)
    T = problem.time_s
    locs = [v.start]
    last = v.start
    for node in nodes:
        if not node.is_break:
            last = node.location
        locs.append(last)
    nxt = [v.end] * (n + 1)
    own = [1] * (n + 1)
    for i in range(n - 1, -1, -1):
        if nodes[i].is_break:
            nxt[i], own[i] = nxt[i + 1], 0
        else:
            nxt[i] = nodes[i].location
    dep = [v.earliest_departure] + [
        s + node.service_s for s, node in zip(sched.earliest, nodes, strict=True)
    ]
    shift_end = min(v.shift.end, problem.horizon_s)
    latest = [0] * (n + 1)
    latest[n] = shift_end
    # backward pass: latest[k] = min(hi[k], latest[k+1] - gap[k+1])
    following = shift_end
    for k in range(n - 1, -1, -1):
        node = nodes[k]
        hi = node.latest
        task = node.task
        if (
            task is not None
            and node.kind is StepKind.DROPOFF
            and task.onboard is not None
            and task.max_ride_s is not None
        ):
            hi = min(hi, task.onboard.pickup_departed_at + task.max_ride_s)
        loc = locs[k + 1]  # this node's location (or the last real one, for a break)
        travel = int(T[loc, nxt[k + 1]]) * own[k + 1] if k + 1 < n else int(T[loc, v.end])
        latest[k] = min(hi, following - node.service_s - travel)
        following = latest[k]
    load = np.zeros((n + 1, len(route.initial_load)), dtype=np.int64)
    cur = list(route.initial_load)
    load[0] = cur
    for k, node in enumerate(nodes):
        if node.task is not None:
            sign = 1 if node.kind is StepKind.PICKUP else -1
            cur = [a + sign * b for a, b in zip(cur, node.task.load, strict=True)]
        load[k + 1] = cur
    return RouteView(
        locs=np.asarray(locs, dtype=np.int64),
        nxt=np.asarray(nxt, dtype=np.int64),
        travel_next=np.asarray(own, dtype=np.int64),
        dep=np.asarray(dep, dtype=np.int64),
        latest=np.asarray(latest, dtype=np.int64),
        load=load,
        cost=route_cost(problem, v, nodes, sched),
        used=route.used,
    )


def _pairs(
    problem: Problem, vi: int, route: WorkingRoute, view: RouteView, task: Task
) -> list[tuple[float, float, int, int, int]]:
    """(approximate cost, distance-only lower bound, vehicle, pickup pos, dropoff pos)."""
    p, d = task.pickup, task.dropoff
    assert p is not None
    v = route.vehicle
    T, D = problem.time_s, problem.distance_m
    n = len(route.nodes)
    locs, nxt = view.locs, view.nxt
    sp, sd = p.service_s, d.service_s
    ride = task.max_ride_s if task.max_ride_s is not None else 10**9
    direct = int(T[p.location, d.location])
    # capacity: on board from position i through j
    room = np.all(view.load + np.asarray(task.load) <= np.asarray(v.capacity), axis=1)
    # pickup at position i: earliest service start, and the push on node i
    t_p = np.maximum(view.dep + T[locs, p.location], p.window.start)
    ok_p = (t_p <= p.window.end) & room
    ok_p[: route.locked] = False
    if not ok_p.any():
        return []
    push_p = t_p + sp + T[p.location, nxt] * view.travel_next <= view.latest
    # dropoff at position j (after an earlier pickup): lower bound of its service start
    t_d = np.maximum(view.dep + T[locs, d.location], d.window.start)
    d_end = min(d.window.end, p.window.end + sp + ride)
    ok_d = (t_d <= d_end) & (t_d + sd + T[d.location, nxt] * view.travel_next <= view.latest)
    # adjacent: prev -> p -> d -> next
    t_da = np.maximum(t_p + sp + direct, d.window.start)
    ok_a = (
        ok_p
        & (t_da <= d.window.end)
        & (t_da + sd + T[d.location, nxt] * view.travel_next <= view.latest)
    )
    rate_d = v.cost_per_km / 1000.0
    rate_t = v.cost_per_hour / 3600.0
    fixed = 0.0 if view.used else float(v.fixed_cost)

    def detour(loc: int) -> tuple[np.ndarray, np.ndarray]:
        dd = D[locs, loc] + D[loc, nxt] - D[locs, nxt]
        dt = T[locs, loc] + T[loc, nxt] - T[locs, nxt]
        return dd * rate_d, dd * rate_d + dt * rate_t

    lb_p, cp = detour(p.location)
    lb_d, cd = detour(d.location)
    adj_d = D[locs, p.location] + D[p.location, d.location] + D[d.location, nxt] - D[locs, nxt]
    adj_t = T[locs, p.location] + T[p.location, d.location] + T[d.location, nxt] - T[locs, nxt]
    lb_a = adj_d * rate_d
    ca = lb_a + adj_t * rate_t
    ok_p_l, push_l, ok_a_l = ok_p.tolist(), push_p.tolist(), ok_a.tolist()
    ok_d_l, room_l, dep_l = ok_d.tolist(), room.tolist(), view.dep.tolist()
    cp_l, cd_l, lbp_l, lbd_l = cp.tolist(), cd.tolist(), lb_p.tolist(), lb_d.tolist()
    out: list[tuple[float, float, int, int, int]] = []
    for i in range(route.locked, n + 1):
        if not ok_p_l[i]:
            continue
        if ok_a_l[i]:
            out.append((fixed + float(ca[i]), fixed + float(lb_a[i]), vi, i, i))
        if not push_l[i]:
            continue
        for j in range(i + 1, n + 1):
            if not room_l[j] or dep_l[j] > d_end:
                break  # full from here on, or the dropoff comes too late from here on
            if ok_d_l[j]:
                out.append((fixed + cp_l[i] + cd_l[j], fixed + lbp_l[i] + lbd_l[j], vi, i, j))
    return out


def _insert(nodes: Sequence[Node], task: Task, i: int, j: int) -> list[Node]:
    out = list(nodes)
    out.insert(j, dropoff_node(task))
    out.insert(i, pickup_node(task))
    return out


def find_insertion(
    problem: Problem,
    routes: Sequence[WorkingRoute],
    views: Sequence[RouteView],
    task: Task,
    *,
    per_vehicle: int = 12,
    max_checks: int = 60,
) -> Insertion | None:
    """The cheapest feasible insertion of `task` (which has a pickup) into `routes`.

    Position pairs of every open, compatible vehicle that could serve the task alone
    are screened with necessary conditions, then checked exactly with `schedule` in
    order of approximate cost (detour distance and time), at most `per_vehicle` per
    vehicle and `max_checks` in all, skipping pairs whose distance detour alone
    already costs more than the best feasible insertion found.
    """
    assert task.pickup is not None, "find_insertion inserts requests not yet picked up"
    pairs: list[tuple[float, float, int, int, int]] = []
    for vi, (route, view) in enumerate(zip(routes, views, strict=True)):
        if route.closed or route.sched is None or not compatible(route.vehicle, task):
            continue
        if not fits_alone(problem, task, route.vehicle):
            continue
        pairs.extend(_pairs(problem, vi, route, view, task))
    pairs.sort()
    best: Insertion | None = None
    tried = [0] * len(routes)
    checks = 0
    for approx, lower, vi, i, j in pairs:
        if best is not None and (
            lower >= best.cost_delta - 1e-9 or (approx >= best.cost_delta and tried[vi] > 0)
        ):
            continue
        if tried[vi] >= per_vehicle:
            continue
        if checks >= max_checks:
            break
        route = routes[vi]
        nodes = _insert(route.nodes, task, i, j)
        tried[vi] += 1
        checks += 1
        sched = schedule(problem, route.vehicle, nodes)
        if sched is None:
            continue
        delta = route_cost(problem, route.vehicle, nodes, sched) - views[vi].cost
        if best is None or delta < best.cost_delta:
            best = Insertion(vi, i, j, tuple(nodes), sched, delta)
    return best


def resolve_task(problem: Problem, request: Request) -> Task:
    """`request` resolved against `problem`'s matrices, horizon and ride policy.

    Uses the model's own resolution, so the task is exactly what a `Problem` holding
    the request would resolve, without building one (that copies the matrices).
    """
    return problem._resolve(0, request)


def positions(ins: Insertion) -> tuple[int, int]:
    """Indices of the inserted pickup and dropoff in ``ins.nodes``."""
    assert ins.pickup_pos is not None
    return ins.pickup_pos, ins.dropoff_pos + 1
