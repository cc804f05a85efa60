"""The native engine: pickup-and-delivery search in C++ for every problem we can state.

`dispatch._pdptw` (sources in ``dispatch/native/``) is a dedicated pickup-and-delivery
search: greedy construction, guided ejection search to remove routes (Nagata &
Kobayashi 2010), then adaptive large neighbourhood search with simulated annealing
(Ropke & Pisinger 2006). It runs in one of two modes, chosen here from the problem:

- **fast** (the published benchmarks: no breaks, locks or riders on board, no hourly
  cost and no excess-ride weight): the plan's cost is fixed costs plus a per-metre arc
  cost, so insertions are priced from arcs and checked with O(1) caches; costs are in
  milli-yen.
- **general** (everything else, e.g. every live day): driver breaks are nodes of the
  routes, each taken anywhere on its leg (holding the vehicle for its duration, before
  or after the drive to the next stop, as the plan, the checker and OR-Tools have it;
  with ``legs=False`` only before it, as the live day times its routes), locked prefixes stay
  at the head of their routes, requests whose pickup is done or locked move only their
  dropoff on their vehicle, visits are single stops any compatible vehicle may serve,
  closed vehicles take nothing more, and every candidate
  route is timed and costed in full exactly as the Python plan is (route duration
  with waiting, per-km cost, excess ride): `native/general.hpp`. Costs are in
  1/36 000 yen, so that yen per hour on seconds and yen per km on metres stay integral.

The routes it returns are re-timed by `dispatch.schedule.schedule` (with the same
``legs``) and built into a plan by `dispatch.result.build_route`, by the same rule for
breaks as the C++ cost (`native_route`); the solver's plan is then checked by
`dispatch.check` like any other.

``threads`` > 1 runs that many searches at once in C++ threads (`native/portfolio.hpp`),
each with its own seed, sharing their best plans: route minimisation takes another
thread's plan as soon as it has fewer vehicles, the large neighbourhood search takes
the shared best when its own has not improved for a while. The best plan of all comes
back, with ``stats["threads"]`` saying how many ran. One thread is the search as it has
always been (the same plan for a seed); more are not reproducible bit for bit, since the
result depends on how the threads interleave.

``restarts`` > 1 (fast mode) runs the search that many times one after the other, from
seeds set apart, each keeping the distinct routes of the plans it accepted within 1 % of
its best; `dispatch.recombine` then picks the cheapest plan made of all of them. By
default (`restarts_for`) a dial-a-ride day — ride limits or duration caps that bind —
with a time limit of 3 s or more makes three runs: one annealing run there ends in a
plan that depends more on its seed than on its time (Cordeau a8-96, one seed: 1.29 %
above the best known after 5 s, 0.51 % after 10 s, 1.22 % after 20 s, 0.57 % after
60 s), and the best routes of several runs combine. A recombination that ends with
time to spare starts a cool run from its plan, whose routes join the next one (see
`dispatch.recombine.restarted`). Counted budgets make one run.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from dispatch import recombine
from dispatch.errors import InputError, SolverError
from dispatch.model import N_DIMS, Problem, StopKind, Task, Vehicle
from dispatch.result import REQUEST_STEPS, Plan, Route, StepKind, Visit, build_route
from dispatch.schedule import Node, break_nodes, last_node, pickup_node, schedule
from dispatch.screening import compatible

logger = logging.getLogger(__name__)

#: Cost unit of the fast mode: milli-yen, as in the OR-Tools model.
COST_SCALE = 1000
#: Cost unit of the general mode: 1/36 000 yen (yen/h x s and yen/km x m are integral).
GENERAL_COST_SCALE = 36_000
#: A request bound to its vehicle (rider on board, pickup locked) weighs this many
#: ordinary requests when left out: it is served whenever any plan can serve it.
BOUND_PENALTY_FACTOR = 100
#: Request modes of the general mode (see instance.hpp): a pickup-dropoff pair; only
#: the dropoff, on the vehicle it is bound to; every stop locked; one stop (a visit,
#: node 2r + 1) on any allowed vehicle.
PAIR, DROP_ONLY, FIXED, SINGLE = 0, 1, 2, 3
#: Parallel searches at most (`solve_native`'s ``threads``).
MAX_THREADS = 64
#: Runs of a recombined search by default (`restarts_for`), at most, and the least time
#: limit that splits; the share of the time left to the recombination. Cordeau a7-84,
#: a8-80, a8-96 at 30 s, seeds 1-3: one run 0.92 % above the best known on average,
#: two runs and a recombination 0.65 %, three 0.63 % (benchmarks/README.md).
AUTO_RESTARTS = 3
MAX_RESTARTS = 16
MIN_RESTART_S = 3.0
RECOMBINE_SHARE = 0.15

try:  # built by `pip install` (setup.py); a checkout without the build has no module
    from dispatch import _pdptw
except ImportError:  # pragma: no cover - exercised only on a broken install
    _pdptw = None


def unsupported(problem: Problem) -> str | None:
    """Why the native engine cannot take `problem`, or None when it can."""
    if _pdptw is None:
        return "the native module dispatch._pdptw is not built"
    if N_DIMS != 3:  # the native engine is compiled for three load dimensions
        return "load dimensions"
    return None


def is_fast(problem: Problem) -> bool:
    """Does the fast mode price `problem` exactly (linear arc costs, nothing live)?"""
    if any(problem.locked.values()) or problem.closed_vehicles:
        return False
    if any(v.breaks or v.cost_per_hour for v in problem.vehicles):
        return False
    if any(t.onboard is not None or t.pickup is None for t in problem.tasks):
        return False
    rides = any(t.kind == "ride" for t in problem.tasks)
    return not (rides and problem.weights.excess_ride_per_hour)


@dataclass(frozen=True, slots=True)
class NativeResult:
    routes: list[Route]
    left_out: list[Task]
    stats: dict[str, Any]
    #: cost unit of ``stats["objective"]`` (yen = objective / scale)
    scale: int


@dataclass(frozen=True, slots=True)
class _Layout:
    """How the problem's requests, stops and breaks map to native node numbers."""

    tasks: list[Task]
    node_of: dict[tuple[str, StopKind], int]
    break_of: dict[tuple[str, str], int]  # (vehicle id, break id) -> node
    breaks: list[tuple[int, Node]]  # per break: vehicle index, its node
    mode: list[int]
    bound: list[int]
    prefix: list[list[int]]


