"""Home visits on a live day: quoted, promised, executed and checked like rides.

Same hand-checkable straight-road town as ``test_live.py`` (location i at ``POS[i]``
seconds from the depot 0; location 2 is 20 minutes out). ``nc`` is a nurse car (the
feature ``"nurse"``), ``v1`` an ordinary one.
"""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from dispatch.audit import AuditEvent
from dispatch.check import check_plan, check_promises
from dispatch.errors import InputError
from dispatch.events import (
    BookingStatus,
    BrokenWhat,
    DoneStop,
    request_from_plain,
    request_to_plain,
)
from dispatch.live import EarlyVisitError, LiveDay, Promise
from dispatch.live.reopt import solve_job
from dispatch.model import TimeWindow, VisitRequest
from dispatch.quote import QuoteConfig, QuoteRejection, RideAsk, VisitAsk
from dispatch.result import StepKind
from dispatch.stop import SolutionLimit
from tests.dispatch.instances import HOUR, NURSE
from tests.dispatch.test_live import H8, H9, H14, D, T, assert_ok, book, car, new_day

APPOINTMENT = TimeWindow(H9, H9 + 1800)


def nurse_car(vid: str = "nc", **kw):
    return car(vid, features=NURSE, **kw)


def home_visit(loc: int = 2, window: TimeWindow = APPOINTMENT, **kw) -> VisitAsk:
    kw.setdefault("service_s", 2700)
    kw.setdefault("required_features", NURSE)
    return VisitAsk(loc, window=window, **kw)


def visit_steps(day: LiveDay):
    return [(r.vehicle_id, s) for r in day.plan.routes for s in r.steps if s.kind is StepKind.VISIT]


def test_a_visit_is_quoted_confirmed_and_done_inside_its_appointment():
    day = new_day(car("v1"), nurse_car())
    q = day.quote(home_visit(rider_id="P-17"))
    # the nurse car can be at 2 from 08:20; the visit starts when the appointment opens
    assert q.ok and q.kind == "visit" and q.vehicle_id == "nc"
    assert q.promise == APPOINTMENT and q.latest_arrival == APPOINTMENT.end
    assert q.estimated_pickup == q.estimated_arrival == H9
    assert q.message_ja == "訪問予定時間帯 09:00〜09:30、訪問開始予定 09:00"
    assert q.message_en == "visit starting between 09:00 and 09:30, planned at 09:00"
    bid = q.booking_id
    assert day.booking(bid).status is BookingStatus.HELD and day.promise(bid) is None
    day.confirm(bid)
    p = day.promise(bid)
    assert p == Promise(
        bid, "visit", H8, APPOINTMENT, APPOINTMENT.end, "訪問予定時間帯 09:00〜09:30",
        "home visit starting between 09:00〜09:30",
    )  # fmt: skip
    assert p.arrival_what is BrokenWhat.APPOINTMENT
    assert day.problem().task(bid).dropoff.window == APPOINTMENT  # a hard constraint
    [(vid, step)] = visit_steps(day)
    assert (vid, step.request_id, step.service_start) == ("nc", bid, H9)
    assert step.departure == H9 + 2700
    assert_ok(day)
    day.advance_to(H9 + 2700 + 60)  # the plan is executed
    b = day.booking(bid)
    assert b.status is BookingStatus.DONE and b.dropped_at == H9 and b.vehicle_id == "nc"
    [done] = [d for d in day.history("nc") if d.kind == "visit"]
    assert (done.start, done.departure, done.location, done.request_id) == (
        H9,
        H9 + 2700,
        2,
        bid,
    )
    assert any(e.event is AuditEvent.VISITED and e.booking_id == bid for e in day.audit)
    assert day.broken_promises == () and visit_steps(day) == []
    assert_ok(day)


def test_a_visit_at_a_wanted_time_is_promised_an_appointment_around_it():
    day = new_day(car("v1"), nurse_car())
    q = day.quote(home_visit(3, window=None, wanted_at=10 * HOUR, service_s=1800))
    # 10:00 is feasible: a 30-minute appointment centred on it, on the 5-minute grid
    assert q.ok and q.promise == TimeWindow(10 * HOUR - 900, 10 * HOUR + 900)
    assert q.promise.contains(q.estimated_arrival)
    day.confirm(q.booking_id)
    assert day.promise(q.booking_id).window == q.promise
    assert day.booking(q.booking_id).promise == q.promise
    assert_ok(day)


