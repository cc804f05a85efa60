"""Stop coverage (バス停勢圏): which residents live near a stop that is served often enough.

Japanese planning practice (the national 公共交通空白地域 guidance) counts a home as
covered when it lies within a straight-line radius of a stop — 300 m for elderly
residents, 500 m in general — so coverage here is straight-line, not walking distance
(the journey planner walks the straight line × a detour factor).

**Served at least hourly** means: at least one departure (a call a rider can board —
not a trip's last call) in *every* hour of the service span, cut into hours from its
start (a last, shorter piece counts as an hour). This is stricter than "headway ≤ 60
min on average": a line with six buses in the morning and none after noon serves no
stop hourly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from routing.errors import InputError
from routing.transit.journeys import LonLat
from routing.transit.timetable import Timetable

HOUR_S = 3600
#: The radii planners report, metres: elderly residents, everyone.
RADII_M = (300, 500)
_M_PER_DEG_LAT = 110_574.0


@dataclass(frozen=True, slots=True)
class Coverage:
    """Homes within each radius of a stop served at least hourly."""

    homes: int
    radii_m: tuple[int, ...]
    covered: tuple[int, ...]  # per radius
    hourly_stops: tuple[str, ...]

    def __post_init__(self) -> None:
        if len(self.radii_m) != len(self.covered):
            raise InputError("coverage: one covered count per radius")
        if any(not 0 <= c <= self.homes for c in self.covered):
            raise InputError(f"coverage: covered counts {self.covered} outside 0..{self.homes}")

    def share(self, radius_m: int) -> float:
        """Share of homes covered within ``radius_m`` (NaN without homes)."""
        if radius_m not in self.radii_m:
            raise InputError(f"coverage: radius {radius_m} m not computed ({self.radii_m})")
        if not self.homes:
            return float("nan")
        return self.covered[self.radii_m.index(radius_m)] / self.homes


def hourly_stops(timetable: Timetable, start_s: int, end_s: int) -> set[str]:
    """Stops with a departure in every hour of ``[start_s, end_s)``."""
    if end_s <= start_s:
        raise InputError(f"coverage: service span {start_s}..{end_s} s is empty")
    hours = -(-(end_s - start_s) // HOUR_S)
    seen: dict[str, set[int]] = {}
    for trip in timetable.trips:
        for call in trip.stop_times[:-1]:
            if start_s <= call.departure_s < end_s:
                seen.setdefault(call.stop_id, set()).add((call.departure_s - start_s) // HOUR_S)
    return {stop for stop, hit in seen.items() if len(hit) == hours}


def nearest_hourly_stop_m(
    timetable: Timetable, homes: Sequence[LonLat], start_s: int, end_s: int
) -> tuple[np.ndarray, tuple[str, ...]]:
    """Straight-line metres from each home to the nearest hourly stop (inf: none), and
    the hourly stops."""
    stops = tuple(sorted(hourly_stops(timetable, start_s, end_s)))
    if not homes or not stops:
        return np.full(len(homes), np.inf), stops
    h = np.asarray(homes, dtype=float)
    s = np.asarray([(timetable.stops[x].lon, timetable.stops[x].lat) for x in stops], float)
    lat0 = np.radians(h[:, 1].mean())
    dx = (h[:, None, 0] - s[None, :, 0]) * 111_320.0 * np.cos(lat0)
    dy = (h[:, None, 1] - s[None, :, 1]) * _M_PER_DEG_LAT
    return np.hypot(dx, dy).min(axis=1), stops


def stop_coverage(
    timetable: Timetable,
    homes: Sequence[LonLat],
    start_s: int,
    end_s: int,
    radii_m: Sequence[int] = RADII_M,
) -> Coverage:
    """How many ``homes`` lie within each radius (straight line) of an hourly stop."""
    if any(r <= 0 for r in radii_m):
        raise InputError(f"coverage: radii must be positive metres, got {list(radii_m)}")
    nearest, stops = nearest_hourly_stop_m(timetable, homes, start_s, end_s)
    covered = tuple(int((nearest <= r).sum()) for r in radii_m)
    return Coverage(len(homes), tuple(radii_m), covered, stops)