def _layout(problem: Problem, tasks: list[Task]) -> _Layout:
    node_of: dict[tuple[str, StopKind], int] = {}
    for r, t in enumerate(tasks):
        if not t.is_visit:
            node_of[(t.id, StopKind.PICKUP)] = 2 * r
        node_of[(t.id, t.last_stop)] = 2 * r + 1  # a visit is its "dropoff" node
    v_index = {v.id: k for k, v in enumerate(problem.vehicles)}
    breaks: list[tuple[int, Node]] = []
    break_of: dict[tuple[str, str], int] = {}
    for k, v in enumerate(problem.vehicles):
        for node in sorted(break_nodes(v), key=lambda b: (b.earliest, b.latest)):
            break_of[(v.id, node.break_id or "")] = 2 * len(tasks) + len(breaks)
            breaks.append((k, node))
    locked_on: dict[tuple[str, StopKind], int] = {}
    prefix: list[list[int]] = [[] for _ in problem.vehicles]
    for vid, refs in problem.locked.items():
        for ref in refs:
            key = (ref.request_id, ref.kind)
            if key not in node_of:
                raise SolverError(f"locked stop {ref.kind} of {ref.request_id!r} cannot be routed")
            locked_on[key] = v_index[vid]
            prefix[v_index[vid]].append(node_of[key])
    mode, bound = [], []
    for t in tasks:
        p_lock = locked_on.get((t.id, StopKind.PICKUP))
        d_lock = locked_on.get((t.id, t.last_stop))
        if t.is_visit:
            mode.append(SINGLE if d_lock is None else FIXED)
            bound.append(-1 if d_lock is None else d_lock)
        elif t.onboard is not None:
            mode.append(FIXED if d_lock is not None else DROP_ONLY)
            bound.append(v_index[t.onboard.vehicle_id])
        elif p_lock is not None:
            mode.append(FIXED if d_lock is not None else DROP_ONLY)
            bound.append(p_lock)
        elif d_lock is not None:
            raise SolverError(
                f"no plan satisfies the locked routes: the dropoff of {t.id!r} is locked"
                " but its pickup is neither done nor locked"
            )
        else:
            mode.append(PAIR)
            bound.append(-1)
    return _Layout(list(tasks), node_of, break_of, breaks, mode, bound, prefix)


