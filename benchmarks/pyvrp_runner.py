"""Solve a PDPTW instance (Li & Lim, Sartori & Buriol) with PyVRP, as a yardstick for
our solver.

PyVRP (0.14, the ``bench`` extra) models paired pickup and delivery as *shipments*
(`pyvrp.Shipment`: a pickup and a delivery location, each with its window and
service duration, and an amount carried between them). It sees exactly the integers
our solver sees: the scaled distance matrix as its distance (cost 1 per unit, as ours
and VROOM's), the scaled travel-time matrix as its duration, the scaled windows and
service times, the same fleet (one vehicle type per distinct vehicle: start, end,
shift, capacity, fixed cost) and the same fixed cost per vehicle.

Vehicles first: like VROOM, PyVRP gets the fixed cost per vehicle that our problem
carries (above any total distance, so one vehicle fewer outweighs any distance), and
a single solve with the whole time limit. PyVRP also offers `pyvrp.minimise_fleet`
(repeated solves, each stopped at the first feasible solution, with one vehicle
fewer each time); we do not use it, so that all three solvers optimise the same
objective within the same single time limit instead of PyVRP splitting its budget
between two stages by a rule of our own choosing.

One thread (PyVRP's search is single-threaded), ``seed`` passed through, and its
best solution, feasible or not, goes back as routes: PyVRP's own feasibility verdict
is recorded, but the checker and the exact re-check decide.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from benchmarks.instances import BenchInstance
from benchmarks.peers import PEERS, PeerRun, peer_plan
from dispatch.errors import InputError, SolverError


def _pyvrp() -> Any:
    try:
        import pyvrp
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise SolverError("pyvrp is not installed (pip install 'noriai[bench]')") from exc
    if not hasattr(pyvrp, "Shipment"):  # pragma: no cover - depends on the environment
        raise SolverError(
            f"pyvrp {getattr(pyvrp, '__version__', '?')} has no shipments (paired pickup "
            "and delivery): it needs pyvrp >= 0.14 (pip install 'noriai[bench]')"
        )
    return pyvrp


def pyvrp_data(instance: BenchInstance) -> Any:
    """A `pyvrp.ProblemData` for a PDPTW `instance`: one shipment per request, in the
    order of ``instance.pairs``; locations = the problem's matrix locations.

    Returns ``pyvrp.ProblemData``; typed Any since pyvrp is imported on first use.
    """
    pyvrp = _pyvrp()
    if instance.format not in PEERS["pyvrp"].formats:
        raise InputError(
            f"{instance.name}: the PyVRP runner handles {', '.join(PEERS['pyvrp'].formats)} "
            f"instances only, not {instance.format} (no ride-time limits)"
        )
    problem = instance.problem
    n_loc = problem.time_s.shape[0]
    # Coordinates are for PyVRP's neighbourhoods and plots only; the matrices decide.
    xy = instance.coords if len(instance.coords) == n_loc else np.zeros((n_loc, 2))
    locations = [pyvrp.Location(x=float(x), y=float(y)) for x, y in xy]
    depot_of: dict[int, int] = {}
    for vehicle in problem.vehicles:
        for loc in (vehicle.start, vehicle.end):
            depot_of.setdefault(int(loc), len(depot_of))
    depots = [pyvrp.Depot(location=loc) for loc in depot_of]
    types: dict[tuple, int] = {}
    for vehicle in problem.vehicles:
        key = (
            depot_of[int(vehicle.start)],
            depot_of[int(vehicle.end)],
            vehicle.earliest_departure,
            vehicle.shift.end,
            vehicle.capacity[0],
            vehicle.fixed_cost,
            vehicle.max_duration_s,
        )
        types[key] = types.get(key, 0) + 1
    vehicle_types = []
    for (start, end, early, late, capacity, fixed, max_duration), count in types.items():
        extra = {} if max_duration is None else {"shift_duration": int(max_duration)}
        vehicle_types.append(
            pyvrp.VehicleType(
                num_available=count,
                capacity=[int(capacity)],
                start_depot=start,
                end_depot=end,
                fixed_cost=int(fixed),
                tw_early=int(early),
                tw_late=int(late),
                unit_distance_cost=1,
                unit_duration_cost=0,
                **extra,
            )
        )
    shipments = []
    for task in problem.tasks:
        pickup, dropoff = task.pickup, task.dropoff
        assert pickup is not None
        shipments.append(
            pyvrp.Shipment(
                pickup_location=int(pickup.location),
                delivery_location=int(dropoff.location),
                pickup_tw_early=pickup.window.start,
                pickup_tw_late=pickup.window.end,
                pickup_service_duration=pickup.service_s,
                delivery_tw_early=dropoff.window.start,
                delivery_tw_late=dropoff.window.end,
                delivery_service_duration=dropoff.service_s,
                amount=[int(task.load[0])],
                name=task.id,
            )
        )
    return pyvrp.ProblemData(
        locations=locations,
        clients=[],
        depots=depots,
        vehicle_types=vehicle_types,
        distance_matrices=[np.asarray(problem.distance_m, dtype=np.int64)],
        duration_matrices=[np.asarray(problem.time_s, dtype=np.int64)],
        groups=[],
        shipments=shipments,
    )


def solve_pyvrp(instance: BenchInstance, time_limit_s: float, *, seed: int = 0) -> PeerRun:
    """Solve `instance` with PyVRP (its default iterated local search, `seed`, stopped
    after `time_limit_s` seconds) and rebuild its best solution's routes as our `Plan`."""
    pyvrp = _pyvrp()
    from pyvrp.stop import MaxRuntime

    if time_limit_s <= 0:
        raise InputError(f"time limit must be > 0 s, got {time_limit_s}")
    data = pyvrp_data(instance)
    started = time.perf_counter()
    result = pyvrp.solve(
        data, MaxRuntime(time_limit_s), seed=seed, collect_stats=False, display=False
    )
    seconds = time.perf_counter() - started
    best = result.best
    routes = []
    for route in best.routes():
        nodes = []
        for activity in route.schedule():
            if activity.is_pickup():
                nodes.append(instance.pairs[activity.idx][0])
            elif activity.is_delivery():
                nodes.append(instance.pairs[activity.idx][1])
        routes.append(nodes)
    # Its own objective (fixed + distance cost), also when infeasible (result.cost()
    # is inf then): the checker, not this figure, says whether the plan counts.
    cost = int(best.fixed_vehicle_cost() + best.distance_cost())
    stats = {"pyvrp_feasible": bool(best.is_feasible()), "seed": seed}
    return peer_plan(instance, "pyvrp", routes, seconds=seconds, peer_cost=cost, stats=stats)
