"""Road graphs shared by the routing tests: a hand-checkable toy and the bundled towns.

The toy town (factor 1.0, so every time is length / class speed)::

        D
        |  living_street 100 m, 18 s (two-way)
        C ------------.
        ^              \\   bypass: tertiary, maxspeed 60, 700 m, 42 s (two-way)
        | one-way       |
        | tertiary      |   direct: residential 500 m, 60 s (two-way, A-C diagonal)
        | 400 m, 36 s   |
        B ---- A -------'
          residential 300 m, 36 s (two-way)

A and C are joined by two parallel streets: the direct one is shorter, the
bypass faster; fastest paths take the bypass.
"""

from __future__ import annotations

import math
from pathlib import Path

import networkx as nx
import pytest
from shapely import LineString

from routing.graph import (
    RoadGraph,
    graph_from_graphml,
    graph_from_multidigraph,
    graph_from_overpass_json,
)
from routing.snapping import SnappedPoint
from routing.speeds import SpeedTable

TOY_LON, TOY_LAT = 137.95, 35.84  # Ina, Nagano
M_PER_DEG_LAT = 6_371_009.0 * math.pi / 180
M_PER_DEG_LON = M_PER_DEG_LAT * math.cos(math.radians(TOY_LAT))
TOY_XY = {1: (0.0, 0.0), 2: (-300.0, 0.0), 3: (-300.0, 400.0), 4: (-300.0, 500.0)}
A, B, C, D = 1, 2, 3, 4


def toy_lonlat(x: float, y: float) -> tuple[float, float]:
    """Metres east/north of the toy origin to (lon, lat)."""
    return TOY_LON + x / M_PER_DEG_LON, TOY_LAT + y / M_PER_DEG_LAT


def toy_multidigraph() -> nx.MultiDiGraph:
    G = nx.MultiDiGraph(crs="epsg:4326")
    for osmid, (x, y) in TOY_XY.items():
        lon, lat = toy_lonlat(x, y)
        G.add_node(osmid, x=lon, y=lat)

    def street(
        u: int, v: int, two_way: bool, geometry: list[tuple[float, float]] | None = None, **attrs
    ):
        line = LineString([toy_lonlat(*p) for p in geometry]) if geometry else None
        extra = {"geometry": line} if line is not None else {}
        G.add_edge(u, v, **attrs, **extra)
        if two_way:
            back = {"geometry": line.reverse()} if line is not None else {}
            G.add_edge(v, u, **attrs, **back)

    street(A, B, True, length=300.0, highway="residential")
    street(B, C, False, length=400.0, highway="tertiary", oneway=True)
    street(A, C, True, length=500.0, highway="residential")
    street(
        A,
        C,
        True,
        [TOY_XY[A], (0.0, 400.0), TOY_XY[C]],
        length=700.0,
        highway="tertiary",
        maxspeed="60",
    )
    street(C, D, True, length=100.0, highway="living_street")
    return G


@pytest.fixture(scope="session")
def toy_speeds() -> SpeedTable:
    return SpeedTable(factor=1.0)


@pytest.fixture(scope="session")
def toy(toy_speeds: SpeedTable) -> RoadGraph:
    return graph_from_multidigraph(toy_multidigraph(), toy_speeds, source="toy town")


def edge_of(graph: RoadGraph, u: int, v: int, highway: str | None = None) -> int:
    """Index of the edge osmid u -> osmid v (of class `highway` if given)."""
    iu, iv = graph.node_index(u), graph.node_index(v)
    hits = [
        e
        for e in range(graph.n_edges)
        if graph.edge_u[e] == iu
        and graph.edge_v[e] == iv
        and highway in (None, graph.edge_highway[e])
    ]
    assert len(hits) == 1, (u, v, highway, hits)
    return hits[0]


def on_edge(graph: RoadGraph, edge: int, fraction: float) -> SnappedPoint:
    """A snapped point at `fraction` along `edge`."""
    from routing.snapping import point_on_edge

    lon, lat = point_on_edge(graph, edge, fraction)
    return SnappedPoint(edge, fraction, lon, lat, 0.0)


@pytest.fixture(scope="session")
def tachikawa_path(data_dir: Path) -> Path:
    return data_dir / "osm" / "tachikawa_drive.graphml"


@pytest.fixture(scope="session")
def kumamoto_path(data_dir: Path) -> Path:
    return data_dir / "osm" / "kumamoto_central_drive.overpass.json"


@pytest.fixture(scope="session")
def tachikawa(tachikawa_path: Path) -> RoadGraph:
    return graph_from_graphml(tachikawa_path, SpeedTable())


@pytest.fixture(scope="session")
def kumamoto(kumamoto_path: Path) -> RoadGraph:
    return graph_from_overpass_json(kumamoto_path, SpeedTable())
