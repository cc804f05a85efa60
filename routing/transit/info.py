"""What a feed runs on one day: agencies, routes, trips, hours, vehicle-hours and -km.

The figures a planner compares two bus networks by. Vehicle-hours are timetable hours:
each trip from its first departure to its last arrival (no layovers, no runs to and
from the depot). Vehicle-km per trip come from the best source at hand, and the output
says which was used for how many trips:

1. ``shapes.txt``: the length of the trip's shape (great-circle along its points);
2. ``road graph``: fastest paths between consecutive stops on the map given;
3. ``straight line``: great-circle distance between consecutive stops (an underestimate,
   typically by a quarter to a third in town).

Without a date the busiest service date is used: the date with the most trips running,
the earliest among equals (`routing.transit.feed.busiest_date`).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from routing.errors import InputError
from routing.graph import RoadGraph
from routing.matrix import build_matrix
from routing.osm_parse import great_circle_m
from routing.snapping import DEFAULT_MAX_SNAP_M, Snapper
from routing.transit.feed import TransitFeed, busiest_date, format_hhmm, read_timetable
from routing.transit.timetable import Timetable, TransitTrip

SHAPES, ROAD, STRAIGHT = "shapes.txt", "road graph", "straight line"


@dataclass(frozen=True, slots=True)
class RouteSummary:
    """One route on the day: names as riders see them and its trips."""

    route_id: str
    short_name: str
    long_name: str
    jp_name: str  # GTFS-JP routes_jp: origin → via → destination ("" without it)
    offices: tuple[str, ...]  # GTFS-JP office_jp names of its trips' offices
    trips: int
    first_departure_s: int | None
    last_arrival_s: int | None
    vehicle_hours: float
    vehicle_km: float


@dataclass(frozen=True, slots=True)
class FeedSummary:
    """The day's figures of a feed; see the module docstring for how each is measured."""

    source: str
    service_date: dt.date
    date_rule: str  # "given" or "busiest"
    agencies: tuple[dict[str, str], ...]
    routes: tuple[RouteSummary, ...]
    stops: int
    trips: int
    first_departure_s: int | None
    last_arrival_s: int | None
    vehicle_hours: float
    vehicle_km: float
    km_methods: dict[str, int]  # method -> number of trips measured so
    bbox: tuple[float, float, float, float] | None  # min_lon, min_lat, max_lon, max_lat

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, times as ``HH:MM`` (past 24:00 for trips after midnight)."""

        def hhmm(s: int | None) -> str | None:
            return None if s is None else format_hhmm(s)

        return {
            "source": self.source,
            "service_date": self.service_date.isoformat(),
            "date_rule": self.date_rule,
            "agencies": list(self.agencies),
            "routes": [
                {
                    "route_id": r.route_id,
                    "short_name": r.short_name,
                    "long_name": r.long_name,
                    "jp_name": r.jp_name,
                    "offices": list(r.offices),
                    "trips": r.trips,
                    "first_departure": hhmm(r.first_departure_s),
                    "last_arrival": hhmm(r.last_arrival_s),
                    "vehicle_hours": round(r.vehicle_hours, 2),
                    "vehicle_km": round(r.vehicle_km, 1),
                }
                for r in self.routes
            ],
            "stops": self.stops,
            "trips": self.trips,
            "first_departure": hhmm(self.first_departure_s),
            "last_arrival": hhmm(self.last_arrival_s),
            "vehicle_hours": round(self.vehicle_hours, 2),
            "vehicle_km": round(self.vehicle_km, 1),
            "vehicle_km_method": dict(self.km_methods),
            "bbox": None if self.bbox is None else list(self.bbox),
        }


def summarise(
    feed: TransitFeed,
    service_date: dt.date | None = None,
    *,
    graph: RoadGraph | None = None,
    max_snap_m: float = DEFAULT_MAX_SNAP_M,
) -> FeedSummary:
    """The figures of `feed` on `service_date` (default: its busiest date).

    Raises
    ------
    InputError
        The feed has no service date at all, or a stop lies off the map given.
    """
    rule = "given"
    if service_date is None:
        rule, service_date = "busiest", busiest_date(feed)
        if service_date is None:
            raise InputError(f"{feed.source}: no service runs on any date (calendar files)")
    timetable = read_timetable(feed, service_date)
    km, method = trip_km(timetable, graph, max_snap_m=max_snap_m)
    hours = {t.trip_id: (t.last_arrival_s - t.first_departure_s) / 3600 for t in timetable.trips}
    routes = tuple(_route(feed, timetable, rid, hours, km) for rid in timetable.routes)
    stops = timetable.stops.values()
    lon = [s.lon for s in stops]
    lat = [s.lat for s in stops]
    return FeedSummary(
        source=feed.source,
        service_date=service_date,
        date_rule=rule,
        agencies=_agencies(feed),
        routes=routes,
        stops=len(timetable.stops),
        trips=len(timetable.trips),
        first_departure_s=min((t.first_departure_s for t in timetable.trips), default=None),
        last_arrival_s=max((t.last_arrival_s for t in timetable.trips), default=None),
        vehicle_hours=sum(hours.values()),
        vehicle_km=sum(km.values()),
        km_methods=dict(Counter(method.values())),
        bbox=(min(lon), min(lat), max(lon), max(lat)) if lon else None,
    )


def trip_km(
    timetable: Timetable, graph: RoadGraph | None = None, *, max_snap_m: float = DEFAULT_MAX_SNAP_M
) -> tuple[dict[str, float], dict[str, str]]:
    """Kilometres per trip and the method used for each (see the module docstring)."""
    km: dict[str, float] = {}
    method: dict[str, str] = {}
    rest: list[TransitTrip] = []
    for trip in timetable.trips:
        if trip.shape_id is not None and trip.shape_id in timetable.shapes_m:
            km[trip.trip_id], method[trip.trip_id] = (
                timetable.shapes_m[trip.shape_id] / 1000,
                SHAPES,
            )
        else:
            rest.append(trip)
    if not rest:
        return km, method
    used = sorted({c.stop_id for t in rest for c in t.stop_times})
    index = {s: i for i, s in enumerate(used)}
    points = [(timetable.stops[s].lon, timetable.stops[s].lat) for s in used]
    if graph is not None:
        matrix = build_matrix(graph, Snapper(graph, max_snap_m=max_snap_m).snap(points))
        legs = matrix.distance_m
        how = ROAD
    else:
        xy = np.asarray(points)
        legs = great_circle_m(xy[:, None, 0], xy[:, None, 1], xy[None, :, 0], xy[None, :, 1])
        how = STRAIGHT
    for trip in rest:
        idx = [index[c.stop_id] for c in trip.stop_times]
        metres = float(legs[idx[:-1], idx[1:]].sum())
        km[trip.trip_id], method[trip.trip_id] = metres / 1000, how
    return km, method


def _route(
    feed: TransitFeed,
    timetable: Timetable,
    route_id: str,
    hours: dict[str, float],
    km: dict[str, float],
) -> RouteSummary:
    route = timetable.routes[route_id]
    trips = [t for t in timetable.trips if t.route_id == route_id]
    return RouteSummary(
        route_id=route_id,
        short_name=route.short_name,
        long_name=route.long_name,
        jp_name=_jp_route_name(feed, route_id),
        offices=_offices(feed, {t.trip_id for t in trips}),
        trips=len(trips),
        first_departure_s=min((t.first_departure_s for t in trips), default=None),
        last_arrival_s=max((t.last_arrival_s for t in trips), default=None),
        vehicle_hours=sum(hours[t.trip_id] for t in trips),
        vehicle_km=sum(km[t.trip_id] for t in trips),
    )


def _agencies(feed: TransitFeed) -> tuple[dict[str, str], ...]:
    agency = feed.gtfs.agency
    official: dict[str, str] = {}
    jp = feed.jp.get("agency_jp")
    if jp is not None and {"agency_id", "agency_official_name"} <= set(jp.columns):
        official = dict(zip(jp["agency_id"], jp["agency_official_name"].fillna(""), strict=True))

    def cell(row: pd.Series, column: str) -> str:
        value = row.get(column)
        return "" if value is None or pd.isna(value) else str(value)

    out = []
    for _, row in agency.iterrows():
        agency_id = cell(row, "agency_id")
        out.append(
            {
                "agency_id": agency_id,
                "name": cell(row, "agency_name"),
                "official_name": str(official.get(agency_id, "")),
                "phone": cell(row, "agency_phone"),
                "url": cell(row, "agency_url"),
                "timezone": cell(row, "agency_timezone"),
            }
        )
    return tuple(out)


def _jp_route_name(feed: TransitFeed, route_id: str) -> str:
    jp = feed.jp.get("routes_jp")
    if jp is None or "route_id" not in jp.columns:
        return ""
    rows = jp[jp["route_id"] == route_id]
    if rows.empty:
        return ""
    row = rows.iloc[0]
    parts = [
        str(row[c])
        for c in ("origin_stop", "via_stop", "destination_stop")
        if c in rows.columns and pd.notna(row[c])
    ]
    return " → ".join(parts)


def _offices(feed: TransitFeed, trip_ids: set[str]) -> tuple[str, ...]:
    jp, trips = feed.jp.get("office_jp"), feed.gtfs.trips
    if jp is None or "jp_office_id" not in trips.columns or "office_id" not in jp.columns:
        return ()
    names = dict(zip(jp["office_id"], jp.get("office_name", jp["office_id"]), strict=True))
    ids = trips.loc[trips["trip_id"].isin(trip_ids), "jp_office_id"].dropna().unique()
    return tuple(sorted(str(names.get(i, i)) for i in ids))