def test_the_nurse_car_also_carries_a_patient_to_the_clinic():
    """A clinic car is a car: when the others are busy it takes an ordinary ride too."""
    day = new_day(nurse_car(seats=1))
    ride = book(day, RideAsk(1, 3, depart_at=H8 + 1800))
    visit = book(day, home_visit(4, TimeWindow(H9 + 1800, H9 + 3600)))
    assert day.route_of(ride) == day.route_of(visit) == "nc"
    kinds = [s.kind for s in day.plan.route("nc").steps]
    assert kinds == [
        StepKind.START, StepKind.PICKUP, StepKind.DROPOFF, StepKind.VISIT, StepKind.END,
    ]  # fmt: skip
    day.advance_to(H14)
    assert {day.booking(ride).status, day.booking(visit).status} == {BookingStatus.DONE}
    assert day.broken_promises == ()
    assert_ok(day)


def test_a_visit_reported_late_by_the_nurse_breaks_its_promise_once():
    day = new_day(nurse_car(), auto_complete=False)
    bid = book(day, home_visit(window=TimeWindow(H9, H9 + 900)))
    day.advance_to(H9 - 1200)
    day.depart("nc")  # under way: the plan says 09:00
    # an under-way car is taken to keep to its plan until the nurse says otherwise
    assert day.advance_to(H9 + 900 + 2700 + 300).broken == ()
    result = day.complete_next_stop("nc")  # done now: it began 20 minutes late
    [bp] = result.broken
    assert (bp.booking_id, bp.what, bp.by_s) == (bid, BrokenWhat.APPOINTMENT, 300)
    assert "driver reports the visit" in bp.cause and bp.promised == day.promise(bid).window
    assert bp.message_ja == "お約束した訪問予定時間帯に伺えません"
    assert day.booking(bid).status is BookingStatus.DONE
    assert any(
        e.event is AuditEvent.PROMISE_BROKEN and e.booking_id == bid and "min" in e.reason
        for e in day.audit
    )
    assert_ok(day)  # reported, so the independent check of the history excuses it


def test_a_delay_that_makes_a_visit_impossible_is_reported_not_dropped():
    day = new_day(nurse_car())
    bid = book(day, home_visit(window=TimeWindow(H9, H9 + 900)))
    result = day.vehicle_delayed("nc", 2 * HOUR)
    [bp] = result.broken
    assert (bp.booking_id, bp.what) == (bid, BrokenWhat.APPOINTMENT)
    assert day.booking(bid).status is BookingStatus.PROMISE_BROKEN
    [u] = day.plan.unassigned
    assert u.request_id == bid and "appointment" in u.detail
    assert_ok(day)


def test_a_visit_cannot_be_reported_done_before_its_appointment_opens():
    day = new_day(nurse_car(), auto_complete=False)
    bid = book(day, home_visit(window=TimeWindow(H9, H9 + 900), service_s=1800))
    day.advance_to(H9 - 1200)
    day.depart("nc")
    day.advance_to(H9 - 60)
    with pytest.raises(EarlyVisitError, match="has not begun"):
        day.complete_next_stop("nc")
    assert day.booking(bid).status is BookingStatus.CONFIRMED  # nothing changed
    day.advance_to(H9 + 1200)  # done after 20 minutes: it began at the appointment
    assert day.complete_next_stop("nc").broken == ()
    [done] = [d for d in day.history("nc") if d.kind == "visit"]
    assert (done.start, done.departure) == (H9, H9 + 1200)
    assert_ok(day)


def test_a_visit_no_equipped_car_can_make_is_rejected_naming_the_feature():
    day = new_day(car("v1"))
    q = day.quote(home_visit())
    assert not q.ok and q.reason is QuoteRejection.NO_VEHICLE
    assert q.missing_features == ("nurse",) and q.detail == "no vehicle in service offers nurse"
    assert q.message_en.endswith("; no vehicle in service offers nurse")
    assert "必要な装備: nurse" in q.message_ja
    assert q.to_dict()["missing_features"] == ["nurse"]
    assert day.bookings() == [] and q.booking_id is None
    # the nurse car broke down: no vehicle in service has the feature any more
    day = new_day(car("v1"), nurse_car())
    day.vehicle_breakdown("nc")
    q = day.quote(home_visit())
    assert (q.reason, q.missing_features) == (QuoteRejection.NO_VEHICLE, ("nurse",))
    # a visit pinned nowhere useful is refused for what it needs, and alternatives
    # are offered for a visit at a wanted time when the car is busy
    day = new_day(car("v1"), nurse_car(), quote=QuoteConfig(visit_early_s=0, visit_late_s=600))
    book(day, home_visit(window=TimeWindow(H9, H9 + 600)))  # at 2 from 09:00 to 09:45
    q = day.quote(home_visit(3, window=None, wanted_at=H9, service_s=1800))
    assert q.reason is QuoteRejection.FULLY_BOOKED and q.missing_features == ()
    # 08:30 (done by 09:00, at 2 by 09:10) and 09:45 (from 2 at 09:55) fit
    assert [a.time for a in q.alternatives][:2] == [H9 - 1800, H9 + 2700]
    for alt in q.alternatives:
        again = home_visit(3, window=None, wanted_at=alt.time, service_s=1800)
        assert day.quote(again, hold=False).ok
    assert_ok(day)


