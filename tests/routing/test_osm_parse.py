"""Raw OSM readers (XML, bz2/gz XML, PBF, Overpass JSON) and the drive filter."""

from __future__ import annotations

import bz2
import gzip
import json
from pathlib import Path

import numpy as np
import pytest

from routing.errors import InputError, RoutingError
from routing.graph import graph_from_osm_file, graph_from_overpass_json, load_graph
from routing.osm_parse import is_drivable, oneway_direction, read_osm_file
from routing.speeds import SpeedTable

from .conftest import toy_lonlat

# node id -> metres (east, north) of the toy origin
NODES = {
    1: (0, 0), 2: (100, 0), 3: (200, 0), 4: (200, 150), 5: (100, -80), 6: (260, 0),
    7: (300, 150), 8: (-120, 0), 9: (200, 260), 10: (200, 380),
}  # fmt: skip
# way id -> (node ids, tags)
WAYS = {
    10: ([1, 2, 3], {"highway": "residential", "name": "本町通り"}),
    11: ([3, 4], {"highway": "tertiary", "oneway": "yes", "maxspeed": "40"}),
    12: ([1, 4], {"highway": "residential", "oneway": "-1"}),  # travel 4 -> 1 only
    13: ([2, 5], {"highway": "footway"}),  # not drivable
    14: ([3, 6], {"highway": "service", "service": "parking_aisle"}),  # not drivable
    15: ([4, 7], {"highway": "residential", "access": "private"}),  # not drivable
    16: ([1, 8], {"highway": "residential"}),
    17: ([4, 9], {"highway": "unclassified"}),
    18: ([9, 10], {"highway": "residential", "oneway": "yes"}),  # one-way dead end: dropped
}


def osm_xml() -> str:
    lines = [
        "<?xml version='1.0' encoding='UTF-8'?>",
        "<osm version='0.6' generator='noriai-test'>",
    ]
    for nid, (x, y) in NODES.items():
        lon, lat = toy_lonlat(x, y)
        lines.append(f"  <node id='{nid}' version='1' lat='{lat:.7f}' lon='{lon:.7f}'/>")
    for wid, (refs, tags) in WAYS.items():
        lines.append(f"  <way id='{wid}' version='1'>")
        lines += [f"    <nd ref='{r}'/>" for r in refs]
        lines += [f"    <tag k='{k}' v='{v}'/>" for k, v in tags.items()]
        lines.append("  </way>")
    lines.append("</osm>")
    return "\n".join(lines) + "\n"


def overpass_json() -> dict:
    elements = []
    for nid, (x, y) in NODES.items():
        lon, lat = toy_lonlat(x, y)
        elements.append({"type": "node", "id": nid, "lat": lat, "lon": lon})
    for wid, (refs, tags) in WAYS.items():
        elements.append({"type": "way", "id": wid, "nodes": refs, "tags": tags})
    return {"version": 0.6, "elements": elements}


@pytest.fixture
def xml_file(tmp_path: Path) -> Path:
    path = tmp_path / "town.osm"
    path.write_text(osm_xml(), encoding="utf-8")
    return path


def osm_ids(graph, edge: int) -> tuple[int, int]:
    return int(graph.node_osmid[graph.edge_u[edge]]), int(graph.node_osmid[graph.edge_v[edge]])


def check_town(graph, *, simplified: bool) -> None:
    edges = {osm_ids(graph, e) for e in range(graph.n_edges)}
    assert 5 not in graph.node_osmid and 6 not in graph.node_osmid and 7 not in graph.node_osmid
    assert 10 not in graph.node_osmid  # one-way dead end is not strongly connected
    assert (3, 4) in edges and (4, 3) not in edges  # oneway=yes
    assert (4, 1) in edges and (1, 4) not in edges  # oneway=-1
    assert graph.info.nodes_read == 7 and graph.info.edges_read == 11
    assert (graph.info.nodes_dropped, graph.info.edges_dropped) == (1, 1)
    if simplified:
        assert 2 not in graph.node_osmid  # interstitial node merged away
        assert (graph.n_nodes, graph.n_edges) == (5, 8)
        e13 = next(e for e in range(graph.n_edges) if osm_ids(graph, e) == (1, 3))
        assert graph.edge_length_m[e13] == 200
        assert len(graph.edge_coords(e13)) == 3  # keeps node 2 in its geometry
    else:
        assert (graph.n_nodes, graph.n_edges) == (6, 10)
    e34 = next(e for e in range(graph.n_edges) if osm_ids(graph, e) == (3, 4))
    assert graph.edge_length_m[e34] == 150
    assert graph.edge_time_s[e34] == 15  # 150 m at 40 km/h (maxspeed) x factor 0.9 = 15.0 s
    assert graph.edge_reverse[e34] == -1


