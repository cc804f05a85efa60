"""Home visits (訪問診療): one stop, an appointment window, a long service, a nurse car.

The town is a straight road (``line_matrix``): location i sits at ``POS[i]`` seconds
from the depot, 10 m per second::

    location   0 depot  1     2     3     4
    seconds    0        600   1200  1800  2400

A nurse car has the feature ``"nurse"``; the other car has none.
"""

from __future__ import annotations

import contextlib
import json
import random
from dataclasses import replace

import jsonschema
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dispatch import native
from dispatch.check import check_plan, prove_unassigned_reason
from dispatch.errors import InputError, SolverError
from dispatch.insertion import construct, empty_routes, find_insertion, route_view, to_plan
from dispatch.io import SCHEMA_PATH, problem_from_dict, problem_to_dict
from dispatch.model import (
    DeliveryOrder,
    Problem,
    RideRequest,
    StopKind,
    StopRef,
    StopSpec,
    TimeWindow,
    VisitRequest,
)
from dispatch.result import (
    StepKind,
    Unassigned,
    UnassignedReason,
    Visit,
    build_plan,
    build_route,
)
from dispatch.schedule import (
    break_nodes,
    dropoff_node,
    last_node,
    loads_fit,
    pickup_node,
    schedule,
    visit_node,
)
from dispatch.screening import screen
from dispatch.solver import SearchConfig, solve
from dispatch.stop import FirstSolution, MaxRuntime, SolutionLimit
from tests.conftest import require_data
from tests.dispatch.instances import (
    HOUR,
    NURSE,
    line_matrix,
    random_problems,
    random_sequence,
    sedan,
)

POS = [0, 600, 1200, 1800, 2400]
T, D = line_matrix(POS)
H9 = 9 * HOUR
ENGINES = ("native", "ortools")
BUDGET = SolutionLimit(30) | MaxRuntime(5)


def visit(vid: str = "h1", loc: int = 2, start: int = H9, width: int = 1800, **kw):
    kw.setdefault("service_s", 2700)
    kw.setdefault("required_features", NURSE)
    return VisitRequest(vid, loc, TimeWindow(start, start + width), **kw)


def cars():
    return (
        sedan("car", shift=(8 * HOUR, 17 * HOUR)),
        sedan("nc", shift=(8 * HOUR, 17 * HOUR), features=NURSE),
    )


def clinic_day(**kw) -> Problem:
    """Two visits that need the nurse car, a ride and a shop order anyone may take."""
    requests = (
        visit("h1", 2, H9),
        visit("h2", 4, H9 + 5400, service_s=1800),
        RideRequest("r1", 1, 3, pickup_window=TimeWindow(H9, H9 + 900)),
        DeliveryOrder("d1", 1, 4, ready_at=H9, due_by=12 * HOUR),
    )
    return Problem(T, D, requests, cars(), **kw)


def assert_valid(problem: Problem, plan) -> None:
    report = check_plan(problem, plan)
    assert report.ok(), str(report)
    routed = [rid for r in plan.routes for rid in r.request_ids]
    assert len(routed) == len(set(routed))
    assert sorted(routed + [u.request_id for u in plan.unassigned]) == sorted(
        t.id for t in problem.tasks
    )


def visit_steps(plan):
    return [(r.vehicle_id, s) for r in plan.routes for s in r.steps if s.kind is StepKind.VISIT]


# -- the model -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"id": ""}, r"visit request: id must be a non-empty string"),
        ({"location": -1}, r"visit 'h1': location must be >= 0"),
        ({"location": "2"}, r"visit 'h1': location must be an int"),
        ({"window": (H9, H9 + 60)}, r"visit 'h1': window must be a TimeWindow"),
        ({"service_s": 0}, r"visit 'h1': service_s must be >= 1"),
        ({"service_s": 1.5}, r"visit 'h1': service_s must be an int"),
        ({"priority": 0}, r"visit 'h1': priority must be >= 1"),
        ({"required_features": {"nurse"}}, r"visit 'h1': required_features must be a frozenset"),
        ({"vehicle_ids": frozenset()}, r"visit 'h1': vehicle_ids must be None or a non-empty"),
        ({"promise": TimeWindow(0, 60)}, r"visit 'h1': promise does not overlap"),
        ({"rider_id": 7}, r"visit 'h1': rider_id must be a string"),
    ],
)
def test_a_bad_visit_names_its_field(kw, message):
    base = {"id": "h1", "location": 2, "window": TimeWindow(H9, H9 + 1800)}
    with pytest.raises(InputError, match=message):
        VisitRequest(**{**base, **kw})


