"""Travel-time matrix build: seconds and memory for N doors, and the speed-up over networkx.

Question: how long does an N×N matrix (N = 100, 500, 2,000, 5,000) take on a real
Japanese town, how much memory does it need, and does it scale to a 50,000-node graph
on a small machine?

Protocol, per graph and N:

* N doors drawn along the roads (`random_points_near_roads`, fixed seed), snapped;
* ``build_s``: `build_matrix` wall time, best of ``--repeats`` untraced runs;
* ``peak_mb``: one more run under tracemalloc (Python + numpy heap, which holds the
  Dijkstra rows and the matrices); ``matrix_mb``: the result itself (two int32 N×N
  arrays, 8 N² bytes: 191 MB at N = 5,000); ``rss_mb``: the process's peak resident
  set so far;
* networkx: `nx.single_source_dijkstra_path_length` on a ``DiGraph`` of the *same*
  augmented graph (virtual door nodes, min-weight parallel edges, packed weights) from
  ``--nx-sample`` sources; every sampled row is checked equal to ours. For N above the
  sample, networkx's time is the mean per source times N (extrapolated, flagged).

Graphs: ``kumamoto`` (the bundled Overpass JSON, simplified, the largest bundled
Japanese graph), ``kumamoto-raw`` (the same, unsimplified), ``tachikawa`` (GraphML),
``grid50k`` (synthetic 224×224 street grid, 50,176 nodes) or a map file path.

Entry point: `cli` (registered as ``noriai bench matrix``).
"""

from __future__ import annotations

import gc
import logging
import os
import resource
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Annotated, Any

import networkx as nx
import numpy as np
import typer

from benchmarks.report import write_results
from routing.graph import GraphInfo, RoadGraph, graph_from_overpass_json, load_graph
from routing.matrix import PACK, augment, build_matrix
from routing.snapping import Snapper, random_points_near_roads
from routing.speeds import SpeedTable

log = logging.getLogger(__name__)

RESULTS_DIR = Path(__file__).resolve().parent / "results"
REPO_ROOT = Path(__file__).resolve().parent.parent
COLUMNS = (
    "graph",
    "nodes",
    "edges",
    "N",
    "snap_s",
    "build_s",
    "ms_per_source",
    "peak_mb",
    "matrix_mb",
    "rss_mb",
    "nx_sources",
    "nx_s",
    "nx_extrapolated",
    "speedup_vs_nx",
    "nx_rows_equal",
)


def cli(
    sizes: Annotated[
        str, typer.Option(help="Comma-separated numbers of doors N.")
    ] = "100,500,2000,5000",
    graph: Annotated[
        str,
        typer.Option(
            help="Comma-separated graphs: kumamoto, kumamoto-raw, tachikawa, grid50k, "
            "or a map file."
        ),
    ] = "kumamoto",
    nx_sample: Annotated[
        int, typer.Option(min=1, help="networkx sources per N (extrapolated to N above this).")
    ] = 20,
    repeats: Annotated[int, typer.Option(min=1, help="Timed runs per N (best counts).")] = 1,
    seed: Annotated[int, typer.Option(help="Seed of the random doors.")] = 0,
    out: Annotated[Path, typer.Option(help="JSON output; markdown beside it.")] = RESULTS_DIR
    / "matrix_build.json",
    data_dir: Annotated[
        Path | None,
        typer.Option(help="Reference data (default: NORIAI_DATA_DIR or ../shared/data)."),
    ] = None,
) -> None:
    """Time and memory of N×N matrix builds, and the speed-up over networkx."""
    ns = [int(s) for s in sizes.split(",") if s.strip()]
    data = data_dir or Path(os.environ.get("NORIAI_DATA_DIR", REPO_ROOT.parent / "shared" / "data"))
    rows: list[dict[str, Any]] = []
    for name in [g.strip() for g in graph.split(",") if g.strip()]:
        started = time.perf_counter()
        road = load_bench_graph(name, data)
        typer.echo(
            f"{name}: {road.n_nodes:,} nodes, {road.n_edges:,} edges "
            f"(loaded in {time.perf_counter() - started:.1f} s)"
        )
        for n in ns:
            row = measure(road, name, n, nx_sample=nx_sample, repeats=repeats, seed=seed)
            typer.echo("  " + ", ".join(f"{k}={row[k]}" for k in COLUMNS[3:]))
            rows.append(row)
    biggest = max(rows, key=lambda r: (r["nodes"], r["N"]))
    json_path, md_path = write_results(
        out,
        title="Travel-time matrix build",
        rows=rows,
        columns=COLUMNS,
        summary={
            "largest_graph_nodes": biggest["nodes"],
            "largest_N": biggest["N"],
            "build_s": biggest["build_s"],
            "peak_mb": biggest["peak_mb"],
            "speedup_vs_nx": biggest["speedup_vs_nx"],
        },
        params={
            "sizes": sizes,
            "graph": graph,
            "nx_sample": nx_sample,
            "repeats": repeats,
            "seed": seed,
        },
        notes=[
            "build_s: routing.matrix.build_matrix wall time (augmented CSR + chunked "
            "scipy.sparse.csgraph.dijkstra, one search per door), best of `repeats`; "
            "snap_s: snapping the N doors (separate).",
            "peak_mb: tracemalloc peak of one extra traced build (Python + numpy heap: Dijkstra "
            "rows, matrices); matrix_mb: the result (two int32 N x N arrays); rss_mb: process "
            "peak RSS so far (ru_maxrss, includes the graph and libraries, monotone across "
            "rows).",
            "nx_s: networkx single_source_dijkstra_path_length on a DiGraph of the same augmented "
            "graph (min-weight parallel edges, packed time/length weights); sampled on "
            "nx_sources sources and, where nx_extrapolated, scaled to N sources by the mean per "
            "source. networkx graph construction is not timed. nx_rows_equal: every sampled row "
            "equals ours exactly.",
            "Doors: random points within 15 m of the roads, edge chosen by length (seeded).",
            "Map data © OpenStreetMap contributors, ODbL 1.0.",
        ],
    )
    typer.echo(f"wrote {json_path} and {md_path}")


