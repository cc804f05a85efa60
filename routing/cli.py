"""``noriai map``: load and summarise road graphs, try a travel-time matrix. 道路網.

Registered under the root CLI as ``noriai map``; runnable alone with
``python -c "from routing.cli import map_app; map_app()" info SOURCE``.
Defaults for the speed factor, snapping distance and cache directory come from
the root CLI's settings object (``ctx.obj``) when there is one.
"""

from __future__ import annotations

import time
import tracemalloc
from pathlib import Path
from typing import Annotated, Any, NoReturn

import numpy as np
import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from routing.errors import InputError, NoriaiError
from routing.graph import RoadGraph, load_graph
from routing.matrix import TravelMatrix, build_matrix
from routing.snapping import DEFAULT_MAX_SNAP_M, Snapper, random_points_near_roads
from routing.speeds import SpeedTable

map_app = typer.Typer(
    help=(
        "Road graphs from OpenStreetMap: load, summarise, build travel-time matrices. "
        "道路網の読み込み・確認・所要時間行列。"
    ),
    no_args_is_help=True,
)


@map_app.callback()
def _group() -> None:
    """Road graphs from OpenStreetMap. 道路網。"""


@map_app.command("info")
def info(
    ctx: typer.Context,
    source: Annotated[
        str,
        typer.Argument(
            help="Map file (.graphml, Overpass .json, .osm, .osm.bz2, .osm.gz, .pbf) or a place "
            "name such as 'Ina, Nagano, Japan' (place names download from OpenStreetMap).",
        ),
    ],
    matrix: Annotated[
        int,
        typer.Option(
            "--matrix",
            min=0,
            help="Also build an N×N travel-time matrix between N random doors and report its "
            "build time and memory. 所要時間行列の試算。",
        ),
    ] = 0,
    seed: Annotated[int, typer.Option(help="Random seed of the --matrix points.")] = 0,
    speed_factor: Annotated[
        float | None,
        typer.Option(
            help="Multiply every road speed (0.9 = drive 10% slower, for elderly riders). "
            "Default: NORIAI_SPEED_FACTOR or 0.9.",
        ),
    ] = None,
    max_snap_m: Annotated[
        float | None,
        typer.Option(
            help="Farthest a door may lie from a road, metres. Default: NORIAI_MAX_SNAP_M or 300."
        ),
    ] = None,
    cache_dir: Annotated[
        Path | None,
        typer.Option(
            help="Cache built graphs here (rebuilt when the map or speeds change). "
            "Default: NORIAI_CACHE_DIR under the root CLI, else no cache.",
        ),
    ] = None,
) -> None:
    """Summarise a road graph: size, area, what was dropped, the speeds used. 道路網の概要。"""
    factor = setting(ctx, "speed_factor", speed_factor, 0.9)
    snap_m = setting(ctx, "max_snap_m", max_snap_m, DEFAULT_MAX_SNAP_M)
    cache_dir = setting(ctx, "cache_dir", cache_dir, None)
    console = Console()
    try:
        started = time.perf_counter()
        graph = load_with_progress(console, source, SpeedTable(factor=factor), cache_dir)
        load_s = time.perf_counter() - started
        console.print(_graph_table(graph, load_s))
        console.print(_speed_table(graph.info.speeds))
        if matrix:
            _matrix_report(console, graph, matrix, seed=seed, max_snap_m=float(snap_m))
    except NoriaiError as exc:
        exit_with_error(exc)
    console.print(OSM_CREDIT, style="dim")


OSM_CREDIT = "Map data © OpenStreetMap contributors, ODbL 1.0."


def setting(ctx: typer.Context | None, name: str, given: Any, default: Any) -> Any:
    """`given` when the user set it, else the root CLI's setting `name`, else `default`.

    The root CLI (``noriai``) puts its `Settings` in ``ctx.obj``; a sub-app run alone
    has none, and falls back to `default`.
    """
    if given is not None:
        return given
    return getattr(ctx.obj if ctx is not None else None, name, default)


def town_graph(ctx: typer.Context | None) -> str:
    """The bundled town's map from the root CLI's settings (``NORIAI_DATA_DIR`` + town_graph)."""
    settings = ctx.obj if ctx is not None else None
    if settings is None or not hasattr(settings, "town_graph_path"):
        raise InputError("no map given (--graph) and no settings to find the town's map in")
    return str(settings.town_graph_path())


def load_with_progress(
    console: Console, source: str | Path, speeds: SpeedTable, cache_dir: Path | None
) -> RoadGraph:
    """`load_graph` under a spinner (large maps take a while)."""
    with _progress(console) as bar:
        bar.add_task(f"Loading {source}", total=None)
        return load_graph(source, speeds, cache_dir=cache_dir)


def exit_with_error(exc: Exception) -> NoReturn:
    """Print `exc` on stderr and leave with status 1 (no traceback: it is the user's input)."""
    Console(stderr=True).print(f"[red]error:[/red] {exc}", soft_wrap=True)
    raise typer.Exit(code=1) from exc


