"""Travel-time matrices: exact on a toy town, consistent on real maps."""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.sparse.csgraph import connected_components, dijkstra

from routing.errors import InputError, RoutingError
from routing.graph import GraphInfo, RoadGraph
from routing.matrix import PACK, TravelMatrix, augment, build_matrix, extend_matrix
from routing.snapping import SnappedPoint, Snapper, random_points_near_roads
from routing.speeds import SpeedTable

from .conftest import A, B, C, D, edge_of, on_edge

# ---------------------------------------------------------------- toy town, by hand

TOY_T = [[0, 36, 42, 60], [36, 0, 36, 54], [42, 78, 0, 18], [60, 96, 18, 0]]
TOY_D = [[0, 300, 700, 800], [300, 0, 400, 500], [700, 1000, 0, 100], [800, 1100, 100, 0]]


def test_toy_matrix_between_junctions(toy):
    # each junction as a point at the start of one of its outgoing streets
    points = [
        on_edge(toy, edge_of(toy, u, v, hw), 0.0)
        for u, v, hw in [(A, B, None), (B, C, None), (C, D, None), (D, C, None)]
    ]
    m = build_matrix(toy, points)
    assert (
        m.time_s.tolist() == TOY_T
    )  # A->C takes the 700 m bypass (42 s), not the 500 m street (60 s)
    assert m.distance_m.tolist() == TOY_D
    assert m.time_s.dtype == np.int32 and m.distance_m.dtype == np.int32
    # the same junctions as the *end* of incoming streets give the same matrix
    ends = [
        on_edge(toy, edge_of(toy, u, v, hw), 1.0)
        for u, v, hw in [(B, A, None), (A, B, None), (B, C, None), (C, D, None)]
    ]
    m2 = build_matrix(toy, ends)
    assert m2.time_s.tolist() == TOY_T and m2.distance_m.tolist() == TOY_D


def test_toy_matrix_mid_block_doors(toy):
    p = on_edge(toy, edge_of(toy, B, C), 0.5)  # one-way street, half way
    q = on_edge(toy, edge_of(toy, A, B), 0.25)  # two-way street, 75 m from A
    a = on_edge(toy, edge_of(toy, A, B), 0.0)
    b = on_edge(toy, edge_of(toy, B, C), 0.0)
    c = on_edge(toy, edge_of(toy, C, D), 0.0)
    m = build_matrix(toy, [p, q, a, b, c])
    t, d = m.time_s, m.distance_m
    assert (t[3, 0], d[3, 0]) == (18, 200)  # B -> p
    assert (t[0, 4], d[0, 4]) == (18, 200)  # p -> C
    assert (t[4, 0], d[4, 0]) == (96, 1200)  # C -> p: around by the bypass, A and B
    assert (t[0, 3], d[0, 3]) == (96, 1200)  # p -> B: no way back up the one-way street
    assert (t[2, 1], d[2, 1]) == (t[1, 2], d[1, 2]) == (9, 75)  # A <-> q, both directions
    assert (t[1, 3], d[1, 3]) == (t[3, 1], d[3, 1]) == (27, 225)  # q <-> B
    assert (t[1, 0], d[1, 0]) == (45, 425)  # q -> B -> p
    assert (t[0, 1], d[0, 1]) == (69, 975)  # p -> C -> A -> q


def test_two_bookings_at_one_door_are_zero_apart(toy):
    p = on_edge(toy, edge_of(toy, B, C), 0.5)
    m = build_matrix(toy, [p, p, on_edge(toy, edge_of(toy, B, C), 0.75)])
    assert m.time_s[0, 1] == m.time_s[1, 0] == 0
    assert (m.time_s[0, 2], m.time_s[2, 0]) == (9, 9 + 42 + 36 + 18)  # back round the block


