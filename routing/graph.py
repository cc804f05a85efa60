"""Road graphs: an immutable, index-based `RoadGraph` and the loaders that build it.

Units: coordinates ``(lon, lat)`` in degrees (WGS 84), lengths in whole metres,
travel times in whole seconds. Every edge has length >= 1 m and time >= 1 s.

Loaders (one naming family, all keep only the largest strongly connected
component and record what was dropped in `GraphInfo`):

- `graph_from_graphml` — an OSMnx GraphML file (already simplified);
- `graph_from_osm_file` — OSM XML (.osm, .osm.bz2, .osm.gz) or PBF;
- `graph_from_overpass_json` — a raw Overpass API JSON response;
- `graph_from_place` — download with OSMnx (network access; never in tests);
- `graph_from_multidigraph` — any OSMnx-style ``networkx.MultiDiGraph``;
- `load_graph` — dispatch on the file name, else a place name; optional cache.

Raw OSM (XML, PBF, Overpass) goes through `routing.osm_parse` (drive filter,
one-way rules, per-segment travel times) and `osmnx.simplify_graph`; the travel
times of the merged segments are summed, so a posted speed change in the
middle of a simplified edge is honoured exactly.

This is the only module that imports osmnx (lazily: importing `routing.graph`
does not pull in osmnx, geopandas or pandas).
"""

from __future__ import annotations

import logging
import re
import time
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np

from routing.errors import InputError, RoutingError
from routing.osm_parse import (
    OSM_SUFFIXES,
    RawOsm,
    build_multidigraph,
    great_circle_m,
    read_osm_file,
    read_overpass_json,
)
from routing.speeds import SpeedTable, round_half_up, whole_seconds

log = logging.getLogger(__name__)

_SUFFIX = re.compile(r"\.[A-Za-z0-9]{2,8}$")

PLACE_FILTER = (
    '["highway"~"^(motorway|trunk|primary|secondary|tertiary)(_link)?$|'
    '^(unclassified|residential|living_street|road|service)$"]'
    '["area"!~"yes"]["access"!~"^(no|private)$"]["motor_vehicle"!~"^no$"]["motorcar"!~"^no$"]'
    '["service"!~"parking_aisle|parking|driveway|private|emergency_access"]'
    '["oneway"!~"reversible"]'
)
"""Overpass filter of `graph_from_place`, the online twin of `osm_parse.is_drivable`."""


