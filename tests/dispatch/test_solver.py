"""The OR-Tools core: hand-checkable fixtures with known optimal plans, and properties
checked by the independent checker on random instances."""

from __future__ import annotations

import logging
import time

import pytest
from hypothesis import HealthCheck, given, settings

from dispatch.check import check_plan, prove_unassigned_reason
from dispatch.errors import SolverError
from dispatch.insertion import construct
from dispatch.model import (
    Break,
    DeliveryOrder,
    Onboard,
    RideRequest,
    StopKind,
    StopRef,
    TimeWindow,
)
from dispatch.model import Problem as P
from dispatch.result import StepKind, UnassignedReason
from dispatch.solver import solve
from dispatch.stop import FirstSolution, MaxRuntime, NoImprovement, SolutionLimit
from tests.dispatch.instances import HOUR, line_matrix, random_problems, sedan

FAST = SolutionLimit(30)


def stops_of(plan, vehicle_id):
    route = plan.route(vehicle_id)
    return [
        (s.kind.value, s.request_id)
        for s in route.steps
        if s.kind in (StepKind.PICKUP, StepKind.DROPOFF)
    ]


def assert_clean(problem, plan):
    report = check_plan(problem, plan)
    assert report.ok(), str(report)
    assert report.cost == pytest.approx(plan.summary.cost, rel=1e-9)
    return report


# -- hand-checkable fixtures ----------------------------------------------------------


def test_single_ride_on_a_line_has_the_obvious_plan():
    # depot at 0, pickup at 100, dropoff at 300 (seconds along one road)
    t, d = line_matrix([0, 100, 300])
    ride = RideRequest("r1", 1, 2, pickup_window=TimeWindow(1000, 1200), board_s=60, alight_s=60)
    problem = P(t, d, (ride,), (sedan(cost_per_hour=3600, cost_per_km=10),))
    plan = solve(problem, FAST)
    assert_clean(problem, plan)
    route = plan.route("v1")
    assert stops_of(plan, "v1") == [("pickup", "r1"), ("dropoff", "r1")]
    start, pick, drop, end = route.steps
    # leave as late as possible: arrive exactly when the window opens
    assert (start.departure, pick.service_start) == (900, 1000)
    assert (drop.arrival, drop.service_start) == (1260, 1260)
    assert end.arrival == 1260 + 60 + 300
    assert route.distance_m == 6000  # 0 -> 100 -> 300 -> 0 is 600 s at 10 m/s
    # 1620 - 900 = 720 s at 3600 yen/h, 6 km at 10 yen/km; no excess ride time
    assert plan.summary.cost == pytest.approx(720 + 60)


def test_two_riders_share_when_it_is_cheaper():
    # both ride from near 100 to 300: one trip serves both
    t, d = line_matrix([0, 100, 110, 300])
    r1 = RideRequest("r1", 1, 3, pickup_window=TimeWindow(1000, 1100), board_s=0, alight_s=0)
    r2 = RideRequest("r2", 2, 3, pickup_window=TimeWindow(1000, 1100), board_s=0, alight_s=0)
    problem = P(t, d, (r1, r2), (sedan("a"), sedan("b")))
    plan = solve(problem, FAST)
    assert_clean(problem, plan)
    assert plan.summary.vehicles_used == 1
    assert plan.summary.distance_m == 6000  # 0 -> 100 -> 110 -> 300 -> 0
    assert stops_of(plan, plan.routes[0].vehicle_id) == [
        ("pickup", "r1"),
        ("pickup", "r2"),
        ("dropoff", "r1"),
        ("dropoff", "r2"),
    ] or stops_of(plan, plan.routes[0].vehicle_id)[:2] == [("pickup", "r1"), ("pickup", "r2")]


def test_capacity_forces_riders_one_after_another():
    t, d = line_matrix([0, 100, 110, 300])
    r1 = RideRequest("r1", 1, 3, pickup_window=TimeWindow(0, 5000), party_size=2)
    r2 = RideRequest("r2", 2, 3, pickup_window=TimeWindow(0, 5000), party_size=2)
    problem = P(t, d, (r1, r2), (sedan(capacity=(3, 0, 0)),))
    plan = solve(problem, FAST)
    assert_clean(problem, plan)
    loads = [s.load[0] for s in plan.route("v1").steps]
    assert max(loads) == 2
    assert plan.summary.served == 2


