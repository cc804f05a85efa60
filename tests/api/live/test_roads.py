"""Per-day matrices: a cache that is behind is extended, one that is ahead is cut back,
and either way the matrix equals a full build over the stored locations."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from api.live.roads import TownRoads
from api.problems import ApiProblem
from routing.matrix import build_matrix
from tests.api.conftest import HOMES, OFF_NETWORK, PLACES

DAY = date(2025, 6, 2)


@pytest.fixture(scope="module")
def roads(town_graph):
    return TownRoads(town_graph, max_snap_m=300)


def points(roads):
    coords = [(lon, lat) for _, _, lon, lat in PLACES.values()] + list(HOMES.values())
    return [roads.snap(lon, lat, field="x") for lon, lat in coords]


def test_matrix_grows_and_shrinks_with_the_stored_list(roads, town_graph):
    pts = points(roads)
    small = roads.matrix(DAY, pts[:3])
    grown = roads.matrix(DAY, pts)
    full = build_matrix(town_graph, pts)
    assert np.array_equal(grown.time_s, full.time_s) and np.array_equal(
        grown.distance_m, full.distance_m
    )
    assert np.array_equal(grown.time_s[:3, :3], small.time_s)
    cut = roads.matrix(DAY, pts[:4])  # a request added points, then failed
    assert cut.n == 4 and np.array_equal(cut.time_s, full.time_s[:4, :4])
    other = roads.matrix(DAY, [pts[5], pts[0]])  # a different list: rebuilt
    assert other.time_s[0, 1] == full.time_s[5, 0]


def test_off_network_points_are_422_naming_the_field(roads):
    with pytest.raises(ApiProblem) as err:
        roads.snap(*OFF_NETWORK, field="pickup")
    assert err.value.status == 422 and err.value.errors[0].field == "pickup"
    with pytest.raises(ApiProblem):
        roads.snap(float("nan"), 35.7, field="pickup")
