"""The independent feasibility checker, on hand-checkable plans and random ones.

Every plan here is built by hand (`plan_fixtures`), never by the solver side, so a
shared misunderstanding cannot make both sides agree on a wrong plan.
"""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import dispatch.check
from dispatch.check import (
    KINDS,
    CheckReport,
    Violation,
    check_plan,
    prove_unassigned_reason,
    single_request_feasible,
)
from dispatch.model import (
    Break,
    CostWeights,
    DeliveryOrder,
    Onboard,
    Problem,
    RideRequest,
    StopKind,
    StopRef,
    Task,
    TimeWindow,
    Vehicle,
)
from dispatch.result import Plan, StepKind, Unassigned, UnassignedReason
from tests.dispatch.plan_fixtures import (
    D1,
    R1,
    R2,
    R3,
    V1,
    V1_DEPARTURE,
    V1_VISITS,
    V2,
    V2_DEPARTURE,
    VALID_COST,
    WEIGHTS,
    assemble_plan,
    timed_route,
    town_plan,
    town_problem,
    valid_plan,
)

Reason = UnassignedReason
NOT_SELECTED = Unassigned("r2", Reason.NOT_SELECTED)
R2_NO_VEHICLE = Unassigned("r2", Reason.NO_COMPATIBLE_VEHICLE)


def kinds(report: CheckReport) -> dict[str, float]:
    return report.by_kind()


def replace_step(plan: Plan, vehicle_id: str, index: int, /, **changes: object) -> Plan:
    """`plan` with one step's fields replaced and nothing else touched."""
    routes = []
    for r in plan.routes:
        if r.vehicle_id == vehicle_id:
            steps = list(r.steps)
            steps[index] = dataclasses.replace(steps[index], **changes)
            r = dataclasses.replace(r, steps=tuple(steps))
        routes.append(r)
    return dataclasses.replace(plan, routes=tuple(routes))


def replace_route(plan: Plan, vehicle_id: str, /, **changes: object) -> Plan:
    routes = tuple(
        dataclasses.replace(r, **changes) if r.vehicle_id == vehicle_id else r for r in plan.routes
    )
    return dataclasses.replace(plan, routes=routes)


def v1_visits(**service_starts: int) -> list[tuple[str, str, int]]:
    """v1's valid visits with some service starts moved, keyed like ``pickup_r1``."""
    return [(k, i, service_starts.get(f"{k}_{i}", t)) for k, i, t in V1_VISITS]


# -- the valid plan -----------------------------------------------------------------


def test_valid_plan_passes_with_the_hand_computed_cost() -> None:
    report = check_plan(town_problem(), valid_plan())
    assert report.ok(), str(report)
    assert report.violations == ()
    assert report.cost == VALID_COST == 205_710.0
    assert report.by_kind() == {}
    assert "plan OK" in str(report)


def test_the_test_builder_reproduces_the_literal_plan() -> None:
    rebuilt, literal = town_plan(), valid_plan()
    assert rebuilt.routes == literal.routes
    assert rebuilt.unassigned == literal.unassigned
    assert dataclasses.astuple(rebuilt.summary) == pytest.approx(
        dataclasses.astuple(literal.summary)
    )


def test_valid_plan_honours_locks_and_closed_vehicles() -> None:
    problem = town_problem(
        locked={
            "v1": (StopRef("r1", StopKind.PICKUP), StopRef("d1", StopKind.PICKUP)),
            "v2": (StopRef("r3", StopKind.PICKUP), StopRef("r3", StopKind.DROPOFF)),
        },
        closed_vehicles=frozenset({"v2"}),
    )
    assert check_plan(problem, valid_plan()).ok()


def test_weaker_but_true_reasons_are_accepted() -> None:
    # r2 fits no vehicle, so "no shift can reach it" is vacuously true as well.
    for reason in (Reason.WINDOW_UNREACHABLE, Reason.NOT_SELECTED):
        plan = town_plan(unassigned=[Unassigned("r2", reason)])
        assert check_plan(town_problem(), plan).ok()


def test_break_may_be_left_out_when_it_fits_after_the_end() -> None:
    # v2 has no break; give it one that fits after its END (33420) within the shift.
    late = dataclasses.replace(
        V2, breaks=(dataclasses.replace(V1.breaks[0], window=TimeWindow(33000, 33600)),)
    )
    problem = town_problem(vehicles=(V1, late))
    assert check_plan(problem, town_plan(problem)).ok()


# -- one violation kind at a time ---------------------------------------------------


def test_late_service_start_is_a_time_window_violation() -> None:
    plan = town_plan(v1=(V1_DEPARTURE, v1_visits(dropoff_d1=36050)))  # due by 36000
    report = check_plan(town_problem(), plan)
    assert kinds(report) == {"time_window": 50}
    (v,) = report.violations
    assert (v.vehicle_id, v.request_id) == ("v1", "d1")
    assert "step 5" in v.message


