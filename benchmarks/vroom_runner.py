"""Solve a PDPTW instance (Li & Lim, Sartori & Buriol) with VROOM (pyvroom), as a
yardstick for our solver.

VROOM sees exactly the integers our solver sees: scaled travel times as durations,
scaled distances as costs (the same matrix unless times are rounded up), scaled windows
and service times, the same fleet and the same fixed cost per vehicle (its only lever
for fewer vehicles: VROOM has no explicit vehicle-minimisation stage). Its routes are
re-timed into a `Plan` by `benchmarks.peers.peer_plan`, so the same checker and the same
double-precision cost judge every solver.

pyvroom is an optional dependency (the ``bench`` extra); it is imported on first use.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from benchmarks.instances import BenchInstance
from benchmarks.peers import PEERS, PeerRun, peer_plan
from dispatch.errors import InputError, SolverError

#: VROOM's strongest search setting.
EXPLORATION_LEVEL = 5


def vroom_input(instance: BenchInstance) -> Any:
    """A `vroom.Input` for a PDPTW `instance` (shipments = the requests).

    Returns ``vroom.Input``; typed Any since pyvroom is imported on first use.
    """
    try:
        import vroom
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise SolverError("pyvroom is not installed (pip install 'noriai[bench]')") from exc
    if instance.format not in PEERS["vroom"].formats:
        raise InputError(
            f"{instance.name}: the VROOM runner handles {', '.join(PEERS['vroom'].formats)} "
            f"instances only, not {instance.format} (no ride-time limits)"
        )
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
) -> PeerRun:
    """Solve `instance` with VROOM (exploration level 5, `threads` threads, stopped
    after `time_limit_s` seconds when given) and rebuild its routes as our `Plan`."""
    inp = vroom_input(instance)
    timeout = dt.timedelta(seconds=time_limit_s) if time_limit_s else None
    started = time.perf_counter()
    solution = inp.solve(exploration_level=EXPLORATION_LEVEL, nb_threads=threads, timeout=timeout)
    seconds = time.perf_counter() - started
    out = solution.to_dict()
    routes = [
        [int(s["id"]) for s in route["steps"] if s["type"] in ("pickup", "delivery")]
        for route in sorted(out.get("routes", []), key=lambda r: r["vehicle"])
    ]
    cost = int(out.get("summary", {}).get("cost", 0))
    return peer_plan(instance, "vroom", routes, seconds=seconds, peer_cost=cost)
