"""Travel-time and distance matrices between snapped points.

Units: seconds and metres, int32. ``time_s[i, j]`` is the travel time of the
fastest path from point ``i`` to point ``j``; ``distance_m[i, j]`` is the
length of that path (the shortest among equally fast ones).

How it works
------------
Each snapped point becomes a virtual node that splits its edge ``u -> v``
into ``u -> p -> v`` (several points on one edge are chained in order of
fraction), and also the opposite-direction twin of a two-way street, so doors
in the middle of a block and one-way streets are exact. Split times and
lengths are rounded from the cumulative position along the edge (half up),
so the parts of an edge always add up to the whole edge, and a point's
entries do not depend on which other points share its edge: `extend_matrix`
gives exactly what a full rebuild would. A two-way street is rounded on its
lower-numbered edge and mirrored on the twin, so it is exactly symmetric and
a place has the same figures whichever side of the street it was snapped to
(two points at one place are never a negative distance apart).

One search yields both time and distance: the edge weight is
``time_s * 2**21 + length_m``, exact in float64 and minimised
lexicographically (time first, then length). Limits: a path's length must stay
below 2**21 m (2,097 km) and its time below 2**31 s; both are checked.
Parallel edges are reduced to the one of least weight before building the CSR
(scipy's sparse constructors would *sum* duplicates). Two positions that
round to the same (time, length) along an edge — a point exactly at a node,
two bookings at one door — get a zero-weight split edge, made passable both
ways. Zero weights are kept as explicit zeros, which ``scipy.sparse.csgraph``
documents as edges of weight 0 for sparse input (a test pins this).

Searches run `scipy.sparse.csgraph.dijkstra` from chunks of sources, so
memory stays O(chunk x nodes): by default at most `CHUNK_BUDGET_BYTES`; a full
build decodes each chunk into the int32 result at once, so an N x N matrix
needs its two int32 arrays (8 N² bytes: 200 MB at N = 5,000) and no N x N
float64 temporary.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

from routing.errors import InputError, RoutingError
from routing.graph import RoadGraph
from routing.snapping import SnappedPoint

log = logging.getLogger(__name__)

PACK = 2**21
"""Multiplier of time in the packed edge weight; path lengths must stay below it (metres)."""
MAX_CHUNK = 256
"""Most sources per Dijkstra call."""
CHUNK_BUDGET_BYTES = 128 * 2**20
"""Memory budget of one chunk's distance rows (float64 x augmented nodes)."""

Progress = Callable[[int, int], None]
"""Called as ``progress(done, total)`` after each chunk of sources."""


@dataclass(frozen=True, slots=True, eq=False)
class TravelMatrix:
    """Fastest-path travel times (s) and their lengths (m) between snapped points.

    Attributes
    ----------
    time_s
        int32[N, N], seconds; zero diagonal.
    distance_m
        int32[N, N], metres along the fastest path.
    points
        The N snapped points, in row/column order.

    Arrays already int32 are kept as they are (no copy: 100 MB each at N = 5,000)
    and made read-only; others are converted.
    """

    time_s: np.ndarray
    distance_m: np.ndarray
    points: tuple[SnappedPoint, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "points", tuple(self.points))
        n = len(self.points)
        for name in ("time_s", "distance_m"):
            arr = np.asarray(getattr(self, name), dtype=np.int32)
            if arr.shape != (n, n):
                raise InputError(f"TravelMatrix.{name} must have shape ({n}, {n}), got {arr.shape}")
            if (arr < 0).any():
                i, j = np.argwhere(arr < 0)[0]
                raise InputError(f"TravelMatrix.{name}[{i}, {j}] is negative")
            if np.diagonal(arr).any():
                i = int(np.flatnonzero(np.diagonal(arr))[0])
                raise InputError(f"TravelMatrix.{name}[{i}, {i}] must be 0")
            arr.setflags(write=False)
            object.__setattr__(self, name, arr)

    @property
    def n(self) -> int:
        """Number of points."""
        return len(self.points)


