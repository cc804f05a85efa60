"""The native search (dispatch._pdptw): plans that the independent checker accepts,
a timing check and a route cost that agree with `dispatch.schedule` and the Python
plan, route minimisation that pays, and clear errors for inputs it cannot take."""

from __future__ import annotations

import random
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dispatch import native
from dispatch.check import check_plan
from dispatch.errors import SolverError
from dispatch.model import Break, CostWeights, Problem, RideRequest, TimeWindow
from dispatch.result import Unassigned, UnassignedReason, build_plan
from dispatch.schedule import break_nodes, dropoff_node, loads_fit, pickup_node, schedule
from dispatch.screening import screen
from dispatch.solver import SearchConfig, solve
from dispatch.stop import MaxRuntime, NoImprovement
from tests.dispatch.instances import HOUR, line_matrix, random_problems, random_sequence, sedan


def without_breaks(problem: Problem) -> Problem:
    return problem.with_changes(vehicles=tuple(replace(v, breaks=()) for v in problem.vehicles))


@st.composite
def native_problems(draw, **kw):
    return without_breaks(draw(random_problems(**kw)))


def screened_tasks(problem: Problem):
    out = screen(problem)
    return [t for t in problem.tasks if t.id not in out]


@given(random_problems(max_requests=8))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_every_native_plan_passes_the_checker_and_routes_each_request_once(problem):
    screened = screen(problem)
    tasks = [t for t in problem.tasks if t.id not in screened]
    result = native.solve_native(problem, tasks, 0.05, seed=3)
    unassigned = [Unassigned(tid, reason, detail) for tid, (reason, detail) in screened.items()]
    unassigned += [Unassigned(t.id, UnassignedReason.NOT_SELECTED) for t in result.left_out]
    plan = build_plan(problem, result.routes, unassigned, {})
    # the native objective is the Python plan's cost (screened requests aside)
    penalty = sum(problem.weights.unassigned_penalty * problem.task(t).priority for t in screened)
    native_cost = result.stats["objective"] / result.scale + penalty
    assert native_cost == pytest.approx(plan.summary.cost, rel=1e-9, abs=1e-6)
    served = [rid for r in plan.routes for rid in r.request_ids]
    assert len(served) == len(set(served))
    assert set(served) | {t.id for t in result.left_out} == {t.id for t in tasks}
    assert not set(served) & {t.id for t in result.left_out}
    report = check_plan(problem, plan)
    assert report.ok(), report.violations