def test_broken_promise_is_reported_as_promise_not_time_window() -> None:
    # promised 30000-30600, booked 30000-31200: 30700 keeps the booking, breaks the promise
    plan = town_plan(
        v1=(
            V1_DEPARTURE,
            [
                ("pickup", "r1", 30700),
                ("pickup", "d1", 31060),
                ("dropoff", "r1", 31480),
                ("break", "lunch", 31540),
                ("dropoff", "d1", 32440),
            ],
        )
    )
    report = check_plan(town_problem(), plan)
    assert kinds(report) == {"promise": 100}
    assert report.violations[0].request_id == "r1"


def test_pickup_outside_booking_and_promise_reports_both() -> None:
    plan = town_plan(
        v1=(
            V1_DEPARTURE,
            [
                ("break", "lunch", 30900),
                ("pickup", "r1", 31300),
                ("pickup", "d1", 31660),
                ("dropoff", "r1", 32080),
                ("dropoff", "d1", 32740),
            ],
        )
    )
    assert kinds(check_plan(town_problem(), plan)) == {"promise": 700, "time_window": 100}


def test_two_wheelchairs_exceed_the_wheelchair_dimension() -> None:
    visits = [*V1_VISITS, ("pickup", "r2", 33060), ("dropoff", "r2", 34320)]
    plan = town_plan(v1=(V1_DEPARTURE, visits), unassigned=())
    report = check_plan(town_problem(), plan)
    assert kinds(report) == {"capacity": 1}
    assert "wheelchair" in report.violations[0].message


def test_ride_too_long() -> None:
    visits = [
        ("pickup", "r1", 30000),
        ("pickup", "d1", 30360),
        ("break", "lunch", 30900),
        ("dropoff", "r1", 31610),  # leaves the pickup at 30060: 1550 s > 1500 s
        ("dropoff", "d1", 32270),
    ]
    report = check_plan(town_problem(), town_plan(v1=(V1_DEPARTURE, visits)))
    assert kinds(report) == {"max_ride": 50}


def test_shift_end_exceeded() -> None:
    plan = town_plan(v2=(V2_DEPARTURE, [("pickup", "r3", 33000), ("dropoff", "r3", 33960)]))
    assert kinds(check_plan(town_problem(), plan)) == {"shift": 20}  # back at 34020 > 34000


def test_leaving_before_the_vehicle_start_time() -> None:
    problem = town_problem(vehicles=(V1, dataclasses.replace(V2, start_time=31600)))
    assert kinds(check_plan(problem, town_plan(problem))) == {"shift": 100}


def test_max_duration_exceeded() -> None:
    problem = town_problem(vehicles=(V1, dataclasses.replace(V2, max_duration_s=1800)))
    assert kinds(check_plan(problem, town_plan(problem))) == {"max_duration": 120}


def test_missing_break_that_fits_neither_before_nor_after() -> None:
    visits = [v for v in V1_VISITS if v[0] != "break"]
    visits[-1] = ("dropoff", "d1", 31440)
    report = check_plan(town_problem(), town_plan(v1=(V1_DEPARTURE, visits)))
    # before the start: 30900 + 300 - 29400 = 1800 late; after the end (32160): the
    # window closed at 31800, 360 s earlier. The smaller miss is the amount.
    assert kinds(report) == {"break": 360}


def test_break_outside_its_window() -> None:
    plan = town_plan(v1=(V1_DEPARTURE, v1_visits(break_lunch=30850)))
    assert kinds(check_plan(town_problem(), plan)) == {"break": 50}


def test_break_running_into_the_next_stop() -> None:
    plan = town_plan(v1=(V1_DEPARTURE, v1_visits(break_lunch=31500)))  # ends 31800 > 31740
    assert kinds(check_plan(town_problem(), plan)) == {"break": 60}


def test_unknown_break_id() -> None:
    plan = replace_step(valid_plan(), "v1", 4, break_id="nap")
    report = check_plan(town_problem(), plan)
    # "nap" is unknown (1) and lunch, no longer taken, misses the end (32460) by 660 s
    assert sorted(v.amount for v in report.of_kind("break")) == [1, 660]
    assert kinds(report) == {"break": 661}


def test_request_split_across_vehicles() -> None:
    v1 = [("pickup", "r1", 30000), ("pickup", "d1", 30360), ("break", "lunch", 30900)]
    v1.append(("dropoff", "d1", 31080))
    v2 = [("dropoff", "r1", 32700), ("pickup", "r3", 33000)]
    plan = town_plan(v1=(V1_DEPARTURE, v1), v2=(V2_DEPARTURE, v2))
    report = check_plan(town_problem(), plan)
    (pairing,) = report.of_kind("pairing")
    assert pairing.amount == 1 and pairing.request_id == "r1"
    assert "coverage" in kinds(report)  # r3 is never dropped off


