"""Draft a GTFS feed from a short description of bus lines (路線案), along the road graph.

A planner who sketches a candidate line writes its stops, hours and days in a small
TOML file; this module snaps the stops to the roads, drives each leg by the fastest
path, and writes a feed that any GTFS tool reads (and `read_timetable` turns into the
timetable the simulation runs). The file::

    places = "../../scenarios/studies/tachikawa_pois.csv"  # optional, beside this file
    [agency]
    name = "立川市コミュニティバス"
    url = "https://www.city.tachikawa.lg.jp/"
    phone = "042-523-2111"            # optional
    timezone = "Asia/Tokyo"           # default
    [calendar]
    start = 2026-12-01                # TOML dates
    end = 2027-03-31
    holidays = "closed"               # 祝日運休 (default), or "run": as on that weekday
    [[lines]]
    id = "kururin"                    # route_id; default L1, L2...
    short_name = "くるりん"
    long_name = "立川駅循環"
    loop = true                       # true: back to the first stop; false: both ways
    weekdays = true                   # days of service (default weekdays only)
    saturday = false
    sunday = false
    dwell_s = 20                      # default stop time at every stop, s
    speed_factor = 0.8                # x the map's road speeds (buses are slower)
    [[lines.stops]]
    name = "立川駅"
    place = "立川駅"                  # a row of the places CSV ...
    dwell_s = 60                      # ... or at = [lon, lat]; dwell of this stop
    [[lines.periods]]
    from = "07:00"                    # departures from the first stop
    to = "19:00"                      # inclusive; may pass 24:00
    headway_min = 30                  # or departures = ["07:10", "07:40"]

Stops are shared by name: a stop named like one of an earlier line is the same stop
(its place may be left out; if given, it must lie within 50 m), so lines that meet
have a transfer point. A line that is not a loop runs both ways with the same
departure times from each end. Times are whole seconds: leg time = fastest road time /
``speed_factor``, and each stop's dwell is added between its arrival and departure.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
import math
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import gtfs_kit as gk
import numpy as np
import pandas as pd

from routing.errors import InputError
from routing.graph import RoadGraph
from routing.matrix import build_matrix
from routing.osm_parse import great_circle_m
from routing.paths import path_geometry, polyline_length_m
from routing.snapping import DEFAULT_MAX_SNAP_M, SnappedPoint, Snapper
from routing.transit.service_calendar import HOLIDAY_RULES, WEEKDAY_COLUMNS, holiday_closures

log = logging.getLogger(__name__)

SAME_STOP_M = 50.0
"""A stop named again in another line must lie this close to its first place, metres."""

_HHMM = re.compile(r"^(\d{1,2}):([0-5]\d)$")
_ID = re.compile(r"^[A-Za-z0-9_.-]+$")


@dataclass(frozen=True, slots=True)
class DraftStop:
    """A stop of a line: its name, the place as given (lon, lat) and its dwell, s.

    ``lon``/``lat`` are NaN when the file names the stop without a place: it is then
    the stop of that name in an earlier line (checked when the feed is drafted).
    """

    name: str
    lon: float
    lat: float
    dwell_s: int


@dataclass(frozen=True, slots=True)
class DraftLine:
    """One line: its calls in order, and departures from its first stop (s past midnight)."""

    route_id: str
    short_name: str
    long_name: str
    loop: bool
    stops: tuple[DraftStop, ...]
    departures_s: tuple[int, ...]
    days: tuple[bool, bool, bool]  # weekdays, saturday, sunday
    speed_factor: float

    def __post_init__(self) -> None:
        if len(self.stops) < 2:
            raise InputError(f"line {self.route_id}: needs at least two stops")
        if not self.departures_s:
            raise InputError(f"line {self.route_id}: no departures")
        if not any(self.days):
            raise InputError(f"line {self.route_id}: runs on no day (weekdays/saturday/sunday)")

    @property
    def service_id(self) -> str:
        names = ("weekdays", "saturday", "sunday")
        return "+".join(n for n, on in zip(names, self.days, strict=True) if on)


@dataclass(frozen=True, slots=True)
class DraftFeed:
    """The agency, the calendar's dates and the lines of a draft feed."""

    agency_name: str
    agency_url: str
    agency_phone: str
    timezone: str
    start: dt.date
    end: dt.date
    lines: tuple[DraftLine, ...]
    holidays: str = "closed"

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise InputError(f"calendar.end {self.end} is before calendar.start {self.start}")
        if self.holidays not in HOLIDAY_RULES:
            raise InputError(
                f"calendar.holidays must be one of {', '.join(HOLIDAY_RULES)}, "
                f"got {self.holidays!r}"
            )
        if not self.lines:
            raise InputError("lines: the file describes no line ([[lines]])")
        ids = [line.route_id for line in self.lines]
        if len(set(ids)) != len(ids):
            raise InputError(f"lines: a line id appears twice ({', '.join(ids)})")


