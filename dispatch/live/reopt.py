"""Re-optimisation of a live day: the one runner, used by the service and the simulation.

`make_job` snapshots the day (the live problem with executed stops removed, under-way
stops locked, riders on board as ``onboard``, and the current plan as the warm start).
`solve_job` runs the engine on it in this process (`dispatch.solver.solve`, the native
search by default, never worse than the warm start); `solve_in_worker` does the same in
a spawned process with a hard deadline, so a service worker keeps answering quotes
meanwhile. `offer` takes the candidate back to the day as it is *then*: bookings taken
since the snapshot are re-inserted, stops done since are dropped, and the candidate is
accepted only if it passes the checker and the promise ledger, serves every booking the
plan serves and costs less; otherwise `discard` records why.
"""

from __future__ import annotations

import logging
import multiprocessing
from dataclasses import dataclass, replace
from multiprocessing.connection import Connection

from dispatch.audit import AuditEvent, diff
from dispatch.check import check_plan
from dispatch.errors import SolverError
from dispatch.events import ROUTED, BookingStatus
from dispatch.insertion import WorkingRoute, find_insertion, route_view, to_plan
from dispatch.live.checking import check_with_promises
from dispatch.live.routes import (
    broken_detail,
    live_plan,
    live_problem,
    open_broken,
    ordered,
    place_breaks,
    route_of,
    timetable,
)
from dispatch.live.state import DayState
from dispatch.model import Problem
from dispatch.result import (
    REQUEST_STEPS,
    Plan,
    Route,
    StepKind,
    Unassigned,
    UnassignedReason,
)
from dispatch.schedule import Node, break_nodes, node_for, pickup_node, schedule
from dispatch.solver import SearchConfig, solve
from dispatch.stop import MaxRuntime, StopCriterion

logger = logging.getLogger(__name__)

#: Extra seconds a worker gets beyond its time limit before it is killed.
OVERRUN_S = 20.0


@dataclass(frozen=True, slots=True)
class ReoptJob:
    """A snapshot to re-optimise: the live problem, the plan then, and the state version."""

    version: int
    at: int
    problem: Problem
    initial: Plan


@dataclass(frozen=True, slots=True)
class ReoptOutcome:
    """What became of a candidate plan: accepted, or discarded and why."""

    accepted: bool
    reason: str
    cost_before: float
    cost_after: float | None = None
    moved: int = 0
    reinserted: int = 0
    audit_seq: int | None = None


def solve_job(
    job: ReoptJob,
    stop: StopCriterion,
    *,
    seed: int = 0,
    config: SearchConfig | None = None,
) -> Plan:
    """The engine's plan for `job`, warm-started from the plan then (never worse).

    The day times a break where the vehicle served, or off the route before the first
    stop or after the last when it fits there (`dispatch.schedule`): the native engine
    is asked for such plans, which the day can take as they are (`offer` puts a break
    the candidate's route leaves out back where it fits, before the start or after the
    end).
    """
    config = replace(config or SearchConfig(), breaks_on_legs=False)
    return solve(job.problem, stop, seed=seed, initial=job.initial, config=config)


def _worker(
    conn: Connection, job: ReoptJob, time_limit_s: float, seed: int, config: SearchConfig | None
) -> None:
    """Body of the worker process: solve, send ("ok", plan) or ("error", text) back."""
    try:
        conn.send(("ok", solve_job(job, MaxRuntime(time_limit_s), seed=seed, config=config)))
    except SolverError as exc:
        conn.send(("error", str(exc)))
    finally:
        conn.close()


def solve_in_worker(
    job: ReoptJob,
    time_limit_s: float,
    *,
    seed: int = 0,
    config: SearchConfig | None = None,
    overrun_s: float = OVERRUN_S,
) -> Plan | str:
    """`solve_job` in a spawned process: the candidate, or why there is none."""
    ctx = multiprocessing.get_context("spawn")
    ours, theirs = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_worker, args=(theirs, job, time_limit_s, seed, config), daemon=True)
    proc.start()
    theirs.close()
    try:
        if not ours.poll(time_limit_s + overrun_s):
            logger.warning("re-optimisation overran %.0f s; killed", time_limit_s + overrun_s)
            return "the solver overran its time limit"
        try:
            status, payload = ours.recv()
        except EOFError:
            return "the solver process died without an answer"
        return payload if status == "ok" else f"solver failed: {payload}"
    finally:
        ours.close()
        if proc.is_alive():
            proc.terminate()
        proc.join(5)


def _ref(node: Node) -> tuple[str, StepKind]:
    assert node.task is not None
    return node.task.id, node.kind


def make_job(s: DayState) -> ReoptJob:
    """A snapshot of the day to re-optimise (in this process or a worker)."""
    return ReoptJob(s.version, s.now, live_problem(s), live_plan(s))