def test_dropoff_before_pickup() -> None:
    visits = [
        ("pickup", "r1", 30000),
        ("dropoff", "d1", 30060),
        ("pickup", "d1", 30480),
        ("dropoff", "r1", 30900),
        ("break", "lunch", 30960),
    ]
    report = check_plan(town_problem(), town_plan(v1=(V1_DEPARTURE, visits)))
    # the cargo goes 2 units below zero between the dropoff and the pickup
    assert kinds(report) == {"precedence": 1, "capacity": 2}


def test_lock_order_broken() -> None:
    problem = town_problem(
        locked={"v1": (StopRef("r1", StopKind.PICKUP), StopRef("d1", StopKind.PICKUP))}
    )
    visits = [
        ("pickup", "d1", 30000),
        ("pickup", "r1", 30420),
        ("dropoff", "r1", 31080),
        ("break", "lunch", 31140),
        ("dropoff", "d1", 32040),
    ]
    report = check_plan(problem, town_plan(problem, v1=(29000, visits)))
    assert kinds(report) == {"lock": 2}


def test_closed_vehicle_takes_no_extra_stop() -> None:
    problem = town_problem(
        locked={"v2": (StopRef("r3", StopKind.PICKUP),)}, closed_vehicles=frozenset({"v2"})
    )
    assert kinds(check_plan(problem, town_plan(problem))) == {"lock": 1}


def test_wrong_reported_load() -> None:
    plan = replace_step(valid_plan(), "v1", 2, load=(1, 1, 3))
    assert kinds(check_plan(town_problem(), plan)) == {"load_report": 1}


def test_wrong_reported_step_distance() -> None:
    plan = replace_step(valid_plan(), "v1", 3, distance_m=12100)
    assert kinds(check_plan(town_problem(), plan)) == {"distance": 100}


def test_wrong_reported_route_and_summary_distance() -> None:
    plan = replace_route(valid_plan(), "v1", distance_m=24100)
    assert kinds(check_plan(town_problem(), plan)) == {"distance": 100}
    summary = dataclasses.replace(valid_plan().summary, distance_m=41900)
    plan = dataclasses.replace(valid_plan(), summary=summary)
    assert kinds(check_plan(town_problem(), plan)) == {"distance": 100}


def test_wrong_reported_drive_time() -> None:
    plan = replace_route(valid_plan(), "v2", drive_s=1830)
    assert kinds(check_plan(town_problem(), plan)) == {"duration_report": 30}


def test_wrong_reported_cost() -> None:
    plan = dataclasses.replace(
        valid_plan(), summary=dataclasses.replace(valid_plan().summary, cost=VALID_COST + 5)
    )
    report = check_plan(town_problem(), plan)
    assert kinds(report) == {"cost": 5}
    assert report.cost == VALID_COST
    route_wrong = replace_route(valid_plan(), "v2", cost=1325.0)
    assert kinds(check_plan(town_problem(), route_wrong)) == {"cost": 5}


def test_cost_within_tolerance_passes() -> None:
    summary = dataclasses.replace(valid_plan().summary, cost=VALID_COST + 0.1)
    plan = dataclasses.replace(valid_plan(), summary=summary)
    assert check_plan(town_problem(), plan).ok()  # 0.1 <= 1e-6 * 205710
    assert not check_plan(town_problem(), plan, cost_tolerance=1e-9).ok()


def test_wrong_summary_count() -> None:
    summary = dataclasses.replace(valid_plan().summary, served=4, vehicles_used=1)
    plan = dataclasses.replace(valid_plan(), summary=summary)
    assert kinds(check_plan(town_problem(), plan)) == {"summary": 2}


def test_request_both_routed_and_unassigned() -> None:
    plan = town_plan(unassigned=[R2_NO_VEHICLE, Unassigned("r3", Reason.NOT_SELECTED)])
    report = check_plan(town_problem(), plan)
    assert kinds(report) == {"coverage": 1}
    assert report.violations[0].request_id == "r3"


def test_request_missing() -> None:
    report = check_plan(town_problem(), town_plan(unassigned=()))
    assert kinds(report) == {"coverage": 1}
    assert "r2" in report.violations[0].message


def test_unknown_request_and_vehicle() -> None:
    plan = town_plan(unassigned=[R2_NO_VEHICLE, Unassigned("zz", Reason.NOT_SELECTED)])
    assert kinds(check_plan(town_problem(), plan)) == {"coverage": 1}
    plan = replace_route(valid_plan(), "v2", vehicle_id="v9")
    (unknown,) = check_plan(town_problem(), plan).of_kind("coverage")
    assert unknown.amount == 1 and "v9" in unknown.message


