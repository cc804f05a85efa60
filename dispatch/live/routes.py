"""The day's routes, kept feasible by one refresh, and the live problem they solve.

`refresh` is the one place where a route is brought up to date: the vehicle as it
stands now (where, from when, which breaks are left, how long it may still work),
its locked prefix (the stop under way, a dispatcher's pins), its breaks, its load
and its schedule. It answers False when the route can no longer be timed; the
caller then repairs it (`dispatch.live.repair`).

`live_problem` is today's remaining work as a `Problem` (executed stops gone, each
vehicle starting where it is, riders on board ``onboard``, the stop under way
locked, every promise intersected into its window); `live_plan` is its plan.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from dispatch.audit import Timetable
from dispatch.errors import InputError
from dispatch.events import ROUTED, Booking, BookingStatus
from dispatch.insertion import (
    Insertion,
    RouteView,
    WorkingRoute,
    find_insertion,
    off_route_positions,
    route_view,
    to_plan,
    view_key,
    with_departure,
)
from dispatch.live.state import DayState
from dispatch.model import Break, Problem, Request, StopKind, StopRef, Task, TimeWindow, Vehicle
from dispatch.quote import resolve_task
from dispatch.result import Plan, StepKind, Unassigned, UnassignedReason
from dispatch.schedule import Node, break_nodes, node_for, schedule


def stop_kind(node: Node) -> StopKind:
    return StopKind(node.kind.value)


def ordered(s: DayState) -> list[tuple[str, WorkingRoute]]:
    """Routes of the vehicles in service, in fleet order."""
    return [(vid, s.routes[vid]) for vid in s.fleet if vid in s.routes]


def route_for(s: DayState, vehicle_id: str) -> WorkingRoute:
    """The route of a vehicle in service (InputError otherwise)."""
    if vehicle_id not in s.fleet:
        raise InputError(f"vehicle id {vehicle_id!r} is unknown")
    wr = s.routes.get(vehicle_id)
    if wr is None:
        raise InputError(f"vehicle {vehicle_id!r} is not in service now")
    return wr


def booking(s: DayState, booking_id: str) -> Booking:
    """The booking with this id (InputError if unknown)."""
    b = s.bookings.get(booking_id)
    if b is None:
        raise InputError(f"booking id {booking_id!r} is unknown")
    return b


def route_of(s: DayState, booking_id: str) -> str | None:
    """The vehicle whose route serves the booking now, or None."""
    for vid, wr in s.routes.items():
        if any(n.task is not None and n.task.id == booking_id for n in wr.nodes):
            return vid
    return None


def view(s: DayState, vid: str) -> RouteView:
    """The route's arrays for quoting, cached until the route changes.

    A refresh (every clock advance) drops the cache, though most routes come out as
    they were: the last view built for the vehicle is reused when its `view_key` is
    unchanged (same problem), with the new earliest departure.
    """
    v = s.views.get(vid)
    if v is None:
        wr = s.routes[vid]
        key = view_key(wr)
        memo = s.view_memo.get(vid)
        if memo is not None and memo[0] is s.base and memo[1] == key:
            v = with_departure(memo[2], wr.vehicle.earliest_departure)
        else:
            v = route_view(s.base, wr)
        s.view_memo[vid] = (s.base, key, v)
        s.views[vid] = v
    return v


def check_location(s: DayState, obj: str, name: str, loc: object) -> None:
    if isinstance(loc, bool) or not isinstance(loc, int | np.integer):
        raise InputError(f"{obj}: {name} must be a location index, got {loc!r}")
    if not 0 <= loc < s.n_locations:
        raise InputError(
            f"{obj}: {name} location {loc} is not in the matrix (0..{s.n_locations - 1})"
        )


def live_vehicle(s: DayState, vid: str, has_stops: bool) -> Vehicle | None:
    """The vehicle as it stands now: where it starts, when, with the breaks left."""
    v = s.fleet[vid]
    st = s.vehicles[vid]
    if not st.in_service:
        return None
    shift_end = st.shift_end if st.shift_end is not None else v.shift.end
    start = v.start
    start_time: int | None
    if st.free_at is None:
        start_time = s.now if s.now > v.shift.start else None
    else:
        start = st.position
        start_time = st.free_at if st.en_route else max(st.free_at, s.now)
        start_time = max(start_time, v.shift.start)
    if start_time is not None and start_time > shift_end:
        if not has_stops:
            return None  # past its shift: out of today's plan
        shift_end = start_time  # infeasible: the caller repairs (overtime)
    breaks = tuple(
        _from_now(b, s.now)
        for b in v.breaks
        if b.id not in st.breaks_taken and (start_time is None or b.window.end >= start_time)
    )
    max_duration = v.max_duration_s
    if st.ignore_max_duration:
        max_duration = None
    elif max_duration is not None and st.departed_at is not None:
        limit = st.departed_at + max_duration
        if all(b.window.end + b.duration_s <= limit for b in breaks) and limit >= (
            start_time or v.shift.start
        ):
            shift_end, max_duration = min(shift_end, limit), None
        else:
            max_duration = max(1, limit - (start_time or v.shift.start))
    return replace(
        v,
        start=start,
        start_time=start_time,
        shift=TimeWindow(v.shift.start, shift_end),
        breaks=breaks,
        max_duration_s=max_duration,
    )


def _from_now(b: Break, now: int) -> Break:
    """A break not taken by `now` starts no earlier than `now` (while its window lasts):
    the live problem may not take it in the past, before the vehicle's start."""
    if b.window.start < now <= b.window.end:
        return replace(b, window=TimeWindow(now, b.window.end))
    return b


