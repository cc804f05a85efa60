"""Districts for fairness: rings and compass sectors by hand, or the nearest centre."""

from __future__ import annotations

import itertools

import pytest
import shapely
from shapely.geometry import Point

from scenarios.districts import (
    CENTRE_NAME,
    Districts,
    distance_m,
    district_zones,
    local_xy,
    lonlat_at,
    service_disc,
)
from scenarios.tables import NamedPoint

CENTRE = (138.0, 35.0)
M_LAT = 1 / 110_574.0  # degrees of latitude per metre


def north(m: float) -> tuple[float, float]:
    return (CENTRE[0], CENTRE[1] + m * M_LAT)


def test_rings_and_sectors():
    d = Districts(CENTRE, (1000.0, 3000.0), 4)
    assert d.of(CENTRE) == CENTRE_NAME
    assert d.of(north(999)) == CENTRE_NAME
    assert d.of(north(1500)) == "北部（1〜3 km）"
    assert d.of(north(5000)) == "北部（3 km〜）"
    assert d.of((CENTRE[0], CENTRE[1] - 2000 * M_LAT)) == "南部（1〜3 km）"
    east = (CENTRE[0] + 0.03, CENTRE[1])  # ~2.7 km east
    assert d.of(east) == "東部（1〜3 km）"
    assert set(d.names()) == {CENTRE_NAME} | {
        f"{s}（{band}）" for s in ("北部", "東部", "南部", "西部") for band in ("1〜3 km", "3 km〜")
    }


def test_one_ring_has_plain_sector_names():
    d = Districts(CENTRE, (1000.0,), 8)
    assert d.of(north(2000)) == "北部"
    assert len(d.names()) == 9


def test_nearest_named_centre_wins():
    centres = (NamedPoint("高遠", 138.05, 35.0), NamedPoint("中心", 138.0, 35.0))
    d = Districts(CENTRE, centres=centres)
    assert d.of((138.04, 35.0)) == "高遠"
    assert d.of((138.01, 35.001)) == "中心"
    assert d.names() == ["高遠", "中心"]


def test_distance_is_metres():
    assert distance_m(CENTRE, north(2500)) == pytest.approx(2500, rel=1e-3)


def test_lonlat_at_undoes_local_xy():
    x, y = local_xy(138.0312, 34.9871, CENTRE)
    assert lonlat_at(x, y, CENTRE) == pytest.approx((138.0312, 34.9871), abs=1e-12)


def _zone_named_at(zones, x: float, y: float) -> str:
    (name,) = [n for n, z in zones if z.contains(Point(x, y))]
    return name


@pytest.mark.parametrize(
    "districts",
    [
        Districts(CENTRE, (1000.0, 3000.0), 4),
        Districts(CENTRE, (1000.0,), 8),
        Districts(CENTRE, (1000.0, 2000.0), 1),
        Districts(CENTRE, (), 4),
        Districts(
            CENTRE,
            centres=(
                NamedPoint("高遠", 138.03, 35.0),
                NamedPoint("中心", 138.0, 35.0),
                NamedPoint("北", 137.99, 35.03),
            ),
        ),
    ],
    ids=["rings-4", "ring-8", "rings-1", "no-rings", "named"],
)
def test_zones_tile_the_disc_and_agree_with_of(districts):
    radius = 4000.0
    zones = district_zones(districts, radius)
    disc = service_disc(radius)
    assert all(z.is_valid for _, z in zones)
    assert sum(z.area for _, z in zones) == pytest.approx(disc.area, rel=1e-9)
    assert shapely.union_all([z for _, z in zones]).symmetric_difference(disc).area < 1e-6
    assert sorted(n for n, _ in zones) == sorted(districts.names())
    grid = itertools.product(range(-3950, 3951, 290), range(-3937, 3951, 290))  # off diagonals
    for x, y in grid:
        if x * x + y * y < 3900**2:
            assert _zone_named_at(zones, x, y) == districts.of(lonlat_at(x, y, CENTRE)), (x, y)


def test_districts_beyond_the_service_radius_are_left_out():
    zones = district_zones(Districts(CENTRE, (1000.0, 3000.0), 4), 2000.0)
    assert [n for n, _ in zones] == [CENTRE_NAME] + [
        f"{s}（1〜3 km）" for s in ("北部", "東部", "南部", "西部")
    ]
    assert max(z.bounds[3] for _, z in zones) == pytest.approx(2000.0)


def test_one_named_centre_is_the_whole_disc():
    zones = district_zones(Districts(CENTRE, centres=(NamedPoint("町", 139.0, 36.0),)), 500.0)
    assert [n for n, _ in zones] == ["町"]
    assert zones[0][1].equals(service_disc(500.0))