def test_false_unassigned_reason() -> None:
    for reason in (Reason.WINDOW_UNREACHABLE, Reason.MAX_RIDE_TOO_SHORT):
        plan = town_plan(v2=None, unassigned=[R2_NO_VEHICLE, Unassigned("r3", reason)])
        report = check_plan(town_problem(), plan)
        assert kinds(report) == {"unassigned_reason": 1}
        assert "feasible alone" in report.violations[0].message
    plan = town_plan(v2=None, unassigned=[R2_NO_VEHICLE, Unassigned("r3", Reason.NOT_SELECTED)])
    assert check_plan(town_problem(), plan).ok()


def test_missing_feature_and_pin() -> None:
    r2_on_v2 = [("pickup", "r2", 33000), ("dropoff", "r2", 34260)]
    plan = town_plan(v2=(31800, r2_on_v2), unassigned=[Unassigned("r3", Reason.NOT_SELECTED)])
    (access,) = check_plan(town_problem(), plan).of_kind("accessibility")
    assert access.amount == 1 and "wheelchair_lift" in access.message

    pinned = dataclasses.replace(R3, vehicle_ids=frozenset({"v1"}))
    problem = town_problem(requests=(R1, D1, R2, pinned))
    assert kinds(check_plan(problem, town_plan(problem))) == {"accessibility": 1}


def test_arrival_off_the_matrix() -> None:
    plan = replace_step(valid_plan(), "v2", 1, arrival=32390)  # 31500 + 900 is 32400
    assert kinds(check_plan(town_problem(), plan)) == {"schedule": 10}


def test_wrong_stop_location_and_missing_end() -> None:
    plan = replace_step(valid_plan(), "v2", 1, location=3)
    assert kinds(check_plan(town_problem(), plan)) == {"structure": 1}
    v2 = valid_plan().routes[1]
    plan = replace_route(valid_plan(), "v2", steps=v2.steps[:-1])
    assert check_plan(town_problem(), plan).by_kind()["structure"] == 1


def test_times_beyond_the_horizon() -> None:
    visits = [("pickup", "r3", 92400), ("dropoff", "r3", 93360)]
    plan = town_plan(v2=(91500, visits))
    report = check_plan(town_problem(), plan)
    # the END step arrives at 93420, 7020 s after the end of the horizon (86400)
    assert max(v.amount for v in report.of_kind("horizon")) == 7020
    assert "shift" in kinds(report)


def test_report_text_and_totals() -> None:
    report = CheckReport(
        (
            Violation("time_window", 30, "late", "v1", "r1"),
            Violation("time_window", 20, "late again", "v1", "r1"),
            Violation("cost", 0.5, "cost off"),
        ),
        cost=1.0,
    )
    assert not report.ok()
    assert report.by_kind() == {"time_window": 50, "cost": 0.5}
    text = str(report)
    assert "3 violation(s)" in text and "time_window=50" in text and "cost=0.500" in text
    assert set(report.by_kind()) <= set(KINDS)


# -- requests already on board ----------------------------------------------------

V3 = Vehicle(
    "v3", start=1, end=0, shift=TimeWindow(28800, 43200), capacity=(3, 1, 4), start_time=31000
)
R5 = RideRequest("r5", pickup=1, dropoff=0, onboard=Onboard("v3", pickup_departed_at=30900))


TIME_S_ONBOARD = np.array([[0, 600], [600, 0]])


def onboard_problem(**changes: object) -> Problem:
    """v3 carries r5 (boarded at 1 at 30900), is at 1 and free from 31000."""
    problem = Problem(TIME_S_ONBOARD, TIME_S_ONBOARD * 10, (R5,), (V3, V2), weights=WEIGHTS)
    return problem.with_changes(**changes) if changes else problem


def test_onboard_ride_starts_loaded_and_counts_its_ride_from_boarding() -> None:
    problem = onboard_problem()
    route = timed_route(problem, "v3", 31000, [("dropoff", "r5", 31600)])
    assert route.steps[0].load == (1, 0, 0)
    plan = assemble_plan(problem, [route])
    report = check_plan(problem, plan)
    # 3000 yen/h * 660 s + 30 yen/km * 6 km + 3600 yen/h * (700 - 600) s excess
    assert report.ok(), str(report)
    assert report.cost == pytest.approx(550 + 180 + 100)

    late = assemble_plan(problem, [timed_route(problem, "v3", 31000, [("dropoff", "r5", 32440)])])
    assert kinds(check_plan(problem, late)) == {"max_ride": 40}  # 32440 - 30900 - 1500

    unloaded = replace_step(plan, "v3", 0, load=(0, 0, 0))
    assert kinds(check_plan(problem, unloaded)) == {"load_report": 1}


