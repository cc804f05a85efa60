"""Solve a Li & Lim instance with VROOM (pyvroom), as a yardstick for our solver.

VROOM sees exactly the integers our solver sees: scaled travel times as durations,
scaled distances as costs (the same matrix unless times are rounded up), scaled windows
and service times, the same fleet and the same fixed cost per vehicle (its only lever
for fewer vehicles: VROOM has no explicit vehicle-minimisation stage). Its routes are
re-timed into a `Plan` by `plan_from_task_routes`, so the same checker and the same
double-precision cost judge both solvers.

pyvroom is an optional dependency (the ``bench`` extra); it is imported on first use.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass
from typing import Any

from benchmarks.instances import BenchInstance, plan_from_task_routes
from dispatch.errors import InputError, SolverError
from dispatch.result import Plan

logger = logging.getLogger(__name__)

#: VROOM's strongest search setting.
EXPLORATION_LEVEL = 5


@dataclass(frozen=True, slots=True)
class VroomRun:
    """One VROOM solve: node-id routes, the plan built from them, wall-clock seconds."""

    routes: list[list[int]]
    plan: Plan
    seconds: float
    vroom_cost: int
    unassigned: int


def vroom_input(instance: BenchInstance) -> Any:
    """A `vroom.Input` for a Li & Lim `instance` (shipments = the requests).

    Returns ``vroom.Input``; typed Any since pyvroom is imported on first use.
    """
    try:
        import vroom
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise SolverError("pyvroom is not installed (pip install 'noriai[bench]')") from exc
    if instance.format != "lilim":
        raise InputError(f"{instance.name}: the VROOM runner handles Li & Lim instances only")
    problem = instance.problem
    inp = vroom.Input()
    inp.set_durations_matrix("car", problem.time_s.tolist())
    # A custom cost matrix: VROOM then forbids a per_hour cost (it must stay at its
    # default), and the route cost is the scaled distance, as in our problem.
    inp.set_costs_matrix("car", problem.distance_m.tolist())
    for k, vehicle in enumerate(problem.vehicles, start=1):
        inp.add_vehicle(
            vroom.Vehicle(
                k,
                start=vehicle.start,
                end=vehicle.end,
                capacity=list(vehicle.capacity[:1]),
                time_window=vroom.TimeWindow(vehicle.shift.start, vehicle.shift.end),
                costs=vroom.VehicleCosts(fixed=vehicle.fixed_cost),
            )
        )
    for task, (p, d) in zip(problem.tasks, instance.pairs, strict=True):
        assert task.pickup is not None
        inp.add_shipment(
            vroom.ShipmentStep(
                p,
                location=task.pickup.location,
                default_service=task.pickup.service_s,
                time_windows=[vroom.TimeWindow(task.pickup.window.start, task.pickup.window.end)],
            ),
            vroom.ShipmentStep(
                d,
                location=task.dropoff.location,
                default_service=task.dropoff.service_s,
                time_windows=[vroom.TimeWindow(task.dropoff.window.start, task.dropoff.window.end)],
            ),
            amount=vroom.Amount([task.load[0]]),
        )
    return inp


def solve_vroom(
    instance: BenchInstance, time_limit_s: float | None, *, threads: int = 1
) -> VroomRun:
    """Solve `instance` with VROOM (exploration level 5, `threads` threads, stopped
    after `time_limit_s` seconds when given) and rebuild its routes as our `Plan`."""
    inp = vroom_input(instance)
    timeout = dt.timedelta(seconds=time_limit_s) if time_limit_s else None
    started = time.perf_counter()
    solution = inp.solve(exploration_level=EXPLORATION_LEVEL, nb_threads=threads, timeout=timeout)
    seconds = time.perf_counter() - started
    out = solution.to_dict()
    routes = []
    for route in sorted(out.get("routes", []), key=lambda r: r["vehicle"]):
        nodes = [int(s["id"]) for s in route["steps"] if s["type"] in ("pickup", "delivery")]
        if nodes:
            routes.append(nodes)
    stats = {"solver": "vroom", "solve_seconds": round(seconds, 3)}
    plan = plan_from_task_routes(instance, routes, stats=stats)
    summary = out.get("summary", {})
    logger.info(
        "vroom %s: %d routes, %d unassigned, cost %s, %.2f s",
        instance.name,
        len(routes),
        summary.get("unassigned", 0),
        summary.get("cost"),
        seconds,
    )
    return VroomRun(
        routes=routes,
        plan=plan,
        seconds=seconds,
        vroom_cost=int(summary.get("cost", 0)),
        unassigned=len(plan.unassigned),
    )
