"""Drone legs on a live day: orders flown to a hall's pad, van fall-backs with their
reason, groundings that move flights to vans or report the promise, and snapshots.

The straight-road town of `test_live` (location i at ``POS[i]`` seconds from the
depot). The shop at location 2 is the drone base; the hall at location 3 has a pad
3 336 m due north of it (`drone_fixtures`): a flight is away 908 s.
"""

from __future__ import annotations

import pytest

from dispatch.drones import REASON_TEXT, DroneBase, NoFlightReason
from dispatch.errors import InputError
from dispatch.events import BookingStatus, BrokenWhat
from dispatch.halls import Hall
from dispatch.live import LiveDay
from dispatch.live.air import DroneService
from dispatch.model import TimeWindow
from dispatch.quote import DeliveryAsk
from tests.dispatch.drone_fixtures import D1, LEG_S
from tests.dispatch.test_live import H8, H14, HOUR, assert_ok, car, new_day

H10, H12 = 10 * HOUR, 12 * HOUR
BASE = DroneBase("yuai", "ゆうあいマーケット", 2, 137.95, 35.83)
PAD = Hall(
    "kita",
    "北公民館",
    3,
    (TimeWindow(H10, H12),),
    reach_m=10_000,
    drone_pad=True,
    lon=137.95,
    lat=35.86,
)


def drone_day(*vehicles, **kw) -> LiveDay:
    day = new_day(*(vehicles or (car(seats=1),)), now=H8)
    return LiveDay(
        day.state.base.time_s,
        day.state.base.distance_m,
        list(day.state.fleet.values()),
        now=H8,
        halls=[PAD],
        drones=DroneService((BASE,), (D1,), shop_reach_m=0, **kw),
    )


def order(**kw) -> DeliveryAsk:
    return DeliveryAsk(**{"shop": 2, "customer": 4, "ready_at": H8 + 1800, "hall_id": "kita", **kw})


def in_vans(day: LiveDay, bid: str) -> bool:
    return any(bid in r.request_ids for r in day.plan.routes)


def test_a_light_order_to_a_pad_flies_and_lands_inside_its_slot():
    day = drone_day()
    q = day.quote(order(weight_kg=2.0))
    assert q.ok and q.drone_id == "d1" and q.vehicle_id == "d1"
    assert q.promise == TimeWindow(H10, H10 + HOUR)
    assert q.message_ja.endswith("（ドローン便）")
    assert q.estimated_arrival - q.estimated_pickup == LEG_S
    day.confirm(q.booking_id)
    assert not in_vans(day, q.booking_id)
    (flight,) = day.flights
    assert H10 <= flight.at_hall <= H10 + HOUR and flight.order_id == q.booking_id
    assert_ok(day)
    day.advance_to(H14)
    b = day.booking(q.booking_id)
    assert b.status is BookingStatus.DONE and b.vehicle_id == "d1"
    (landed,) = day.drone_history()
    assert landed.location == 3 and landed.start == flight.at_hall
    assert not day.broken_promises
    assert_ok(day)


def test_an_order_no_drone_can_carry_goes_by_van_and_says_why():
    day = drone_day()
    q = day.quote(order(weight_kg=7.5))
    assert q.ok and q.drone_id is None and q.vehicle_id == "v1"
    day.confirm(q.booking_id)
    assert in_vans(day, q.booking_id) and not day.flights
    reason = REASON_TEXT[NoFlightReason.OVERWEIGHT][1]
    assert day.booking(q.booking_id).note == f"by van: {reason}"
    assert_ok(day)


def test_grounding_moves_a_pending_flight_to_a_van_within_its_slot():
    day = drone_day()
    q = day.quote(order(weight_kg=1.0))
    day.confirm(q.booking_id)
    result = day.ground_drones(9 * HOUR, 13 * HOUR, cause="weather", note="強風")
    assert result.changed == (q.booking_id,) and not result.broken
    assert not day.flights and in_vans(day, q.booking_id)
    assert day.booking(q.booking_id).note.startswith("by van")
    day.advance_to(H14)
    assert day.booking(q.booking_id).status is BookingStatus.DONE
    assert not day.broken_promises
    assert_ok(day)


