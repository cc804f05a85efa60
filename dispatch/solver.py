"""`solve`: one entry point, two engines; and the OR-Tools routing core.

`solve` runs the native engine (`dispatch.native`, C++) by default, for every problem
the model can state: benchmarks, live re-optimisation with locks, riders on board and
driver breaks, warm starts, every stopping criterion. ``SearchConfig(engine="ortools")``
selects OR-Tools instead; when the native module is not built, `solve` warns once and
uses OR-Tools. Each plan says which engine produced it in ``stats["engine"]``
("native", "ortools", "initial" when the warm start was kept, "none" when there was
nothing to route).

Stopping criteria on the native engine: `MaxRuntime` and `NoImprovement` as wall-clock
limits; `FirstSolution` returns the construction (greedy insertion, then at most
`FIRST_SOLUTION_STEPS` ejection steps per request for what did not fit), without
local search; `SolutionLimit(n)` stops the large neighbourhood search at its n-th
improvement of the best plan or after `ITERATIONS_PER_SOLUTION` x n iterations,
whichever comes first, with route minimisation and the construction's ejections held
to the same number of steps. Without a time limit cutting them short, these two give
the same plan for the same seed.

``SearchConfig(threads=2)`` runs two native searches at once (both cores), sharing
their best plans (`dispatch.native`); ``stats["threads"]`` says how many ran. The time
limit is wall clock, as with one. With more than one thread a seed no longer gives one
plan bit for bit, whatever the stop; OR-Tools ignores ``threads`` (one thread).
``SearchConfig(restarts=n)`` runs the native search n times and recombines the routes of
all runs (`dispatch.recombine`); dial-a-ride days restart three times by default
(``stats["restarts"]``; ``stats["recombined"]``: the cost saved after the runs, by the
recombination and the cool runs from its plans, ``stats["warm_runs"]``).

The only module that imports OR-Tools routing. It turns a `Problem` into a RoutingModel:

- nodes: one start and one end node per vehicle, then a pickup and a dropoff node per
  request (only a dropoff for a request already on board, one node for a visit);
- a time dimension whose transit is service time + travel time, cumul = service start,
  slack = waiting; windows, shifts, route-duration limits (span upper bounds), driver
  breaks (break intervals with visit transits) and max ride time (a constraint between
  the two cumuls of a pair);
- one capacity dimension per load dimension that any request uses;
- same vehicle and precedence per pair (a visit is a single optional node),
  allowed vehicles for features/pins/capacity,
  locks as fixed `Next` arcs from the vehicle's start;
- cost in milli-yen: per-km arc costs per vehicle, per-second span costs (operating
  time), fixed costs, and a priority-scaled penalty for each unserved request.

Excess ride time is part of the plan's reported cost, but OR-Tools' search has no term
for it: finalizers push pickups late and dropoffs early once a sequence is fixed.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from ortools.constraint_solver import pywrapcp, routing_enums_pb2
from ortools.util import optional_boolean_pb2

from dispatch import native
from dispatch.errors import InputError, SolverError
from dispatch.insertion import construct, to_plan
from dispatch.model import DIMENSIONS, Problem, StopKind, Task
from dispatch.result import (
    REQUEST_STEPS,
    Plan,
    Route,
    StepKind,
    Unassigned,
    UnassignedReason,
    Visit,
    build_plan,
    build_route,
    load_sign,
)
from dispatch.screening import compatible, screen
from dispatch.stop import MaxRuntime, StopCriterion

logger = logging.getLogger(__name__)

#: Internal cost unit: milli-yen, so per-metre and per-second costs stay integral.
COST_SCALE = 1000
#: Engines `solve` can run (`SearchConfig.engine`).
ENGINES = ("native", "ortools")
#: `SolutionLimit(n)` on the native engine: at most this many LNS iterations per solution.
ITERATIONS_PER_SOLUTION = 25
#: `FirstSolution` on the native engine: ejection steps per request for construction.
FIRST_SOLUTION_STEPS = 20
#: A time limit for the native engine when the stop has none (patience or counts end it).
UNLIMITED_S = 1e6

_warned_missing = False


@dataclass(frozen=True, slots=True)
class SearchConfig:
    """Which engine, and its knobs. Defaults suit pickup-and-delivery with time windows.

    ``engine`` is "native" (default) or "ortools"; the other fields up to ``min_attempt_s``
    tune OR-Tools, ``native_params`` the native search.
    """

    engine: str = "native"
    first_solution: str = "PARALLEL_CHEAPEST_INSERTION"
    metaheuristic: str = "GUIDED_LOCAL_SEARCH"
    guided_local_search_lambda: float = 0.1
    #: share of each node's nearest neighbours that local search operators consider
    neighbors_ratio: float = 1.0
    #: OR-Tools local search operators to switch on beyond the defaults (``use_*`` names)
    extra_operators: tuple[str, ...] = ()
    use_finalizers: bool = True
    #: start OR-Tools from our own cheapest-insertion plan (ride-time aware) instead
    #: of its first-solution strategy; either way that plan is the fallback
    warm_start: bool = False
    #: empty the smallest route and re-insert its requests elsewhere, while time
    #: lasts; None = when vehicles have fixed costs and the stop is a time limit
    eliminate_routes: bool | None = None
    #: share of a time limit for the first search (then: routes eliminated, polish)
    first_phase_share: float = 0.3
    #: share of the remaining time one elimination attempt may take, and its floor
    attempt_share: float = 0.25
    min_attempt_s: float = 0.3
    #: older switch, still read from ``--config``: False = engine "ortools", True = the
    #: native engine and an error if it is not built; None = follow ``engine``
    native: bool | None = None
    #: share of a time limit for the native search; the rest polishes with OR-Tools
    native_share: float = 1.0
    #: knobs of the native search (`dispatch.native`), e.g. {"route_min_share": 0.5}
    native_params: dict[str, Any] | None = None
    #: the native engine lets a driver's break fall anywhere on its leg, before or
    #: after the drive to the next stop (the plan's and the checker's rule, and
    #: OR-Tools'); False: only where the vehicle served, as `dispatch.schedule` times
    #: the live day (whose re-optimisation asks for that)
    breaks_on_legs: bool = True
    #: native searches run at once in threads, sharing their best plans (2: both cores
    #: of a two-core machine); 1 is one search, reproducible for a seed; more are not
    threads: int = 1
    #: native runs from other seeds whose routes are recombined (`dispatch.recombine`,
    #: fast mode only); None: three on dial-a-ride days (binding ride limits or duration
    #: caps) of 3 s and more, else one (`dispatch.native.restarts_for`)
    restarts: int | None = None

    def __post_init__(self) -> None:
        if self.engine not in ENGINES:
            raise InputError(f"SearchConfig: engine must be one of {ENGINES}, got {self.engine!r}")
        native.check_threads(self.threads, "SearchConfig: threads")
        if self.restarts is not None:
            native.check_restarts(self.restarts, "SearchConfig: restarts")
        if not 0.0 < self.native_share <= 1.0:
            raise InputError(
                f"SearchConfig: native_share must be in (0, 1], got {self.native_share!r}"
            )

    @property
    def chosen_engine(self) -> str:
        """The engine asked for, with the older ``native`` switch applied."""
        if self.native is False:
            return "ortools"
        if self.native:
            return "native"
        return self.engine


@dataclass(slots=True)
class _Nodes:
    """Parallel arrays describing every routing node."""

    location: np.ndarray
    service: np.ndarray
    task: list[Task | None]
    kind: list[StepKind]
    starts: list[int]  # per vehicle: its start node
    ends: list[int]  # per vehicle: its end node
    first_task: int  # nodes before this are depots


def _build_nodes(
    problem: Problem, tasks: list[Task]
) -> tuple[_Nodes, dict[tuple[str, StopKind], int]]:
    """Depot nodes are shared by vehicles at the same place: OR-Tools' local search is
    several times faster with one depot node than with a copy per vehicle."""
    depots: dict[int, int] = {}
    for v in problem.vehicles:
        depots.setdefault(v.start, len(depots))
        depots.setdefault(v.end, len(depots))
    loc = list(depots)
    service = [0] * len(loc)
    node_task: list[Task | None] = [None] * len(loc)
    kind = [StepKind.START] * len(loc)
    where: dict[tuple[str, StopKind], int] = {}
    for task in tasks:
        for stop_kind in task.stop_kinds:
            spec = task.stop(stop_kind)
            assert spec is not None
            where[(task.id, stop_kind)] = len(loc)
            loc.append(spec.location)
            service.append(spec.service_s)
            node_task.append(task)
            kind.append(StepKind(stop_kind.value))
    nodes = _Nodes(
        np.asarray(loc, dtype=np.int64),
        np.asarray(service, dtype=np.int64),
        node_task,
        kind,
        starts=[depots[v.start] for v in problem.vehicles],
        ends=[depots[v.end] for v in problem.vehicles],
        first_task=len(depots),
    )
    return nodes, where


class _Model:
    """A Problem compiled into an OR-Tools RoutingModel."""

    def __init__(self, problem: Problem, tasks: list[Task], config: SearchConfig) -> None:
        self.problem = problem
        self.tasks = tasks
        self.config = config
        n_v = len(problem.vehicles)
        self.nodes, self.where = _build_nodes(problem, tasks)
        n = len(self.nodes.location)
        self.manager = pywrapcp.RoutingIndexManager(n, n_v, self.nodes.starts, self.nodes.ends)
        self.routing = pywrapcp.RoutingModel(self.manager)
        self.solver = self.routing.solver()
        self.break_intervals: dict[int, list[tuple[str, object]]] = {}
        self._arc_costs()
        self._time_dimension()
        self._capacity_dimensions()
        self._pairs_and_penalties()
        self._locks()

    # -- building -----------------------------------------------------------
    def index(self, node: int) -> int:
        return self.manager.NodeToIndex(node)

    def _sub(self, matrix: np.ndarray) -> np.ndarray:
        loc = self.nodes.location
        return matrix[np.ix_(loc, loc)]

    def _arc_costs(self) -> None:
        dist = self._sub(self.problem.distance_m)
        by_rate: dict[int, int] = {}
        for v_idx, vehicle in enumerate(self.problem.vehicles):
            rate = vehicle.cost_per_km  # yen/km == milli-yen/m
            if rate not in by_rate:
                by_rate[rate] = self.routing.RegisterTransitMatrix((dist * rate).tolist())
            self.routing.SetArcCostEvaluatorOfVehicle(by_rate[rate], v_idx)
            if vehicle.fixed_cost:
                self.routing.SetFixedCostOfVehicle(vehicle.fixed_cost * COST_SCALE, v_idx)

    def _time_dimension(self) -> None:
        p = self.problem
        transit = self._sub(p.time_s) + self.nodes.service[:, None]
        cb = self.routing.RegisterTransitMatrix(transit.tolist())
        self.routing.AddDimension(cb, p.horizon_s, p.horizon_s, False, "time")
        self.time = self.routing.GetDimensionOrDie("time")
        # a break may not overlap a stop's service: OR-Tools reads these per variable
        # index (a vehicle's start and end have indices of their own), not per node
        visit_transits = [
            int(self.nodes.service[self.manager.IndexToNode(i)])
            for i in range(self.routing.Size() + self.routing.vehicles())
        ]
        for v_idx, vehicle in enumerate(p.vehicles):
            start, end = self.routing.Start(v_idx), self.routing.End(v_idx)
            shift_end = min(vehicle.shift.end, p.horizon_s)
            self.time.CumulVar(start).SetRange(vehicle.earliest_departure, shift_end)
            self.time.CumulVar(end).SetRange(vehicle.earliest_departure, shift_end)
            if vehicle.max_duration_s is not None:
                self.time.SetSpanUpperBoundForVehicle(vehicle.max_duration_s, v_idx)
            coef = round(vehicle.cost_per_hour * COST_SCALE / 3600)
            if coef:
                self.time.SetSpanCostCoefficientForVehicle(coef, v_idx)
            if vehicle.breaks:
                intervals = []
                for b in vehicle.breaks:
                    iv = self.solver.FixedDurationIntervalVar(
                        b.window.start,
                        b.window.end,
                        b.duration_s,
                        False,
                        f"break {vehicle.id} {b.id}",
                    )
                    intervals.append((b.id, iv))
                    self.routing.AddIntervalToAssignment(iv)
                self.time.SetBreakIntervalsOfVehicle(
                    [iv for _, iv in intervals], v_idx, visit_transits
                )
                self.break_intervals[v_idx] = intervals
        for node in range(self.nodes.first_task, len(self.nodes.location)):
            task = self.nodes.task[node]
            assert task is not None
            spec = task.pickup if self.nodes.kind[node] is StepKind.PICKUP else task.dropoff
            assert spec is not None
            self.time.CumulVar(self.index(node)).SetRange(spec.window.start, spec.window.end)
        for v_idx in range(len(p.vehicles)):
            self.routing.AddVariableMinimizedByFinalizer(
                self.time.CumulVar(self.routing.End(v_idx))
            )
            self.routing.AddVariableMaximizedByFinalizer(
                self.time.CumulVar(self.routing.Start(v_idx))
            )

    def _capacity_dimensions(self) -> None:
        p = self.problem
        for d, name in enumerate(DIMENSIONS):
            if not any(t.load[d] for t in self.tasks):
                continue
            demand = [0] * len(self.nodes.location)
            for node, task in enumerate(self.nodes.task):
                if task is not None:
                    demand[node] = load_sign(self.nodes.kind[node]) * task.load[d]
            cb = self.routing.RegisterUnaryTransitVector(demand)
            caps = [v.capacity[d] for v in p.vehicles]
            self.routing.AddDimensionWithVehicleCapacity(cb, 0, caps, False, name)
            dim = self.routing.GetDimensionOrDie(name)
            for v_idx, vehicle in enumerate(p.vehicles):
                initial = p.initial_load(vehicle.id)[d]
                dim.CumulVar(self.routing.Start(v_idx)).SetValue(initial)

    def _pairs_and_penalties(self) -> None:
        p = self.problem
        locked = {(ref.request_id, ref.kind) for refs in p.locked.values() for ref in refs}
        for task in self.tasks:
            d_idx = self.index(self.where[(task.id, task.last_stop)])
            allowed = [i for i, v in enumerate(p.vehicles) if compatible(v, task)]
            nodes = [d_idx]
            if task.pickup is not None:
                p_idx = self.index(self.where[(task.id, StopKind.PICKUP)])
                nodes.insert(0, p_idx)
                self.routing.AddPickupAndDelivery(p_idx, d_idx)
                self.solver.Add(self.routing.VehicleVar(p_idx) == self.routing.VehicleVar(d_idx))
                # precedence follows from the pair (the pickup's transit is >= 0); a ride
                # limit that the windows already imply would only slow the search down
                slack = task.dropoff.window.end - task.pickup.window.start - task.pickup.service_s
                if task.max_ride_s is not None and task.max_ride_s < slack:
                    self.solver.Add(
                        self.time.CumulVar(d_idx)
                        <= self.time.CumulVar(p_idx) + task.pickup.service_s + task.max_ride_s
                    )
                if self.config.use_finalizers and task.kind == "ride":
                    self.routing.AddVariableMaximizedByFinalizer(self.time.CumulVar(p_idx))
            elif task.max_ride_s is not None:
                assert task.onboard is not None
                self.time.CumulVar(d_idx).SetMax(
                    min(task.dropoff.window.end, task.onboard.pickup_departed_at + task.max_ride_s)
                )
            if self.config.use_finalizers and task.kind == "ride":
                self.routing.AddVariableMinimizedByFinalizer(self.time.CumulVar(d_idx))
            if len(allowed) < len(p.vehicles):
                # SetAllowedVehiclesForIndex's SWIG wrapper rejects Python lists in
                # OR-Tools 9.15, so the vehicle variable's domain is cut instead.
                banned = [i for i in range(len(p.vehicles)) if i not in set(allowed)]
                for idx in nodes:
                    self.routing.VehicleVar(idx).RemoveValues(banned)
            is_locked = any((task.id, k) in locked for k in StopKind)
            if not is_locked:
                # Onboard riders must be delivered: they are dropped only as a last resort.
                weight = 10 if task.onboard is not None else 1
                penalty = p.weights.unassigned_penalty * task.priority * COST_SCALE * weight
                for idx in nodes:
                    self.routing.AddDisjunction([idx], max(1, penalty // len(nodes)))

    def _locks(self) -> None:
        p = self.problem
        for v_idx, vehicle in enumerate(p.vehicles):
            refs = p.locked.get(vehicle.id, ())
            prev = self.routing.Start(v_idx)
            for ref in refs:
                idx = self.index(self.where[(ref.request_id, ref.kind)])
                self.solver.Add(self.routing.NextVar(prev) == idx)
                prev = idx
            if vehicle.id in p.closed_vehicles:
                self.solver.Add(self.routing.NextVar(prev) == self.routing.End(v_idx))

    # -- solving ------------------------------------------------------------
    def search_parameters(self, stop: StopCriterion) -> pywrapcp.DefaultRoutingSearchParameters:
        params = pywrapcp.DefaultRoutingSearchParameters()
        params.first_solution_strategy = getattr(
            routing_enums_pb2.FirstSolutionStrategy, self.config.first_solution
        )
        if stop.first_solution:
            params.solution_limit = 1
        else:
            params.local_search_metaheuristic = getattr(
                routing_enums_pb2.LocalSearchMetaheuristic, self.config.metaheuristic
            )
            params.guided_local_search_lambda_coefficient = self.config.guided_local_search_lambda
            params.ls_operator_neighbors_ratio = self.config.neighbors_ratio
            for name in self.config.extra_operators:
                setattr(params.local_search_operators, name, optional_boolean_pb2.BOOL_TRUE)
            if stop.solution_limit is not None:
                params.solution_limit = stop.solution_limit
        if stop.max_runtime_s is not None:
            params.time_limit.FromMilliseconds(max(1, int(stop.max_runtime_s * 1000)))
        return params

    def initial_routes(self, plan: Plan) -> list[list[int]]:
        routes: list[list[int]] = [[] for _ in self.problem.vehicles]
        position = {v.id: i for i, v in enumerate(self.problem.vehicles)}
        for route in plan.routes:
            if route.vehicle_id not in position:
                continue
            for step in route.steps:
                if step.kind in REQUEST_STEPS and step.request_id is not None:
                    node = self.where.get((step.request_id, StopKind(step.kind.value)))
                    if node is not None:
                        routes[position[route.vehicle_id]].append(self.index(node))
        return routes

    def run(
        self, stop: StopCriterion, initial: Plan | None, *, until_complete: bool = False
    ) -> tuple[pywrapcp.Assignment | None, dict]:
        """Search; with `until_complete`, stop at the first plan serving every request."""
        params = self.search_parameters(stop)
        last_improvement = [time.monotonic()]
        best = [None]
        complete = [False]
        task_indices = [
            self.index(node) for node in range(self.nodes.first_task, len(self.nodes.location))
        ]

        def on_solution() -> None:
            cost = self.routing.CostVar().Value()
            if best[0] is None or cost < best[0]:
                best[0] = cost
                last_improvement[0] = time.monotonic()
            if until_complete:
                complete[0] = all(self.routing.ActiveVar(i).Value() for i in task_indices)

        self.routing.AddAtSolutionCallback(on_solution)
        if stop.no_improvement_s is not None or until_complete:
            patience = stop.no_improvement_s or float("inf")
            limit = self.solver.CustomLimit(
                lambda: complete[0] or time.monotonic() - last_improvement[0] > patience
            )
            self.routing.AddSearchMonitor(limit)
        started = time.monotonic()
        solution = None
        warm = False
        if initial is not None:
            self.routing.CloseModelWithParameters(params)
            start_assignment = self.routing.ReadAssignmentFromRoutes(
                self.initial_routes(initial), True
            )
            if start_assignment is not None:
                warm = True
                solution = self.routing.SolveFromAssignmentWithParameters(start_assignment, params)
        if solution is None and not warm:
            solution = self.routing.SolveWithParameters(params)
        stats = {
            "solver": "ortools",
            "status": str(self.routing.status()),
            "warm_start": warm,
            "solve_seconds": round(time.monotonic() - started, 3),
        }
        return solution, stats

    def extract(self, solution: pywrapcp.Assignment) -> tuple[list[Route], list[str]]:
        """Routes from an assignment, and ids of requests it left unperformed."""
        p = self.problem
        routes: list[Route] = []
        served: set[str] = set()
        for v_idx, vehicle in enumerate(p.vehicles):
            idx = self.routing.Start(v_idx)
            departure = solution.Value(self.time.CumulVar(idx))
            visits: list[Visit] = []
            idx = solution.Value(self.routing.NextVar(idx))
            while not self.routing.IsEnd(idx):
                node = self.manager.IndexToNode(idx)
                task = self.nodes.task[node]
                visits.append(
                    Visit(self.nodes.kind[node], solution.Value(self.time.CumulVar(idx)), task)
                )
                served.add(task.id)  # type: ignore[union-attr]
                idx = solution.Value(self.routing.NextVar(idx))
            if not visits:
                continue
            visits = self._place_breaks(solution, v_idx, departure, visits)
            routes.append(build_route(p, vehicle, departure, visits))
        unperformed = [t.id for t in self.tasks if t.id not in served]
        return routes, unperformed

    def _place_breaks(
        self, solution: pywrapcp.Assignment, v_idx: int, departure: int, visits: list[Visit]
    ) -> list[Visit]:
        """Insert break visits between the stops whose gap OR-Tools put them in."""
        placed = list(visits)
        for break_id, interval in self.break_intervals.get(v_idx, []):
            start = solution.StartValue(interval)
            if start < departure:
                continue  # taken at the depot before the route starts
            pos = len(placed)
            for i, v in enumerate(placed):
                if v.kind is not StepKind.BREAK and v.start > start:
                    pos = i
                    break
            if pos == len(placed) and placed and start >= placed[-1].start:
                # after the last stop: inside the drive home, or after the route ends
                last = placed[-1]
                spec = last.task.pickup if last.kind is StepKind.PICKUP else last.task.dropoff  # type: ignore[union-attr]
                vehicle = self.problem.vehicles[v_idx]
                end_arrival = (
                    last.start
                    + spec.service_s
                    + int(self.problem.time_s[spec.location, vehicle.end])
                )  # type: ignore[union-attr]
                if start >= end_arrival:
                    continue
            placed.insert(pos, Visit(StepKind.BREAK, start, None, break_id))
        return placed


def solve(
    problem: Problem,
    stop: StopCriterion | None = None,
    *,
    seed: int = 0,
    initial: Plan | None = None,
    config: SearchConfig | None = None,
    on_progress: Callable[[str], None] | None = None,
) -> Plan:
    """Assign requests to vehicles; requests that cannot be served come back unassigned.

    Parameters
    ----------
    problem : the instance (matrices in seconds and metres).
    stop : when to stop searching; default ``MaxRuntime(5)``. With a solution limit
        or a first-solution stop and no time limit cutting it short, the result is
        deterministic for a seed (see the module docstring for what they count).
    seed : seeds the native search and our own construction; OR-Tools' search itself
        is deterministic.
    initial : a plan of this problem to warm-start from (e.g. the live plan); the
        result is never worse than it, as measured by the plan's cost (the initial
        plan comes back re-timed, ``stats["engine"] == "initial"``, when nothing better
        was found).
    config : the engine (`SearchConfig.engine`, native by default) and its knobs.

    Raises `SolverError` when locked stops cannot be served.
    """
    stop = stop or MaxRuntime(5)
    config = config or SearchConfig()
    started = time.monotonic()
    screened = screen(problem)
    tasks = [t for t in problem.tasks if t.id not in screened]
    locked_ids = {ref.request_id for refs in problem.locked.values() for ref in refs}
    blocked_locks = locked_ids & set(screened)
    if blocked_locks:
        raise SolverError(f"locked requests are infeasible alone: {sorted(blocked_locks)}")
    unassigned = [Unassigned(tid, reason, detail) for tid, (reason, detail) in screened.items()]
    if on_progress:
        on_progress(f"model: {len(tasks)} requests, {len(problem.vehicles)} vehicles")
    if not tasks:
        stats = {"solver": "none", "engine": "none", "solve_seconds": 0.0}
        plan = build_plan(problem, [], unassigned, stats)
        _log(problem, plan)
        return plan
    # one deadline for every phase: construction, search, fallback, polish
    deadline = None if stop.max_runtime_s is None else started + stop.max_runtime_s
    if _engine(problem, config) == "native":
        plan = _native_phase(problem, tasks, unassigned, stop, deadline, seed, initial, config)
        if config.native_share < 1.0 and deadline is not None:
            plan = _polish(problem, tasks, plan, deadline, config)
        plan.stats["total_seconds"] = round(time.monotonic() - started, 3)
        _log(problem, plan)
        return plan
    plan = _ortools(problem, tasks, unassigned, stop, deadline, seed, initial, config, locked_ids)
    plan.stats["total_seconds"] = round(time.monotonic() - started, 3)
    _log(problem, plan)
    return plan


def _engine(problem: Problem, config: SearchConfig) -> str:
    """The engine that will run: the one asked for, or OR-Tools when the native module
    is missing (a warning, once per process; an error when native was required)."""
    global _warned_missing
    engine = config.chosen_engine
    if engine != "native":
        return engine
    reason = native.unsupported(problem)
    if reason is None:
        return "native"
    if config.native:
        raise SolverError(f"native search requested but not possible: {reason}")
    if not _warned_missing:
        logger.warning("%s: solving with OR-Tools instead", reason)
        _warned_missing = True
    return "ortools"


def _ortools(
    problem: Problem,
    tasks: list[Task],
    unassigned: list[Unassigned],
    stop: StopCriterion,
    deadline: float | None,
    seed: int,
    initial: Plan | None,
    config: SearchConfig,
    locked_ids: set[str],
) -> Plan:
    """The OR-Tools engine: one search, or phases when vehicles carry fixed costs."""
    constructed = None
    if initial is None and config.warm_start:
        constructed = _construct(problem, seed, deadline)
        initial = constructed
    eliminate = _should_eliminate_routes(problem, stop, config)
    # Phased search when vehicles carry fixed costs (time limits only): OR-Tools' own
    # start for a share of the time, then the better of that and our insertion plan
    # has routes eliminated and is polished for the rest. Otherwise one search runs
    # the whole time (a restart loses guided local search's penalties: on the Cordeau
    # a-series at 30 s, phasing gave a mean gap of 2.17 %, one search 1.95 %).
    phased = eliminate and initial is None and stop.solution_limit is None
    first_stop = stop
    if phased:
        assert stop.max_runtime_s is not None
        first_stop = StopCriterion(
            max_runtime_s=stop.max_runtime_s * config.first_phase_share,
            no_improvement_s=stop.no_improvement_s,
        )
    elif deadline is not None:
        first_stop = replace(stop, max_runtime_s=max(0.05, deadline - time.monotonic()))
    model = _Model(problem, tasks, config)
    solution, stats = model.run(first_stop, initial)
    stats["engine"] = "ortools"
    if solution is None:
        if locked_ids:
            raise SolverError(
                "no plan satisfies the locked routes; check them with dispatch.check"
                f" (status {stats['status']})"
            )
        routes, dropped = [], [t.id for t in tasks]
    else:
        routes, dropped = model.extract(solution)
    unassigned = unassigned + [Unassigned(tid, UnassignedReason.NOT_SELECTED) for tid in dropped]
    plan = build_plan(problem, routes, unassigned, stats)
    if initial is not None and _same_requests(problem, initial):
        rebuilt = _recost(problem, initial)
        if rebuilt is not None and rebuilt.summary.cost < plan.summary.cost:
            engine = "initial" if initial is not constructed else "ortools"
            plan = _restat(rebuilt, {**stats, "kept": "initial", "engine": engine})
    if dropped and constructed is None and not locked_ids:
        constructed = _construct(problem, seed, deadline)
        if constructed.summary.cost < plan.summary.cost:
            plan = _restat(constructed, {**stats, "kept": "insertion"})
    if phased and deadline is not None:
        plan = _eliminate_routes(problem, tasks, plan, deadline, config)
        plan = _polish(problem, tasks, plan, deadline, config)
    return plan


def _native_params(stop: StopCriterion, n_tasks: int, config: SearchConfig) -> dict[str, Any]:
    """The native search's knobs for `stop` (counted stops: see the module docstring)."""
    params: dict[str, Any] = {}
    if stop.first_solution:
        params.update(
            lns_iterations=0, minimize_routes=False, ges_steps=FIRST_SOLUTION_STEPS * n_tasks
        )
    elif stop.solution_limit is not None:
        n = stop.solution_limit
        params.update(
            lns_iterations=ITERATIONS_PER_SOLUTION * n,
            improvement_limit=n,
            ges_steps=ITERATIONS_PER_SOLUTION * n,
        )
    params.update(config.native_params or {})
    return params