def test_onboard_ride_dropped_by_another_vehicle() -> None:
    problem = onboard_problem()
    v3 = timed_route(problem, "v3", 31000, [])
    v2 = timed_route(problem, "v2", 31000, [("dropoff", "r5", 31000)])
    report = check_plan(problem, assemble_plan(problem, [v3, v2]))
    (pairing,) = report.of_kind("pairing")
    assert pairing.amount == 1 and pairing.vehicle_id == "v2"


# -- proofs of unassigned reasons --------------------------------------------------


def one_more(request: RideRequest | DeliveryOrder, **changes: object) -> Problem:
    return town_problem(requests=(R1, D1, R2, R3, request), **changes)


def test_wheelchairs_beyond_every_vehicle_have_no_compatible_vehicle() -> None:
    problem = town_problem()
    assert prove_unassigned_reason(problem, problem.task("r2")) is Reason.NO_COMPATIBLE_VEHICLE
    assert not any(
        single_request_feasible(problem, problem.task("r2"), v) for v in problem.vehicles
    )


def test_direct_trip_longer_than_max_ride() -> None:
    ride = RideRequest(
        "m", pickup=0, dropoff=3, pickup_window=TimeWindow(29000, 40000), max_ride_s=500
    )
    problem = one_more(ride)
    assert prove_unassigned_reason(problem, problem.task("m")) is Reason.MAX_RIDE_TOO_SHORT


def test_pickup_window_closing_before_any_vehicle_arrives() -> None:
    # both vehicles leave the depot at 08:00 at the earliest; location 3 is 1200 s away
    ride = RideRequest("u", pickup=3, dropoff=0, pickup_window=TimeWindow(28800, 29999))
    problem = one_more(ride)
    assert prove_unassigned_reason(problem, problem.task("u")) is Reason.WINDOW_UNREACHABLE
    reachable = one_more(dataclasses.replace(ride, pickup_window=TimeWindow(28800, 30000)))
    assert prove_unassigned_reason(reachable, reachable.task("u")) is None


def test_feasible_alone_has_no_reason() -> None:
    problem = town_problem()
    for rid in ("r1", "d1", "r3"):
        assert prove_unassigned_reason(problem, problem.task(rid)) is None
    assert single_request_feasible(problem, problem.task("r1"), V1)
    assert not single_request_feasible(problem, problem.task("r1"), V2)  # no lift


@pytest.mark.parametrize(("pickup_closes", "expected"), [(31240, None), (31239, "window")])
def test_waiting_at_the_pickup_is_found(pickup_closes: int, expected: str | None) -> None:
    # Alighting may only start at 32000-32400 and the ride may last 700 s, so boarding
    # (60 s) cannot start before 32000 - 700 - 60 = 31240: the car must wait at the
    # pickup rather than board as early as it can (29400).
    ride = RideRequest(
        "w",
        pickup=1,
        dropoff=3,
        pickup_window=TimeWindow(29400, pickup_closes),
        arrive_earliest=32000,
        arrive_by=32400,
        max_ride_s=700,
    )
    problem = one_more(ride)
    got = prove_unassigned_reason(problem, problem.task("w"))
    assert got is (None if expected is None else Reason.WINDOW_UNREACHABLE)


def test_max_duration_and_shift_end_make_a_window_unreachable() -> None:
    # 1 -> 3 on v2: 600 drive + 60 board + 600 ride + 60 alight + 1200 home = 2520 s
    ride = RideRequest("x", pickup=1, dropoff=3, pickup_window=TimeWindow(29000, 40000))
    short = dataclasses.replace(V2, max_duration_s=2519)
    problem = town_problem(requests=(ride,), vehicles=(short,))
    assert prove_unassigned_reason(problem, problem.task("x")) is Reason.WINDOW_UNREACHABLE
    enough = town_problem(
        requests=(ride,), vehicles=(dataclasses.replace(short, max_duration_s=2520),)
    )
    assert prove_unassigned_reason(enough, enough.task("x")) is None
    # v2's shift ends at 34000 and boarding at t returns at t + 1920: 32080 is the last
    late = dataclasses.replace(ride, pickup_window=TimeWindow(32081, 40000))
    problem = town_problem(requests=(late,), vehicles=(V2,))
    assert prove_unassigned_reason(problem, problem.task("x")) is Reason.WINDOW_UNREACHABLE
    in_time = dataclasses.replace(ride, pickup_window=TimeWindow(32080, 40000))
    problem = town_problem(requests=(in_time,), vehicles=(V2,))
    assert prove_unassigned_reason(problem, problem.task("x")) is None


def test_onboard_max_ride_already_lost() -> None:
    # boarded at 30900, the car is free at 31000 and 600 s from the dropoff: 700 s ride.
    # With no pickup stop left there is no "direct trip", so the schedule proves it.
    tight = onboard_problem(requests=(dataclasses.replace(R5, max_ride_s=699),))
    assert prove_unassigned_reason(tight, tight.task("r5")) is Reason.WINDOW_UNREACHABLE
    ok = onboard_problem(requests=(dataclasses.replace(R5, max_ride_s=700),))
    assert prove_unassigned_reason(ok, ok.task("r5")) is None
    assert not single_request_feasible(ok, ok.task("r5"), V2)  # not the car it is in


