"""Dry runs (`dispatch.live.preview`) and the reassign assistant (`dispatch.reassign`).

A preview changes nothing of the day (its snapshot before equals after), and what it
predicts is what the same event does when applied. The town is the straight road of
`tests.dispatch.test_live`.
"""

from __future__ import annotations

import pytest

from dispatch.errors import InputError
from dispatch.events import BrokenWhat
from dispatch.live import LiveDay
from dispatch.live.preview import preview
from dispatch.live.summary import day_summary
from dispatch.quote import RideAsk
from dispatch.reassign import move_options
from tests.dispatch.test_live import H8, H9, HOUR, book, car, new_day


def outcome(day: LiveDay) -> tuple:
    """What an event left: every booking's vehicle and status, the broken promises."""
    return (
        {b.id: (day.route_of(b.id), b.status) for b in day.bookings()},
        [(bp.booking_id, bp.what, bp.by_s) for bp in day.broken_promises],
        day.plan.summary.distance_m,
    )


def two_cars() -> tuple[LiveDay, str, str]:
    day = new_day(car("v1"), car("v2"))
    a = book(day, RideAsk(1, 3, depart_at=H9))
    b = book(day, RideAsk(4, 5, depart_at=H9 + 1800))
    return day, a, b


def test_a_delay_preview_changes_nothing_and_predicts_the_outcome():
    day = new_day()
    a = book(day, RideAsk(1, 3, depart_at=H9))
    before = day.snapshot()
    p = preview(day, lambda d: d.vehicle_delayed("v1", 3600))
    assert day.snapshot() == before  # nothing applied, nothing audited
    assert [(bp.booking_id, bp.what) for bp in p.broken] == [(a, BrokenWhat.PICKUP_WINDOW)]
    assert [c.booking_id for c in p.dropped] == [a]  # no car can keep it: it leaves the plan
    assert p.applied and p.after.served == p.before.served - 1
    applied = day.vehicle_delayed("v1", 3600)
    assert [(bp.booking_id, bp.what, bp.by_s) for bp in applied.broken] == [
        (bp.booking_id, bp.what, bp.by_s) for bp in p.broken
    ]
    assert outcome(day) == outcome(p.day)


def test_a_delay_absorbed_by_another_car_is_previewed_as_a_move():
    day, a, _ = two_cars()
    first = day.route_of(a)
    p = preview(day, lambda d: d.vehicle_delayed(first, 3600))
    assert not p.broken
    assert (a, first) in [(c.booking_id, c.before_vehicle) for c in p.moved]
    assert all(c.after_vehicle != first for c in p.moved)
    assert day.route_of(a) == first
    day.vehicle_delayed(first, 3600)
    assert outcome(day) == outcome(p.day)


def test_a_small_delay_retimes_stops_beyond_the_threshold_only():
    day = new_day()
    a = book(day, RideAsk(1, 3, depart_at=H9))
    day.advance_to(H9 - 700)  # the car has to leave now for the pickup
    small = preview(day, lambda d: d.vehicle_delayed("v1", 120))
    assert not small.retimed and not small.broken
    later = preview(day, lambda d: d.vehicle_delayed("v1", 420), retime_s=300)
    assert [c.booking_id for c in later.retimed] == [a]
    assert later.retimed[0].after_pickup - later.retimed[0].before_pickup > 300


def test_breakdown_and_no_show_previews_match_the_applied_events():
    day, a, _ = two_cars()
    vid = day.route_of(a)
    before = day.snapshot()
    p = preview(day, lambda d: d.vehicle_breakdown(vid))
    assert day.snapshot() == before
    day2 = LiveDay.from_snapshot(before, day.state.base.time_s, day.state.base.distance_m)
    day2.vehicle_breakdown(vid)
    assert outcome(day2) == outcome(p.day)
    day.advance_to(H9 - 600)
    q = preview(day, lambda d: d.no_show(a))
    assert [c.booking_id for c in q.dropped] == [a]
    day.no_show(a)
    assert outcome(day) == outcome(q.day)


