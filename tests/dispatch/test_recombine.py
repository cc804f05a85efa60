"""Recombination (dispatch.recombine): the set-partitioning model picks the cheapest
plan of the routes it is given — checked against brute force on small pools — never
returns anything but a cheaper plan than the incumbent, keeps to each vehicle class's
count; and the native search, run several times and recombined, gives plans the
independent checker accepts whose cost is the native objective."""

from __future__ import annotations

import itertools
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dispatch import native, recombine
from dispatch.check import check_plan
from dispatch.errors import InputError, SolverError
from dispatch.model import Problem, RideRequest, RideTimePolicy
from dispatch.recombine import Column, best_partition
from dispatch.result import Unassigned, UnassignedReason, build_plan
from dispatch.screening import screen
from dispatch.solver import SearchConfig, solve
from dispatch.stop import MaxRuntime
from tests.dispatch.instances import HOUR, line_matrix, sedan


def col(requests, cost, cls=0):
    seq = tuple(n for r in sorted(requests) for n in (2 * r, 2 * r + 1))
    return Column(cls, cost, seq, frozenset(requests))


def partition(pool, incumbent, *, n, sizes, penalty=1000):
    """`best_partition` with one penalty for every request and time to spare."""
    return best_partition(
        pool,
        n_requests=n,
        class_sizes=sizes,
        penalty=[penalty] * n,
        incumbent=incumbent,
        time_limit_s=10,
    )


def test_two_routes_swap_requests_when_that_is_cheaper():
    incumbent = [col({0, 1}, 10), col({2, 3}, 10)]
    pool = [col({0, 2}, 6), col({1, 3}, 5), col({0, 1, 2}, 30)]
    found = partition(pool, incumbent, n=4, sizes={0: 2})
    assert found is not None and found.optimal
    assert {c.requests for c in found.columns} == {frozenset({0, 2}), frozenset({1, 3})}
    assert found.cost == 11 and not found.left_out


def test_restricted_models_grow_until_the_routes_that_pay_are_in():
    """The cheaper plan needs the two routes of largest reduced cost: a first model of
    one route cannot find it, the models grow until it can, and a whole pool solved to
    the end is proven best."""
    incumbent = [col({0, 1}, 10), col({2, 3}, 10)]
    pool = [col({0, 2}, 9), col({1, 3}, 9), col({0}, 6), col({1}, 6), col({2}, 6), col({3}, 6)]
    grown = best_partition(
        pool,
        n_requests=4,
        class_sizes={0: 2},
        penalty=[1000] * 4,
        incumbent=incumbent,
        time_limit_s=10,
        first_columns=1,
    )
    assert grown is not None and grown.optimal and grown.cost == 18
    assert {c.requests for c in grown.columns} == {frozenset({0, 2}), frozenset({1, 3})}


def test_nothing_cheaper_is_none():
    incumbent = [col({0, 1}, 10), col({2, 3}, 10)]
    pool = [col({0, 2}, 11), col({1, 3}, 11)]
    assert partition(pool, incumbent, n=4, sizes={0: 2}) is None


def test_a_class_drives_no_more_routes_than_it_has_vehicles():
    """Three cheap routes of the one-vehicle class cannot all be chosen."""
    incumbent = [col({0, 1, 2}, 30, cls=1)]
    pool = [col({0}, 1), col({1}, 1), col({2}, 1), col({0, 1}, 5), col({2}, 4, cls=1)]
    found = partition(pool, incumbent, n=3, sizes={0: 1, 1: 1})
    assert found is not None
    assert sorted((c.vehicle_class, sorted(c.requests)) for c in found.columns) == [
        (0, [0, 1]),
        (1, [2]),
    ]
    assert found.cost == 9


def test_a_request_left_out_is_served_when_a_route_pays_for_it():
    incumbent = [col({0}, 10)]
    pool = [col({0, 1}, 25)]
    found = partition(pool, incumbent, n=2, sizes={0: 1}, penalty=100)
    assert found is not None and found.cost == 25 and not found.left_out
    # a route not worth its request's penalty leaves it out
    assert partition([col({0, 1}, 200)], incumbent, n=2, sizes={0: 1}, penalty=100) is None