# -- independence from the solver side ---------------------------------------------


def test_checker_imports_nothing_from_the_solver_side() -> None:
    tree = ast.parse(Path(dispatch.check.__file__).read_text(encoding="utf-8"))
    modules: set[str] = set()
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            modules.add(node.module or "")
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.Attribute):
            names.add(node.attr)
        elif isinstance(node, ast.Name):
            names.add(node.id)
    # the standard library and dispatch's two value-object modules, nothing else
    ours = {m for m in modules if m.split(".")[0] in {"dispatch", "routing", "ortools", "api"}}
    assert ours == {"dispatch.model", "dispatch.result"}
    forbidden = {"build_route", "build_plan", "route_cost", "compatible", "initial_load"}
    assert not forbidden & names


@st.composite
def single_request_cases(draw: st.DrawFn) -> tuple[Problem, Plan, Plan, str, int]:
    """A one-vehicle, one-request problem, a plan valid by construction, and the same
    plan with one service start moved `k` seconds past its window's end (everything
    else roomy enough that only that window breaks)."""
    n = draw(st.integers(2, 4))
    rows = draw(
        st.lists(st.lists(st.integers(0, 900), min_size=n, max_size=n), min_size=n, max_size=n)
    )
    time_s = np.array(rows)
    np.fill_diagonal(time_s, 0)
    distance_m = time_s * draw(st.integers(1, 15))
    start, end, p, d = (draw(st.integers(0, n - 1)) for _ in range(4))
    kind = draw(st.sampled_from(["ride", "delivery"]))
    target = draw(st.sampled_from(["pickup", "dropoff"])) if kind == "ride" else "dropoff"
    k = draw(st.integers(1, 3600))
    s_p, s_d = draw(st.integers(0, 300)), draw(st.integers(0, 300))
    before_p, after_p = draw(st.integers(0, 1800)), draw(st.integers(0, 1800))
    before_d, after_d = draw(st.integers(0, 1800)), draw(st.integers(0, 1800))
    brk = draw(st.one_of(st.none(), st.integers(1, 600)))

    t0 = draw(st.integers(21600, 36000))
    t1 = t0 + int(time_s[start, p]) + draw(st.integers(0, 900))
    room = (brk or 0) + (after_p + k if target == "pickup" else 0)
    t2 = t1 + s_p + int(time_s[p, d]) + room + draw(st.integers(0, 900))
    t3 = t2 + s_d + int(time_s[d, end])
    late = after_d + k if target == "dropoff" else 0  # how much later the END may come

    shift = TimeWindow(t0 - draw(st.integers(0, 1800)), t3 + late + draw(st.integers(0, 1800)))
    breaks = ()
    if brk is not None:
        b_start = t2 - brk  # just before the dropoff, after the pickup's departure
        lo = b_start - draw(st.integers(0, min(600, b_start - shift.start)))
        hi = b_start + draw(st.integers(0, min(600, shift.end - t2)))
        breaks = (Break("rest", TimeWindow(lo, hi), brk),)
    max_ride = t2 - t1 - s_p + late + draw(st.integers(1, 600))
    features = draw(st.sampled_from([frozenset(), frozenset({"lift"})]))
    if kind == "ride":
        party = draw(st.integers(1, 3))
        request: RideRequest | DeliveryOrder = RideRequest(
            "q",
            pickup=p,
            dropoff=d,
            party_size=party,
            wheelchairs=draw(st.integers(0, party)),
            board_s=s_p,
            alight_s=s_d,
            pickup_window=TimeWindow(max(0, t1 - before_p), t1 + after_p),
            arrive_earliest=t2 - before_d,
            arrive_by=t2 + after_d,
            max_ride_s=max_ride,
            required_features=features,
        )
    else:
        request = DeliveryOrder(
            "q",
            shop=p,
            customer=d,
            ready_at=max(0, t1 - before_p),
            due_by=t2 + after_d,
            deliver_from=t2 - before_d,
            cargo_units=draw(st.integers(1, 3)),
            pickup_service_s=s_p,
            dropoff_service_s=s_d,
            max_ride_s=draw(st.sampled_from([None, max_ride])),
            required_features=features,
        )
    vehicle = Vehicle(
        "car",
        start=start,
        end=end,
        shift=shift,
        capacity=tuple(a + draw(st.integers(0, 2)) for a in request.load),
        breaks=breaks,
        features=features | draw(st.sampled_from([frozenset(), frozenset({"ramp"})])),
        cost_per_hour=draw(st.integers(0, 5000)),
        cost_per_km=draw(st.integers(0, 100)),
        fixed_cost=draw(st.integers(0, 5000)),
        max_duration_s=draw(st.sampled_from([None, max(1, t3 + late - t0)])),
        start_time=draw(st.sampled_from([None, t0])),
    )
    problem = Problem(
        time_s,
        distance_m,
        (request,),
        (vehicle,),
        weights=CostWeights(excess_ride_per_hour=draw(st.integers(0, 5000))),
    )

    def plan_for(t_pick: int, t_drop: int) -> Plan:
        visits = [("pickup", "q", t_pick), ("dropoff", "q", t_drop)]
        if brk is not None:
            visits.insert(1, ("break", "rest", t2 - brk))
        return assemble_plan(problem, [timed_route(problem, "car", t0, visits)])

    task = problem.tasks[0]
    window_end = (task.pickup if target == "pickup" else task.dropoff).window.end  # type: ignore[union-attr]
    moved = plan_for(window_end + k, t2) if target == "pickup" else plan_for(t1, window_end + k)
    return problem, plan_for(t1, t2), moved, target, k