def test_visit_asks_name_their_bad_fields():
    with pytest.raises(InputError, match="exactly one of window and wanted_at"):
        VisitAsk(2)
    with pytest.raises(InputError, match="exactly one of window and wanted_at"):
        VisitAsk(2, window=APPOINTMENT, wanted_at=H9)
    with pytest.raises(InputError, match="service_s must be >= 1"):
        VisitAsk(2, window=APPOINTMENT, service_s=0)
    with pytest.raises(InputError, match="window must be a TimeWindow"):
        VisitAsk(2, window=(H9, H9 + 60))  # type: ignore[arg-type]
    day = new_day(nurse_car(), now=H9 + 3600)
    with pytest.raises(InputError, match="window end 09:30 is in the past"):
        day.quote(home_visit())
    with pytest.raises(InputError, match="location location 99 is not in the matrix"):
        day.quote(home_visit(99, window=TimeWindow(H14 - 60, H14)))


def test_cancel_release_and_no_show_of_a_visit_free_the_nurse_car():
    day = new_day(nurse_car())
    a = book(day, home_visit(window=TimeWindow(H9, H9 + 600)))
    q = day.quote(home_visit(3, window=TimeWindow(H9, H9 + 600)))
    assert not q.ok  # one nurse car, one consultation at a time
    day.cancel(a)
    assert day.booking(a).status is BookingStatus.CANCELLED and visit_steps(day) == []
    q = day.quote(home_visit(3, window=TimeWindow(H9, H9 + 600)))
    assert q.ok
    day.release(q.booking_id)
    b = book(day, home_visit(4, window=TimeWindow(H9 + 600, H9 + 1200)))
    day.advance_to(H9 + 620)
    day.no_show(b)  # nobody at home (不在)
    assert day.booking(b).status is BookingStatus.NO_SHOW
    assert_ok(day)


def test_a_broken_down_nurse_car_hands_its_visits_to_another():
    day = new_day(car("v1"), nurse_car("nc"), nurse_car("nc2", depot=1))
    bid = book(day, home_visit())
    assert day.route_of(bid) == "nc2"  # it waits one stop nearer
    result = day.vehicle_breakdown("nc2")
    assert result.broken == () and day.route_of(bid) == "nc"
    day.advance_to(H14)
    assert day.booking(bid).status is BookingStatus.DONE
    assert day.broken_promises == ()
    assert_ok(day)


def test_dispatchers_move_and_pin_visits_only_onto_nurse_cars():
    day = new_day(car("v1"), nurse_car("nc"), nurse_car("nc2", depot=1))
    bid = book(day, home_visit())
    assert day.move(bid, "nc", pickup_pos=0).applied
    assert day.route_of(bid) == "nc"
    refused = day.move(bid, "v1")
    assert not refused.applied and any("lacks ['nurse']" in v for v in refused.violations)
    assert day.route_of(bid) == "nc"
    with pytest.raises(InputError, match="a visit has one stop"):
        day.move(bid, "nc2", pickup_pos=0, dropoff_pos=1)
    assert day.pin(bid, "nc2").applied and day.route_of(bid) == "nc2"
    assert day.booking(bid).request.vehicle_ids == frozenset({"nc2"})
    assert_ok(day)


def test_reoptimisation_keeps_every_appointment():
    day = new_day(car("v1", seats=2), nurse_car("nc"), nurse_car("nc2", depot=4))
    visits = [
        book(day, home_visit(4, TimeWindow(H9 + 3600, H9 + 5400), service_s=1800)),
        book(day, home_visit(1, TimeWindow(H9, H9 + 1800), service_s=1800)),
        book(day, home_visit(3, TimeWindow(H9 + 600, H9 + 2400), service_s=1800)),
    ]
    ride = book(day, RideAsk(1, 3, depart_at=H9))
    day.advance_to(H8 + 600)
    job = day.reopt_job()
    candidate = solve_job(job, SolutionLimit(20), seed=1)
    assert check_plan(job.problem, candidate).ok()
    outcome = day.offer(job, candidate)
    assert outcome.accepted or outcome.reason.startswith("not better")
    assert_ok(day)
    for bid in visits:
        assert day.route_of(bid) in ("nc", "nc2")
    day.advance_to(H14)
    for bid in [*visits, ride]:
        assert day.booking(bid).status is BookingStatus.DONE
    assert day.broken_promises == ()
    assert_ok(day)


