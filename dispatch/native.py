"""The native search phase: route minimisation and large neighbourhood search in C++.

OR-Tools' guided local search is strong on distance but weak at emptying vehicles,
and its local search spends most of a short time limit on moves that break time
windows. `dispatch._pdptw` (sources in ``dispatch/native/``) is a dedicated
pickup-and-delivery search: greedy construction, guided ejection search to remove
routes (Nagata & Kobayashi 2010), then adaptive large neighbourhood search with
simulated annealing (Ropke & Pisinger 2006). Its timing check is exact for windows,
shifts, route-duration limits and ride-time limits, and capacities are checked on
every dimension; `dispatch.schedule` re-times every route it returns, and the
solver's plan is then checked by `dispatch.check` like any other.

It serves problems without locks, breaks or riders already on board (`unsupported`
says why a problem is out of its scope); those go to OR-Tools alone.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from dispatch.errors import SolverError
from dispatch.insertion import WorkingRoute
from dispatch.model import N_DIMS, Problem, Task
from dispatch.schedule import Node, dropoff_node, pickup_node, schedule
from dispatch.screening import compatible

logger = logging.getLogger(__name__)

#: Cost unit of the native search: milli-yen, as in the OR-Tools model.
COST_SCALE = 1000

try:  # built by `pip install` (setup.py); a checkout without the build has no module
    from dispatch import _pdptw
except ImportError:  # pragma: no cover - exercised only on a broken install
    _pdptw = None


def unsupported(problem: Problem) -> str | None:
    """Why the native search cannot take `problem`, or None when it can."""
    if _pdptw is None:
        return "the native module dispatch._pdptw is not built"
    if any(problem.locked.values()) or problem.closed_vehicles:
        return "locked routes"
    if any(v.breaks for v in problem.vehicles):
        return "driver breaks"
    if any(t.onboard is not None or t.pickup is None for t in problem.tasks):
        return "riders already on board"
    if N_DIMS != 3:  # the native engine is compiled for three load dimensions
        return "load dimensions"
    return None


@dataclass(frozen=True, slots=True)
class NativeResult:
    routes: list[WorkingRoute]
    left_out: list[Task]
    stats: dict[str, Any]


def instance_arrays(problem: Problem, tasks: list[Task]) -> dict[str, Any]:
    """The flat arrays `_pdptw.solve` reads: locations compacted to those in use."""
    vehicles = problem.vehicles
    used: dict[int, int] = {}
    for v in vehicles:
        used.setdefault(v.start, len(used))
        used.setdefault(v.end, len(used))
    for t in tasks:
        assert t.pickup is not None
        used.setdefault(t.pickup.location, len(used))
        used.setdefault(t.dropoff.location, len(used))
    locs = np.fromiter(used, dtype=np.int64, count=len(used))
    sub = np.ix_(locs, locs)
    stops = [(t.pickup, t.dropoff) for t in tasks]
    nodes = [spec for pair in stops for spec in pair]

    def per_vehicle(fn: Any) -> np.ndarray:
        return np.asarray([fn(v) for v in vehicles], dtype=np.int64)

    allowed = np.zeros((len(tasks), len(vehicles)), dtype=np.uint8)
    for r, t in enumerate(tasks):
        for k, v in enumerate(vehicles):
            allowed[r, k] = compatible(v, t)
    penalty = problem.weights.unassigned_penalty * COST_SCALE
    return {
        "n_loc": len(used),
        "n_req": len(tasks),
        "n_veh": len(vehicles),
        "time": np.ascontiguousarray(problem.time_s[sub]),
        "dist": np.ascontiguousarray(problem.distance_m[sub]),
        "loc": np.asarray([used[s.location] for s in nodes], dtype=np.int32),
        "service": np.asarray([s.service_s for s in nodes], dtype=np.int64),
        "early": np.asarray([s.window.start for s in nodes], dtype=np.int64),
        "late": np.asarray([s.window.end for s in nodes], dtype=np.int64),
        "load": np.asarray([t.load for t in tasks], dtype=np.int64).reshape(-1),
        "max_ride": np.asarray(
            [-1 if t.max_ride_s is None else t.max_ride_s for t in tasks], dtype=np.int64
        ),
        "penalty": np.asarray([penalty * t.priority for t in tasks], dtype=np.int64),
        "allowed": allowed.reshape(-1),
        "v_start": np.asarray([used[v.start] for v in vehicles], dtype=np.int32),
        "v_end": np.asarray([used[v.end] for v in vehicles], dtype=np.int32),
        "v_early": per_vehicle(lambda v: v.earliest_departure),
        "v_late": per_vehicle(lambda v: min(v.shift.end, problem.horizon_s)),
        "v_max_dur": per_vehicle(lambda v: -1 if v.max_duration_s is None else v.max_duration_s),
        "v_cap": np.asarray([v.capacity for v in vehicles], dtype=np.int64).reshape(-1),
        "v_fixed": per_vehicle(lambda v: v.fixed_cost * COST_SCALE),
        # yen per km on metres is milli-yen per metre; yen per hour -> milli-yen per second
        "v_rate_dist": per_vehicle(lambda v: v.cost_per_km),
        "v_rate_time": per_vehicle(lambda v: round(v.cost_per_hour * COST_SCALE / 3600)),
    }


def solve_native(
    problem: Problem,
    tasks: list[Task],
    time_limit_s: float,
    *,
    seed: int = 0,
    params: Mapping[str, Any] | None = None,
    patience_s: float | None = None,
) -> NativeResult:
    """Run the native search on `tasks` (screened, unlocked, none on board).

    ``patience_s`` ends the distance search once its best has not improved for that
    long (a `NoImprovement` stop); the time limit always holds.
    """
    reason = unsupported(problem)
    if reason is not None:
        raise SolverError(f"native search cannot take this problem: {reason}")
    arrays = instance_arrays(problem, tasks)
    settings: dict[str, Any] = {
        "time_limit_s": float(max(0.0, time_limit_s)),
        "seed": int(seed) + 1,
    }
    if patience_s is not None:
        settings["patience_s"] = float(patience_s)
    settings.update(params or {})
    try:
        out = _pdptw.solve(arrays, settings)  # type: ignore[union-attr]
    except ValueError as exc:
        raise SolverError(f"native search: {exc}") from exc
    routes: list[WorkingRoute] = []
    served: set[int] = set()
    for vehicle, seq in zip(problem.vehicles, out["routes"], strict=True):
        nodes: list[Node] = []
        for node in seq:
            task = tasks[node // 2]
            nodes.append(pickup_node(task) if node % 2 == 0 else dropoff_node(task))
            served.add(node // 2)
        sched = schedule(problem, vehicle, nodes)
        if sched is None:
            raise SolverError(f"native search returned an infeasible route for {vehicle.id!r}")
        routes.append(WorkingRoute(vehicle, nodes, sched=sched))
    left_out = [t for r, t in enumerate(tasks) if r not in served]
    stats = {k: v for k, v in out.items() if k != "routes"}
    return NativeResult(routes, left_out, stats)
