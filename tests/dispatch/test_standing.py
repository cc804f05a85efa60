"""Standing bookings (定期予約): the dates a weekly booking runs on, and its rides."""

from __future__ import annotations

from datetime import date

import pytest

from dispatch.errors import InputError
from dispatch.standing import (
    InvalidStanding,
    Leg,
    Skip,
    StandingBooking,
)
from routing.transit.service_calendar import holiday_name

H = 3600
TUE, FRI = 1, 4


def dialysis(**kw: object) -> StandingBooking:
    """Dialysis on Tuesdays and Fridays: arrive by 09:00, home 4 hours later."""
    fields: dict[str, object] = {
        "weekdays": frozenset({TUE, FRI}),
        "start": date(2025, 9, 1),
        "outbound_s": 9 * H,
        "by_arrival": True,
        "return_after_s": 4 * H,
    }
    fields.update(kw)
    return StandingBooking(**fields)  # type: ignore[arg-type]


def test_runs_on_its_weekdays_from_the_start():
    b = dialysis()
    # September 2025: Tue 2, Fri 5, Tue 9, Fri 12 (Mon 1 is the start but a Monday)
    assert b.dates(date(2025, 9, 1), date(2025, 9, 12)) == [
        date(2025, 9, 2),
        date(2025, 9, 5),
        date(2025, 9, 9),
        date(2025, 9, 12),
    ]
    assert b.why_not(date(2025, 8, 29)) is Skip.NOT_STARTED
    assert b.why_not(date(2025, 9, 3)) is Skip.OTHER_WEEKDAY


def test_the_end_date_is_the_last_day_and_exceptions_are_skipped():
    b = dialysis(end=date(2025, 9, 9), skip=frozenset({date(2025, 9, 5)}))
    assert b.dates(date(2025, 9, 1), date(2025, 9, 30)) == [date(2025, 9, 2), date(2025, 9, 9)]
    assert b.why_not(date(2025, 9, 5)) is Skip.EXCEPTION
    assert b.why_not(date(2025, 9, 12)) is Skip.ENDED


def test_public_holidays_are_skipped_only_when_asked():
    # Tuesday 23 September 2025 is 秋分の日; Monday 15 September 敬老の日
    assert holiday_name(date(2025, 9, 23)) == "秋分の日"
    assert holiday_name(date(2025, 9, 24)) is None
    keeps = dialysis()
    skips = dialysis(skip_holidays=True)
    assert keeps.runs_on(date(2025, 9, 23))
    assert skips.why_not(date(2025, 9, 23)) is Skip.HOLIDAY
    assert skips.runs_on(date(2025, 9, 26))
    day_care = StandingBooking(
        weekdays=frozenset({0, 2, 4}), start=date(2025, 9, 1), outbound_s=9 * H, skip_holidays=True
    )
    assert date(2025, 9, 15) not in day_care.dates(date(2025, 9, 1), date(2025, 9, 19))
    # a substitute holiday (振替休日): Monday 24 November 2025
    assert day_care.why_not(date(2025, 11, 24)) is Skip.HOLIDAY


def test_a_holiday_calendar_can_be_given():
    b = dialysis(skip_holidays=True)
    town_closed = {date(2025, 9, 2)}
    assert b.why_not(date(2025, 9, 2), lambda d: "休" if d in town_closed else None) is Skip.HOLIDAY


def test_legs_outbound_by_arrival_and_return_after():
    b = dialysis()
    assert b.legs() == (Leg("outbound", 9 * H, True), Leg("return", 13 * H, False))
    assert b.legs_on(date(2025, 9, 3)) == ()
    fixed = dialysis(return_after_s=None, return_at_s=14 * H + 1800)
    assert fixed.legs()[1] == Leg("return", 14 * H + 1800, False)
    one_way = dialysis(return_after_s=None, by_arrival=False)
    assert one_way.legs() == (Leg("outbound", 9 * H, False),)


@pytest.mark.parametrize(
    ("kw", "field", "code"),
    [
        ({"weekdays": frozenset()}, "weekdays", "no_weekdays"),
        ({"weekdays": frozenset({7})}, "weekdays", "bad_weekday"),
        ({"end": date(2025, 8, 31)}, "end", "end_before_start"),
        ({"outbound_s": 24 * H}, "outbound_s", "bad_time"),
        ({"outbound_s": -1}, "outbound_s", "bad_time"),
        ({"return_at_s": 12 * H}, "return_at_s", "two_returns"),
        ({"return_after_s": 0}, "return_after_s", "bad_return"),
        ({"return_after_s": None, "return_at_s": 8 * H}, "return_at_s", "return_before_outbound"),
        ({"return_after_s": 16 * H}, "return_after_s", "return_next_day"),
    ],
)
def test_bad_values_name_the_field(kw, field, code):
    with pytest.raises(InvalidStanding) as caught:
        dialysis(**kw)
    assert (caught.value.flaws[0].field, caught.value.flaws[0].code) == (field, code)
    assert isinstance(caught.value, InputError)


def test_every_flaw_is_reported_at_once():
    with pytest.raises(InvalidStanding) as caught:
        dialysis(weekdays=frozenset(), end=date(2025, 1, 1))
    assert [f.field for f in caught.value.flaws] == ["weekdays", "end"]


def test_rides_outside_service_hours():
    b = dialysis(return_after_s=None, return_at_s=18 * H)
    flaws = b.outside_hours(8 * H, 17 * H)
    assert [(f.field, f.code) for f in flaws] == [("return_at_s", "outside_hours")]
    assert "18:00" in flaws[0].message
    assert dialysis(outbound_s=7 * H).outside_hours(8 * H, 17 * H)[0].field == "outbound_s"
    assert dialysis().outside_hours(8 * H, 17 * H) == []


def test_dates_need_an_ordered_range():
    with pytest.raises(InputError, match="before first"):
        dialysis().dates(date(2025, 9, 2), date(2025, 9, 1))
