"""The bus lines that run in a scenario: the feed's timetable, then kept, cut, retimed.

A planner names lines by route id or by the number on the bus (``short_name``); an
unknown name is an error listing the lines there are, never a silent no-op.

- ``lines.keep`` (only these run) and ``lines.cut`` (these do not);
- ``retime`` = a new headway per line: each stopping pattern of the line (its stop
  sequence) runs from its first departure to its last at the new headway, every trip
  with the running times of the pattern's first trip;
- ``run_hours`` per line: only its trips whose first departure falls in one of the
  periods run (e.g. the loop at the peaks of a mix); lines not named run all day.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from routing.errors import InputError
from routing.transit.timetable import StopTime, Timetable, TransitTrip
from scenarios.spec import ScenarioSpec, TransitSpec

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def feed_timetable(spec: ScenarioSpec) -> Timetable:
    """The spec's feed, read for ``transit.service_date`` (or the first date of the feed
    on ``transit.weekday``)."""
    from routing.transit.feed import read_feed, read_timetable, service_dates

    t, path = spec.transit, spec.feed_path()
    if path is None:
        raise InputError("transit.feed: no feed given")
    if t.service_date is not None:
        return read_timetable(path, t.service_date)
    feed = read_feed(path)
    day = WEEKDAYS.index(t.weekday or "mon")
    dates = [d for d in service_dates(feed) if d.weekday() == day]
    if not dates:
        raise InputError(f"transit.weekday: {path} runs no service on a {t.weekday}")
    return read_timetable(feed, dates[0])


def line_ids(timetable: Timetable, names: Iterable[str], where: str) -> set[str]:
    """Route ids of lines named by id or short name; an `InputError` names the unknown."""
    by_name = {r.route_id: r.route_id for r in timetable.routes.values()}
    by_name.update({r.short_name: r.route_id for r in timetable.routes.values() if r.short_name})
    names = list(names)
    unknown = [n for n in names if n not in by_name]
    if unknown:
        known = ", ".join(sorted(by_name))
        raise InputError(f"{where}: no line {', '.join(map(repr, unknown))} (lines: {known})")
    return {by_name[n] for n in names}


def line_plan(timetable: Timetable, transit: TransitSpec) -> Timetable:
    """The trips that run under ``transit.lines``, ``retime`` and ``run_hours``."""
    keep = line_ids(timetable, transit.lines.keep, "transit.lines.keep")
    cut = line_ids(timetable, transit.lines.cut, "transit.lines.cut")
    running = (keep or set(timetable.routes)) - cut
    retime = {
        rid: headway * 60
        for name, headway in transit.retime.items()
        for rid in line_ids(timetable, [name], f"transit.retime.{name}")
    }
    hours = {
        rid: periods
        for name, periods in transit.run_hours.items()
        for rid in line_ids(timetable, [name], f"transit.run_hours.{name}")
    }
    trips: list[TransitTrip] = []
    for rid in sorted(running):
        own = [t for t in timetable.trips if t.route_id == rid]
        own = retimed(own, retime[rid]) if rid in retime else own
        if rid in hours:
            own = [t for t in own if any(a <= t.first_departure_s < b for a, b in hours[rid])]
        trips += own
    routes = {rid: timetable.routes[rid] for rid in sorted(running)}
    return Timetable(timetable.stops, routes, tuple(trips), dict(timetable.shapes_m))


def retimed(trips: list[TransitTrip], headway_s: int) -> list[TransitTrip]:
    """Each stop pattern of ``trips`` from its first to its last departure every
    ``headway_s``, with the running times of the pattern's first trip."""
    if headway_s <= 0:
        raise InputError(f"retime: headway must be positive, got {headway_s} s")
    patterns: dict[tuple[str, ...], list[TransitTrip]] = {}
    for t in sorted(trips, key=lambda t: (t.first_departure_s, t.trip_id)):
        patterns.setdefault(tuple(c.stop_id for c in t.stop_times), []).append(t)
    out = []
    for same in patterns.values():
        first = same[0]
        t0 = first.first_departure_s
        last = max(t.first_departure_s for t in same)
        for k, start in enumerate(range(t0, last + 1, headway_s)):
            shift = start - t0
            calls = tuple(
                StopTime(c.stop_id, c.arrival_s + shift, c.departure_s + shift)
                for c in first.stop_times
            )
            out.append(replace(first, trip_id=f"{first.trip_id}@{k + 1}", stop_times=calls))
    return out