def load_bench_graph(name: str, data_dir: Path) -> RoadGraph:
    """A benchmark graph by name (see the module docstring) or map file path."""
    speeds = SpeedTable()
    if name == "kumamoto":
        return load_graph(data_dir / "osm" / "kumamoto_central_drive.overpass.json", speeds)
    if name == "kumamoto-raw":
        return graph_from_overpass_json(
            data_dir / "osm" / "kumamoto_central_drive.overpass.json", speeds, simplify=False
        )
    if name == "tachikawa":
        return load_graph(data_dir / "osm" / "tachikawa_drive.graphml", speeds)
    if name == "grid50k":
        return synthetic_grid(224, 224, speeds=speeds)
    return load_graph(name, speeds)


def synthetic_grid(
    rows: int, cols: int, *, spacing_m: float = 100.0, speeds: SpeedTable | None = None
) -> RoadGraph:
    """A rows×cols street grid near Ina (Nagano): blocks of `spacing_m` metres.

    Every 10th street is a 40 km/h tertiary road, the rest 30 km/h residential;
    every 4th east-west street is one-way, alternating direction. Strongly connected.
    """
    speeds = speeds or SpeedTable()
    lon0, lat0 = 137.90, 35.80
    m_lat = 6_371_009.0 * np.pi / 180
    m_lon = m_lat * np.cos(np.radians(lat0))
    r, c = np.divmod(np.arange(rows * cols), cols)
    lon, lat = lon0 + c * spacing_m / m_lon, lat0 + r * spacing_m / m_lat
    node = np.arange(rows * cols).reshape(rows, cols)
    # east-west streets: (row, col) -> (row, col+1)
    ew_u, ew_v = node[:, :-1].ravel(), node[:, 1:].ravel()
    ew_row = np.repeat(np.arange(rows), cols - 1)
    ns_u, ns_v = node[:-1, :].ravel(), node[1:, :].ravel()
    ns_col = np.tile(np.arange(cols), rows - 1)
    one_way = ew_row % 4 == 2
    eastbound = (ew_row // 4) % 2 == 0
    fwd_u = np.concatenate((np.where(one_way & ~eastbound, ew_v, ew_u), ns_u))
    fwd_v = np.concatenate((np.where(one_way & ~eastbound, ew_u, ew_v), ns_v))
    main = np.concatenate((ew_row % 10 == 0, ns_col % 10 == 0))
    two_way = np.concatenate((~one_way, np.ones(ns_u.size, bool)))
    u = np.concatenate((fwd_u, fwd_v[two_way]))
    v = np.concatenate((fwd_v, fwd_u[two_way]))
    is_main = np.concatenate((main, main[two_way]))
    m_fwd, m = fwd_u.size, u.size
    reverse = np.full(m, -1, dtype=np.int64)
    back = np.arange(m_fwd, m)
    reverse[np.flatnonzero(two_way)] = back
    reverse[back] = np.flatnonzero(two_way)
    length = np.full(m, round(spacing_m), dtype=np.int32)
    kmh = np.where(is_main, speeds.class_kmh("tertiary"), speeds.class_kmh("residential"))
    seconds = np.maximum(1, np.floor(spacing_m * 3.6 / (kmh * speeds.factor) + 0.5)).astype(
        np.int32
    )
    geom = np.column_stack((u, v)).ravel()
    info = GraphInfo(
        source=f"synthetic grid {rows}x{cols}, {spacing_m:g} m blocks",
        nodes_read=rows * cols,
        edges_read=m,
        nodes_dropped=0,
        edges_dropped=0,
        nodes=rows * cols,
        edges=m,
        bbox=(float(lon.min()), float(lat.min()), float(lon.max()), float(lat.max())),
        speeds=speeds,
        simplified=True,
    )
    return RoadGraph(
        node_osmid=np.arange(1, rows * cols + 1),
        lon=lon,
        lat=lat,
        edge_u=u,
        edge_v=v,
        edge_length_m=length,
        edge_time_s=seconds,
        edge_highway=np.where(is_main, "tertiary", "residential"),
        geom_lon=lon[geom],
        geom_lat=lat[geom],
        geom_offsets=np.arange(0, 2 * m + 1, 2),
        info=info,
        edge_reverse=reverse,
    )


def measure(
    graph: RoadGraph, name: str, n: int, *, nx_sample: int, repeats: int, seed: int
) -> dict[str, Any]:
    """One row of the table: graph `name`, N = `n` doors."""
    doors = random_points_near_roads(graph, n, seed=seed)
    started = time.perf_counter()
    points = Snapper(graph).snap(doors)
    snap_s = time.perf_counter() - started
    best = float("inf")
    matrix = None
    for _ in range(repeats):
        gc.collect()
        started = time.perf_counter()
        matrix = build_matrix(graph, points)
        best = min(best, time.perf_counter() - started)
    assert matrix is not None
    gc.collect()
    tracemalloc.start()
    try:
        build_matrix(graph, points)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    nx_s, sampled, equal = networkx_time(graph, points, matrix, nx_sample, seed=seed)
    nx_total = nx_s / sampled * n
    return {
        "graph": name,
        "nodes": graph.n_nodes,
        "edges": graph.n_edges,
        "N": n,
        "snap_s": round(snap_s, 3),
        "build_s": round(best, 3),
        "ms_per_source": round(1000 * best / n, 2),
        "peak_mb": round(peak / 2**20, 1),
        "matrix_mb": round(matrix.time_s.nbytes * 2 / 2**20, 1),
        "rss_mb": round(_max_rss_mb(), 1),
        "nx_sources": sampled,
        "nx_s": round(nx_total, 2),
        "nx_extrapolated": sampled < n,
        "speedup_vs_nx": round(nx_total / best, 1),
        "nx_rows_equal": equal,
    }


def networkx_time(
    graph: RoadGraph, points: list, matrix: Any, sample: int, *, seed: int
) -> tuple[float, int, bool]:
    """Seconds networkx takes for `sample` of the doors' rows; whether they equal ours."""
    aug = augment(graph, points)
    coo = aug.csr.tocoo()
    G = nx.DiGraph()
    G.add_weighted_edges_from(
        zip(coo.row.tolist(), coo.col.tolist(), coo.data.tolist(), strict=True)
    )
    rng = np.random.default_rng(seed)
    sources = rng.choice(len(points), size=min(sample, len(points)), replace=False)
    nodes = aug.point_node.tolist()
    equal = True
    elapsed = 0.0
    for i in sources.tolist():
        started = time.perf_counter()
        dist = nx.single_source_dijkstra_path_length(G, nodes[i], weight="weight")
        elapsed += time.perf_counter() - started
        packed = np.array([dist[x] for x in nodes])
        seconds = np.floor(packed / PACK)
        equal &= bool(
            np.array_equal(seconds, matrix.time_s[i])
            and np.array_equal(packed - seconds * PACK, matrix.distance_m[i])
        )
    return elapsed, len(sources), equal


def _max_rss_mb() -> float:
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / 2**20 if sys.platform == "darwin" else rss / 2**10  # bytes on macOS, KiB on Linux
