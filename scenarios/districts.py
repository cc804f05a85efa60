"""Districts (地区) for fairness: is a remote hamlet served as well as the centre?

Two ways to cut a town, both deterministic and cheap:

- rings and sectors around the centre: inside the first ring is 中心市街地 (town
  centre); outside, compass sectors (北部, 東部, ...) per ring band, so "north, beyond
  3 km" is its own district;
- named district centres (a planner's CSV): each point belongs to the nearest one.

Distances use a local equirectangular projection (error well below 1 % over a town).
`district_zones` draws the same districts as polygons inside a service radius, so what a
published feed shows riders is what the fairness tables count.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import shapely
from shapely.geometry import MultiPoint, MultiPolygon, Point, Polygon

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


def lonlat_at(x: float, y: float, origin: tuple[float, float]) -> tuple[float, float]:
    """The (lon, lat) ``x`` metres east and ``y`` north of ``origin``: `local_xy` undone."""
    lat = origin[1] + y / _M_PER_DEG_LAT
    lon = origin[0] + x / (111_320.0 * math.cos(math.radians(origin[1])))
    return lon, lat


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
        return self.of(lonlat_at(x, y, self.centre))


def sector_name(index: int, sectors: int) -> str:
    names: Sequence[str] | None = _COMPASS.get(sectors)
    if names is not None:
        return names[index]
    return f"方面{index + 1}"


_ARC_SEGMENTS = 16  # per quarter circle: the circle's edge strays under 0.5 % of the radius


def service_disc(radius_m: float) -> Polygon:
    """The service area, a disc of ``radius_m`` around the centre, in local metres."""
    return Point(0.0, 0.0).buffer(radius_m, quad_segs=_ARC_SEGMENTS)


Zone = Polygon | MultiPolygon


def district_zones(districts: Districts, radius_m: float) -> list[tuple[str, Zone]]:
    """Each district as a polygon in local metres around ``districts.centre``, clipped to
    the service disc of ``radius_m``; districts wholly outside it are left out, and so are
    slivers under 1 m² that clipping in floating point may leave.

    The polygons tile the disc, and each is named by `Districts.of` at a point inside it,
    so the names always agree with the tables. Ring and sector districts become discs,
    annuli and ring sectors; named centres become Voronoi cells.
    """
    disc = service_disc(radius_m)
    if districts.centres:
        points = MultiPoint([local_xy(c.lon, c.lat, districts.centre) for c in districts.centres])
        cells = (
            [disc]
            if len(points.geoms) == 1
            else list(shapely.voronoi_polygons(points, extend_to=disc).geoms)
        )
    else:
        cells = _rings_and_sectors(districts, radius_m)
    out: list[tuple[str, Zone]] = []
    for cell in cells:
        clipped = shapely.get_parts(cell.intersection(disc))
        parts = [g for g in clipped if isinstance(g, Polygon) and g.area >= 1.0]
        if parts:
            zone = parts[0] if len(parts) == 1 else MultiPolygon(parts)
            x, y = zone.representative_point().coords[0]
            out.append((districts.of(lonlat_at(x, y, districts.centre)), zone))
    return out


def _rings_and_sectors(districts: Districts, radius_m: float) -> list[Polygon]:
    rings = [r for r in districts.rings_m if r < radius_m]
    edges = [*rings, radius_m]
    circles = [service_disc(r) for r in edges]
    if not rings:
        return [circles[0]]
    bands = [circles[i + 1].difference(circles[i]) for i in range(len(rings))]
    if districts.sectors == 1:
        return [circles[0], *bands]
    width = 360 / districts.sectors
    wedges = [_wedge(s * width - width / 2, width, 2 * radius_m) for s in range(districts.sectors)]
    return [circles[0], *(band.intersection(w) for band in bands for w in wedges)]


def _wedge(start_deg: float, width_deg: float, reach_m: float) -> Polygon:
    """The pie slice from bearing ``start_deg`` clockwise over ``width_deg`` (0 = north)."""
    steps = max(2, math.ceil(width_deg / 10))
    bearings = [math.radians(start_deg + width_deg * i / steps) for i in range(steps + 1)]
    arc = [(reach_m * math.sin(b), reach_m * math.cos(b)) for b in bearings]
    return Polygon([(0.0, 0.0), *arc])