def test_grounding_with_no_van_free_reports_the_promise_broken():
    day = drone_day()
    q = day.quote(order(weight_kg=1.0))
    day.confirm(q.booking_id)
    day.vehicle_breakdown("v1")
    result = day.ground_drones(9 * HOUR, 13 * HOUR)
    (bp,) = result.broken
    assert bp.booking_id == q.booking_id and bp.what is BrokenWhat.HANDOVER
    assert "grounded" in bp.cause
    assert_ok(day)


def test_a_cancelled_order_frees_its_flight_and_a_second_drone_slot_is_used():
    day = drone_day()
    first = day.quote(order(weight_kg=1.0))
    day.confirm(first.booking_id)
    second = day.quote(order(weight_kg=1.0))
    assert second.ok and second.drone_id == "d1"
    day.confirm(second.booking_id)
    assert len(day.flights) == 2
    day.cancel(first.booking_id)
    assert [f.order_id for f in day.flights] == [second.booking_id]
    assert_ok(day)


def test_flights_survive_a_snapshot_and_land_after_it():
    day = drone_day()
    q = day.quote(order(weight_kg=1.0))
    day.confirm(q.booking_id)
    again = LiveDay.from_snapshot(day.snapshot(include_matrix=True))
    assert again.flights == day.flights and again.drone_service == day.drone_service
    again.advance_to(H14)
    assert again.booking(q.booking_id).status is BookingStatus.DONE
    assert_ok(again)


def test_bad_groundings_are_input_errors():
    day = drone_day()
    with pytest.raises(InputError, match="end must be after start"):
        day.ground_drones(H10, H10)
    with pytest.raises(InputError, match="unknown drones"):
        day.ground_drones(H10, H12, drone_ids=["d9"])
    with pytest.raises(InputError, match="cause must be one of"):
        day.ground_drones(H10, H12, cause="aliens")
    with pytest.raises(InputError, match="no drones"):
        new_day().ground_drones(H10, H12)
    with pytest.raises(InputError, match="base_id"):
        DroneService((BASE,), (D1.__class__(**{**_fields(D1), "base_id": "x"}),))


def _fields(d) -> dict:
    return {f: getattr(d, f) for f in d.__slots__}


def test_an_order_from_a_shop_far_from_every_base_goes_by_van():
    day = drone_day()
    q = day.quote(order(shop=1, weight_kg=1.0))  # location 1: 6 km of road from the base
    assert q.ok and q.drone_id is None
    reason = REASON_TEXT[NoFlightReason.SHOP_FAR_FROM_BASE][1]
    assert day.booking(q.booking_id).note == f"by van: {reason}"


# -- the office changes the day's drones (set_drones) and lifts groundings ---------------


def plain_day(**kw) -> LiveDay:
    """The drone day's town and hall, but no drones yet."""
    day = drone_day()
    return LiveDay(
        day.state.base.time_s,
        day.state.base.distance_m,
        list(day.state.fleet.values()),
        now=H8,
        halls=[PAD],
        **kw,
    )


def service(*drones, **kw) -> DroneService:
    return DroneService((BASE,), drones or (D1,), shop_reach_m=0, **kw)


def test_the_same_drones_again_change_nothing_and_record_nothing():
    day = drone_day()
    q = day.quote(order(weight_kg=1.0))
    day.confirm(q.booking_id)
    flights, entries, version = day.flights, len(day.audit), day.version
    result = day.set_drones(service())
    assert result.changed == () and result.audit_seq is None
    assert day.flights == flights and len(day.audit) == entries and day.version == version


def test_a_day_without_drones_gets_them_and_orders_fly():
    day = plain_day()
    assert day.quote(order(weight_kg=1.0), hold=False).drone_id is None
    result = day.set_drones(service())
    assert result.audit_seq is not None and day.drone_service == service()
    assert list(day.audit)[-1].reason.startswith("drones now: 1 drone(s) at 1 base(s)")
    q = day.quote(order(weight_kg=1.0))
    assert q.ok and q.drone_id == "d1"
    assert_ok(day)


