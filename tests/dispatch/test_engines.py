"""Both engines on live-day problems: the native engine (default) against OR-Tools.

Random problems look like a live re-optimisation: a plan built by our insertion
heuristic is partly executed (locked prefixes, some ending on a pickup whose dropoff
is still free), a rider sits in a car (on board, its ride limit a deadline), some
drivers have breaks, some cars are closed, rides carry promises, arrival times and
ride limits next to shop deliveries. Every plan of either engine must pass the
independent checker; the native plan must cost no more than OR-Tools' at the same
deterministic budget (up to `TOLERANCE`) and never more than the plan it started from.
"""

from __future__ import annotations

import logging
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from dispatch import native, solver
from dispatch.check import check_plan
from dispatch.errors import InputError, SolverError
from dispatch.insertion import construct, to_plan
from dispatch.model import (
    Break,
    CostWeights,
    DeliveryOrder,
    Onboard,
    Problem,
    RideRequest,
    RideTimePolicy,
    StopKind,
    StopRef,
    TimeWindow,
    Vehicle,
)
from dispatch.result import StepKind
from dispatch.solver import SearchConfig, solve
from dispatch.stop import FirstSolution, MaxRuntime, SolutionLimit
from tests.dispatch.instances import HOUR, line_matrix, metric_closure, sedan

NATIVE = SearchConfig(engine="native")
ORTOOLS = SearchConfig(engine="ortools")
#: 30 solutions each; the time guard only stops OR-Tools where it finds no first plan
#: (locked routes it cannot complete: it would search for minutes)
BUDGET = SolutionLimit(30) | MaxRuntime(3)
#: The native plan may cost this much more than OR-Tools' (relative). Both get a
#: deterministic budget of 30 solutions; on problems this small either finds the
#: optimum almost always, and the native engine searches the plan's exact cost (route
#: duration with waiting, excess ride) that OR-Tools only approximates. The margin
#: covers the rare example where OR-Tools' guided local search is luckier within its
#: budget; a native engine that misses a feasible plan (an unassigned request costs
#: 1 000 000 yen, far beyond 5 %) or prices routes wrongly still fails.
TOLERANCE = 0.05


def stops(plan, vehicle_id):
    route = plan.route(vehicle_id)
    if route is None:
        return []
    return [
        StopRef(s.request_id, StopKind(s.kind.value))
        for s in route.steps
        if s.kind in (StepKind.PICKUP, StepKind.DROPOFF)
    ]


def assert_valid(problem, plan):
    report = check_plan(problem, plan)
    assert report.ok(), str(report)
    routed = [rid for r in plan.routes for rid in r.request_ids]
    left = [u.request_id for u in plan.unassigned]
    assert len(routed) == len(set(routed))
    assert sorted(routed + left) == sorted(t.id for t in problem.tasks)
    for vid, refs in problem.locked.items():
        assert stops(plan, vid)[: len(refs)] == list(refs)
    for vid in problem.closed_vehicles:
        assert len(stops(plan, vid)) == len(problem.locked.get(vid, ()))


@st.composite
def base_problems(draw):
    """A morning's bookings and fleet, before anything has happened."""
    n = draw(st.integers(4, 9))
    pts = np.asarray(
        draw(
            st.lists(st.tuples(st.integers(0, 4000), st.integers(0, 4000)), min_size=n, max_size=n)
        ),
        dtype=float,
    )
    dist = metric_closure(
        np.rint(np.linalg.norm(pts[:, None] - pts[None, :], axis=2)).astype(np.int64)
    )
    time_s = metric_closure(np.ceil(dist / draw(st.sampled_from([6, 9]))).astype(np.int64))
    horizon = 8 * HOUR
    requests = []
    for i in range(draw(st.integers(2, 7))):
        a, b = draw(st.integers(0, n - 1)), draw(st.integers(0, n - 1))
        start = draw(st.integers(HOUR, 5 * HOUR))
        width = draw(st.sampled_from([600, 1800, 3600]))
        if draw(st.integers(0, 3)) > 0:
            kw: dict = {}
            how = draw(st.sampled_from(["window", "promise", "arrive_by"]))
            if how == "arrive_by":
                kw["arrive_by"] = start + width + 1800
            else:
                kw["pickup_window"] = TimeWindow(start, start + 2 * width)
                if how == "promise":
                    kw["promise"] = TimeWindow(start, start + 900)
            if draw(st.booleans()):
                kw["max_ride_s"] = int(time_s[a, b]) + draw(st.sampled_from([300, 900]))
            requests.append(RideRequest(f"r{i}", a, b, party_size=draw(st.integers(1, 2)), **kw))
        else:
            requests.append(
                DeliveryOrder(f"d{i}", a, b, ready_at=start, due_by=start + width + 1800)
            )
    vehicles = []
    for k in range(draw(st.integers(1, 4))):
        depot = draw(st.integers(0, n - 1))
        breaks = ()
        if draw(st.booleans()):
            bs = draw(st.integers(2 * HOUR, 4 * HOUR))
            breaks = (Break("lunch", TimeWindow(bs, bs + draw(st.sampled_from([0, 1800]))), 1800),)
        vehicles.append(
            Vehicle(
                f"v{k}",
                depot,
                depot,
                TimeWindow(0, 7 * HOUR),
                capacity=(draw(st.integers(2, 4)), 0, 3),
                breaks=breaks,
                cost_per_hour=draw(st.sampled_from([0, 3000])),
                fixed_cost=draw(st.sampled_from([0, 500])),
            )
        )
    return Problem(
        time_s,
        dist,
        tuple(requests),
        tuple(vehicles),
        horizon_s=horizon,
        ride_policy=RideTimePolicy(alpha=1.5, beta_s=600, cap_s=HOUR),
        weights=CostWeights(excess_ride_per_hour=draw(st.sampled_from([0, 500]))),
    )