@dataclass(frozen=True, slots=True, eq=False)
class AugmentedGraph:
    """The road graph plus one virtual node per snapped point, as a CSR of packed weights.

    Nodes ``0..n-1`` are the graph's nodes, ``n + i`` is point ``i``. Entry
    ``k`` of the CSR (``csr.data[k]``) runs along edge ``entry_edge[k]`` from
    fraction ``entry_f0[k]`` to ``entry_f1[k]``.
    """

    csr: sp.csr_matrix
    point_node: np.ndarray
    entry_edge: np.ndarray
    entry_f0: np.ndarray
    entry_f1: np.ndarray

    def transposed(self) -> sp.csr_matrix:
        """CSR of the reversed graph (explicit zeros kept), for backward searches."""
        coo = self.csr.tocoo()
        return _csr(
            coo.col.astype(np.int64), coo.row.astype(np.int64), coo.data, self.csr.shape[0]
        )[0]

    def entry(self, a: int, b: int) -> int:
        """Index into ``csr.data`` of the (kept) edge a -> b; KeyError if absent."""
        lo, hi = self.csr.indptr[a], self.csr.indptr[a + 1]
        hits = np.flatnonzero(self.csr.indices[lo:hi] == b)
        if hits.size == 0:
            raise KeyError((a, b))
        return int(lo + hits[0])


def augment(graph: RoadGraph, points: Sequence[SnappedPoint]) -> AugmentedGraph:
    """Split the edges holding `points` (and their twins) and build the packed-weight CSR."""
    check_points(graph, points)
    n, npts = graph.n_nodes, len(points)
    own_edge = np.array([p.edge for p in points], dtype=np.int64)
    own_frac = np.array([p.fraction for p in points], dtype=np.float64)
    twin = graph.edge_reverse[own_edge].astype(np.int64)
    has_twin = twin >= 0
    # each two-way street is rounded from one of its two edges (the lower index), so a
    # place has the same figures whichever side of the street its point was snapped to
    flip = has_twin & (twin < own_edge)
    base = np.where(flip, twin, own_edge)
    other = np.where(flip, own_edge, twin)
    base_frac = np.where(flip, 1.0 - own_frac, own_frac)
    ids = np.arange(npts, dtype=np.int64)
    s_edge = np.concatenate((base, other[has_twin]))
    s_frac = np.concatenate((base_frac, 1.0 - base_frac[has_twin]))
    s_node = n + np.concatenate((ids, ids[has_twin]))
    # cumulative (time, length) from the tail of the split edge, rounded half up on the
    # base edge; mirrored on the other so both directions agree exactly
    t_e = graph.edge_time_s[s_edge].astype(np.float64)
    l_e = graph.edge_length_m[s_edge].astype(np.float64)
    own_f = np.concatenate((base_frac, base_frac[has_twin]))
    mirrored = np.concatenate((np.zeros(npts, bool), np.ones(int(has_twin.sum()), bool)))
    cum_t = np.where(mirrored, t_e - np.floor(t_e * own_f + 0.5), np.floor(t_e * own_f + 0.5))
    cum_l = np.where(mirrored, l_e - np.floor(l_e * own_f + 0.5), np.floor(l_e * own_f + 0.5))
    order = np.lexsort((s_node, s_frac, s_edge))
    s_edge, s_frac, s_node, cum_t, cum_l = (
        a[order] for a in (s_edge, s_frac, s_node, cum_t, cum_l)
    )

    first = np.ones(s_edge.size, bool)
    first[1:] = s_edge[1:] != s_edge[:-1]
    last = np.ones(s_edge.size, bool)
    last[:-1] = s_edge[1:] != s_edge[:-1]
    prev = np.roll(np.arange(s_edge.size), 1)

    def shifted(values: np.ndarray, at_first: np.ndarray) -> np.ndarray:
        return np.where(first, at_first, values[prev])

    # split edges: (prev position -> point) for every point, plus (last point -> head)
    head_t, head_l = graph.edge_time_s[s_edge[last]], graph.edge_length_m[s_edge[last]]
    src = np.concatenate((shifted(s_node, graph.edge_u[s_edge]), s_node[last]))
    dst = np.concatenate((s_node, graph.edge_v[s_edge[last]]))
    w_t = np.concatenate((cum_t - shifted(cum_t, np.zeros_like(cum_t)), head_t - cum_t[last]))
    w_l = np.concatenate((cum_l - shifted(cum_l, np.zeros_like(cum_l)), head_l - cum_l[last]))
    e_k = np.concatenate((s_edge, s_edge[last]))
    f0 = np.concatenate((shifted(s_frac, np.zeros_like(s_frac)), s_frac[last]))
    f1 = np.concatenate((s_frac, np.ones(int(last.sum()))))
    # whole edges that hold no point
    whole = np.ones(graph.n_edges, bool)
    whole[s_edge] = False
    we = np.flatnonzero(whole)
    src = np.concatenate((graph.edge_u[we], src)).astype(np.int64)
    dst = np.concatenate((graph.edge_v[we], dst)).astype(np.int64)
    w_t = np.concatenate((graph.edge_time_s[we], w_t)).astype(np.float64)
    w_l = np.concatenate((graph.edge_length_m[we], w_l)).astype(np.float64)
    e_k = np.concatenate((we, e_k))
    f0 = np.concatenate((np.zeros(we.size), f0))
    f1 = np.concatenate((np.ones(we.size), f1))
    if (w_t < 0).any() or (w_l < 0).any():
        raise RoutingError("negative split weight; snapped fractions are inconsistent")  # a bug
    # a zero-weight split edge joins two positions the integer metric cannot tell apart
    # (same point, or a point within 0.5 m / 0.5 s of a node): make it passable both ways
    zero = np.flatnonzero((w_t == 0) & (w_l == 0))
    src, dst = np.concatenate((src, dst[zero])), np.concatenate((dst, src[zero]))
    w_t, w_l = np.concatenate((w_t, w_t[zero])), np.concatenate((w_l, w_l[zero]))
    e_k = np.concatenate((e_k, e_k[zero]))
    f0, f1 = np.concatenate((f0, f1[zero])), np.concatenate((f1, f0[zero]))
    keep = src != dst  # self-loops never shorten a path
    csr, kept = _csr(src[keep], dst[keep], (w_t * PACK + w_l)[keep], n + npts)
    return AugmentedGraph(
        csr=csr,
        point_node=n + ids,
        entry_edge=e_k[keep][kept].astype(np.int32),
        entry_f0=f0[keep][kept],
        entry_f1=f1[keep][kept],
    )


