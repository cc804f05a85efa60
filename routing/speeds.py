"""Speeds by road class, OSM `maxspeed` parsing and edge travel times.

Speeds are km/h; lengths are metres; travel times are whole seconds (at least 1).

The default table reflects Japanese roads as driven in small towns, not the
法定速度 (60 km/h on ordinary roads, 100 km/h on expressways), which applies
only where no sign is posted: urban and village roads are mostly posted 30–40
km/h, narrow residential streets 30 km/h or lower (ゾーン30), and shared streets
(`living_street`) are walking-pace areas.

==================  =====  ==========================================
highway             km/h   typical Japanese road
==================  =====  ==========================================
motorway            80     高速道路 (expressway)
trunk               50     国道 bypass / national route
primary             40     主要地方道, urban national route
secondary           40     県道 (prefectural road)
tertiary            40     main 市道 / town road
unclassified        30     minor 市道 / 町道 / 農道
residential         30     生活道路 (ゾーン30)
living_street       20     shared street
road                30     unknown class
service             15     access road, 構内道路
motorway_link       40     IC ramp
trunk_link          30
primary_link        30
secondary_link      30
tertiary_link       30
==================  =====  ==========================================

A posted `maxspeed` tag wins over the class default. `factor` slows every edge
down (or speeds it up) uniformly: the default 0.9 drives gently, as a shared
taxi with elderly riders aboard should, and absorbs some of the time lost at
signals and junctions that the graph does not model.
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from routing.errors import InputError

DEFAULT_KMH: Mapping[str, float] = MappingProxyType(
    {
        "motorway": 80.0,
        "motorway_link": 40.0,
        "trunk": 50.0,
        "trunk_link": 30.0,
        "primary": 40.0,
        "primary_link": 30.0,
        "secondary": 40.0,
        "secondary_link": 30.0,
        "tertiary": 40.0,
        "tertiary_link": 30.0,
        "unclassified": 30.0,
        "residential": 30.0,
        "living_street": 20.0,
        "road": 30.0,
        "service": 15.0,
    }
)
"""Default speed by OSM `highway` class, km/h (see the module docstring)."""

FALLBACK_KMH = 30.0
"""Speed of a `highway` class missing from the table, km/h."""

MPH_KMH = 1.609344
_NUMBER_UNIT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(km/h|kmh|kph|mph|knots)?\s*$", re.IGNORECASE)
_MAX_PLAUSIBLE_KMH = 200.0


@dataclass(frozen=True, slots=True)
class SpeedTable:
    """Speed by road class (km/h) and a uniform slow-down `factor`.

    Parameters
    ----------
    kmh
        Speed in km/h by OSM `highway` value; classes missing here use
        `fallback_kmh`.
    factor
        Multiplier applied to every speed, class default or posted (0 < factor <= 2).
    fallback_kmh
        Speed of a class missing from `kmh`, km/h.
    """

    kmh: Mapping[str, float] = field(default_factory=lambda: DEFAULT_KMH)
    factor: float = 0.9
    fallback_kmh: float = FALLBACK_KMH

    def __post_init__(self) -> None:
        table = {}
        for name, value in dict(self.kmh).items():
            table[str(name)] = _positive_kmh(value, f"kmh[{name!r}]")
        object.__setattr__(self, "kmh", MappingProxyType(dict(sorted(table.items()))))
        if not (isinstance(self.factor, int | float) and 0.0 < self.factor <= 2.0):
            raise InputError(f"SpeedTable.factor must be in (0, 2], got {self.factor!r}")
        object.__setattr__(self, "factor", float(self.factor))
        object.__setattr__(self, "fallback_kmh", _positive_kmh(self.fallback_kmh, "fallback_kmh"))

    def with_overrides(
        self, kmh: Mapping[str, float] | None = None, *, factor: float | None = None
    ) -> SpeedTable:
        """A copy with some class speeds (km/h) and/or the factor replaced."""
        table = dict(self.kmh)
        table.update(kmh or {})
        return SpeedTable(
            kmh=table,
            factor=self.factor if factor is None else factor,
            fallback_kmh=self.fallback_kmh,
        )

    def class_kmh(self, highway: str | Iterable[str] | None) -> float:
        """Default speed of a class, km/h, before `factor`.

        A list of classes (a simplified edge spanning several ways) gets the
        slowest of them.
        """
        return min(self.kmh.get(h, self.fallback_kmh) for h in _as_list(highway))

    def slowest_class(self, highway: str | Iterable[str] | None) -> str:
        """The class of `highway` (str or list) whose default speed is the lowest."""
        names = _as_list(highway)
        return min(names, key=lambda h: (self.kmh.get(h, self.fallback_kmh), h))

    def edge_kmh(self, highway: str | Iterable[str] | None, maxspeed: Any = None) -> float:
        """Driving speed on an edge, km/h, with `factor` applied.

        A parseable `maxspeed` wins over the class default; otherwise the class
        default (slowest class of a list) is used.
        """
        posted = parse_maxspeed(maxspeed)
        base = posted if posted is not None else self.class_kmh(highway)
        return base * self.factor

    def travel_time_s(self, length_m: float, highway: Any, maxspeed: Any = None) -> float:
        """Unrounded travel time over `length_m` metres, seconds."""
        return float(length_m) * 3.6 / self.edge_kmh(highway, maxspeed)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready description (used in fingerprints and reports)."""
        return {"kmh": dict(self.kmh), "factor": self.factor, "fallback_kmh": self.fallback_kmh}


