"""A service day's locations: the snapped points its matrix is built from, in index order.

The list only grows (a booking's location index never changes), and it is stored with
the day, so any worker rebuilds exactly the same matrix from the road graph
(`routing.matrix.extend_matrix` gives what a full build would).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from routing.snapping import SnappedPoint


@dataclass(frozen=True, slots=True)
class DayLocation:
    """One row/column of the day's matrix: a point on a road, and what it is."""

    edge: int
    fraction: float
    lon: float  # on the road
    lat: float
    distance_m: float  # from the asked point to the road
    place_id: int | None = None
    label: str = ""

    @classmethod
    def of(
        cls, point: SnappedPoint, *, place_id: int | None = None, label: str = ""
    ) -> DayLocation:
        return cls(
            point.edge, point.fraction, point.lon, point.lat, point.distance_m, place_id, label
        )

    def point(self) -> SnappedPoint:
        return SnappedPoint(self.edge, self.fraction, self.lon, self.lat, self.distance_m)

    def to_plain(self) -> dict[str, Any]:
        return {
            "edge": self.edge,
            "fraction": self.fraction,
            "lon": self.lon,
            "lat": self.lat,
            "distance_m": self.distance_m,
            "place_id": self.place_id,
            "label": self.label,
        }

    @classmethod
    def from_plain(cls, d: Mapping[str, Any]) -> DayLocation:
        return cls(
            int(d["edge"]),
            float(d["fraction"]),
            float(d["lon"]),
            float(d["lat"]),
            float(d["distance_m"]),
            d.get("place_id"),
            d.get("label", ""),
        )


def ground_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Approximate distance in metres (equirectangular; fine within a town)."""
    k = math.cos(math.radians((lat1 + lat2) / 2))
    dx = (lon2 - lon1) * k * 111_320.0
    dy = (lat2 - lat1) * 110_540.0
    return math.hypot(dx, dy)


class DayLocations:
    """The day's locations while a request changes the day (append-only)."""

    def __init__(self, items: Iterable[DayLocation] = ()) -> None:
        self._items = list(items)
        self._by_place = {loc.place_id: i for i, loc in enumerate(self._items) if loc.place_id}
        self._by_point = {(loc.edge, loc.fraction): i for i, loc in enumerate(self._items)}

    @classmethod
    def from_plain(cls, data: Iterable[Mapping[str, Any]] | None) -> DayLocations:
        return cls(DayLocation.from_plain(d) for d in data or ())

    def to_plain(self) -> list[dict[str, Any]]:
        return [loc.to_plain() for loc in self._items]

    def __len__(self) -> int:
        return len(self._items)

    def __getitem__(self, index: int) -> DayLocation:
        return self._items[index]

    def points(self) -> list[SnappedPoint]:
        return [loc.point() for loc in self._items]

    def of_place(self, place_id: int) -> int | None:
        """Index of a saved place already in the day."""
        return self._by_place.get(place_id)

    def nearest(self, lon: float, lat: float, within_m: float) -> int | None:
        """Index of the known location closest to (lon, lat) if within `within_m`."""
        best, best_d = None, within_m
        for i, loc in enumerate(self._items):
            d = ground_m(lon, lat, loc.lon, loc.lat)
            if d <= best_d:
                best, best_d = i, d
        return best

    def add(self, loc: DayLocation) -> int:
        """Index of `loc`, appended unless the same place or road point is known."""
        if loc.place_id is not None and loc.place_id in self._by_place:
            return self._by_place[loc.place_id]
        key = (loc.edge, loc.fraction)
        if key in self._by_point and loc.place_id is None:
            return self._by_point[key]
        self._items.append(loc)
        index = len(self._items) - 1
        if loc.place_id is not None:
            self._by_place[loc.place_id] = index
        self._by_point.setdefault(key, index)
        return index