def test_parallel_edges_keep_the_fastest(toy):
    aug = augment(toy, [])
    a, c = toy.node_index(A), toy.node_index(C)
    k = aug.entry(a, c)
    assert aug.csr.data[k] == 42 * PACK + 700  # not summed with the 60 s street, not the slower one
    assert aug.entry_edge[k] == edge_of(toy, A, C, "tertiary")
    assert aug.csr.nnz == 7  # 9 edges, two parallel pairs (A->C, C->A) reduced


def test_scipy_treats_explicit_zeros_as_edges():
    # matrix.py relies on this documented csgraph behaviour for points at a node
    g = sp.csr_matrix(
        (np.array([0.0, 5.0]), np.array([1, 2]), np.array([0, 2, 2, 2])), shape=(3, 3)
    )
    assert g.nnz == 2
    assert dijkstra(g, indices=[0]).tolist() == [[0.0, 0.0, 5.0]]


def test_unreachable_pairs_are_named():
    info = GraphInfo("one street", 2, 1, 0, 0, 2, 1, (0.0, 0.0, 0.001, 0.0), SpeedTable(), False)
    g = RoadGraph(
        node_osmid=[1, 2],
        lon=[0.0, 0.001],
        lat=[0.0, 0.0],
        edge_u=[0],
        edge_v=[1],
        edge_length_m=[111],
        edge_time_s=[15],
        edge_highway=["residential"],
        geom_lon=[0.0, 0.001],
        geom_lat=[0.0, 0.0],
        geom_offsets=[0, 2],
        info=info,
    )
    points = [SnappedPoint(0, 0.25, 0.0, 0.0, 0.0), SnappedPoint(0, 0.75, 0.0, 0.0, 0.0)]
    with pytest.raises(RoutingError, match=r"1 point pair\(s\): 1->0"):
        build_matrix(g, points)


def test_invalid_points_and_matrices(toy):
    with pytest.raises(InputError, match="point 1 lies on edge 99"):
        build_matrix(toy, [on_edge(toy, 0, 0.5), SnappedPoint(99, 0.5, 0.0, 0.0, 0.0)])
    with pytest.raises(InputError, match="point 0 must be a SnappedPoint"):
        build_matrix(toy, [(137.95, 35.84)])  # type: ignore[list-item]
    p = on_edge(toy, 0, 0.5)
    with pytest.raises(InputError, match=r"time_s\[0, 0\] must be 0"):
        TravelMatrix(np.ones((1, 1)), np.zeros((1, 1)), (p,))
    with pytest.raises(InputError, match=r"shape \(1, 1\)"):
        TravelMatrix(np.zeros((2, 2)), np.zeros((2, 2)), (p,))


# ------------------------------------------------------- an independent oracle


def _round(x: float) -> int:
    return math.floor(x + 0.5)