@st.composite
def live_problems(draw):
    """The base problem part-way through the day: locks, a rider on board, closed cars."""
    base = draw(base_problems())
    routes, _ = construct(base, seed=draw(st.integers(0, 3)))
    requests = {r.id: r for r in base.requests}
    vehicles = {v.id: v for v in base.vehicles}
    locked: dict[str, tuple[StopRef, ...]] = {}
    closed = set()
    for route in routes:
        real = [(n, s) for n, s in zip(route.nodes, route.sched.starts, strict=True) if n.task]
        if not real:
            continue
        vid = route.vehicle.id
        k = draw(st.integers(0, len(real)))
        if k == len(real) and draw(st.booleans()):
            closed.add(vid)
        refs = [StopRef(n.task.id, StopKind(n.kind.value)) for n, _ in real[:k]]
        first, start = real[0]
        if k and first.kind is StepKind.PICKUP and draw(st.booleans()):
            # the first pickup is done: the rider is on board, the car has left from there
            req = requests[first.task.id]
            departed = start + first.task.pickup.service_s
            requests[req.id] = replace(req, onboard=Onboard(vid, departed))
            v = vehicles[vid]
            vehicles[vid] = replace(v, start=first.location, start_time=departed)
            refs = refs[1:]
        if refs:
            locked[vid] = tuple(refs)
    return base.with_changes(
        requests=tuple(requests.values()),
        vehicles=tuple(vehicles.values()),
        locked=locked,
        closed_vehicles=frozenset(closed),
    )


def both_engines(problem, stop, **kw):
    """Both engines' plans (None for an engine that raised), or None when both prove
    the locks infeasible. OR-Tools may fail where the native engine finds a plan."""
    try:
        ours = solve(problem, stop, config=NATIVE, **kw)
    except SolverError:
        with pytest.raises(SolverError):
            solve(problem, stop, config=ORTOOLS, **kw)
        return None
    try:
        theirs = solve(problem, stop, config=ORTOOLS, **kw)
    except SolverError:
        theirs = None
    return ours, theirs


