"""The synthetic grid of the matrix benchmark, and the 50,000-node scaling claim (slow).

The claim's timings are measured by ``noriai bench matrix``; the test checks the results
and the memory bound, not the clock.
"""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from benchmarks.matrix_build import synthetic_grid
from routing.graph import reverse_edges
from routing.matrix import build_matrix, extend_matrix
from routing.snapping import Snapper, random_points_near_roads


def test_synthetic_grid_is_a_valid_town():
    g = synthetic_grid(12, 12)
    assert g.n_nodes == 144
    assert np.array_equal(g.edge_reverse, reverse_edges(g))  # given twins match the geometry
    adjacency = sp.csr_matrix((np.ones(g.n_edges), (g.edge_u, g.edge_v)), shape=(144, 144))
    assert connected_components(adjacency, directed=True, connection="strong")[0] == 1
    assert (g.edge_reverse < 0).any() and set(np.unique(g.edge_highway)) == {
        "residential",
        "tertiary",
    }


@pytest.mark.slow
def test_2000_doors_on_a_50000_node_graph():
    g = synthetic_grid(224, 224)
    assert g.n_nodes >= 50_000
    points = Snapper(g).snap(random_points_near_roads(g, 2_000, seed=0))
    tracemalloc.start()
    try:
        m = build_matrix(g, points)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert m.time_s.shape == (2_000, 2_000)
    assert peak < 400 * 2**20, f"peak {peak / 2**20:.0f} MiB"
    extended = extend_matrix(g, m, points[:1])  # a live booking at an existing door
    assert extended.time_s.shape == (2_001, 2_001)
    assert np.array_equal(extended.time_s[-1, :-1], m.time_s[0])
    assert np.array_equal(extended.time_s[:-1, -1], m.time_s[:, 0])