@dataclass(frozen=True, slots=True)
class GraphInfo:
    """Where a graph came from and what was done to it.

    ``nodes_read``/``edges_read`` count the graph as read (unsimplified for raw
    OSM); ``nodes_dropped``/``edges_dropped`` were outside the largest strongly
    connected component (counted before simplification); ``nodes``/``edges``
    are the final counts. ``bbox`` is ``(min_lon, min_lat, max_lon, max_lat)``.
    """

    source: str
    nodes_read: int
    edges_read: int
    nodes_dropped: int
    edges_dropped: int
    nodes: int
    edges: int
    bbox: tuple[float, float, float, float]
    speeds: SpeedTable
    simplified: bool
    notes: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready description."""
        return {
            "source": self.source,
            "nodes_read": self.nodes_read,
            "edges_read": self.edges_read,
            "nodes_dropped": self.nodes_dropped,
            "edges_dropped": self.edges_dropped,
            "nodes": self.nodes,
            "edges": self.edges,
            "bbox": list(self.bbox),
            "speeds": self.speeds.as_dict(),
            "simplified": self.simplified,
            "notes": list(self.notes),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> GraphInfo:
        """Inverse of `as_dict`."""
        sp = data["speeds"]
        return cls(
            source=str(data["source"]),
            nodes_read=int(data["nodes_read"]),
            edges_read=int(data["edges_read"]),
            nodes_dropped=int(data["nodes_dropped"]),
            edges_dropped=int(data["edges_dropped"]),
            nodes=int(data["nodes"]),
            edges=int(data["edges"]),
            bbox=tuple(float(x) for x in data["bbox"]),  # type: ignore[arg-type]
            speeds=SpeedTable(sp["kmh"], sp["factor"], sp["fallback_kmh"]),
            simplified=bool(data["simplified"]),
            notes=tuple(data.get("notes", ())),
        )


@dataclass(frozen=True, slots=True, eq=False)
class RoadGraph:
    """A directed road graph as numpy arrays, nodes and edges by index.

    Parameters
    ----------
    node_osmid, lon, lat
        Per node: OSM id, longitude and latitude (degrees).
    edge_u, edge_v
        Per edge: tail and head node index.
    edge_length_m, edge_time_s
        Per edge: length (metres, >= 1) and travel time (seconds, >= 1).
    edge_highway
        Per edge: OSM ``highway`` class (the slowest one for merged edges).
    geom_lon, geom_lat, geom_offsets
        Edge polylines, flat: edge ``e`` is points ``geom_offsets[e]:geom_offsets[e+1]``,
        from node ``edge_u[e]`` to node ``edge_v[e]`` (at least two points).
    info
        Provenance, see `GraphInfo`.
    edge_reverse
        Per edge: index of the edge that runs along the same road in the
        opposite direction (the other half of a two-way street), or -1 for a
        one-way street. Computed from the geometry when omitted.

    Arrays are copied and made read-only. Parallel edges between the same
    pair of nodes are allowed (the matrix uses the fastest).
    """

    node_osmid: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    edge_u: np.ndarray
    edge_v: np.ndarray
    edge_length_m: np.ndarray
    edge_time_s: np.ndarray
    edge_highway: np.ndarray
    geom_lon: np.ndarray
    geom_lat: np.ndarray
    geom_offsets: np.ndarray
    info: GraphInfo
    edge_reverse: np.ndarray | None = field(default=None)

    def __post_init__(self) -> None:
        fix = object.__setattr__
        fix(self, "node_osmid", _readonly(self.node_osmid, np.int64, "node_osmid"))
        fix(self, "lon", _readonly(self.lon, np.float64, "lon"))
        fix(self, "lat", _readonly(self.lat, np.float64, "lat"))
        for name in ("edge_u", "edge_v", "edge_length_m", "edge_time_s"):
            fix(self, name, _readonly(getattr(self, name), np.int32, name))
        fix(self, "edge_highway", _readonly(self.edge_highway, np.str_, "edge_highway"))
        fix(self, "geom_lon", _readonly(self.geom_lon, np.float64, "geom_lon"))
        fix(self, "geom_lat", _readonly(self.geom_lat, np.float64, "geom_lat"))
        fix(self, "geom_offsets", _readonly(self.geom_offsets, np.int64, "geom_offsets"))
        self._validate()
        if self.edge_reverse is None:
            fix(self, "edge_reverse", reverse_edges(self))
        fix(self, "edge_reverse", _readonly(self.edge_reverse, np.int32, "edge_reverse"))
        if self.edge_reverse.shape != (self.n_edges,):
            raise InputError(f"RoadGraph.edge_reverse must have {self.n_edges} entries")

    def _validate(self) -> None:
        n, m = self.node_osmid.size, self.edge_u.size
        if n == 0 or m == 0:
            raise InputError("RoadGraph needs at least one node and one edge")
        for name in ("lon", "lat"):
            if getattr(self, name).shape != (n,):
                raise InputError(f"RoadGraph.{name} must have {n} entries (one per node)")
        for name in ("edge_v", "edge_length_m", "edge_time_s", "edge_highway"):
            if getattr(self, name).shape != (m,):
                raise InputError(f"RoadGraph.{name} must have {m} entries (one per edge)")
        for name in ("edge_u", "edge_v"):
            bad = np.flatnonzero((getattr(self, name) < 0) | (getattr(self, name) >= n))
            if bad.size:
                raise InputError(f"RoadGraph.{name}[{bad[0]}] is not a node index (0..{n - 1})")
        for name in ("edge_length_m", "edge_time_s"):
            bad = np.flatnonzero(getattr(self, name) < 1)
            if bad.size:
                raise InputError(f"RoadGraph.{name}[{bad[0]}] must be >= 1")
        off = self.geom_offsets
        if off.shape != (m + 1,) or off[0] != 0 or off[-1] != self.geom_lon.size:
            raise InputError("RoadGraph.geom_offsets must have m+1 entries from 0 to len(geom_lon)")
        if self.geom_lat.shape != self.geom_lon.shape:
            raise InputError("RoadGraph.geom_lat and geom_lon must have the same length")
        bad = np.flatnonzero(np.diff(off) < 2)
        if bad.size:
            raise InputError(f"RoadGraph edge {bad[0]} geometry has fewer than two points")
        if not (np.isfinite(self.geom_lon).all() and np.isfinite(self.geom_lat).all()):
            raise InputError("RoadGraph geometry has non-finite coordinates")

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return int(self.node_osmid.size)

    @property
    def n_edges(self) -> int:
        """Number of directed edges."""
        return int(self.edge_u.size)

    def edge_coords(self, edge: int) -> np.ndarray:
        """Polyline of `edge` as an array of shape (k, 2), columns lon, lat (degrees)."""
        a, b = self.geom_offsets[edge], self.geom_offsets[edge + 1]
        return np.column_stack((self.geom_lon[a:b], self.geom_lat[a:b]))

    def node_index(self, osmid: int) -> int:
        """Index of the node with OSM id `osmid` (InputError if absent)."""
        hits = np.flatnonzero(self.node_osmid == osmid)
        if hits.size == 0:
            raise InputError(f"node osmid {osmid} is not in graph {self.info.source}")
        return int(hits[0])


def reverse_edges(graph: RoadGraph) -> np.ndarray:
    """Pair each edge with its opposite-direction twin (same road, reversed polyline).

    Returns int32[m]: the twin's index or -1. Pairs are matched one-to-one;
    polylines must coincide within 1e-7 degrees (about 1 cm). Among several
    matches (duplicated ways), the one closest in length, then time, wins.
    """
    m = graph.n_edges
    twin = np.full(m, -1, dtype=np.int32)
    by_pair: dict[tuple[int, int], list[int]] = defaultdict(list)
    u, v = graph.edge_u.tolist(), graph.edge_v.tolist()
    length, seconds = graph.edge_length_m.tolist(), graph.edge_time_s.tolist()
    for e in range(m):
        by_pair[(u[e], v[e])].append(e)
    for e in range(m):
        if twin[e] >= 0:
            continue
        reversed_coords = graph.edge_coords(e)[::-1]
        best = None
        for f in by_pair.get((v[e], u[e]), ()):
            if f == e or twin[f] >= 0:
                continue
            coords = graph.edge_coords(f)
            if coords.shape == reversed_coords.shape and np.allclose(
                coords, reversed_coords, rtol=0.0, atol=1e-7
            ):
                key = (abs(length[f] - length[e]), abs(seconds[f] - seconds[e]), f)
                best = key if best is None or key < best else best
        if best is not None:
            twin[e], twin[best[2]] = best[2], e
    return twin


def graph_from_multidigraph(
    G: nx.MultiDiGraph,
    speeds: SpeedTable | None = None,
    *,
    source: str = "networkx graph",
    use_travel_time: bool = False,
    notes: tuple[str, ...] = (),
) -> RoadGraph:
    """Convert an OSMnx-style MultiDiGraph, keeping its largest strongly connected component.

    Nodes need ``x``/``y`` (lon/lat degrees); edges use ``length`` (metres,
    else computed from the geometry), ``highway``, ``maxspeed`` and an optional
    shapely ``geometry``. Travel times come from `speeds`, unless
    `use_travel_time` is set and the edge has ``travel_time`` (seconds).
    """
    speeds = speeds or SpeedTable()
    nodes_read, edges_read = len(G), G.number_of_edges()
    G, nodes_dropped, edges_dropped = _largest_scc(G, source)
    simplified = bool(G.graph.get("simplified"))
    return _to_road_graph(
        G,
        speeds,
        source=source,
        counts=(nodes_read, edges_read, nodes_dropped, edges_dropped),
        simplified=simplified,
        use_travel_time=use_travel_time,
        notes=notes,
    )


def graph_from_graphml(path: str | Path, speeds: SpeedTable | None = None) -> RoadGraph:
    """Load an OSMnx GraphML file (travel times from `speeds`, not from the file)."""
    ox = _osmnx()
    path = Path(path)
    if not path.is_file():
        raise InputError(f"map file {path} does not exist")
    try:
        G = ox.load_graphml(path)
    except Exception as exc:  # osmnx/networkx raise assorted parser errors
        raise RoutingError(f"cannot read GraphML {path}: {exc}") from exc
    return graph_from_multidigraph(G, speeds, source=str(path))


def graph_from_osm_file(
    path: str | Path, speeds: SpeedTable | None = None, *, simplify: bool = True
) -> RoadGraph:
    """Load OSM XML (.osm, .osm.bz2, .osm.gz) or PBF (.pbf, .osm.pbf), read with pyosmium."""
    return _graph_from_raw(read_osm_file(path), speeds or SpeedTable(), simplify=simplify)


def graph_from_overpass_json(
    path: str | Path, speeds: SpeedTable | None = None, *, simplify: bool = True
) -> RoadGraph:
    """Load a raw Overpass API JSON response (``elements`` of nodes and ways)."""
    return _graph_from_raw(read_overpass_json(path), speeds or SpeedTable(), simplify=simplify)


def graph_from_place(name: str, speeds: SpeedTable | None = None) -> RoadGraph:
    """Download the drive network of a place (e.g. "Ina, Nagano, Japan") with OSMnx.

    Needs network access (Nominatim + Overpass); save the result with
    `load_graph(..., cache_dir=...)` to avoid downloading again. Uses
    `PLACE_FILTER`; speeds of merged edges use the slowest class/posted speed.
    """
    ox = _osmnx()
    try:
        G = ox.graph_from_place(name, custom_filter=PLACE_FILTER, simplify=True, retain_all=True)
    except Exception as exc:  # network and geocoding errors of many kinds
        raise RoutingError(f"cannot download the road network of {name!r}: {exc}") from exc
    return graph_from_multidigraph(G, speeds, source=f"place:{name}")


def source_kind(source: str | Path) -> str:
    """'graphml', 'overpass', 'osm' (pyosmium formats) or 'place', by file name ending."""
    name = str(source).lower()
    if name.endswith(".graphml"):
        return "graphml"
    if name.endswith(".json"):
        return "overpass"
    if name.endswith(OSM_SUFFIXES):
        return "osm"
    return "place"


def load_graph(
    source: str | Path,
    speeds: SpeedTable | None = None,
    *,
    cache_dir: str | Path | None = None,
    simplify: bool = True,
) -> RoadGraph:
    """Load a graph from a file of any supported format, or a place name.

    With `cache_dir`, a cached copy (see `routing.cache`) is used when its
    fingerprint (source file, speeds, format) matches, else rebuilt and saved.
    `simplify=False` keeps raw OSM unsimplified (ignored for GraphML and places).
    """
    from routing import cache  # local: cache imports this module

    speeds = speeds or SpeedTable()
    kind = source_kind(source)
    if kind != "place" and not Path(source).is_file():
        raise InputError(f"map file {source} does not exist")
    if kind == "place" and _looks_like_a_file(str(source)):
        raise InputError(
            f"{source} is not a supported map file (.graphml, Overpass .json, "
            f"{', '.join(OSM_SUFFIXES)}); place names look like 'Ina, Nagano, Japan'"
        )
    started = time.perf_counter()
    cache_file = fingerprint = None
    if cache_dir is not None:
        fingerprint = cache.source_fingerprint(source, speeds, simplify=simplify)
        cache_file = cache.cache_path(cache_dir, source)
        cached = cache.load_cache(cache_file, fingerprint=fingerprint)
        if cached is not None:
            log.info(
                "graph %s: %d nodes, %d edges from cache %s",
                source,
                cached.graph.n_nodes,
                cached.graph.n_edges,
                cache_file,
            )
            return cached.graph
    if kind == "graphml":
        graph = graph_from_graphml(source, speeds)
    elif kind == "overpass":
        graph = graph_from_overpass_json(source, speeds, simplify=simplify)
    elif kind == "osm":
        graph = graph_from_osm_file(source, speeds, simplify=simplify)
    else:
        graph = graph_from_place(str(source), speeds)
    if cache_file is not None and fingerprint is not None:
        cache.save_cache(cache_file, graph, fingerprint=fingerprint)
    info = graph.info
    log.info(
        "graph %s: %d nodes, %d edges (read %d/%d, dropped %d/%d) in %.2f s",
        source,
        info.nodes,
        info.edges,
        info.nodes_read,
        info.edges_read,
        info.nodes_dropped,
        info.edges_dropped,
        time.perf_counter() - started,
    )
    return graph


def _looks_like_a_file(source: str) -> bool:
    """A path or a name with a file extension, which must not be geocoded by mistake."""
    return Path(source).exists() or "/" in source or "\\" in source or bool(_SUFFIX.search(source))


def _graph_from_raw(raw: RawOsm, speeds: SpeedTable, *, simplify: bool) -> RoadGraph:
    G = build_multidigraph(raw, speeds)
    nodes_read, edges_read = len(G), G.number_of_edges()
    G, nodes_dropped, edges_dropped = _largest_scc(G, raw.source)
    if simplify:
        ox = _osmnx()
        G = ox.simplify_graph(G, edge_attr_aggs={"length": sum, "travel_time": sum})
        G, n2, e2 = _largest_scc(G, raw.source)  # simplification keeps it strongly connected
        nodes_dropped, edges_dropped = nodes_dropped + n2, edges_dropped + e2
    notes = (f"{raw.ways_read} ways read, {raw.ways_skipped} not drivable", *raw.notes)
    return _to_road_graph(
        G,
        speeds,
        source=raw.source,
        counts=(nodes_read, edges_read, nodes_dropped, edges_dropped),
        simplified=simplify,
        use_travel_time=True,
        notes=notes,
    )


def _largest_scc(G: nx.MultiDiGraph, source: str) -> tuple[nx.MultiDiGraph, int, int]:
    if len(G) == 0:
        raise RoutingError(f"{source} holds no road")
    largest = max(nx.strongly_connected_components(G), key=len)
    if len(largest) == len(G):
        return G, 0, 0
    if len(largest) < 2:
        raise RoutingError(f"{source} has no two nodes that can reach each other by road")
    H = nx.MultiDiGraph(G.subgraph(largest))
    return H, len(G) - len(H), G.number_of_edges() - H.number_of_edges()


def _to_road_graph(
    G: nx.MultiDiGraph,
    speeds: SpeedTable,
    *,
    source: str,
    counts: tuple[int, int, int, int],
    simplified: bool,
    use_travel_time: bool,
    notes: tuple[str, ...],
) -> RoadGraph:
    osmids = sorted(G.nodes)
    index = {osmid: i for i, osmid in enumerate(osmids)}
    lon = np.array([float(G.nodes[o]["x"]) for o in osmids])
    lat = np.array([float(G.nodes[o]["y"]) for o in osmids])
    edges = sorted(
        G.edges(keys=True, data=True), key=lambda e: (index[e[0]], index[e[1]], str(e[2]))
    )
    m = len(edges)
    edge_u = np.empty(m, dtype=np.int32)
    edge_v = np.empty(m, dtype=np.int32)
    length_m = np.empty(m, dtype=np.int32)
    time_s = np.empty(m, dtype=np.int32)
    highway: list[str] = []
    polylines: list[np.ndarray] = []
    for i, (a, b, _key, data) in enumerate(edges):
        u, v = index[a], index[b]
        coords = _edge_polyline(data.get("geometry"), (lon[u], lat[u]), (lon[v], lat[v]))
        length = data.get("length")
        if length is None:
            length = float(
                great_circle_m(coords[:-1, 0], coords[:-1, 1], coords[1:, 0], coords[1:, 1]).sum()
            )
        length = float(length)
        seconds = data.get("travel_time") if use_travel_time else None
        if seconds is None:
            seconds = speeds.travel_time_s(length, data.get("highway"), data.get("maxspeed"))
        edge_u[i], edge_v[i] = u, v
        length_m[i] = max(1, round_half_up(length))
        time_s[i] = whole_seconds(float(seconds))
        highway.append(speeds.slowest_class(data.get("highway")))
        polylines.append(coords)
    sizes = np.array([len(p) for p in polylines], dtype=np.int64)
    offsets = np.concatenate(([0], np.cumsum(sizes)))
    flat = np.concatenate(polylines)
    bbox = (
        float(flat[:, 0].min()),
        float(flat[:, 1].min()),
        float(flat[:, 0].max()),
        float(flat[:, 1].max()),
    )
    nodes_read, edges_read, nodes_dropped, edges_dropped = counts
    info = GraphInfo(
        source=source,
        nodes_read=nodes_read,
        edges_read=edges_read,
        nodes_dropped=nodes_dropped,
        edges_dropped=edges_dropped,
        nodes=len(osmids),
        edges=m,
        bbox=bbox,
        speeds=speeds,
        simplified=simplified,
        notes=tuple(notes),
    )
    return RoadGraph(
        node_osmid=np.array(osmids, dtype=np.int64),
        lon=lon,
        lat=lat,
        edge_u=edge_u,
        edge_v=edge_v,
        edge_length_m=length_m,
        edge_time_s=time_s,
        edge_highway=np.array(highway, dtype=np.str_),
        geom_lon=flat[:, 0],
        geom_lat=flat[:, 1],
        geom_offsets=offsets,
        info=info,
    )


def _edge_polyline(
    geometry: Any, start: tuple[float, float], end: tuple[float, float]
) -> np.ndarray:
    """Edge polyline (k, 2) running from `start` to `end`, endpoints set to the nodes."""
    if geometry is None:
        return np.array([start, end], dtype=float)
    if isinstance(geometry, str):
        import shapely

        geometry = shapely.from_wkt(geometry)
    coords = np.asarray(geometry.coords, dtype=float)[:, :2]
    if len(coords) < 2:
        return np.array([start, end], dtype=float)
    s, e = np.asarray(start), np.asarray(end)
    direct = np.hypot(*(coords[0] - s)) + np.hypot(*(coords[-1] - e))
    flipped = np.hypot(*(coords[0] - e)) + np.hypot(*(coords[-1] - s))
    if flipped < direct:
        coords = coords[::-1].copy()
    coords[0], coords[-1] = s, e
    return coords


def _readonly(values: Any, dtype: Any, name: str) -> np.ndarray:
    try:
        arr = np.array(values, dtype=dtype)
    except (TypeError, ValueError) as exc:
        raise InputError(f"RoadGraph.{name} cannot be read as {np.dtype(dtype)}: {exc}") from exc
    if arr.ndim != 1:
        raise InputError(f"RoadGraph.{name} must be one-dimensional, got shape {arr.shape}")
    arr.setflags(write=False)
    return arr


def _osmnx() -> Any:
    import osmnx

    return osmnx
