"""Read a GTFS or GTFS-JP feed (zip or folder) and the `Timetable` of one service day.

gtfs-kit reads the standard tables into data frames; this module checks what the
timetable relies on once, when the feed is read, so that a broken feed fails with the
file, the 1-based data row and the field to fix (`FeedError`) instead of a pandas
traceback later. Checked: the required files and columns, coordinates, time formats,
times running backwards within a trip, and every reference between files (trip ->
route, trip -> service, stop time -> trip and stop, route -> agency).

GTFS-JP (標準的なバス情報フォーマット) adds ``agency_jp.txt``, ``office_jp.txt``,
``routes_jp.txt`` and ``pattern_jp.txt`` beside standard files; the first three are
kept (as text tables) for display, any other file is ignored, as GTFS allows.

Times are seconds from the service day's midnight (``25:10:00`` is 90,600 s). Stop
times without a time (allowed between timepoints) are interpolated evenly between the
timed calls around them; the first and last call of a trip must be timed. Trips given
by ``frequencies.txt`` are expanded into ordinary trips (gtfs-kit) before anything else.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gtfs_kit as gk
import numpy as np
import pandas as pd

from routing.errors import FeedError
from routing.osm_parse import great_circle_m
from routing.transit.timetable import StopTime, Timetable, TransitRoute, TransitStop, TransitTrip

log = logging.getLogger(__name__)

__all__ = ["FeedError", "TransitFeed", "read_feed", "read_timetable", "service_dates"]

REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "agency": ("agency_name", "agency_url", "agency_timezone"),
    "stops": ("stop_id", "stop_name", "stop_lat", "stop_lon"),
    "routes": ("route_id", "route_type"),
    "trips": ("route_id", "service_id", "trip_id"),
    "stop_times": ("trip_id", "arrival_time", "departure_time", "stop_id", "stop_sequence"),
    "calendar": (
        "service_id",
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
        "start_date",
        "end_date",
    ),
    "calendar_dates": ("service_id", "date", "exception_type"),
    "frequencies": ("trip_id", "start_time", "end_time", "headway_secs"),
}
"""Columns a file must have when it is present (GTFS reference, conditionally required
columns included where the timetable needs them)."""

JP_TABLES = ("agency_jp", "office_jp", "routes_jp")
"""GTFS-JP files kept for display (names of offices and of routes' ends)."""

_TIME = re.compile(r"^\s*(\d{1,3}):([0-5]\d):([0-5]\d)\s*$")
_DATE = re.compile(r"^\d{8}$")


@dataclass(frozen=True, slots=True, eq=False)
class TransitFeed:
    """A feed read and checked once: gtfs-kit's frames plus what GTFS-JP adds.

    Attributes
    ----------
    gtfs
        The gtfs-kit feed (frequencies already expanded into trips).
    source
        Where it was read from.
    jp
        GTFS-JP tables present (``agency_jp``, ``office_jp``, ``routes_jp``), all text.
    arrival_s, departure_s
        Per row of ``gtfs.stop_times`` (same order): seconds from the service day's
        midnight, interpolated where the feed leaves a time empty; int64.
    """

    gtfs: gk.Feed
    source: str
    jp: dict[str, pd.DataFrame] = field(default_factory=dict)
    arrival_s: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    departure_s: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))


