"""The on-demand service as a GTFS-Flex feed, so trip planners can offer it beside buses.

GTFS-Flex (part of the GTFS Schedule reference since 2024) describes a service without
timetables: zones in ``locations.geojson``, how to book in ``booking_rules.txt``, and
stop times that name a zone and a pickup/drop-off window instead of a stop and a time.

What the spec says becomes the feed:

- one zone per district (`scenarios.districts.district_zones`, the same districts the
  fairness tables count) and one zone for the whole service disc (``area.radius_m``);
- one trip per district: picked up anywhere in it, set down anywhere in the service
  area, inside the service hours. A planner then names the rider's district, and a town
  can later give a district its own days without changing the others;
- one booking rule: same-day phone booking (``booking_type`` 1) from ``booking.opens``,
  at least ``booking.min_lead_min`` ahead, on ``booking.phone``;
- a calendar of ``service.days`` between two dates the caller states, closed on Japan's
  public holidays unless ``service.holidays = "run"`` (calendar_dates.txt,
  `routing.transit.service_calendar`).

Coordinates are (lon, lat) WGS84 with seven decimals (about 1 cm); exterior rings run
counter-clockwise as RFC 7946 asks. ``route_type`` is 3 (bus): the extended type 715
(demand and response bus) is not in the GTFS reference and draws a validator warning,
and planners show both as a bus.
"""

from __future__ import annotations

import csv
import io
import json
import os
import zipfile
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import shapely
from shapely.geometry import Polygon
from shapely.geometry.polygon import orient

from routing.errors import InputError
from routing.transit.service_calendar import WEEKDAY_COLUMNS, holiday_closures, holiday_name
from scenarios.demand import districts_of
from scenarios.districts import Zone, district_zones, lonlat_at, service_disc
from scenarios.spec import DAY, WEEKDAYS, ScenarioSpec

AREA_ID = "area"
BOOKING_RULE_ID = "phone"
SERVICE_ID = "service"
ROUTE_ID = "ondemand"
_DIGITS = 7  # decimal degrees: about 1 cm

# the columns of each file, in the order written
AGENCY = (
    "agency_id",
    "agency_name",
    "agency_url",
    "agency_timezone",
    "agency_lang",
    "agency_phone",
)
ROUTES = ("route_id", "agency_id", "route_long_name", "route_desc", "route_type")
TRIPS = ("route_id", "service_id", "trip_id")
STOP_TIMES = (
    "trip_id",
    "stop_sequence",
    "location_id",
    "start_pickup_drop_off_window",
    "end_pickup_drop_off_window",
    "pickup_type",  # 2: phone the agency; 1: no pickup
    "drop_off_type",
    "pickup_booking_rule_id",
    "drop_off_booking_rule_id",
)
BOOKING_RULES = (
    "booking_rule_id",
    "booking_type",  # 1: up to the same day, with notice
    "prior_notice_duration_min",
    "prior_notice_start_day",  # 0: lines open on the day itself
    "prior_notice_start_time",
    "message",
    "phone_number",
)
CALENDAR = ("service_id", *WEEKDAY_COLUMNS, "start_date", "end_date")
CALENDAR_DATES = ("service_id", "date", "exception_type")
FEED_INFO = (
    "feed_publisher_name",
    "feed_publisher_url",
    "feed_lang",
    "feed_start_date",
    "feed_end_date",
    "feed_version",
    "feed_contact_url",
)