def round_half_up(x: float) -> int:
    """Round to the nearest integer, halves up (0.5 -> 1, 2.5 -> 3)."""
    return math.floor(x + 0.5)


def whole_seconds(seconds: float) -> int:
    """Travel time rounded half up to whole seconds, at least 1."""
    return max(1, round_half_up(seconds))


def parse_maxspeed(value: Any) -> float | None:
    """Parse an OSM `maxspeed` value to km/h; None when absent or unusable.

    Accepts numbers, ``"40"``, ``"40 km/h"``, ``"30 mph"``, several values as
    ``"40;50"``, a list ``["40", "50"]`` or its string form ``"['40', '50']"``
    (simplified GraphML edges): the minimum counts. ``"JP:urban"``, ``"none"``,
    ``"walk"``, ``"signals"`` and anything else unparseable give None, so the
    class default applies.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        v = float(value)
        return v if math.isfinite(v) and 0.0 < v <= _MAX_PLAUSIBLE_KMH else None
    if isinstance(value, list | tuple | set | frozenset):
        parsed = [parse_maxspeed(v) for v in value]
        found = [p for p in parsed if p is not None]
        return min(found) if found else None
    text = str(value).strip()
    if text.startswith("[") and text.endswith("]"):
        try:
            items = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            return None
        return parse_maxspeed(list(items)) if isinstance(items, list | tuple) else None
    if ";" in text or "|" in text:
        return parse_maxspeed(re.split(r"[;|]", text))
    match = _NUMBER_UNIT.match(text)
    if match is None:
        return None
    number = float(match.group(1))
    unit = (match.group(2) or "km/h").lower()
    if unit == "mph":
        number *= MPH_KMH
    elif unit == "knots":
        number *= 1.852
    return number if 0.0 < number <= _MAX_PLAUSIBLE_KMH else None


def _as_list(highway: str | Iterable[str] | None) -> list[str]:
    if highway is None:
        return ["road"]
    if isinstance(highway, str):
        text = highway.strip()
        if text.startswith("[") and text.endswith("]"):
            try:
                items = ast.literal_eval(text)
            except (ValueError, SyntaxError):
                return [text]
            return [str(h) for h in items] or ["road"]
        return [text]
    names = [str(h) for h in highway]
    return names or ["road"]


def _positive_kmh(value: Any, name: str) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise InputError(f"SpeedTable.{name} must be a number of km/h, got {value!r}") from None
    if not (math.isfinite(v) and 0.0 < v <= _MAX_PLAUSIBLE_KMH):
        raise InputError(f"SpeedTable.{name} must be in (0, {_MAX_PLAUSIBLE_KMH:g}] km/h, got {v}")
    return v