def test_a_request_whose_routes_are_priced_out_is_still_left_out_for_its_penalty():
    """Request 2 is out of the incumbent and only a dear route covers it: the pricing
    drops that route, and the plan still pays for leaving 2 out (found by the property
    below: the model once had no row for it, and served it for free)."""
    incumbent = [col({0}, 10), col({1}, 10)]
    pool = [col({0, 1}, 12), col({0, 2}, 100)]
    found = partition(pool, incumbent, n=3, sizes={0: 2}, penalty=5)
    assert found is not None and found.optimal
    assert [sorted(c.requests) for c in found.columns] == [[0, 1]]
    assert found.left_out == frozenset({2}) and found.cost == 17


def test_bad_penalties_are_named():
    with pytest.raises(SolverError, match="2 penalties for 3 requests"):
        best_partition(
            [], n_requests=3, class_sizes={0: 1}, penalty=[1, 1], incumbent=[], time_limit_s=1
        )


@st.composite
def pools(draw):
    n = draw(st.integers(2, 6))
    sizes = {0: draw(st.integers(1, 3)), 1: draw(st.integers(0, 2))}
    penalty = [draw(st.integers(20, 200)) for _ in range(n)]
    # the incumbent: a partition of some requests over class 0's vehicles
    order = draw(st.permutations(range(n)))
    served = order[: draw(st.integers(1, n))]
    cuts = sorted(draw(st.sets(st.integers(1, max(1, len(served) - 1)), max_size=sizes[0] - 1)))
    parts = [
        served[a:b] for a, b in zip([0, *cuts], [*cuts, len(served)], strict=True) if served[a:b]
    ]
    incumbent = [col(set(p), draw(st.integers(5, 100))) for p in parts[: sizes[0]]]
    others = draw(
        st.lists(
            st.tuples(
                st.sets(st.integers(0, n - 1), min_size=1, max_size=n),
                st.integers(1, 120),
                st.integers(0, 1),
            ),
            max_size=12,
        )
    )
    return n, sizes, penalty, incumbent, [col(r, c, k) for r, c, k in others]


@pytest.mark.parametrize("first_columns", [1, 2, recombine.FIRST_COLUMNS])
@given(pools())
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_the_partition_is_the_cheapest_that_keeps_the_incumbents_requests(first_columns, case):
    """Against brute force over every subset of the pool: a plan that keeps every
    request the incumbent serves, each once, within the class counts — whether the
    whole pool goes to one model or the restricted models grow from one or two routes."""
    n, sizes, penalty, incumbent, others = case
    found = best_partition(
        others,
        n_requests=n,
        class_sizes=sizes,
        penalty=penalty,
        incumbent=incumbent,
        time_limit_s=10,
        first_columns=first_columns,
    )
    served = set().union(*(c.requests for c in incumbent))
    cheapest: dict = {}
    for c in [*incumbent, *others]:
        key = (c.vehicle_class, c.requests)
        if key not in cheapest or c.cost < cheapest[key].cost:
            cheapest[key] = c

    upper = recombine.partition_cost(incumbent, set(range(n)) - served, penalty)
    # brute force over partitions that serve everything the incumbent serves
    best = None
    cols = list(cheapest.values())
    for k in range(len(cols) + 1):
        for chosen in itertools.combinations(cols, k):
            reqs = [r for c in chosen for r in c.requests]
            if len(reqs) != len(set(reqs)) or not served <= set(reqs):
                continue
            if any(sum(c.vehicle_class == cls for c in chosen) > m for cls, m in sizes.items()):
                continue
            cost = recombine.partition_cost(chosen, set(range(n)) - set(reqs), penalty)
            best = cost if best is None else min(best, cost)
    assert best is not None and best <= upper
    if best == upper:
        assert found is None
        return
    assert found is not None and found.optimal and found.cost == best < upper
    reqs = [r for c in found.columns for r in c.requests]
    assert len(reqs) == len(set(reqs)) and served <= set(reqs)
    assert found.left_out == frozenset(range(n)) - set(reqs)
    for cls, m in sizes.items():
        assert sum(c.vehicle_class == cls for c in found.columns) <= m
    assert found.cost == recombine.partition_cost(found.columns, found.left_out, penalty)


def dial_a_ride(n_rides: int = 8, seed: int = 3) -> Problem:
    """Riders on a road with ride limits, arrival deadlines and a duration cap: the
    exact timing binds."""
    import random

    rng = random.Random(seed)
    positions = [0, *sorted(rng.sample(range(200, 6000), 2 * n_rides))]
    t, d = line_matrix(positions)
    rides = []
    for i in range(n_rides):
        a, b = rng.sample(range(1, len(positions)), 2)
        due = rng.randint(HOUR, 3 * HOUR)
        rides.append(
            RideRequest(
                f"r{i}", a, b, arrive_by=due, max_ride_s=abs(positions[a] - positions[b]) + 900
            )
        )
    fleet = tuple(
        sedan(f"v{k}", shift=(0, 4 * HOUR), max_duration_s=3 * HOUR, cost_per_hour=0)
        for k in range(3)
    )
    problem = Problem(t, d, tuple(rides), fleet)
    # distance only, as the published dial-a-ride days: the fast mode
    return problem.with_changes(weights=replace(problem.weights, excess_ride_per_hour=0))