def test_a_refused_move_preview_lists_the_violations_and_audits_nothing():
    day = new_day(car("v1"), car("v2", depot=6))
    a = book(day, RideAsk(1, 3, depart_at=H8 + 900))  # too soon for the far car
    assert day.route_of(a) == "v1"
    n_audit = len(day.audit)
    p = preview(day, lambda d: d.move(a, "v2"))
    assert not p.applied and p.violations
    assert len(day.audit) == n_audit and day.route_of(a) == "v1"


def test_errors_of_the_event_are_raised_as_they_would_be():
    day = new_day()
    with pytest.raises(InputError):
        preview(day, lambda d: d.vehicle_delayed("ghost", 60))
    with pytest.raises(InputError):
        preview(day, lambda d: d.no_show("nope"))


def test_move_options_rank_the_vehicles_that_keep_the_promise_first():
    day = new_day(car("v1"), car("v2"), car("far", depot=6))
    a = book(day, RideAsk(1, 3, depart_at=H8 + 1200))
    current = day.route_of(a)
    before = day.snapshot()
    options = move_options(day, a)
    assert day.snapshot() == before
    assert current not in {o.vehicle_id for o in options}
    assert len(options) == 2
    ok = [o for o in options if o.keeps_promise]
    refused = [o for o in options if not o.keeps_promise]
    assert [o.vehicle_id for o in refused] == ["far"] and refused[0].violations
    assert options[-1].vehicle_id == "far"  # refused moves come last
    [best] = ok
    assert best.pickup_at is not None and best.dropoff_at is not None
    assert best.late_probability is not None and 0 <= best.late_probability <= 1
    # applying the best option gives the predicted times
    assert day.move(a, best.vehicle_id).applied
    pickup = next(
        s.service_start
        for s in day.plan.route(best.vehicle_id).steps
        if s.request_id == a and s.kind == "pickup"
    )
    assert pickup == best.pickup_at


def test_move_options_cost_is_the_plan_difference():
    day = new_day(car("v1"), car("v2", fixed_cost=5000))
    a = book(day, RideAsk(1, 3, depart_at=H9))
    b = book(day, RideAsk(2, 4, depart_at=H9 + HOUR))
    assert day.route_of(a) == day.route_of(b) == "v1"
    [opt] = move_options(day, a)
    before = day.plan.summary
    assert day.move(a, opt.vehicle_id).applied
    after = day.plan.summary
    assert opt.added_distance_m == after.distance_m - before.distance_m
    assert opt.added_duration_s == after.duration_s - before.duration_s
    assert opt.added_cost == round(after.cost - before.cost, 1) > 0


def test_move_options_refuse_a_booking_that_cannot_move():
    day = new_day(car("v1"), car("v2"))
    a = book(day, RideAsk(1, 3, depart_at=H9))
    day.cancel(a)
    with pytest.raises(InputError, match="cancelled"):
        move_options(day, a)
    with pytest.raises(InputError):
        move_options(day, "nope")


def test_day_summary_counts_outcomes_and_km_done_against_planned():
    day = new_day(car("v1"), car("v2"))
    a = book(day, RideAsk(1, 3, depart_at=H9))
    b = book(day, RideAsk(2, 4, depart_at=H9 + 2 * HOUR))
    c = book(day, RideAsk(1, 2, depart_at=H9 + HOUR))
    day.cancel(c)
    start = day_summary(day)
    assert (start.served, start.cancelled, start.no_shows, start.late) == (0, 1, 0, 0)
    assert start.distance_m_done == 0 and start.vehicle_s_done == 0
    assert start.distance_m_planned == day.plan.summary.distance_m
    assert start.vehicle_s_planned == day.plan.summary.duration_s
    day.advance_to(H9 + 2 * HOUR - 1200)  # a is done; b's car waits at 2
    assert (day.route_of(a), day.route_of(b)) == (None, "v2")
    day.no_show(b)
    day.advance_to(13 * HOUR)
    end = day_summary(day)
    assert (end.served, end.cancelled, end.no_shows, end.late) == (1, 1, 1, 0)
    # v1: depot 0 -> 1 -> 3 -> depot; v2: depot -> 2 (no-show) -> depot; 10 m a second
    assert end.distance_m_done == end.distance_m_planned == 36_000 + 24_000
    # v1 out 08:40-09:42, v2 out 10:30-11:00
    assert end.vehicle_s_done == end.vehicle_s_planned == 3720 + 1800
