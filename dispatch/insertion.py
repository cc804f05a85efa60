"""Cheapest feasible insertion: quotes while the caller waits, and warm starts.

Each vehicle's route is a list of `Node`s. To insert a request we price every pair of
positions (pickup before dropoff) with numpy from detour distance and travel time,
drop the pairs that break a capacity or cannot reach the pickup in time, and then
check the cheapest remaining ones exactly with `schedule` (windows, ride times of
everyone on board, breaks, shift, route duration) until one is feasible.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from dispatch.model import Problem, StopKind, Task, Vehicle
from dispatch.result import (
    Plan,
    Route,
    StepKind,
    Unassigned,
    UnassignedReason,
    Visit,
    build_plan,
    build_route,
)
from dispatch.schedule import (
    Node,
    Schedule,
    break_nodes,
    dropoff_node,
    loads_fit,
    pickup_node,
    schedule,
)
from dispatch.screening import compatible, screen

#: How many of the cheapest position pairs per vehicle get an exact schedule check.
#: Detour cost ranks candidates poorly when windows and ride limits are tight (DARP):
#: with 12 a construction left 16 of 36 Cordeau a3-36 requests out, with 400 one.
EXACT_CHECKS_PER_VEHICLE = 400


@dataclass(slots=True)
class WorkingRoute:
    """A vehicle's mutable sequence during construction or quoting."""

    vehicle: Vehicle
    nodes: list[Node]
    locked: int = 0  # leading nodes that must not move (done, under way, pinned)
    closed: bool = False
    initial_load: tuple[int, ...] = (0, 0, 0)
    sched: Schedule | None = field(default=None)

    @property
    def used(self) -> bool:
        return any(not n.is_break for n in self.nodes)

    def locations(self) -> list[int]:
        """Location before each position 0..n (the previous real stop or the start)."""
        out = [self.vehicle.start]
        last = self.vehicle.start
        for node in self.nodes:
            if not node.is_break:
                last = node.location
            out.append(last)
        return out


@dataclass(frozen=True, slots=True)
class Insertion:
    vehicle_index: int
    pickup_pos: int | None
    dropoff_pos: int
    nodes: tuple[Node, ...]
    sched: Schedule
    cost_delta: float


