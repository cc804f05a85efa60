"""車庫待機: a vehicle with a far-off next stop waits at its depot, and is measured so.

The straight-road town of `test_live` (location i at ``POS[i]`` seconds from the depot).
"""

from __future__ import annotations

import pytest

from dispatch.depot_wait import back_at_depot, time_away
from dispatch.errors import InputError
from dispatch.live import LiveConfig
from dispatch.quote import RideAsk
from tests.dispatch.test_live import H8, H9, D, T, assert_ok, car, new_day

H12 = 12 * 3600


def test_back_at_depot_only_when_the_gap_leaves_the_minimum_wait_there():
    # free at location 1 (600 s from the depot) at 08:00, next stop at location 2 (1200 s)
    assert back_at_depot(T, 1, 0, H8, 2, H9, 900) == H8 + 600
    leave_needed = H8 + 600 + 900 + 1200  # back, wait 15 min, drive out
    assert back_at_depot(T, 1, 0, H8, 2, leave_needed, 900) == H8 + 600
    assert back_at_depot(T, 1, 0, H8, 2, leave_needed - 1, 900) is None
    assert back_at_depot(T, 0, 0, H8, 2, H12, 900) is None  # already home


def test_time_away_counts_waiting_at_stops_but_not_at_the_depot():
    # two stops close together, then one four hours later: home in between
    stops = [(1, H8, H8 + 60), (2, H8 + 660, H8 + 720), (3, H12, H12 + 60)]
    away, metres = time_away(T, D, 0, stops, 900)
    first_trip = (H8 + 720 + 1200) - (H8 - 600)
    second_trip = (H12 + 60 + 1800) - (H12 - 1800)
    assert away == first_trip + second_trip
    assert metres == int(D[0, 1] + D[1, 2] + D[2, 0] + D[0, 3] + D[3, 0])
    # with a minimum wait longer than the gap, the car waits at the kerb instead
    kerb, kerb_m = time_away(T, D, 0, stops, 5 * 3600)
    assert kerb == (H12 + 60 + 1800) - (H8 - 600)
    assert kerb_m == int(D[0, 1] + D[1, 2] + D[2, 3] + D[3, 0])
    assert time_away(T, D, 0, [], 900) == (0, 0)


def test_a_live_car_waits_at_the_depot_between_far_apart_bookings():
    day = new_day(car())
    early = day.quote(RideAsk(1, 2, depart_at=H8 + 1800))
    late = day.quote(RideAsk(3, 1, depart_at=H12))
    day.confirm(early.booking_id)
    day.confirm(late.booking_id)
    day.advance_to(H12 + 3600)
    kinds = [(s.kind, s.location) for s in day.history("v1")]
    assert kinds == [
        ("depart", 0),
        ("pickup", 1),
        ("dropoff", 2),
        ("depot", 0),
        ("depart", 0),
        ("pickup", 3),
        ("dropoff", 1),
        ("depot", 0),
    ]
    h = day.history("v1")
    assert h[3].start == h[2].departure + 1200  # straight home from location 2
    assert h[4].start == h[5].start - 1800  # out again just in time for location 3
    assert late.promise.start <= h[5].start <= late.promise.end
    assert not day.broken_promises
    assert_ok(day)


def test_a_booking_taken_while_the_car_waits_at_the_depot_starts_it_from_there():
    day = new_day(car())
    early = day.quote(RideAsk(1, 2, depart_at=H8 + 1800))
    late = day.quote(RideAsk(3, 1, depart_at=H12))
    day.confirm(early.booking_id)
    day.confirm(late.booking_id)
    day.advance_to(10 * 3600)
    assert day.state.vehicles["v1"].position == 0
    mid = day.quote(RideAsk(2, 0, depart_at=10 * 3600 + 1800))
    assert mid.ok
    day.confirm(mid.booking_id)
    day.advance_to(H12 + 3600)
    assert not day.broken_promises
    assert_ok(day)


def test_the_minimum_depot_wait_is_validated():
    with pytest.raises(InputError, match="depot_wait_s"):
        LiveConfig(depot_wait_s=0)
    assert LiveConfig.from_plain(LiveConfig(depot_wait_s=1200).to_plain()).depot_wait_s == 1200