def oracle(graph: RoadGraph, points: list[SnappedPoint]) -> np.ndarray:
    """Packed fastest weights by enumerating how a path leaves/enters each point's street.

    Node-to-node weights come from networkx on the plain graph; nothing is shared with
    routing.matrix except the rounding rule (half up on the street's lower-numbered edge,
    mirrored on its twin).
    """
    G = nx.DiGraph()
    for e in range(graph.n_edges):
        u, v = int(graph.edge_u[e]), int(graph.edge_v[e])
        w = int(graph.edge_time_s[e]) * PACK + int(graph.edge_length_m[e])
        if u != v and (not G.has_edge(u, v) or G[u][v]["weight"] > w):
            G.add_edge(u, v, weight=w)

    def positions(p: SnappedPoint) -> list[tuple[int, int, int, float]]:
        e, f, r = p.edge, p.fraction, int(graph.edge_reverse[p.edge])
        if 0 <= r < e:  # a two-way street is rounded from its lower-numbered edge
            e, f, r = r, 1.0 - f, e
        t, L = int(graph.edge_time_s[e]), int(graph.edge_length_m[e])
        out = [(e, _round(t * f), _round(L * f), f)]
        if r >= 0:
            tr, Lr = int(graph.edge_time_s[r]), int(graph.edge_length_m[r])
            out.append((r, tr - _round(tr * f), Lr - _round(Lr * f), 1.0 - f))
        return out

    pos = [positions(p) for p in points]  # (edge, time, metres, fraction) per street side
    exits = []  # per point: (node, packed cost from the point to the node)
    for ps in pos:
        ex = []
        for e, t, m, _f in ps:
            ex.append(
                (
                    int(graph.edge_v[e]),
                    (int(graph.edge_time_s[e]) - t) * PACK + int(graph.edge_length_m[e]) - m,
                )
            )
            if (t, m) == (0, 0):
                ex.append((int(graph.edge_u[e]), 0))
        exits.append(ex)
    node_dist = {}
    for ex in exits:
        for node, _ in ex:
            if node not in node_dist:
                node_dist[node] = nx.single_source_dijkstra_path_length(G, node)
    out = np.zeros((len(points), len(points)))
    for i, ps in enumerate(pos):
        for j, qs in enumerate(pos):
            best = math.inf
            for e, t, m, f in ps:
                for e2, t2, m2, f2 in qs:
                    if e == e2 and (f2 >= f or (t2, m2) == (t, m)):
                        best = min(best, (t2 - t) * PACK + (m2 - m))
            entries = []
            for e, t, m, _f in qs:
                entries.append((int(graph.edge_u[e]), t * PACK + m))
                if (t, m) == (int(graph.edge_time_s[e]), int(graph.edge_length_m[e])):
                    entries.append((int(graph.edge_v[e]), 0))
            for node, cost in exits[i]:
                for node2, cost2 in entries:
                    dist = node_dist[node].get(node2, math.inf)
                    best = min(best, cost + dist + cost2)
            out[i, j] = best
    return out


def unpack(packed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    seconds = np.floor(packed / PACK)
    return seconds, packed - seconds * PACK


fractions = st.one_of(st.sampled_from([0.0, 0.25, 0.5, 0.75, 1.0]), st.floats(0.0, 1.0))


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    data=st.lists(st.tuples(st.integers(0, 8), fractions), min_size=1, max_size=6),
    split=st.integers(0, 6),
)
def test_toy_matrix_matches_oracle_and_extension(toy, data, split):
    points = [on_edge(toy, e, f) for e, f in data]
    m = build_matrix(toy, points)
    seconds, metres = unpack(oracle(toy, points))
    assert np.array_equal(m.time_s, seconds) and np.array_equal(m.distance_m, metres)
    split = min(split, len(points))
    if split:
        ext = extend_matrix(toy, build_matrix(toy, points[:split]), points[split:])
        assert np.array_equal(ext.time_s, m.time_s) and np.array_equal(ext.distance_m, m.distance_m)


# --------------------------------------------------------------------- real maps


@pytest.fixture(scope="module")
def tachikawa_points(tachikawa):
    return Snapper(tachikawa).snap(random_points_near_roads(tachikawa, 30, seed=7))


@pytest.fixture(scope="module")
def tachikawa_matrix(tachikawa, tachikawa_points):
    return build_matrix(tachikawa, tachikawa_points)


def test_real_matrix_basic_properties(tachikawa_matrix):
    t, d = tachikawa_matrix.time_s, tachikawa_matrix.distance_m
    assert t.shape == (30, 30) and not np.diagonal(t).any() and not np.diagonal(d).any()
    off = ~np.eye(30, dtype=bool)
    assert (t[off] > 0).all() and (d[off] > 0).all()
    assert t.max() < 3600 and d.max() < 20_000  # Tachikawa is ~9 km across
    assert (t != t.T).any()  # one-way streets somewhere


def test_real_matrix_triangle_inequality(tachikawa_matrix):
    t = tachikawa_matrix.time_s.astype(np.int64)
    # t[i, k] <= t[i, j] + t[j, k] for all i, j, k
    assert (t[:, None, :] <= t[:, :, None] + t[None, :, :]).all()