def read_feed(path: str | Path) -> TransitFeed:
    """Read and check a GTFS / GTFS-JP feed, a ``.zip`` or a folder of ``.txt`` files.

    Raises
    ------
    FeedError
        The path holds no feed, a required file or column is missing, or a row is
        broken; the error names the file, data row and field.
    """
    path = Path(path)
    if not path.exists():
        raise FeedError("no such file or folder", file=str(path))
    if path.is_file() and not zipfile.is_zipfile(path):
        raise FeedError("not a zip archive nor a folder of GTFS .txt files", file=str(path))
    try:
        # units of shape_dist_traveled: not used here (lengths come from the points)
        gtfs = gk.read_feed(path, dist_units="m")
    except (ValueError, TypeError) as exc:  # pandas could not convert a typed column
        raise _diagnose(path) or FeedError(str(exc), file=str(path)) from exc
    except (zipfile.BadZipFile, UnicodeDecodeError) as exc:
        raise FeedError(f"unreadable: {exc}", file=str(path)) from exc
    _check_files(gtfs)
    _check_references(gtfs)
    arrival, departure = _stop_time_seconds(gtfs.stop_times)
    if gtfs.frequencies is not None:  # checked as given, then expanded into trips
        for column in ("start_time", "end_time"):
            _seconds(gtfs.frequencies[column], "frequencies.txt", column, required=True)
        gtfs = gtfs.expand_frequencies()
        arrival, departure = _stop_time_seconds(gtfs.stop_times)
    feed = TransitFeed(gtfs, str(path), _read_jp(path), arrival, departure)
    log.info(
        "feed %s: %d stops, %d routes, %d trips, %d stop times",
        path,
        len(gtfs.stops),
        len(gtfs.routes),
        len(gtfs.trips),
        len(gtfs.stop_times),
    )
    return feed


def read_timetable(path_or_feed: str | Path | TransitFeed, service_date: dt.date) -> Timetable:
    """The trips that run on `service_date`, with every stop and route of the feed.

    A trip runs when its service is active that day: calendar.txt (weekday flag and
    date range) plus the additions and removals of calendar_dates.txt; either file may
    be absent. Trips are ordered by first departure, then trip_id.
    """
    feed = path_or_feed if isinstance(path_or_feed, TransitFeed) else read_feed(path_or_feed)
    gtfs = feed.gtfs
    active = set(gk.get_active_services(gtfs, service_date.strftime("%Y%m%d")))
    trips = gtfs.trips[gtfs.trips["service_id"].isin(active)]
    st = gtfs.stop_times
    keep = st["trip_id"].isin(set(trips["trip_id"])).to_numpy()
    codes = pd.factorize(st["trip_id"])[0][keep]
    order = np.lexsort((st["stop_sequence"].to_numpy(dtype=np.int64)[keep], codes))
    trip_ids = st["trip_id"].to_numpy()[keep][order]
    stop_ids = st["stop_id"].to_numpy()[keep][order]
    arrival = feed.arrival_s[keep][order]
    departure = feed.departure_s[keep][order]
    starts = np.flatnonzero(np.r_[True, trip_ids[1:] != trip_ids[:-1]]) if len(trip_ids) else []
    ends = np.r_[starts[1:], len(trip_ids)] if len(trip_ids) else []
    info = trips.set_index("trip_id")
    shape_col = info["shape_id"] if "shape_id" in info.columns else None
    built = []
    for a, b in zip(starts, ends, strict=True):
        trip_id = str(trip_ids[a])
        shape = shape_col.at[trip_id] if shape_col is not None else None
        built.append(
            TransitTrip(
                trip_id=trip_id,
                route_id=str(info.at[trip_id, "route_id"]),
                service_id=str(info.at[trip_id, "service_id"]),
                stop_times=tuple(
                    StopTime(str(s), int(x), int(y))
                    for s, x, y in zip(stop_ids[a:b], arrival[a:b], departure[a:b], strict=True)
                ),
                shape_id=None if pd.isna(shape) else str(shape),
            )
        )
    built.sort(key=lambda t: (t.first_departure_s, t.trip_id))
    return Timetable(
        stops=_stops(gtfs.stops),
        routes=_routes(gtfs),
        trips=tuple(built),
        shapes_m=shape_lengths_m(gtfs.shapes),
    )


