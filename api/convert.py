"""API datetimes <-> service-day seconds: the only place where wall-clock time meets the engine.

Inside, every time is an int of seconds from 00:00 local time of its *service day*
(`dispatch` never sees a datetime); at the API, times are timezone-aware ISO 8601
datetimes. A service day is a local calendar date in the service area's time zone
(``NORIAI_TIMEZONE``, Asia/Tokyo by default). Seconds count real elapsed time from
local midnight, so a day with a daylight-saving change stays consistent both ways.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dispatch.model import TimeWindow


@dataclass(frozen=True, slots=True)
class ServiceClock:
    """Converts between aware datetimes and seconds of a service day in one time zone."""

    zone: ZoneInfo

    @classmethod
    def named(cls, name: str) -> ServiceClock:
        """The clock of an IANA time zone name (e.g. ``Asia/Tokyo``)."""
        return cls(ZoneInfo(name))

    def service_date(self, at: datetime) -> date:
        """The local date of an aware datetime: the service day it belongs to."""
        return at.astimezone(self.zone).date()

    def midnight(self, day: date) -> datetime:
        """00:00 local time of `day`, aware."""
        return datetime.combine(day, time(0), tzinfo=self.zone)

    def seconds(self, at: datetime, day: date) -> int:
        """Seconds from the start of `day` to `at` (negative before it), rounded down.

        In UTC: Python subtracts two datetimes of one zone by their wall clocks.
        """
        elapsed = at.astimezone(UTC) - self.midnight(day).astimezone(UTC)
        return math.floor(elapsed.total_seconds())

    def at(self, seconds: int, day: date) -> datetime:
        """The aware local datetime `seconds` after the start of `day`."""
        start = self.midnight(day).astimezone(UTC)
        return (start + timedelta(seconds=int(seconds))).astimezone(self.zone)

    def window(self, window: TimeWindow | None, day: date) -> dict[str, datetime] | None:
        """``{"start", "end"}`` datetimes of a window of `day` (None stays None)."""
        if window is None:
            return None
        return {"start": self.at(window.start, day), "end": self.at(window.end, day)}

    def maybe_at(self, seconds: int | None, day: date) -> datetime | None:
        """`at`, passing None through."""
        return None if seconds is None else self.at(seconds, day)