def _native_phase(
    problem: Problem,
    tasks: list[Task],
    screened: list[Unassigned],
    stop: StopCriterion,
    deadline: float | None,
    seed: int,
    initial: Plan | None,
    config: SearchConfig,
) -> Plan:
    """The native search for its share of the time left; its plan, timed in Python;
    the initial plan (re-timed) instead when that costs less."""
    left = UNLIMITED_S if deadline is None else max(0.0, deadline - time.monotonic())
    warm = initial if initial is not None and _same_requests(problem, initial) else None
    result = native.solve_native(
        problem,
        tasks,
        left * config.native_share,
        seed=seed,
        threads=config.threads,
        params=_native_params(stop, len(tasks), config),
        patience_s=stop.no_improvement_s,
        initial=warm,
        legs=config.breaks_on_legs,
        restarts=config.restarts,
    )
    unassigned = screened + [
        Unassigned(t.id, UnassignedReason.NOT_SELECTED) for t in result.left_out
    ]
    stats = {"solver": "native", "engine": "native", "status": "native", **result.stats}
    plan = build_plan(problem, result.routes, unassigned, stats)
    if warm is not None:
        rebuilt = _recost(problem, warm)
        if rebuilt is not None and rebuilt.summary.cost < plan.summary.cost - 1e-9:
            plan = _restat(rebuilt, {**stats, "kept": "initial", "engine": "initial"})
    return plan


