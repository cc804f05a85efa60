"""The native search (dispatch._pdptw): plans that the independent checker accepts,
a timing check that agrees with `dispatch.schedule`, route minimisation that pays,
and clear errors for inputs it cannot take."""

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
from dispatch.insertion import to_plan
from dispatch.model import Break, Problem, RideRequest, TimeWindow
from dispatch.result import Unassigned, UnassignedReason
from dispatch.schedule import dropoff_node, loads_fit, pickup_node, schedule
from dispatch.screening import screen
from dispatch.solver import SearchConfig, solve
from dispatch.stop import MaxRuntime, NoImprovement
from tests.dispatch.instances import HOUR, line_matrix, random_problems, sedan


def without_breaks(problem: Problem) -> Problem:
    return problem.with_changes(vehicles=tuple(replace(v, breaks=()) for v in problem.vehicles))


@st.composite
def native_problems(draw, **kw):
    return without_breaks(draw(random_problems(**kw)))


def screened_tasks(problem: Problem):
    out = screen(problem)
    return [t for t in problem.tasks if t.id not in out]


@given(native_problems(max_requests=8))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_every_native_plan_passes_the_checker_and_routes_each_request_once(problem):
    screened = screen(problem)
    tasks = [t for t in problem.tasks if t.id not in screened]
    result = native.solve_native(problem, tasks, 0.05, seed=3)
    unassigned = [Unassigned(tid, reason, detail) for tid, (reason, detail) in screened.items()]
    unassigned += [Unassigned(t.id, UnassignedReason.NOT_SELECTED) for t in result.left_out]
    plan = to_plan(problem, result.routes, unassigned, {})
    served = [rid for r in plan.routes for rid in r.request_ids]
    assert len(served) == len(set(served))
    assert set(served) | {t.id for t in result.left_out} == {t.id for t in tasks}
    assert not set(served) & {t.id for t in result.left_out}
    report = check_plan(problem, plan)
    assert report.ok(), report.violations


@given(native_problems(max_requests=5), st.integers(0, 10_000))
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_native_timing_agrees_with_python_schedule(problem, seed):
    """Two independent implementations of the same exact timing question."""
    tasks = screened_tasks(problem)
    if not tasks:
        return
    rng = random.Random(seed)
    arrays = native.instance_arrays(problem, tasks)
    for _ in range(5):
        chosen = rng.sample(range(len(tasks)), rng.randint(1, len(tasks)))
        seq: list[int] = []
        for r in chosen:  # random positions, pickup before dropoff
            i = rng.randint(0, len(seq))
            seq.insert(i, 2 * r)
            seq.insert(rng.randint(i + 1, len(seq)), 2 * r + 1)
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


def test_out_of_scope_problems_go_to_ortools_and_forcing_native_is_an_error():
    t, d = line_matrix([0, 100, 200])
    ride = RideRequest("a", 1, 2, pickup_window=TimeWindow(0, 3600))
    problem = Problem(t, d, (ride,), (sedan("v1"),), locked={"v1": ()})
    assert native.unsupported(problem) is None  # an empty lock is no lock
    rest = Break("rest", TimeWindow(3600, 5400), 600)
    with_break = Problem(t, d, (ride,), (sedan("v1", breaks=(rest,)),))
    assert native.unsupported(with_break) == "driver breaks"
    plan = solve(with_break, MaxRuntime(0.3))
    assert plan.stats["solver"] == "ortools" and plan.summary.served == 1
    with pytest.raises(SolverError, match="driver breaks"):
        solve(with_break, MaxRuntime(0.3), config=SearchConfig(native=True))


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
    with pytest.raises(ValueError, match="dropoff before its pickup"):
        native._pdptw.solve(arrays, {"time_limit_s": 0.1}, [[1, 0]])
    with pytest.raises(ValueError, match="one node list per vehicle"):
        native._pdptw.solve(arrays, {"time_limit_s": 0.1}, [[0, 1], []])


@given(native_problems(max_requests=5), st.integers(0, 10_000))
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_insertion_pruning_never_loses_a_feasible_position(problem, seed):
    """The cheap tests only cut what the exact schedule rejects: every (i, j) that
    `dispatch.schedule` accepts is among the native candidates, and no other."""
    tasks = screened_tasks(problem)
    if len(tasks) < 2:
        return
    rng = random.Random(seed)
    arrays = native.instance_arrays(problem, tasks)
    v_idx = rng.randrange(len(problem.vehicles))
    vehicle = problem.vehicles[v_idx]
    req, *others = rng.sample(range(len(tasks)), rng.randint(2, len(tasks)))
    seq: list[int] = []
    for r in others:
        i = rng.randint(0, len(seq))
        seq.insert(i, 2 * r)
        seq.insert(rng.randint(i + 1, len(seq)), 2 * r + 1)

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


def test_no_improvement_stop_ends_the_native_search_early():
    t, d = line_matrix([0, 100, 200, 300])
    rides = (RideRequest("a", 1, 3, pickup_window=TimeWindow(0, 3600)),)
    problem = Problem(t, d, rides, (sedan("v1"),))
    stop = MaxRuntime(20) | NoImprovement(0.2)
    plan = solve(problem, stop, config=SearchConfig(native=True))
    assert plan.stats["solver"] == "native" and plan.summary.served == 1
    assert plan.stats["total_seconds"] < 10  # patience, not the 20 s limit, ended it