# -- random damage to the valid plan ---------------------------------------------

STEP_FIELDS = ("arrival", "service_start", "departure", "distance_m", "duration_s", "location")


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_any_change_to_a_stop_step_is_detected(data: st.DataObject) -> None:
    plan = valid_plan()
    route = data.draw(st.sampled_from(plan.routes))
    index = data.draw(st.sampled_from([i for i, s in enumerate(route.steps) if s.break_id is None]))
    name = data.draw(st.sampled_from((*STEP_FIELDS, "load")))
    old = getattr(route.steps[index], name)
    if name == "load":
        new = data.draw(st.tuples(*[st.integers(0, 3)] * 3).filter(lambda x: x != old))
    else:
        new = data.draw(st.integers(-100, 100_000).filter(lambda x: x != old))
    report = check_plan(town_problem(), replace_step(plan, route.vehicle_id, index, **{name: new}))
    assert not report.ok()
    assert all(v.kind in KINDS and v.amount > 0 for v in report.violations)


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_garbled_routes_are_reported_not_crashed_on(data: st.DataObject) -> None:
    plan = valid_plan()
    routes = [list(r.steps) for r in plan.routes]
    for op in data.draw(st.lists(st.sampled_from(["drop", "dup", "swap", "retag"]), max_size=4)):
        steps = data.draw(st.sampled_from(routes))
        if not steps:
            continue
        i = data.draw(st.integers(0, len(steps) - 1))
        if op == "drop":
            del steps[i]
        elif op == "dup":
            steps.insert(i, steps[i])
        elif op == "swap":
            j = (i + data.draw(st.integers(1, max(1, len(steps) - 1)))) % len(steps)
            steps[i], steps[j] = steps[j], steps[i]
        else:
            steps[i] = dataclasses.replace(
                steps[i],
                kind=data.draw(st.sampled_from(list(StepKind))),
                request_id=data.draw(st.sampled_from([None, "r1", "d1", "r2", "r3", "zz"])),
                break_id=data.draw(st.sampled_from([None, "lunch", "nap"])),
            )
    garbled = dataclasses.replace(
        plan,
        routes=tuple(
            dataclasses.replace(r, steps=tuple(s)) for r, s in zip(plan.routes, routes, strict=True)
        ),
    )
    report = check_plan(town_problem(), garbled)
    assert all(v.kind in KINDS and v.amount > 0 for v in report.violations)
    assert report.ok() == (garbled == plan), str(report)


def test_duplicate_route_and_duplicate_break() -> None:
    plan = valid_plan()
    twice = dataclasses.replace(plan, routes=(*plan.routes, plan.routes[1]))
    report = check_plan(town_problem(), twice)
    assert any("more than one route" in v.message for v in report.of_kind("coverage"))
    steps = list(plan.routes[0].steps)
    steps.insert(5, steps[4])  # lunch, twice, at the same time
    report = check_plan(town_problem(), replace_route(plan, "v1", steps=tuple(steps)))
    messages = [v.message for v in report.of_kind("break")]
    assert any("already taken" in m for m in messages) and any("overlap" in m for m in messages)


# -- random single-request plans: valid ones pass, damaged ones are measured --------


@settings(max_examples=150, deadline=None)
@given(single_request_cases())
def test_valid_by_construction_plans_pass(case: tuple[Problem, Plan, Plan, str, int]) -> None:
    problem, plan, _, _, _ = case
    report = check_plan(problem, plan)
    assert report.ok(), str(report)
    assert report.cost == pytest.approx(plan.summary.cost, rel=1e-12, abs=1e-9)
    # soundness of the proofs: a request with a feasible plan is never "impossible"
    assert prove_unassigned_reason(problem, problem.tasks[0]) is None
    assert single_request_feasible(problem, problem.tasks[0], problem.vehicles[0])