def _polish(
    problem: Problem, tasks: list[Task], plan: Plan, deadline: float, config: SearchConfig
) -> Plan:
    """Local search from `plan` until the deadline; keeps `plan` if nothing better."""
    left = deadline - time.monotonic()
    if left < 0.05:
        return plan
    model = _Model(problem, tasks, config)
    solution, _ = model.run(MaxRuntime(left), plan)
    if solution is None:
        return plan
    routes, dropped = model.extract(solution)
    polished = build_plan(
        problem,
        routes,
        _proven(plan) + [Unassigned(t, UnassignedReason.NOT_SELECTED) for t in dropped],
        plan.stats,
    )
    return polished if polished.summary.cost < plan.summary.cost else plan


def _restat(plan: Plan, stats: dict) -> Plan:
    return Plan(plan.summary, plan.routes, plan.unassigned, stats)


def _should_eliminate_routes(problem: Problem, stop: StopCriterion, config: SearchConfig) -> bool:
    """Route elimination pays when vehicles carry a fixed cost and time is the budget."""
    if config.eliminate_routes is not None:
        return config.eliminate_routes and stop.max_runtime_s is not None
    return (
        stop.max_runtime_s is not None
        and not stop.first_solution
        and not problem.locked
        and not any(t.onboard for t in problem.tasks)
        and any(v.fixed_cost > 0 for v in problem.vehicles)
    )