def instance_arrays(
    problem: Problem, tasks: list[Task], general: bool | None = None, *, legs: bool = True
) -> dict:
    """The flat arrays `_pdptw.solve` reads: locations compacted to those in use.

    ``general`` defaults to ``not is_fast(problem)``; ``legs`` (general mode): breaks
    anywhere on their legs, else where the vehicle served (`dispatch.schedule`).
    """
    if general is None:
        general = not is_fast(problem)
    return _arrays(problem, _layout(problem, tasks), general, legs)


def _arrays(problem: Problem, lay: _Layout, general: bool, legs: bool = True) -> dict[str, Any]:
    vehicles = problem.vehicles
    tasks = lay.tasks
    used: dict[int, int] = {}
    for v in vehicles:
        used.setdefault(v.start, len(used))
        used.setdefault(v.end, len(used))
    for t in tasks:
        if t.pickup is not None:
            used.setdefault(t.pickup.location, len(used))
        used.setdefault(t.dropoff.location, len(used))
    locs = np.fromiter(used, dtype=np.int64, count=len(used))
    sub = np.ix_(locs, locs)
    # a stop already done (rider on board), or the missing pickup of a visit, gets a
    # stand-in that is never routed: the dropoff's (visit's) place and times
    stops = [(t.pickup or replace(t.dropoff, service_s=0), t.dropoff) for t in tasks]
    nodes = [spec for pair in stops for spec in pair]
    late = [s.window.end for s in nodes]
    for r, t in enumerate(tasks):
        if t.onboard is not None and t.max_ride_s is not None:
            late[2 * r + 1] = min(late[2 * r + 1], t.onboard.pickup_departed_at + t.max_ride_s)

    def per_vehicle(fn: Any) -> np.ndarray:
        return np.asarray([fn(v) for v in vehicles], dtype=np.int64)

    allowed = np.zeros((len(tasks), len(vehicles)), dtype=np.uint8)
    for r, t in enumerate(tasks):
        for k, v in enumerate(vehicles):
            allowed[r, k] = compatible(v, t) and lay.bound[r] in (-1, k)
    scale = GENERAL_COST_SCALE if general else COST_SCALE
    penalty = [
        problem.weights.unassigned_penalty
        * scale
        * t.priority
        * (BOUND_PENALTY_FACTOR if lay.bound[r] >= 0 else 1)
        for r, t in enumerate(tasks)
    ]
    arrays: dict[str, Any] = {
        "n_loc": len(used),
        "n_req": len(tasks),
        "n_veh": len(vehicles),
        "time": np.ascontiguousarray(problem.time_s[sub]),
        "dist": np.ascontiguousarray(problem.distance_m[sub]),
        "loc": np.asarray([used[s.location] for s in nodes], dtype=np.int32),
        "service": np.asarray([s.service_s for s in nodes], dtype=np.int64),
        "early": np.asarray([s.window.start for s in nodes], dtype=np.int64),
        "late": np.asarray(late, dtype=np.int64),
        "load": np.asarray([t.load for t in tasks], dtype=np.int64).reshape(-1),
        "max_ride": np.asarray(
            [-1 if t.max_ride_s is None else t.max_ride_s for t in tasks], dtype=np.int64
        ),
        "penalty": np.asarray(penalty, dtype=np.int64),
        "allowed": allowed.reshape(-1),
        "v_start": np.asarray([used[v.start] for v in vehicles], dtype=np.int32),
        "v_end": np.asarray([used[v.end] for v in vehicles], dtype=np.int32),
        "v_early": per_vehicle(lambda v: v.earliest_departure),
        "v_late": per_vehicle(lambda v: min(v.shift.end, problem.horizon_s)),
        "v_max_dur": per_vehicle(lambda v: -1 if v.max_duration_s is None else v.max_duration_s),
        "v_cap": np.asarray([v.capacity for v in vehicles], dtype=np.int64).reshape(-1),
        "v_fixed": per_vehicle(lambda v: v.fixed_cost * scale),
    }
    if not general:
        # yen per km on metres is milli-yen per metre; yen per hour -> milli-yen per second
        arrays["v_rate_dist"] = per_vehicle(lambda v: v.cost_per_km)
        arrays["v_rate_time"] = per_vehicle(lambda v: round(v.cost_per_hour * COST_SCALE / 3600))
        return arrays
    excess = problem.weights.excess_ride_per_hour * scale // 3600
    arrays.update(
        {
            "general": True,
            "legs": legs,
            "v_rate_dist": per_vehicle(lambda v: v.cost_per_km * scale // 1000),
            "v_rate_time": per_vehicle(lambda v: 0),
            "v_rate_dur": per_vehicle(lambda v: v.cost_per_hour * scale // 3600),
            "v_shift_start": per_vehicle(lambda v: v.shift.start),
            "v_init_load": np.asarray(
                [problem.initial_load(v.id) for v in vehicles], dtype=np.int64
            ).reshape(-1),
            "v_closed": np.asarray(
                [v.id in problem.closed_vehicles for v in vehicles], dtype=np.uint8
            ),
            "prefix": lay.prefix,
            "n_brk": len(lay.breaks),
            "b_veh": np.asarray([k for k, _ in lay.breaks], dtype=np.int32),
            "b_early": np.asarray([b.earliest for _, b in lay.breaks], dtype=np.int64),
            "b_late": np.asarray([b.latest for _, b in lay.breaks], dtype=np.int64),
            "b_dur": np.asarray([b.service_s for _, b in lay.breaks], dtype=np.int64),
            "mode": np.asarray(lay.mode, dtype=np.int32),
            "bound": np.asarray(lay.bound, dtype=np.int32),
            "excess_rate": np.asarray(
                [excess if t.kind == "ride" else 0 for t in tasks], dtype=np.int64
            ),
            "direct": np.asarray([t.direct_s for t in tasks], dtype=np.int64),
            "onboard_dep": np.asarray(
                [-1 if t.onboard is None else t.onboard.pickup_departed_at for t in tasks],
                dtype=np.int64,
            ),
        }
    )
    return arrays


def initial_routes(problem: Problem, lay: _Layout, plan: Plan) -> list[list[int]] | None:
    """The node lists of `plan` (breaks where it has them), or None if it names a
    request or vehicle this problem does not route."""
    position = {v.id: k for k, v in enumerate(problem.vehicles)}
    routes: list[list[int]] = [list(lay.prefix[k]) for k in range(len(problem.vehicles))]
    for route in plan.routes:
        k = position.get(route.vehicle_id)
        if k is None:
            return None
        seq: list[int] = []
        for step in route.steps:
            if step.kind is StepKind.BREAK:
                node = lay.break_of.get((route.vehicle_id, step.break_id or ""))
            elif step.kind in REQUEST_STEPS:
                node = lay.node_of.get((step.request_id or "", StopKind(step.kind.value)))
            else:
                continue
            if node is None:
                return None
            seq.append(node)
        routes[k] = seq
    return routes


def native_route(
    problem: Problem,
    vehicle: Vehicle,
    nodes: list[Node],
    start: int | None = None,
    on_route: bool | None = None,
    lead_on_route: bool = False,
    *,
    legs: bool = True,
) -> Route | None:
    """The plan route of a native sequence, timed by `dispatch.schedule.schedule`.

    Breaks before the first stop are taken before the start (the departure waits for
    their end), or on the way to the first stop with ``lead_on_route``; breaks after
    the last stop after the end when each fits there, else on the route (``on_route``
    forces either). ``start`` raises the earliest departure (the native engine leaves
    later when that saves idle time). ``legs``: breaks anywhere on their legs, else
    where the vehicle served (as the native instance was built). None when the sequence
    has no stop (the vehicle is unused) or cannot be timed (which the native timing
    rules out).
    """
    real = [k for k, n in enumerate(nodes) if not n.is_break]
    if not real:
        return None
    first, last = real[0], real[-1]
    t0 = vehicle.earliest_departure
    if lead_on_route:
        first = 0
    for b in nodes[:first]:
        t0 = max(t0, max(b.earliest, vehicle.shift.start) + b.service_s)
    if start is not None:
        t0 = max(t0, start)
    timed_vehicle = vehicle if t0 == vehicle.earliest_departure else replace(vehicle, start_time=t0)
    timed = nodes[first : last + 1]
    sched = schedule(problem, timed_vehicle, timed, legs=legs, off_route=False)
    if sched is None:
        return None
    stop = nodes[last]
    home = sched.starts[-1] + stop.service_s + int(problem.time_s[stop.location, vehicle.end])

    def after_end(b: Node) -> bool:
        at = max(b.earliest, home)
        return at <= b.latest and at + b.service_s <= vehicle.shift.end

    if on_route is None:
        on_route = not all(after_end(b) for b in nodes[last + 1 :])
    if on_route:
        timed = nodes[first:]
        sched = schedule(problem, timed_vehicle, timed, legs=legs, off_route=False)
        if sched is None:
            return None
    visits = [
        Visit(n.kind, start, n.task, n.break_id)
        for n, start in zip(timed, sched.starts, strict=True)
    ]
    return build_route(problem, vehicle, sched.departure, visits)


def check_threads(threads: object, field: str = "threads") -> int:
    """`threads` as an int from 1 to `MAX_THREADS`, else an `InputError` naming `field`."""
    return _count(threads, field, MAX_THREADS)


def _count(value: object, field: str, most: int) -> int:
    """`value` as an int from 1 to `most`, else an `InputError` naming `field`."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise InputError(f"{field} must be an integer from 1 to {most}, got {value!r}")
    if not 1 <= value <= most:
        raise InputError(f"{field} must be from 1 to {most}, got {value}")
    return int(value)


def solve_native(
    problem: Problem,
    tasks: list[Task],
    time_limit_s: float,
    *,
    seed: int = 0,
    threads: int = 1,
    params: Mapping[str, Any] | None = None,
    patience_s: float | None = None,
    initial: Plan | None = None,
    legs: bool = True,
    restarts: int | None = None,
) -> NativeResult:
    """Run the native search on `tasks` (the screened requests of `problem`).

    ``patience_s`` ends the search once its best has not improved for that long (a
    `NoImprovement` stop); the time limit always holds. ``initial`` warm-starts it
    (ignored, with ``stats["warm_start"]`` False, when the native engine cannot take
    it as it is). ``legs``: a break may be taken anywhere on its leg (the plan's and the
    checker's rule), else only where the vehicle served (the live day's). ``threads``:
    parallel searches sharing their best (see the module docstring; 1 to `MAX_THREADS`,
    else `InputError`). ``restarts`` > 1: that many runs from other seeds, their routes
    recombined (`dispatch.recombine`; fast mode only); None: `AUTO_RESTARTS` where they
    pay (`restarts_for`). Raises `SolverError` when locked stops cannot be served.
    """
    threads = check_threads(threads)
    reason = unsupported(problem)
    if reason is not None:
        raise SolverError(f"native search cannot take this problem: {reason}")
    general = not is_fast(problem)
    lay = _layout(problem, tasks)
    arrays = _arrays(problem, lay, general, legs)
    settings: dict[str, Any] = {
        "time_limit_s": float(max(0.0, time_limit_s)),
        "seed": int(seed) + 1,
        "threads": threads,
    }
    if patience_s is not None:
        settings["patience_s"] = float(patience_s)
    settings.update(params or {})
    start = None if initial is None else initial_routes(problem, lay, initial)
    began = time.perf_counter()
    runs = restarts_for(arrays, settings) if restarts is None else check_restarts(restarts)
    if runs > 1 and general:
        raise InputError("restarts: recombining runs needs the fast mode (no breaks or locks)")
    if runs > 1:
        out = recombine.restarted(
            lambda st, warm: _run(arrays, st, warm),
            settings,
            restarts=runs,
            share=RECOMBINE_SHARE,
            vehicle_class=_pdptw.describe(arrays)["vehicle_class"],  # type: ignore[union-attr]
            fixed=arrays["v_fixed"].tolist(),
            penalty=arrays["penalty"].tolist(),
            v_early=arrays["v_early"].tolist(),
            start=start,
        )
    else:
        out = {**_run(arrays, settings, start), "restarts": 1}
    _log_overrun(out, time_limit_s, time.perf_counter() - began)
    routes: list[Route] = []
    served: set[int] = set()
    break_node = {2 * len(tasks) + b: node for b, (_, node) in enumerate(lay.breaks)}
    for vehicle, seq, start, on_route, lead in zip(
        problem.vehicles,
        out["routes"],
        out["starts"],
        out["on_route"],
        out["lead_on_route"],
        strict=True,
    ):
        nodes: list[Node] = []
        for node in seq:
            if node in break_node:
                nodes.append(break_node[node])
                continue
            task = tasks[node // 2]
            nodes.append(pickup_node(task) if node % 2 == 0 else last_node(task))
            if node % 2:  # served: its dropoff (visit) is routed (a locked pickup may be alone)
                served.add(node // 2)
        if not any(not n.is_break for n in nodes):
            continue
        route = native_route(problem, vehicle, nodes, start, on_route, lead, legs=legs)
        if route is None:
            raise SolverError(f"native search returned an infeasible route for {vehicle.id!r}")
        routes.append(route)
    left_out = [t for r, t in enumerate(tasks) if r not in served]
    stuck = [
        t.id
        for t in left_out
        if t.onboard is None and lay.mode[tasks.index(t)] not in (PAIR, SINGLE)
    ]
    if stuck:
        raise SolverError(
            f"no plan satisfies the locked routes: no dropoff found for {sorted(stuck)}"
        )
    timing = ("routes", "starts", "on_route", "lead_on_route")
    stats = {k: v for k, v in out.items() if k not in timing}
    stats["mode"] = "general" if general else "fast"
    return NativeResult(routes, left_out, stats, GENERAL_COST_SCALE if general else COST_SCALE)


def _run(arrays: dict[str, Any], settings: dict[str, Any], start: Any) -> dict[str, Any]:
    """One native search, from `start` when it can take it (else cold, logged)."""
    if start is not None:
        try:
            return _pdptw.solve(arrays, settings, start)  # type: ignore[union-attr]
        except ValueError as exc:
            if not str(exc).startswith("initial:"):
                raise _error(exc) from exc
            logger.info("native search starts cold: %s", exc)
    try:
        return _pdptw.solve(arrays, settings)  # type: ignore[union-attr]
    except ValueError as exc:
        raise _error(exc) from exc


def restarts_for(arrays: Mapping[str, Any], settings: Mapping[str, Any]) -> int:
    """How many runs a search of `settings` makes by default: `AUTO_RESTARTS` on a
    fast-mode day with binding ride limits or duration caps (dial-a-ride) and a time
    limit of at least `MIN_RESTART_S` without a counted budget, else one."""
    counted = any(k in settings for k in ("lns_iterations", "improvement_limit", "ges_steps"))
    if counted or float(settings["time_limit_s"]) < MIN_RESTART_S:
        return 1
    try:
        info = _pdptw.describe(arrays)  # type: ignore[union-attr]
    except ValueError as exc:
        raise _error(exc) from exc
    return AUTO_RESTARTS if info["exact_timing"] and not info["general"] else 1


def check_restarts(restarts: object, field: str = "restarts") -> int:
    """`restarts` as an int from 1 to `MAX_RESTARTS`, else an `InputError` naming `field`."""
    return _count(restarts, field, MAX_RESTARTS)


def _log_overrun(stats: Mapping[str, Any], time_limit_s: float, spent: float) -> None:
    """A search that ran well past its time limit says where the time went."""
    if time_limit_s > 0 and spent > 1.5 * time_limit_s + 0.5:
        logger.warning(
            "native search took %.1f s of its %.1f s: construction %.1f s, route "
            "minimisation %.1f s, LNS %.1f s (%s iterations, %s start)",
            spent,
            time_limit_s,
            float(stats.get("construct_s", 0.0)),
            float(stats.get("ges_s", 0.0)),
            float(stats.get("lns_s", 0.0)),
            stats.get("lns_iterations"),
            "warm" if stats.get("warm_start") else "cold",
        )


def _error(exc: ValueError) -> SolverError:
    text = str(exc)
    if text.startswith("locked stops"):
        return SolverError(f"no plan satisfies the locked routes: {text}")
    return SolverError(f"native search: {text}")