def _route_cost(problem: Problem, route: WorkingRoute, nodes: list[Node], sched: Schedule) -> float:
    """Operating cost + excess ride cost of one route under `sched` (yen)."""
    v = route.vehicle
    dist = 0
    last = v.start
    for node in nodes:
        if not node.is_break:
            dist += int(problem.distance_m[last, node.location])
            last = node.location
    dist += int(problem.distance_m[last, v.end])
    used = any(not n.is_break for n in nodes)
    if not used:
        return 0.0
    cost = (
        v.fixed_cost
        + v.cost_per_hour * (sched.end_arrival - sched.departure) / 3600
        + v.cost_per_km * dist / 1000
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


def _candidate_pairs(
    problem: Problem, route: WorkingRoute, task: Task
) -> list[tuple[float, int | None, int]]:
    """(approximate cost, pickup position, dropoff position), cheapest first."""
    v = route.vehicle
    locs = np.asarray(route.locations(), dtype=np.int64)  # before position i
    n = len(route.nodes)
    nxt_locs = np.empty(n + 1, dtype=np.int64)  # the real stop after position i (or end)
    following = v.end
    for i in range(n, -1, -1):
        nxt_locs[i] = following
        if i > 0 and not route.nodes[i - 1].is_break:
            following = route.nodes[i - 1].location
    rate_d = v.cost_per_km / 1000.0
    rate_t = v.cost_per_hour / 3600.0
    T, D = problem.time_s, problem.distance_m
    d_loc = task.dropoff.location

    def detour(loc: int) -> np.ndarray:
        return (D[locs, loc] + D[loc, nxt_locs] - D[locs, nxt_locs]) * rate_d + (
            T[locs, loc] + T[loc, nxt_locs] - T[locs, nxt_locs]
        ) * rate_t

    first = route.locked
    fixed = v.fixed_cost if not route.used else 0.0
    if task.pickup is None:  # onboard: only a dropoff to place
        cost = detour(d_loc)
        return sorted((float(cost[j]) + fixed, None, j) for j in range(first, n + 1))
    p_loc = task.pickup.location
    cp = detour(p_loc)
    cd = detour(d_loc)
    # adjacent insertion: prev -> p -> d -> next
    adj = (D[locs, p_loc] + D[p_loc, d_loc] + D[d_loc, nxt_locs] - D[locs, nxt_locs]) * rate_d + (
        T[locs, p_loc] + T[p_loc, d_loc] + T[d_loc, nxt_locs] - T[locs, nxt_locs]
    ) * rate_t
    # capacity: the load between pickup and dropoff must leave room for this task
    load = np.zeros((n + 1, len(task.load)), dtype=np.int64)
    cur = np.asarray(route.initial_load, dtype=np.int64)
    load[0] = cur
    for k, node in enumerate(route.nodes):
        if node.task is not None:
            sign = 1 if node.kind is StepKind.PICKUP else -1
            cur = cur + sign * np.asarray(node.task.load)
        load[k + 1] = cur
    room = np.all(load + np.asarray(task.load) <= np.asarray(v.capacity), axis=1)  # after pos i-1
    # earliest arrival at the pickup from the current schedule
    pairs: list[tuple[float, int | None, int]] = []
    starts = route.sched.earliest if route.sched is not None else ()
    dep_before = [v.earliest_departure]
    for k, node in enumerate(route.nodes):
        dep_before.append(starts[k] + node.service_s if starts else 0)
    latest_p = task.pickup.window.end
    latest_d = task.dropoff.window.end
    for i in range(first, n + 1):
        if not room[i]:
            continue
        if starts and dep_before[i] + int(T[locs[i], p_loc]) > latest_p:
            break  # later positions only get later
        total = fixed + float(adj[i])
        pairs.append((total, i, i))
        for j in range(i + 1, n + 1):
            if not room[j]:
                break  # the rider would be on board through a full stretch
            if starts and dep_before[j] + int(T[locs[j], d_loc]) > latest_d:
                break  # the dropoff window has closed by then
            pairs.append((fixed + float(cp[i]) + float(cd[j]), i, j))
    pairs.sort()
    return pairs


def _insert(route: WorkingRoute, task: Task, i: int | None, j: int) -> list[Node]:
    nodes = list(route.nodes)
    drop = dropoff_node(task)
    if i is None:
        nodes.insert(j, drop)
    else:
        nodes.insert(j, drop)
        nodes.insert(i, pickup_node(task))
    return nodes


def best_insertion(
    problem: Problem,
    routes: list[WorkingRoute],
    task: Task,
    *,
    exact_checks: int = EXACT_CHECKS_PER_VEHICLE,
) -> Insertion | None:
    """The cheapest feasible insertion of `task` over all vehicles and positions."""
    best: Insertion | None = None
    for vi, route in enumerate(routes):
        if route.closed or not compatible(route.vehicle, task):
            continue
        base = _route_cost(problem, route, route.nodes, route.sched) if route.sched else 0.0
        tried = 0
        for approx, i, j in _candidate_pairs(problem, route, task):
            if best is not None and approx >= best.cost_delta + 1e-9 and tried > 0:
                break
            if tried >= exact_checks:
                break
            nodes = _insert(route, task, i, j)
            if not loads_fit(route.vehicle, route.initial_load, nodes):
                continue
            tried += 1
            sched = schedule(problem, route.vehicle, nodes)
            if sched is None:
                continue
            delta = _route_cost(problem, route, nodes, sched) - base
            if best is None or delta < best.cost_delta:
                best = Insertion(vi, i, j, tuple(nodes), sched, delta)
    return best


def apply(routes: list[WorkingRoute], ins: Insertion) -> None:
    route = routes[ins.vehicle_index]
    route.nodes = list(ins.nodes)
    route.sched = ins.sched


def empty_routes(problem: Problem) -> list[WorkingRoute]:
    """One working route per vehicle: its breaks, its locked stops, its initial load."""
    routes = []
    for v in problem.vehicles:
        locked_nodes: list[Node] = []
        for ref in problem.locked.get(v.id, ()):
            task = problem.task(ref.request_id)
            locked_nodes.append(
                pickup_node(task) if ref.kind is StopKind.PICKUP else dropoff_node(task)
            )
        nodes = locked_nodes + break_nodes(v)
        route = WorkingRoute(
            v,
            nodes,
            locked=len(locked_nodes),
            closed=v.id in problem.closed_vehicles,
            initial_load=problem.initial_load(v.id),
        )
        route.sched = schedule(problem, v, nodes)
        routes.append(route)
    return routes


def to_plan(
    problem: Problem, routes: list[WorkingRoute], unassigned: list[Unassigned], stats: dict
) -> Plan:
    """A `Plan` of the working routes (used ones only), times from their schedules."""
    built: list[Route] = []
    for route in routes:
        if not route.used:
            continue
        sched = route.sched or schedule(problem, route.vehicle, route.nodes)
        assert sched is not None, "working routes are always kept feasible"
        visits = [
            Visit(node.kind, start, node.task, node.break_id)
            for node, start in zip(route.nodes, sched.starts, strict=True)
        ]
        visits = _drop_breaks_after_route(problem, route.vehicle, visits)
        built.append(build_route(problem, route.vehicle, sched.departure, visits))
    return build_plan(problem, built, unassigned, stats)


def construct(
    problem: Problem,
    *,
    seed: int = 0,
    order: str = "window",
    tasks: Iterable[Task] | None = None,
    exact_checks: int = EXACT_CHECKS_PER_VEHICLE,
    deadline: float | None = None,
) -> tuple[list[WorkingRoute], list[Unassigned]]:
    """Sequential cheapest insertion. ``order``: "window" (earliest pickup first) or
    "random" (seeded). Locked stops are placed first; onboard riders next.

    ``deadline`` (a `time.monotonic` value) keeps a caller's time limit: once it has
    passed, the remaining unlocked requests are left unassigned (not selected).
    """
    rng = random.Random(seed)
    screened = screen(problem)
    routes = empty_routes(problem)
    locked_ids = {ref.request_id for refs in problem.locked.values() for ref in refs}
    pending = [t for t in (tasks or problem.tasks) if t.id not in screened]
    # a locked pickup's dropoff must follow on the same vehicle: insert those first
    first = [t for t in pending if t.id in locked_ids or t.onboard is not None]
    rest = [t for t in pending if t not in first]
    if order == "random":
        rng.shuffle(rest)
    else:
        rest.sort(
            key=lambda t: (t.pickup.window.end if t.pickup else t.dropoff.window.end, -t.priority)
        )
    unassigned = [Unassigned(tid, reason, detail) for tid, (reason, detail) in screened.items()]
    for task in first + rest:
        if task.id in locked_ids:
            ins = _complete_locked(problem, routes, task)
        elif task.onboard is None and deadline is not None and time.monotonic() > deadline:
            ins = None
        else:
            ins = best_insertion(problem, routes, task, exact_checks=exact_checks)
        if ins is None:
            unassigned.append(Unassigned(task.id, UnassignedReason.NOT_SELECTED))
        else:
            apply(routes, ins)
    return routes, unassigned


def _complete_locked(problem: Problem, routes: list[WorkingRoute], task: Task) -> Insertion | None:
    """Place the unlocked half of a request whose other half is locked on a vehicle."""
    for vi, route in enumerate(routes):
        kinds = {
            n.kind
            for n in route.nodes[: route.locked]
            if n.task is not None and n.task.id == task.id
        }
        if not kinds:
            continue
        if StepKind.DROPOFF in kinds:
            return (
                Insertion(vi, None, 0, tuple(route.nodes), route.sched, 0.0)
                if route.sched
                else None
            )
        best = None
        for j in range(route.locked, len(route.nodes) + 1):
            nodes = list(route.nodes)
            nodes.insert(j, dropoff_node(task))
            if not loads_fit(route.vehicle, route.initial_load, nodes):
                continue
            sched = schedule(problem, route.vehicle, nodes)
            if sched is not None:
                cost = _route_cost(problem, route, nodes, sched)
                if best is None or cost < best.cost_delta:
                    best = Insertion(vi, None, j, tuple(nodes), sched, cost)
        return best
    return None


def _drop_breaks_after_route(
    problem: Problem, vehicle: Vehicle, visits: list[Visit]
) -> list[Visit]:
    """Trailing breaks that start after the drive home are taken off duty, not in the route."""
    last_real = max((k for k, v in enumerate(visits) if v.kind is not StepKind.BREAK), default=-1)
    if last_real < 0:
        return visits
    last = visits[last_real]
    task = last.task
    assert task is not None
    spec = task.pickup if last.kind is StepKind.PICKUP else task.dropoff
    assert spec is not None
    home = last.start + spec.service_s + int(problem.time_s[spec.location, vehicle.end])
    return visits[: last_real + 1] + [v for v in visits[last_real + 1 :] if v.start < home]