def service_dates(feed: TransitFeed) -> list[dt.date]:
    """Every date on which at least one of the feed's services runs, in order."""
    gtfs = feed.gtfs
    days: set[dt.date] = set()
    if gtfs.calendar is not None:
        names = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
        for row in gtfs.calendar.itertuples(index=False):
            day, end = _date(row.start_date), _date(row.end_date)
            flags = [getattr(row, n) == 1 for n in names]
            while day <= end:
                if flags[day.weekday()]:
                    days.add(day)
                day += dt.timedelta(days=1)
    if gtfs.calendar_dates is not None:
        days |= {_date(d) for d in gtfs.calendar_dates["date"]}
    return sorted(d for d in days if gk.get_active_services(gtfs, d.strftime("%Y%m%d")))


def busiest_date(feed: TransitFeed, dates: Iterable[dt.date] | None = None) -> dt.date | None:
    """The first of `dates` (default: every service date) with the most trips running."""
    gtfs = feed.gtfs
    per_service = gtfs.trips["service_id"].value_counts()
    best, best_n = None, -1
    for day in service_dates(feed) if dates is None else dates:
        n = int(per_service.reindex(gk.get_active_services(gtfs, day.strftime("%Y%m%d"))).sum())
        if n > best_n:
            best, best_n = day, n
    return best


def shape_lengths_m(shapes: pd.DataFrame | None) -> dict[str, int]:
    """Length of every shape's polyline, whole metres (great-circle, not shape_dist_traveled,
    whose unit GTFS leaves to each feed)."""
    if shapes is None or shapes.empty:
        return {}
    df = shapes.sort_values(["shape_id", "shape_pt_sequence"], kind="stable")
    ids = df["shape_id"].to_numpy()
    lon = df["shape_pt_lon"].to_numpy(dtype=float)
    lat = df["shape_pt_lat"].to_numpy(dtype=float)
    seg = np.zeros(len(df))
    if len(df) > 1:
        same = ids[1:] == ids[:-1]
        seg[1:] = np.where(same, great_circle_m(lon[:-1], lat[:-1], lon[1:], lat[1:]), 0.0)
    starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]])
    total = np.add.reduceat(seg, starts)
    return {str(ids[i]): round(float(m)) for i, m in zip(starts, total, strict=True)}


def parse_time(text: str) -> int:
    """``"HH:MM:SS"`` (hours may pass 24) to seconds; ValueError otherwise."""
    seconds = _time_s(text)
    if seconds is None:
        raise ValueError(f"{text!r} is not a time HH:MM:SS")
    return seconds


def _time_s(text: str) -> int | None:
    match = _TIME.match(text)
    if not match:
        return None
    h, m, s = (int(g) for g in match.groups())
    return h * 3600 + m * 60 + s


def format_hhmm(seconds: int) -> str:
    """Seconds from the service day's midnight as ``HH:MM`` (``25:10`` past midnight)."""
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"


# -- checks ------------------------------------------------------------------------------


