"""Service-day seconds <-> aware datetimes, in Tokyo and across a daylight-saving change."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from api.convert import ServiceClock
from dispatch.model import TimeWindow


def test_tokyo_round_trip():
    clock = ServiceClock.named("Asia/Tokyo")
    day = date(2025, 6, 2)
    nine = datetime(2025, 6, 2, 9, tzinfo=ZoneInfo("Asia/Tokyo"))
    assert clock.seconds(nine, day) == 32400
    assert clock.seconds(nine.astimezone(UTC), day) == 32400  # any offset in, same second
    assert (
        clock.at(32400, day) == nine
        and clock.at(32400, day).utcoffset().total_seconds() == 9 * 3600
    )
    assert clock.seconds(nine, date(2025, 6, 3)) == 32400 - 86400  # booked the day before
    assert clock.service_date(datetime(2025, 6, 1, 23, tzinfo=UTC)) == date(2025, 6, 2)
    assert clock.window(TimeWindow(32400, 33300), day) == {
        "start": nine,
        "end": clock.at(33300, day),
    }
    assert clock.window(None, day) is None and clock.maybe_at(None, day) is None


def test_seconds_count_real_time_over_a_dst_change():
    clock = ServiceClock.named("Europe/Berlin")
    day = date(2025, 3, 30)  # clocks jump from 02:00 to 03:00
    four = datetime(2025, 3, 30, 4, tzinfo=ZoneInfo("Europe/Berlin"))
    assert clock.seconds(four, day) == 3 * 3600
    assert clock.at(3 * 3600, day) == four
