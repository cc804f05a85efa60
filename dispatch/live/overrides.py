"""Dispatcher overrides of a live day (配車担当の手動変更): pin, move, lock a route.

An override is applied only if the plan it leads to passes the independent checker
and keeps the promise ledger; otherwise nothing changes and the result lists the
checker's violations, so the dispatcher reads exactly what the override would break
(a promise, a window, a ride time, a seat).
When a move has no feasible schedule, its stops are timed as early as possible with
every upper bound ignored, which is what the checker then measures.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from dispatch.audit import AuditEvent, diff
from dispatch.errors import InputError, SolverError
from dispatch.events import Booking, BookingStatus, OverrideResult
from dispatch.insertion import WorkingRoute, find_insertion, route_view, timed_route
from dispatch.live.checking import check_day, check_with_promises
from dispatch.live.routes import (
    apply,
    booking,
    broken_detail,
    live_problem,
    ordered,
    refresh,
    remove,
    renode,
    route_for,
    route_of,
    set_request,
    timetable,
)
from dispatch.live.state import DayState
from dispatch.model import Problem, Request, Task, Vehicle
from dispatch.quote import resolve_task
from dispatch.result import (
    Plan,
    Route,
    Unassigned,
    UnassignedReason,
    build_plan,
)
from dispatch.schedule import Node, Schedule, dropoff_node, pickup_node, schedule, visit_node


def pin(s: DayState, booking_id: str, vehicle_id: str) -> OverrideResult:
    """Pin a booking to a vehicle (moving it there if needed); refused if that breaks
    anything."""
    b = _movable(s, booking_id)
    route_for(s, vehicle_id)
    request = replace(b.request, vehicle_ids=frozenset({vehicle_id}))
    return _override_move(s, booking_id, vehicle_id, request, None, AuditEvent.OVERRIDE_PIN)


def move(
    s: DayState,
    booking_id: str,
    vehicle_id: str,
    *,
    pickup_pos: int | None = None,
    dropoff_pos: int | None = None,
) -> OverrideResult:
    """Move a booking to a vehicle, at given positions or the best feasible ones.

    Positions count the target's remaining stops (0 = before its first stop);
    the pickup goes before stop ``pickup_pos``, the dropoff before stop
    ``dropoff_pos`` of the same list (``dropoff_pos >= pickup_pos``); a home visit,
    which has one stop, goes before stop ``pickup_pos`` (``dropoff_pos`` None or the
    same). If the move breaks a constraint, nothing changes and the checker's
    violations say what.
    """
    b = _movable(s, booking_id)
    route_for(s, vehicle_id)
    if b.request.kind == "visit":
        if dropoff_pos is not None and dropoff_pos != pickup_pos:
            raise InputError("move: a visit has one stop; give its position as pickup_pos")
        dropoff_pos = None
    elif (pickup_pos is None) != (dropoff_pos is None):
        raise InputError("move: give both pickup_pos and dropoff_pos, or neither")
    at = None if pickup_pos is None else (pickup_pos, dropoff_pos)
    return _override_move(s, booking_id, vehicle_id, b.request, at, AuditEvent.OVERRIDE_MOVE)


def lock_route(s: DayState, vehicle_id: str) -> OverrideResult:
    """Lock a vehicle's route as it stands: no new stops, re-optimisation keeps it."""
    wr = route_for(s, vehicle_id)
    st = s.vehicles[vehicle_id]
    st.pinned_stops = sum(1 for n in wr.nodes if not n.is_break)
    st.closed = True
    refresh(s, vehicle_id)
    s.touch()
    report = check_day(s)
    entry = s.audit.record(
        s.now,
        AuditEvent.OVERRIDE_LOCK,
        f"route of {vehicle_id} locked ({st.pinned_stops} stops)",
        vehicle_id=vehicle_id,
    )
    return OverrideResult(True, "locked", tuple(str(v) for v in report.violations), entry.seq)


