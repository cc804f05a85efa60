"""Exact schedules of fixed sequences, and cheapest insertion built on them."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings

from dispatch.check import check_plan
from dispatch.insertion import (
    WorkingRoute,
    construct,
    empty_routes,
    find_insertion,
    route_view,
    to_plan,
)
from dispatch.model import Break, Problem, RideRequest, TimeWindow
from dispatch.result import StepKind
from dispatch.schedule import break_nodes, dropoff_node, pickup_node, schedule
from tests.dispatch.instances import line_matrix, random_problems, sedan


def test_pickup_waits_at_the_door_not_with_a_rider_on_board():
    # r1 picked up at 100 going to 400; r2 at 200 whose window opens late
    t, d = line_matrix([0, 100, 200, 400])
    r1 = RideRequest("r1", 1, 3, pickup_window=TimeWindow(0, 5000), board_s=0, alight_s=0)
    r2 = RideRequest("r2", 2, 3, pickup_window=TimeWindow(1000, 1100), board_s=0, alight_s=0)
    p = Problem(t, d, (r1, r2), (sedan(),))
    a, b = p.tasks
    sched = schedule(
        p, p.vehicles[0], [pickup_node(a), pickup_node(b), dropoff_node(a), dropoff_node(b)]
    )
    assert sched is not None
    # r1 is picked up as late as possible: 100 s before r2's window opens
    assert sched.starts == (900, 1000, 1200, 1200)
    assert sched.departure == 800


def test_max_ride_time_pushes_the_first_pickup_later_or_fails():
    t, d = line_matrix([0, 100, 200, 400])
    r1 = RideRequest(
        "r1", 1, 3, pickup_window=TimeWindow(0, 5000), board_s=0, alight_s=0, max_ride_s=400
    )
    r2 = RideRequest("r2", 2, 3, pickup_window=TimeWindow(1000, 1100), board_s=0, alight_s=0)
    p = Problem(t, d, (r1, r2), (sedan(),))
    a, b = p.tasks
    seq = [pickup_node(a), pickup_node(b), dropoff_node(a), dropoff_node(b)]
    sched = schedule(p, p.vehicles[0], seq)
    assert sched is not None and sched.starts[2] - sched.starts[0] <= 400
    tight = Problem(t, d, (r1.__class__(**{**_fields(r1), "max_ride_s": 250}), r2), (sedan(),))
    a, b = tight.tasks
    assert (
        schedule(
            tight,
            tight.vehicles[0],
            [pickup_node(a), pickup_node(b), dropoff_node(a), dropoff_node(b)],
        )
        is None
    )


def test_a_break_rests_where_the_car_served_or_anywhere_on_its_leg():
    """A lunch due at 1500 sharp between a (done at 1320, 600 s from b) and b (3700-3800).
    Resting where it served, the car then drives: b at 3900, too late. With ``legs`` (the
    plan's and the checker's rule) it drives first and rests where b starts: b at 3720,
    and the lunch is still placed where the car served whenever that is on time."""
    t, d = line_matrix([0, 600, 1200])
    a = RideRequest("a", 0, 1, pickup_window=TimeWindow(600, 700), board_s=60, alight_s=60)
    b = RideRequest("b", 2, 0, pickup_window=TimeWindow(3700, 3800), board_s=60, alight_s=60)
    lunch = Break("lunch", TimeWindow(1500, 1500), 1800)
    car = sedan(breaks=(lunch,))
    p = Problem(t, d, (a, b), (car,))
    ta, tb = p.tasks
    (rest,) = break_nodes(car)
    seq = [pickup_node(ta), dropoff_node(ta), rest, pickup_node(tb), dropoff_node(tb)]
    assert schedule(p, car, seq) is None
    sched = schedule(p, car, seq, legs=True)
    assert sched is not None and sched.starts == (600, 1260, 1500, 3720, 4980)
    early = Problem(
        t, d, (a, b.__class__(**{**_fields(b), "pickup_window": TimeWindow(3900, 4000)})), (car,)
    )
    ta, tb = early.tasks
    seq = [pickup_node(ta), dropoff_node(ta), rest, pickup_node(tb), dropoff_node(tb)]
    assert schedule(early, car, seq).starts == schedule(early, car, seq, legs=True).starts


def test_breaks_at_either_end_are_taken_off_the_route_when_they_fit_there():
    """One ride picked up at 1000 (600 s from the depot), dropped off at 1660 and done at
    1720, 1200 s from home: the car leaves at 400 and is back at 2920. A break due from
    2500 is taken back home at 2920, after the end; one due by 300 before the start (the
    car leaves once it is over): the route's duration leaves either out, as the plan does.
    One due by 2000 fits neither: on the route, where the car served (then home at 4720).
    Every break on the route (``off_route=False``), each costs its time."""
    t, d = line_matrix([0, 600, 1200])
    a = RideRequest("a", 1, 2, pickup_window=TimeWindow(1000, 1100), board_s=60, alight_s=60)
    late = Break("late", TimeWindow(2500, 3000), 1800)
    early = Break("early", TimeWindow(0, 300), 300)
    tight = Break("tight", TimeWindow(1500, 2000), 1800)
    for lunch, starts, end, on_route in (
        (late, (1000, 1660, 2920), 2920, 5500 - 400),
        (early, (100, 1000, 1660), 2920, 2920 - 100),
        (tight, (1000, 1660, 1720), 4720, 4720 - 400),
    ):
        car = sedan(breaks=(lunch,))
        p = Problem(t, d, (a,), (car,))
        (ta,) = p.tasks
        (rest,) = break_nodes(car)
        ride = [pickup_node(ta), dropoff_node(ta)]
        seq = [rest, *ride] if lunch is early else [*ride, rest]
        sched = schedule(p, car, seq)
        assert sched is not None
        assert (sched.starts, sched.departure, sched.end_arrival) == (starts, 400, end)
        plan = to_plan(p, [WorkingRoute(car, seq, sched=sched)], [], {})
        (route,) = plan.routes
        assert any(st.kind is StepKind.BREAK for st in route.steps) is (lunch is tight)
        assert route.duration_s == end - 400
        assert check_plan(p, plan).ok(), str(check_plan(p, plan))
        paid = schedule(p, car, seq, off_route=False)
        assert paid is not None and paid.end_arrival - paid.departure == on_route


def _fields(obj):
    return {f: getattr(obj, f) for f in obj.__dataclass_fields__ if f != "kind"}


def test_insertion_prefers_the_cheaper_vehicle_position():
    t, d = line_matrix([0, 100, 300, 5000])
    r1 = RideRequest("r1", 1, 2, pickup_window=TimeWindow(0, 5000))
    p = Problem(t, d, (r1,), (sedan("far", depot=3), sedan("near", depot=0)))
    routes = empty_routes(p)
    ins = find_insertion(p, routes, [route_view(p, r) for r in routes], p.tasks[0])
    assert ins is not None and p.vehicles[ins.vehicle_index].id == "near"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_problems())
def test_constructed_plans_pass_the_checker(problem):
    routes, unassigned = construct(problem)
    plan = to_plan(problem, routes, unassigned, {})
    report = check_plan(problem, plan)
    assert report.ok(), str(report)
