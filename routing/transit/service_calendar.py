"""A published service calendar: calendar.txt's day columns and 祝日運休 (no service on
Japan's public holidays).

Community buses and shared taxis that run "平日" usually mean weekdays that are not
public holidays. GTFS states that with calendar_dates.txt rows of exception_type 2
(service removed) on each holiday the calendar would otherwise run; the drafted bus
feeds (`routing.transit.draft`) and the on-demand GTFS-Flex export
(`scenarios.flex`) both write them from here. The holidays are jpholiday's (振替休日
and 国民の休日 included).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

import jpholiday

#: calendar.txt's day columns, in `date.weekday` order.
WEEKDAY_COLUMNS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
#: What a calendar does on a public holiday: closed (default) or runs as on that weekday.
HOLIDAY_RULES = ("closed", "run")


def holiday_name(day: dt.date) -> str | None:
    """The name of Japan's public holiday on `day`, or None."""
    return jpholiday.is_holiday_name(day)


def holiday_closures(
    service_id: str, weekdays: Collection[int], start: dt.date, end: dt.date
) -> list[dict[str, object]]:
    """calendar_dates.txt rows removing `service_id` on each public holiday in
    ``[start, end]`` that falls on one of its `weekdays` (0: Monday, as `date.weekday`)."""
    return [
        {"service_id": service_id, "date": day.strftime("%Y%m%d"), "exception_type": 2}
        for day, _name in jpholiday.between(start, end)
        if day.weekday() in weekdays
    ]
