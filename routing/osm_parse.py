"""Raw OpenStreetMap data (XML, PBF, Overpass JSON) to an unsimplified drive graph.

Readers return a `RawOsm` (drivable ways and the coordinates of their nodes);
`build_multidigraph` turns it into an OSMnx-compatible `networkx.MultiDiGraph`
(nodes with ``x``/``y`` in degrees, one edge per way segment and direction,
``length`` in metres, ``travel_time`` in seconds), ready for
`osmnx.simplify_graph`. This module does not import osmnx.

The drive filter follows OSMnx's "drive" network, with service roads kept
(a hospital's or a station's access road is where elderly riders are picked
up) except parking aisles, driveways and private service roads:

- ``highway`` in `DRIVE_HIGHWAYS` (motorway … residential, living_street,
  road, service, and the ``*_link`` ramps);
- not ``area=yes``, not ``oneway=reversible`` (its direction changes during
  the day, so neither direction can be promised);
- motor-vehicle access, read from the most specific of ``motorcar``,
  ``motor_vehicle``, ``vehicle``, ``access``, not in `NO_ACCESS`;
- ``service`` not in `EXCLUDED_SERVICE`.

One-way: ``oneway=yes|true|1`` forward, ``oneway=-1|reverse`` backward,
``junction=roundabout|circular`` and ``highway=motorway`` imply forward unless
``oneway=no`` says otherwise.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import groupby
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np

from routing.errors import InputError, RoutingError
from routing.speeds import SpeedTable

log = logging.getLogger(__name__)

EARTH_RADIUS_M = 6_371_009.0
"""Mean earth radius, metres (the value OSMnx uses for edge lengths)."""

DRIVE_HIGHWAYS = frozenset(
    {
        "motorway",
        "trunk",
        "primary",
        "secondary",
        "tertiary",
        "motorway_link",
        "trunk_link",
        "primary_link",
        "secondary_link",
        "tertiary_link",
        "unclassified",
        "residential",
        "living_street",
        "road",
        "service",
    }
)
EXCLUDED_SERVICE = frozenset(
    {"parking_aisle", "parking", "driveway", "private", "emergency_access", "drive-through"}
)
NO_ACCESS = frozenset({"no", "private", "agricultural", "forestry", "emergency", "military"})
_ACCESS_KEYS = ("motorcar", "motor_vehicle", "vehicle", "access")
_FORWARD = frozenset({"yes", "true", "1"})
_BACKWARD = frozenset({"-1", "reverse"})
_TWO_WAY = frozenset({"no", "false", "0", "alternating"})
_KEPT_TAGS = ("highway", "maxspeed", "name", "ref", "oneway", "junction", "lanes")

OSM_SUFFIXES = (".osm", ".xml", ".osm.bz2", ".osm.gz", ".pbf", ".osm.pbf", ".o5m")
"""File name endings read with pyosmium."""


@dataclass(frozen=True, slots=True)
class RawWay:
    """A drivable OSM way: id, node ids in order, its tags."""

    osmid: int
    nodes: tuple[int, ...]
    tags: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class RawOsm:
    """Drivable ways and the (lon, lat) of their nodes, as read from a file."""

    source: str
    coords: Mapping[int, tuple[float, float]]
    ways: Sequence[RawWay]
    ways_read: int = 0
    ways_skipped: int = 0
    notes: tuple[str, ...] = field(default_factory=tuple)


def is_drivable(tags: Mapping[str, str]) -> bool:
    """Whether a way with these tags belongs to the drive network (module docstring)."""
    if tags.get("highway") not in DRIVE_HIGHWAYS:
        return False
    if tags.get("area") == "yes" or tags.get("oneway") == "reversible":
        return False
    for key in _ACCESS_KEYS:
        if key in tags:
            if tags[key] in NO_ACCESS:
                return False
            break
    return tags.get("service") not in EXCLUDED_SERVICE


def oneway_direction(tags: Mapping[str, str]) -> int:
    """1 if only forward travel (node order) is allowed, -1 if only backward, 0 if both."""
    value = tags.get("oneway", "").strip().lower()
    if value in _FORWARD:
        return 1
    if value in _BACKWARD:
        return -1
    if value in _TWO_WAY:
        return 0
    implied = (
        tags.get("junction") in {"roundabout", "circular"} or tags.get("highway") == "motorway"
    )
    return 1 if implied else 0


def read_overpass_json(path: str | Path) -> RawOsm:
    """Read an Overpass API JSON response (``elements`` of nodes and ways)."""
    path = Path(path)
    try:
        with path.open("rb") as fh:
            data = json.load(fh)
        elements = data["elements"]
    except FileNotFoundError:
        raise InputError(f"map file {path} does not exist") from None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise RoutingError(f"{path} is not an Overpass JSON response: {exc}") from exc
    coords: dict[int, tuple[float, float]] = {}
    ways: list[RawWay] = []
    ways_read = 0
    for element in elements:
        kind = element.get("type")
        if kind == "node" and "lat" in element:
            coords[int(element["id"])] = (float(element["lon"]), float(element["lat"]))
        elif kind == "way":
            ways_read += 1
            tags = element.get("tags") or {}
            if is_drivable(tags):
                ways.append(_raw_way(element["id"], element.get("nodes", ()), tags))
    return RawOsm(str(path), coords, ways, ways_read, ways_read - len(ways))


def read_osm_file(path: str | Path) -> RawOsm:
    """Read OSM XML (.osm, optionally .bz2/.gz) or PBF with pyosmium.

    Only drivable ways and the locations of their nodes are kept.
    """
    import osmium  # local: pyosmium is only needed for these formats

    path = Path(path)
    if not path.is_file():
        raise InputError(f"map file {path} does not exist")
    coords: dict[int, tuple[float, float]] = {}
    ways: list[RawWay] = []
    ways_read = 0
    missing = 0
    try:
        processor = osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY)
        for obj in processor.with_locations():
            if not obj.is_way():
                continue
            ways_read += 1
            tags = {t.k: t.v for t in obj.tags}
            if not is_drivable(tags):
                continue
            refs = []
            for node in obj.nodes:
                refs.append(node.ref)
                if node.location.valid():
                    coords[node.ref] = (node.location.lon, node.location.lat)
                else:
                    missing += 1
            ways.append(_raw_way(obj.id, refs, tags))
    except RuntimeError as exc:
        raise RoutingError(f"cannot read OSM file {path}: {exc}") from exc
    notes = (f"{missing} way node(s) without a location were skipped",) if missing else ()
    return RawOsm(str(path), coords, ways, ways_read, ways_read - len(ways), notes)


def build_multidigraph(raw: RawOsm, speeds: SpeedTable) -> nx.MultiDiGraph:
    """Directed, unsimplified drive graph of `raw`, OSMnx-compatible.

    Each way segment becomes one edge per allowed direction with ``length``
    (great-circle metres), ``travel_time`` (seconds at `speeds`, unrounded),
    ``highway``, ``oneway``, ``reversed`` and ``maxspeed``/``name`` when tagged.
    Segments touching a node without a location are dropped.
    """
    G = nx.MultiDiGraph(crs="epsg:4326", created_with="noriai", simplified=False)
    for way in raw.ways:
        direction = oneway_direction(way.tags)
        for run in _located_runs(way.nodes, raw.coords):
            nodes = run[::-1] if direction == -1 else run
            lon = np.array([raw.coords[n][0] for n in nodes])
            lat = np.array([raw.coords[n][1] for n in nodes])
            lengths = great_circle_m(lon[:-1], lat[:-1], lon[1:], lat[1:])
            attrs = {"osmid": way.osmid, "oneway": direction != 0}
            attrs.update(
                {k: way.tags[k] for k in ("highway", "maxspeed", "name", "ref") if k in way.tags}
            )
            for n in nodes:
                if n not in G:
                    G.add_node(n, x=raw.coords[n][0], y=raw.coords[n][1])
            for i, length in enumerate(lengths.tolist()):
                seconds = speeds.travel_time_s(length, attrs["highway"], attrs.get("maxspeed"))
                G.add_edge(
                    nodes[i],
                    nodes[i + 1],
                    length=length,
                    travel_time=seconds,
                    reversed=False,
                    **attrs,
                )
                if direction == 0:
                    G.add_edge(
                        nodes[i + 1],
                        nodes[i],
                        length=length,
                        travel_time=seconds,
                        reversed=True,
                        **attrs,
                    )
    if G.number_of_edges() == 0:
        raise RoutingError(f"{raw.source} holds no drivable road ({raw.ways_read} ways read)")
    return G


def great_circle_m(lon1: Any, lat1: Any, lon2: Any, lat2: Any) -> np.ndarray:
    """Haversine distance between points given in degrees, metres."""
    lon1, lat1, lon2, lat2 = (
        np.radians(np.asarray(a, dtype=float)) for a in (lon1, lat1, lon2, lat2)
    )
    h = (
        np.sin((lat2 - lat1) / 2) ** 2
        + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))


def _raw_way(osmid: Any, nodes: Iterable[Any], tags: Mapping[str, Any]) -> RawWay:
    deduped = tuple(int(n) for n, _ in groupby(nodes))
    kept = {k: str(tags[k]) for k in _KEPT_TAGS if k in tags}
    return RawWay(int(osmid), deduped, kept)


def _located_runs(nodes: Sequence[int], coords: Mapping[int, Any]) -> list[list[int]]:
    """Maximal runs of consecutive located nodes with at least two nodes."""
    runs: list[list[int]] = []
    current: list[int] = []
    for n in nodes:
        if n in coords:
            current.append(n)
        else:
            if len(current) >= 2:
                runs.append(current)
            current = []
    if len(current) >= 2:
        runs.append(current)
    return runs