def unlock_route(s: DayState, vehicle_id: str) -> OverrideResult:
    """Undo `lock_route`: the route takes new stops and may be re-optimised again."""
    route_for(s, vehicle_id)
    st = s.vehicles[vehicle_id]
    st.pinned_stops = 0
    st.closed = False
    refresh(s, vehicle_id)
    s.touch()
    entry = s.audit.record(
        s.now,
        AuditEvent.OVERRIDE_UNLOCK,
        f"route of {vehicle_id} unlocked",
        vehicle_id=vehicle_id,
    )
    return OverrideResult(True, "unlocked", (), entry.seq)


# -- internals ----------------------------------------------------------------
def _movable(s: DayState, bid: str) -> Booking:
    b = booking(s, bid)
    if b.status is BookingStatus.PICKED_UP:
        raise InputError(f"booking {bid!r} is on board; it cannot be moved")
    if b.status not in (BookingStatus.HELD, BookingStatus.CONFIRMED):
        raise InputError(f"booking {bid!r} is {b.status.value}; only booked rides move")
    src = route_of(s, bid)
    if src is not None:
        wr = s.routes[src]
        if any(n.task is not None and n.task.id == bid for n in wr.nodes[: wr.locked]):
            raise InputError(f"booking {bid!r} is under way or locked on {src!r}")
    return b


def _override_move(
    s: DayState,
    bid: str,
    vid: str,
    request: Request,
    at: tuple[int, int | None] | None,
    event: AuditEvent,
) -> OverrideResult:
    task = resolve_task(s.base, request)
    src = route_of(s, bid)
    target = s.routes[vid]
    base_nodes = [n for n in target.nodes if n.task is None or n.task.id != bid]
    trial = WorkingRoute(
        target.vehicle, base_nodes, target.locked, target.closed, target.initial_load
    )
    trial.sched = schedule(s.base, target.vehicle, base_nodes)
    nodes: list[Node] | None = None
    sched = None
    if at is None:
        if trial.sched is not None and not target.closed:
            ins = find_insertion(s.base, [trial], [route_view(s.base, trial)], task)
            if ins is not None:
                nodes, sched = list(ins.nodes), ins.sched
        if nodes is None:
            nodes = _chronological(trial, task)
    else:
        nodes = _at_positions(trial, task, at)
        sched = schedule(s.base, target.vehicle, nodes)
    # the candidate as a whole, checked independently
    routes: dict[str, tuple[Vehicle, list[Node], Any]] = {}
    for v_id, wr in ordered(s):
        routes[v_id] = (wr.vehicle, wr.nodes, wr.sched)
    if src is not None and src != vid:
        src_wr = s.routes[src]
        src_nodes = [n for n in src_wr.nodes if n.task is None or n.task.id != bid]
        routes[src] = (
            src_wr.vehicle,
            src_nodes,
            schedule(s.base, src_wr.vehicle, src_nodes),
        )
    routes[vid] = (target.vehicle, nodes, sched)
    problem = live_problem(s)
    problem = problem.with_changes(
        requests=tuple(request if r.id == bid else r for r in problem.requests)
    )
    plan = _timed_plan(s, problem, routes)
    report = check_with_promises(s, problem, plan)
    what = f"{bid} to {vid}" + (f" at {at}" if at else "")
    if sched is None or not report.ok():
        texts = tuple(str(v) for v in report.violations) or ("the route has no feasible schedule",)
        entry = s.audit.record(
            s.now,
            AuditEvent.OVERRIDE_REFUSED,
            f"refused {event.value} of {what}: " + "; ".join(texts[:3]),
            booking_id=bid,
            vehicle_id=vid,
        )
        return OverrideResult(
            False, f"refused: {what} would break {len(texts)} rule(s)", texts, entry.seq
        )
    before = timetable(s)
    remove(s, bid)
    set_request(s, bid, request)
    apply(s, vid, [renode(n, s.tasks[bid]) for n in nodes], sched)
    for v_id in {vid, src} - {None}:
        assert v_id is not None
        if not refresh(s, v_id):  # pragma: no cover - checked above
            raise SolverError(f"override left {v_id!r} infeasible")
    entry = s.audit.record(
        s.now,
        event,
        f"dispatcher: {event.value} {what}",
        booking_id=bid,
        vehicle_id=vid,
        changes=diff(before, timetable(s)),
    )
    s.touch()
    return OverrideResult(True, f"applied: {what}", (), entry.seq)


