"""Districts for fairness: rings and compass sectors by hand, or the nearest centre."""

from __future__ import annotations

import pytest

from scenarios.districts import CENTRE_NAME, Districts, distance_m
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