def discard(s: DayState, job: ReoptJob, reason: str) -> ReoptOutcome:
    """Record that a re-optimisation result was not used, and why."""
    entry = s.audit.record(s.now, AuditEvent.REOPT_DISCARDED, f"{reason} (snapshot v{job.version})")
    return ReoptOutcome(False, reason, live_plan(s).summary.cost, audit_seq=entry.seq)


def offer(s: DayState, job: ReoptJob, candidate: Plan) -> ReoptOutcome:
    """Adopt a re-optimised plan if it is valid now, keeps every promise, serves
    every booking the plan serves and costs less; otherwise discard it.

    Bookings taken since the snapshot are re-inserted into the candidate; stops
    done since are dropped from it; locks and closed routes must agree.
    """
    report = check_plan(job.problem, candidate)
    if not report.ok():
        return discard(s, job, f"candidate fails the checker: {report.violations[0]}")
    served_then = {rid for r in job.initial.routes for rid in r.request_ids}
    served_cand = {rid for r in candidate.routes for rid in r.request_ids}
    if not served_then <= served_cand:
        lost = sorted(served_then - served_cand)
        return discard(s, job, f"candidate drops bookings {lost[:5]}")
    trial = _reconcile(s, candidate)
    if isinstance(trial, str):
        return discard(s, job, trial)
    new_routes, reinserted = trial
    problem = live_problem(s)
    live = dict(ordered(s))
    routed_new = {n.task.id for wr in new_routes.values() for n in wr.nodes if n.task}
    restored = [b.id for b in s.bookings.values() if open_broken(s, b, live) and b.id in routed_new]
    ids = {t.id for t in problem.tasks}
    unassigned = sorted(
        (
            Unassigned(bid, UnassignedReason.NOT_SELECTED, broken_detail(s, bid))
            for bid in ids - routed_new
        ),
        key=lambda u: u.request_id,
    )
    in_order = [new_routes[vid] for vid in live]
    new_plan = to_plan(
        problem, in_order, unassigned, {"solver": "reopt", "engine": candidate.stats.get("engine")}
    )
    report = check_with_promises(s, problem, new_plan)
    if not report.ok():
        return discard(s, job, f"reconciled plan fails the checker: {report.violations[0]}")
    before_cost = live_plan(s).summary.cost
    after_cost = new_plan.summary.cost
    if after_cost >= before_cost - 1e-6:
        return discard(s, job, f"not better: cost {after_cost:.0f} >= {before_cost:.0f}")
    before = timetable(s)
    s.routes = {vid: new_routes[vid] for vid in live}
    s.views.clear()
    for bid in restored:
        s.bookings[bid].status = BookingStatus.CONFIRMED
        s.audit.record(
            s.now,
            AuditEvent.PROMISE_RESTORED,
            "re-optimisation found room within the promise again",
            booking_id=bid,
            vehicle_id=route_of(s, bid),
        )
    s.touch()
    changes = diff(before, timetable(s))
    moved = sum(1 for c in changes if c.before_vehicle != c.after_vehicle)
    entry = s.audit.record(
        s.now,
        AuditEvent.REOPTIMISED,
        f"re-optimised (snapshot v{job.version}): cost {before_cost:.0f} -> {after_cost:.0f}, "
        f"{moved} booking(s) moved, {reinserted} re-inserted",
        changes=changes,
    )
    return ReoptOutcome(True, "accepted", before_cost, after_cost, moved, reinserted, entry.seq)


