"""Independent feasibility checker: does a `Plan` really solve its `Problem`?

The checker shares no code with the solver side. It never imports ortools and never
calls `build_route`, `build_plan`, `route_cost`, `screening.compatible` or
`Problem.initial_load`: every figure is recomputed from the problem's raw data
(resolved tasks, vehicles, travel-time and distance matrices, weights, locks) and
compared with what the plan reports. Breaches are data, not exceptions: each is a
`Violation` with a kind and an amount, so a test can say *by how much* a plan is
wrong (as PyVRP reports excess load and time warp), not merely that it is.

Time semantics are those of `dispatch.result`: the arrival at a stop is the previous
stop's departure plus the travel time plus the durations of the breaks taken in that
gap; service may start later than the arrival (waiting); departure is service start
plus service time. START and END have arrival == service start == departure.

Violation kinds and the unit of their amount
--------------------------------------------
==================  ==================================================================
coverage            1 per missing/duplicated/unknown item (task, route, vehicle, a
                    visit served twice or a stop of the wrong kind)
structure           1 per malformed route (no START/END, wrong location, bad step)
pairing             1 per task whose stops lie on different vehicles (or not on the
                    vehicle it is on board of; a visit split across vehicles)
precedence          1 per task whose dropoff precedes its pickup
schedule            seconds: arrival/departure off the matrix arithmetic, service
                    started before arrival
time_window         seconds outside the stop's window (the booked pickup window, or
                    a visit's booked appointment window, when the request has a promise)
promise             seconds outside the promised pickup window (お迎え予定時間帯) or a
                    visit's promised appointment window (訪問予定時間帯)
capacity            load units above capacity (or below zero), per route and dimension
load_report         load units between a step's reported and recomputed load (L1)
max_ride            seconds beyond the task's maximum ride time
shift               seconds before the earliest departure or after the shift end
max_duration        seconds beyond the vehicle's maximum route duration
horizon             seconds outside ``[0, problem.horizon_s]``, per step
break               seconds a break misses its window/gap by; 1 for an unknown or
                    repeated break id
accessibility       1 per (task, vehicle) lacking a required feature or outside the pin
lock                number of locked positions not honoured, or stops added to a
                    closed vehicle
distance            metres between reported and recomputed distances
duration_report     seconds between reported and recomputed durations / drive times
cost                yen between reported and recomputed cost (route or plan)
summary             difference in a summary count, excess ride seconds or ride ratio
unassigned_reason   1 per unassigned request whose claimed reason is false
arrival             seconds a ride is (planned to be, or was) dropped off after the
                    latest arrival it was promised (`check_promises`)
handover            seconds a delivery is (planned to be, or was) handed over outside
                    its promised slot, early or late (`check_promises`)
appointment         seconds a home visit (planned, or done) starts outside its promised
                    appointment window, early or late (`check_promises`)
promise_dropped     1 per promised booking neither done, planned, ended by the rider
                    nor reported broken (`check_promises`)
==================  ==================================================================

`check_promises` checks a live day's plan *and* what was executed against the
promise ledger (what callers were told at confirmation), not against the requests,
which later events may rewrite. It reads the records only (promises, done stops);
a breach that the day reported as a broken promise is excused, anything else is a
violation.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from itertools import pairwise, zip_longest
from typing import Protocol

from dispatch.model import (
    DIMENSIONS,
    N_DIMS,
    Break,
    Problem,
    StopKind,
    StopRef,
    StopSpec,
    Task,
    TimeWindow,
    Vehicle,
)
from dispatch.result import Plan, Route, Step, StepKind, UnassignedReason


class PromiseRecord(Protocol):
    """What `check_promises` reads of a promise (`dispatch.live.ledger.Promise`)."""

    booking_id: str
    kind: str
    window: TimeWindow
    latest_arrival: int
    words_en: str


class DoneRecord(Protocol):
    """What `check_promises` reads of an executed stop (`dispatch.events.DoneStop`)."""

    kind: str
    start: int
    request_id: str | None


__all__ = [
    "KINDS",
    "CheckReport",
    "Violation",
    "check_plan",
    "check_promises",
    "prove_unassigned_reason",
    "single_request_feasible",
]

#: Every violation kind the checker can report (see the module docstring for units).
KINDS: tuple[str, ...] = (
    "coverage",
    "structure",
    "pairing",
    "precedence",
    "schedule",
    "time_window",
    "promise",
    "capacity",
    "load_report",
    "max_ride",
    "shift",
    "max_duration",
    "horizon",
    "break",
    "accessibility",
    "lock",
    "distance",
    "duration_report",
    "cost",
    "summary",
    "unassigned_reason",
    "arrival",
    "handover",
    "appointment",
    "promise_dropped",
    "drone",  # a live day's flights, by dispatch.drones.check_drone_schedule
)

#: Relative tolerance for the float figures that are not yen (ride ratios).
_RATIO_TOLERANCE = 1e-9

_STOP_KINDS = (StepKind.PICKUP, StepKind.DROPOFF, StepKind.VISIT)
#: Load change per unit of a task's load at a step of this kind (a visit carries nothing).
_LOAD_SIGN = {StepKind.PICKUP: 1, StepKind.DROPOFF: -1}


# -- public value objects ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Violation:
    """One breach: its kind (see `KINDS`), by how much, and where."""

    kind: str
    amount: float
    message: str
    vehicle_id: str | None = None
    request_id: str | None = None

    def __str__(self) -> str:
        return f"{self.kind} [{_fmt_amount(self.amount)}]: {self.message}"


@dataclass(frozen=True, slots=True)
class CheckReport:
    """The outcome of `check_plan`: every violation found and the recomputed cost."""

    violations: tuple[Violation, ...]
    cost: float

    def ok(self) -> bool:
        """True when the plan breaks nothing."""
        return not self.violations

    def by_kind(self) -> dict[str, float]:
        """Total amount per violation kind (kinds without violations are absent)."""
        totals: dict[str, float] = {}
        for v in self.violations:
            totals[v.kind] = totals.get(v.kind, 0.0) + v.amount
        return totals

    def of_kind(self, kind: str) -> tuple[Violation, ...]:
        """The violations of one kind, in the order found."""
        return tuple(v for v in self.violations if v.kind == kind)

    def __str__(self) -> str:
        if self.ok():
            return f"plan OK: no violations, cost {self.cost:.3f}"
        lines = [f"plan has {len(self.violations)} violation(s), recomputed cost {self.cost:.3f}"]
        lines.extend(f"  {v}" for v in self.violations)
        totals = ", ".join(f"{k}={_fmt_amount(a)}" for k, a in sorted(self.by_kind().items()))
        lines.append(f"  totals: {totals}")
        return "\n".join(lines)


# -- single-request proofs ----------------------------------------------------------


def single_request_feasible(problem: Problem, task: Task, vehicle: Vehicle) -> bool:
    """Can `vehicle`, empty and alone, serve `task` within every time limit? Exact.

    Static compatibility (features, pins, on-board vehicle, capacity per dimension)
    first; then the schedule, a system of difference constraints over the START
    departure t0, the pickup service start t1, the dropoff service start t2 and the
    END arrival t3 (waiting allowed anywhere, breaks and locks ignored — they can only
    make things worse), decided exactly by looking for a negative cycle.
    """
    return _compatible(task, vehicle) and _schedule_alone(problem, task, vehicle)


def prove_unassigned_reason(problem: Problem, task: Task) -> UnassignedReason | None:
    """The strongest reason provable for `task` alone, or None if it is feasible alone.

    Tried in order: NO_COMPATIBLE_VEHICLE, MAX_RIDE_TOO_SHORT, WINDOW_UNREACHABLE.
    Every reason returned is sound: it holds whatever the other requests are.
    """
    for reason in (
        UnassignedReason.NO_COMPATIBLE_VEHICLE,
        UnassignedReason.MAX_RIDE_TOO_SHORT,
        UnassignedReason.WINDOW_UNREACHABLE,
    ):
        if _reason_holds(problem, task, reason):
            return reason
    return None


def _reason_holds(problem: Problem, task: Task, reason: UnassignedReason) -> bool:
    """Is the claim "`task` is unassigned because of `reason`" true? (NOT_SELECTED: yes.)"""
    if reason is UnassignedReason.NO_COMPATIBLE_VEHICLE:
        return not any(_compatible(task, v) for v in problem.vehicles)
    if reason is UnassignedReason.MAX_RIDE_TOO_SHORT:
        return _max_ride_too_short(problem, task)
    if reason is UnassignedReason.WINDOW_UNREACHABLE:
        return not any(single_request_feasible(problem, task, v) for v in problem.vehicles)
    return True


def _compatible(task: Task, vehicle: Vehicle) -> bool:
    if not task.required_features <= vehicle.features:
        return False
    if task.vehicle_ids is not None and vehicle.id not in task.vehicle_ids:
        return False
    if task.onboard is not None and task.onboard.vehicle_id != vehicle.id:
        return False
    return all(need <= cap for need, cap in zip(task.load, vehicle.capacity, strict=True))


def _max_ride_too_short(problem: Problem, task: Task) -> bool:
    """The direct trip from pickup to dropoff is longer than the maximum ride time.

    Only for requests with a pickup stop: a request already on board has no pickup
    location to drive from, so a ride that can no longer end in time is proven as
    WINDOW_UNREACHABLE instead (its schedule includes the ride limit).
    """
    if task.max_ride_s is None or task.pickup is None:
        return False
    direct = int(problem.time_s[task.pickup.location, task.dropoff.location])
    return direct > task.max_ride_s


def _earliest_departure(vehicle: Vehicle) -> int:
    return vehicle.shift.start if vehicle.start_time is None else vehicle.start_time


def _schedule_alone(problem: Problem, task: Task, vehicle: Vehicle) -> bool:
    # Nodes: 0 = the zero of time, 1 = START departure, 2 = pickup service start,
    # 3 = dropoff service start, 4 = END arrival. An edge (i, j, w) says x_j - x_i <= w.
    zero, t0, t1, t2, t3 = range(5)
    edges: list[tuple[int, int, int]] = []

    def at_most(j: int, i: int, w: int) -> None:  # x_j - x_i <= w
        edges.append((i, j, int(w)))

    def within(node: int, lo: int, hi: int) -> None:
        at_most(node, zero, hi)
        at_most(zero, node, -lo)

    time_s = problem.time_s
    horizon = problem.horizon_s
    for node in (t0, t1, t2, t3):
        within(node, 0, horizon)
    at_most(zero, t0, -_earliest_departure(vehicle))
    drop = task.dropoff
    if task.pickup is not None:
        pick = task.pickup
        within(t1, pick.window.start, pick.window.end)
        at_most(t0, t1, -int(time_s[vehicle.start, pick.location]))
        at_most(t1, t2, -(pick.service_s + int(time_s[pick.location, drop.location])))
        if task.max_ride_s is not None:
            at_most(t2, t1, task.max_ride_s + pick.service_s)
    else:
        at_most(t0, t2, -int(time_s[vehicle.start, drop.location]))
        if task.max_ride_s is not None and task.onboard is not None:
            at_most(t2, zero, task.onboard.pickup_departed_at + task.max_ride_s)
    within(t2, drop.window.start, drop.window.end)
    to_end = drop.service_s + int(time_s[drop.location, vehicle.end])
    at_most(t3, t2, to_end)
    at_most(t2, t3, -to_end)
    at_most(t3, zero, vehicle.shift.end)
    if vehicle.max_duration_s is not None:
        at_most(t3, t0, vehicle.max_duration_s)
    return _difference_constraints_consistent(5, edges)


def _difference_constraints_consistent(n: int, edges: list[tuple[int, int, int]]) -> bool:
    """Floyd-Warshall: the system has a solution iff its graph has no negative cycle."""
    d = [[0 if i == j else math.inf for j in range(n)] for i in range(n)]
    for i, j, w in edges:
        d[i][j] = min(d[i][j], w)
    for k in range(n):
        dk = d[k]
        for i in range(n):
            dik = d[i][k]
            if dik == math.inf:
                continue
            di = d[i]
            for j in range(n):
                if dik + dk[j] < di[j]:
                    di[j] = dik + dk[j]
    return all(d[i][i] >= 0 for i in range(n))


# -- the plan checker ----------------------------------------------------------------


def check_plan(problem: Problem, plan: Plan, *, cost_tolerance: float = 1e-6) -> CheckReport:
    """Verify `plan` against `problem`; every breach becomes a `Violation`.

    Checks coverage (each request routed once or unassigned once), route structure,
    pairing and precedence, the time arithmetic against the matrix, windows and
    promises, capacity and reported loads, ride times, shifts and route durations,
    breaks, accessibility and pins, locks, reported distances/durations/costs and the
    summary, and that every unassigned reason other than NOT_SELECTED is true (a true
    but weaker reason, e.g. WINDOW_UNREACHABLE for a request no vehicle can carry, is
    accepted). Kinds and units are listed in the module docstring.

    Parameters
    ----------
    problem
        The instance the plan claims to solve.
    plan
        The plan to verify (routes with timed steps, unassigned requests, summary).
    cost_tolerance
        Relative tolerance for yen figures (route costs and the plan's cost).

    Returns
    -------
    CheckReport
        The violations (empty when the plan is feasible and reports true figures) and
        the plan's cost as recomputed by the checker.
    """
    return _Checker(problem, plan, cost_tolerance).run()


def check_promises(
    plan: Plan,
    promises: Iterable[PromiseRecord],
    history: Iterable[DoneRecord],
    *,
    ended: Iterable[str] = (),
    excused: Iterable[tuple[str, str]] = (),
    planned_elsewhere: Mapping[str, int] | None = None,
) -> CheckReport:
    """Verify a live day's plan and executed stops against its promises.

    Parameters
    ----------
    plan
        The day's remaining plan.
    promises
        The promises in force (one per booking), as the ledger recorded them.
    history
        Every stop done so far (all vehicles).
    ended
        Bookings the rider ended (cancelled, absent): their promises no longer bind.
    excused
        ``(booking id, what)`` pairs the day reported as broken promises, ``what``
        one of ``pickup_window``, ``arrival``, ``handover``, ``appointment`` or
        ``rescue`` (which excuses every breach of that booking).
    planned_elsewhere
        Planned hand-overs outside the vehicles' plan (booking id -> time): a
        drone's landing at a hall.

    Returns
    -------
    CheckReport
        Violations of kinds ``promise`` (pickup outside the promised window),
        ``arrival``, ``handover``, ``appointment`` (a home visit starting outside its
        promised window), ``coverage`` (a visit done or planned more than once) and
        ``promise_dropped``; cost 0.
    """
    gone = set(ended)
    told = {(b, w) for b, w in excused}
    picked: dict[str, int] = {}
    dropped: dict[str, int] = {}
    visited: dict[str, list[int]] = defaultdict(list)
    for d in history:
        if d.request_id is None:
            continue
        if d.kind == "pickup":
            picked.setdefault(d.request_id, d.start)
        elif d.kind == "dropoff":
            dropped[d.request_id] = d.start
        elif d.kind == "visit":
            visited[d.request_id].append(d.start)
    planned_pick: dict[str, int] = {}
    planned_drop: dict[str, int] = {}
    planned_visit: dict[str, list[int]] = defaultdict(list)
    for route in plan.routes:
        for s in route.steps:
            if s.request_id is None:
                continue
            if s.kind == StepKind.PICKUP:
                planned_pick[s.request_id] = s.service_start
            elif s.kind == StepKind.DROPOFF:
                planned_drop[s.request_id] = s.service_start
            elif s.kind == StepKind.VISIT:
                planned_visit[s.request_id].append(s.service_start)
    planned_drop.update(planned_elsewhere or {})
    out: list[Violation] = []

    def excuse(bid: str, what: str) -> bool:
        return (bid, what) in told or (bid, "rescue") in told

    for p in promises:
        bid = p.booking_id
        if bid in gone:
            continue
        lo, hi = p.window.start, p.window.end
        if p.kind == "visit":
            out.extend(_visit_promise(p, visited.get(bid, []), planned_visit.get(bid, []), told))
            continue
        if p.kind == "ride":
            done_pick = picked.get(bid)
            pick = done_pick if done_pick is not None else planned_pick.get(bid)
            when = "executed" if done_pick is not None else "planned"
            if pick is not None and not lo <= pick <= hi and not excuse(bid, "pickup_window"):
                miss = lo - pick if pick < lo else pick - hi
                out.append(
                    Violation(
                        "promise",
                        miss,
                        f"booking {bid!r}: {when} pickup at {_clock(pick)} is outside the "
                        f"promised window {_span(p.window)} by {miss} s",
                        request_id=bid,
                    )
                )
        drop = dropped.get(bid, planned_drop.get(bid))
        when = "executed" if bid in dropped else "planned"
        if drop is not None:
            if p.kind == "ride":
                kind, miss = "arrival", max(0, drop - p.latest_arrival)
                text = f"after the promised latest arrival {_clock(p.latest_arrival)}"
            else:
                kind, miss = "handover", (lo - drop if drop < lo else max(0, drop - hi))
                text = f"outside the promised slot {_span(p.window)}"
            what = "arrival" if kind == "arrival" else "handover"
            if miss and not excuse(bid, what):
                out.append(
                    Violation(
                        kind,
                        miss,
                        f"booking {bid!r}: {when} drop-off at {_clock(drop)} is {text} by {miss} s",
                        request_id=bid,
                    )
                )
            continue
        reported = any(b == bid for b, _ in told)
        if bid not in planned_pick and bid not in picked and not reported:
            out.append(
                Violation(
                    "promise_dropped",
                    1,
                    f"booking {bid!r}: promised ({p.words_en}) but neither done, planned, "
                    "ended by the rider nor reported broken",
                    request_id=bid,
                )
            )
        elif bid in picked and bid not in planned_drop and not reported:
            out.append(
                Violation(
                    "promise_dropped",
                    1,
                    f"booking {bid!r}: on board but no drop-off is planned",
                    request_id=bid,
                )
            )
    return CheckReport(tuple(out), 0.0)


def _visit_promise(
    p: PromiseRecord, done: list[int], planned: list[int], told: set[tuple[str, str]]
) -> list[Violation]:
    """A home visit's promise: one start (done, else planned) inside the appointment
    window; a visit done or planned twice is a breach of its own (the patient is seen
    once), a visit neither done, planned nor reported broken a dropped promise."""
    bid = p.booking_id
    reported = any(b == bid for b, _ in told)
    out: list[Violation] = []
    starts = [(t, "executed") for t in done] + [(t, "planned") for t in planned]
    if not starts:
        if not reported:
            out.append(
                Violation(
                    "promise_dropped",
                    1,
                    f"booking {bid!r}: promised ({p.words_en}) but neither done, planned, "
                    "ended by the patient nor reported broken",
                    request_id=bid,
                )
            )
        return out
    if len(starts) > 1:
        out.append(
            Violation(
                "coverage",
                len(starts) - 1,
                f"booking {bid!r}: the visit is "
                + ", ".join(f"{when} at {_clock(t)}" for t, when in starts)
                + "; a visit is made once",
                request_id=bid,
            )
        )
    start, when = starts[0]
    miss = _outside(start, p.window)
    if miss and (bid, "appointment") not in told and (bid, "rescue") not in told:
        out.append(
            Violation(
                "appointment",
                miss,
                f"booking {bid!r}: {when} visit at {_clock(start)} is outside the promised "
                f"appointment window {_span(p.window)} by {miss} s",
                request_id=bid,
            )
        )
    return out


@dataclass(slots=True)
class _Visit:
    route_pos: int
    vehicle_id: str
    step: int
    kind: StepKind
    service_start: int


@dataclass(slots=True)
class _LoadExtremes:
    """The worst excess over capacity and below zero per dimension, and where."""

    over: list[int] = field(default_factory=lambda: [0] * N_DIMS)
    over_at: list[int] = field(default_factory=lambda: [0] * N_DIMS)
    under: list[int] = field(default_factory=lambda: [0] * N_DIMS)
    under_at: list[int] = field(default_factory=lambda: [0] * N_DIMS)

    def see(self, step: int, load: list[int], capacity: tuple[int, ...]) -> None:
        for d in range(N_DIMS):
            if load[d] - capacity[d] > self.over[d]:
                self.over[d], self.over_at[d] = load[d] - capacity[d], step
            if -load[d] > self.under[d]:
                self.under[d], self.under_at[d] = -load[d], step


@dataclass(slots=True)
class _RouteFigures:
    vehicle: Vehicle
    used: bool = False
    distance_m: int = 0
    duration_s: int = 0
    drive_s: int = 0
    cost: float = 0.0
    stops: list[StopRef] = field(default_factory=list)


class _Checker:
    def __init__(self, problem: Problem, plan: Plan, cost_tolerance: float) -> None:
        self.problem = problem
        self.plan = plan
        self.tolerance = cost_tolerance
        self.n_locations = int(problem.time_s.shape[0])
        self.tasks = {t.id: t for t in problem.tasks}
        self.vehicles = {v.id: v for v in problem.vehicles}
        self.violations: list[Violation] = []
        self.visits: dict[str, list[_Visit]] = defaultdict(list)
        self.figures: list[_RouteFigures] = []
        self.first_route: dict[str, _RouteFigures] = {}

    def add(
        self,
        kind: str,
        amount: float,
        message: str,
        vehicle_id: str | None = None,
        request_id: str | None = None,
    ) -> None:
        self.violations.append(Violation(kind, float(amount), message, vehicle_id, request_id))

    # -- driver ----------------------------------------------------------------
    def run(self) -> CheckReport:
        seen: set[str] = set()
        for pos, route in enumerate(self.plan.routes):
            vid = route.vehicle_id
            vehicle = self.vehicles.get(vid)
            if vehicle is None:
                self.add("coverage", 1, f"route {pos} is for unknown vehicle {vid!r}", vid)
                self._record_visits_only(pos, route)
                continue
            if vid in seen:
                self.add("coverage", 1, f"vehicle {vid!r} has more than one route", vid)
            seen.add(vid)
            figures = self._check_route(pos, route, vehicle)
            self.figures.append(figures)
            self.first_route.setdefault(vid, figures)
        excess_s, ratios, served = self._check_tasks()
        self._check_locks()
        self._check_unassigned_reasons()
        cost = self._check_cost_and_summary(excess_s, ratios, served)
        return CheckReport(tuple(self.violations), cost)

    def _record_visits_only(self, pos: int, route: Route) -> None:
        for i, s in enumerate(route.steps):
            kind = _step_kind(s.kind)
            if kind in _STOP_KINDS and s.request_id is not None:
                self.visits[s.request_id].append(
                    _Visit(pos, route.vehicle_id, i, kind, s.service_start)
                )

    # -- one route -------------------------------------------------------------
    def _check_route(self, pos: int, route: Route, v: Vehicle) -> _RouteFigures:
        vid = v.id
        fig = _RouteFigures(vehicle=v)
        steps = route.steps
        if not steps:
            self.add("structure", 1, f"vehicle {vid!r}: route has no steps", vid)
            return fig
        kinds = [_step_kind(s.kind) for s in steps]
        self._check_structure(vid, steps, kinds)
        self._check_horizon(vid, steps, kinds)
        has_start = kinds[0] is StepKind.START
        has_end = kinds[-1] is StepKind.END and len(steps) > 1
        start_dep = steps[0].departure
        breaks = {b.id: b for b in v.breaks}
        taken: dict[str, int] = {}

        load = self._initial_load(vid)
        extremes = _LoadExtremes()

        prev: tuple[int, Step, int] | None = None  # (index, step, location)
        pending: list[tuple[int, Step, int]] = []  # breaks since prev: (index, step, duration)
        cum = drive = 0
        for i, s in enumerate(steps):
            kind = kinds[i]
            if kind is None:
                continue
            where = f"vehicle {vid!r} step {i} ({_describe(s, kind)})"
            if has_start and s.duration_s != s.departure - start_dep:
                self.add(
                    "duration_report",
                    abs(s.duration_s - (s.departure - start_dep)),
                    f"{where}: reports duration {s.duration_s} s, departure - START departure "
                    f"is {s.departure - start_dep} s",
                    vid,
                    s.request_id,
                )
            if kind is StepKind.BREAK:
                pending.append((i, s, self._check_break_step(vid, i, s, breaks, taken)))
                self._check_load(where, vid, s, load)
                continue

            loc, spec, task = self._resolve_stop(vid, s, kind, v, where)
            if spec is not None and task is not None:
                sign = _LOAD_SIGN.get(kind, 0)
                load = [a + sign * b for a, b in zip(load, task.load, strict=True)]
            self._check_load(where, vid, s, load)
            extremes.see(i, load, v.capacity)
            if kind in _STOP_KINDS and s.request_id is not None:
                self.visits[s.request_id].append(_Visit(pos, vid, i, kind, s.service_start))
                fig.stops.append(StopRef(s.request_id, StopKind(kind.value)))
                fig.used = True
            if loc is None:
                continue

            if prev is not None:
                p_i, p_s, p_loc = prev
                travel = int(self.problem.time_s[p_loc, loc])
                leg = int(self.problem.distance_m[p_loc, loc])
                prev_cum, cum, drive = cum, cum + leg, drive + travel
                expected = p_s.departure + travel + sum(d for _, _, d in pending)
                if s.arrival != expected:
                    self.add(
                        "schedule",
                        abs(s.arrival - expected),
                        f"{where}: arrival {_clock(s.arrival)} should be {_clock(expected)} "
                        f"(departure of step {p_i} + {travel} s travel"
                        + (f" + {sum(d for _, _, d in pending)} s of breaks)" if pending else ")"),
                        vid,
                        s.request_id,
                    )
                self._check_gap(vid, pending, (p_i, p_s), (i, s), prev_cum, cum)
            pending = []
            if s.distance_m != cum:
                self.add(
                    "distance",
                    abs(s.distance_m - cum),
                    f"{where}: reports {s.distance_m} m from the start, the matrix gives {cum} m",
                    vid,
                    s.request_id,
                )
            self._check_own_times(where, vid, s, kind, spec)
            if spec is not None and task is not None:
                self._check_windows(where, vid, s, kind, task, spec)
            prev = (i, s, loc)
        if pending and prev is not None:
            self._check_gap(vid, pending, (prev[0], prev[1]), None, cum, cum)

        self._report_capacity(vid, v, extremes)
        end_arr = steps[-1].arrival
        duration = end_arr - start_dep
        self._check_shift(vid, v, steps, has_start, has_end, duration)
        if fig.used:
            for b in v.breaks:
                if b.id not in taken:
                    self._check_break_outside(vid, v, b, start_dep, end_arr)
        fig.distance_m, fig.duration_s, fig.drive_s = cum, duration, drive
        self._check_route_figures(route, fig)
        return fig

    def _report_capacity(self, vid: str, v: Vehicle, extremes: _LoadExtremes) -> None:
        for d in range(N_DIMS):
            if extremes.over[d]:
                self.add(
                    "capacity",
                    extremes.over[d],
                    f"vehicle {vid!r}: {DIMENSIONS[d]} load exceeds capacity {v.capacity[d]} "
                    f"by {extremes.over[d]} (worst after step {extremes.over_at[d]})",
                    vid,
                )
            if extremes.under[d]:
                self.add(
                    "capacity",
                    extremes.under[d],
                    f"vehicle {vid!r}: {DIMENSIONS[d]} load falls {extremes.under[d]} below "
                    f"zero (worst after step {extremes.under_at[d]})",
                    vid,
                )

    def _check_route_figures(self, route: Route, fig: _RouteFigures) -> None:
        """The route's reported totals and cost against the recomputed ones."""
        v = fig.vehicle
        for name, reported, actual, kind in (
            ("distance_m", route.distance_m, fig.distance_m, "distance"),
            ("duration_s", route.duration_s, fig.duration_s, "duration_report"),
            ("drive_s", route.drive_s, fig.drive_s, "duration_report"),
        ):
            if reported != actual:
                self.add(
                    kind,
                    abs(reported - actual),
                    f"vehicle {v.id!r}: route reports {name} = {reported}, recomputed {actual}",
                    v.id,
                )
        if fig.used:
            fig.cost = (
                v.fixed_cost
                + v.cost_per_hour * fig.duration_s / 3600.0
                + v.cost_per_km * fig.distance_m / 1000.0
            )
        if not self._close(route.cost, fig.cost):
            self.add(
                "cost",
                abs(route.cost - fig.cost),
                f"vehicle {v.id!r}: route reports cost {route.cost:.3f}, recomputed "
                f"{fig.cost:.3f}" + ("" if fig.used else " (an unused vehicle costs nothing)"),
                v.id,
            )

    def _initial_load(self, vid: str) -> list[int]:
        load = [0] * N_DIMS
        for t in self.problem.tasks:
            if t.onboard is not None and t.onboard.vehicle_id == vid:
                load = [a + b for a, b in zip(load, t.load, strict=True)]
        return load

    def _check_structure(
        self, vid: str, steps: tuple[Step, ...], kinds: list[StepKind | None]
    ) -> None:
        last = len(steps) - 1
        if kinds[0] is not StepKind.START:
            self.add(
                "structure", 1, f"vehicle {vid!r}: route does not begin with a START step", vid
            )
        if last == 0 or kinds[last] is not StepKind.END:
            self.add("structure", 1, f"vehicle {vid!r}: route does not end with an END step", vid)
        for i, (s, kind) in enumerate(zip(steps, kinds, strict=True)):
            if kind is None:
                self.add("structure", 1, f"vehicle {vid!r} step {i}: unknown kind {s.kind!r}", vid)
                continue
            if (kind is StepKind.START and i != 0) or (kind is StepKind.END and i != last):
                self.add(
                    "structure", 1, f"vehicle {vid!r} step {i}: {kind.value} inside the route", vid
                )
            if s.request_id is not None and kind not in _STOP_KINDS:
                self.add(
                    "structure",
                    1,
                    f"vehicle {vid!r} step {i}: a {kind.value} step names request {s.request_id!r}",
                    vid,
                )
            if s.break_id is not None and kind is not StepKind.BREAK:
                self.add(
                    "structure",
                    1,
                    f"vehicle {vid!r} step {i}: a {kind.value} step names break {s.break_id!r}",
                    vid,
                )

    def _check_horizon(
        self, vid: str, steps: tuple[Step, ...], kinds: list[StepKind | None]
    ) -> None:
        horizon = self.problem.horizon_s
        for i, (s, kind) in enumerate(zip(steps, kinds, strict=True)):
            out = max(max(-t, t - horizon) for t in (s.arrival, s.service_start, s.departure))
            if out > 0:
                label = _describe(s, kind) if kind is not None else str(s.kind)
                self.add(
                    "horizon",
                    out,
                    f"vehicle {vid!r} step {i} ({label}): times ({s.arrival}, "
                    f"{s.service_start}, {s.departure}) leave the horizon 0..{horizon} by {out} s",
                    vid,
                    s.request_id,
                )

    def _resolve_stop(
        self, vid: str, s: Step, kind: StepKind, v: Vehicle, where: str
    ) -> tuple[int | None, StopSpec | None, Task | None]:
        """The true location of a non-break step, its stop spec and task (if known)."""
        if kind in (StepKind.START, StepKind.END):
            loc = v.start if kind is StepKind.START else v.end
            if s.location != loc:
                self.add(
                    "structure",
                    1,
                    f"{where}: location {s.location} is not the vehicle's "
                    f"{'start' if kind is StepKind.START else 'end'} {loc}",
                    vid,
                )
            return loc, None, None
        reported = s.location if self._valid_location(s.location) else None
        if s.request_id is None:
            self.add("structure", 1, f"{where}: {kind.value} step names no request", vid)
            return reported, None, None
        task = self.tasks.get(s.request_id)
        if task is None:
            self.add("coverage", 1, f"{where}: unknown request", vid, s.request_id)
            return reported, None, None
        spec = task.stop(StopKind(kind.value))
        if spec is None:  # the pickup of a request already on board: coverage says so
            return reported, None, task
        if s.location != spec.location:
            self.add(
                "structure",
                1,
                f"{where}: location {s.location} is not the request's {kind.value} "
                f"location {spec.location}",
                vid,
                task.id,
            )
        return spec.location, spec, task

    def _valid_location(self, loc: object) -> bool:
        try:
            return 0 <= int(loc) < self.n_locations  # type: ignore[call-overload]
        except (TypeError, ValueError):
            return False

    def _check_load(self, where: str, vid: str, s: Step, load: list[int]) -> None:
        reported = tuple(s.load)
        diff = sum(abs(a - b) for a, b in zip_longest(reported, load, fillvalue=0))
        if diff:
            self.add(
                "load_report",
                diff,
                f"{where}: reports load {reported}, recomputed {tuple(load)}",
                vid,
                s.request_id,
            )

    def _check_own_times(
        self, where: str, vid: str, s: Step, kind: StepKind, spec: StopSpec | None
    ) -> None:
        if kind in (StepKind.START, StepKind.END):
            dev = abs(s.service_start - s.arrival) + abs(s.departure - s.service_start)
            if dev:
                self.add(
                    "schedule",
                    dev,
                    f"{where}: arrival {s.arrival}, service start {s.service_start} and "
                    f"departure {s.departure} must be equal",
                    vid,
                )
            return
        if s.service_start < s.arrival:
            self.add(
                "schedule",
                s.arrival - s.service_start,
                f"{where}: service starts at {_clock(s.service_start)}, before the arrival "
                f"at {_clock(s.arrival)}",
                vid,
                s.request_id,
            )
        if spec is not None and s.departure != s.service_start + spec.service_s:
            self.add(
                "schedule",
                abs(s.departure - s.service_start - spec.service_s),
                f"{where}: departure {_clock(s.departure)} should be service start "
                f"{_clock(s.service_start)} + {spec.service_s} s of service",
                vid,
                s.request_id,
            )

    def _check_windows(
        self, where: str, vid: str, s: Step, kind: StepKind, task: Task, spec: StopSpec
    ) -> None:
        t = s.service_start
        window = spec.window
        promised = kind is StepKind.PICKUP or (kind is StepKind.VISIT and task.kind == "visit")
        if promised and task.promise is not None:
            what = "pickup" if kind is StepKind.PICKUP else "visit"
            miss = _outside(t, task.promise)
            if miss:
                self.add(
                    "promise",
                    miss,
                    f"{where}: {what} at {_clock(t)} breaks the promised window "
                    f"{_span(task.promise)} by {miss} s",
                    vid,
                    task.id,
                )
            window = self._booked_pickup_window(task, window)
        miss = _outside(t, window)
        if miss:
            self.add(
                "time_window",
                miss,
                f"{where}: service starts at {_clock(t)}, {miss} s outside the window "
                f"{_span(window)}",
                vid,
                task.id,
            )

    def _booked_pickup_window(self, task: Task, resolved: TimeWindow) -> TimeWindow:
        """The pickup (or visit appointment) window as booked, before the promise was
        intersected into it.

        The resolved window is booked ∩ promise, so checking both the booked window
        ("time_window") and the promise ("promise") is exactly checking the resolved
        one, while telling the dispatcher which of the two a pickup breaks.
        """
        requests = self.problem.requests
        if not 0 <= task.index < len(requests) or requests[task.index].id != task.id:
            return resolved
        horizon = TimeWindow(0, self.problem.horizon_s)
        field_name = "window" if task.kind == "visit" else "pickup_window"
        booked = horizon.intersect(getattr(requests[task.index], field_name, None))
        return booked if booked is not None else resolved

    # -- breaks ----------------------------------------------------------------
    def _check_break_step(
        self, vid: str, i: int, s: Step, breaks: dict[str, Break], taken: dict[str, int]
    ) -> int:
        """Checks of a break step on its own; returns the duration it occupies."""
        where = f"vehicle {vid!r} step {i} (break {s.break_id!r})"
        b = breaks.get(s.break_id) if s.break_id is not None else None
        if s.service_start < s.arrival:
            self.add(
                "schedule",
                s.arrival - s.service_start,
                f"{where}: starts at {_clock(s.service_start)}, before its arrival "
                f"{_clock(s.arrival)}",
                vid,
            )
        if b is None:
            self.add("break", 1, f"{where}: the vehicle has no such break", vid)
            return max(0, s.departure - s.service_start)
        if b.id in taken:
            self.add("break", 1, f"{where}: break already taken at step {taken[b.id]}", vid)
        else:
            taken[b.id] = i
        miss = _outside(s.service_start, b.window)
        if miss:
            self.add(
                "break",
                miss,
                f"{where}: starts at {_clock(s.service_start)}, {miss} s outside its window "
                f"{_span(b.window)}",
                vid,
            )
        if s.departure != s.service_start + b.duration_s:
            self.add(
                "break",
                abs(s.departure - s.service_start - b.duration_s),
                f"{where}: ends at {_clock(s.departure)}, should be start + {b.duration_s} s",
                vid,
            )
        return b.duration_s

    def _check_gap(
        self,
        vid: str,
        pending: list[tuple[int, Step, int]],
        prev: tuple[int, Step],
        nxt: tuple[int, Step] | None,
        prev_cum: int,
        cum: int,
    ) -> None:
        """Breaks taken between two stops lie in the gap and do not overlap."""
        p_i, p_s = prev
        for bi, bs, dur in pending:
            where = f"vehicle {vid!r} step {bi} (break {bs.break_id!r})"
            if bs.service_start < p_s.departure:
                self.add(
                    "break",
                    p_s.departure - bs.service_start,
                    f"{where}: starts at {_clock(bs.service_start)}, before the departure of "
                    f"step {p_i} at {_clock(p_s.departure)}",
                    vid,
                )
            if nxt is not None and bs.service_start + dur > nxt[1].service_start:
                self.add(
                    "break",
                    bs.service_start + dur - nxt[1].service_start,
                    f"{where}: ends at {_clock(bs.service_start + dur)}, after step {nxt[0]} "
                    f"starts service at {_clock(nxt[1].service_start)}",
                    vid,
                )
            # A break may be taken anywhere along the leg: any cumulative distance
            # between the two stops' is a true report.
            off = max(prev_cum - bs.distance_m, bs.distance_m - cum, 0)
            if off:
                self.add(
                    "distance",
                    off,
                    f"{where}: reports {bs.distance_m} m from the start, outside the leg "
                    f"{prev_cum}..{cum} m",
                    vid,
                )
        ordered = sorted(pending, key=lambda item: item[1].service_start)
        for (ai, a_s, a_dur), (bi, b_s, _) in pairwise(ordered):
            overlap = a_s.service_start + a_dur - b_s.service_start
            if overlap > 0:
                self.add(
                    "break",
                    overlap,
                    f"vehicle {vid!r}: breaks at steps {ai} and {bi} overlap by {overlap} s",
                    vid,
                )

    def _check_break_outside(
        self, vid: str, v: Vehicle, b: Break, start_dep: int, end_arr: int
    ) -> None:
        """A break that is not a step must fit before the START or after the END."""
        lo = max(b.window.start, v.shift.start)
        before = max(0, lo + b.duration_s - start_dep) + max(0, lo - b.window.end)
        after_start = max(b.window.start, end_arr)
        after = max(0, after_start - b.window.end) + max(
            0, after_start + b.duration_s - v.shift.end
        )
        miss = min(before, after)
        if miss:
            self.add(
                "break",
                miss,
                f"vehicle {vid!r}: break {b.id!r} (start in {_span(b.window)}, "
                f"{b.duration_s} s) is not in the route and fits neither before the start "
                f"at {_clock(start_dep)} nor after the end at {_clock(end_arr)} "
                f"(misses by {miss} s)",
                vid,
            )

    def _check_shift(
        self,
        vid: str,
        v: Vehicle,
        steps: tuple[Step, ...],
        has_start: bool,
        has_end: bool,
        duration: int,
    ) -> None:
        if has_start:
            earliest = _earliest_departure(v)
            dep = steps[0].departure
            if dep < earliest:
                self.add(
                    "shift",
                    earliest - dep,
                    f"vehicle {vid!r}: leaves at {_clock(dep)}, before its earliest departure "
                    f"{_clock(earliest)}",
                    vid,
                )
        if has_end:
            arr = steps[-1].arrival
            if arr > v.shift.end:
                self.add(
                    "shift",
                    arr - v.shift.end,
                    f"vehicle {vid!r}: returns at {_clock(arr)}, after its shift ends at "
                    f"{_clock(v.shift.end)}",
                    vid,
                )
        limit = v.max_duration_s
        if has_start and has_end and limit is not None and duration > limit:
            self.add(
                "max_duration",
                duration - limit,
                f"vehicle {vid!r}: route lasts {duration} s, more than its maximum {limit} s",
                vid,
            )

    # -- across routes ---------------------------------------------------------
    def _check_tasks(self) -> tuple[int, list[float], int]:
        """Coverage, pairing, precedence, accessibility and ride times of every task.

        Returns the total excess ride seconds of served rides, their ride ratios and
        the number of requests served (routed and not reported unassigned).
        """
        unassigned = Counter(u.request_id for u in self.plan.unassigned)
        for rid, n in unassigned.items():
            if rid not in self.tasks:
                self.add(
                    "coverage", n, f"unassigned entry names unknown request {rid!r}", None, rid
                )
        excess_total, ratios, served = 0, [], 0
        for task in self.problem.tasks:
            rid = task.id
            visits = self.visits.get(rid, [])
            picks = [x for x in visits if x.kind is StepKind.PICKUP]
            drops = [x for x in visits if x.kind is StepKind.DROPOFF]
            homes = [x for x in visits if x.kind is StepKind.VISIT]
            n_un = unassigned.get(rid, 0)
            if n_un > 1:
                self.add(
                    "coverage", n_un - 1, f"request {rid!r} is unassigned {n_un} times", None, rid
                )
            if n_un and visits:
                self.add("coverage", 1, f"request {rid!r} is both routed and unassigned", None, rid)
            if not n_un and not visits:
                self.add(
                    "coverage", 1, f"request {rid!r} is neither routed nor unassigned", None, rid
                )
            elif not n_un and task.kind == "visit":
                dev = len(picks) + len(drops) + abs(len(homes) - 1)
                if dev:
                    self.add(
                        "coverage",
                        dev,
                        f"visit {rid!r} is served {len(homes)} time(s)"
                        + (
                            f" and has {len(picks)} pickup(s) and {len(drops)} dropoff(s)"
                            if picks or drops
                            else ""
                        )
                        + ", expected exactly one visit",
                        None,
                        rid,
                    )
            elif not n_un:
                want_picks = 0 if task.onboard is not None else 1
                dev = abs(len(picks) - want_picks) + abs(len(drops) - 1) + len(homes)
                if dev:
                    self.add(
                        "coverage",
                        dev,
                        f"request {rid!r} has {len(picks)} pickup(s) and {len(drops)} dropoff(s), "
                        f"expected {want_picks} and 1"
                        + (" (already on board)" if task.onboard is not None else "")
                        + (f", and {len(homes)} visit step(s), expected none" if homes else ""),
                        None,
                        rid,
                    )
            if not visits:
                continue
            if not n_un:
                served += 1
            self._check_access(task, visits)
            if task.onboard is not None:
                onboard_vid = task.onboard.vehicle_id
                wrong = sorted({x.vehicle_id for x in visits if x.vehicle_id != onboard_vid})
                if wrong:
                    self.add(
                        "pairing",
                        1,
                        f"request {rid!r} is on board {onboard_vid!r} but routed on {wrong}",
                        wrong[0],
                        rid,
                    )
            elif len({x.route_pos for x in visits}) > 1:
                where = sorted({x.vehicle_id for x in visits})
                self.add(
                    "pairing", 1, f"request {rid!r} is split across vehicles {where}", None, rid
                )
            pick, drop = (picks[0] if picks else None), (drops[0] if drops else None)
            if pick and drop and pick.route_pos == drop.route_pos and drop.step < pick.step:
                self.add(
                    "precedence",
                    1,
                    f"vehicle {pick.vehicle_id!r}: dropoff of {rid!r} (step {drop.step}) "
                    f"precedes its pickup (step {pick.step})",
                    pick.vehicle_id,
                    rid,
                )
            ride = self._ride_time(task, picks, drops)
            if ride is None:
                continue
            if task.max_ride_s is not None and ride > task.max_ride_s:
                self.add(
                    "max_ride",
                    ride - task.max_ride_s,
                    f"vehicle {drops[0].vehicle_id!r}: request {rid!r} rides {ride} s, more than "
                    f"its maximum {task.max_ride_s} s",
                    drops[0].vehicle_id,
                    rid,
                )
            if not n_un and task.kind == "ride":
                excess_total += max(0, ride - task.direct_s)
                if task.direct_s > 0:
                    ratios.append(ride / task.direct_s)
        return excess_total, ratios, served

    def _ride_time(self, task: Task, picks: list[_Visit], drops: list[_Visit]) -> int | None:
        """Dropoff service start minus pickup departure, when the task is well paired."""
        if len(drops) != 1:
            return None
        drop = drops[0]
        if task.onboard is not None:
            if picks or drop.vehicle_id != task.onboard.vehicle_id:
                return None
            return drop.service_start - task.onboard.pickup_departed_at
        if len(picks) != 1 or task.pickup is None:
            return None
        pick = picks[0]
        if pick.route_pos != drop.route_pos or drop.step < pick.step:
            return None
        return drop.service_start - (pick.service_start + task.pickup.service_s)

    def _check_access(self, task: Task, visits: list[_Visit]) -> None:
        for vid in dict.fromkeys(x.vehicle_id for x in visits):
            v = self.vehicles.get(vid)
            if v is None:
                continue
            missing = sorted(task.required_features - v.features)
            if missing:
                self.add(
                    "accessibility",
                    1,
                    f"vehicle {vid!r} lacks {missing} required by request {task.id!r}",
                    vid,
                    task.id,
                )
            if task.vehicle_ids is not None and vid not in task.vehicle_ids:
                self.add(
                    "accessibility",
                    1,
                    f"request {task.id!r} is pinned to {sorted(task.vehicle_ids)}, not {vid!r}",
                    vid,
                    task.id,
                )

    def _check_locks(self) -> None:
        locked = self.problem.locked
        for vid, refs in locked.items():
            refs = tuple(refs)
            if not refs:
                continue
            fig = self.first_route.get(vid)
            stops = fig.stops if fig is not None else []
            wrong = sum(1 for j, ref in enumerate(refs) if j >= len(stops) or stops[j] != ref)
            if wrong:
                self.add(
                    "lock",
                    wrong,
                    f"vehicle {vid!r} must begin with {_refs(refs)}, begins with "
                    f"{_refs(stops[: len(refs)])} ({wrong} position(s) differ)",
                    vid,
                )
        for vid in sorted(self.problem.closed_vehicles):
            n_locked = len(tuple(locked.get(vid, ())))
            fig = self.first_route.get(vid)
            beyond = fig.stops[n_locked:] if fig is not None else []
            if beyond:
                self.add(
                    "lock",
                    len(beyond),
                    f"vehicle {vid!r} is closed but serves {len(beyond)} stop(s) beyond its "
                    f"{n_locked} locked one(s): {_refs(beyond)}",
                    vid,
                )

    def _check_unassigned_reasons(self) -> None:
        for u in self.plan.unassigned:
            task = self.tasks.get(u.request_id)
            if task is None:
                continue
            try:
                reason = UnassignedReason(u.reason)
            except ValueError:
                self.add(
                    "unassigned_reason",
                    1,
                    f"request {task.id!r}: unknown reason {u.reason!r}",
                    None,
                    task.id,
                )
                continue
            if reason is UnassignedReason.NOT_SELECTED:
                continue
            if not _reason_holds(self.problem, task, reason):
                provable = prove_unassigned_reason(self.problem, task)
                self.add(
                    "unassigned_reason",
                    1,
                    f"request {task.id!r}: claimed reason {reason.value!r} is false; "
                    + (
                        "it is feasible alone"
                        if provable is None
                        else f"provable reason is {provable.value!r}"
                    ),
                    None,
                    task.id,
                )

    def _check_cost_and_summary(self, excess_s: int, ratios: list[float], served: int) -> float:
        w = self.problem.weights
        unassigned_ids = dict.fromkeys(u.request_id for u in self.plan.unassigned)
        penalty = sum(
            w.unassigned_penalty * self.tasks[rid].priority
            for rid in unassigned_ids
            if rid in self.tasks
        )
        used = [f for f in self.figures if f.used]
        cost = sum(f.cost for f in used) + penalty + w.excess_ride_per_hour * excess_s / 3600.0
        summary = self.plan.summary
        if not self._close(summary.cost, cost):
            self.add(
                "cost",
                abs(summary.cost - cost),
                f"summary reports cost {summary.cost:.3f}, recomputed {cost:.3f}",
            )
        for name, reported, actual, kind in (
            ("served", summary.served, served, "summary"),
            ("unassigned", summary.unassigned, len(self.plan.unassigned), "summary"),
            ("vehicles_used", summary.vehicles_used, len(used), "summary"),
            ("excess_ride_s", summary.excess_ride_s, excess_s, "summary"),
            ("distance_m", summary.distance_m, sum(f.distance_m for f in used), "distance"),
            ("duration_s", summary.duration_s, sum(f.duration_s for f in used), "duration_report"),
            ("drive_s", summary.drive_s, sum(f.drive_s for f in used), "duration_report"),
        ):
            if reported != actual:
                self.add(
                    kind,
                    abs(reported - actual),
                    f"summary reports {name} = {reported}, recomputed {actual}",
                )
        mean = sum(ratios) / len(ratios) if ratios else None
        top = max(ratios) if ratios else None
        for name, reported, actual in (
            ("mean_ride_ratio", summary.mean_ride_ratio, mean),
            ("max_ride_ratio", summary.max_ride_ratio, top),
        ):
            message = f"summary reports {name} = {reported}, recomputed {actual}"
            if reported is None or actual is None:
                if (reported is None) != (actual is None):
                    self.add("summary", 1, message)
            elif abs(reported - actual) > _RATIO_TOLERANCE * max(1.0, abs(actual)):
                self.add("summary", abs(reported - actual), message)
        return cost

    def _close(self, reported: float, actual: float) -> bool:
        return abs(reported - actual) <= self.tolerance * max(1.0, abs(actual))


# -- small helpers -------------------------------------------------------------------


def _step_kind(kind: object) -> StepKind | None:
    try:
        return StepKind(kind)
    except ValueError:
        return None


def _outside(t: int, window: TimeWindow) -> int:
    """Seconds by which `t` misses the inclusive `window` (0 inside)."""
    if t < window.start:
        return window.start - t
    if t > window.end:
        return t - window.end
    return 0


def _clock(t: int) -> str:
    """Seconds and the wall clock they stand for, e.g. ``30600 (08:30:00)``."""
    sign, a = ("-" if t < 0 else ""), abs(int(t))
    return f"{t} ({sign}{a // 3600:02d}:{a % 3600 // 60:02d}:{a % 60:02d})"


def _span(window: TimeWindow) -> str:
    return f"[{_clock(window.start)}, {_clock(window.end)}]"


def _describe(s: Step, kind: StepKind | None) -> str:
    if kind is None:
        return str(s.kind)
    if kind is StepKind.BREAK:
        return f"break {s.break_id!r}"
    if kind in _STOP_KINDS:
        return f"{kind.value} {s.request_id!r}"
    return kind.value


def _refs(refs: Iterable[StopRef]) -> str:
    return "[" + ", ".join(f"{r.kind.value} {r.request_id!r}" for r in refs) + "]"


def _fmt_amount(amount: float) -> str:
    return str(int(amount)) if float(amount).is_integer() else f"{amount:.3f}"
