"""The promise ledger: written once at confirmation, kept or reported through every event.

Same hand-checkable straight-road town as ``test_live.py`` (location i at ``POS[i]``
seconds from the depot).
"""

from __future__ import annotations

import json

import pytest

from dispatch.audit import AuditEvent
from dispatch.check import check_promises
from dispatch.events import BookingStatus, BrokenWhat, DoneStop
from dispatch.live import EarlyHandoverError, LiveConfig, LiveDay, Promise
from dispatch.live.ledger import Ledger
from dispatch.model import TimeWindow
from dispatch.quote import DeliveryAsk, RideAsk
from tests.dispatch.test_live import H8, H9, H14, D, T, assert_ok, book, car, new_day


def test_confirmation_writes_what_the_caller_heard_and_nothing_rewrites_it():
    day = new_day()
    q = day.quote(RideAsk(1, 3, depart_at=H9))
    assert day.promise(q.booking_id) is None  # a hold is no promise
    day.confirm(q.booking_id)
    p = day.promise(q.booking_id)
    assert p == Promise(
        q.booking_id,
        "ride",
        H8,
        q.promise,
        q.latest_arrival,
        "お迎え予定時間帯 08:50〜09:05、09:46 までに到着",
        "pickup between 08:50〜09:05, arrival by 09:46",
    )
    day.confirm(q.booking_id)  # confirming twice makes no second promise
    day.advance_to(H9 - 300)  # picked up: the request turns "on board"
    day.vehicle_breakdown("v1", location=2)  # and is rewritten as a rescue
    assert day.booking(q.booking_id).request.pickup == 2
    assert day.promise(q.booking_id) == p  # the ledger still says what was promised
    assert len(day.ledger.every()) == 1
    with pytest.raises(AttributeError):
        p.window = TimeWindow(0, 1)  # type: ignore[misc]


def test_a_rider_who_will_arrive_late_is_reported_as_soon_as_the_plan_shows_it():
    day = new_day(auto_complete=False)
    a = book(day, RideAsk(1, 3, depart_at=H9))
    latest = day.promise(a).latest_arrival
    day.advance_to(H9 - 540)
    day.complete_next_stop("v1")  # picked up 08:51, inside the window
    assert day.broken_promises == ()
    # the driver has not reported leaving 1 by the time the promised arrival has passed
    [bp] = day.advance_to(latest + 60).broken
    drop = next(st for st in day.plan.route("v1").steps if st.kind == "dropoff")
    assert (bp.booking_id, bp.what) == (a, BrokenWhat.ARRIVAL)
    assert bp.by_s == drop.service_start - latest > 0
    assert bp.promised == day.promise(a).window and bp.vehicle_id == "v1"
    assert day.booking(a).status is BookingStatus.PICKED_UP  # still carried, never dropped
    assert any(
        e.event is AuditEvent.PROMISE_BROKEN and e.booking_id == a and "min" in e.reason
        for e in day.audit
    )
    day.advance_to(drop.service_start + 60)
    assert day.complete_next_stop("v1").broken == ()  # reported once, not again
    assert day.booking(a).status is BookingStatus.DONE
    assert_ok(day)  # reported, so the independent check of the history excuses it


def test_a_late_drop_off_the_plan_did_not_foresee_is_reported_when_the_driver_reports_it():
    day = new_day(auto_complete=False)
    a = book(day, RideAsk(1, 3, depart_at=H9))
    latest = day.promise(a).latest_arrival
    day.advance_to(H9 - 540)
    day.complete_next_stop("v1")
    day.advance_to(H9 - 480)
    day.depart("v1")  # under way: the plan says 09:12, well in time
    assert day.broken_promises == ()
    # an under-way car is taken to keep to its plan until the driver says otherwise
    assert day.advance_to(latest + 300).broken == ()
    result = day.complete_next_stop("v1")  # ... and the driver reports it 5 minutes late
    [bp] = result.broken
    assert (bp.booking_id, bp.what, bp.by_s) == (a, BrokenWhat.ARRIVAL, 300 - 60)
    assert "driver reports the drop-off" in bp.cause
    assert_ok(day)


def test_a_delivery_is_never_handed_over_before_its_slot():
    day = new_day(car(seats=1), auto_complete=False)
    q = day.quote(DeliveryAsk(1, 3, ready_at=H8 + 600, due_by=H14))
    day.confirm(q.booking_id)
    slot = day.promise(q.booking_id).window
    assert slot == q.promise and slot.width == 3600  # a one-hour slot, not "any time"
    day.advance_to(H8 + 900)
    day.complete_next_stop("v1")  # goods collected at the shop
    day.advance_to(slot.start - 600)
    with pytest.raises(EarlyHandoverError, match="has not begun"):
        day.complete_next_stop("v1")
    assert day.booking(q.booking_id).status is BookingStatus.PICKED_UP  # nothing changed
    day.advance_to(slot.start + 120)
    result = day.complete_next_stop("v1")
    assert result.broken == ()
    [done] = [d for d in day.history("v1") if d.kind == "dropoff"]
    assert slot.contains(done.start)
    assert_ok(day)