def refresh(s: DayState, vid: str) -> bool:
    """Rebuild a route's live vehicle, locks, breaks, load and schedule; False if infeasible."""
    wr = s.routes[vid]
    st = s.vehicles[vid]
    has_stops = any(not n.is_break for n in wr.nodes)
    live = live_vehicle(s, vid, has_stops)
    s.views.pop(vid, None)
    if live is None:
        del s.routes[vid]
        return True
    keep = {b.id for b in live.breaks}
    nodes = [n for n in wr.nodes if not n.is_break or n.break_id in keep]
    if not has_stops:
        st.en_route = False
    real = [k for k, n in enumerate(nodes) if not n.is_break]
    n_locked = min(len(real), max(st.pinned_stops, 1 if st.en_route else 0))
    locked = real[n_locked - 1] + 1 if n_locked else 0
    present = {n.break_id for n in nodes if n.is_break}
    missing = [n for n in break_nodes(live) if n.break_id not in present]
    if missing:  # a fresh route, or a break whose window is reachable again
        placed = place_breaks(s.base, live, nodes, missing, locked)
        nodes = placed if placed is not None else nodes + missing
    load = [0] * len(live.capacity)
    for n in nodes:
        if n.task is not None and n.task.onboard is not None:
            load = [a + b for a, b in zip(load, n.task.load, strict=True)]
    new = WorkingRoute(live, nodes, locked, st.closed, tuple(load))
    new.sched = schedule(s.base, live, nodes)
    s.routes[vid] = new
    return new.sched is not None


def place_breaks(
    base: Problem, vehicle: Vehicle, nodes: list[Node], missing: list[Node], first: int
) -> list[Node] | None:
    """`nodes` with each missing break at the feasible position (from `first` on)
    closest to its latest start, or None if one fits nowhere."""
    nodes = list(nodes)
    for node in sorted(missing, key=lambda n: n.earliest):
        sched = schedule(base, vehicle, nodes)
        if sched is None:
            return None
        times = [*sched.starts, sched.end_arrival]
        order = sorted(range(first, len(nodes) + 1), key=lambda k: abs(times[k] - node.latest))
        for k in order:
            trial = [*nodes[:k], node, *nodes[k:]]
            if schedule(base, vehicle, trial) is not None:
                nodes = trial
                break
        else:
            return None
    return nodes


def renode(node: Node, task: Task) -> Node:
    """`node` rebuilt for the task's new request (the same stop)."""
    if node.task is None or node.task.id != task.id:
        return node
    if node.kind is StepKind.PICKUP and task.pickup is None:
        return node  # just done: the caller drops it
    return node_for(task, node.kind)


def set_request(s: DayState, bid: str, request: Request) -> Task:
    """Change a booking's request, its task and the nodes that carry it."""
    s.bookings[bid].request = request
    task = resolve_task(s.base, request)
    s.tasks[bid] = task
    for vid, wr in s.routes.items():
        if any(n.task is not None and n.task.id == bid for n in wr.nodes):
            wr.nodes = [renode(n, task) for n in wr.nodes]
            s.views.pop(vid, None)
    return task


def timetable(s: DayState, vids: Iterable[str] | None = None) -> Timetable:
    """Where each booking sits now: (vehicle, pickup start, dropoff start); a visit's
    start counts as its dropoff."""
    out: Timetable = {}
    for vid in s.routes if vids is None else vids:
        wr = s.routes.get(vid)
        if wr is None or wr.sched is None:
            continue
        for node, start in zip(wr.nodes, wr.sched.starts, strict=True):
            if node.task is None:
                continue
            _, p, d = out.get(node.task.id, (vid, None, None))
            out[node.task.id] = (vid, start, d) if node.kind is StepKind.PICKUP else (vid, p, start)
    return out


def find(
    s: DayState, task: Task, vids: Iterable[str] | None = None
) -> tuple[str, Insertion] | None:
    """The cheapest feasible insertion of `task` into the open routes (of `vids`)."""
    ids = [vid for vid, wr in ordered(s) if (vids is None or vid in vids) and wr.sched is not None]
    cfg = s.config.quote
    ins = find_insertion(
        s.base,
        [s.routes[v] for v in ids],
        [view(s, v) for v in ids],
        task,
        per_vehicle=cfg.exact_checks_per_vehicle,
        max_checks=cfg.max_exact_checks,
    )
    return None if ins is None else (ids[ins.vehicle_index], ins)


def apply(s: DayState, vid: str, nodes: Sequence[Node], sched: Any) -> None:
    wr = s.routes[vid]
    wr.nodes = list(nodes)
    wr.sched = sched
    s.views.pop(vid, None)


