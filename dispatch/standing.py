"""Standing bookings (定期予約): a rider's ride that repeats every week, and its dates.

A standing booking runs on some weekdays from a first date to an optional last one,
except on dates it names (例外日) and, when asked, on Japan's public holidays (祝日).
On each date it runs it asks for an outbound ride (by departure or by arrival) and
optionally a return ride: at a fixed time, or a number of seconds after the outbound's
asked time (arrive by 09:00, return 4 hours later: 13:00). Times are seconds from local
midnight of each date, as everywhere inside; dates are calendar dates of the service area.

Pure: no database, no clock. The service turns each date's `Leg`s into ordinary quotes
(`api.routes.standing_bookings`), so a standing ride is booked like any other.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from dispatch.errors import InputError
from routing.transit.service_calendar import holiday_name

DAY_S = 24 * 3600
#: Weekday names in `date.weekday` order (0: Monday), as the API and specs spell them.
WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def clock(t: int) -> str:
    """``HH:MM`` of seconds from midnight."""
    return f"{t // 3600:02d}:{t % 3600 // 60:02d}"


class Skip(StrEnum):
    """Why a standing booking does not run on a date."""

    NOT_STARTED = "not_started"
    ENDED = "ended"
    OTHER_WEEKDAY = "other_weekday"
    EXCEPTION = "exception"  # 例外日: a date the operator took out
    HOLIDAY = "holiday"  # 祝日, when the booking skips them


@dataclass(frozen=True, slots=True)
class Leg:
    """One ride a standing booking asks for on a date: ``outbound`` or ``return``."""

    name: str
    at_s: int
    by_arrival: bool


@dataclass(frozen=True, slots=True)
class Flaw:
    """What is wrong with one field of a standing booking (`code` for the words)."""

    field: str
    code: str
    message: str


class InvalidStanding(InputError):
    """A standing booking's values are wrong: every `Flaw`, one per field."""

    def __init__(self, flaws: list[Flaw]) -> None:
        super().__init__("standing booking: " + "; ".join(f"{f.field} {f.message}" for f in flaws))
        self.flaws = flaws


@dataclass(frozen=True, slots=True)
class StandingBooking:
    """When a standing booking rides, and at what times (see the module doc).

    ``weekdays``: `date.weekday` numbers (0 Monday ... 6 Sunday). ``outbound_s``: the
    asked departure, or with ``by_arrival`` the asked arrival. At most one of
    ``return_at_s`` (a departure time) and ``return_after_s`` (after the outbound's
    asked time). Invalid values raise `InvalidStanding` naming each field.
    """

    weekdays: frozenset[int]
    start: date
    outbound_s: int
    by_arrival: bool = False
    end: date | None = None
    skip: frozenset[date] = frozenset()
    skip_holidays: bool = False
    return_at_s: int | None = None
    return_after_s: int | None = None

    def __post_init__(self) -> None:
        found = _flaws(self)
        if found:
            raise InvalidStanding(found)

    def outside_hours(self, first_s: int, last_s: int) -> list[Flaw]:
        """The rides asked outside service hours ``first_s..last_s`` (inclusive)."""
        return [
            Flaw(
                "outbound_s" if leg.name == "outbound" else _return_field(self),
                "outside_hours",
                f"{clock(leg.at_s)} is outside service hours {clock(first_s)}-{clock(last_s)}",
            )
            for leg in self.legs()
            if not first_s <= leg.at_s <= last_s
        ]

    @property
    def return_s(self) -> int | None:
        """The return ride's asked departure (None: no return ride)."""
        if self.return_after_s is not None:
            return self.outbound_s + self.return_after_s
        return self.return_at_s

    # -- dates and rides ---------------------------------------------------------------------
    def why_not(
        self, day: date, holiday: Callable[[date], str | None] = holiday_name
    ) -> Skip | None:
        """Why the booking does not run on `day` (None: it runs)."""
        if day < self.start:
            return Skip.NOT_STARTED
        if self.end is not None and day > self.end:
            return Skip.ENDED
        if day.weekday() not in self.weekdays:
            return Skip.OTHER_WEEKDAY
        if day in self.skip:
            return Skip.EXCEPTION
        if self.skip_holidays and holiday(day) is not None:
            return Skip.HOLIDAY
        return None

    def runs_on(self, day: date, holiday: Callable[[date], str | None] = holiday_name) -> bool:
        return self.why_not(day, holiday) is None

    def dates(
        self, first: date, last: date, holiday: Callable[[date], str | None] = holiday_name
    ) -> list[date]:
        """The dates from `first` to `last` (inclusive) the booking runs on."""
        if last < first:
            raise InputError(f"standing booking dates: last {last} is before first {first}")
        days = (first + timedelta(days=i) for i in range((last - first).days + 1))
        return [d for d in days if self.runs_on(d, holiday)]

    def legs(self) -> tuple[Leg, ...]:
        """The rides of any date it runs: the outbound, then the return if any."""
        out = Leg("outbound", self.outbound_s, self.by_arrival)
        back = self.return_s
        return (out,) if back is None else (out, Leg("return", back, False))

    def legs_on(
        self, day: date, holiday: Callable[[date], str | None] = holiday_name
    ) -> tuple[Leg, ...]:
        """The rides asked on `day` (none when it does not run)."""
        return self.legs() if self.runs_on(day, holiday) else ()


def _flaws(b: StandingBooking) -> list[Flaw]:
    """Every problem of a standing booking's values."""
    out: list[Flaw] = []
    if not isinstance(b.weekdays, frozenset) or not isinstance(b.skip, frozenset):
        raise InputError("standing booking: weekdays and skip must be frozensets")
    if not b.weekdays:
        out.append(Flaw("weekdays", "no_weekdays", "must name at least one weekday"))
    elif not all(_is_int(d) and 0 <= d <= 6 for d in b.weekdays):
        out.append(Flaw("weekdays", "bad_weekday", "must be 0 (Monday) to 6 (Sunday)"))
    if b.end is not None and b.end < b.start:
        out.append(Flaw("end", "end_before_start", f"{b.end} is before the start {b.start}"))
    if not _is_int(b.outbound_s) or not 0 <= b.outbound_s < DAY_S:
        out.append(Flaw("outbound_s", "bad_time", "must be a time of day (0..86399 s)"))
        return out
    if b.return_at_s is not None and b.return_after_s is not None:
        out.append(
            Flaw("return_at_s", "two_returns", "give return_at_s or return_after_s, not both")
        )
        return out
    if b.return_after_s is not None and (not _is_int(b.return_after_s) or b.return_after_s <= 0):
        out.append(Flaw("return_after_s", "bad_return", "must be a positive number of s"))
        return out
    if b.return_at_s is not None and not _is_int(b.return_at_s):
        out.append(Flaw("return_at_s", "bad_time", "must be a time of day in seconds"))
        return out
    back = b.return_s
    if back is not None and back <= b.outbound_s:
        out.append(Flaw(_return_field(b), "return_before_outbound", "must be after the outbound"))
    elif back is not None and back >= DAY_S:
        out.append(Flaw(_return_field(b), "return_next_day", "must be on the same day"))
    return out


def _return_field(b: StandingBooking) -> str:
    return "return_at_s" if b.return_at_s is not None else "return_after_s"


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