def test_wheelchair_rider_goes_to_the_wheelchair_van_and_reason_without_one():
    t, d = line_matrix([0, 100, 300])
    ride = RideRequest("w1", 1, 2, pickup_window=TimeWindow(0, 3000), wheelchairs=1)
    van = sedan("van", capacity=(2, 1, 0), features=frozenset({"lift"}))
    problem = P(t, d, (ride,), (sedan("car"), van))
    plan = solve(problem, FAST)
    assert_clean(problem, plan)
    assert plan.vehicle_of("w1") == "van"
    alone = P(t, d, (ride,), (sedan("car"),))
    plan = solve(alone, FAST)
    assert_clean(alone, plan)
    assert plan.unassigned[0].reason is UnassignedReason.NO_COMPATIBLE_VEHICLE


def test_required_feature_is_respected():
    t, d = line_matrix([0, 100, 300])
    ride = RideRequest(
        "a1", 1, 2, pickup_window=TimeWindow(0, 3000), required_features=frozenset({"low_step"})
    )
    problem = P(t, d, (ride,), (sedan("car"), sedan("low", features=frozenset({"low_step"}))))
    plan = solve(problem, FAST)
    assert_clean(problem, plan)
    assert plan.vehicle_of("a1") == "low"


def test_unreachable_window_and_short_max_ride_are_explained():
    t, d = line_matrix([0, 100, 3000])
    late = RideRequest(
        "late", 1, 2, pickup_window=TimeWindow(50, 60)
    )  # shift starts at 0, 100 s away
    long = RideRequest("long", 1, 2, pickup_window=TimeWindow(1000, 2000), max_ride_s=1000)
    problem = P(t, d, (late, long), (sedan(),))
    plan = solve(problem, FAST)
    assert_clean(problem, plan)
    reasons = {u.request_id: u.reason for u in plan.unassigned}
    assert reasons == {
        "late": UnassignedReason.WINDOW_UNREACHABLE,
        "long": UnassignedReason.MAX_RIDE_TOO_SHORT,
    }
    for task in problem.tasks:
        assert prove_unassigned_reason(problem, task) is reasons[task.id]


def test_book_by_arrival_reaches_the_hospital_in_time():
    t, d = line_matrix([0, 100, 700])
    ride = RideRequest("h1", 1, 2, arrive_by=4000, arrive_earliest=3400, board_s=120, alight_s=120)
    problem = P(t, d, (ride,), (sedan(),))
    plan = solve(problem, FAST)
    assert_clean(problem, plan)
    drop = next(s for s in plan.route("v1").steps if s.kind is StepKind.DROPOFF)
    assert 3400 <= drop.service_start <= 4000


def test_delivery_and_ride_share_one_vehicle():
    t, d = line_matrix([0, 50, 100, 300])
    order = DeliveryOrder("d1", 1, 3, ready_at=0, due_by=5000, cargo_units=2)
    ride = RideRequest("r1", 2, 3, pickup_window=TimeWindow(500, 800))
    problem = P(t, d, (order, ride), (sedan(capacity=(3, 0, 2)),))
    plan = solve(problem, FAST)
    assert_clean(problem, plan)
    assert plan.summary.served == 2 and plan.summary.vehicles_used == 1


def test_break_is_taken_inside_its_window():
    t, d = line_matrix([0, 100, 300])
    rides = tuple(
        RideRequest(f"r{i}", 1, 2, pickup_window=TimeWindow(i * 1800, i * 1800 + 600))
        for i in range(5)
    )
    v = sedan(shift=(0, 4 * HOUR), breaks=(Break("lunch", TimeWindow(3000, 4000), 900),))
    problem = P(t, d, rides, (v,))
    plan = solve(problem, FAST)
    assert_clean(problem, plan)
    assert plan.summary.served == 5
    br = [s for s in plan.route("v1").steps if s.kind is StepKind.BREAK]
    assert len(br) == 1 and 3000 <= br[0].service_start <= 4000


def test_locked_prefix_and_onboard_rider_are_kept():
    t, d = line_matrix([0, 100, 200, 300, 400])
    onboard = RideRequest("on", 1, 4, pickup_window=TimeWindow(0, 100), onboard=Onboard("v1", 100))
    r2 = RideRequest("r2", 2, 3, pickup_window=TimeWindow(0, 2000))
    r3 = RideRequest("r3", 3, 1, pickup_window=TimeWindow(0, 2000))
    v1 = sedan("v1", depot=1, shift=(100, 4 * HOUR), start_time=160)
    v2 = sedan("v2")
    problem = P(
        t,
        d,
        (onboard, r2, r3),
        (v1, v2),
        locked={"v1": (StopRef("r3", StopKind.PICKUP),)},
    )
    plan = solve(problem, FAST)
    assert_clean(problem, plan)
    assert stops_of(plan, "v1")[0] == ("pickup", "r3")
    assert plan.vehicle_of("on") == "v1"
    assert plan.route("v1").steps[0].load == (1, 0, 0)


