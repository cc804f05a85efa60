"""Value objects reject bad input with errors that name the object and the field."""

from __future__ import annotations

import numpy as np
import pytest

from dispatch.errors import InputError
from dispatch.model import (
    Break,
    DeliveryOrder,
    Problem,
    RideRequest,
    RideTimePolicy,
    StopKind,
    StopRef,
    TimeWindow,
    Vehicle,
)
from tests.dispatch.instances import line_matrix, sedan


def test_ride_time_policy_formula():
    policy = RideTimePolicy(alpha=1.5, beta_s=600, cap_s=3600)
    assert policy.max_ride_s(600) == 1500
    assert policy.max_ride_s(3000) == 3600


@pytest.mark.parametrize(
    ("build", "words"),
    [
        (lambda: TimeWindow(10, 5), "before start"),
        (lambda: TimeWindow(-1, 5), "start"),
        (lambda: RideRequest("r1", 1, 2), "pickup_window"),
        (
            lambda: RideRequest("r1", 1, 2, pickup_window=TimeWindow(0, 9), party_size=0),
            "party_size",
        ),
        (
            lambda: RideRequest("r1", 1, 2, pickup_window=TimeWindow(0, 9), wheelchairs=2),
            "wheelchairs",
        ),
        (lambda: RideRequest("", 1, 2, pickup_window=TimeWindow(0, 9)), "id"),
        (lambda: RideRequest("r1", -1, 2, pickup_window=TimeWindow(0, 9)), "pickup"),
        (
            lambda: RideRequest(
                "r1", 1, 2, pickup_window=TimeWindow(0, 9), promise=TimeWindow(20, 30)
            ),
            "promise",
        ),
        (lambda: DeliveryOrder("d1", 1, 2, ready_at=100, due_by=50), "due_by"),
        (lambda: DeliveryOrder("d1", 1, 2, ready_at=0, due_by=50, cargo_units=0), "cargo_units"),
        (lambda: Vehicle("v", 0, 0, TimeWindow(0, 100), (4, 0)), "capacity"),
        (lambda: Vehicle("v", 0, 0, TimeWindow(0, 100), (4, 0, -1)), "capacity.cargo"),
        (
            lambda: Vehicle(
                "v",
                0,
                0,
                TimeWindow(0, 100),
                (4, 0, 0),
                breaks=(Break("b", TimeWindow(90, 95), 30),),
            ),
            "inside the shift",
        ),
    ],
)
def test_bad_values_name_the_field(build, words):
    with pytest.raises(InputError, match=words):
        build()


def test_problem_rejects_unknown_locations_and_shapes():
    t, d = line_matrix([0, 10, 20])
    ride = RideRequest("r1", 1, 7, pickup_window=TimeWindow(0, 100))
    with pytest.raises(InputError, match=r"ride 'r1': dropoff location 7 is not in the matrix"):
        Problem(t, d, (ride,), (sedan(),))
    with pytest.raises(InputError, match="square"):
        Problem(np.zeros((2, 3), dtype=int), np.zeros((2, 3), dtype=int), (), (sedan(),))
    with pytest.raises(InputError, match="ints"):
        Problem(t.astype(float), d, (), (sedan(),))
    with pytest.raises(InputError, match="negative"):
        Problem(t - 5, d, (), (sedan(),))


def test_problem_rejects_duplicates_and_bad_locks():
    t, d = line_matrix([0, 10, 20])
    r = RideRequest("r1", 1, 2, pickup_window=TimeWindow(0, 100))
    with pytest.raises(InputError, match="duplicate request id"):
        Problem(t, d, (r, r), (sedan(),))
    with pytest.raises(InputError, match="duplicate vehicle id"):
        Problem(t, d, (r,), (sedan(), sedan()))
    with pytest.raises(InputError, match="unknown request"):
        Problem(t, d, (r,), (sedan(),), locked={"v1": (StopRef("nope", StopKind.PICKUP),)})
    with pytest.raises(InputError, match="unknown vehicle"):
        Problem(t, d, (r,), (sedan(),), locked={"v9": ()})
    pinned = RideRequest("r2", 1, 2, pickup_window=TimeWindow(0, 100), vehicle_ids=frozenset({"x"}))
    with pytest.raises(InputError, match="vehicle_ids"):
        Problem(t, d, (pinned,), (sedan(),))


def test_dropoff_deadline_before_pickup_opens_is_rejected():
    t, d = line_matrix([0, 10, 20])
    r = RideRequest("r1", 1, 2, pickup_window=TimeWindow(500, 600), arrive_by=400)
    with pytest.raises(
        InputError, match=r"ride 'r1': dropoff window ends \(400\) before pickup opens"
    ):
        Problem(t, d, (r,), (sedan(),))


def test_tasks_resolve_windows_promise_and_loads():
    t, d = line_matrix([0, 100, 700])
    r = RideRequest(
        "r1",
        1,
        2,
        pickup_window=TimeWindow(0, 1000),
        promise=TimeWindow(300, 600),
        party_size=3,
        wheelchairs=1,
    )
    o = DeliveryOrder("d1", 1, 2, ready_at=50, due_by=900, deliver_from=200, cargo_units=4)
    p = Problem(t, d, (r, o), (sedan(),))
    ride, order = p.tasks
    assert ride.pickup.window == TimeWindow(300, 600)
    assert ride.load == (2, 1, 0)
    assert ride.direct_s == 600 and ride.max_ride_s == min(3600, int(1.5 * 600 + 600))
    assert order.pickup.window == TimeWindow(50, 900)
    assert order.dropoff.window == TimeWindow(200, 900)
    assert order.load == (0, 0, 4)


def test_locks_that_can_never_hold_are_rejected():
    t, d = line_matrix([0, 10, 20])
    r = RideRequest("r1", 1, 2, pickup_window=TimeWindow(0, 100))
    vehicles = (sedan("a"), sedan("b"))
    pick, drop = StopRef("r1", StopKind.PICKUP), StopRef("r1", StopKind.DROPOFF)
    with pytest.raises(InputError, match="locked on 'a' and 'b'"):
        Problem(t, d, (r,), vehicles, locked={"a": (pick,), "b": (drop,)})
    with pytest.raises(InputError, match="before its pickup"):
        Problem(t, d, (r,), vehicles, locked={"a": (drop, pick)})
