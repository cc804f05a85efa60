"""The town's road graph for the service: snapping points and each day's matrix.

One `TownRoads` per process. Matrices are a per-process cache keyed by service day:
the stored location list is the truth, so a cache that is behind is extended
(`extend_matrix`: one forward and one backward search per new point) and one that is
ahead (a request that added points and then failed) is cut back.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Sequence
from datetime import date

import numpy as np

from api.problems import invalid_field
from routing.errors import InputError
from routing.graph import RoadGraph
from routing.matrix import TravelMatrix, build_matrix, extend_matrix
from routing.snapping import SnappedPoint, Snapper

log = logging.getLogger(__name__)

MAX_CACHED_DAYS = 8


class TownRoads:
    """Snapping and per-day matrices over one road graph (thread-safe)."""

    def __init__(self, graph: RoadGraph, *, max_snap_m: float) -> None:
        self.graph = graph
        self.max_snap_m = float(max_snap_m)
        self._snapper = Snapper(graph, max_snap_m=max_snap_m)
        self._matrices: dict[date, TravelMatrix] = {}
        self._lock = threading.Lock()

    def snap(self, lon: float, lat: float, *, field: str) -> SnappedPoint:
        """The point on the nearest road, or 422 naming `field` if it is off the network."""
        if not (math.isfinite(lon) and math.isfinite(lat)):
            raise invalid_field(field, "座標が正しくありません", "lon/lat must be finite numbers")
        try:
            return self._snapper.snap(np.array([[lon, lat]], dtype=float))[0]
        except InputError as exc:
            raise invalid_field(
                field,
                f"道路網から {self.max_snap_m:g} m 以上離れています（地図の範囲外の可能性）",
                str(exc).replace("point 0 ", "the point ", 1),
                code="off_road_network",
            ) from exc

    def matrix(self, day: date, points: Sequence[SnappedPoint]) -> TravelMatrix:
        """The matrix over exactly `points` (the day's stored locations, in order)."""
        points = tuple(points)
        with self._lock:
            cached = self._matrices.get(day)
        n = len(points)
        if cached is not None and cached.points[: min(n, cached.n)] == points[: cached.n]:
            if cached.n == n:
                return cached
            if cached.n > n:
                return TravelMatrix(
                    cached.time_s[:n, :n], cached.distance_m[:n, :n], cached.points[:n]
                )
            matrix = extend_matrix(self.graph, cached, points[cached.n :])
        else:
            matrix = build_matrix(self.graph, points) if points else _empty()
            log.info("matrix of %s built: %d locations", day.isoformat(), n)
        with self._lock:
            if len(self._matrices) >= MAX_CACHED_DAYS and day not in self._matrices:
                self._matrices.pop(min(self._matrices))
            current = self._matrices.get(day)
            if current is None or current.n <= matrix.n:
                self._matrices[day] = matrix
        return matrix


def _empty() -> TravelMatrix:
    return TravelMatrix(np.zeros((0, 0), dtype=np.int32), np.zeros((0, 0), dtype=np.int32), ())