def _matrix_report(
    console: Console, graph: RoadGraph, n: int, *, seed: int, max_snap_m: float
) -> None:
    doors = random_points_near_roads(graph, n, seed=seed)
    tracemalloc.start()
    try:
        started = time.perf_counter()
        points = Snapper(graph, max_snap_m=max_snap_m).snap(doors)
        snap_s = time.perf_counter() - started
        with _progress(console, counted=True) as bar:
            task = bar.add_task(f"Matrix {n}×{n}", total=n)
            started = time.perf_counter()
            tm = build_matrix(
                graph, points, progress=lambda done, _total: bar.update(task, completed=done)
            )
            build_s = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    console.print(_matrix_table(tm, n=n, seed=seed, snap_s=snap_s, build_s=build_s, peak=peak))


def _graph_table(graph: RoadGraph, load_s: float) -> Table:
    info = graph.info
    table = Table(title=f"Road graph 道路網: {info.source}", show_header=False)
    table.add_column("what", style="bold")
    table.add_column("value")
    min_lon, min_lat, max_lon, max_lat = info.bbox
    one_way = int((graph.edge_reverse < 0).sum())
    rows: list[tuple[str, Any]] = [
        ("nodes (junctions)", f"{info.nodes:,}"),
        ("edges (directed)", f"{info.edges:,} ({one_way:,} one-way)"),
        ("road length", f"{_two_way_km(graph):,.1f} km"),
        ("area (lon, lat)", f"{min_lon:.4f}..{max_lon:.4f}, {min_lat:.4f}..{max_lat:.4f}"),
        (
            "as read",
            f"{info.nodes_read:,} nodes, {info.edges_read:,} edges"
            + (" (then simplified)" if info.simplified else ""),
        ),
        (
            "dropped (not strongly connected)",
            f"{info.nodes_dropped:,} nodes, {info.edges_dropped:,} edges",
        ),
        ("load time", f"{load_s:.2f} s"),
    ]
    rows += [("note", note) for note in info.notes]
    for key, value in rows:
        table.add_row(key, str(value))
    return table


def _speed_table(speeds: SpeedTable) -> Table:
    table = Table(title=f"Speeds 速度 (km/h; posted maxspeed wins; × factor {speeds.factor:g})")
    table.add_column("highway")
    table.add_column("km/h", justify="right")
    table.add_column("driven km/h", justify="right")
    for name, kmh in sorted(speeds.kmh.items(), key=lambda kv: (-kv[1], kv[0])):
        table.add_row(name, f"{kmh:g}", f"{kmh * speeds.factor:.1f}")
    table.add_row(
        "(other)", f"{speeds.fallback_kmh:g}", f"{speeds.fallback_kmh * speeds.factor:.1f}"
    )
    return table


def _matrix_table(
    tm: TravelMatrix, *, n: int, seed: int, snap_s: float, build_s: float, peak: int
) -> Table:
    table = Table(title=f"Travel-time matrix 所要時間行列 {n}×{n} (seed {seed})", show_header=False)
    table.add_column("what", style="bold")
    table.add_column("value")
    off = ~np.eye(tm.n, dtype=bool)
    snap = np.array([p.distance_m for p in tm.points]) if tm.n else np.zeros(1)
    rows = [
        (
            "snap time",
            f"{snap_s:.3f} s (door to road: median {np.median(snap):.1f} m, "
            f"max {snap.max():.1f} m)",
        ),
        ("build time", f"{build_s:.3f} s"),
        ("peak memory", f"{peak / 2**20:.1f} MiB (tracemalloc: Python + numpy heap, snap + build)"),
    ]
    if tm.n > 1:
        t, d = tm.time_s[off], tm.distance_m[off]
        rows += [
            ("travel time", f"median {np.median(t) / 60:.1f} min, max {t.max() / 60:.1f} min"),
            ("distance", f"median {np.median(d) / 1000:.2f} km, max {d.max() / 1000:.2f} km"),
            (
                "asymmetric pairs",
                f"{int((tm.time_s != tm.time_s.T)[off].sum()) // 2:,} (one-way streets)",
            ),
        ]
    for key, value in rows:
        table.add_row(key, value)
    return table


def _two_way_km(graph: RoadGraph) -> float:
    """Road length counting each two-way street once, km."""
    idx = np.arange(graph.n_edges)
    counted = (graph.edge_reverse < 0) | (idx < graph.edge_reverse)
    return float(graph.edge_length_m[counted].sum()) / 1000


def _progress(console: Console, *, counted: bool = False) -> Progress:
    columns: list[Any] = [SpinnerColumn(), TextColumn("{task.description}")]
    if counted:
        columns += [BarColumn(), TextColumn("{task.completed}/{task.total}")]
    return Progress(*columns, TimeElapsedColumn(), console=console, transient=True)