def test_a_visit_resolves_to_one_stop_with_no_load():
    promise = TimeWindow(H9 + 600, H9 + 2400)
    problem = Problem(T, D, (visit(promise=promise, rider_id="P-17"),), cars())
    task = problem.task("h1")
    assert (task.kind, task.pickup, task.onboard, task.max_ride_s) == ("visit", None, None, None)
    # the promise is a hard constraint: intersected into the appointment window
    assert task.dropoff == StopSpec(2, TimeWindow(H9 + 600, H9 + 1800), 2700)
    assert task.load == (0, 0, 0) and task.promise == promise
    assert task.stop_kinds == (StopKind.VISIT,) and task.last_stop is StopKind.VISIT
    assert task.stop(StopKind.VISIT) == task.dropoff
    assert task.stop(StopKind.DROPOFF) is None and task.stop(StopKind.PICKUP) is None
    assert problem.initial_load("nc") == (0, 0, 0)


def test_a_problem_names_what_is_wrong_with_a_visit():
    with pytest.raises(InputError, match=r"visit 'h1': location 9 is not in the matrix"):
        Problem(T, D, (visit(loc=9),), cars())
    with pytest.raises(InputError, match=r"visit 'h1': window lies outside the horizon"):
        Problem(T, D, (visit(start=30 * HOUR),), cars(), horizon_s=24 * HOUR)
    with pytest.raises(InputError, match=r"visit 'h1': vehicle_ids name unknown vehicles"):
        Problem(T, D, (visit(vehicle_ids=frozenset({"x"})),), cars())
    with pytest.raises(InputError, match=r"names a dropoff stop, which visit has not"):
        Problem(T, D, (visit(),), cars(), locked={"nc": (StopRef("h1", StopKind.DROPOFF),)})
    with pytest.raises(InputError, match=r"names a visit stop, which ride has not"):
        ride = RideRequest("r1", 1, 3, pickup_window=TimeWindow(H9, H9 + 900))
        Problem(T, D, (ride,), cars(), locked={"nc": (StopRef("r1", StopKind.VISIT),)})


# -- problem files ---------------------------------------------------------------------


def test_visits_are_written_and_read_back():
    problem = clinic_day(locked={"nc": (StopRef("h1", StopKind.VISIT),)})
    problem = problem.with_changes(
        requests=(
            *problem.requests[:1],
            replace(problem.requests[1], promise=TimeWindow(H9 + 5400, H9 + 6300), rider_id="P1"),
            *problem.requests[2:],
        )
    )
    doc = problem_to_dict(problem)
    jsonschema.validate(doc, json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))
    assert doc["visits"][1] == {
        "id": "h2",
        "rider": "P1",
        "location": 4,
        "window": [H9 + 5400, H9 + 7200],
        "service_s": 1800,
        "promise": [H9 + 5400, H9 + 6300],
        "priority": 1,
        "required_features": ["nurse"],
    }
    assert doc["locked"] == {"nc": [{"request": "h1", "kind": "visit"}]}
    again = problem_from_dict(json.loads(json.dumps(doc)))
    assert sorted(again.requests, key=lambda r: r.id) == sorted(
        problem.requests, key=lambda r: r.id
    )
    assert again.vehicles == problem.vehicles and again.locked == problem.locked
    assert problem_to_dict(again) == doc


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda v: v.pop("window"), r"visits\[0\].window: required field is missing"),
        (lambda v: v.update(window=None), r"visits\[0\].window: must be \[start, end\]"),
        (lambda v: v.update(window=[10, 5]), r"visits\[0\].window.*before start"),
        (lambda v: v.update(service_s=0), r"visits\[0\]: visit 'h1': service_s must be >= 1"),
        (lambda v: v.update(service_s="30"), r"visits\[0\].service_s: must be an integer"),
        (lambda v: v.update(location=99), r"visit 'h1': location 99 is not in the matrix"),
        (lambda v: v.update(pickup=1), r"visits\[0\]: unknown field\(s\) \['pickup'\]"),
        (lambda v: v.update(required_features="nurse"), r"required_features: must be a list"),
    ],
)
def test_a_bad_visit_in_a_file_names_its_json_path(mutate, message):
    doc = problem_to_dict(clinic_day())
    mutate(doc["visits"][0])
    with pytest.raises(InputError, match=message):
        problem_from_dict(doc)


# -- both engines ----------------------------------------------------------------------


