"""Parallel native searches (``SearchConfig.threads``): every plan checked, one thread as
before, bad values refused. No wall-clock assertions: the time limits only bound them."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from dispatch import native
from dispatch.check import check_plan
from dispatch.errors import InputError, SolverError
from dispatch.model import CostWeights, Problem, RideRequest, TimeWindow, Vehicle
from dispatch.solver import SearchConfig, solve
from dispatch.stop import FirstSolution, MaxRuntime, SolutionLimit
from tests.dispatch.instances import HOUR, metric_closure
from tests.dispatch.test_engines import assert_valid, day, live_problems, lunch_problem
from tests.dispatch.test_io import EXAMPLE

TWO = SearchConfig(threads=2)
#: a deterministic budget with a guard: with two threads it bounds the work, not the plan
SHORT = SolutionLimit(20) | MaxRuntime(2)


def lilim_like(seed: int = 0, n: int = 16, fleet: int = 8) -> Problem:
    """A small Li & Lim-type instance: pickup and delivery windows, identical vehicles
    from one depot with a large fixed cost (vehicles first), distance only."""
    rng = np.random.default_rng(seed)
    pts = rng.integers(0, 3000, size=(2 * n + 1, 2))
    dist = metric_closure(
        np.rint(np.linalg.norm(pts[:, None] - pts[None, :], axis=2)).astype(np.int64)
    )
    time_s = metric_closure(np.ceil(dist / 10).astype(np.int64))
    rides = []
    for i in range(n):
        p, d = 1 + 2 * i, 2 + 2 * i
        start = int(rng.integers(0, 3 * HOUR))
        rides.append(
            RideRequest(
                f"r{i}",
                p,
                d,
                party_size=int(rng.integers(1, 3)),
                pickup_window=TimeWindow(start, start + 1800),
                arrive_by=start + 1800 + int(time_s[p, d]) + 1800,
                max_ride_s=6 * HOUR,
            )
        )
    cars = tuple(
        Vehicle(
            f"v{k}",
            0,
            0,
            TimeWindow(0, 6 * HOUR),
            capacity=(4, 0, 0),
            cost_per_hour=0,
            fixed_cost=100_000,
        )
        for k in range(fleet)
    )
    problem = Problem(time_s, dist, tuple(rides), cars, weights=CostWeights(excess_ride_per_hour=0))
    assert native.is_fast(problem)
    return problem


def served_once(problem: Problem, plan) -> None:
    routed = [rid for r in plan.routes for rid in r.request_ids]
    left = [u.request_id for u in plan.unassigned]
    assert len(routed) == len(set(routed))
    assert sorted(routed + left) == sorted(t.id for t in problem.tasks)


@pytest.mark.parametrize("stop", [MaxRuntime(0.3), SHORT, FirstSolution()], ids=str)
def test_two_threads_return_checked_plans_on_a_lilim_type_problem(stop):
    problem = lilim_like()
    plan = solve(problem, stop, seed=2, config=TWO)
    assert plan.stats["engine"] == "native" and plan.stats["mode"] == "fast"
    assert plan.stats["threads"] == 2
    assert check_plan(problem, plan).ok()
    served_once(problem, plan)
    assert plan.summary.unassigned == 0


def test_two_threads_on_a_day_with_breaks_and_a_warm_start_never_worse():
    problem = day(seed=3)
    first = solve(problem, FirstSolution(), seed=1)
    plan = solve(problem, SHORT, seed=1, initial=first, config=TWO)
    assert plan.stats["engine"] in ("native", "initial")
    assert plan.stats["mode"] == "general" and plan.stats["threads"] == 2
    assert_valid(problem, plan)
    assert plan.summary.cost <= first.summary.cost + 1e-6
    lunch = lunch_problem()
    assert_valid(lunch, solve(lunch, SHORT, config=TWO))


@given(live_problems(), st.integers(0, 5))
@settings(
    max_examples=15,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
def test_two_threads_keep_locks_riders_on_board_and_closed_cars(problem, seed):
    try:
        plan = solve(problem, SHORT, seed=seed, config=TWO)
    except SolverError:  # locks no plan can serve: the same answer as one thread
        with pytest.raises(SolverError):
            solve(problem, SHORT, seed=seed)
        return
    assert plan.stats["engine"] == "native" and plan.stats["threads"] == 2
    assert_valid(problem, plan)


@given(live_problems(), st.integers(0, 5))
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_two_threads_warm_started_are_never_worse_than_the_start(problem, seed):
    try:
        initial = solve(problem, FirstSolution(), seed=seed)
    except SolverError:
        assume(False)
    plan = solve(problem, SHORT, seed=seed, initial=initial, config=TWO)
    assert_valid(problem, plan)
    assert plan.summary.cost <= initial.summary.cost + 1e-6


def test_one_thread_is_the_search_as_before():
    """threads=1 takes no other path: the plan of a seed, the same whether the
    parameter is given or not, and the same again (a deterministic budget)."""
    for problem in (lilim_like(seed=5), day(seed=2)):
        tasks = list(problem.tasks)
        budget = {"lns_iterations": 300, "ges_steps": 300}
        plain = native.solve_native(problem, tasks, 60, seed=7, params=budget)
        one = native.solve_native(problem, tasks, 60, seed=7, threads=1, params=budget)
        assert [r.to_dict() for r in one.routes] == [r.to_dict() for r in plain.routes]
        assert one.stats["objective"] == plain.stats["objective"]
        assert one.stats["lns_iterations"] == plain.stats["lns_iterations"] == 300
        assert one.stats["threads"] == 1 and one.stats["adoptions"] == 0
        a = solve(problem, SolutionLimit(15), seed=4)
        b = solve(problem, SolutionLimit(15), seed=4, config=SearchConfig(threads=1))
        assert a.to_dict()["routes"] == b.to_dict()["routes"]
        assert a.stats["threads"] == b.stats["threads"] == 1


def test_two_threads_count_the_work_of_both():
    """With a deterministic budget each thread runs it in full: the iterations add up."""
    problem = lilim_like(seed=1)
    budget = {"lns_iterations": 200, "ges_steps": 200}
    out = native.solve_native(problem, list(problem.tasks), 60, threads=2, params=budget)
    assert out.stats["threads"] == 2
    assert out.stats["lns_iterations"] == 2 * 200


@pytest.mark.parametrize("bad", [0, -1, 65, 1.5, True, "2", None])
def test_bad_thread_counts_are_refused_naming_the_field(bad):
    with pytest.raises(InputError, match="threads"):
        SearchConfig(threads=bad)
    problem = lilim_like(n=2, fleet=1)
    with pytest.raises(InputError, match="threads"):
        native.solve_native(problem, list(problem.tasks), 0.1, threads=bad)


def test_the_native_module_refuses_zero_threads():
    problem = lilim_like(n=2, fleet=1)
    arrays = native.instance_arrays(problem, list(problem.tasks))
    with pytest.raises(ValueError, match="threads must be >= 1"):
        native._pdptw.solve(arrays, {"time_limit_s": 0.1, "threads": 0})


def test_cli_solve_takes_threads_and_refuses_bad_ones(tmp_path):
    from api.cli import app

    out = tmp_path / "plan.json"
    args = ["solve", str(EXAMPLE), "--time-limit", "0.5", "--out", str(out)]
    result = CliRunner().invoke(app, [*args, "--threads", "2"])
    assert result.exit_code == 0, result.output
    assert "threads 2" in result.output and "checker: plan is feasible" in result.output
    result = CliRunner().invoke(app, [*args, "--threads", "0"])
    assert result.exit_code == 2 and "threads must be from 1 to 64" in result.output