def build_matrix(
    graph: RoadGraph,
    points: Sequence[SnappedPoint],
    *,
    progress: Progress | None = None,
    chunk_size: int | None = None,
) -> TravelMatrix:
    """All-pairs travel times (s) and distances (m) between `points`.

    Raises
    ------
    RoutingError
        Some pair has no path (cannot happen on a strongly connected graph).
    """
    started = time.perf_counter()
    points = tuple(points)
    aug = augment(graph, points)
    nodes = aug.point_node
    n = len(points)
    ids = np.arange(n)
    time_s = np.empty((n, n), np.int32)
    dist_m = np.empty((n, n), np.int32)
    step = _chunk(aug.csr.shape[0], chunk_size)
    for start in range(0, n, step):  # decoded chunk by chunk: no N x N float64 matrix
        rows = dijkstra(aug.csr, directed=True, indices=nodes[start : start + step])
        chunk = ids[start : start + step]
        time_s[chunk], dist_m[chunk] = _decode(graph, rows[:, nodes], chunk, ids)
        del rows
        if progress is not None:
            progress(min(start + step, n), n)
    log.info(
        "matrix %dx%d on %d nodes in %.2f s",
        len(points),
        len(points),
        aug.csr.shape[0],
        time.perf_counter() - started,
    )
    return TravelMatrix(time_s, dist_m, points)


def extend_matrix(
    graph: RoadGraph,
    matrix: TravelMatrix,
    new_points: Sequence[SnappedPoint],
    *,
    progress: Progress | None = None,
) -> TravelMatrix:
    """`matrix` with rows and columns appended for `new_points` (live bookings).

    Runs one forward search from each new point and one backward search (on
    the reversed graph) to it; the old block is copied. Equal to a full
    `build_matrix` on ``matrix.points + new_points``.
    """
    new_points = tuple(new_points)
    if not new_points:
        return matrix
    points = matrix.points + new_points
    old, total = matrix.n, len(points)
    aug = augment(graph, points)
    new_nodes = aug.point_node[old:]
    forward = _search(aug.csr, new_nodes, aug.point_node, progress=progress)
    backward = _search(aug.transposed(), new_nodes, aug.point_node[:old], progress=progress)
    rows = np.arange(old, total)
    t_fwd, d_fwd = _decode(graph, forward, rows, np.arange(total))
    t_bwd, d_bwd = _decode(graph, backward.T, np.arange(old), rows)
    time_s = np.zeros((total, total), dtype=np.int32)
    dist_m = np.zeros((total, total), dtype=np.int32)
    time_s[:old, :old], dist_m[:old, :old] = matrix.time_s, matrix.distance_m
    time_s[old:, :], dist_m[old:, :] = t_fwd, d_fwd
    time_s[:old, old:], dist_m[:old, old:] = t_bwd, d_bwd
    return TravelMatrix(time_s, dist_m, points)