@pytest.mark.parametrize("engine", ENGINES)
def test_both_engines_send_the_nurse_car_inside_the_appointments(engine):
    problem = clinic_day()
    plan = solve(problem, BUDGET, config=SearchConfig(engine=engine))
    assert plan.stats["engine"] == engine
    assert_valid(problem, plan)
    assert plan.summary.unassigned == 0
    steps = visit_steps(plan)
    assert sorted(s.request_id for _, s in steps) == ["h1", "h2"]
    for vid, s in steps:
        task = problem.task(s.request_id)
        assert vid == "nc"
        assert task.dropoff.window.contains(s.service_start)
        assert s.departure - s.service_start == task.dropoff.service_s  # the full consultation
        assert s.location == task.dropoff.location


@pytest.mark.parametrize("engine", ENGINES)
def test_visits_nobody_can_make_are_unassigned_with_a_true_reason(engine):
    requests = (
        visit("h1", 2, H9, required_features=frozenset({"doctor"})),  # no such car
        visit("h2", 4, 7 * HOUR, width=600),  # before any shift starts
        visit("h3", 3, H9, vehicle_ids=frozenset({"car"})),  # pinned to a car without nurse
        visit("h4", 1, H9 + 3600),
    )
    problem = Problem(T, D, requests, cars())
    plan = solve(problem, BUDGET, config=SearchConfig(engine=engine))
    assert_valid(problem, plan)
    reasons = {u.request_id: u.reason for u in plan.unassigned}
    assert reasons == {
        "h1": UnassignedReason.NO_COMPATIBLE_VEHICLE,
        "h2": UnassignedReason.WINDOW_UNREACHABLE,
        "h3": UnassignedReason.NO_COMPATIBLE_VEHICLE,
    }
    assert plan.vehicle_of("h4") == "nc"
    for rid, reason in reasons.items():
        assert prove_unassigned_reason(problem, problem.task(rid)) is reason


@pytest.mark.parametrize("engine", ENGINES)
def test_two_visits_at_the_same_time_need_two_nurse_cars(engine):
    """The consultations overlap: one nurse car serves one, the other is not selected;
    with a second nurse car both are served, one each."""
    requests = (visit("h1", 2, H9, width=600), visit("h2", 3, H9, width=600))
    one = Problem(T, D, requests, cars())
    plan = solve(one, BUDGET, config=SearchConfig(engine=engine))
    assert_valid(one, plan)
    assert [u.reason for u in plan.unassigned] == [UnassignedReason.NOT_SELECTED]
    nc2 = sedan("nc2", features=NURSE, shift=(8 * HOUR, 17 * HOUR))
    two = one.with_changes(vehicles=(*cars(), nc2))
    plan = solve(two, BUDGET, config=SearchConfig(engine=engine))
    assert_valid(two, plan)
    assert plan.summary.unassigned == 0
    assert {plan.vehicle_of("h1"), plan.vehicle_of("h2")} == {"nc", "nc2"}


@pytest.mark.parametrize("engine", ENGINES)
def test_a_locked_visit_stays_first_and_a_closed_car_takes_no_more(engine):
    problem = clinic_day(locked={"nc": (StopRef("h2", StopKind.VISIT),)})
    plan = solve(problem, BUDGET, config=SearchConfig(engine=engine))
    assert_valid(problem, plan)
    first = next(s for s in plan.route("nc").steps if s.request_id is not None)
    assert (first.kind, first.request_id) == (StepKind.VISIT, "h2")
    assert "h1" in {u.request_id for u in plan.unassigned}  # h2 first: h1's window is gone
    closed = problem.with_changes(closed_vehicles=frozenset({"nc"}))
    plan = solve(closed, BUDGET, config=SearchConfig(engine=engine))
    assert_valid(closed, plan)
    assert [s.request_id for s in plan.route("nc").steps if s.request_id] == ["h2"]


def test_a_warm_start_with_visits_is_taken_and_never_made_worse():
    problem = clinic_day()
    routes, unassigned = construct(problem, seed=1)
    initial = to_plan(problem, routes, unassigned, {"solver": "insertion"})
    assert_valid(problem, initial)
    for engine in ENGINES:
        plan = solve(problem, BUDGET, initial=initial, config=SearchConfig(engine=engine))
        assert_valid(problem, plan)
        assert plan.summary.cost <= initial.summary.cost + 1e-6