def read_draft(path: str | Path) -> DraftFeed:
    """Read and check a line description (TOML); errors name the file and the field."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{path}: file does not exist") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: not a TOML file: {exc}") from None
    try:
        return _parse(data, path.parent)
    except InputError as exc:
        raise InputError(f"{path}: {exc}") from None


def draft_feed(
    draft: DraftFeed, graph: RoadGraph, *, max_snap_m: float = DEFAULT_MAX_SNAP_M
) -> gk.Feed:
    """The GTFS tables of `draft`: stops snapped to `graph`, legs along fastest paths.

    Raises
    ------
    InputError
        A stop lies farther than `max_snap_m` from every road (the message names it).
    RoutingError
        No road path joins two consecutive stops.
    """
    stops = _shared_stops(draft)
    names = list(stops)
    snapper = Snapper(graph, max_snap_m=max_snap_m)
    snapped = {}
    for name in names:  # one by one, so that an error names the stop
        try:
            (snapped[name],) = snapper.snap([stops[name]])
        except InputError as exc:
            raise InputError(f"stop {name!r}: {exc}") from None
    stop_id = {name: f"S{i + 1:03d}" for i, name in enumerate(names)}
    tables: dict[str, list[dict[str, Any]]] = {"trips": [], "stop_times": [], "shapes": []}
    for line in draft.lines:
        for direction, calls in enumerate(_directions(line)):
            shape_id = f"{line.route_id}_{direction}"
            times, dist, coords = _drive(graph, [snapped[c.name] for c in calls], line)
            tables["shapes"] += _shape_rows(shape_id, coords)
            for k, start in enumerate(line.departures_s):
                trip_id = f"{line.route_id}_{direction}_{k + 1:03d}"
                tables["trips"].append(
                    {
                        "route_id": line.route_id,
                        "service_id": line.service_id,
                        "trip_id": trip_id,
                        "trip_headsign": calls[-1].name,
                        "direction_id": direction,
                        "shape_id": shape_id,
                    }
                )
                ids = [stop_id[c.name] for c in calls]
                tables["stop_times"] += _stop_time_rows(trip_id, start, calls, ids, times, dist)
    frame = pd.DataFrame
    closed = _holiday_rows(draft)
    feed = gk.Feed(
        dist_units="m",
        agency=frame(
            [
                {
                    "agency_id": "A1",
                    "agency_name": draft.agency_name,
                    "agency_url": draft.agency_url,
                    "agency_timezone": draft.timezone,
                    "agency_lang": "ja",
                    "agency_phone": draft.agency_phone,
                }
            ]
        ),
        stops=frame(
            [
                {
                    "stop_id": stop_id[n],
                    "stop_name": n,
                    "stop_lat": round(snapped[n].lat, 6),
                    "stop_lon": round(snapped[n].lon, 6),
                    "location_type": 0,
                }
                for n in names
            ]
        ),
        routes=frame(
            [
                {
                    "route_id": line.route_id,
                    "agency_id": "A1",
                    "route_short_name": line.short_name,
                    "route_long_name": line.long_name,
                    "route_type": 3,
                }
                for line in draft.lines
            ]
        ),
        trips=frame(tables["trips"]),
        stop_times=frame(tables["stop_times"]),
        calendar=frame(_calendar_rows(draft)),
        calendar_dates=frame(closed) if closed else None,
        shapes=frame(tables["shapes"]),
        feed_info=frame(
            [
                {
                    "feed_publisher_name": draft.agency_name,
                    "feed_publisher_url": draft.agency_url,
                    "feed_lang": "ja",
                    "feed_start_date": _ymd(draft.start),
                    "feed_end_date": _ymd(draft.end),
                    "feed_version": "draft",
                }
            ]
        ),
    )
    log.info(
        "draft feed: %d lines, %d stops, %d trips, %d stop times",
        len(draft.lines),
        len(names),
        len(tables["trips"]),
        len(tables["stop_times"]),
    )
    return feed


def write_gtfs(feed: gk.Feed, out: str | Path) -> Path:
    """Write `feed` as ``out`` (a ``.zip``) or into the folder ``out`` (replacing its GTFS
    tables; other files stay).

    `draft_feed` rounds coordinates to 6 decimals (about 0.1 m) and distances to 0.1 m.
    """
    out = Path(out)
    if out.suffix != ".zip":
        out.mkdir(parents=True, exist_ok=True)
        for table in gk.DTYPES:  # a table of an earlier feed would be read as this one's
            (out / f"{table}.txt").unlink(missing_ok=True)
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
    feed.to_file(out)
    return out


def read_places(path: str | Path) -> dict[str, tuple[float, float]]:
    """Name -> (lon, lat) from a places CSV (``name,...,lon,lat,...``; ``#`` comments).

    The planners' POI files (``name,category,lon,lat[,weight]``) are of this form.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(f"places {path}: file does not exist") from None
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    rows = list(csv.DictReader(io.StringIO("\n".join(lines))))
    missing = {"name", "lon", "lat"} - set(rows[0] if rows else ())
    if missing:
        raise InputError(f"places {path}: missing column(s) {', '.join(sorted(missing))}")
    places = {}
    for i, row in enumerate(rows, start=1):
        try:
            lon, lat = float(row["lon"]), float(row["lat"])
        except (TypeError, ValueError):
            raise InputError(
                f"places {path} row {i} ({row['name']!r}): lon/lat are not numbers"
            ) from None
        places[row["name"].strip()] = (lon, lat)
    return places


# -- the TOML ----------------------------------------------------------------------------


def _parse(data: Mapping[str, Any], base: Path) -> DraftFeed:
    _keys(data, "", {"places", "agency", "calendar", "lines"})
    places: dict[str, tuple[float, float]] | None = None
    if "places" in data:
        places = read_places(base / _text(data, "places", ""))
    agency = _table(data, "agency", "")
    _keys(agency, "agency.", {"name", "url", "phone", "timezone"})
    calendar = _table(data, "calendar", "")
    _keys(calendar, "calendar.", {"start", "end", "holidays"})
    lines = data.get("lines")
    if not isinstance(lines, list) or not lines:
        raise InputError("lines: describe at least one line as [[lines]]")
    timezone = _text(agency, "timezone", "agency.", default="Asia/Tokyo")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise InputError(
            f"agency.timezone {timezone!r} is not a time zone like Asia/Tokyo"
        ) from None
    url = _text(agency, "url", "agency.")
    if not url.startswith(("http://", "https://")):
        raise InputError(f"agency.url {url!r} must start with http:// or https://")
    return DraftFeed(
        agency_name=_text(agency, "name", "agency."),
        agency_url=url,
        agency_phone=_text(agency, "phone", "agency.", default=""),
        timezone=timezone,
        start=_day(calendar, "start"),
        end=_day(calendar, "end"),
        holidays=_text(calendar, "holidays", "calendar.", default="closed"),
        lines=tuple(_line(raw, i, places) for i, raw in enumerate(lines)),
    )


def _line(raw: Any, i: int, places: dict[str, tuple[float, float]] | None) -> DraftLine:
    at = f"lines[{i}]."
    if not isinstance(raw, dict):
        raise InputError(f"lines[{i}] must be a table")
    known = {"id", "short_name", "long_name", "loop", "stops", "periods", "dwell_s"}
    _keys(raw, at, known | {"speed_factor", "weekdays", "saturday", "sunday"})
    route_id = _text(raw, "id", at, default=f"L{i + 1}")
    if not _ID.match(route_id):
        raise InputError(f"{at}id {route_id!r}: use letters, digits, '_', '-' or '.'")
    short, long = _text(raw, "short_name", at, default=""), _text(raw, "long_name", at, default="")
    if not short and not long:
        raise InputError(f"{at}short_name / long_name: give at least one")
    dwell = _int(raw, "dwell_s", at, default=20, low=0, high=3600)
    factor = raw.get("speed_factor", 0.8)
    if not (isinstance(factor, int | float) and 0.1 <= factor <= 2.0):
        raise InputError(f"{at}speed_factor must be a number in 0.1..2.0, got {factor!r}")
    stops = raw.get("stops")
    if not isinstance(stops, list) or len(stops) < 2:
        raise InputError(f"{at}stops: give at least two [[lines.stops]]")
    periods = raw.get("periods")
    if not isinstance(periods, list) or not periods:
        raise InputError(f"{at}periods: give at least one [[lines.periods]]")
    departures = sorted({d for k, p in enumerate(periods) for d in _period(p, f"{at}periods[{k}]")})
    return DraftLine(
        route_id=route_id,
        short_name=short,
        long_name=long,
        loop=_flag(raw, "loop", at, default=False),
        stops=tuple(_stop(s, f"{at}stops[{k}]", dwell, places) for k, s in enumerate(stops)),
        departures_s=tuple(departures),
        days=(
            _flag(raw, "weekdays", at, default=True),
            _flag(raw, "saturday", at, default=False),
            _flag(raw, "sunday", at, default=False),
        ),
        speed_factor=float(factor),
    )


def _stop(
    raw: Any, at: str, dwell: int, places: dict[str, tuple[float, float]] | None
) -> DraftStop:
    if not isinstance(raw, dict):
        raise InputError(f"{at} must be a table")
    _keys(raw, at + ".", {"name", "at", "place", "dwell_s"})
    name = _text(raw, "name", at + ".")
    if "at" in raw and "place" in raw:
        raise InputError(f"{at} ({name}): give either at = [lon, lat] or place, not both")
    lon = lat = math.nan  # named earlier: the first place of that name (checked later)
    if "at" in raw:
        point = raw["at"]
        if not (
            isinstance(point, list)
            and len(point) == 2
            and all(isinstance(v, int | float) for v in point)
            and -180 <= point[0] <= 180
            and -90 <= point[1] <= 90
        ):
            raise InputError(f"{at}.at ({name}) must be [lon, lat] in degrees, got {point!r}")
        lon, lat = float(point[0]), float(point[1])
    elif "place" in raw:
        lon, lat = _place(_text(raw, "place", at + "."), places, f"{at}.place ({name})")
    return DraftStop(
        name, lon, lat, _int(raw, "dwell_s", at + ".", default=dwell, low=0, high=3600)
    )


def _place(
    name: str, places: dict[str, tuple[float, float]] | None, at: str
) -> tuple[float, float]:
    if places is None:
        raise InputError(f'{at}: no places file (set places = "file.csv" at the top)')
    if name in places:
        return places[name]
    hits = [k for k in places if k.startswith(name + " ")]  # "立川駅" for "立川駅 Tachikawa ..."
    if len(hits) == 1:
        return places[hits[0]]
    what = f"several places start with {name!r}" if hits else f"no place named {name!r}"
    raise InputError(f"{at}: {what} in the places file")


def _period(raw: Any, at: str) -> list[int]:
    if not isinstance(raw, dict):
        raise InputError(f"{at} must be a table")
    _keys(raw, at + ".", {"from", "to", "headway_min", "departures"})
    has_headway, has_list = "headway_min" in raw, "departures" in raw
    if has_headway == has_list:
        raise InputError(f"{at}: give either headway_min (with from/to) or departures")
    start = _clock(raw, "from", at) if "from" in raw else None
    end = _clock(raw, "to", at) if "to" in raw else None
    if start is not None and end is not None and end < start:
        raise InputError(f"{at}.to {raw['to']} is before from {raw['from']}")
    if has_headway:
        if start is None or end is None:
            raise InputError(f"{at}: headway_min needs both from and to")
        step = _int(raw, "headway_min", at + ".", low=1, high=24 * 60) * 60
        return list(range(start, end + 1, step))
    times = raw["departures"]
    if not isinstance(times, list) or not times:
        raise InputError(f'{at}.departures must be a list of "HH:MM" times')
    out = []
    for k, text in enumerate(times):
        value = _hhmm(text, f"{at}.departures[{k}]")
        if (start is not None and value < start) or (end is not None and value > end):
            raise InputError(f"{at}.departures[{k}] {text} is outside from/to")
        out.append(value)
    return out


def _clock(raw: Mapping[str, Any], key: str, at: str) -> int:
    return _hhmm(raw[key], f"{at}.{key}")


def _hhmm(text: Any, at: str) -> int:
    match = _HHMM.match(text) if isinstance(text, str) else None
    if not match:
        raise InputError(f'{at} must be a time "HH:MM" (may pass 24:00), got {text!r}')
    return int(match[1]) * 3600 + int(match[2]) * 60


def _day(raw: Mapping[str, Any], key: str) -> dt.date:
    value = raw.get(key)
    if type(value) is not dt.date:
        raise InputError(f"calendar.{key} must be a TOML date like 2026-12-01, got {value!r}")
    return value


def _keys(raw: Mapping[str, Any], at: str, known: set[str]) -> None:
    unknown = sorted(set(raw) - known)
    if unknown:
        raise InputError(f"{at}{unknown[0]}: unknown key (known: {', '.join(sorted(known))})")


def _table(raw: Mapping[str, Any], key: str, at: str) -> Mapping[str, Any]:
    value = raw.get(key)
    if not isinstance(value, dict):
        raise InputError(f"{at}{key}: missing table [{key}]")
    return value


def _text(raw: Mapping[str, Any], key: str, at: str, *, default: str | None = None) -> str:
    value = raw.get(key, default)
    if value is None:
        raise InputError(f"{at}{key}: required")
    if not isinstance(value, str) or (default is None and not value.strip()):
        raise InputError(f"{at}{key} must be a non-empty string, got {value!r}")
    return value.strip()


def _int(
    raw: Mapping[str, Any], key: str, at: str, *, low: int, high: int, default: int | None = None
) -> int:
    value = raw.get(key, default)
    if value is None:
        raise InputError(f"{at}{key}: required")
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InputError(f"{at}{key} must be a whole number in {low}..{high}, got {value!r}")
    return value


def _flag(raw: Mapping[str, Any], key: str, at: str, *, default: bool) -> bool:
    value = raw.get(key, default)
    if not isinstance(value, bool):
        raise InputError(f"{at}{key} must be true or false, got {value!r}")
    return value


# -- building ----------------------------------------------------------------------------


def _shared_stops(draft: DraftFeed) -> dict[str, tuple[float, float]]:
    """Each stop name once, at its first given place; later mentions must agree."""
    out: dict[str, tuple[float, float]] = {}
    for line in draft.lines:
        for stop in line.stops:
            given = not math.isnan(stop.lon)
            if stop.name not in out:
                if not given:
                    raise InputError(
                        f"line {line.route_id}, stop {stop.name!r}: give at or place "
                        "(no earlier stop has this name)"
                    )
                out[stop.name] = (stop.lon, stop.lat)
            elif given:
                lon, lat = out[stop.name]
                apart = float(great_circle_m(lon, lat, stop.lon, stop.lat))
                if apart > SAME_STOP_M:
                    raise InputError(
                        f"line {line.route_id}, stop {stop.name!r}: {apart:,.0f} m from the "
                        f"earlier stop of that name (one name, one place; at most "
                        f"{SAME_STOP_M:g} m apart)"
                    )
    return out


def _directions(line: DraftLine) -> list[tuple[DraftStop, ...]]:
    if line.loop:
        return [(*line.stops, line.stops[0])]
    return [line.stops, tuple(reversed(line.stops))]


def _drive(
    graph: RoadGraph, points: list[SnappedPoint], line: DraftLine
) -> tuple[list[int], list[float], list[tuple[float, float]]]:
    """Leg times (s, at the line's speed), distance along the shape at each call (m),
    and the shape's polyline."""
    matrix = build_matrix(graph, points)
    times = [
        round(int(matrix.time_s[i, i + 1]) / line.speed_factor) for i in range(len(points) - 1)
    ]
    coords: list[tuple[float, float]] = []
    dist = [0.0]
    for a, b in pairwise(points):
        leg = path_geometry(graph, a, b)
        dist.append(dist[-1] + polyline_length_m(leg))
        coords += leg if not coords else leg[1:]
    return times, dist, coords


def _stop_time_rows(
    trip_id: str,
    start: int,
    calls: tuple[DraftStop, ...],
    stop_ids: list[str],
    leg_s: list[int],
    dist: list[float],
) -> list[dict[str, Any]]:
    """One trip's calls: arrive after each leg, wait the stop's dwell (not at either end)."""
    rows = []
    clock = start
    for seq, (call, leg) in enumerate(zip(calls, [0, *leg_s], strict=True)):
        arrival = clock + leg
        at_end = seq in (0, len(calls) - 1)
        clock = arrival if at_end else arrival + call.dwell_s
        rows.append(
            {
                "trip_id": trip_id,
                "arrival_time": _hms(arrival),
                "departure_time": _hms(clock),
                "stop_id": stop_ids[seq],
                "stop_sequence": seq + 1,
                "shape_dist_traveled": round(dist[seq], 1),
                "timepoint": 1,
            }
        )
    return rows


def _calendar_rows(draft: DraftFeed) -> list[dict[str, Any]]:
    """One service per combination of days the lines run on, over the calendar's dates."""
    rows = []
    for service in dict.fromkeys(line.service_id for line in draft.lines):
        on = _weekdays_of(service)
        row: dict[str, Any] = {"service_id": service}
        for k, day in enumerate(WEEKDAY_COLUMNS):
            row[day] = int(k in on)
        row["start_date"], row["end_date"] = _ymd(draft.start), _ymd(draft.end)
        rows.append(row)
    return rows


def _holiday_rows(draft: DraftFeed) -> list[dict[str, Any]]:
    """calendar_dates.txt: each service closed on the public holidays it would run on
    (`routing.transit.service_calendar`), unless the calendar says they ``run``."""
    if draft.holidays == "run":
        return []
    return [
        row
        for service in dict.fromkeys(line.service_id for line in draft.lines)
        for row in holiday_closures(service, _weekdays_of(service), draft.start, draft.end)
    ]


def _weekdays_of(service: str) -> set[int]:
    """The `date.weekday` numbers of a service id such as ``weekdays+saturday``."""
    on = set(service.split("+"))
    return {
        *(range(5) if "weekdays" in on else ()),
        *((5,) if "saturday" in on else ()),
        *((6,) if "sunday" in on else ()),
    }


def _shape_rows(shape_id: str, coords: list[tuple[float, float]]) -> list[dict[str, Any]]:
    arr = np.asarray(coords)
    steps = great_circle_m(arr[:-1, 0], arr[:-1, 1], arr[1:, 0], arr[1:, 1])
    along = np.concatenate(([0.0], np.cumsum(steps)))
    return [
        {
            "shape_id": shape_id,
            "shape_pt_lat": round(lat, 6),
            "shape_pt_lon": round(lon, 6),
            "shape_pt_sequence": k + 1,
            "shape_dist_traveled": round(float(d), 1),
        }
        for k, ((lon, lat), d) in enumerate(zip(coords, along, strict=True))
    ]


def _hms(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def _ymd(day: dt.date) -> str:
    return day.strftime("%Y%m%d")
