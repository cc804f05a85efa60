"""Polylines of fastest paths."""

from __future__ import annotations

import numpy as np
import pytest

from routing.matrix import build_matrix
from routing.paths import path_geometry, polyline_length_m
from routing.snapping import Snapper, random_points_near_roads

from .conftest import A, B, C, edge_of, on_edge, toy_lonlat


def close(coords, expected_xy):
    assert len(coords) == len(expected_xy)
    for got, xy in zip(coords, expected_xy, strict=True):
        assert got == pytest.approx(toy_lonlat(*xy), abs=1e-9)


def test_toy_paths_follow_streets_and_partial_edges(toy):
    q = on_edge(toy, edge_of(toy, A, B), 0.25)  # 75 m west of A
    p = on_edge(toy, edge_of(toy, B, C), 0.5)  # half way up the one-way street
    close(path_geometry(toy, q, p), [(-75, 0), (-300, 0), (-300, 200)])
    # back: up the one-way street to C, the bypass with its corner, then A, then q
    close(path_geometry(toy, p, q), [(-300, 200), (-300, 400), (0, 400), (0, 0), (-75, 0)])


def test_same_edge_and_same_point(toy):
    e = edge_of(toy, B, C)
    close(
        path_geometry(toy, on_edge(toy, e, 0.25), on_edge(toy, e, 0.75)), [(-300, 100), (-300, 300)]
    )
    p = on_edge(toy, e, 0.5)
    assert path_geometry(toy, p, p) == [(p.lon, p.lat), (p.lon, p.lat)]


def test_real_paths_match_the_matrix(tachikawa):
    points = Snapper(tachikawa).snap(random_points_near_roads(tachikawa, 8, seed=21))
    m = build_matrix(tachikawa, points)
    for i in range(8):
        for j in range(8):
            if i == j:
                continue
            line = path_geometry(tachikawa, points[i], points[j])
            assert line[0] == (points[i].lon, points[i].lat)
            assert line[-1] == (points[j].lon, points[j].lat)
            assert polyline_length_m(line) == pytest.approx(m.distance_m[i, j], rel=0.01, abs=3.0)


def test_polyline_length():
    assert polyline_length_m([]) == 0.0
    assert polyline_length_m(np.array([toy_lonlat(0, 0), toy_lonlat(300, 400)])) == pytest.approx(
        500, abs=0.5
    )