def remove(s: DayState, bid: str) -> str | None:
    """Take a booking's stops out of its route (not re-scheduled); its vehicle or None."""
    vid = route_of(s, bid)
    if vid is None:
        return None
    wr = s.routes[vid]
    st = s.vehicles[vid]
    real = [n for n in wr.nodes if not n.is_break]
    hit = [k for k, n in enumerate(real) if n.task is not None and n.task.id == bid]
    if st.en_route and hit and hit[0] == 0:
        st.en_route = False  # diverted: it waits where it last was
    st.pinned_stops -= sum(1 for k in hit if k < st.pinned_stops)
    wr.nodes = [n for n in wr.nodes if n.task is None or n.task.id != bid]
    s.views.pop(vid, None)
    return vid


# -- the live problem and its plan ------------------------------------------------------


def broken_detail(s: DayState, bid: str) -> str:
    for bp in reversed(s.broken):
        if bp.booking_id == bid:
            return f"promise broken ({bp.what.value}): {bp.cause}"
    return "promise broken"


def open_broken(s: DayState, b: Booking, live: Mapping[str, WorkingRoute]) -> bool:
    """A broken booking that a later plan could still serve within its promise."""
    if b.status is not BookingStatus.PROMISE_BROKEN:
        return False
    task = s.tasks.get(b.id)
    if task is None:
        return False
    first = task.dropoff if task.is_visit else task.pickup  # a visit: its one stop
    if first is None or first.window.end < s.now:
        return False
    pins = b.request.vehicle_ids
    return pins is None or bool(pins & set(live))


def _pins_within(request: Request, live: Mapping[str, WorkingRoute]) -> Request:
    pins = request.vehicle_ids
    if pins is None or pins <= set(live):
        return request
    return replace(request, vehicle_ids=(pins & set(live)) or None)


def live_problem(s: DayState) -> Problem:
    """Today's remaining work as a `Problem` (see the module docstring)."""
    if s.problem_cache is not None and s.problem_cache[0] == s.version:
        return s.problem_cache[1]
    live = dict(ordered(s))
    requests = [
        _pins_within(b.request, live)
        for b in s.bookings.values()
        if (b.status in ROUTED or open_broken(s, b, live)) and b.id not in s.air.orders
    ]
    locked = {}
    for vid, wr in live.items():
        refs = tuple(
            StopRef(n.task.id, stop_kind(n))  # type: ignore[union-attr]
            for n in wr.nodes[: wr.locked]
            if not n.is_break
        )
        if refs:
            locked[vid] = refs
    problem = s.base.with_changes(
        requests=tuple(requests),
        vehicles=tuple(wr.vehicle for wr in live.values()),
        locked=locked,
        closed_vehicles=frozenset(vid for vid, wr in live.items() if wr.closed),
    )
    s.problem_cache = (s.version, problem)
    return problem


def unassigned_of(s: DayState, problem: Problem, routed: set[str]) -> list[Unassigned]:
    """The live problem's requests outside `routed`: broken promises, with their cause."""
    return sorted(
        (
            Unassigned(t.id, UnassignedReason.NOT_SELECTED, broken_detail(s, t.id))
            for t in problem.tasks
            if t.id not in routed
        ),
        key=lambda u: u.request_id,
    )


@dataclass(frozen=True, slots=True)
class OffRouteBreak:
    """A driver's break taken before the route's departure or after its arrival at the
    end: the plan's route leaves it out (its cost does not run then), the run sheet
    shows it."""

    break_id: str
    start: int
    duration_s: int
    location: int  # the vehicle's start (before) or end (after)
    before: bool


def breaks_off_route(s: DayState, vehicle_id: str) -> tuple[OffRouteBreak, ...]:
    """The breaks of `vehicle_id`'s route taken off it, in the order taken (none when
    the route serves nothing: there is no departure or end to take them around)."""
    wr = s.routes.get(vehicle_id)
    if wr is None or not wr.used:
        return ()
    sched = wr.sched or schedule(live_problem(s), wr.vehicle, wr.nodes)
    assert sched is not None, "working routes are always kept feasible"
    first = next(k for k, node in enumerate(wr.nodes) if not node.is_break)
    out = []
    for k in off_route_positions(wr.nodes, sched):
        node, before = wr.nodes[k], k < first
        assert node.break_id is not None
        where = wr.vehicle.start if before else wr.vehicle.end
        out.append(OffRouteBreak(node.break_id, sched.starts[k], node.service_s, where, before))
    return tuple(out)


def live_plan(s: DayState) -> Plan:
    """The plan of the live problem: remaining stops per vehicle, broken promises unassigned."""
    if s.plan_cache is not None and s.plan_cache[0] == s.version:
        return s.plan_cache[1]
    problem = live_problem(s)
    routed = {n.task.id for wr in s.routes.values() for n in wr.nodes if n.task}
    plan = to_plan(
        problem,
        [wr for _, wr in ordered(s)],
        unassigned_of(s, problem, routed),
        {"solver": "live", "engine": "live", "version": s.version, "at": s.now},
    )
    s.plan_cache = (s.version, plan)
    return plan