def test_a_visit_only_one_car_can_make_late_does_not_push_the_others_out():
    """h2 (late afternoon) fits only v0, alone (route-duration limit); found by the
    random property against OR-Tools: the native ejection chains used to push h0 and r1
    out for it and keep that plan, serving 1 where 2 can be served (h0 on v1, r1 on v0)."""
    t = np.array([[0, 153, 178], [153, 0, 47], [178, 47, 0]])
    d = np.array([[0, 1674, 1953], [1674, 0, 510], [1953, 510, 0]])
    requests = (
        VisitRequest("h0", 0, TimeWindow(94, 394), service_s=600),
        RideRequest("r1", 0, 1, party_size=2, board_s=30, alight_s=120,
                    pickup_window=TimeWindow(980, 980)),
        VisitRequest("h2", 2, TimeWindow(13840, 14740), service_s=1800),
    )  # fmt: skip
    vehicles = (
        sedan("v0", depot=2, shift=(89, 18150), capacity=(4, 1, 3), fixed_cost=1000,
              max_duration_s=7200),
        sedan("v1", depot=1, shift=(208, 14532), capacity=(1, 0, 3), fixed_cost=1000,
              features=NURSE),
    )  # fmt: skip
    problem = Problem(t, d, requests, vehicles, horizon_s=6 * HOUR)
    for engine in ENGINES:
        plan = solve(problem, BUDGET, config=SearchConfig(engine=engine))
        assert_valid(problem, plan)
        assert [u.request_id for u in plan.unassigned] == ["h2"], engine


def test_find_insertion_places_a_visit_at_its_cheapest_feasible_position():
    """The nurse car already goes to 4 for 10:30; a visit at 2 at 09:00 fits before it
    (on the way), never after it (its window is over by then)."""
    problem = Problem(T, D, (visit("h2", 4, H9 + 5400), visit("h1", 2, H9)), cars())
    routes = empty_routes(problem)
    nc = 1
    ins = find_insertion(
        problem, routes, [route_view(problem, r) for r in routes], problem.task("h2")
    )
    assert ins is not None and ins.vehicle_index == nc
    routes[nc].nodes, routes[nc].sched = list(ins.nodes), ins.sched
    views = [route_view(problem, r) for r in routes]
    ins = find_insertion(problem, routes, views, problem.task("h1"), per_vehicle=50)
    assert ins is not None and (ins.vehicle_index, ins.pickup_pos, ins.dropoff_pos) == (nc, None, 0)
    assert [n.task.id for n in ins.nodes] == ["h1", "h2"]
    assert ins.sched.starts[0] == H9 and [n.kind for n in ins.nodes] == [StepKind.VISIT] * 2
    # no car without the nurse ever gets it, even empty and close by
    car_only = Problem(T, D, (visit("h1", 2, H9),), cars()[:1])
    routes = empty_routes(car_only)
    views = [route_view(car_only, r) for r in routes]
    assert find_insertion(car_only, routes, views, car_only.task("h1")) is None


# -- the checker, on hand-built plans ----------------------------------------------------


def one_visit_problem() -> Problem:
    ride = RideRequest("r1", 1, 3, pickup_window=TimeWindow(10 * HOUR, 10 * HOUR + 600))
    return Problem(T, D, (visit("h1", 2, H9), ride), cars())


def timed_plan(problem: Problem, routes: dict[str, list[tuple[StepKind, int, str]]], unassigned=()):
    """A plan whose routes serve the given (kind, service start, request) lists, with
    every figure derived by `build_route` (so only what the test breaks is wrong)."""
    built = []
    for vid, visits in routes.items():
        vehicle = problem.vehicle(vid)
        items = [Visit(kind, start, problem.task(rid)) for kind, start, rid in visits]
        first = items[0]
        spec = first.task.pickup if first.kind is StepKind.PICKUP else first.task.dropoff
        departure = first.start - int(problem.time_s[vehicle.start, spec.location])
        built.append(build_route(problem, vehicle, departure, items))
    return build_plan(problem, built, list(unassigned))


RIDE = [(StepKind.PICKUP, 10 * HOUR, "r1"), (StepKind.DROPOFF, 10 * HOUR + 1260, "r1")]


def test_the_checker_accepts_a_visit_served_once_in_its_window_by_a_nurse_car():
    problem = one_visit_problem()
    plan = timed_plan(problem, {"nc": [(StepKind.VISIT, H9 + 60, "h1")], "car": RIDE})
    assert check_plan(problem, plan).ok()


