"""RoadGraph construction, validation and the bundled Japanese maps."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from routing.errors import InputError
from routing.graph import RoadGraph, load_graph, source_kind

from .conftest import A, B, C, D, edge_of


def test_toy_graph_times_lengths_and_twins(toy):
    assert (toy.n_nodes, toy.n_edges) == (4, 9)
    expected = {  # (u, v, class): (metres, seconds) at factor 1.0
        (A, B, "residential"): (300, 36),
        (B, C, "tertiary"): (400, 36),
        (A, C, "residential"): (500, 60),
        (A, C, "tertiary"): (700, 42),
        (C, D, "living_street"): (100, 18),
    }
    for (u, v, hw), (metres, seconds) in expected.items():
        e = edge_of(toy, u, v, hw)
        assert (toy.edge_length_m[e], toy.edge_time_s[e]) == (metres, seconds)
        twin = toy.edge_reverse[e]
        if (u, v) == (B, C):
            assert twin == -1  # one-way
        else:
            assert twin == edge_of(toy, v, u, hw)  # the parallel streets are not confused
    assert toy.info.speeds.factor == 1.0 and toy.info.nodes_dropped == 0


def test_graph_arrays_are_read_only(toy):
    with pytest.raises(ValueError, match="read-only"):
        toy.edge_time_s[0] = 5
    with pytest.raises(dataclasses.FrozenInstanceError):
        toy.lon = np.zeros(4)  # type: ignore[misc]


def test_edge_geometry_runs_from_tail_to_head(toy):
    for e in range(toy.n_edges):
        coords = toy.edge_coords(e)
        assert tuple(coords[0]) == (toy.lon[toy.edge_u[e]], toy.lat[toy.edge_u[e]])
        assert tuple(coords[-1]) == (toy.lon[toy.edge_v[e]], toy.lat[toy.edge_v[e]])


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        (
            "edge_time_s",
            lambda g: np.where(np.arange(g.n_edges) == 2, 0, g.edge_time_s),
            r"edge_time_s\[2\]",
        ),
        ("edge_length_m", lambda g: g.edge_length_m[:-1], "edge_length_m must have 9"),
        ("edge_v", lambda g: np.full(g.n_edges, 99), r"edge_v\[0\] is not a node index"),
        ("geom_offsets", lambda g: g.geom_offsets[:-1], "geom_offsets"),
        ("lon", lambda g: [[1.0]], "one-dimensional"),
    ],
)
def test_invalid_graphs_name_the_field(toy, field, value, message):
    fields = {f.name: getattr(toy, f.name) for f in dataclasses.fields(RoadGraph)}
    fields[field] = value(toy)
    with pytest.raises(InputError, match=message):
        RoadGraph(**fields)


def test_node_index(toy):
    assert toy.node_osmid[toy.node_index(C)] == C
    with pytest.raises(InputError, match="osmid 42"):
        toy.node_index(42)


def test_tachikawa_graphml(tachikawa):
    info = tachikawa.info
    assert (info.nodes, info.edges) == (4106, 10515)
    assert info.nodes_dropped == 0 and info.simplified
    min_lon, min_lat, max_lon, max_lat = info.bbox
    assert 139.34 < min_lon < max_lon < 139.46 and 35.68 < min_lat < max_lat < 35.75
    assert tachikawa.edge_length_m.min() >= 1 and tachikawa.edge_time_s.min() >= 1
    assert (tachikawa.edge_reverse >= 0).mean() > 0.9  # mostly two-way streets
    twins = tachikawa.edge_reverse[tachikawa.edge_reverse >= 0]
    assert np.array_equal(
        tachikawa.edge_reverse[twins], np.flatnonzero(tachikawa.edge_reverse >= 0)
    )


def test_kumamoto_overpass_json(kumamoto):
    info = kumamoto.info
    assert 6_900 <= info.nodes <= 7_500 and 19_000 <= info.edges <= 21_000
    assert info.nodes_read > 21_000 and info.simplified
    assert 0 < info.nodes_dropped < 1_000  # one-way stubs and islands outside the big component
    assert set(np.unique(kumamoto.edge_highway)) <= {
        "trunk",
        "trunk_link",
        "primary",
        "primary_link",
        "secondary",
        "secondary_link",
        "tertiary",
        "tertiary_link",
        "unclassified",
        "residential",
    }
    assert 130.6 < info.bbox[0] < info.bbox[2] < 130.8


def test_simplified_lengths_follow_the_geometry(kumamoto):
    from routing.paths import polyline_length_m

    rng = np.random.default_rng(3)
    for e in rng.choice(kumamoto.n_edges, 50, replace=False):
        assert polyline_length_m(kumamoto.edge_coords(e)) == pytest.approx(
            kumamoto.edge_length_m[e], abs=1.0
        )


@pytest.mark.parametrize(
    ("source", "kind"),
    [
        ("town.graphml", "graphml"),
        ("x.overpass.json", "overpass"),
        ("a.osm", "osm"),
        ("a.osm.bz2", "osm"),
        ("a.OSM.PBF", "osm"),
        ("Ina, Nagano, Japan", "place"),
    ],
)
def test_source_kind(source, kind):
    assert source_kind(source) == kind


def test_load_graph_missing_or_unsupported_file(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        load_graph(tmp_path / "missing.graphml")
    for name in ("town.shp", "data/tachikawa", "tachikawa.graphm"):
        with pytest.raises(InputError, match="not a supported map file"):
            load_graph(name)  # never geocoded as a place name