def test_a_rescue_aims_at_the_promised_arrival_and_keeps_it_when_it_can():
    v2 = car("v2", depot=2)
    day = new_day(car("v1"), v2, rescue_window_s=3600)
    a = book(day, RideAsk(1, 3, depart_at=H9))
    assert day.pin(a, "v1").applied
    day.advance_to(H9 - 300)
    result = day.vehicle_breakdown("v1", location=2)
    assert result.broken == ()  # v2 waits at 2: it fetches the rider in time
    assert day.route_of(a) == "v2"
    assert day.problem().task(a).dropoff.window.end <= day.promise(a).latest_arrival
    day.advance_to(H14)
    [drop] = [d for d in day.history("v2") if d.kind == "dropoff"]
    assert drop.start <= day.promise(a).latest_arrival
    assert day.booking(a).status is BookingStatus.DONE
    assert_ok(day)


def test_the_checker_finds_an_unreported_breach_in_plan_and_history():
    promise = Promise("b1", "ride", 0, TimeWindow(100, 200), 900, "ja", "en")
    slot = Promise("b2", "delivery", 0, TimeWindow(300, 600), 600, "ja", "en")
    history = [
        DoneStop("v1", "pickup", 250, 310, 1, "b1"),  # 50 s after the window
        DoneStop("v1", "dropoff", 1000, 1060, 3, "b1"),  # 100 s after the latest arrival
        DoneStop("v1", "pickup", 100, 160, 4, "b2"),
        DoneStop("v1", "dropoff", 200, 260, 5, "b2"),  # handed over 100 s before the slot
    ]
    day = new_day()
    report = check_promises(day.plan, [promise, slot], history)
    assert sorted((v.kind, v.amount, v.request_id) for v in report.violations) == [
        ("arrival", 100, "b1"),
        ("handover", 100, "b2"),
        ("promise", 50, "b1"),
    ]
    excused = check_promises(
        day.plan,
        [promise, slot],
        history,
        excused=[("b1", "pickup_window"), ("b1", "arrival"), ("b2", "rescue")],
    )
    assert excused.ok()
    dropped = check_promises(day.plan, [promise], [])
    assert [v.kind for v in dropped.violations] == ["promise_dropped"]
    assert check_promises(day.plan, [promise], [], ended=["b1"]).ok()


def test_snapshot_keeps_the_ledger_and_an_old_snapshot_is_migrated():
    day = new_day(car("v1"), car("v2", depot=6))
    a = book(day, RideAsk(1, 3, depart_at=H9))
    data = json.loads(json.dumps(day.snapshot()))
    assert data["format"] == "noriai.liveday/2"
    again = LiveDay.from_snapshot(data, T, D)
    assert again.promise(a) == day.promise(a)
    old = dict(data, format="noriai.liveday/1")
    del old["ledger"]
    migrated = LiveDay.from_snapshot(old, T, D)
    p = migrated.promise(a)
    assert (p.window, p.latest_arrival) == (day.promise(a).window, day.promise(a).latest_arrival)
    assert "migrated" in p.words_en
    assert_ok(migrated)
    with pytest.raises(Exception, match="format must be"):
        LiveDay.from_snapshot(dict(data, format="noriai.liveday/0"), T, D)


def test_migrated_days_keep_handing_out_ids_of_their_own_form():
    day = LiveDay(T, D, [car()], now=H8, config=LiveConfig(id_prefix="20260605-", id_digits=3))
    a = book(day, RideAsk(1, 3, depart_at=H9))
    assert a == "20260605-001"
    data = day.snapshot()
    old = dict(data, format="noriai.liveday/1", ledger=None)
    old["config"] = {k: v for k, v in data["config"].items() if k not in ("id_prefix", "id_digits")}
    migrated = LiveDay.from_snapshot(old, T, D)
    assert book(migrated, RideAsk(4, 5, depart_at=H9 + 1800)) == "20260605-002"


def test_ledger_versions_a_rebooking_and_keeps_the_first_promise():
    ledger = Ledger()
    first = ledger.make("b1", "ride", 0, TimeWindow(100, 200), 900, "a", "a")
    second = ledger.make("b1", "ride", 50, TimeWindow(300, 400), 1100, "b", "b")
    assert (first.version, second.version) == (1, 2)
    assert ledger.get("b1") == second and list(ledger) == [second]
    assert ledger.every() == (first, second)
    assert Ledger.from_plain(json.loads(json.dumps(ledger.to_plain()))).every() == (first, second)
    with pytest.raises(ValueError, match="latest_arrival"):
        Promise("b2", "ride", 0, TimeWindow(100, 200), 50, "x", "x")