def test_the_checker_catches_a_visit_outside_its_window():
    problem = one_visit_problem()
    late = H9 + 1800 + 420
    plan = timed_plan(problem, {"nc": [(StepKind.VISIT, late, "h1")], "car": RIDE})
    report = check_plan(problem, plan)
    assert report.by_kind() == {"time_window": 420}, str(report)
    early = timed_plan(problem, {"nc": [(StepKind.VISIT, H9 - 300, "h1")], "car": RIDE})
    assert check_plan(problem, early).by_kind() == {"time_window": 300}


def test_the_checker_catches_a_visit_on_a_car_without_the_nurse_or_outside_its_pins():
    problem = one_visit_problem()
    plan = timed_plan(problem, {"car": [(StepKind.VISIT, H9, "h1"), *RIDE]})
    report = check_plan(problem, plan)
    [v] = report.of_kind("accessibility")
    assert v.request_id == "h1" and "lacks ['nurse']" in v.message
    assert report.by_kind().keys() == {"accessibility"}
    pinned = problem.with_changes(
        requests=(replace(problem.requests[0], vehicle_ids=frozenset({"nc"})), problem.requests[1]),
        vehicles=(*cars(), sedan("nc2", features=NURSE, shift=(8 * HOUR, 17 * HOUR))),
    )
    plan = timed_plan(pinned, {"nc2": [(StepKind.VISIT, H9, "h1")], "car": RIDE})
    assert [v.kind for v in check_plan(pinned, plan).violations] == ["accessibility"]


def test_the_checker_catches_a_visit_served_twice_or_split():
    problem = one_visit_problem().with_changes(
        vehicles=(*cars(), sedan("nc2", features=NURSE, shift=(8 * HOUR, 17 * HOUR)))
    )
    twice = [(StepKind.VISIT, H9, "h1"), (StepKind.VISIT, H9 + 2700, "h1")]
    plan = timed_plan(problem, {"nc": twice, "car": RIDE})
    report = check_plan(problem, plan)
    [v] = report.of_kind("coverage")
    assert v.amount == 1 and "served 2 time(s)" in v.message
    assert report.of_kind("time_window")  # the second one starts after the window, too
    split = timed_plan(
        problem,
        {"nc": [(StepKind.VISIT, H9, "h1")], "nc2": [(StepKind.VISIT, H9 + 60, "h1")], "car": RIDE},
    )
    kinds = check_plan(problem, split).by_kind()
    assert kinds["coverage"] == 1 and kinds["pairing"] == 1
    both = timed_plan(
        problem,
        {"nc": [(StepKind.VISIT, H9, "h1")], "car": RIDE},
        [Unassigned("h1", UnassignedReason.NOT_SELECTED)],
    )
    assert "both routed and unassigned" in str(check_plan(problem, both))


def test_the_checker_catches_a_cut_short_visit_and_a_visit_of_the_wrong_kind():
    problem = one_visit_problem()
    plan = timed_plan(problem, {"nc": [(StepKind.VISIT, H9, "h1")], "car": RIDE})
    route = plan.route("nc")
    short = replace(route.steps[1], departure=route.steps[1].departure - 900)
    cut = replace(
        plan,
        routes=(replace(route, steps=(route.steps[0], short, *route.steps[2:])), plan.routes[1]),
    )
    report = check_plan(problem, cut)
    assert any(
        v.kind == "schedule" and v.amount == 900 and "2700 s of service" in v.message
        for v in report.violations
    )
    # a dropoff of the visit, and a visit step of a ride
    wrong = timed_plan(problem, {"nc": [(StepKind.VISIT, H9, "h1")], "car": RIDE})
    route = wrong.route("nc")
    as_drop = replace(route.steps[1], kind=StepKind.DROPOFF)
    wrong = replace(
        wrong,
        routes=(replace(route, steps=(route.steps[0], as_drop, *route.steps[2:])), wrong.routes[1]),
    )
    report = check_plan(problem, wrong)
    assert any(v.kind == "coverage" and v.request_id == "h1" for v in report.violations)
    ride_visit = timed_plan(problem, {"nc": [(StepKind.VISIT, H9, "h1")], "car": RIDE})
    route = ride_visit.route("car")
    bad = replace(route.steps[2], kind=StepKind.VISIT)
    ride_visit = replace(
        ride_visit,
        routes=(
            ride_visit.routes[0],
            replace(route, steps=(*route.steps[:2], bad, route.steps[3])),
        ),
    )
    report = check_plan(problem, ride_visit)
    assert any(
        v.kind == "coverage" and v.request_id == "r1" and "visit step" in v.message
        for v in report.violations
    )


