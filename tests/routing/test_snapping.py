"""Snapping doors onto the nearest edge."""

from __future__ import annotations

import re

import numpy as np
import pytest

from routing.errors import InputError
from routing.snapping import (
    SnappedPoint,
    Snapper,
    point_on_edge,
    random_points_near_roads,
    snap_points,
)

from .conftest import A, B, C, edge_of, toy_lonlat


def test_snaps_to_the_nearest_edge_not_node(toy):
    # 6 m west of the one-way B -> C, a quarter of the way from B
    (p,) = snap_points(toy, [toy_lonlat(-306.0, 100.0)])
    assert p.edge == edge_of(toy, B, C)
    assert p.fraction == pytest.approx(0.25, abs=1e-6)
    assert p.distance_m == pytest.approx(6.0, abs=0.01)
    assert (p.lon, p.lat) == pytest.approx(toy_lonlat(-300.0, 100.0), abs=1e-9)


def test_two_way_streets_snap_to_one_canonical_edge(toy):
    (p,) = snap_points(toy, [toy_lonlat(-100.0, 3.0)])  # beside A-B, 100 m from A
    ab, ba = edge_of(toy, A, B), edge_of(toy, B, A)
    assert p.edge == min(ab, ba)
    expected = 100 / 300 if p.edge == ab else 200 / 300
    assert p.fraction == pytest.approx(expected, abs=1e-6)


def test_snapped_points_lie_on_their_edge(tachikawa):
    doors = random_points_near_roads(tachikawa, 200, seed=11, max_offset_m=20)
    points = Snapper(tachikawa).snap(doors)
    assert len(points) == 200
    for p in points:
        assert p.distance_m <= 20.01
        assert point_on_edge(tachikawa, p.edge, p.fraction) == pytest.approx(
            (p.lon, p.lat), abs=1e-9
        )


def test_random_doors_are_reproducible(tachikawa):
    a = random_points_near_roads(tachikawa, 5, seed=1)
    assert np.array_equal(a, random_points_near_roads(tachikawa, 5, seed=1))
    assert not np.array_equal(a, random_points_near_roads(tachikawa, 5, seed=2))


@pytest.mark.parametrize(
    ("graph", "lonlat", "where"),
    [
        ("tachikawa", (139.85, 35.55), "outside the map's area"),  # Tokyo Bay
        ("tachikawa", (139.40, 36.16), "outside the map's area"),  # 50 km north, Saitama hills
        ("kumamoto", (130.50, 32.78), "outside the map's area"),  # Ariake Sea
        ("kumamoto", (130.72, 32.30), "outside the map's area"),  # 50 km south
    ],
)
def test_far_points_are_refused_naming_the_point(request, graph, lonlat, where):
    g = request.getfixturevalue(graph)
    ok = random_points_near_roads(g, 1, seed=0)[0]
    with pytest.raises(InputError) as info:
        Snapper(g).snap([tuple(ok), lonlat])
    message = str(info.value)
    assert f"point 1 (lon={lonlat[0]:.6f}, lat={lonlat[1]:.6f})" in message
    assert where in message
    metres = float(re.search(r"is ([\d,]+) m from", message).group(1).replace(",", ""))
    assert metres > 5_000
    assert "point 0" not in message


def test_point_inside_the_map_but_far_from_roads(tachikawa):
    # a spot inside Tachikawa's bounding box, hundreds of metres from any public road
    with pytest.raises(
        InputError, match=r"point 0 .* is \d{3} m from the nearest drivable road \(max_snap_m=300"
    ):
        Snapper(tachikawa, max_snap_m=300).snap([(139.40, 35.71)])
    (p,) = Snapper(tachikawa, max_snap_m=1_000).snap([(139.40, 35.71)])
    assert 300 < p.distance_m < 1_000


@pytest.mark.parametrize(
    "points",
    [[(float("nan"), 35.7)], [(139.4, 95.0)], [(200.0, 35.0)], [[1.0, 2.0, 3.0]], "Tachikawa"],
)
def test_invalid_coordinates(tachikawa, points):
    with pytest.raises(InputError):
        snap_points(tachikawa, points)


def test_empty_and_single(tachikawa):
    assert snap_points(tachikawa, []) == []
    assert len(snap_points(tachikawa, np.array([139.4, 35.7]))) == 1


def test_invalid_settings_and_points(toy):
    with pytest.raises(InputError, match="max_snap_m"):
        Snapper(toy, max_snap_m=0)
    with pytest.raises(InputError, match="fraction"):
        SnappedPoint(0, 1.5, 0.0, 0.0, 0.0)
    with pytest.raises(InputError, match="edge"):
        SnappedPoint(-1, 0.5, 0.0, 0.0, 0.0)