def _check_files(gtfs: gk.Feed) -> None:
    for table in ("agency", "stops", "routes", "trips", "stop_times"):
        if getattr(gtfs, table) is None:
            raise FeedError("required file is missing or has no rows", file=f"{table}.txt")
    if gtfs.calendar is None and gtfs.calendar_dates is None:
        raise FeedError(
            "neither calendar.txt nor calendar_dates.txt is present: no trip has a service day",
            file="calendar.txt",
        )
    for table, columns in REQUIRED_COLUMNS.items():
        frame = getattr(gtfs, table)
        if frame is None:
            continue
        for column in columns:
            if column not in frame.columns:
                raise FeedError("required column is missing", file=f"{table}.txt", field=column)
    for table, column in (
        ("stops", "stop_id"),
        ("routes", "route_id"),
        ("trips", "trip_id"),
        ("trips", "route_id"),
        ("trips", "service_id"),
        ("stop_times", "trip_id"),
        ("stop_times", "stop_id"),
        ("stop_times", "stop_sequence"),
    ):
        _no_empty(getattr(gtfs, table)[column], f"{table}.txt", column)
    for table, column in (("stops", "stop_id"), ("routes", "route_id"), ("trips", "trip_id")):
        dup = getattr(gtfs, table)[column].duplicated()
        if dup.any():
            i = int(np.flatnonzero(dup.to_numpy())[0])
            value = getattr(gtfs, table)[column].iloc[i]
            raise FeedError(
                f"{value!r} appears twice", file=f"{table}.txt", row=i + 1, field=column
            )
    stops = gtfs.stops
    kind = stops["location_type"] if "location_type" in stops.columns else None
    placed = (
        np.ones(len(stops), bool) if kind is None else (kind.fillna(0) <= 2).to_numpy(dtype=bool)
    )
    for column, limit in (("stop_lon", 180.0), ("stop_lat", 90.0)):
        values = stops[column].to_numpy(dtype=float, na_value=np.nan)
        bad = placed & ~(np.abs(values) <= limit)  # NaN fails too
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise FeedError(
                f"{stops[column].iloc[i]!r} is not a coordinate (-{limit:g}..{limit:g})",
                file="stops.txt",
                row=i + 1,
                field=column,
            )
    for table, column in (("calendar", "start_date"), ("calendar", "end_date")):
        if gtfs.calendar is not None:
            _dates(gtfs.calendar[column], f"{table}.txt", column)
    if gtfs.calendar_dates is not None:
        _dates(gtfs.calendar_dates["date"], "calendar_dates.txt", "date")


def _check_references(gtfs: gk.Feed) -> None:
    services: set[str] = set()
    for table in ("calendar", "calendar_dates"):
        if getattr(gtfs, table) is not None:
            services |= set(getattr(gtfs, table)["service_id"])
    agencies = gtfs.agency
    if "agency_id" in gtfs.routes.columns and "agency_id" in agencies.columns:
        known = set(agencies["agency_id"].dropna())
        _known(gtfs.routes["agency_id"].dropna(), known, "routes.txt", "agency_id", "agency.txt")
    elif len(agencies) > 1:
        raise FeedError(
            "the feed has several agencies, so every route must name its agency_id",
            file="routes.txt",
            field="agency_id",
        )
    _known(gtfs.trips["route_id"], set(gtfs.routes["route_id"]), "trips.txt", "route_id")
    _known(gtfs.trips["service_id"], services, "trips.txt", "service_id", "calendar files")
    _known(gtfs.stop_times["trip_id"], set(gtfs.trips["trip_id"]), "stop_times.txt", "trip_id")
    _known(gtfs.stop_times["stop_id"], set(gtfs.stops["stop_id"]), "stop_times.txt", "stop_id")
    if "location_type" in gtfs.stops.columns:  # a bus calls at stops, not at stations
        kind = gtfs.stops["location_type"].fillna(0)
        stations = set(gtfs.stops.loc[(kind != 0).to_numpy(dtype=bool), "stop_id"])
        called = gtfs.stop_times["stop_id"].isin(stations).to_numpy(dtype=bool)
        if called.any():
            i = int(np.flatnonzero(called)[0])
            raise FeedError(
                f"{gtfs.stop_times['stop_id'].iloc[i]!r} is a station or entrance "
                "(location_type >= 1), not a stop a trip can call at",
                file="stop_times.txt",
                row=i + 1,
                field="stop_id",
            )
    if gtfs.frequencies is not None:
        _known(
            gtfs.frequencies["trip_id"], set(gtfs.trips["trip_id"]), "frequencies.txt", "trip_id"
        )
    if gtfs.shapes is not None and "shape_id" in gtfs.trips.columns:
        _known(
            gtfs.trips["shape_id"].dropna(), set(gtfs.shapes["shape_id"]), "trips.txt", "shape_id"
        )