def test_an_unassigned_visit_needs_a_true_reason():
    problem = one_visit_problem()
    plan = timed_plan(problem, {"car": RIDE}, [Unassigned("h1", UnassignedReason.NOT_SELECTED)])
    assert check_plan(problem, plan).ok()
    lie = timed_plan(
        problem, {"car": RIDE}, [Unassigned("h1", UnassignedReason.NO_COMPATIBLE_VEHICLE)]
    )
    [v] = check_plan(problem, lie).violations
    assert v.kind == "unassigned_reason" and "feasible alone" in v.message
    no_nurse = problem.with_changes(vehicles=cars()[:1])
    truth = timed_plan(
        no_nurse, {"car": RIDE}, [Unassigned("h1", UnassignedReason.NO_COMPATIBLE_VEHICLE)]
    )
    assert check_plan(no_nurse, truth).ok()
    forgotten = timed_plan(problem, {"car": RIDE})
    assert "neither routed nor unassigned" in str(check_plan(problem, forgotten))


# -- properties: random mixed days on both engines -----------------------------------------


#: OR-Tools' guided local search on a single node (one visit, or one rider on board,
#: left after screening) never reaches a solution limit: the time guard ends it.
PROPERTY_BUDGET = SolutionLimit(30) | MaxRuntime(1)


@given(random_problems(max_requests=7, visits=True), st.integers(0, 3))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_random_days_with_visits_are_checker_clean_on_both_engines(problem, seed):
    for engine in ENGINES:
        plan = solve(problem, PROPERTY_BUDGET, seed=seed, config=SearchConfig(engine=engine))
        assert plan.stats["engine"] in (engine, "none")  # none: nothing left to route
        assert_valid(problem, plan)
        for vid, s in visit_steps(plan):
            task = problem.task(s.request_id)
            assert task.required_features <= problem.vehicle(vid).features


@st.composite
def live_visit_problems(draw):
    """A random day with visits part-way through: a construction's leading stops locked
    (visits among them), some cars closed."""
    base = draw(random_problems(max_requests=7, visits=True))
    routes, _ = construct(base, seed=draw(st.integers(0, 3)))
    locked, closed = {}, set()
    for route in routes:
        real = [n for n in route.nodes if n.task is not None]
        if not real:
            continue
        k = draw(st.integers(0, len(real)))
        if k == len(real) and draw(st.booleans()):
            closed.add(route.vehicle.id)
        if k:
            locked[route.vehicle.id] = tuple(
                StopRef(n.task.id, StopKind(n.kind.value)) for n in real[:k]
            )
    return base.with_changes(locked=locked, closed_vehicles=frozenset(closed))


@given(live_visit_problems(), st.integers(0, 5))
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_native_matches_or_beats_ortools_with_locked_visits(problem, seed):
    """As `test_engines`' live property, with visits: both plans checker-clean, locks
    kept, the native one costing no more than OR-Tools' (5 %: see test_engines). The
    locks are a feasible plan's prefix: the native engine must complete them; OR-Tools
    may find no first plan within its time guard (then there is nothing to compare)."""
    plans = [solve(problem, PROPERTY_BUDGET, seed=seed, config=SearchConfig(engine="native"))]
    with contextlib.suppress(SolverError):
        plans.append(
            solve(problem, PROPERTY_BUDGET, seed=seed, config=SearchConfig(engine="ortools"))
        )
    for plan in plans:
        assert_valid(problem, plan)
        for vid, refs in problem.locked.items():
            got = [
                StopRef(s.request_id, StopKind(s.kind.value))
                for s in plan.route(vid).steps
                if s.request_id is not None
            ]
            assert got[: len(refs)] == list(refs)
    if len(plans) == 2:
        ours, theirs = plans
        assert ours.summary.cost <= theirs.summary.cost * 1.05 + 1e-6


@given(random_problems(max_requests=8, visits=True))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_the_native_objective_is_the_python_plan_cost_with_visits(problem):
    screened = screen(problem)
    tasks = [t for t in problem.tasks if t.id not in screened]
    result = native.solve_native(problem, tasks, 0.05, seed=3)
    unassigned = [Unassigned(tid, reason, detail) for tid, (reason, detail) in screened.items()]
    unassigned += [Unassigned(t.id, UnassignedReason.NOT_SELECTED) for t in result.left_out]
    plan = build_plan(problem, result.routes, unassigned, {})
    penalty = sum(problem.weights.unassigned_penalty * problem.task(t).priority for t in screened)
    assert result.stats["objective"] / result.scale + penalty == pytest.approx(
        plan.summary.cost, rel=1e-9, abs=1e-6
    )
    assert check_plan(problem, plan).ok()


