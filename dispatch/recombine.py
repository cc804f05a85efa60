"""Restarts and recombination: the cheapest plan made of routes the searches met.

An annealing search ends in one plan, and a run from another seed in another; each holds
routes better than the rest of its own plan (on Cordeau's dial-a-ride days of 80-96
requests, one 30 s run lands anywhere between 0.5 % and 1.4 % above the best known, by
seed). `restarted` runs the native search several times for a share of the time each,
keeping the routes of every plan it accepted near its best, and `best_partition` then
picks the cheapest plan made of them. A set-partitioning model over the distinct
routes met in near-best plans (each request on exactly one chosen route, at most as many
routes of a vehicle class as it has vehicles) picks the cheapest combination of them —
the matheuristic of route-pool recombination (e.g. Parragh & Schmid 2013 for dial-a-ride).

Solved with OR-Tools' linear solvers: the linear relaxation (GLOP) prices every route,
and a route whose reduced cost exceeds the gap between the incumbent and the relaxation
cannot be in a better plan (reduced-cost fixing, exact). The rest go to SCIP, cutting
planes off (on dial-a-ride pools SCIP's separation rounds cost more time than the whole
tree), from the incumbent, in restricted models that grow: the `FIRST_COLUMNS` routes of
least reduced cost first, and each model solved to the end is followed by a larger one
from its best plan, until the whole pool is proven or the time is up (on the largest
pools SCIP would otherwise spend the whole time at the root of the whole model). The
result is only ever the incumbent or a cheaper plan of the same routes.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ortools.linear_solver import pywraplp

from dispatch.errors import SolverError

logger = logging.getLogger(__name__)

#: SCIP settings for the partitioning model: no cutting planes (see the module docstring)
_SCIP_SETTINGS = "separating/maxrounds = 0\nseparating/maxroundsroot = 0\n"


#: routes one native run keeps for the recombination, at most (`Params::pool`)
POOL_ROUTES = 100_000
#: distinct routes a recombination takes at most (a larger model is skipped: building
#: it alone would take seconds; a dial-a-ride day of 96 requests pools 4,000-9,000)
MAX_COLUMNS = 50_000
#: routes the first restricted partitioning model takes (those of least reduced cost);
#: each model solved to the end is followed by one `GROWTH` times larger. On a pool of
#: 4,600 routes (a8-96) SCIP spends seconds at the root of the whole model (its strong
#: branching on a degenerate relaxation), while models of 500-1,700 routes solve in
#: 0.1-3.6 s and found the plan the whole one took 60 s to find.
FIRST_COLUMNS = 500
GROWTH = 1.5
#: the cold runs' starting temperature (the native `start_temp`, default 0.05; a
#: caller's own `start_temp` wins). Their routes are recombined, so a run needs good
#: routes more than one good plan of its own: Cordeau a8-96 / a8-80 at 30 s, seeds 1-6,
#: mean gap 0.67 / 0.64 % at 0.05, 0.49 / 0.64 % at 0.02, 0.47 / 0.45 % at 0.01, 0.39 /
#: 0.63 % at 0.005, 0.77 / 0.86 % at 0.1; with a7-84 and a6-72 the four averaged 0.32 %
#: at 0.01 and 0.31 % at 0.005 (benchmarks/README.md)
COLD_TEMP = 0.005
#: a recombination that leaves this share of the whole time or more starts a run from its
#: plan, for `WARM_SHARE` of the time left, starting cool (`WARM_TEMP`, the native
#: `start_temp`: a plan this much worse accepted at p = 0.5)
WARM_MIN_SHARE = 0.05
WARM_SHARE = 0.6
WARM_TEMP = 0.005
#: warm runs after the cold ones, at most (runs on a counted budget end early)
MAX_WARM_RUNS = 4
#: seeds of the runs after the first: this far apart (as the threads' seeds)
_SEED_STEP = 0x9E3779B9

#: one native run: (settings, warm start or None) -> the native result dict
NativeRun = Callable[[dict[str, Any], Any], dict[str, Any]]


def restarted(
    run: NativeRun,
    settings: Mapping[str, Any],
    *,
    restarts: int,
    share: float,
    vehicle_class: Sequence[int],
    fixed: Sequence[int],
    penalty: Sequence[int],
    v_early: Sequence[int],
    start: Any = None,
) -> dict[str, Any]:
    """`restarts` runs of the native search (the first from `start`), each for an equal
    part of ``settings["time_limit_s"]`` less `share` of it (starting at `COLD_TEMP`
    unless `settings` say otherwise), then their routes recombined
    in what time is left; a recombination that ends with `WARM_MIN_SHARE` of the time
    or more to spare starts a run from its plan (`WARM_SHARE` of what is left, cool:
    `WARM_TEMP`) whose routes join the pool for the next. The native result dict of the
    best plan found, its counts summed over the runs; ``restarts``, ``warm_runs`` and
    ``recombined`` (the objective saved after the cold runs, 0 when the best of them
    stayed) say what happened."""
    began = time.monotonic()
    total = float(settings["time_limit_s"])
    columns: list[Column] = []
    best: dict[str, Any] = {}
    counts = dict.fromkeys(
        ("lns_iterations", "lns_improvements", "insertion_searches", "eject_searches"), 0
    )

    def take(out: dict[str, Any]) -> None:
        nonlocal best
        for v, cost, seq in out.pop("pool"):
            columns.append(_column(v, cost, seq, vehicle_class, fixed))
        for key in counts:
            counts[key] += out[key]
        if not best or out["objective"] < best["objective"]:
            best = out

    def seed(k: int) -> int:
        return (int(settings.get("seed", 1)) + k * _SEED_STEP) % 2**32

    each = total * (1.0 - share) / restarts
    for k in range(restarts):
        take(
            run(
                {
                    "start_temp": COLD_TEMP,
                    **settings,
                    "time_limit_s": each,
                    "seed": seed(k),
                    "pool": POOL_ROUTES,
                },
                start if k == 0 else None,
            )
        )
    cold = best["objective"]
    warm = 0
    while (left := total - (time.monotonic() - began)) > 0:
        incumbent = _incumbent(best, columns)
        if incumbent is None:
            logger.warning("recombine: the best plan's routes are not all in its pool; kept it")
            break
        found = best_partition(
            columns,
            n_requests=len(penalty),
            class_sizes=Counter(vehicle_class),
            penalty=penalty,
            incumbent=incumbent,
            time_limit_s=left,
        )
        if found is not None:
            best = _plan(best, found, vehicle_class, v_early)
        left = total - (time.monotonic() - began)
        if left < WARM_MIN_SHARE * total or warm == MAX_WARM_RUNS:
            break
        warm += 1
        take(
            run(
                {
                    **settings,
                    "time_limit_s": left * WARM_SHARE,
                    "seed": seed(restarts + warm - 1),
                    "pool": POOL_ROUTES,
                    "start_temp": WARM_TEMP,
                },
                best["routes"],
            )
        )
    return {
        **best,
        **counts,
        "restarts": restarts,
        "warm_runs": warm,
        "recombined": cold - best["objective"],
    }


def _incumbent(best: Mapping[str, Any], columns: Sequence[Column]) -> list[Column] | None:
    """The columns of `best`'s routes (a native run adds its best plan's routes to its
    pool last; a recombined plan is made of columns), None when one is missing."""
    by_seq = {c.seq: c for c in columns}
    used = [tuple(seq) for seq in best["routes"] if seq]
    found = [by_seq[seq] for seq in used if seq in by_seq]
    return found if len(found) == len(used) else None


def _plan(
    best: Mapping[str, Any],
    found: Partition,
    vehicle_class: Sequence[int],
    v_early: Sequence[int],
) -> dict[str, Any]:
    """`best` with the routes of `found`, each on a free vehicle of its class."""
    routes: list[list[int]] = [[] for _ in vehicle_class]
    free = {cls: [v for v, c in enumerate(vehicle_class) if c == cls] for cls in set(vehicle_class)}
    for col in found.columns:
        routes[free[col.vehicle_class].pop(0)] = list(col.seq)
    return {
        **best,
        "routes": routes,
        "starts": list(v_early),
        "on_route": [False] * len(routes),
        "lead_on_route": [False] * len(routes),
        "objective": found.cost,
        "vehicles": len(found.columns),
        "unassigned": len(found.left_out),
    }


def _column(
    v: int, cost: int, seq: Sequence[int], vehicle_class: Sequence[int], fixed: Sequence[int]
) -> Column:
    return Column(
        vehicle_class[v],
        int(cost) + int(fixed[v]),
        tuple(seq),
        frozenset(node // 2 for node in seq),
    )


@dataclass(frozen=True)
class Column:
    """One feasible route: the vehicle class that drives it, what it adds to the
    objective (arcs and the vehicle's fixed cost), and its stops."""

    vehicle_class: int
    cost: int
    seq: tuple[int, ...]
    requests: frozenset[int]


@dataclass(frozen=True)
class Partition:
    """The routes chosen, the requests left out, and the cost of both."""

    columns: tuple[Column, ...]
    left_out: frozenset[int]
    cost: int
    optimal: bool


def partition_cost(
    columns: Iterable[Column], left_out: Iterable[int], penalty: Sequence[int]
) -> int:
    return sum(c.cost for c in columns) + sum(penalty[r] for r in left_out)


def best_partition(
    columns: Iterable[Column],
    *,
    n_requests: int,
    class_sizes: Mapping[int, int],
    penalty: Sequence[int],
    incumbent: Sequence[Column],
    time_limit_s: float,
    first_columns: int = FIRST_COLUMNS,
) -> Partition | None:
    """The cheapest plan of `columns` (with `incumbent`'s routes) when it costs less than
    `incumbent`, else None. A request no chosen route serves pays its `penalty`.
    `first_columns`: the size of the first restricted model (see `FIRST_COLUMNS`)."""
    began = time.monotonic()
    if len(penalty) != n_requests:
        raise SolverError(f"recombine: {len(penalty)} penalties for {n_requests} requests")
    cheapest: dict[tuple[int, frozenset[int]], Column] = {}
    for col in (*incumbent, *columns):
        key = (col.vehicle_class, col.requests)
        if key not in cheapest or col.cost < cheapest[key].cost:
            cheapest[key] = col
    served = frozenset().union(*(c.requests for c in incumbent))
    # a request the incumbent serves stays served (leaving one out costs its penalty,
    # far above any route's length, and such weights would spoil the relaxation); one
    # it leaves out may be served, or left out again for its penalty
    pool = list(cheapest.values())
    covered = frozenset().union(*(c.requests for c in pool))
    optional = sorted(covered - served)
    unreachable = set(range(n_requests)) - covered  # left out whatever is chosen
    upper = partition_cost(incumbent, set(range(n_requests)) - served, penalty)
    if len(pool) > MAX_COLUMNS:
        logger.info("recombine: %d routes, more than %d: skipped", len(pool), MAX_COLUMNS)
        return None
    lower, reduced = _relaxation(pool, optional, class_sizes, penalty, time_limit_s)
    if lower is None:
        return None
    lower += sum(penalty[r] for r in unreachable)
    if lower >= upper:
        return None
    # the incumbent's routes stay whatever rounding says: every request it serves keeps
    # a route that covers it
    chosen = list(incumbent)
    ranked = sorted((rc, k) for k, rc in enumerate(reduced) if rc <= upper - lower)
    ranked_pool = [pool[k] for _, k in ranked]
    best: tuple[tuple[Column, ...], frozenset[int]] | None = None
    optimal = False
    size = max(1, first_columns)
    while True:
        kept = _with(ranked_pool[:size], chosen)
        left = time_limit_s - (time.monotonic() - began)
        if left <= 0:
            break
        found = _solve(kept, optional, class_sizes, penalty, chosen, left)
        if found is None:
            break
        columns, out, proven = found
        left_out = frozenset(out) | unreachable
        cost = partition_cost(columns, left_out, penalty)
        if cost < upper:
            upper = cost
            chosen = list(columns)
            best = (columns, left_out)
        # a restricted model solved to the end: the next takes more of the ranked routes
        whole = size >= len(ranked_pool)
        optimal = proven and whole
        if not proven or whole:
            break
        size = max(size + 1, int(size * GROWTH))
    if best is None:
        return None
    return Partition(best[0], best[1], upper, optimal)


def _with(columns: Sequence[Column], chosen: Sequence[Column]) -> list[Column]:
    """`columns` and those of `chosen` not among them."""
    keys = {(c.vehicle_class, c.requests) for c in columns}
    return [*columns, *(c for c in chosen if (c.vehicle_class, c.requests) not in keys)]


def _model(
    solver: pywraplp.Solver,
    pool: Sequence[Column],
    optional: Sequence[int],
    class_sizes: Mapping[int, int],
    penalty: Sequence[int],
    integer: bool,
) -> tuple[list[pywraplp.Variable], dict[int, pywraplp.Variable]]:
    """Routes `x` and, for the `optional` requests, a left-out variable `out[r]`; every
    other request a route covers is covered exactly once."""
    x = [solver.BoolVar("") if integer else solver.NumVar(0, 1, "") for _ in pool]
    out = {r: solver.BoolVar("") if integer else solver.NumVar(0, 1, "") for r in optional}
    covering: dict[int, list[pywraplp.Variable]] = {}
    by_class: dict[int, list[pywraplp.Variable]] = {}
    for var, col in zip(x, pool, strict=True):
        for r in col.requests:
            covering.setdefault(r, []).append(var)
        by_class.setdefault(col.vehicle_class, []).append(var)
    # every request a route covers, and every optional one even where the routes that
    # covered it were priced out (it is then left out, for its penalty)
    for r in covering.keys() | out.keys():
        solver.Add(solver.Sum([*covering.get(r, []), *([out[r]] if r in out else [])]) == 1)
    for cls, vars_ in by_class.items():
        solver.Add(solver.Sum(vars_) <= class_sizes.get(cls, 0))
    objective = solver.Objective()
    for var, col in zip(x, pool, strict=True):
        objective.SetCoefficient(var, float(col.cost))
    for r, var in out.items():
        objective.SetCoefficient(var, float(penalty[r]))
    objective.SetMinimization()
    return x, out


def _relaxation(
    pool: Sequence[Column],
    optional: Sequence[int],
    class_sizes: Mapping[int, int],
    penalty: Sequence[int],
    time_limit_s: float,
) -> tuple[float | None, list[float]]:
    """The relaxation's value and each route's reduced cost (None: none in time)."""
    solver = pywraplp.Solver.CreateSolver("GLOP")
    if solver is None:
        raise SolverError("recombine: OR-Tools has no GLOP")
    solver.SetTimeLimit(max(1, int(time_limit_s * 1000)))
    x, _ = _model(solver, pool, optional, class_sizes, penalty, integer=False)
    if solver.Solve() != pywraplp.Solver.OPTIMAL:
        return None, []
    return solver.Objective().Value(), [v.reduced_cost() for v in x]


def _solve(
    pool: Sequence[Column],
    optional: Sequence[int],
    class_sizes: Mapping[int, int],
    penalty: Sequence[int],
    start: Sequence[Column],
    time_limit_s: float,
) -> tuple[tuple[Column, ...], list[int], bool] | None:
    """The routes and left-out requests SCIP chose from the plan of routes `start`,
    and whether it proved them best."""
    solver = pywraplp.Solver.CreateSolver("SCIP")
    if solver is None:
        raise SolverError("recombine: OR-Tools has no SCIP")
    solver.SetSolverSpecificParametersAsString(_SCIP_SETTINGS)
    solver.SetTimeLimit(max(1, int(time_limit_s * 1000)))
    solver.SetNumThreads(1)
    x, out = _model(solver, pool, optional, class_sizes, penalty, integer=True)
    keys = {(c.vehicle_class, c.requests) for c in start}
    served = frozenset().union(*(c.requests for c in start))
    solver.SetHint(
        [*x, *out.values()],
        [1.0 if (c.vehicle_class, c.requests) in keys else 0.0 for c in pool]
        + [0.0 if r in served else 1.0 for r in out],
    )
    status = solver.Solve()
    if status not in (pywraplp.Solver.OPTIMAL, pywraplp.Solver.FEASIBLE):
        return None
    chosen = tuple(c for c, v in zip(pool, x, strict=True) if v.solution_value() > 0.5)
    left_out = [r for r, v in out.items() if v.solution_value() > 0.5]
    return chosen, left_out, status == pywraplp.Solver.OPTIMAL