def test_recombined_runs_give_a_checked_plan_at_the_native_objective():
    problem = dial_a_ride()
    screened = screen(problem)
    tasks = [t for t in problem.tasks if t.id not in screened]
    result = native.solve_native(problem, tasks, 1.0, seed=2, restarts=3)
    assert result.stats["restarts"] == 3 and result.stats["recombined"] >= 0
    unassigned = [Unassigned(tid, reason, detail) for tid, (reason, detail) in screened.items()]
    unassigned += [Unassigned(t.id, UnassignedReason.NOT_SELECTED) for t in result.left_out]
    plan = build_plan(problem, result.routes, unassigned, {})
    penalty = sum(problem.weights.unassigned_penalty * problem.task(t).priority for t in screened)
    assert result.stats["objective"] / result.scale + penalty == pytest.approx(plan.summary.cost)
    assert check_plan(problem, plan).ok()


def test_dial_a_ride_days_restart_by_default_and_others_do_not():
    problem = dial_a_ride()
    tasks = list(problem.tasks)
    arrays = native.instance_arrays(problem, tasks)
    assert native.restarts_for(arrays, {"time_limit_s": 30.0}) == native.AUTO_RESTARTS
    assert native.restarts_for(arrays, {"time_limit_s": 1.0}) == 1  # too short to split
    assert native.restarts_for(arrays, {"time_limit_s": 30.0, "lns_iterations": 99}) == 1
    # limits no schedule can reach are none: no exact timing, one run
    loose = problem.with_changes(
        requests=tuple(replace(r, max_ride_s=None) for r in problem.requests),
        vehicles=tuple(replace(v, max_duration_s=None) for v in problem.vehicles),
        ride_policy=RideTimePolicy(alpha=1.0, beta_s=10 * HOUR, cap_s=10 * HOUR),
    )
    loose_arrays = native.instance_arrays(loose, list(loose.tasks))
    assert native.restarts_for(loose_arrays, {"time_limit_s": 30.0}) == 1
    plan = solve(problem, MaxRuntime(3.5), seed=1)
    assert plan.stats["restarts"] == native.AUTO_RESTARTS and check_plan(problem, plan).ok()
    one = solve(problem, MaxRuntime(3.5), seed=1, config=SearchConfig(restarts=1))
    assert one.stats["restarts"] == 1


def test_bad_restarts_are_named():
    problem = dial_a_ride(3)
    tasks = list(problem.tasks)
    for bad in (0, 17, True, "2", 1.5):
        with pytest.raises(InputError, match="restarts must be"):
            native.solve_native(problem, tasks, 0.1, restarts=bad)
        with pytest.raises(InputError, match="SearchConfig: restarts"):
            SearchConfig(restarts=bad)
    with pytest.raises(SolverError, match="pool must be >= 0"):
        native.solve_native(problem, tasks, 0.1, params={"pool": -1})
    with pytest.raises(SolverError, match="pool_gap must be >= 0"):
        native.solve_native(problem, tasks, 0.1, params={"pool_gap": -0.5})


def test_cli_solve_takes_restarts_and_refuses_bad_ones(tmp_path):
    from typer.testing import CliRunner

    from api.cli import app
    from dispatch.io import save_problem

    path = tmp_path / "darp.json"
    save_problem(dial_a_ride(), path)
    args = ["solve", str(path), "--time-limit", "1", "--out", str(tmp_path / "plan.json")]
    result = CliRunner().invoke(app, [*args, "--restarts", "2"])
    assert result.exit_code == 0, result.output
    assert "restarts 2" in result.output and "checker: plan is feasible" in result.output
    result = CliRunner().invoke(app, [*args, "--restarts", "0"])
    assert result.exit_code == 2 and "restarts must be from 1 to 16" in result.output


def test_a_pool_too_large_to_model_is_left_alone(monkeypatch):
    incumbent = [col({0, 1}, 10), col({2, 3}, 10)]
    pool = [col({0, 2}, 6), col({1, 3}, 5)]
    monkeypatch.setattr(recombine, "MAX_COLUMNS", 3)
    assert partition(pool, incumbent, n=4, sizes={0: 2}) is None


