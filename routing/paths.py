"""Polylines of fastest paths, for maps and turn-by-turn display.

Coordinates are ``(lon, lat)`` degrees; lengths are metres. The path is the
one the matrix measures (same augmented graph, same packed weights), so its
length matches ``TravelMatrix.distance_m`` up to rounding.
"""

from __future__ import annotations

from itertools import pairwise

import numpy as np
from scipy.sparse.csgraph import dijkstra

from routing.errors import RoutingError
from routing.graph import RoadGraph
from routing.matrix import augment
from routing.osm_parse import great_circle_m
from routing.snapping import SnappedPoint, edge_slice


def path_geometry(graph: RoadGraph, a: SnappedPoint, b: SnappedPoint) -> list[tuple[float, float]]:
    """Polyline of the fastest path from `a` to `b`, from a's to b's snapped position.

    Includes the partial first and last edges and every edge's OSM geometry.

    Raises
    ------
    RoutingError
        No path from `a` to `b`.
    """
    aug = augment(graph, [a, b])
    src, dst = (int(x) for x in aug.point_node)
    _, pred = dijkstra(aug.csr, directed=True, indices=src, return_predecessors=True)
    if src != dst and pred[dst] < 0:
        raise RoutingError(
            f"no road path from ({a.lon:.6f}, {a.lat:.6f}) to ({b.lon:.6f}, {b.lat:.6f})"
        )
    nodes = [dst]
    while nodes[-1] != src:
        nodes.append(int(pred[nodes[-1]]))
    nodes.reverse()
    pieces = [np.array([[a.lon, a.lat]])]
    for x, y in pairwise(nodes):
        k = aug.entry(x, y)
        pieces.append(edge_slice(graph, int(aug.entry_edge[k]), aug.entry_f0[k], aug.entry_f1[k]))
    pieces.append(np.array([[b.lon, b.lat]]))
    coords = np.concatenate(pieces)
    # drop repeated points (edge joints, the snapped ends themselves)
    keep = np.ones(len(coords), bool)
    keep[1:] = np.any(np.abs(np.diff(coords, axis=0)) > 1e-9, axis=1)
    coords = coords[keep]
    if len(coords) == 1:
        coords = np.concatenate([coords, coords])
    return [(float(lon), float(lat)) for lon, lat in coords]


def polyline_length_m(coords: list[tuple[float, float]] | np.ndarray) -> float:
    """Great-circle length of a (lon, lat) polyline, metres."""
    arr = np.asarray(coords, dtype=float)
    if len(arr) < 2:
        return 0.0
    return float(great_circle_m(arr[:-1, 0], arr[:-1, 1], arr[1:, 0], arr[1:, 1]).sum())
