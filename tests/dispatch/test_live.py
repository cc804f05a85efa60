"""The live loop on hand-checkable days: quotes, promises, events, overrides, audit.

The town is a straight road (``line_matrix``): location i sits at ``POS[i]`` seconds
from the depot, 10 m per second::

    location   0 depot  1     2     3     4     5     6 far depot
    seconds    0        600   1200  1800  2400  3000  6000

Boarding and alighting take 60 s each; promises are 15 minutes wide on a 5-minute
grid; the ride limit is ``min(3600, 1.5 * direct + 600)``.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from dispatch.audit import AuditEvent
from dispatch.errors import InputError
from dispatch.events import BookingStatus, BrokenWhat
from dispatch.live import HoldExpiredError, LiveConfig, LiveDay
from dispatch.model import Break, TimeWindow, Vehicle
from dispatch.quote import DeliveryAsk, QuoteConfig, QuoteRejection, RideAsk
from tests.dispatch.instances import HOUR, line_matrix

POS = [0, 600, 1200, 1800, 2400, 3000, 6000]
T, D = line_matrix(POS)
H8, H9, H14 = 8 * HOUR, 9 * HOUR, 14 * HOUR


def car(vid: str = "v1", *, depot: int = 0, seats: int = 1, **kw) -> Vehicle:
    kw.setdefault("fixed_cost", 1000)
    return Vehicle(vid, depot, depot, TimeWindow(H8, H14), (seats, 0, 2), **kw)


def new_day(*vehicles: Vehicle, now: int = H8, **config) -> LiveDay:
    return LiveDay(T, D, list(vehicles) or [car()], now=now, config=LiveConfig(**config))


def assert_ok(day: LiveDay) -> None:
    report = day.check()
    assert report.ok(), str(report)


def book(day: LiveDay, ask: RideAsk | DeliveryAsk) -> str:
    q = day.quote(ask)
    assert q.ok, q.message_en
    assert q.booking_id is not None
    day.confirm(q.booking_id)
    return q.booking_id


# -- quotes and promises ----------------------------------------------------------------


def test_quote_gives_a_promised_window_around_the_asked_time():
    day = new_day()
    q = day.quote(RideAsk(1, 3, depart_at=H9))
    # the car can be at 1 from 08:10; the booked window is 08:50-09:30 and 09:00 is
    # feasible, so the 15-minute promise is centred on it and put on the 5-minute grid
    assert q.ok and q.kind == "ride"
    assert q.promise == TimeWindow(H9 - 600, H9 + 300)
    assert q.estimated_pickup == H9 - 600  # the plan picks up as early as promised
    assert q.estimated_arrival == H9 - 600 + 60 + 1200  # 09:11
    # guaranteed: promise end + boarding + max ride (1.5 * 1200 + 600 = 2400)
    assert q.latest_arrival == H9 + 300 + 60 + 2400
    assert q.message_ja == "お迎え予定時間帯 08:50〜09:05、到着予定 09:11"
    assert q.message_en == "pickup between 08:50 and 09:05, arrival about 09:11"
    assert q.held_until == H8 + 180
    assert day.booking(q.booking_id).status is BookingStatus.HELD
    day.confirm(q.booking_id)
    assert day.booking(q.booking_id).status is BookingStatus.CONFIRMED
    assert day.problem().task(q.booking_id).pickup.window == q.promise  # a hard constraint
    assert_ok(day)


def test_quote_by_arrival_is_promised_before_the_latest_pickup():
    day = new_day()
    q = day.quote(RideAsk(1, 3, arrive_by=10 * HOUR))
    # arriving by 10:00 means boarding by 10:00 - 1200 - 60 = 09:39; that is feasible,
    # so the promise ends there (the start snaps to the grid: 09:20-09:35 would not hold it)
    latest = 10 * HOUR - 1260
    assert q.ok
    assert q.promise.end >= latest - 900 and q.promise.start <= latest <= q.promise.end
    assert q.estimated_arrival <= 10 * HOUR
    assert q.latest_arrival == 10 * HOUR
    assert_ok(day)


def test_a_second_booking_cannot_break_the_first_and_gets_alternatives():
    day = new_day()
    a = book(day, RideAsk(1, 3, depart_at=H9))  # picked up 08:50, dropped 09:11 at 3
    promise = day.booking(a).promise
    q = day.quote(RideAsk(2, 4, depart_at=H8 + 2400))  # 08:40: one seat, no way round
    assert not q.ok
    assert q.reason is QuoteRejection.FULLY_BOOKED
    assert q.message_ja.startswith(
        "予約できません（ご希望の時間は車両が埋まっています）。代わりの時間:"
    )
    assert q.alternatives and q.alternatives[0].time == H8 + 2400 + 900  # 08:55 works
    for alt in q.alternatives:  # every alternative is feasible now
        assert day.quote(RideAsk(2, 4, depart_at=alt.time), hold=False).ok
    assert day.booking(a).promise == promise
    assert_ok(day)


def test_rejection_reasons_are_specific():
    day = new_day(
        car("v1"), car("van", features=frozenset({"lift"})), quote=QuoteConfig(min_lead_s=1800)
    )
    q = day.quote(RideAsk(1, 3, depart_at=H8 + 600))  # 10 minutes' notice, 30 required
    assert q.reason is QuoteRejection.TOO_SOON
    assert q.alternatives and all(a.time >= H8 + 1800 for a in q.alternatives)
    q = day.quote(RideAsk(1, 3, depart_at=H14 - 300))  # the shift ends before the car is back
    assert q.reason is QuoteRejection.OUTSIDE_SERVICE_HOURS
    assert q.alternatives and all(a.time < H14 - 300 for a in q.alternatives)
    day.vehicle_breakdown("van")
    q = day.quote(RideAsk(1, 3, depart_at=H9, required_features=frozenset({"lift"})))
    assert q.reason is QuoteRejection.NO_VEHICLE and not q.alternatives
    assert q.message_en == (
        "cannot book (no vehicle in service can carry this booking (wheelchair, capacity, "
        "features))"
    )


def test_held_seat_cannot_be_promised_twice_until_the_hold_expires():
    day = new_day(hold_s=180)
    first = day.quote(RideAsk(1, 3, depart_at=H9))
    assert first.ok
    second = day.quote(RideAsk(1, 3, depart_at=H9, rider_id="other"))
    assert not second.ok  # the only seat is held for the first caller
    day.advance_to(H8 + 180)
    assert day.booking(first.booking_id).status is BookingStatus.EXPIRED
    with pytest.raises(HoldExpiredError, match="expired"):
        day.confirm(first.booking_id)
    again = day.quote(RideAsk(1, 3, depart_at=H9))
    assert again.ok and again.promise == first.promise
    assert any(e.event is AuditEvent.HOLD_EXPIRED for e in day.audit)


def test_cancellation_frees_the_seat():
    day = new_day()
    a = book(day, RideAsk(1, 3, depart_at=H9))
    assert not day.quote(RideAsk(2, 4, depart_at=H8 + 2400), hold=False).ok
    result = day.cancel(a)
    assert result.changed == (a,) and not result.broken
    assert day.booking(a).status is BookingStatus.CANCELLED
    assert day.quote(RideAsk(2, 4, depart_at=H8 + 2400), hold=False).ok
    assert_ok(day)


def test_delivery_quote_promises_a_slot_and_respects_the_cutoff():
    day = new_day(car(seats=1))
    q = day.quote(DeliveryAsk(2, 4, ready_at=H9, due_by=12 * HOUR))
    # earliest hand-over: shop 2 at 09:00 (+120 s), customer 4 at 09:22 -> slot 09:20-10:20
    assert q.ok and q.kind == "delivery"
    assert q.estimated_arrival == H9 + 120 + 1200
    assert q.promise == TimeWindow(H9 + 1200, H9 + 1200 + 3600)
    assert q.message_ja == "お届け予定時間帯 09:20〜10:20"
    late = new_day(now=11 * HOUR + 60)
    q = late.quote(DeliveryAsk(2, 4))
    assert not q.ok and q.reason is QuoteRejection.AFTER_CUTOFF
    early = new_day(now=-6 * HOUR)  # booked the evening before: no same-day cut-off
    assert early.quote(DeliveryAsk(2, 4, ready_at=12 * HOUR, due_by=H14)).ok


def test_bad_input_names_the_field():
    day = new_day()
    with pytest.raises(InputError, match="depart_at 07:00 is in the past"):
        day.quote(RideAsk(1, 3, depart_at=7 * HOUR))
    with pytest.raises(InputError, match="party_size 4"):
        day.quote(RideAsk(1, 3, depart_at=H9, party_size=4))
    with pytest.raises(InputError, match="pickup location 99 is not in the matrix"):
        day.quote(RideAsk(99, 3, depart_at=H9))
    with pytest.raises(InputError, match="required_features"):
        day.quote(RideAsk(1, 3, depart_at=H9, required_features=frozenset({"lift"})))
    with pytest.raises(InputError, match="exactly one of depart_at and arrive_by"):
        RideAsk(1, 3)
    with pytest.raises(InputError, match="booking id 'nope' is unknown"):
        day.cancel("nope")
    with pytest.raises(InputError, match="before now"):
        day.advance_to(H8 - 1)


# -- the day goes on --------------------------------------------------------------------


def test_time_advances_through_pickup_and_dropoff():
    day = new_day()
    a = book(day, RideAsk(1, 3, depart_at=H9))
    day.advance_to(H8 + 2399)
    assert not day.vehicle_state("v1").en_route and not day.problem().locked
    day.advance_to(H8 + 2400)  # the car leaves the depot at 08:40 for 1: under way
    state = day.vehicle_state("v1")
    assert state.en_route and state.free_at == H8 + 2400
    assert day.problem().locked == {"v1": (day.problem().locked["v1"][0],)}
    day.advance_to(H9)  # picked up 08:50-08:51
    b = day.booking(a)
    assert b.status is BookingStatus.PICKED_UP and b.picked_up_at == H9 - 540
    assert day.problem().task(a).onboard is not None
    assert_ok(day)
    day.advance_to(10 * HOUR)
    assert day.booking(a).status is BookingStatus.DONE
    history = day.history("v1")
    assert [s.kind for s in history] == ["depart", "pickup", "dropoff", "depot"]
    depart, pickup, dropoff, home = history
    assert (depart.start, depart.location) == (H8 + 2400, 0)
    assert b.promise.contains(pickup.start)
    # with nothing left to do the car drives back to its depot (1800 s) and waits there
    assert (home.start, home.location) == (dropoff.departure + 1800, 0)
    state = day.vehicle_state("v1")
    assert (state.position, state.free_at) == (0, home.start)
    assert_ok(day)


def test_no_show_moves_the_plan_on():
    day = new_day()
    a = book(day, RideAsk(1, 3, depart_at=H9))
    b = book(day, RideAsk(3, 5, depart_at=H9 + 1800))
    day.advance_to(H9 - 600)  # the car waits at 1 for the rider
    result = day.no_show(a)
    assert day.booking(a).status is BookingStatus.NO_SHOW
    assert result.changed == (a,) and not result.broken
    assert day.vehicle_state("v1").position == 1
    assert day.history("v1")[-1].kind == "no_show"
    assert day.route_of(b) == "v1"
    assert_ok(day)


def test_delay_that_breaks_a_promise_is_reported_not_dropped():
    day = new_day()
    a = book(day, RideAsk(1, 3, depart_at=H9))
    result = day.vehicle_delayed("v1", 3600)  # leaves at 09:40 at the earliest
    assert [bp.booking_id for bp in result.broken] == [a]
    bp = result.broken[0]
    assert bp.what is BrokenWhat.PICKUP_WINDOW and bp.promised == day.booking(a).promise
    assert day.booking(a).status is BookingStatus.PROMISE_BROKEN
    unassigned = {u.request_id: u for u in day.plan.unassigned}
    assert "promise broken" in unassigned[a].detail
    assert day.broken_promises == (bp,)
    assert any(e.event is AuditEvent.PROMISE_BROKEN and e.booking_id == a for e in day.audit)
    assert_ok(day)
    # the booking can be quoted again under its own id
    q = day.quote(RideAsk(1, 3, depart_at=10 * HOUR), booking_id=a)
    assert q.ok and q.booking_id == a


def test_late_rather_than_never_fetches_the_rider_late_and_reports_by_how_much():
    day = new_day(late_rather_than_never=True)
    a = book(day, RideAsk(1, 3, depart_at=H9))
    promise = day.promise(a)
    result = day.vehicle_delayed("v1", 3600)  # at the door 09:50 at the earliest
    assert day.route_of(a) == "v1"
    assert day.booking(a).status is BookingStatus.CONFIRMED  # still fetched
    pick = next(s for s in day.plan.route("v1").steps if s.request_id == a and s.kind == "pickup")
    assert pick.service_start > promise.window.end
    what = {bp.what: bp for bp in result.broken}
    assert what[BrokenWhat.PICKUP_WINDOW].by_s == pick.service_start - promise.window.end
    assert_ok(day)  # reported, so the independent check excuses it
    day.advance_to(H14)
    assert day.booking(a).status is BookingStatus.DONE
    assert day.promise(a) == promise  # the ledger keeps what was said
    assert_ok(day)


def test_late_rather_than_never_still_drops_what_no_car_can_fetch_in_time():
    day = new_day(late_rather_than_never=True, rescue_window_s=600)
    a = book(day, RideAsk(1, 3, depart_at=H9))
    before = day.booking(a).request
    result = day.vehicle_delayed("v1", 3600)  # 40 min past the window: beyond 10 min
    assert [bp.booking_id for bp in result.broken] == [a]
    assert day.booking(a).status is BookingStatus.PROMISE_BROKEN
    assert day.booking(a).request == before  # the late try left no trace
    assert day.route_of(a) is None
    assert_ok(day)


def test_delay_is_absorbed_by_another_vehicle_when_possible():
    day = new_day(car("v1"), car("v2"))
    a = book(day, RideAsk(1, 3, depart_at=H9))
    first = day.route_of(a)
    other = "v2" if first == "v1" else "v1"
    result = day.vehicle_delayed(first, 3600)
    assert not result.broken
    assert day.route_of(a) == other
    assert day.booking(a).status is BookingStatus.CONFIRMED
    change = next(c for c in day.audit.for_booking(a)[-1].changes if c.booking_id == a)
    assert (change.before_vehicle, change.after_vehicle) == (first, other)
    assert_ok(day)


def test_breakdown_rescues_riders_on_board_and_reports_what_cannot_be_kept():
    v1 = car("v1")
    v2 = car("v2", depot=6, fixed_cost=50_000)  # far away: only a last resort
    day = new_day(v1, v2, rescue_window_s=2 * HOUR)
    a = book(day, RideAsk(1, 3, depart_at=H9))
    b = book(day, RideAsk(4, 5, depart_at=H9 + 1800))
    assert day.route_of(a) == day.route_of(b) == "v1"
    day.advance_to(H9 - 300)  # a on board since 08:51
    assert day.booking(a).status is BookingStatus.PICKED_UP
    result = day.vehicle_breakdown("v1", location=2)
    # v2 reaches 2 within the rescue window, but a lands after the arrival it was promised,
    # and v2 reaches 4 only at 09:55, after b's promise: both are reported
    assert day.route_of(a) == "v2"
    assert day.booking(a).status is BookingStatus.CONFIRMED
    assert day.problem().task(a).pickup.location == 2
    assert [(bp.booking_id, bp.what) for bp in result.broken] == [
        (a, BrokenWhat.ARRIVAL),
        (b, BrokenWhat.PICKUP_WINDOW),
    ]
    late = result.broken[0]
    drop = next(s for s in day.plan.route("v2").steps if s.request_id == a and s.kind == "dropoff")
    assert late.by_s == drop.service_start - day.promise(a).latest_arrival > 0
    assert late.promised == day.promise(a).window
    assert day.booking(b).status is BookingStatus.PROMISE_BROKEN
    assert "v1" not in {v.id for v in day.problem().vehicles}
    assert any(e.event is AuditEvent.BREAKDOWN for e in day.audit)
    assert_ok(day)


def test_driver_reports_and_position_updates_retime_the_route():
    day = new_day(auto_complete=False)
    a = book(day, RideAsk(1, 3, depart_at=H9))
    day.advance_to(H9 - 600)
    assert day.booking(a).status is BookingStatus.CONFIRMED  # nothing done by itself
    day.complete_next_stop("v1")
    assert day.booking(a).status is BookingStatus.PICKED_UP
    day.advance_to(H9 - 300)
    day.vehicle_position("v1", 2)  # halfway to 3
    assert day.plan.route("v1").steps[1].arrival == H9 - 300 + 600
    assert_ok(day)


# -- dispatcher overrides -----------------------------------------------------------------


def test_override_that_would_break_a_window_is_refused_with_the_checker_text():
    day = new_day(car("v1"), car("v2", depot=6))
    a = book(day, RideAsk(1, 3, depart_at=H9))
    assert day.route_of(a) == "v1"
    result = day.move(a, "v2")  # v2 reaches 1 only at 09:30
    assert not result.applied
    assert any(v.startswith("promise") and "by 1500 s" in v for v in result.violations), result
    assert day.route_of(a) == "v1"
    assert day.audit.for_booking(a)[-1].event is AuditEvent.OVERRIDE_REFUSED
    assert_ok(day)


def test_pin_and_move_and_lock_are_validated():
    day = new_day(car("v1"), car("v2"))
    a = book(day, RideAsk(1, 3, depart_at=H9))
    other = "v2" if day.route_of(a) == "v1" else "v1"
    result = day.pin(a, other)
    assert result.applied and day.route_of(a) == other
    assert day.booking(a).request.vehicle_ids == frozenset({other})
    with pytest.raises(InputError, match="pickup_pos"):
        day.move(a, other, pickup_pos=1, dropoff_pos=0)
    lock = day.lock_route(other)
    assert lock.applied
    b = day.quote(RideAsk(1, 3, depart_at=H9 + 3600, rider_id="x"))
    assert b.ok and b.vehicle_id != other  # a locked route takes no new stops
    day.unlock_route(other)
    assert_ok(day)


# -- audit, matrix, persistence -----------------------------------------------------------


def test_audit_trail_says_what_changed_why_and_which_event():
    day = new_day()
    a = book(day, RideAsk(1, 3, depart_at=H9))
    day.cancel(a)
    events = [(e.event, e.booking_id) for e in day.audit]
    assert events == [
        (AuditEvent.QUOTE_HELD, a),
        (AuditEvent.CONFIRMED, a),
        (AuditEvent.CANCELLED, a),
    ]
    held, _, cancelled = list(day.audit)
    assert held.changes[0].after_vehicle == "v1" and held.changes[0].before_vehicle is None
    assert (
        cancelled.changes[0].before_vehicle == "v1" and cancelled.changes[0].after_vehicle is None
    )
    assert "08:50〜09:05" in held.reason
    assert [e.seq for e in day.audit] == [1, 2, 3]


def test_matrix_grows_for_an_ad_hoc_address():
    day = new_day()
    a = book(day, RideAsk(1, 3, depart_at=H9))
    t2, d2 = line_matrix([*POS, 900])  # a new door between 1 and 2
    day.set_matrix(t2, d2)
    assert day.n_locations == len(POS) + 1
    q = day.quote(RideAsk(len(POS), 4, depart_at=10 * HOUR))
    assert q.ok
    assert day.booking(a).promise == TimeWindow(H9 - 600, H9 + 300)
    bad_t = t2.copy()
    bad_t[0, 1] += 1
    with pytest.raises(InputError, match="existing locations must not change"):
        day.set_matrix(bad_t, d2)
    assert_ok(day)


def test_snapshot_round_trip_mid_day():
    lunch = Break("lunch", TimeWindow(11 * HOUR, 12 * HOUR), 1800)
    day = new_day(car("v1", seats=2, breaks=(lunch,)), car("v2", depot=6))
    book(day, RideAsk(1, 3, depart_at=H9))
    book(day, RideAsk(2, 5, arrive_by=10 * HOUR))
    c = book(day, RideAsk(3, 1, depart_at=11 * HOUR))
    book(day, DeliveryAsk(2, 4, ready_at=H9, due_by=12 * HOUR))
    day.advance_to(H9 + 60)
    day.cancel(c)
    held = day.quote(RideAsk(5, 1, depart_at=12 * HOUR))
    data = json.loads(json.dumps(day.snapshot()))
    again = LiveDay.from_snapshot(data, T, D)
    assert again.plan.to_dict() == day.plan.to_dict()
    assert again.snapshot() == day.snapshot()
    assert [e.to_plain() for e in again.audit] == [e.to_plain() for e in day.audit]
    assert again.booking(held.booking_id).status is BookingStatus.HELD
    ask = RideAsk(4, 2, depart_at=12 * HOUR + 1800)
    assert again.quote(ask).to_dict() == day.quote(ask).to_dict()
    both = [d.advance_to(13 * HOUR) for d in (day, again)]
    assert both[0] == both[1]
    assert again.plan.to_dict() == day.plan.to_dict()
    assert_ok(again)
    with_matrix = LiveDay.from_snapshot(json.loads(json.dumps(day.snapshot(include_matrix=True))))
    assert np.array_equal(with_matrix.problem().time_s, day.problem().time_s)


def test_the_run_sheet_has_the_breaks_taken_before_the_departure_or_after_the_end():
    """A ride at 11:00 between a break that may start 8:00-8:30 and one from 13:00-13:30:
    the plan's route leaves both out (taken before leaving and after coming home, off
    the clock), and `breaks_off_route` says when and where, for the driver."""
    early = Break("early", TimeWindow(H8, H8 + 1800), 1800)
    late = Break("late", TimeWindow(13 * HOUR, 13 * HOUR + 1800), 1800)
    day = new_day(car("v1", seats=2, breaks=(early, late)), car("v2", breaks=(late,)))
    book(day, RideAsk(1, 3, depart_at=11 * HOUR))
    (route,) = day.plan.routes
    assert route.vehicle_id == "v1"
    assert not any(s.kind.value == "break" for s in route.steps)
    off = day.breaks_off_route("v1")
    assert [(b.break_id, b.before, b.location, b.duration_s) for b in off] == [
        ("early", True, 0, 1800),
        ("late", False, 0, 1800),
    ]
    departure, home = route.steps[0].departure, route.steps[-1].arrival
    assert H8 <= off[0].start <= H8 + 1800 and off[0].start + 1800 <= departure
    assert off[1].start == max(13 * HOUR, home)
    assert day.breaks_off_route("v2") == ()  # no route: nothing to take them around
    with pytest.raises(InputError, match="vehicle id 'ghost' is unknown"):
        day.breaks_off_route("ghost")
    assert_ok(day)


def test_config_is_validated():
    with pytest.raises(InputError, match="promise_width_s"):
        QuoteConfig(promise_width_s=0)
    with pytest.raises(InputError, match="hold_s"):
        LiveConfig(hold_s=0)