def test_a_snapshot_round_trips_visits_held_confirmed_and_done():
    day = new_day(car("v1"), nurse_car(), nurse_car("nc2", depot=4), hold_s=3 * HOUR)
    done = book(day, home_visit())
    later = book(day, home_visit(4, window=None, wanted_at=11 * HOUR, service_s=1800))
    ride = book(day, RideAsk(1, 3, depart_at=H9))
    held = day.quote(home_visit(5, TimeWindow(12 * HOUR, 12 * HOUR + 1800))).booking_id
    day.advance_to(10 * HOUR + 600)  # nc takes the ride first, then the 09:22 visit
    assert day.booking(done).status is BookingStatus.DONE
    assert day.booking(later).status is BookingStatus.CONFIRMED
    data = json.loads(json.dumps(day.snapshot()))
    assert {"kind": "visit", "id": later} in [
        ref for refs in data["routes"].values() for ref in refs
    ]
    again = LiveDay.from_snapshot(data, T, D)
    assert again.snapshot() == day.snapshot()
    assert again.plan.to_dict()["routes"] == day.plan.to_dict()["routes"]
    assert again.promise(later) == day.promise(later) and again.promise(held) is None
    assert again.booking(later).request == day.booking(later).request
    assert again.history("nc") == day.history("nc")
    assert_ok(again)
    for d in (day, again):
        d.confirm(held)
        d.advance_to(H14)
    assert again.snapshot() == day.snapshot()
    for bid in (done, later, ride, held):
        assert again.booking(bid).status is BookingStatus.DONE
    assert_ok(again)


def test_a_visit_request_round_trips_as_plain_data():
    r = VisitRequest(
        "h1", 2, APPOINTMENT, service_s=2400, rider_id="P-1", promise=TimeWindow(H9, H9 + 900),
        priority=2, required_features=NURSE, vehicle_ids=frozenset({"nc"}),
    )  # fmt: skip
    plain = request_to_plain(r)
    assert plain["kind"] == "visit" and plain["window"] == [H9, H9 + 1800]
    assert request_from_plain(json.loads(json.dumps(plain))) == r
    with pytest.raises(InputError, match="'ride', 'delivery' or 'visit'"):
        request_from_plain({**plain, "kind": "house_call"})


def test_the_checker_holds_visits_to_their_appointment_in_plan_and_history():
    promise = Promise("h1", "visit", 0, APPOINTMENT, APPOINTMENT.end, "ja", "en")
    day = new_day(nurse_car())
    plan = day.plan  # nothing planned
    late = [DoneStop("nc", "visit", H9 + 1900, H9 + 4600, 2, "h1")]
    early = [DoneStop("nc", "visit", H9 - 60, H9 + 2640, 2, "h1")]
    kept = [DoneStop("nc", "visit", H9 + 1800, H9 + 4500, 2, "h1")]
    assert [(v.kind, v.amount) for v in check_promises(plan, [promise], late).violations] == [
        ("appointment", 100)
    ]
    assert [(v.kind, v.amount) for v in check_promises(plan, [promise], early).violations] == [
        ("appointment", 60)
    ]
    assert check_promises(plan, [promise], kept).ok()
    assert check_promises(plan, [promise], late, excused=[("h1", "appointment")]).ok()
    assert check_promises(plan, [promise], late, excused=[("h1", "rescue")]).ok()
    assert not check_promises(plan, [promise], late, excused=[("h1", "handover")]).ok()
    twice = check_promises(plan, [promise], kept + kept)
    assert [(v.kind, v.amount) for v in twice.violations] == [("coverage", 1)]
    dropped = check_promises(plan, [promise], [])
    assert [v.kind for v in dropped.violations] == ["promise_dropped"]
    assert check_promises(plan, [promise], [], ended=["h1"]).ok()
    # a planned visit is held to the same window
    bid = book(day, home_visit())
    planned = day.plan
    p = day.promise(bid)
    assert check_promises(planned, [p], []).ok()
    route = planned.routes[0]
    steps = tuple(
        replace(s, service_start=H9 + 1860) if s.kind is StepKind.VISIT else s for s in route.steps
    )
    moved = replace(planned, routes=(replace(route, steps=steps),))
    [v] = check_promises(moved, [p], []).violations
    assert (v.kind, v.amount, v.request_id) == ("appointment", 60, bid)
    with pytest.raises(ValueError, match="kind must be ride, delivery or visit"):
        Promise("h2", "house_call", 0, APPOINTMENT, APPOINTMENT.end, "ja", "en")