def test_taking_the_drones_away_moves_pending_flights_to_vans():
    day = drone_day()
    q = day.quote(order(weight_kg=1.0))
    day.confirm(q.booking_id)
    result = day.set_drones(None)
    assert result.changed == (q.booking_id,) and not result.broken
    assert day.drone_service is None and not day.flights and in_vans(day, q.booking_id)
    reason = REASON_TEXT[NoFlightReason.NO_DRONE_AT_BASE][1]
    assert day.booking(q.booking_id).note == f"by van: {reason}"
    day.advance_to(H14)
    assert day.booking(q.booking_id).status is BookingStatus.DONE
    assert not day.broken_promises
    assert_ok(day)


def test_a_weaker_drone_sends_what_it_cannot_carry_by_van():
    day = drone_day()
    light = day.quote(order(weight_kg=0.4))
    day.confirm(light.booking_id)
    heavy = day.quote(order(weight_kg=2.0))
    day.confirm(heavy.booking_id)
    small = D1.__class__(**{**_fields(D1), "payload_g": 500})
    result = day.set_drones(service(small))
    assert result.changed == (heavy.booking_id,)
    assert [f.order_id for f in day.flights] == [light.booking_id]
    reason = REASON_TEXT[NoFlightReason.OVERWEIGHT][1]
    assert day.booking(heavy.booking_id).note == f"by van: {reason}"
    assert_ok(day)


def test_a_drone_that_flew_today_stays_grounded_for_the_rest_of_the_day():
    day = drone_day()
    q = day.quote(order(weight_kg=1.0))
    day.confirm(q.booking_id)
    (flight,) = day.flights
    day.advance_to(flight.takeoff + 60)  # in the air
    result = day.set_drones(None)
    assert not result.changed
    assert day.drone_service is not None and [d.id for d in day.drone_service.drones] == ["d1"]
    (out,) = day.grounded
    assert out.drone_ids == frozenset({"d1"}) and out.cause.value == "dispatcher"
    assert (out.start, out.end, out.note) == (flight.takeoff + 60, day.horizon_s, "out of service")
    assert day.set_drones(None).audit_seq is None  # already so: nothing more
    later = day.quote(order(weight_kg=1.0))
    assert later.ok and later.drone_id is None
    reason = REASON_TEXT[NoFlightReason.GROUNDED][1]
    day.confirm(later.booking_id)
    assert day.booking(later.booking_id).note == f"by van: {reason}"
    day.advance_to(H14)
    assert day.booking(q.booking_id).status is BookingStatus.DONE
    assert day.booking(q.booking_id).vehicle_id == "d1"
    assert_ok(day)
    again = LiveDay.from_snapshot(day.snapshot(include_matrix=True))
    assert again.grounded == day.grounded and again.drone_service == day.drone_service


def test_lifting_a_grounding_lets_orders_fly_again():
    day = drone_day()
    day.ground_drones(9 * HOUR, 13 * HOUR, cause="weather", note="強風")
    (period,) = day.grounded
    assert day.quote(order(weight_kg=1.0), hold=False).drone_id is None
    result = day.lift_grounding(period)  # not begun yet (now 08:00): dropped
    assert result.event == "drones_ungrounded" and not day.grounded
    assert list(day.audit)[-1].reason.startswith("every drone may fly again from 09:00")
    assert day.quote(order(weight_kg=1.0), hold=False).drone_id == "d1"
    with pytest.raises(InputError, match="no such grounded period"):
        day.lift_grounding(period)


def test_lifting_a_grounding_under_way_ends_it_now():
    day = drone_day()
    day.ground_drones(H8, 13 * HOUR, drone_ids=["d1"], cause="dispatcher")
    day.advance_to(9 * HOUR)
    (period,) = day.grounded
    day.lift_grounding(period)
    (ended,) = day.grounded
    assert (ended.start, ended.end, ended.drone_ids) == (H8, 9 * HOUR, frozenset({"d1"}))
    with pytest.raises(InputError, match="ended at 09:00"):
        day.lift_grounding(ended)
    q = day.quote(order(weight_kg=1.0))
    assert q.ok and q.drone_id == "d1"
    assert_ok(day)