@given(live_problems(), st.integers(0, 5))
@settings(
    max_examples=40,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
def test_native_matches_or_beats_ortools_on_live_problems(problem, seed):
    pair = both_engines(problem, BUDGET, seed=seed)
    if pair is None:
        return
    ours, theirs = pair
    assert ours.stats["engine"] == "native"
    assert_valid(problem, ours)
    if theirs is None:
        return
    assert theirs.stats["engine"] in ("ortools", "initial")
    assert_valid(problem, theirs)
    assert ours.summary.cost <= theirs.summary.cost * (1 + TOLERANCE) + 1e-6


@given(live_problems(), st.integers(0, 5), st.booleans())
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_native_warm_start_is_never_worse_than_its_start(problem, seed, from_solve):
    try:
        if from_solve:
            initial = solve(problem, FirstSolution(), seed=seed + 1, config=NATIVE)
        else:
            routes, unassigned = construct(problem, seed=seed)
            initial = to_plan(problem, routes, unassigned, {"solver": "insertion"})
    except (SolverError, AssertionError):  # construct() asserts on locks it cannot time
        assume(False)
    assume(check_plan(problem, initial).ok())
    plan = solve(problem, SolutionLimit(10), seed=seed, initial=initial, config=NATIVE)
    assert plan.stats["engine"] in ("native", "initial")
    assert_valid(problem, plan)
    assert plan.summary.cost <= initial.summary.cost + 1e-6
    again = solve(problem, SolutionLimit(10), seed=seed, initial=initial, config=NATIVE)
    assert again.to_dict()["routes"] == plan.to_dict()["routes"]


# -- hand-checkable cases -------------------------------------------------------------


def lunch_problem():
    """Rides at 10:00 and 13:00 around a lunch break that must start 11:30-12:00."""
    t, d = line_matrix([0, 300, 600])
    rides = (
        RideRequest("am", 1, 2, pickup_window=TimeWindow(10 * HOUR, 10 * HOUR + 600)),
        RideRequest("pm", 2, 1, pickup_window=TimeWindow(13 * HOUR, 13 * HOUR + 600)),
        RideRequest("noon", 1, 2, pickup_window=TimeWindow(11 * HOUR + 1800, 12 * HOUR)),
    )
    lunch = Break("lunch", TimeWindow(11 * HOUR + 1800, 12 * HOUR), 2700)
    car = sedan("v1", shift=(9 * HOUR, 17 * HOUR), breaks=(lunch,))
    return Problem(t, d, rides, (car,))


def test_a_break_in_the_middle_of_a_route_is_placed_exactly():
    problem = lunch_problem()
    plan = solve(problem, SolutionLimit(20))
    assert plan.stats["engine"] == "native"
    assert_valid(problem, plan)
    steps = plan.route("v1").steps
    kinds = [s.kind for s in steps]
    assert StepKind.BREAK in kinds[1:-1]  # taken on the route, between stops
    i = kinds.index(StepKind.BREAK)
    brk = steps[i]
    assert 11 * HOUR + 1800 <= brk.service_start <= 12 * HOUR
    assert brk.departure - brk.service_start == 2700
    # the next stop comes after the break is over, travel included
    nxt = steps[i + 1]
    assert nxt.service_start >= brk.departure
    assert plan.summary.served == 3 or "noon" in {u.request_id for u in plan.unassigned}


def test_a_break_moves_inside_the_locked_stops_to_make_room_for_a_locked_pickups_dropoff():
    """The lunch (exactly 9962 s, 30 min) can only come before the locked shop pickup:
    placed after it, the goods' dropoff fits nowhere (found by the property below)."""
    t = np.array([[0, 121, 0, 0], [121, 0, 121, 121], [0, 121, 0, 0], [0, 121, 0, 0]])
    lunch = Break("lunch", TimeWindow(9962, 9962), 1800)
    v0 = Vehicle("v0", 0, 0, TimeWindow(0, 25200), (2, 0, 3), breaks=(lunch,), cost_per_hour=0)
    v1 = Vehicle("v1", 0, 0, TimeWindow(0, 25200), (2, 0, 3), cost_per_hour=0)
    requests = (
        RideRequest("r0", 0, 0, pickup_window=TimeWindow(12064, 13264)),
        RideRequest("r1", 0, 0, pickup_window=TimeWindow(3600, 4800)),
        RideRequest("r2", 0, 1, pickup_window=TimeWindow(5401, 12601)),
        DeliveryOrder("d3", 0, 0, ready_at=9843, due_by=12243),
    )
    locked = {
        "v0": tuple(
            StopRef(rid, StopKind(kind))
            for rid, kind in [
                ("r1", "pickup"), ("r1", "dropoff"), ("r2", "pickup"), ("r2", "dropoff"),
                ("d3", "pickup"),
            ]
        )
    }  # fmt: skip
    problem = Problem(t, t * 10, requests, (v0, v1), locked=locked)
    plan = solve(problem, BUDGET, config=NATIVE)
    assert_valid(problem, plan)
    assert plan.summary.unassigned == 0 and plan.stats["engine"] == "native"
    steps = [(s.kind, s.request_id or s.break_id) for s in plan.route("v0").steps]
    assert steps.index((StepKind.BREAK, "lunch")) < steps.index((StepKind.PICKUP, "d3"))


def test_native_serves_as_many_as_ortools_when_a_locked_pickup_shares_the_car():
    """Once a known weakness (with the shop pickup d5 locked, the native search served 4
    of 6 where OR-Tools serves 5): an ejection chain cut short by its budget ejected
    goods it could not place again, and the worse plan replaced the repaired one."""
    t = np.array([[0, 721, 549, 549], [721, 0, 467, 467], [549, 467, 0, 0], [549, 467, 0, 0]])
    d = np.array(
        [[0, 4321, 3293, 3293], [4321, 0, 2797, 2797], [3293, 2797, 0, 0], [3293, 2797, 0, 0]]
    )
    v0 = Vehicle("v0", 0, 0, TimeWindow(0, 25200), (2, 0, 3), cost_per_hour=0)
    goods = [DeliveryOrder(f"d{k}", 0, 0, ready_at=3600, due_by=6000) for k in (1, 2, 3, 5)]
    requests = (
        RideRequest("r0", 0, 0, pickup_window=TimeWindow(3600, 4800)),
        DeliveryOrder("d4", 1, 0, ready_at=3600, due_by=6000),
        *goods,
    )
    problem = Problem(
        t, d, requests, (v0,), horizon_s=28800,
        locked={"v0": (StopRef("d5", StopKind.PICKUP),)},
        weights=CostWeights(excess_ride_per_hour=0),
    )  # fmt: skip
    ours = solve(problem, BUDGET, config=NATIVE)
    theirs = solve(problem, BUDGET, config=ORTOOLS)
    assert ours.summary.served >= theirs.summary.served


def test_an_unused_car_and_a_break_before_the_first_stop_cost_nothing():
    """A break that fits before the route starts is taken off the route (the checker
    accepts it there), so the route's hours do not pay for it."""
    t, d = line_matrix([0, 300, 600])
    ride = RideRequest("pm", 1, 2, pickup_window=TimeWindow(14 * HOUR, 14 * HOUR + 600))
    lunch = Break("lunch", TimeWindow(12 * HOUR, 13 * HOUR), 2700)
    cars = (
        sedan("v1", shift=(9 * HOUR, 17 * HOUR), breaks=(lunch,)),
        sedan("v2", shift=(9 * HOUR, 17 * HOUR), breaks=(lunch,)),
    )
    problem = Problem(t, d, (ride,), cars)
    plan = solve(problem, SolutionLimit(10))
    assert_valid(problem, plan)
    assert plan.summary.vehicles_used == 1 and len(plan.routes) == 1
    route = plan.routes[0]
    assert all(s.kind is not StepKind.BREAK for s in route.steps)
    assert route.steps[0].departure == 14 * HOUR - 300  # leaves just in time


def test_a_rider_on_board_is_delivered_by_the_deadline_of_the_ride_limit():
    t, d = line_matrix([0, 100, 400, 900])
    onboard = RideRequest(
        "on", 1, 3, pickup_window=TimeWindow(0, 600), max_ride_s=1000, onboard=Onboard("v1", 500)
    )
    # a tempting detour to 2 before 3 would break the rider's limit (500 + 1000 s)
    other = RideRequest("x", 2, 0, pickup_window=TimeWindow(600, 4000))
    car = sedan("v1", depot=1, shift=(0, 4 * HOUR), start_time=500)
    problem = Problem(t, d, (onboard, other), (car,))
    plan = solve(problem, SolutionLimit(20))
    assert plan.stats["engine"] == "native"
    assert_valid(problem, plan)
    drop = next(s for s in plan.route("v1").steps if s.request_id == "on")
    assert drop.service_start <= 500 + 1000
    assert plan.route("v1").steps[0].load == (1, 0, 0)


def test_a_locked_pickup_keeps_its_place_and_its_dropoff_goes_after_it():
    t, d = line_matrix([0, 100, 200, 300, 400])
    rides = (
        RideRequest("a", 1, 4, pickup_window=TimeWindow(0, 2000)),
        RideRequest("b", 2, 3, pickup_window=TimeWindow(0, 2000)),
    )
    problem = Problem(
        t, d, rides, (sedan("v1"), sedan("v2")), locked={"v1": (StopRef("a", StopKind.PICKUP),)}
    )
    plan = solve(problem, SolutionLimit(20))
    assert_valid(problem, plan)
    assert stops(plan, "v1")[0] == StopRef("a", StopKind.PICKUP)
    assert StopRef("a", StopKind.DROPOFF) in stops(plan, "v1")


def test_a_closed_car_takes_nothing_more_and_impossible_locks_are_errors():
    t, d = line_matrix([0, 100, 200, 300])
    rides = (
        RideRequest("a", 1, 2, pickup_window=TimeWindow(0, 2000)),
        RideRequest("b", 2, 3, pickup_window=TimeWindow(0, 2000)),
    )
    locked = {"v1": (StopRef("a", StopKind.PICKUP), StopRef("a", StopKind.DROPOFF))}
    problem = Problem(t, d, rides, (sedan("v1"),), locked=locked, closed_vehicles=frozenset({"v1"}))
    plan = solve(problem, SolutionLimit(10))
    assert_valid(problem, plan)
    assert [u.request_id for u in plan.unassigned] == ["b"]
    dangling = problem.with_changes(locked={"v1": (StopRef("a", StopKind.PICKUP),)})
    with pytest.raises(SolverError, match="locked"):
        solve(dangling, SolutionLimit(10))  # its dropoff would be beyond the closed lock
    free = problem.with_changes(
        locked={"v1": (StopRef("a", StopKind.DROPOFF),)}, closed_vehicles=frozenset()
    )
    with pytest.raises(SolverError, match="dropoff of 'a' is locked"):
        solve(free, SolutionLimit(10))


def day(seed: int = 0, n: int = 14) -> Problem:
    rng = np.random.default_rng(seed)
    pts = rng.integers(0, 5000, size=(10, 2))
    dist = metric_closure(
        np.rint(np.linalg.norm(pts[:, None] - pts[None, :], axis=2)).astype(np.int64)
    )
    time_s = metric_closure(np.ceil(dist / 8).astype(np.int64))
    rides = tuple(
        RideRequest(
            f"r{i}",
            int(rng.integers(1, 10)),
            int(rng.integers(1, 10)),
            pickup_window=TimeWindow(int(s), int(s) + 1800),
        )
        for i, s in enumerate(rng.integers(9 * HOUR, 15 * HOUR, size=n))
    )
    lunch = Break("lunch", TimeWindow(12 * HOUR, 13 * HOUR), 2700)
    cars = tuple(sedan(f"v{k}", shift=(8 * HOUR, 18 * HOUR), breaks=(lunch,)) for k in range(3))
    return Problem(time_s, dist, rides, cars)


def test_first_solution_and_solution_limit_are_deterministic_for_a_seed():
    problem = day()
    for stop in (FirstSolution(), SolutionLimit(15)):
        a = solve(problem, stop, seed=4)
        b = solve(problem, stop, seed=4)
        assert a.stats["engine"] == "native"
        assert a.to_dict()["routes"] == b.to_dict()["routes"]
        assert_valid(problem, a)
    first = solve(problem, FirstSolution(), seed=4)
    assert first.stats["lns_iterations"] == 0
    limited = solve(problem, SolutionLimit(15), seed=4)
    assert limited.stats["lns_iterations"] <= solver.ITERATIONS_PER_SOLUTION * 15
    assert limited.stats["lns_improvements"] <= 15
    assert limited.summary.cost <= first.summary.cost + 1e-6


def test_every_plan_names_its_engine():
    problem = day(n=6)
    assert solve(problem, SolutionLimit(5)).stats["engine"] == "native"
    assert solve(problem, SolutionLimit(5), config=ORTOOLS).stats["engine"] == "ortools"
    legacy = SearchConfig(native=False)  # `noriai bench quality --config '{"native": false}'`
    assert solve(problem, SolutionLimit(5), config=legacy).stats["engine"] == "ortools"
    nothing = problem.with_changes(requests=())
    assert solve(nothing, SolutionLimit(5)).stats["engine"] == "none"
    best = solve(problem, MaxRuntime(1))
    kept = solve(problem, FirstSolution(), initial=best)
    assert kept.stats["engine"] in ("initial", "native")
    assert kept.summary.cost <= best.summary.cost + 1e-6
    with pytest.raises(InputError, match="engine must be one of"):
        SearchConfig(engine="cplex")


def test_without_the_module_solve_warns_once_and_uses_ortools(monkeypatch, caplog):
    problem = day(n=4)
    monkeypatch.setattr(native, "_pdptw", None)
    monkeypatch.setattr(solver, "_warned_missing", False)
    with caplog.at_level(logging.WARNING, logger="dispatch.solver"):
        first = solve(problem, SolutionLimit(5))
        second = solve(problem, SolutionLimit(5))
    assert first.stats["engine"] == second.stats["engine"] == "ortools"
    warnings = [r for r in caplog.records if "not built" in r.getMessage()]
    assert len(warnings) == 1 and warnings[0].levelno == logging.WARNING
    assert check_plan(problem, first).ok()
    with pytest.raises(SolverError, match="not built"):
        solve(problem, SolutionLimit(5), config=SearchConfig(native=True))