def _reconcile(s: DayState, candidate: Plan) -> tuple[dict[str, WorkingRoute], int] | str:
    """The candidate's sequences applied to the state now, or why they cannot be."""
    routed_now = {
        b.id for b in s.bookings.values() if b.status in ROUTED and b.id not in s.air.orders
    }
    live = dict(ordered(s))
    reopen = {b.id for b in s.bookings.values() if open_broken(s, b, live)}
    cand = {r.vehicle_id: r for r in candidate.routes}
    seqs: dict[str, list[Node]] = {}
    breaks_at: dict[str, list[tuple[int, str]]] = {}
    where: dict[str, set[str]] = {}
    count: dict[str, int] = {}
    for vid, wr in live.items():
        seq: list[Node] = []
        brk: list[tuple[int, str]] = []
        r = cand.get(vid)
        untaken = {b.id for b in wr.vehicle.breaks}
        for step in r.steps if r is not None else ():
            if step.kind is StepKind.BREAK and step.break_id in untaken:
                brk.append((len(seq), step.break_id))
                continue
            bid = step.request_id
            if step.kind not in REQUEST_STEPS or bid is None:
                continue
            if bid not in routed_now and bid not in reopen:
                continue  # done, cancelled or expired since the snapshot
            task = s.tasks[bid]
            if step.kind is StepKind.PICKUP:
                if task.pickup is None:
                    continue  # picked up since the snapshot
                seq.append(pickup_node(task))
            else:
                seq.append(node_for(task, step.kind))
            where.setdefault(bid, set()).add(vid)
            count[bid] = count.get(bid, 0) + 1
        locked = [_ref(n) for n in wr.nodes[: wr.locked] if not n.is_break]
        if r is not None and seq:
            brk += _off_route(wr, r, untaken - {b for _, b in brk}, len(seq), bool(locked))
        if [_ref(n) for n in seq[: len(locked)]] != locked:
            return f"vehicle {vid}: candidate does not begin with its locked stops"
        if wr.closed and [_ref(n) for n in seq] != [_ref(n) for n in wr.nodes if not n.is_break]:
            return f"vehicle {vid}: its route is locked by the dispatcher"
        seqs[vid] = seq
        breaks_at[vid] = brk
    for bid, vids in where.items():
        task = s.tasks[bid]
        want = 1 if task.pickup is None else 2
        if len(vids) != 1 or count[bid] != want:
            return f"booking {bid}: candidate splits it across vehicles or lost a stop"
        if task.onboard is not None and vids != {task.onboard.vehicle_id}:
            return f"booking {bid}: on board {task.onboard.vehicle_id}, not on {sorted(vids)}"
    missing = [bid for bid in routed_now if bid not in where]
    if any(s.tasks[bid].onboard is not None for bid in missing):
        return "candidate leaves a rider on board undelivered"
    new_routes: dict[str, WorkingRoute] = {}
    for vid, wr in live.items():
        n_locked = sum(1 for n in wr.nodes[: wr.locked] if not n.is_break)
        nodes = _with_breaks(s, wr, seqs[vid], breaks_at[vid], n_locked)
        if nodes is None:
            return f"vehicle {vid}: candidate sequence is infeasible now"
        real = [k for k, n in enumerate(nodes) if not n.is_break]
        locked = real[n_locked - 1] + 1 if n_locked else 0
        new = WorkingRoute(wr.vehicle, nodes, locked, wr.closed, wr.initial_load)
        new.sched = schedule(s.base, wr.vehicle, nodes)
        new_routes[vid] = new
    missing.sort(key=lambda bid: (s.tasks[bid].pickup or s.tasks[bid].dropoff).window.start)
    routes = list(new_routes.values())
    views = [route_view(s.base, r) for r in routes] if missing else []
    for bid in missing:
        ins = find_insertion(s.base, routes, views, s.tasks[bid])
        if ins is None:
            return f"booking {bid} taken since the snapshot does not fit the candidate"
        r = routes[ins.vehicle_index]
        r.nodes, r.sched = list(ins.nodes), ins.sched
        views[ins.vehicle_index] = route_view(s.base, r)
    return new_routes, len(missing)


def _off_route(
    wr: WorkingRoute, route: Route, absent: set[str], n_stops: int, locked: bool
) -> list[tuple[int, str]]:
    """Where the candidate took the breaks its route leaves out (`absent`), as positions
    in its stops kept: before its start when they fit there (nothing locked ahead of
    them), else after its end when they fit there, as `dispatch.check` has them; a break
    that fits neither is left to `place_breaks`."""
    vehicle = wr.vehicle
    departure, end = route.steps[0].departure, route.steps[-1].arrival
    out = []
    for b in vehicle.breaks:
        if b.id not in absent:
            continue
        lo = max(b.window.start, vehicle.earliest_departure)
        if not locked and lo <= b.window.end and lo + b.duration_s <= departure:
            out.append((0, b.id))
        elif max(b.window.start, end) <= b.window.end:
            out.append((n_stops, b.id))
    return out


def _with_breaks(
    s: DayState, wr: WorkingRoute, seq: list[Node], breaks_at: list[tuple[int, str]], n_locked: int
) -> list[Node] | None:
    """`seq` with the vehicle's untaken breaks (where the candidate had them if that
    is feasible, else placed after the `n_locked` leading stops), or None."""
    vehicle = wr.vehicle
    by_id = {n.break_id: n for n in break_nodes(vehicle)}
    nodes = list(seq)
    for pos, brk_id in sorted(breaks_at, reverse=True):
        nodes.insert(pos, by_id[brk_id])
    if schedule(s.base, vehicle, nodes) is None:
        nodes = list(seq)
    real = [k for k, n in enumerate(nodes) if not n.is_break]
    first = real[n_locked - 1] + 1 if n_locked else 0
    present = {n.break_id for n in nodes if n.is_break}
    missing = [n for b, n in by_id.items() if b not in present]
    placed = place_breaks(s.base, vehicle, nodes, missing, first)
    if placed is None or schedule(s.base, vehicle, placed) is None:
        return None
    return placed
