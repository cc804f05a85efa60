"""`LiveDay.depart`: a car that left for its next stop keeps to the plan while drivers report.

The straight-road town of `test_live` (location i at ``POS[i]`` seconds from the depot).
"""

from __future__ import annotations

import pytest

from dispatch.errors import InputError
from dispatch.live import LiveConfig, LiveDay
from dispatch.model import StopKind, StopRef
from dispatch.quote import RideAsk
from tests.dispatch.test_live import H8, H9, D, T, assert_ok, car


def reported_day() -> LiveDay:
    return LiveDay(T, D, [car()], now=H8, config=LiveConfig(auto_complete=False))


def pickup_start(day: LiveDay, bid: str) -> int:
    route = day.plan.route("v1")
    assert route is not None
    return next(
        s.service_start for s in route.steps if s.request_id == bid and s.kind.value == "pickup"
    )


def test_a_departed_car_is_not_taken_to_wait_at_the_depot():
    day = reported_day()
    q = day.quote(RideAsk(2, 3, depart_at=H9))
    day.confirm(q.booking_id)
    planned = pickup_start(day, q.booking_id)
    leave = day.plan.route("v1").steps[0].departure
    assert leave == planned - 1200  # 20 minutes to location 2
    day.advance_to(leave + 600)  # no report: the car is assumed still at the depot
    assert pickup_start(day, q.booking_id) > planned
    again = reported_day()
    q2 = again.quote(RideAsk(2, 3, depart_at=H9))
    again.confirm(q2.booking_id)
    again.advance_to(leave + 600)
    result = again.depart("v1", at=leave)
    assert result.event == "departed" and not result.broken
    assert pickup_start(again, q2.booking_id) == planned
    assert again.problem().locked["v1"] == (StopRef(q2.booking_id, StopKind.PICKUP),)
    assert_ok(again)
    assert again.depart("v1").event == "depart"  # already under way: nothing changes


def test_depart_needs_a_stop_and_a_time_not_in_the_future():
    day = reported_day()
    assert day.depart("v1").event == "depart"  # nothing to drive to
    day.quote(RideAsk(2, 3, depart_at=H9))
    with pytest.raises(InputError, match="not after now"):
        day.depart("v1", at=day.now + 1)
    with pytest.raises(InputError, match="unknown"):
        day.depart("nope")