@pytest.mark.parametrize("simplify", [True, False])
def test_osm_xml_loader(xml_file, simplify):
    check_town(graph_from_osm_file(xml_file, SpeedTable(), simplify=simplify), simplified=simplify)


def test_compressed_xml_loaders(tmp_path):
    text = osm_xml().encode()
    (tmp_path / "town.osm.bz2").write_bytes(bz2.compress(text))
    (tmp_path / "town.osm.gz").write_bytes(gzip.compress(text))
    for name in ("town.osm.bz2", "town.osm.gz"):
        check_town(load_graph(tmp_path / name), simplified=True)


def test_pbf_loader(xml_file, tmp_path):
    import osmium

    pbf = tmp_path / "town.osm.pbf"
    with osmium.SimpleWriter(str(pbf)) as writer:
        for obj in osmium.FileProcessor(str(xml_file)):
            writer.add(obj)
    assert pbf.read_bytes()[:64] != xml_file.read_bytes()[:64]
    check_town(load_graph(pbf), simplified=True)


def test_overpass_json_loader_matches_xml(xml_file, tmp_path):
    path = tmp_path / "town.json"
    path.write_text(json.dumps(overpass_json()))
    from_json = graph_from_overpass_json(path)
    from_xml = graph_from_osm_file(xml_file)
    check_town(from_json, simplified=True)
    for name in ("node_osmid", "edge_u", "edge_v", "edge_length_m", "edge_time_s", "geom_offsets"):
        assert np.array_equal(getattr(from_json, name), getattr(from_xml, name)), name


def test_missing_and_unreadable_files(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        graph_from_osm_file(tmp_path / "nowhere.osm")
    with pytest.raises(InputError, match="does not exist"):
        graph_from_overpass_json(tmp_path / "nowhere.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(RoutingError, match="not an Overpass JSON"):
        graph_from_overpass_json(bad)
    empty = tmp_path / "empty.osm"
    empty.write_text("<?xml version='1.0'?><osm version='0.6'></osm>")
    with pytest.raises(RoutingError, match="no drivable road"):
        graph_from_osm_file(empty)


@pytest.mark.parametrize(
    ("tags", "drivable"),
    [
        ({"highway": "residential"}, True),
        ({"highway": "primary_link"}, True),
        ({"highway": "service"}, True),
        ({"highway": "service", "service": "driveway"}, False),
        ({"highway": "service", "service": "parking_aisle"}, False),
        ({"highway": "footway"}, False),
        ({"highway": "track"}, False),
        ({"highway": "bus_stop"}, False),
        ({"building": "yes"}, False),
        ({"highway": "residential", "access": "private"}, False),
        ({"highway": "residential", "access": "no"}, False),
        ({"highway": "residential", "access": "no", "motor_vehicle": "yes"}, True),
        ({"highway": "residential", "motor_vehicle": "no"}, False),
        ({"highway": "residential", "access": "destination"}, True),
        ({"highway": "residential", "area": "yes"}, False),
        ({"highway": "primary", "oneway": "reversible"}, False),
    ],
)
def test_drive_filter(tags, drivable):
    assert is_drivable(tags) is drivable


@pytest.mark.parametrize(
    ("tags", "direction"),
    [
        ({"highway": "residential"}, 0),
        ({"highway": "residential", "oneway": "yes"}, 1),
        ({"highway": "residential", "oneway": "true"}, 1),
        ({"highway": "residential", "oneway": "1"}, 1),
        ({"highway": "residential", "oneway": "-1"}, -1),
        ({"highway": "residential", "oneway": "reverse"}, -1),
        ({"highway": "residential", "oneway": "no"}, 0),
        ({"highway": "residential", "oneway": "alternating"}, 0),
        ({"highway": "primary", "junction": "roundabout"}, 1),
        ({"highway": "primary", "junction": "roundabout", "oneway": "-1"}, -1),
        ({"highway": "motorway"}, 1),
        ({"highway": "motorway", "oneway": "no"}, 0),
    ],
)
def test_oneway_direction(tags, direction):
    assert oneway_direction(tags) == direction


def test_reader_keeps_only_drivable_ways(xml_file):
    raw = read_osm_file(xml_file)
    assert sorted(w.osmid for w in raw.ways) == [10, 11, 12, 16, 17, 18]
    assert raw.ways_read == len(WAYS) and raw.ways_skipped == 3
    assert raw.ways[0].tags["name"] == "本町通り"