@given(native_problems(max_requests=5), st.integers(0, 10_000), st.booleans())
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_native_timing_agrees_with_python_schedule(problem, seed, general):
    """Two independent implementations of the same exact timing question (both modes)."""
    tasks = screened_tasks(problem)
    if not tasks:
        return
    rng = random.Random(seed)
    arrays = native.instance_arrays(problem, tasks, general=general)
    for _ in range(5):
        seq = random_sequence(rng, tasks, rng.sample(range(len(tasks)), rng.randint(1, len(tasks))))
        v_idx = rng.randrange(len(problem.vehicles))
        vehicle = problem.vehicles[v_idx]
        nodes = [
            pickup_node(tasks[n // 2]) if n % 2 == 0 else dropoff_node(tasks[n // 2]) for n in seq
        ]
        expected = loads_fit(vehicle, (0, 0, 0), nodes) and (
            schedule(problem, vehicle, nodes) is not None
        )
        assert native._pdptw.sequence_feasible(arrays, v_idx, seq) == expected


def test_two_riders_on_a_line_share_one_car():
    t, d = line_matrix([0, 100, 200, 300])
    rides = (
        RideRequest("a", 1, 3, pickup_window=TimeWindow(0, 3600)),
        RideRequest("b", 2, 3, pickup_window=TimeWindow(0, 3600)),
    )
    fleet = (sedan("v1", fixed_cost=100), sedan("v2", fixed_cost=100))
    problem = Problem(t, d, rides, fleet)
    plan = solve(problem, MaxRuntime(0.3), config=SearchConfig(native=True))
    assert plan.stats["solver"] == "native"
    assert plan.summary.served == 2 and plan.summary.vehicles_used == 1
    route = plan.routes[0]
    steps = [(s.kind.value, s.request_id) for s in route.steps[1:-1]]
    assert steps[:2] == [("pickup", "a"), ("pickup", "b")]  # on the way: pick both up
    assert sorted(steps[2:]) == [("dropoff", "a"), ("dropoff", "b")]  # same stop
    assert check_plan(problem, plan).ok()


def test_route_minimisation_empties_a_vehicle_that_construction_used():
    """Ten riders who fit two cars: with a fixed cost per car, two are used."""
    rng = np.random.default_rng(4)
    positions = [0, *sorted(rng.integers(100, 3000, size=20).tolist())]
    t, d = line_matrix(positions)
    rides = tuple(
        RideRequest(
            f"r{i}",
            1 + 2 * i,
            2 + 2 * i,
            pickup_window=TimeWindow(int(rng.integers(0, 2 * HOUR)), 4 * HOUR),
        )
        for i in range(10)
    )
    fleet = tuple(sedan(f"v{k}", capacity=(3, 0, 0), fixed_cost=100_000) for k in range(6))
    problem = Problem(t, d, rides, fleet)
    plan = solve(problem, MaxRuntime(1.0), config=SearchConfig(native=True))
    assert plan.summary.served == 10
    assert plan.summary.vehicles_used <= 2
    assert check_plan(problem, plan).ok()


def test_modes_follow_the_problem_and_breaks_are_native():
    t, d = line_matrix([0, 100, 200])
    ride = RideRequest("a", 1, 2, pickup_window=TimeWindow(0, 3600))
    plain = Problem(t, d, (ride,), (sedan("v1", cost_per_hour=0),), locked={"v1": ()})
    plain = plain.with_changes(weights=replace(plain.weights, excess_ride_per_hour=0))
    assert native.unsupported(plain) is None and native.is_fast(plain)  # an empty lock is no lock
    rest = Break("rest", TimeWindow(3600, 5400), 600)
    with_break = plain.with_changes(vehicles=(sedan("v1", cost_per_hour=0, breaks=(rest,)),))
    assert not native.is_fast(with_break)
    plan = solve(with_break, MaxRuntime(0.3))
    assert plan.stats["engine"] == "native" and plan.stats["mode"] == "general"
    assert plan.summary.served == 1 and check_plan(with_break, plan).ok()


def test_bad_arrays_and_unknown_knobs_are_named():
    t, d = line_matrix([0, 100, 200])
    problem = Problem(
        t, d, (RideRequest("a", 1, 2, pickup_window=TimeWindow(0, 3600)),), (sedan(),)
    )
    tasks = list(problem.tasks)
    arrays = native.instance_arrays(problem, tasks)
    with pytest.raises(ValueError, match="late has 1 entries, expected 2"):
        native._pdptw.solve({**arrays, "late": arrays["late"][:1]}, {"time_limit_s": 0.1})
    with pytest.raises(SolverError, match="unknown key warp"):
        native.solve_native(problem, tasks, 0.1, params={"warp": 9})
    for window in (-1, 7):
        with pytest.raises(SolverError, match="window must be 0 to 6"):
            native.solve_native(problem, tasks, 0.1, params={"window": window})
    with pytest.raises(ValueError, match="dropoff before its pickup"):
        native._pdptw.solve(arrays, {"time_limit_s": 0.1}, [[1, 0]])
    with pytest.raises(ValueError, match="one node list per vehicle"):
        native._pdptw.solve(arrays, {"time_limit_s": 0.1}, [[0, 1], []])
    general = native.instance_arrays(problem, tasks, general=True)
    with pytest.raises(ValueError, match="missing prefix"):
        native._pdptw.solve({k: v for k, v in general.items() if k != "prefix"}, {})
    with pytest.raises(ValueError, match="mode has 2 entries, expected 1"):
        native._pdptw.solve({**general, "mode": np.zeros(2, dtype=np.int32)}, {})
    with pytest.raises(ValueError, match="request 0: bad mode"):
        native._pdptw.solve({**general, "mode": np.asarray([7], dtype=np.int32)}, {})
    with pytest.raises(ValueError, match="a bound request needs its vehicle"):
        native._pdptw.solve({**general, "mode": np.asarray([1], dtype=np.int32)}, {})
    with pytest.raises(ValueError, match="prefix of vehicle 0: node out of range"):
        native._pdptw.solve({**general, "prefix": [[5]]}, {})
    with pytest.raises(ValueError, match="locked but its mode is pair"):
        native._pdptw.solve({**general, "prefix": [[0]]}, {})
    with pytest.raises(ValueError, match="break 0: bad vehicle"):
        bad = {"n_brk": 1, "b_veh": [3], "b_early": [0], "b_late": [9], "b_dur": [5]}
        native._pdptw.solve({**general, **bad}, {})
    with pytest.raises(ValueError, match="does not begin with its locked stops"):
        locked = {**general, "prefix": [[0]], "mode": np.asarray([1], dtype=np.int32)}
        locked["bound"] = np.asarray([0], dtype=np.int32)
        native._pdptw.solve(locked, {}, [[1]])
    with pytest.raises(ValueError, match="unknown key lns"):
        native._pdptw.solve(general, {"lns": 1})


def random_route(rng: random.Random, problem: Problem, tasks) -> tuple[int, int, list[int]]:
    """A vehicle, a request to insert and a random route of some of the others on it
    (native nodes: 2r pickup, 2r + 1 dropoff, each pickup before its dropoff)."""
    v_idx = rng.randrange(len(problem.vehicles))
    req, *others = rng.sample(range(len(tasks)), rng.randint(2, len(tasks)))
    return v_idx, req, random_sequence(rng, tasks, others)


@given(native_problems(max_requests=5), st.integers(0, 10_000), st.booleans())
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_insertion_pruning_never_loses_a_feasible_position(problem, seed, general):
    """The cheap tests only cut what the exact schedule rejects: every (i, j) that
    `dispatch.schedule` accepts is among the native candidates, and no other."""
    tasks = screened_tasks(problem)
    if len(tasks) < 2:
        return
    rng = random.Random(seed)
    arrays = native.instance_arrays(problem, tasks, general=general)
    v_idx, req, seq = random_route(rng, problem, tasks)
    vehicle = problem.vehicles[v_idx]

    def nodes_of(s):
        return [
            pickup_node(tasks[n // 2]) if n % 2 == 0 else dropoff_node(tasks[n // 2]) for n in s
        ]

    expected = set()
    for i in range(len(seq) + 1):
        for j in range(i, len(seq) + 1):
            trial = [*seq[:i], 2 * req, *seq[i:j], 2 * req + 1, *seq[j:]]
            nodes = nodes_of(trial)
            if loads_fit(vehicle, (0, 0, 0), nodes) and schedule(problem, vehicle, nodes):
                expected.add((i, j))
    if not (
        loads_fit(vehicle, (0, 0, 0), nodes_of(seq)) and schedule(problem, vehicle, nodes_of(seq))
    ):
        return  # the native search only ever inserts into feasible routes
    got = {(i, j) for _, i, j in native._pdptw.feasible_insertions(arrays, v_idx, seq, req)}
    assert got == expected


@given(native_problems(max_requests=5), st.integers(0, 10_000))
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_a_repairs_cheapest_insertion_settles_to_the_exact_best(problem, seed):
    """A repair reads each route's cheapest insertion by the cheap tests alone and times
    it exactly only when its choice depends on it: that lower bound, once settled, is
    the cheapest insertion the exact schedule accepts ((delta, i, j) least, as
    `best_in_route` finds it), and None exactly where there is none."""
    tasks = screened_tasks(problem)
    if len(tasks) < 2:
        return
    arrays = native.instance_arrays(problem, tasks, general=False)
    v_idx, req, seq = random_route(random.Random(seed), problem, tasks)
    if not native._pdptw.sequence_feasible(arrays, v_idx, seq):
        return  # repairs only insert into feasible routes
    feasible = native._pdptw.feasible_insertions(arrays, v_idx, seq, req)
    cheap, settled, best = native._pdptw.cheapest_insertion(arrays, v_idx, seq, req)
    assert settled == best
    if not feasible:
        assert settled is None
        return
    delta, i, j = min(feasible)
    if not seq:  # an empty route: its vehicle's drive from start to end counts too
        assert settled is not None and (settled[1], settled[2]) == (i, j)
    else:
        assert settled == (delta, i, j)
    assert cheap is not None and cheap[0] <= settled[0]
    if cheap[3]:
        assert cheap[:3] == settled


def test_no_improvement_stop_ends_the_native_search_early():
    t, d = line_matrix([0, 100, 200, 300])
    rides = (RideRequest("a", 1, 3, pickup_window=TimeWindow(0, 3600)),)
    problem = Problem(t, d, rides, (sedan("v1"),))
    stop = MaxRuntime(20) | NoImprovement(0.2)
    plan = solve(problem, stop, config=SearchConfig(native=True))
    assert plan.stats["solver"] == "native" and plan.summary.served == 1
    assert plan.stats["total_seconds"] < 10  # patience, not the 20 s limit, ended it


@given(random_problems(max_requests=5), st.integers(0, 10_000), st.booleans())
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_native_route_cost_is_the_python_plan_cost(problem, seed, legs):
    """Random sequences with breaks anywhere: the native exact cost and verdict agree
    with the Python route built by `native_route` (schedule + build_route), with breaks
    anywhere on their legs or where the vehicle served."""
    tasks = screened_tasks(problem)
    if not tasks:
        return
    rng = random.Random(seed)
    arrays = native.instance_arrays(problem, tasks, general=True, legs=legs)
    v_idx = rng.randrange(len(problem.vehicles))
    vehicle = problem.vehicles[v_idx]
    first_break = 2 * len(tasks) + sum(len(v.breaks) for v in problem.vehicles[:v_idx])
    for _ in range(5):
        chosen = rng.sample(range(len(tasks)), rng.randint(0, len(tasks)))
        seq = random_sequence(rng, tasks, chosen)
        brks = sorted(break_nodes(vehicle), key=lambda b: (b.earliest, b.latest))
        for k, _ in enumerate(brks):
            seq.insert(rng.randint(0, len(seq)), first_break + k)
        nodes = [
            brks[n - first_break]
            if n >= first_break
            else pickup_node(tasks[n // 2])
            if n % 2 == 0
            else dropoff_node(tasks[n // 2])
            for n in seq
        ]
        costed = native._pdptw.sequence_cost(arrays, v_idx, seq)
        fits = loads_fit(vehicle, (0, 0, 0), nodes)
        if not chosen:
            assert costed is not None and costed[0] == 0
            continue
        route = native.native_route(problem, vehicle, nodes, legs=legs) if fits else None
        if costed is not None and costed[3]:
            # only on the way to the first stop could the leading breaks be taken
            route = native.native_route(problem, vehicle, nodes, lead_on_route=True, legs=legs)
        if route is None:
            assert costed is None
            continue
        assert costed is not None
        cost, start, on_route, lead = costed
        if start > vehicle.earliest_departure or on_route or lead:
            # the native engine left later (or kept a break on the route): time it so
            route = native.native_route(problem, vehicle, nodes, start, on_route, lead, legs=legs)
            assert route is not None
        plan = build_plan(problem, [route], [], {})
        native_cost = cost / native.GENERAL_COST_SCALE + vehicle.fixed_cost  # fixed: not in it
        assert native_cost == pytest.approx(plan.summary.cost, rel=1e-12)
        assert check_plan(problem, plan).by_kind().keys() <= {"coverage"}


@pytest.mark.parametrize("reorder", [0, 1, 2, 3])
def test_a_route_s_stops_move_in_runs_to_a_shorter_order(reorder):
    """One car, a rider on board all day (a), and two short rides served out of order
    (b far first, then c back near). Moving c's two stops before b's shortens the day
    by 800 s; with the LNS off (no iterations) only the polish of the best plan's routes
    (``reorder`` >= 1) makes that move, and the plan still passes the checker."""
    t, d = line_matrix([0, 100, 1000, 600, 700, 300, 400])
    window = TimeWindow(0, 4 * HOUR)
    rides = (
        RideRequest("a", 1, 2, pickup_window=window),
        RideRequest("b", 3, 4, pickup_window=window),
        RideRequest("c", 5, 6, pickup_window=window),
    )
    fleet = (sedan("v1", cost_per_hour=0),)  # the fast mode: a route's cost is its length
    problem = Problem(t, d, rides, fleet, weights=CostWeights(excess_ride_per_hour=0))
    ta, tb, tc = (problem.task(r) for r in ("a", "b", "c"))
    order = [pickup_node(ta), pickup_node(tb), dropoff_node(tb), pickup_node(tc)]
    route = native.native_route(
        problem, problem.vehicles[0], [*order, dropoff_node(tc), dropoff_node(ta)]
    )
    assert route is not None
    initial = build_plan(problem, [route], [])
    params = {"lns_iterations": 0, "reorder": reorder}
    result = native.solve_native(
        problem, list(problem.tasks), 5, seed=1, params=params, initial=initial
    )
    assert result.stats["mode"] == "fast"
    plan = build_plan(problem, result.routes, [])
    assert check_plan(problem, plan).ok()
    stops = [(s.kind.value, s.request_id) for s in plan.routes[0].steps[1:-1]]
    if reorder == 0:
        assert plan.summary.distance_m == initial.summary.distance_m == 28_000
    else:  # 0 -> 100 -> 300 -> 400 -> 600 -> 700 -> 1000 -> 0
        assert plan.summary.distance_m == 20_000
        assert [r for _, r in stops] == ["a", "c", "c", "b", "b", "a"]


def full_fleet_dial_a_ride(tmp_path, n: int = 30, vehicles: int = 4, seed: int = 3) -> Problem:
    """A Cordeau-2003-like day (10-minute stops, ride limit 90, shifts of 480 minutes,
    half the riders with a 30-minute window on the pickup, half on the drop-off) whose
    fleet is so full that many repairs leave a rider out."""
    from benchmarks.instances import read_cordeau

    rng = random.Random(seed)
    lines = [f"{vehicles} {2 * n} 480 6 90", "  0 0.0 0.0 0 0 0 1440"]
    windows = []
    for i in range(n):
        opens = rng.randint(60, 1350)
        windows.append(
            ((0, 1440), (opens, opens + 30)) if i < n // 2 else ((opens, opens + 30), (0, 1440))
        )
    for side in (0, 1):
        for i, pair in enumerate(windows):
            x, y = rng.uniform(-10, 10), rng.uniform(-10, 10)
            early, late = pair[side]
            lines.append(f"{side * n + i + 1} {x:.3f} {y:.3f} 10 {1 - 2 * side} {early} {late}")
    path = tmp_path / "full.txt"
    path.write_text("\n".join(lines) + "\n")
    return read_cordeau(path).problem


def test_ejection_chains_keep_to_their_share_of_the_work(tmp_path):
    """Repairs that leave a rider out call ejection chains; uncapped they made most of
    the insertion searches on this day, capped (`eject_share`, default 0.25) about a
    quarter of the others — and both plans serve everyone."""
    problem = full_fleet_dial_a_ride(tmp_path)
    tasks = screened_tasks(problem)

    def share(**params):
        result = native.solve_native(
            problem, tasks, 30, seed=1, restarts=1, params={"lns_iterations": 2000, **params}
        )
        assert not result.left_out
        st_ = result.stats
        assert st_["eject_searches"] > 0
        return st_["eject_searches"] / (st_["insertion_searches"] - st_["eject_searches"])

    assert share() <= 0.3
    assert share(eject_share=1e9) > 0.5
    with pytest.raises(SolverError, match="eject_share must be >= 0"):
        native.solve_native(problem, tasks, 1, params={"eject_share": -1.0})