def _chronological(route: WorkingRoute, task: Task) -> list[Node]:
    """The task placed by time among the route's stops (to show what it breaks)."""
    nodes = list(route.nodes)
    starts = list(route.sched.starts) if route.sched is not None else [n.earliest for n in nodes]
    if task.is_visit:
        v_t = task.dropoff.window.start
        k = next((k for k in range(route.locked, len(nodes)) if starts[k] > v_t), len(nodes))
        return [*nodes[: max(k, route.locked)], visit_node(task), *nodes[max(k, route.locked) :]]
    assert task.pickup is not None
    p_t = task.pickup.window.start
    d_t = max(task.dropoff.window.start, p_t + task.direct_s)
    i = next((k for k in range(route.locked, len(nodes)) if starts[k] > p_t), len(nodes))
    j = next((k for k in range(i, len(nodes)) if starts[k] > d_t), len(nodes))
    i = max(i, route.locked)
    out = list(nodes)
    out.insert(j, dropoff_node(task))
    out.insert(i, pickup_node(task))
    return out


def _at_positions(route: WorkingRoute, task: Task, at: tuple[int, int | None]) -> list[Node]:
    p_pos, d_pos = at
    real = [k for k, n in enumerate(route.nodes) if not n.is_break]
    n_real = len(real)
    n_locked = sum(1 for k in real if k < route.locked)
    if task.is_visit:
        if not n_locked <= p_pos <= n_real:
            raise InputError(f"move: need {n_locked} <= pickup_pos (the visit) <= {n_real}")
        at_k = real[p_pos] if p_pos < n_real else len(route.nodes)
        return [*route.nodes[:at_k], visit_node(task), *route.nodes[at_k:]]
    if d_pos is None or not (n_locked <= p_pos <= d_pos <= n_real):
        raise InputError(
            f"move: need {n_locked} <= pickup_pos <= dropoff_pos <= {n_real}, got {p_pos}, {d_pos}"
        )

    def index(pos: int) -> int:
        return real[pos] if pos < n_real else len(route.nodes)

    i, j = index(p_pos), index(d_pos)
    out = list(route.nodes)
    out.insert(j, dropoff_node(task))
    out.insert(i, pickup_node(task))
    return out


def _timed_plan(
    s: DayState, problem: Problem, routes: Mapping[str, tuple[Vehicle, list[Node], Any]]
) -> Plan:
    """A plan of `routes`; a route without a schedule gets its earliest times
    ignoring every upper bound, so the checker can say what it breaks."""
    T = s.base.time_s
    built: list[Route] = []
    routed: set[str] = set()
    for vehicle, nodes, sched in routes.values():
        if not any(not n.is_break for n in nodes):
            continue
        if sched is None:
            t0 = vehicle.earliest_departure
            starts, prev, last, service = [], t0, vehicle.start, 0
            for n in nodes:
                gap = service + (0 if n.is_break else int(T[last, n.location]))
                prev = max(n.earliest, prev + gap)
                starts.append(prev)
                service = n.service_s
                if not n.is_break:
                    last = n.location
            last_real = max(k for k, n in enumerate(nodes) if not n.is_break)
            ln = nodes[last_real]
            home = starts[last_real] + ln.service_s + int(T[ln.location, vehicle.end])
            sched = Schedule(t0, tuple(starts), home, tuple(starts))
        built.append(timed_route(problem, vehicle, nodes, sched))
        routed |= {n.task.id for n in nodes if n.task is not None}
    unassigned = [
        Unassigned(t.id, UnassignedReason.NOT_SELECTED, broken_detail(s, t.id))
        for t in problem.tasks
        if t.id not in routed
    ]
    return build_plan(problem, built, unassigned)
