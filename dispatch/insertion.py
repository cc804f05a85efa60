"""Cheapest feasible insertion: the one insertion engine of quotes, repairs and construction.

Each vehicle's route is a list of `Node`s with its `RouteView` (locations, earliest
departures, latest service starts, loads; rebuilt whenever the route changes).
`find_insertion` screens every position pair of every open, compatible vehicle with
necessary conditions (capacity, reaching the pickup and the dropoff in time, not
pushing the next stop past its latest start, the ride limit), prices the survivors
from their detour in distance and time, and checks the cheapest exactly with
`dispatch.schedule.schedule` (windows, promises, ride times of everyone on board,
breaks, shift, route duration). A visit (one stop, any compatible vehicle) is placed
at a single position, screened the same way. `schedule_cost` is the objective of one
route (the plan's cost in `dispatch.result`, route by route), so insertion deltas are
exact.
Quotes check a dozen candidates per vehicle to answer while the caller waits;
`construct` (sequential cheapest insertion, the OR-Tools fallback and warm start)
checks hundreds.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from dispatch.model import Problem, Task, Vehicle
from dispatch.result import (
    Plan,
    Route,
    StepKind,
    Unassigned,
    UnassignedReason,
    Visit,
    build_plan,
    build_route,
    route_cost,
)
from dispatch.schedule import (
    Node,
    Schedule,
    break_nodes,
    last_node,
    loads_fit,
    node_for,
    pickup_node,
    schedule,
)
from dispatch.screening import compatible, fits_alone, screen

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
    """Where `find_insertion` puts a task: the pickup before node ``pickup_pos`` (None:
    no pickup to place) and the dropoff, or the visit, before node ``dropoff_pos`` of
    the route as it was; ``nodes`` is the route after it."""

    vehicle_index: int
    pickup_pos: int | None
    dropoff_pos: int
    nodes: tuple[Node, ...]
    sched: Schedule
    cost_delta: float


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
    pickups: frozenset[str] = frozenset()  # ids of the tasks picked up on this route


def schedule_cost(
    problem: Problem, vehicle: Vehicle, nodes: Sequence[Node], sched: Schedule
) -> float:
    """Operating cost + excess ride cost of one route under `sched` (yen): the objective
    of `dispatch.result` (`result.route_cost` + the excess ride weight), route by route."""
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
    cost = route_cost(vehicle, sched.end_arrival - sched.departure, dist)
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
        cost=schedule_cost(problem, v, nodes, sched),
        used=route.used,
        pickups=frozenset(
            n.task.id for n in nodes if n.task is not None and n.kind is StepKind.PICKUP
        ),
    )


def view_key(route: WorkingRoute) -> tuple:
    """Everything of `route` that `route_view` reads except the vehicle's earliest
    departure (``dep[0]``): over one problem, routes with equal keys have the same view
    up to ``dep[0]`` (`with_departure`). Keep it in step with `route_view`."""
    v = route.vehicle
    return (
        v.start,
        v.end,
        v.shift.end,
        v.fixed_cost,
        v.cost_per_hour,
        v.cost_per_km,
        tuple(route.nodes),
        route.sched,
        route.initial_load,
    )


def with_departure(view: RouteView, departure: int) -> RouteView:
    """`view` of the same route leaving no earlier than `departure` (its schedule
    unchanged): only ``dep[0]`` differs; the other arrays are shared, never written."""
    if int(view.dep[0]) == departure:
        return view
    dep = view.dep.copy()
    dep[0] = departure
    return RouteView(
        view.locs,
        view.nxt,
        view.travel_next,
        dep,
        view.latest,
        view.load,
        view.cost,
        view.used,
        view.pickups,
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


def _pairs_all(
    problem: Problem,
    eligible: Sequence[tuple[int, WorkingRoute, RouteView]],
    task: Task,
) -> list[tuple[float, float, int, int, int]]:
    """`_pairs` of every (vehicle index, route, view) in `eligible`, in that order: the
    same candidates, computed with one set of array operations over all routes
    (concatenated) instead of one per route, which at city scale (dozens of routes of
    a few dozen stops) is what a quote spends most of its time on."""
    if not eligible:
        return []
    dims = {len(view.load[0]) for _, _, view in eligible} | {
        len(route.vehicle.capacity) for _, route, _ in eligible
    }
    if len(dims) > 1 or len(eligible) == 1:
        return [c for vi, route, view in eligible for c in _pairs(problem, vi, route, view, task)]
    p, d = task.pickup, task.dropoff
    assert p is not None
    T, D = problem.time_s, problem.distance_m
    sizes = np.fromiter((len(route.nodes) + 1 for _, route, _ in eligible), np.int64)
    offsets = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    locs = np.concatenate([view.locs for _, _, view in eligible])
    nxt = np.concatenate([view.nxt for _, _, view in eligible])
    travel_next = np.concatenate([view.travel_next for _, _, view in eligible])
    dep = np.concatenate([view.dep for _, _, view in eligible])
    latest = np.concatenate([view.latest for _, _, view in eligible])
    load = np.concatenate([view.load for _, _, view in eligible])
    capacity = np.repeat(
        np.asarray([route.vehicle.capacity for _, route, _ in eligible]), sizes, axis=0
    )
    position = np.arange(int(sizes.sum())) - np.repeat(offsets, sizes)
    locked = position < np.repeat([route.locked for _, route, _ in eligible], sizes)
    rate_d = np.repeat([route.vehicle.cost_per_km / 1000.0 for _, route, _ in eligible], sizes)
    rate_t = np.repeat([route.vehicle.cost_per_hour / 3600.0 for _, route, _ in eligible], sizes)
    sp, sd = p.service_s, d.service_s
    ride = task.max_ride_s if task.max_ride_s is not None else 10**9
    direct = int(T[p.location, d.location])
    # the same tests and prices as `_pairs`, position by position
    room = np.all(load + np.asarray(task.load) <= capacity, axis=1)
    t_p = np.maximum(dep + T[locs, p.location], p.window.start)
    ok_p = (t_p <= p.window.end) & room & ~locked
    if not ok_p.any():
        return []
    push_p = t_p + sp + T[p.location, nxt] * travel_next <= latest
    t_d = np.maximum(dep + T[locs, d.location], d.window.start)
    d_end = min(d.window.end, p.window.end + sp + ride)
    ok_d = (t_d <= d_end) & (t_d + sd + T[d.location, nxt] * travel_next <= latest)
    t_da = np.maximum(t_p + sp + direct, d.window.start)
    ok_a = ok_p & (t_da <= d.window.end) & (t_da + sd + T[d.location, nxt] * travel_next <= latest)

    # candidates: (i, i) where ok_a; (i, j) for j after i on its route while the walk of
    # `_pairs` goes on (room on board, the dropoff not too late) and ok_d; prices are
    # computed only there (the same float operations, in the same order, as `_pairs`)
    total = len(locs)
    first = np.flatnonzero(ok_p)
    seg_end = (offsets + sizes)[np.searchsorted(offsets, first, side="right") - 1]
    stop = np.where(~room | (dep > d_end), np.arange(total), total)
    next_stop = np.append(np.minimum.accumulate(stop[::-1])[::-1], total)
    walking = push_p[first]
    walk = first[walking]
    counts = np.maximum(np.minimum(next_stop[walk + 1], seg_end[walking]) - walk - 1, 0)
    starts = np.cumsum(counts) - counts
    js = np.arange(int(counts.sum())) - np.repeat(starts - walk - 1, counts)
    is_ = np.repeat(walk, counts)
    keep = ok_d[js]
    is_, js = is_[keep], js[keep]
    adj = first[ok_a[first]]
    fixed = np.repeat(
        [0.0 if view.used else float(route.vehicle.fixed_cost) for _, route, view in eligible],
        sizes,
    )

    def detour(loc: int, at: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        a, b = locs[at], nxt[at]
        dd = D[a, loc] + D[loc, b] - D[a, b]
        dt = T[a, loc] + T[loc, b] - T[a, b]
        return dd * rate_d[at], dd * rate_d[at] + dt * rate_t[at]

    lb_p, cp = detour(p.location, is_)
    lb_d, cd = detour(d.location, js)
    a, b = locs[adj], nxt[adj]
    adj_d = D[a, p.location] + D[p.location, d.location] + D[d.location, b] - D[a, b]
    adj_t = T[a, p.location] + T[p.location, d.location] + T[d.location, b] - T[a, b]
    lb_a = adj_d * rate_d[adj]
    ca = lb_a + adj_t * rate_t[adj]
    at = np.concatenate((adj, is_))
    then = np.concatenate((np.full(adj.size, -1), js))  # (i, i) before (i, j > i)
    approx = np.concatenate((fixed[adj] + ca, fixed[is_] + cp + cd))
    lower = np.concatenate((fixed[adj] + lb_a, fixed[is_] + lb_p + lb_d))
    order = np.lexsort((then, at))
    at, then = at[order], then[order]
    off = offsets[np.searchsorted(offsets, at, side="right") - 1]
    vis = np.asarray([vi for vi, _, _ in eligible])[np.searchsorted(offsets, at, side="right") - 1]
    return list(
        zip(
            approx[order].tolist(),
            lower[order].tolist(),
            vis.tolist(),
            (at - off).tolist(),
            (np.where(then < 0, at, then) - off).tolist(),
            strict=True,
        )
    )


def _dropoffs(
    problem: Problem, vi: int, route: WorkingRoute, view: RouteView, task: Task, first: int
) -> list[tuple[float, float, int, int | None, int]]:
    """Dropoff-only candidates (rider on board, or pickup locked) at positions from `first`."""
    v = route.vehicle
    T, D = problem.time_s, problem.distance_m
    loc = task.dropoff.location
    locs, nxt = view.locs, view.nxt
    dd = D[locs, loc] + D[loc, nxt] - D[locs, nxt]
    dt = T[locs, loc] + T[loc, nxt] - T[locs, nxt]
    lower = dd * v.cost_per_km / 1000.0
    approx = lower + dt * v.cost_per_hour / 3600.0
    return [
        (float(approx[j]), float(lower[j]), vi, None, j) for j in range(first, len(route.nodes) + 1)
    ]


def _singles(
    problem: Problem, vi: int, route: WorkingRoute, view: RouteView, task: Task
) -> list[tuple[float, float, int, int | None, int]]:
    """Visit candidates (one stop, no load) at positions after the locked ones: the
    vehicle reaches it inside its window and the next stop keeps its latest start."""
    v = route.vehicle
    T, D = problem.time_s, problem.distance_m
    spec = task.dropoff
    loc = spec.location
    locs, nxt = view.locs, view.nxt
    t_v = np.maximum(view.dep + T[locs, loc], spec.window.start)
    ok = (t_v <= spec.window.end) & (
        t_v + spec.service_s + T[loc, nxt] * view.travel_next <= view.latest
    )
    ok[: route.locked] = False
    dd = D[locs, loc] + D[loc, nxt] - D[locs, nxt]
    dt = T[locs, loc] + T[loc, nxt] - T[locs, nxt]
    fixed = 0.0 if view.used else float(v.fixed_cost)
    lower = dd * v.cost_per_km / 1000.0 + fixed
    approx = lower + dt * v.cost_per_hour / 3600.0
    return [(float(approx[j]), float(lower[j]), vi, None, j) for j in np.flatnonzero(ok).tolist()]


def _carrier(
    routes: Sequence[WorkingRoute], views: Sequence[RouteView | None], task: Task
) -> tuple[int, int] | None:
    """(vehicle index, first dropoff position) when only the task's dropoff is left to
    place: it is on board, or its pickup is already in a route (a route with a view
    is searched only if its view lists the task among its pickups)."""
    tid = task.id
    carrier = task.onboard.vehicle_id if task.onboard is not None else None
    for vi, route in enumerate(routes):
        if carrier is not None and route.vehicle.id == carrier:
            return vi, route.locked
        view = views[vi]
        if view is not None and tid not in view.pickups:
            continue
        for k, n in enumerate(route.nodes):
            if n.task is not None and n.task.id == tid and n.kind is StepKind.PICKUP:
                return vi, max(route.locked, k + 1)
    return None


def _insert(nodes: Sequence[Node], task: Task, i: int | None, j: int) -> list[Node]:
    out = list(nodes)
    out.insert(j, last_node(task))
    if i is not None:
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
    """The cheapest feasible insertion of `task` into `routes` (the one insertion engine).

    Position pairs of every open, compatible vehicle that could serve the task alone
    are screened with necessary conditions, then checked exactly with `schedule` in
    order of approximate cost (detour distance and time), at most `per_vehicle` per
    vehicle and `max_checks` in all, skipping pairs whose distance detour alone
    already costs more than the best feasible insertion found. A task whose pickup is
    done (on board) or already in a route gets only its dropoff placed, on that
    vehicle, after the pickup and any locked stops. A visit gets its one stop placed
    on any open, compatible vehicle (after the locked stops).
    """
    pairs: list[tuple[float, float, int, int | None, int]] = []
    carrier = None if task.is_visit else _carrier(routes, views, task)
    if carrier is not None:
        vi, first = carrier
        if routes[vi].sched is not None:
            pairs = _dropoffs(problem, vi, routes[vi], views[vi], task, first)
    elif task.pickup is not None or task.is_visit:
        eligible = [
            (vi, route, view)
            for vi, (route, view) in enumerate(zip(routes, views, strict=True))
            if not route.closed
            and route.sched is not None
            and compatible(route.vehicle, task)
            and fits_alone(problem, task, route.vehicle)
        ]
        if task.is_visit:
            for vi, route, view in eligible:
                pairs.extend(_singles(problem, vi, route, view, task))
        else:
            pairs = _pairs_all(problem, eligible, task)  # pairs.extend(_pairs(...)) per route
    pairs.sort(key=lambda c: c[:2])
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
        if not loads_fit(route.vehicle, route.initial_load, nodes):
            continue
        tried[vi] += 1
        checks += 1
        sched = schedule(problem, route.vehicle, nodes)
        if sched is None:
            continue
        delta = schedule_cost(problem, route.vehicle, nodes, sched) - views[vi].cost
        if best is None or delta < best.cost_delta:
            best = Insertion(vi, i, j, tuple(nodes), sched, delta)
    return best


def positions(ins: Insertion) -> tuple[int, int]:
    """Indices of the inserted pickup and dropoff in ``ins.nodes``."""
    assert ins.pickup_pos is not None
    return ins.pickup_pos, ins.dropoff_pos + 1


def last_position(ins: Insertion) -> int:
    """Index of the inserted dropoff (or visit) in ``ins.nodes``."""
    return ins.dropoff_pos + (0 if ins.pickup_pos is None else 1)


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
            locked_nodes.append(node_for(task, ref.kind))
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
        built.append(timed_route(problem, route.vehicle, route.nodes, sched))
    return build_plan(problem, built, unassigned, stats)


def timed_route(
    problem: Problem, vehicle: Vehicle, nodes: Sequence[Node], sched: Schedule
) -> Route:
    """The plan's route of `nodes` timed by `sched`, without the breaks `schedule` took
    off the route (`off_route_positions`)."""
    off = set(off_route_positions(nodes, sched))
    visits = [
        Visit(node.kind, start, node.task, node.break_id)
        for k, (node, start) in enumerate(zip(nodes, sched.starts, strict=True))
        if k not in off
    ]
    return build_route(problem, vehicle, sched.departure, visits)


def off_route_positions(nodes: Sequence[Node], sched: Schedule) -> list[int]:
    """The positions of the breaks `sched` takes off the route: before the first stop,
    ending by the departure; after the last stop, from the arrival at the end on. The
    plan's route leaves them out; the driver's run sheet still shows them."""
    real = [k for k, node in enumerate(nodes) if not node.is_break]
    first, last = (real[0], real[-1]) if real else (0, len(nodes))
    return [
        k
        for k, (node, start) in enumerate(zip(nodes, sched.starts, strict=True))
        if (k < first and start + node.service_s <= sched.departure)
        or (k > last and start >= sched.end_arrival)
    ]


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
    views = [route_view(problem, r) if r.sched is not None else None for r in routes]
    for task in first + rest:
        if any(n.task is not None and n.task.id == task.id
               and n.kind in (StepKind.DROPOFF, StepKind.VISIT)
               for r in routes for n in r.nodes):  # fmt: skip
            continue  # both stops locked (or the visit)
        ins = None
        if (
            task.id in locked_ids
            or task.onboard is not None
            or deadline is None
            or (time.monotonic() <= deadline)
        ):
            ins = find_insertion(
                problem,
                routes,
                views,  # type: ignore[arg-type]
                task,
                per_vehicle=exact_checks,
                max_checks=exact_checks * max(1, len(routes)),
            )
        if ins is None:
            unassigned.append(Unassigned(task.id, UnassignedReason.NOT_SELECTED))
        else:
            apply(routes, ins)
            views[ins.vehicle_index] = route_view(problem, routes[ins.vehicle_index])
    return routes, unassigned