def _eliminate_routes(
    problem: Problem, tasks: list[Task], plan: Plan, deadline: float, config: SearchConfig
) -> Plan:
    """Empty the smallest route and re-insert its requests on the other vehicles.

    Repeats while it succeeds and time is left; each attempt gets a slice of the
    remaining time and stops as soon as every request is served again.
    """
    failures: set[frozenset[str]] = set()
    while True:
        left = deadline - time.monotonic()
        if left < config.min_attempt_s or plan.summary.unassigned > len(_proven(plan)):
            return plan
        candidates = sorted(
            (r for r in plan.routes if not r.is_empty and frozenset(r.request_ids) not in failures),
            key=lambda r: (len(r.request_ids), r.distance_m),
        )
        if len(candidates) < 2:
            return plan
        victim = candidates[0]
        keep = [r for r in plan.routes if r.vehicle_id != victim.vehicle_id and not r.is_empty]
        kept_ids = {r.vehicle_id for r in keep}
        sub = problem.with_changes(vehicles=tuple(v for v in problem.vehicles if v.id in kept_ids))
        model = _Model(sub, tasks, config)
        budget = min(left, max(config.min_attempt_s, left * config.attempt_share))
        partial = Plan(plan.summary, tuple(keep), plan.unassigned, plan.stats)
        solution, _ = model.run(MaxRuntime(budget), partial, until_complete=True)
        if solution is not None:
            routes, dropped = model.extract(solution)
            if not dropped:
                screened = [
                    u for u in plan.unassigned if u.reason is not UnassignedReason.NOT_SELECTED
                ]
                stats = {
                    **plan.stats,
                    "routes_eliminated": plan.stats.get("routes_eliminated", 0) + 1,
                }
                plan = build_plan(problem, routes, screened, stats)
                continue
        failures.add(frozenset(victim.request_ids))