def python_nodes(tasks, seq, breaks=(), first_break=None):
    out = []
    for n in seq:
        if first_break is not None and n >= first_break:
            out.append(breaks[n - first_break])
        elif n % 2 == 0:
            out.append(pickup_node(tasks[n // 2]))
        else:
            out.append(last_node(tasks[n // 2]))
    return out


@given(random_problems(max_requests=6, visits=True), st.integers(0, 10_000))
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_native_cost_and_timing_of_sequences_with_visits_agree_with_python(problem, seed):
    """Random sequences of pairs, visits and breaks: the native exact verdict and cost
    are those of the Python route (`schedule` + `build_route` via `native_route`)."""
    tasks = [t for t in problem.tasks if t.id not in screen(problem)]
    if not tasks:
        return
    rng = random.Random(seed)
    arrays = native.instance_arrays(problem, tasks, general=True)
    v_idx = rng.randrange(len(problem.vehicles))
    vehicle = problem.vehicles[v_idx]
    first_break = 2 * len(tasks) + sum(len(v.breaks) for v in problem.vehicles[:v_idx])
    brks = sorted(break_nodes(vehicle), key=lambda b: (b.earliest, b.latest))
    for _ in range(5):
        seq = random_sequence(rng, tasks, rng.sample(range(len(tasks)), rng.randint(1, len(tasks))))
        for k, _ in enumerate(brks):
            seq.insert(rng.randint(0, len(seq)), first_break + k)
        nodes = python_nodes(tasks, seq, brks, first_break)
        costed = native._pdptw.sequence_cost(arrays, v_idx, seq)
        route = (
            native.native_route(problem, vehicle, nodes)
            if loads_fit(vehicle, (0, 0, 0), nodes)
            else None
        )
        if route is None:
            assert costed is None
            continue
        assert costed is not None
        cost, start, on_route, lead = costed
        if start > vehicle.earliest_departure or on_route or lead:
            route = native.native_route(problem, vehicle, nodes, start, on_route, lead)
            assert route is not None
        plan = build_plan(problem, [route], [], {})
        assert cost / native.GENERAL_COST_SCALE + vehicle.fixed_cost == pytest.approx(
            plan.summary.cost, rel=1e-12
        )
        assert check_plan(problem, plan).by_kind().keys() <= {"coverage", "accessibility"}


@given(random_problems(max_requests=6, visits=True), st.integers(0, 10_000))
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_native_visit_insertions_are_exactly_the_feasible_positions(problem, seed):
    """For a visit, the native candidates (i = -1, j) are every position at which
    `dispatch.schedule` accepts it, and no other."""
    no_breaks = problem.with_changes(
        vehicles=tuple(replace(v, breaks=()) for v in problem.vehicles)
    )
    tasks = [t for t in no_breaks.tasks if t.id not in screen(no_breaks)]
    visits = [r for r, t in enumerate(tasks) if t.is_visit]
    if not visits or len(tasks) < 2:
        return
    rng = random.Random(seed)
    arrays = native.instance_arrays(no_breaks, tasks, general=True)
    v_idx = rng.randrange(len(no_breaks.vehicles))
    vehicle = no_breaks.vehicles[v_idx]
    req = rng.choice(visits)
    others = [r for r in range(len(tasks)) if r != req]
    seq = random_sequence(rng, tasks, rng.sample(others, rng.randint(1, len(others))))
    base = python_nodes(tasks, seq)
    if not (loads_fit(vehicle, (0, 0, 0), base) and schedule(no_breaks, vehicle, base)):
        return  # the native search only ever inserts into feasible routes
    expected = set()
    for j in range(len(seq) + 1):
        nodes = [*base[:j], visit_node(tasks[req]), *base[j:]]
        if schedule(no_breaks, vehicle, nodes) is not None:
            expected.add((-1, j))
    got = {(i, j) for _, i, j in native._pdptw.feasible_insertions(arrays, v_idx, seq, req)}
    assert got == expected


def test_native_initial_routes_with_visits_are_read_and_bad_ones_named():
    problem = clinic_day()
    tasks = list(problem.tasks)
    arrays = native.instance_arrays(problem, tasks, general=True)
    h1 = 2 * 0 + 1  # the visit's node; its stand-in pickup 0 is never routed
    out = native._pdptw.solve(arrays, {"lns_iterations": 0}, [[], [h1]])
    assert out["warm_start"] and out["routes"] == [[], [h1]] and out["unassigned"] == 3
    with pytest.raises(ValueError, match="stand-in pickup"):
        native._pdptw.solve(arrays, {}, [[], [0, h1]])
    with pytest.raises(ValueError, match="may not use"):
        native._pdptw.solve(arrays, {}, [[h1], []])


def test_first_solution_and_solution_limit_with_visits_are_deterministic():
    problem = clinic_day()
    for stop in (FirstSolution(), SolutionLimit(15)):
        a = solve(problem, stop, seed=4)
        b = solve(problem, stop, seed=4)
        assert a.to_dict()["routes"] == b.to_dict()["routes"]
        assert_valid(problem, a)


def test_a_visit_in_the_plan_is_a_visit_step_with_no_load_change():
    problem = clinic_day()
    plan = solve(problem, SolutionLimit(10))
    route = plan.to_dict()["routes"]
    steps = [s for r in route for s in r["steps"] if s["type"] == "visit"]
    assert sorted(s["request"] for s in steps) == ["h1", "h2"]
    assert all(s["departure"] - s["service_start"] in (2700, 1800) for s in steps)
    nc = plan.route("nc")
    assert not nc.is_empty and "h1" in nc.request_ids
    for i, s in enumerate(nc.steps):
        if s.kind is StepKind.VISIT:
            assert s.load == nc.steps[i - 1].load  # nobody gets on or off


def test_node_builders_refuse_the_wrong_kind_of_task():
    problem = Problem(
        T, D, (visit(), RideRequest("r", 1, 2, pickup_window=TimeWindow(0, 9))), cars()
    )
    task, ride = problem.task("h1"), problem.task("r")
    assert visit_node(task).kind is last_node(task).kind is StepKind.VISIT
    assert last_node(ride).kind is StepKind.DROPOFF
    with pytest.raises(AssertionError, match="is not a visit"):
        visit_node(ride)
    with pytest.raises(AssertionError, match="has no dropoff"):
        dropoff_node(task)


# -- a Cordeau-size day with visits ----------------------------------------------------------


@pytest.fixture(scope="module")
def cordeau_dir(data_dir):
    from benchmarks.instances import default_instance_dir

    return require_data(default_instance_dir("cordeau", data_dir), "Cordeau instances")


def cordeau_with_visits(path, share: float = 0.1, seed: int = 0) -> Problem:
    """A Cordeau DARP instance with every tenth request turned into a home visit at its
    pickup place (window: the request's pickup window, at least 30 minutes wide; a
    30-minute consultation, in instance units), half the fleet with a nurse."""
    from benchmarks.instances import read_cordeau

    inst = read_cordeau(path)
    problem = inst.problem
    rng = np.random.default_rng(seed)
    n = len(problem.requests)
    chosen = set(rng.choice(n, size=max(1, round(share * n)), replace=False).tolist())
    scale = inst.scale
    requests = []
    for k, r in enumerate(problem.requests):
        if k not in chosen:
            requests.append(r)
            continue
        task = problem.task(r.id)
        w = task.pickup.window
        requests.append(
            VisitRequest(
                f"visit-{r.id}",
                r.pickup,
                TimeWindow(w.start, max(w.end, w.start + 30 * scale)),
                service_s=30 * scale,
                required_features=NURSE,
            )
        )
    vehicles = tuple(
        replace(v, features=NURSE) if k % 2 == 0 else v for k, v in enumerate(problem.vehicles)
    )
    return problem.with_changes(requests=tuple(requests), vehicles=vehicles)


def test_a_cordeau_day_with_a_tenth_of_visits_stays_checker_clean(cordeau_dir):
    """a8-96 (8 cars, 96 requests, ride and route-duration limits) with 10 of its
    requests turned into 30-minute home visits for the 4 nurse cars: the native plan
    (deterministic: a solution limit, no time limit) serves everything, cleanly."""
    problem = cordeau_with_visits(cordeau_dir / "a8-96.txt")
    n_visits = sum(t.is_visit for t in problem.tasks)
    assert n_visits == 10 and len(problem.tasks) == 96
    plan = solve(problem, SolutionLimit(20), seed=1)
    assert plan.stats["engine"] == "native" and plan.stats["mode"] == "general"
    assert_valid(problem, plan)
    assert plan.summary.unassigned == 0
    steps = visit_steps(plan)
    assert len(steps) == n_visits
    for vid, s in steps:
        assert "nurse" in problem.vehicle(vid).features
        assert s.departure - s.service_start == 30 * 1000  # 30 instance minutes, scaled