def test_real_matrix_matches_oracle(tachikawa, tachikawa_points, tachikawa_matrix):
    seconds, metres = unpack(oracle(tachikawa, tachikawa_points[:12]))
    assert np.array_equal(tachikawa_matrix.time_s[:12, :12], seconds)
    assert np.array_equal(tachikawa_matrix.distance_m[:12, :12], metres)


def test_extend_equals_rebuild(tachikawa, tachikawa_points, tachikawa_matrix):
    calls = []
    base = build_matrix(tachikawa, tachikawa_points[:24])
    ext = extend_matrix(tachikawa, base, tachikawa_points[24:], progress=lambda *a: calls.append(a))
    assert np.array_equal(ext.time_s, tachikawa_matrix.time_s)
    assert np.array_equal(ext.distance_m, tachikawa_matrix.distance_m)
    assert ext.points == tuple(tachikawa_points)
    assert calls[-1] == (6, 6)
    assert extend_matrix(tachikawa, base, []) is base


def test_chunking_does_not_change_the_result(tachikawa, tachikawa_points, tachikawa_matrix):
    calls = []
    m = build_matrix(tachikawa, tachikawa_points, chunk_size=7, progress=lambda *a: calls.append(a))
    assert np.array_equal(m.time_s, tachikawa_matrix.time_s)
    assert calls == [(7, 30), (14, 30), (21, 30), (28, 30), (30, 30)]


def test_two_way_streets_give_a_symmetric_matrix(kumamoto):
    # keep only the two-way streets: every path can then be driven backwards
    keep = np.flatnonzero(kumamoto.edge_reverse >= 0)
    assert np.array_equal(
        kumamoto.edge_time_s[keep], kumamoto.edge_time_s[kumamoto.edge_reverse[keep]]
    )
    sub = edge_subgraph(kumamoto, keep)
    _, label = connected_components(
        sp.csr_matrix((np.ones(sub.n_edges), (sub.edge_u, sub.edge_v)), shape=(sub.n_nodes,) * 2),
        directed=True,
        connection="strong",
    )
    biggest = np.bincount(label).argmax()
    points = [
        p
        for p in Snapper(sub).snap(random_points_near_roads(sub, 120, seed=5))
        if label[sub.edge_u[p.edge]] == biggest
    ][:40]
    assert len(points) == 40
    m = build_matrix(sub, points)
    assert np.array_equal(m.time_s, m.time_s.T)
    assert np.array_equal(m.distance_m, m.distance_m.T)


def test_one_way_street_is_asymmetric(kumamoto):
    one_way = np.flatnonzero((kumamoto.edge_reverse < 0) & (kumamoto.edge_length_m > 200))
    e = int(one_way[0])
    p, q = on_edge(kumamoto, e, 0.2), on_edge(kumamoto, e, 0.8)
    m = build_matrix(kumamoto, [p, q])
    t = int(kumamoto.edge_time_s[e])
    assert m.time_s[0, 1] == _round(t * 0.8) - _round(t * 0.2)
    assert m.time_s[1, 0] > m.time_s[0, 1]  # has to go round the block


def edge_subgraph(graph: RoadGraph, edges: np.ndarray) -> RoadGraph:
    """The graph restricted to `edges` (all nodes kept; may be disconnected)."""
    sizes = np.diff(graph.geom_offsets)[edges]
    take = np.concatenate(
        [np.arange(graph.geom_offsets[e], graph.geom_offsets[e + 1]) for e in edges]
    )
    return RoadGraph(
        node_osmid=graph.node_osmid,
        lon=graph.lon,
        lat=graph.lat,
        edge_u=graph.edge_u[edges],
        edge_v=graph.edge_v[edges],
        edge_length_m=graph.edge_length_m[edges],
        edge_time_s=graph.edge_time_s[edges],
        edge_highway=graph.edge_highway[edges],
        geom_lon=graph.geom_lon[take],
        geom_lat=graph.geom_lat[take],
        geom_offsets=np.concatenate(([0], np.cumsum(sizes))),
        info=graph.info,
    )
