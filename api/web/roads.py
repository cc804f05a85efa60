"""Road geometry for the dispatcher's map: simplified polylines in ``[lon, lat]``.

There is no tile server: the board draws the town from the same `RoadGraph` the
router uses. Each two-way street is drawn once (the edge with the smaller index
of a reverse pair), polylines are simplified with Douglas-Peucker in a local
metric projection (tolerance in metres) and rounded to 5 decimals (~1 m); the
response groups them in layers by road class, minor roads first (draw in order).

Units: coordinates ``[lon, lat]`` in degrees (WGS 84), tolerances in metres.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from itertools import pairwise
from typing import Any

import numpy as np
import shapely

from routing.errors import InputError
from routing.graph import RoadGraph
from routing.paths import path_geometry, polyline_length_m
from routing.snapping import LocalProjection, Snapper

log = logging.getLogger(__name__)

MAP_FORMAT = "noriai.map/1"
PATH_FORMAT = "noriai.path/1"
MAX_PATH_POINTS = 64
"""Most points one path request may join (a vehicle's remaining route fits)."""
DECIMALS = 5
"""Decimals of the returned degrees: 1e-5 deg is about 1 m."""


class RoadClass(StrEnum):
    """Road classes the map can draw, main roads first (OSM ``highway`` without ``_link``)."""

    motorway = "motorway"
    trunk = "trunk"
    primary = "primary"
    secondary = "secondary"
    tertiary = "tertiary"
    unclassified = "unclassified"
    residential = "residential"
    living_street = "living_street"
    road = "road"
    service = "service"


def road_class(highway: str) -> RoadClass:
    """The drawing class of an OSM ``highway`` value (``primary_link`` -> primary)."""
    base = highway.removesuffix("_link")
    try:
        return RoadClass(base)
    except ValueError:
        return RoadClass.road


@dataclass(frozen=True, slots=True)
class RoadMap:
    """The town's roads for drawing.

    Attributes
    ----------
    bbox
        ``(min_lon, min_lat, max_lon, max_lat)`` of the graph, degrees.
    roads
        ``(class, coords)`` per drawn road, in edge order; ``coords`` is an
        ``(n, 2)`` array of ``[lon, lat]``, n >= 2.
    source
        Where the graph came from (file name or place).
    """

    bbox: tuple[float, float, float, float]
    roads: tuple[tuple[RoadClass, np.ndarray], ...]
    source: str

    def as_dict(self, *, tolerance_m: float, classes: Iterable[RoadClass] | None = None) -> dict:
        """JSON-ready map; ``classes`` filters the roads (all when None)."""
        wanted = set(RoadClass) if classes is None else set(classes)
        layers = []
        for cls in reversed(RoadClass):  # minor roads first: main roads drawn on top
            lines = [np.round(xy, DECIMALS).tolist() for c, xy in self.roads if c is cls]
            if cls in wanted and lines:
                layers.append({"class": cls.value, "lines": lines})
        return {
            "format": MAP_FORMAT,
            "source": self.source,
            "bbox": [round(v, 6) for v in self.bbox],
            "tolerance_m": tolerance_m,
            "classes": [layer["class"] for layer in layers],
            "n_roads": sum(len(layer["lines"]) for layer in layers),
            "n_points": sum(len(line) for layer in layers for line in layer["lines"]),
            "layers": layers,
        }


def road_map(graph: RoadGraph, *, tolerance_m: float = 3.0) -> RoadMap:
    """Simplified drawing geometry of `graph`, one polyline per street.

    Parameters
    ----------
    graph
        The road graph.
    tolerance_m
        Douglas-Peucker tolerance, metres (0 keeps every point).
    """
    if not (tolerance_m >= 0):
        raise ValueError(f"road_map: tolerance_m must be >= 0 metres, got {tolerance_m!r}")
    rev = graph.edge_reverse
    assert rev is not None  # filled in by RoadGraph.__post_init__
    edges = np.flatnonzero((rev < 0) | (np.arange(graph.n_edges) < rev))
    proj = LocalProjection.for_graph(graph)
    x, y = proj.to_xy(graph.geom_lon, graph.geom_lat)
    off = graph.geom_offsets
    lines = [
        shapely.LineString(np.column_stack((x[off[e] : off[e + 1]], y[off[e] : off[e + 1]])))
        for e in edges
    ]
    if tolerance_m > 0:
        lines = list(shapely.simplify(np.asarray(lines, dtype=object), tolerance_m))
    roads = []
    for e, line in zip(edges, lines, strict=True):
        coords = shapely.get_coordinates(line)
        if len(coords) < 2:  # a loop simplified to a point: keep the original
            coords = np.column_stack((x[off[e] : off[e + 1]], y[off[e] : off[e + 1]]))
        lon, lat = proj.to_lonlat(coords[:, 0], coords[:, 1])
        roads.append((road_class(str(graph.edge_highway[e])), np.column_stack((lon, lat))))
    return RoadMap(tuple(float(v) for v in graph.info.bbox), tuple(roads), graph.info.source)  # type: ignore[arg-type]


class RoadMapCache:
    """Builds the map once per tolerance from a lazily loaded graph; thread-safe.

    ``load`` is called at most once, on the first request (not at app start, so
    pages and the API come up even when the map file is slow or missing).
    """

    def __init__(self, load: Callable[[], RoadGraph], *, max_snap_m: float = 300.0) -> None:
        self._load = load
        self._max_snap_m = max_snap_m
        self._graph: RoadGraph | None = None
        self._snapper: Snapper | None = None
        self._bodies: dict[tuple[float, tuple[str, ...] | None], bytes] = {}
        self._maps: dict[float, RoadMap] = {}
        self._lock = threading.Lock()

    def graph(self) -> RoadGraph:
        with self._lock:
            if self._graph is None:
                self._graph = self._load()
            return self._graph

    def body(self, *, tolerance_m: float, classes: tuple[RoadClass, ...] | None) -> bytes:
        """The JSON body for these parameters (cached)."""
        names = None if classes is None else tuple(sorted(c.value for c in classes))
        key = (tolerance_m, names)
        with self._lock:
            cached = self._bodies.get(key)
        if cached is not None:
            return cached
        graph = self.graph()
        with self._lock:
            rmap = self._maps.get(tolerance_m)
        if rmap is None:
            rmap = road_map(graph, tolerance_m=tolerance_m)
            log.info(
                "road map %s: %d roads at %.1f m tolerance",
                rmap.source,
                len(rmap.roads),
                tolerance_m,
            )
        data: dict[str, Any] = rmap.as_dict(tolerance_m=tolerance_m, classes=classes)
        body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
        with self._lock:
            self._maps.setdefault(tolerance_m, rmap)
            if len(self._bodies) < 32:  # a handful of parameter sets in practice
                self._bodies[key] = body
        return body

    def path(self, points: list[tuple[float, float]]) -> dict[str, Any]:
        """The road path through `points` (``[lon, lat]``, in order), for drawing a route.

        Each point is snapped to the nearest road (at most ``max_snap_m`` away) and
        consecutive points are joined by the fastest path, as the matrix measures it.

        Raises
        ------
        InputError
            Fewer than 2 or more than `MAX_PATH_POINTS` points, or a point too far
            from every road (the message names it).
        RoutingError
            No road path between two consecutive points.
        """
        if not 2 <= len(points) <= MAX_PATH_POINTS:
            raise InputError(
                f"points: give 2 to {MAX_PATH_POINTS} [lon, lat] pairs, got {len(points)}"
            )
        graph = self.graph()
        with self._lock:
            if self._snapper is None:
                self._snapper = Snapper(graph, max_snap_m=self._max_snap_m)
            snapper = self._snapper
        snapped = snapper.snap(np.asarray(points, dtype=float))
        coords: list[tuple[float, float]] = []
        for a, b in pairwise(snapped):
            leg = path_geometry(graph, a, b)
            coords.extend(leg if not coords else leg[1:])
        return {
            "format": PATH_FORMAT,
            "legs": len(snapped) - 1,
            "length_m": round(polyline_length_m(coords)),
            "coords": np.round(np.asarray(coords), DECIMALS).tolist(),
        }