def flex_files(spec: ScenarioSpec, start: date, end: date) -> dict[str, str]:
    """The feed's files by name (text), for service days from ``start`` to ``end``.

    Raises `InputError` listing everything the spec lacks for a public feed (service
    hours stated, ``area.radius_m``, ``booking.phone``, ``agency.url``) and a date range
    that is reversed or holds no service day.
    """
    _check(spec, start, end)
    zones = _zones(spec)
    agency_name = spec.agency.name or spec.title or spec.name
    s, b = spec.service, spec.booking
    opens_day, opens_at = divmod(b.opens, DAY)
    message, url = _booking_message(spec), spec.agency.url
    zone_ids = [zone_id for zone_id, _, _ in zones[1:]]
    window = [_time(s.start), _time(s.end)]
    files = {
        "agency.txt": _csv(
            AGENCY, [[spec.name, agency_name, spec.agency.url, spec.agency.timezone, "ja", b.phone]]
        ),
        "routes.txt": _csv(
            ROUTES, [[ROUTE_ID, spec.name, "予約制乗合 On-demand shared rides", _desc(spec), 3]]
        ),
        "trips.txt": _csv(TRIPS, [[ROUTE_ID, SERVICE_ID, f"from-{z}"] for z in zone_ids]),
        "stop_times.txt": _csv(
            STOP_TIMES,
            [
                row
                for z in zone_ids
                for row in (
                    [f"from-{z}", 1, z, *window, 2, 1, BOOKING_RULE_ID, ""],
                    [f"from-{z}", 2, AREA_ID, *window, 1, 2, "", BOOKING_RULE_ID],
                )
            ],
        ),
        "locations.geojson": _geojson(zones),
        "booking_rules.txt": _csv(
            BOOKING_RULES,
            [[BOOKING_RULE_ID, 1, b.min_lead_min, -opens_day, _time(opens_at), message, b.phone]],
        ),
        "calendar.txt": _csv(
            CALENDAR,
            [[SERVICE_ID, *(int(d in s.days) for d in WEEKDAYS), _ymd(start), _ymd(end)]],
        ),
        **_holiday_file(spec, start, end),
        "feed_info.txt": _csv(
            FEED_INFO,
            [[agency_name, url, "ja", _ymd(start), _ymd(end), f"{spec.name}-{_ymd(start)}", url]],
        ),
    }
    return files


def write_flex(spec: ScenarioSpec, out: Path, start: date, end: date) -> Path:
    """Write the feed to ``out`` (a ``.zip``) whole or not at all; returns ``out``.

    Raises `InputError` for the spec and dates (see `flex_files`) and for an ``out``
    that is not a ``.zip`` or cannot be written.
    """
    out = Path(out)
    if out.suffix.lower() != ".zip":
        raise InputError(f"{out}: a GTFS feed is a zip file; name it ….zip")
    if not out.parent.is_dir():
        what = "is not a folder" if out.parent.exists() else "does not exist"
        raise InputError(f"{out}: {out.parent} {what}")
    files = flex_files(spec, start, end)
    tmp = out.with_name(f".{out.name}.part")
    try:
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as z:
            for name, text in files.items():
                z.writestr(name, text.encode("utf-8"))
        os.replace(tmp, out)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise InputError(f"{out}: cannot write the feed in {out.parent} ({exc.strerror})") from None
    return out


def default_end(start: date) -> date:
    """A year from ``start``: what a feed covers when the caller names no last day."""
    return start + timedelta(days=364)


# -- checks -----------------------------------------------------------------------------


def _service_weekdays(spec: ScenarioSpec) -> set[int]:
    return {k for k, d in enumerate(WEEKDAYS) if d in spec.service.days}


def _holiday_file(spec: ScenarioSpec, start: date, end: date) -> dict[str, str]:
    """calendar_dates.txt closing the service on public holidays, when there are any."""
    if spec.service.holidays == "run":
        return {}
    rows = holiday_closures(SERVICE_ID, _service_weekdays(spec), start, end)
    if not rows:
        return {}
    return {"calendar_dates.txt": _csv(CALENDAR_DATES, [list(r.values()) for r in rows])}


def _check(spec: ScenarioSpec, start: date, end: date) -> None:
    problems = []
    stated = spec.service.model_fields_set if "service" in spec.model_fields_set else set()
    if not {"start", "end"} <= stated:
        problems.append(
            "service.start, service.end: a published feed needs the town's own service "
            "hours (運行時間), not the simulation's defaults"
        )
    if spec.area.radius_m is None:
        problems.append("area.radius_m: needed to draw the service area (運行区域)")
    if spec.booking.phone is None:
        problems.append("booking.phone: riders book by phone; give the booking line (予約電話)")
    if spec.agency.url is None:
        problems.append("agency.url: a feed must name the operator's web page")
    if end < start:
        problems.append(f"end date {end} is before start date {start}")
    elif not _has_service_day(spec, start, end):
        closed = ", 祝日運休 closed on public holidays" if spec.service.holidays == "closed" else ""
        days = ", ".join(spec.service.days)
        problems.append(f"no service day ({days}{closed}) from {start} to {end}")
    if problems:
        raise InputError(f"{spec.name}: cannot publish a feed: " + "; ".join(problems))


