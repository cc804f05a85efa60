"""Community halls (公民館): slots, capacity, reach, and quoting orders to them.

The straight-road town of `test_live` (location i at ``POS[i]`` seconds from the depot;
distances are metres = seconds x 10 there).
"""

from __future__ import annotations

import pytest

from dispatch.errors import InputError
from dispatch.halls import Hall, hall_slots, slot_of
from dispatch.live import LiveDay
from dispatch.model import DeliveryOrder, TimeWindow
from dispatch.quote import DeliveryAsk, QuoteRejection
from tests.dispatch.test_live import H8, H14, HOUR, assert_ok, car, new_day

H10, H12 = 10 * HOUR, 12 * HOUR


def hall(**kw) -> Hall:
    base = dict(
        id="h1", name="東公民館", location=3, opening=(TimeWindow(H10, H12),), reach_m=10_000
    )
    return Hall(**{**base, **kw})  # type: ignore[arg-type]


def test_slots_cut_the_opening_hours_and_drop_a_short_tail():
    h = hall(opening=(TimeWindow(H10, H12 + 1200), TimeWindow(13 * HOUR, 14 * HOUR)))
    assert h.slots() == (
        TimeWindow(H10, H10 + HOUR),
        TimeWindow(H10 + HOUR, H12),
        TimeWindow(13 * HOUR, 14 * HOUR),
    )
    assert slot_of(h, H10 + 60) == TimeWindow(H10, H10 + HOUR)
    assert slot_of(h, 9 * HOUR) is None


def test_hall_slots_say_closed_or_full():
    h = hall(capacity=2)
    assert hall_slots(h, H8, 9 * HOUR, {}) is QuoteRejection.HALL_CLOSED
    assert hall_slots(h, H10, H12, {H10: 2, H10 + HOUR: 2}) is QuoteRejection.HALL_FULL
    assert hall_slots(h, H10, H12, {H10: 2}) == (TimeWindow(H10 + HOUR, H12),)


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"id": ""}, "id must be"),
        ({"capacity": 0}, "capacity must be an int >= 1"),
        ({"slot_s": 10}, "slot_s must be an int >= 60"),
        ({"opening": ()}, "opening must be one or more"),
        ({"opening": (TimeWindow(H10, H12), TimeWindow(11 * HOUR, 13 * HOUR))}, "overlap"),
    ],
)
def test_bad_halls_name_the_field(kw, match):
    with pytest.raises(InputError, match=match):
        hall(**kw)


def test_hall_round_trips_as_plain_data():
    h = hall(drone_pad=True, reach_m=5000, lon=139.41, lat=35.70)
    assert Hall.from_plain(h.to_plain()) == h


def hall_day(**kw) -> LiveDay:
    day = new_day(car(seats=1), now=H8)
    day.set_halls([hall(**kw)])
    return day


def test_an_order_to_a_hall_is_promised_a_collection_time_and_goes_to_the_hall():
    day = hall_day()
    q = day.quote(DeliveryAsk(2, 4, ready_at=H8 + 1800, hall_id="h1"))
    assert q.ok and q.hall_id == "h1"
    assert q.promise == TimeWindow(H10, H10 + HOUR)
    assert q.message_ja == "東公民館で 11:00 以降にお受け取りください"
    assert q.message_en == "collect at 東公民館 from 11:00"
    b = day.confirm(q.booking_id)
    assert isinstance(b.request, DeliveryOrder)
    assert b.request.customer == 3 and b.request.hall_id == "h1"
    assert day.promise(q.booking_id).words_ja == q.message_ja
    day.advance_to(H14)
    assert not day.broken_promises
    drop = [s for s in day.history("v1") if s.kind == "dropoff"]
    assert drop[0].location == 3 and H10 <= drop[0].start <= H10 + HOUR
    assert_ok(day)


def test_a_full_slot_moves_the_next_order_to_the_next_slot_then_refuses():
    day = hall_day(capacity=1)
    slots = []
    for _ in range(2):
        q = day.quote(DeliveryAsk(2, 4, ready_at=H8 + 1800, hall_id="h1"))
        day.confirm(q.booking_id)
        slots.append(q.promise)
    assert slots == [TimeWindow(H10, H10 + HOUR), TimeWindow(H10 + HOUR, H12)]
    q = day.quote(DeliveryAsk(2, 4, ready_at=H8 + 1800, hall_id="h1"))
    assert not q.ok and q.reason is QuoteRejection.HALL_FULL
    door = q.alternatives[0]
    assert door.hall_id is None  # the alternative: to the door
    assert "ご自宅へ" in q.message_ja
    assert_ok(day)


def test_an_order_ready_inside_a_slot_still_counts_against_that_slot():
    # ready at 10:15: handed over from then, in the 10:00-11:00 slot, which is then full
    day = hall_day(capacity=1)
    promises = []
    for _ in range(2):
        q = day.quote(DeliveryAsk(2, 4, ready_at=H10 + 900, hall_id="h1"))
        assert q.ok, q.message_en
        day.confirm(q.booking_id)
        promises.append(q.promise)
    assert promises == [TimeWindow(H10 + 900, H10 + HOUR), TimeWindow(H10 + HOUR, H12)]
    q = day.quote(DeliveryAsk(2, 4, ready_at=H10 + 900, hall_id="h1"))
    assert not q.ok and q.reason is QuoteRejection.HALL_FULL
    assert_ok(day)


def test_a_closed_or_far_hall_is_refused_with_the_door_as_alternative():
    day = hall_day(opening=(TimeWindow(18 * HOUR, 19 * HOUR),))
    q = day.quote(DeliveryAsk(2, 4, ready_at=H8 + 1800, due_by=H14, hall_id="h1"))
    assert not q.ok and q.reason is QuoteRejection.HALL_CLOSED
    assert [a.hall_id for a in q.alternatives] == [None]
    far = hall_day(reach_m=100)
    q = far.quote(DeliveryAsk(2, 6, ready_at=H8 + 1800, hall_id="h1"))
    assert not q.ok and q.reason is QuoteRejection.HALL_OUT_OF_REACH
    assert "遠すぎます" in q.message_ja


def test_a_door_order_that_cannot_be_made_is_offered_a_hall():
    day = new_day(car(seats=1), now=H8)
    day.set_halls([hall(opening=(TimeWindow(H8, H14),))])
    # nobody home before 13:50, too late to get back by the end of the shift at 14:00
    q = day.quote(DeliveryAsk(2, 4, ready_at=H8 + 1800, deliver_from=13 * HOUR + 3000))
    assert not q.ok and q.reason is QuoteRejection.OUTSIDE_SERVICE_HOURS
    assert [a.hall_id for a in q.alternatives] == ["h1"]


def test_an_unknown_hall_or_bad_weight_is_an_input_error():
    day = hall_day()
    with pytest.raises(InputError, match="hall_id 'nope' is not a hall"):
        day.quote(DeliveryAsk(2, 4, hall_id="nope"))
    with pytest.raises(InputError, match="weight_kg"):
        DeliveryAsk(2, 4, weight_kg=-1)
    with pytest.raises(InputError, match="location 99"):
        day.set_halls([hall(location=99)])


def test_halls_and_hall_bookings_survive_a_snapshot():
    day = hall_day()
    q = day.quote(DeliveryAsk(2, 4, ready_at=H8 + 1800, hall_id="h1", weight_kg=2.5))
    day.confirm(q.booking_id)
    again = LiveDay.from_snapshot(day.snapshot(include_matrix=True))
    assert again.halls == day.halls
    r = again.booking(q.booking_id).request
    assert r.hall_id == "h1" and r.weight_kg == 2.5