class FakeRuns:
    """Native runs stood in by plans given in advance: each run returns the next one,
    its routes as its pool, and records the settings and warm start it was given."""

    def __init__(self, plans):
        self.plans = list(plans)
        self.calls = []

    def __call__(self, run_settings, warm):
        self.calls.append((dict(run_settings), warm))
        routes = self.plans[min(len(self.calls), len(self.plans)) - 1]
        seqs = [[n for r in sorted(reqs) for n in (2 * r, 2 * r + 1)] for reqs in routes]
        costs = [10 * len(reqs) + sum(reqs) for reqs in routes]
        return {
            "routes": seqs,
            "starts": [0] * len(seqs),
            "on_route": [False] * len(seqs),
            "lead_on_route": [False] * len(seqs),
            "objective": sum(costs),
            "vehicles": sum(1 for s in seqs if s),
            "unassigned": 0,
            "lns_iterations": 10,
            "lns_improvements": 1,
            "insertion_searches": 100,
            "eject_searches": 0,
            "pool": [(v, c, s) for v, (c, s) in enumerate(zip(costs, seqs, strict=True)) if s],
        }


def restart(runs, *, restarts=2, time_limit_s=5.0, **settings):
    return recombine.restarted(
        runs,
        {"time_limit_s": time_limit_s, "seed": 7, **settings},
        restarts=restarts,
        share=0.15,
        vehicle_class=[0, 0],
        fixed=[0, 0],
        penalty=[1000] * 4,
        v_early=[0, 0],
    )


def test_restarts_recombine_then_run_warm_from_the_recombined_plan():
    """Two cold runs meet {0,1} (cost 21) and {2,3} (25) in one plan and {0}, {1,2,3}
    in another; a route costs 10 a request plus their numbers, so every plan of the
    four requests costs 46 and nothing beats the first: the recombination keeps it, and
    as it ends early, warm runs start from it (cool, from other seeds), at most
    `MAX_WARM_RUNS` of them."""
    first, second = [{0, 1}, {2, 3}], [{0}, {1, 2, 3}]
    runs = FakeRuns([first, second])
    out = restart(runs)
    assert out["restarts"] == 2 and out["warm_runs"] == recombine.MAX_WARM_RUNS
    assert len(runs.calls) == 2 + recombine.MAX_WARM_RUNS
    assert out["objective"] == 46 and out["recombined"] == 0
    assert out["lns_iterations"] == 10 * len(runs.calls)
    cold, warm = runs.calls[:2], runs.calls[2:]
    assert [w for _, w in cold] == [None, None]
    assert [s["start_temp"] for s, _ in cold] == [recombine.COLD_TEMP] * 2
    seeds = [s["seed"] for s, _ in runs.calls]
    assert len(set(seeds)) == len(seeds)
    for given_settings, start in warm:
        assert given_settings["start_temp"] == recombine.WARM_TEMP and given_settings["pool"] > 0
        assert start == [[0, 1, 2, 3], [4, 5, 6, 7]]


def test_a_callers_own_start_temperature_holds_for_the_cold_runs():
    runs = FakeRuns([[{0, 1}, {2, 3}]])
    restart(runs, start_temp=0.2)
    assert [s["start_temp"] for s, _ in runs.calls[:2]] == [0.2, 0.2]
    assert all(s["start_temp"] == recombine.WARM_TEMP for s, _ in runs.calls[2:])


def test_a_cheaper_combination_of_the_runs_routes_is_the_plan():
    """Run one has {0,1} and a dear {2,3}; run two a dear {0,1} and a cheap {2,3}: the
    recombination takes the cheap route of each, and the warm runs start from it."""
    runs = FakeRuns([[{0, 1}, {2, 3}], [{1, 0}, {3, 2}]])
    dear = 50  # run 1's second route and run 2's first

    def priced(run_settings, warm):
        out = runs(run_settings, warm)
        k = len(runs.calls)
        if k <= 2:
            v = 1 if k == 1 else 0
            v_cost, seq = out["pool"][v][1:]
            out["pool"][v] = (v, dear, seq)
            out["objective"] += dear - v_cost
        return out

    out = restart(priced)
    assert out["objective"] == 21 + 25 and out["recombined"] == (21 + dear) - 46
    assert sorted(map(sorted, out["routes"])) == [[0, 1, 2, 3], [4, 5, 6, 7]]
    assert all(start is not None for _, start in runs.calls[2:])