def _has_service_day(spec: ScenarioSpec, start: date, end: date) -> bool:
    weekdays = _service_weekdays(spec)
    closed = spec.service.holidays == "closed"
    days = (start + timedelta(days=i) for i in range((end - start).days + 1))
    return any(d.weekday() in weekdays and not (closed and holiday_name(d)) for d in days)


# -- pieces -----------------------------------------------------------------------------


def _zones(spec: ScenarioSpec) -> list[tuple[str, str, dict[str, Any]]]:
    """(location id, rider-facing name, GeoJSON geometry): the service area, then districts."""
    a = spec.area
    assert a.radius_m is not None  # checked by _check
    km = f"{a.radius_m / 1000:g}"
    disc = service_disc(a.radius_m)
    name = f"運行区域（中心から{km} km） Service area ({km} km)"
    out = [(AREA_ID, name, _geometry(disc, a.centre))]
    for i, (name, zone) in enumerate(district_zones(districts_of(spec), a.radius_m), start=1):
        out.append((f"district-{i:02d}", name, _geometry(zone, a.centre)))
    return out


def _geojson(zones: list[tuple[str, str, dict[str, Any]]]) -> str:
    features = [
        {"type": "Feature", "id": zone_id, "properties": {"stop_name": name}, "geometry": geometry}
        for zone_id, name, geometry in zones
    ]
    return json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False)


def _geometry(zone: Zone, origin: tuple[float, float]) -> dict[str, Any]:
    """Local metres -> a GeoJSON (Multi)Polygon of [lon, lat]: rings closed, exteriors
    counter-clockwise."""
    polygons = [_rings(orient(p, sign=1.0), origin) for p in shapely.get_parts(zone)]
    if isinstance(zone, Polygon):
        return {"type": "Polygon", "coordinates": polygons[0]}
    return {"type": "MultiPolygon", "coordinates": polygons}


def _rings(polygon: Polygon, origin: tuple[float, float]) -> list[list[list[float]]]:
    return [
        [[round(v, _DIGITS) for v in lonlat_at(x, y, origin)] for x, y in ring.coords]
        for ring in (polygon.exterior, *polygon.interiors)
    ]


def _desc(spec: ScenarioSpec) -> str:
    fare, hours = spec.fares.ride_yen, f"{_clock(spec.service.start)}〜{_clock(spec.service.end)}"
    return (
        f"電話予約制の乗合車両（{hours}、運賃{fare}円）。"
        f" Shared rides booked by phone, {hours.replace('〜', '-')}, fare ¥{fare}."
    )


def _booking_message(spec: ScenarioSpec) -> str:
    b = spec.booking
    days_before, opens = -(b.opens // DAY), _clock(b.opens % DAY)
    lead = b.min_lead_min
    day = f"{days_before}日前の" if days_before else ""
    day_en = f" {days_before} day(s) before" if days_before else ""
    return (
        f"電話で予約してください（{day}{opens}から受付、乗車の{lead}分前まで）。"
        f" Book by phone: lines open at {opens}{day_en}; call at least {lead} minutes ahead."
    )


def _csv(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows([["" if v is None else v for v in row] for row in rows])
    return buf.getvalue()


def _time(t: int) -> str:
    """Seconds -> GTFS ``HH:MM:SS`` (hours may pass 24 for service after midnight)."""
    return f"{t // 3600:02d}:{t % 3600 // 60:02d}:{t % 60:02d}"


def _clock(t: int) -> str:
    """Seconds -> ``"09:00"`` for riders (``"25:30"`` after midnight, as on a timetable)."""
    return _time(t)[:5]


def _ymd(d: date) -> str:
    return d.strftime("%Y%m%d")