def check_points(graph: RoadGraph, points: Sequence[SnappedPoint]) -> None:
    """InputError if an item is not a SnappedPoint on an edge of `graph`."""
    for i, p in enumerate(points):
        if not isinstance(p, SnappedPoint):
            raise InputError(f"point {i} must be a SnappedPoint, got {type(p).__name__}")
        if p.edge >= graph.n_edges:
            raise InputError(
                f"point {i} lies on edge {p.edge}, not in this graph ({graph.n_edges} edges)"
            )


def _csr(
    src: np.ndarray, dst: np.ndarray, weight: np.ndarray, size: int
) -> tuple[sp.csr_matrix, np.ndarray]:
    """CSR keeping, for each (src, dst), only the least weight; also returns the kept positions."""
    order = np.lexsort((weight, dst, src))
    s, d = src[order], dst[order]
    first = np.ones(order.size, bool)
    first[1:] = (s[1:] != s[:-1]) | (d[1:] != d[:-1])
    kept = order[first]
    indptr = np.zeros(size + 1, dtype=np.int64)
    np.cumsum(np.bincount(src[kept], minlength=size), out=indptr[1:])
    csr = sp.csr_matrix((weight[kept], dst[kept].astype(np.int32), indptr), shape=(size, size))
    return csr, kept


def _chunk(n_nodes: int, chunk_size: int | None) -> int:
    if chunk_size is not None:
        if chunk_size < 1:
            raise InputError(f"chunk_size must be >= 1, got {chunk_size}")
        return chunk_size
    return int(max(1, min(MAX_CHUNK, CHUNK_BUDGET_BYTES // (8 * n_nodes))))


def _search(
    csr: sp.csr_matrix,
    sources: np.ndarray,
    targets: np.ndarray,
    *,
    progress: Progress | None = None,
    chunk_size: int | None = None,
) -> np.ndarray:
    """Packed fastest-path weights, float64[len(sources), len(targets)] (inf = unreachable)."""
    out = np.empty((sources.size, targets.size))
    step = _chunk(csr.shape[0], chunk_size)
    for start in range(0, sources.size, step):
        rows = dijkstra(csr, directed=True, indices=sources[start : start + step])
        out[start : start + step] = rows[:, targets]
        del rows  # free this chunk before the next one is allocated
        if progress is not None:
            progress(min(start + step, sources.size), sources.size)
    return out


def _decode(
    graph: RoadGraph, packed: np.ndarray, row_ids: np.ndarray, col_ids: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Split packed weights into int32 seconds and metres; RoutingError if unreachable/overflow."""
    if not np.isfinite(packed).all():
        bad = np.argwhere(~np.isfinite(packed))
        pairs = ", ".join(f"{row_ids[i]}->{col_ids[j]}" for i, j in bad[:5])
        raise RoutingError(
            f"no road path for {len(bad)} point pair(s): {pairs}"
            f"{' …' if len(bad) > 5 else ''} (graph {graph.info.source})"
        )
    if packed.size == 0:
        return np.zeros(packed.shape, np.int32), np.zeros(packed.shape, np.int32)
    top = float(np.floor(packed.max() / PACK))
    vmax = float(np.max(graph.edge_length_m / graph.edge_time_s))  # m/s, incl. rounding
    if top * vmax + 2.0 * float(graph.edge_length_m.max()) >= PACK or top >= 2**31:
        raise RoutingError(
            f"paths up to {top:.0f} s may exceed the packed-weight limits "
            f"(2**21 m, 2**31 s); split the map"
        )
    seconds = np.empty(packed.shape, np.int32)
    metres = np.empty(packed.shape, np.int32)
    for start in range(0, packed.shape[0], MAX_CHUNK):  # by blocks: no N x N float temporaries
        block = packed[start : start + MAX_CHUNK]
        whole = np.floor(block / PACK)
        seconds[start : start + MAX_CHUNK] = whole
        metres[start : start + MAX_CHUNK] = block - whole * PACK
    return seconds, metres