def _stop_time_seconds(st: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Arrival and departure seconds per row of stop_times, checked and interpolated."""
    arr = _seconds(st["arrival_time"], "stop_times.txt", "arrival_time")
    dep = _seconds(st["departure_time"], "stop_times.txt", "departure_time")
    arr = np.where(np.isnan(arr), dep, arr)  # one of the two given: the call takes no time
    dep = np.where(np.isnan(dep), arr, dep)
    trip = st["trip_id"].to_numpy()
    order = np.lexsort((st["stop_sequence"].to_numpy(dtype=np.int64), pd.factorize(trip)[0]))
    t, a, d = trip[order], arr[order], dep[order]
    starts = np.flatnonzero(np.r_[True, t[1:] != t[:-1]])
    ends = np.r_[starts[1:], len(t)]
    single = np.flatnonzero(ends - starts < 2)
    if single.size:
        row = int(order[starts[single[0]]])
        raise FeedError(
            f"trip {t[starts[single[0]]]!r} has a single stop time (a trip needs two)",
            file="stop_times.txt",
            row=row + 1,
            field="trip_id",
        )
    for edge, column in ((starts, "departure_time"), (ends - 1, "arrival_time")):
        untimed = edge[np.isnan(a[edge])]
        if untimed.size:
            where = "first" if column == "departure_time" else "last"
            raise FeedError(
                f"the {where} stop time of trip {t[untimed[0]]!r} has no time",
                file="stop_times.txt",
                row=int(order[untimed[0]]) + 1,
                field=column,
            )
    gaps = np.isnan(a)
    if gaps.any():  # evenly between the timed calls around, by position within the trip
        idx = np.arange(len(t), dtype=float)
        timed = ~gaps
        for s, e in zip(starts, ends, strict=True):
            part = gaps[s:e]
            if part.any():
                known = timed[s:e]
                fill = np.interp(idx[s:e][part], idx[s:e][known], d[s:e][known])
                a[s:e][part] = d[s:e][part] = np.round(fill)
    backwards = d < a
    same_trip = np.r_[t[1:] == t[:-1], False]
    early = np.zeros(len(t), bool)
    early[1:] = same_trip[:-1] & (a[1:] < d[:-1])
    for mask, column, what in (
        (backwards, "departure_time", "departs before it arrives"),
        (early, "arrival_time", "arrives before the previous stop's departure"),
    ):
        if mask.any():
            k = int(np.flatnonzero(mask)[0])
            raise FeedError(
                f"trip {t[k]!r} {what}", file="stop_times.txt", row=int(order[k]) + 1, field=column
            )
    arrival, departure = np.empty(len(t), np.int64), np.empty(len(t), np.int64)
    arrival[order], departure[order] = a, d
    return arrival, departure


def _seconds(column: pd.Series, file: str, field: str, *, required: bool = False) -> np.ndarray:
    """Seconds per cell of a time column (NaN where empty), FeedError on a malformed one.

    Each distinct text is parsed once: a timetable repeats its times many times over.
    """
    codes, texts = pd.factorize(column)  # empty cells: code -1
    values = np.full(len(texts) + 1, np.nan)  # the last slot: empty
    for k, text in enumerate(texts):
        seconds = _time_s(str(text))
        if seconds is not None:
            values[k] = seconds
    out = values[codes]
    bad = np.isnan(out) & ((codes >= 0) | required)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        value = column.iloc[i]
        what = "is empty" if pd.isna(value) else f"{value!r} is not a time HH:MM:SS"
        raise FeedError(what, file=file, row=i + 1, field=field)
    return out


def _dates(column: pd.Series, file: str, field: str) -> None:
    for i, value in enumerate(column):
        if pd.isna(value) or not _DATE.match(str(value)):
            raise FeedError(f"{value!r} is not a date YYYYMMDD", file=file, row=i + 1, field=field)
        try:
            _date(value)
        except ValueError:
            raise FeedError(
                f"{value!r} is not a calendar date", file=file, row=i + 1, field=field
            ) from None


def _date(value: Any) -> dt.date:
    return dt.datetime.strptime(str(value), "%Y%m%d").date()


def _no_empty(column: pd.Series, file: str, field: str) -> None:
    empty = column.isna().to_numpy()
    if empty.any():
        raise FeedError("is empty", file=file, row=int(np.flatnonzero(empty)[0]) + 1, field=field)


def _known(
    column: pd.Series, known: set[Any], file: str, field: str, where: str | None = None
) -> None:
    bad = ~column.isin(known).to_numpy()
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        target = where or f"{field.removesuffix('_id')}s.txt"
        raise FeedError(
            f"unknown {field} {column.iloc[i]!r} (not in {target})",
            file=file,
            row=int(column.index[i]) + 1,
            field=field,
        )


def _diagnose(path: Path) -> FeedError | None:
    """The first cell gtfs-kit could not convert to its column's type, as a FeedError."""
    for table, types in gk.DTYPES.items():
        frame = _read_text_table(path, table)
        if frame is None:
            continue
        for column, kind in types.items():
            if column not in frame.columns or kind == "string":
                continue
            values = frame[column].str.strip()
            numbers = pd.to_numeric(values, errors="coerce")
            bad = values.notna() & values.ne("") & numbers.isna()
            if kind != "float":
                bad |= numbers.notna() & (numbers % 1 != 0)
            if bad.any():
                i = int(np.flatnonzero(bad.to_numpy())[0])
                noun = "a number" if kind == "float" else "a whole number"
                return FeedError(
                    f"{frame[column].iloc[i]!r} is not {noun}",
                    file=f"{table}.txt",
                    row=i + 1,
                    field=column,
                )
    return None


def _read_jp(path: Path) -> dict[str, pd.DataFrame]:
    out = {}
    for table in JP_TABLES:
        try:
            frame = _read_text_table(path, table)
        except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
            log.warning("%s: %s.txt ignored, unreadable: %s", path, table, exc)
            continue
        if frame is not None:
            out[table] = frame
    return out


def _read_text_table(path: Path, table: str) -> pd.DataFrame | None:
    """One file of the feed with every cell as text (None when absent or empty)."""
    options: dict[str, Any] = {"dtype": "string", "encoding": "utf-8-sig", "keep_default_na": False}
    name = f"{table}.txt"
    if path.is_dir():
        file = path / name
        if not file.is_file() or file.stat().st_size == 0:
            return None
        frame = pd.read_csv(file, **options)
    else:
        with zipfile.ZipFile(path) as zf:
            members = [m for m in zf.namelist() if Path(m).name == name]
            if not members:
                return None
            with zf.open(members[0]) as handle:
                try:
                    frame = pd.read_csv(handle, **options)
                except pd.errors.EmptyDataError:
                    return None
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame.replace("", pd.NA)


def _stops(stops: pd.DataFrame) -> dict[str, TransitStop]:
    if "location_type" in stops.columns:  # boarding points only, not stations or entrances
        stops = stops[stops["location_type"].fillna(0) == 0]
    names = stops["stop_name"].fillna("")
    return {
        str(i): TransitStop(str(i), str(n), float(x), float(y))
        for i, n, x, y in zip(
            stops["stop_id"], names, stops["stop_lon"], stops["stop_lat"], strict=True
        )
    }


def _routes(gtfs: gk.Feed) -> dict[str, TransitRoute]:
    routes = gtfs.routes
    default_agency = (
        str(gtfs.agency["agency_id"].iloc[0])
        if "agency_id" in gtfs.agency.columns and pd.notna(gtfs.agency["agency_id"].iloc[0])
        else ""
    )

    def text(column: str) -> list[str]:
        if column not in routes.columns:
            return [""] * len(routes)
        return [str(v) for v in routes[column].fillna("")]

    agency = [a or default_agency for a in text("agency_id")]
    return {
        r: TransitRoute(r, a, s, n)
        for r, a, s, n in zip(
            text("route_id"), agency, text("route_short_name"), text("route_long_name"), strict=True
        )
    }