def _proven(plan: Plan) -> list[Unassigned]:
    """The unassigned requests whose reason is a proof (not merely "not selected")."""
    return [u for u in plan.unassigned if u.reason is not UnassignedReason.NOT_SELECTED]


def _construct(problem: Problem, seed: int, deadline: float | None = None) -> Plan:
    routes, unassigned = construct(problem, seed=seed, deadline=deadline)
    return to_plan(problem, routes, unassigned, {"solver": "insertion"})


def _same_requests(problem: Problem, plan: Plan) -> bool:
    ids = {t.id for t in problem.tasks}
    in_plan = {u.request_id for u in plan.unassigned} | {
        rid for r in plan.routes for rid in r.request_ids
    }
    return ids == in_plan


def _recost(problem: Problem, plan: Plan) -> Plan | None:
    """The initial plan re-built against this problem (same times), or None if unknown ids."""
    by_id = {t.id: t for t in problem.tasks}
    routes = []
    for r in plan.routes:
        try:
            vehicle = problem.vehicle(r.vehicle_id)
        except KeyError:
            return None
        visits = []
        for s in r.steps:
            if s.kind in REQUEST_STEPS:
                visits.append(Visit(s.kind, s.service_start, by_id[s.request_id]))  # type: ignore[index]
            elif s.kind is StepKind.BREAK:
                visits.append(Visit(s.kind, s.service_start, None, s.break_id))
        routes.append(build_route(problem, vehicle, r.steps[0].departure, visits))
    return build_plan(problem, routes, list(plan.unassigned), dict(plan.stats))


def _log(problem: Problem, plan: Plan) -> None:
    s = plan.summary
    logger.info(
        "solve: %d requests, %d vehicles -> served %d, unassigned %d, vehicles used %d, "
        "cost %.0f, %.1f km, %.2f s (%s)",
        len(problem.tasks),
        len(problem.vehicles),
        s.served,
        s.unassigned,
        s.vehicles_used,
        s.cost,
        s.distance_m / 1000,
        plan.stats.get("total_seconds", 0.0),
        plan.stats.get("status", "-"),
    )
