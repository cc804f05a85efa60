"""Districts (地区) for fairness: is a remote hamlet served as well as the centre?

Two ways to cut a town, both deterministic and cheap:

- rings and sectors around the centre: inside the first ring is 中心市街地 (town
  centre); outside, compass sectors (北部, 東部, ...) per ring band, so "north, beyond
  3 km" is its own district;
- named district centres (a planner's CSV): each point belongs to the nearest one.

Distances use a local equirectangular projection (error well below 1 % over a town).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from scenarios.tables import NamedPoint

CENTRE_NAME = "中心市街地"
_COMPASS = {
    4: ("北部", "東部", "南部", "西部"),
    8: ("北部", "北東部", "東部", "南東部", "南部", "南西部", "西部", "北西部"),
}
_M_PER_DEG_LAT = 110_574.0


def local_xy(lon: float, lat: float, origin: tuple[float, float]) -> tuple[float, float]:
    """Metres east and north of ``origin`` (lon, lat)."""
    x = (lon - origin[0]) * 111_320.0 * math.cos(math.radians(origin[1]))
    y = (lat - origin[1]) * _M_PER_DEG_LAT
    return x, y


def distance_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Straight-line distance between two (lon, lat) points, metres."""
    x, y = local_xy(b[0], b[1], a)
    return math.hypot(x, y)


@dataclass(frozen=True, slots=True)
class Districts:
    """Assigns a (lon, lat) to a district name.

    ``rings_m`` are increasing radii; ``sectors`` compass sectors outside the first
    ring (the first centred on north). With ``centres`` given, the nearest centre wins
    and rings/sectors are ignored.
    """

    centre: tuple[float, float]
    rings_m: tuple[float, ...] = (1500.0, 3000.0)
    sectors: int = 4
    centres: tuple[NamedPoint, ...] = ()

    def of(self, point: tuple[float, float]) -> str:
        if self.centres:
            best = min(self.centres, key=lambda c: distance_m(point, (c.lon, c.lat)))
            return best.name
        x, y = local_xy(point[0], point[1], self.centre)
        r = math.hypot(x, y)
        if not self.rings_m or r < self.rings_m[0]:
            return CENTRE_NAME
        band = sum(1 for ring in self.rings_m if r >= ring) - 1
        bearing = math.degrees(math.atan2(x, y)) % 360  # 0 = north, clockwise
        width = 360 / self.sectors
        sector = int(((bearing + width / 2) % 360) // width)
        name = sector_name(sector, self.sectors)
        if len(self.rings_m) == 1:
            return name
        lo = self.rings_m[band] / 1000
        if band + 1 < len(self.rings_m):
            return f"{name}（{lo:g}〜{self.rings_m[band + 1] / 1000:g} km）"
        return f"{name}（{lo:g} km〜）"

    def names(self) -> list[str]:
        """Every district name, centre first (for tables that list empty districts)."""
        if self.centres:
            return [c.name for c in self.centres]
        out = [CENTRE_NAME]
        for band in range(len(self.rings_m)):
            ring = self.rings_m[band]
            for s in range(self.sectors):
                # the name of a point in the middle of this band and sector
                r = ring + 1.0
                if band + 1 < len(self.rings_m):
                    r = (ring + self.rings_m[band + 1]) / 2
                angle = math.radians(s * 360 / self.sectors)
                out.append(self._name_at(r * math.sin(angle), r * math.cos(angle)))
        return out

    def _name_at(self, x: float, y: float) -> str:
        lat = self.centre[1] + y / _M_PER_DEG_LAT
        lon = self.centre[0] + x / (111_320.0 * math.cos(math.radians(self.centre[1])))
        return self.of((lon, lat))


def sector_name(index: int, sectors: int) -> str:
    names: Sequence[str] | None = _COMPASS.get(sectors)
    if names is not None:
        return names[index]
    return f"方面{index + 1}"