def test_infeasible_lock_is_a_solver_error():
    t, d = line_matrix([0, 100, 200])
    r1 = RideRequest("r1", 1, 2, pickup_window=TimeWindow(0, 2000))
    r2 = RideRequest("r2", 2, 1, pickup_window=TimeWindow(0, 50))
    problem = P(
        t,
        d,
        (r1, r2),
        (sedan(),),
        locked={"v1": (StopRef("r1", StopKind.PICKUP), StopRef("r2", StopKind.PICKUP))},
    )
    with pytest.raises(SolverError):
        solve(problem, FAST)


def test_promise_is_a_hard_pickup_window():
    t, d = line_matrix([0, 100, 300])
    ride = RideRequest(
        "p1", 1, 2, pickup_window=TimeWindow(0, 5000), promise=TimeWindow(2000, 2300)
    )
    problem = P(t, d, (ride,), (sedan(),))
    plan = solve(problem, FAST)
    assert_clean(problem, plan)
    pick = next(s for s in plan.route("v1").steps if s.kind is StepKind.PICKUP)
    assert 2000 <= pick.service_start <= 2300


def test_stopping_criteria_and_one_log_line(caplog):
    t, d = line_matrix([0, 100, 300])
    ride = RideRequest("r1", 1, 2, pickup_window=TimeWindow(0, 5000))
    problem = P(t, d, (ride,), (sedan(),))
    with caplog.at_level(logging.INFO, logger="dispatch.solver"):
        for stop in (FirstSolution(), MaxRuntime(0.2) | NoImprovement(0.1), SolutionLimit(5)):
            assert solve(problem, stop).summary.served == 1
    assert len([r for r in caplog.records if r.message.startswith("solve:")]) == 3


def test_same_seed_and_solution_limit_give_the_same_plan():
    t, d = line_matrix([0, 100, 150, 300, 420, 500])
    rides = tuple(
        RideRequest(
            f"r{i}", i % 5 + 1, (i + 2) % 5 + 1, pickup_window=TimeWindow(i * 300, i * 300 + 900)
        )
        for i in range(8)
    )
    problem = P(t, d, rides, (sedan("a"), sedan("b")))
    a = solve(problem, SolutionLimit(40), seed=3)
    b = solve(problem, SolutionLimit(40), seed=3)
    assert a.to_dict()["routes"] == b.to_dict()["routes"]


# -- properties on random instances -----------------------------------------------


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_problems())
def test_every_plan_passes_the_checker_and_warm_start_never_worsens(problem):
    plan = solve(problem, SolutionLimit(25))
    assert_clean(problem, plan)
    for u in plan.unassigned:
        if u.reason is not UnassignedReason.NOT_SELECTED:
            assert prove_unassigned_reason(problem, problem.task(u.request_id)) is u.reason
    again = solve(problem, SolutionLimit(10), initial=plan)
    assert_clean(problem, again)
    assert again.summary.cost <= plan.summary.cost + 1e-6


@settings(max_examples=25, deadline=None)
@given(random_problems(max_requests=3))
def test_requests_feasible_alone_are_never_blamed_on_the_network(problem):
    plan = solve(problem, SolutionLimit(15))
    for u in plan.unassigned:
        proven = prove_unassigned_reason(problem, problem.task(u.request_id))
        if proven is None:
            assert u.reason is UnassignedReason.NOT_SELECTED
        else:
            assert u.reason is proven


def test_construction_past_its_deadline_still_places_locked_and_onboard_riders():
    """A caller's time limit bounds our insertion heuristic too (the solver's fallback)."""
    t, d = line_matrix([0, 100, 200, 300, 400])
    onboard = RideRequest("on", 1, 4, pickup_window=TimeWindow(0, 100), onboard=Onboard("v1", 100))
    r2 = RideRequest("r2", 2, 3, pickup_window=TimeWindow(0, 2000))
    r3 = RideRequest("r3", 3, 1, pickup_window=TimeWindow(0, 2000))
    v1 = sedan("v1", depot=1, shift=(100, 4 * HOUR), start_time=160)
    problem = P(t, d, (onboard, r2, r3), (v1,), locked={"v1": (StopRef("r3", StopKind.PICKUP),)})
    routes, unassigned = construct(problem, deadline=time.monotonic() - 1)
    placed = {n.task.id for r in routes for n in r.nodes if n.task is not None}
    assert placed == {"on", "r3"}
    assert [(u.request_id, u.reason) for u in unassigned] == [("r2", UnassignedReason.NOT_SELECTED)]
    routes, unassigned = construct(problem, deadline=time.monotonic() + 60)
    assert not unassigned