@settings(max_examples=150, deadline=None)
@given(single_request_cases())
def test_service_moved_past_its_window_is_caught_by_exactly_that_much(
    case: tuple[Problem, Plan, Plan, str, int],
) -> None:
    problem, _, moved, target, k = case
    report = check_plan(problem, moved)
    assert report.by_kind() == {"time_window": k}, str(report)
    (v,) = report.violations
    assert target in v.message and v.request_id == "q"


# -- exactness of the single-request proof against brute force -----------------------


def brute_force_feasible(problem: Problem, task: Task, vehicle: Vehicle) -> bool:
    """Try every integer service start (tiny horizon): the slow, obvious oracle."""
    if not (
        task.required_features <= vehicle.features
        and (task.vehicle_ids is None or vehicle.id in task.vehicle_ids)
        and (task.onboard is None or task.onboard.vehicle_id == vehicle.id)
        and all(a <= b for a, b in zip(task.load, vehicle.capacity, strict=True))
    ):
        return False
    t = problem.time_s
    earliest = vehicle.earliest_departure
    drop, pick = task.dropoff, task.pickup
    back = drop.service_s + int(t[drop.location, vehicle.end])
    limit = vehicle.max_duration_s if vehicle.max_duration_s is not None else 10**9
    ride_cap = task.max_ride_s if task.max_ride_s is not None else 10**9
    if pick is None:
        for t2 in range(drop.window.start, drop.window.end + 1):
            t0 = t2 - int(t[vehicle.start, drop.location])  # leave as late as possible
            t3 = t2 + back
            if (
                t0 >= earliest
                and t2 - task.onboard.pickup_departed_at <= ride_cap
                and t3 <= vehicle.shift.end
                and t3 - t0 <= limit
            ):
                return True
        return False
    for t1 in range(pick.window.start, pick.window.end + 1):
        t0 = t1 - int(t[vehicle.start, pick.location])
        if t0 < earliest:
            continue
        first = t1 + pick.service_s + int(t[pick.location, drop.location])
        for t2 in range(max(first, drop.window.start), drop.window.end + 1):
            t3 = t2 + back
            ride = t2 - t1 - pick.service_s
            if ride <= ride_cap and t3 <= vehicle.shift.end and t3 - t0 <= limit:
                return True
    return False


@st.composite
def tiny_single_requests(draw: st.DrawFn) -> Problem:
    horizon = 120
    rows = draw(
        st.lists(st.lists(st.integers(0, 20), min_size=3, max_size=3), min_size=3, max_size=3)
    )
    time_s = np.array(rows)
    np.fill_diagonal(time_s, 0)
    vehicles = []
    for vid in ("a", "b"):
        s = draw(st.integers(0, horizon // 2))
        e = draw(st.integers(s, horizon))
        vehicles.append(
            Vehicle(
                vid,
                start=draw(st.integers(0, 2)),
                end=draw(st.integers(0, 2)),
                shift=TimeWindow(s, e),
                capacity=(draw(st.integers(1, 2)), draw(st.sampled_from([0, 1, 1])), 0),
                max_duration_s=draw(st.one_of(st.none(), st.integers(1, horizon))),
                start_time=draw(st.one_of(st.none(), st.integers(s, e))),
            )
        )
    p_lo = draw(st.integers(0, horizon))
    p_hi = draw(st.integers(p_lo, horizon))
    d_lo = draw(st.integers(0, horizon))
    d_hi = draw(st.integers(max(d_lo, p_lo), horizon))
    onboard = draw(st.one_of(st.none(), st.sampled_from(["a", "b"])))
    party = draw(st.integers(1, 2))
    ride = RideRequest(
        "q",
        pickup=draw(st.integers(0, 2)),
        dropoff=draw(st.integers(0, 2)),
        party_size=party,
        wheelchairs=draw(st.sampled_from([0, 0, party])),
        board_s=draw(st.integers(0, 10)),
        alight_s=draw(st.integers(0, 10)),
        pickup_window=TimeWindow(p_lo, p_hi),
        arrive_earliest=d_lo,
        arrive_by=d_hi,
        max_ride_s=draw(st.integers(1, 90)),
        onboard=None if onboard is None else Onboard(onboard, draw(st.integers(0, 60))),
    )
    return Problem(time_s, time_s * 10, (ride,), tuple(vehicles), horizon_s=horizon)


@settings(max_examples=300, deadline=None)
@given(tiny_single_requests())
def test_single_request_feasibility_matches_brute_force(problem: Problem) -> None:
    task = problem.tasks[0]
    alone = [brute_force_feasible(problem, task, v) for v in problem.vehicles]
    assert [single_request_feasible(problem, task, v) for v in problem.vehicles] == alone
    reason = prove_unassigned_reason(problem, task)
    assert (reason is None) == any(alone)
