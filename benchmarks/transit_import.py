"""Reading a town-sized transit feed: seconds and memory of `read_feed` + `read_timetable`.

Question: how long does the bus-line review wait for a feed of a whole town's network
(hundreds of stops, tens of thousands of stop times), and how much memory does it take?

Protocol:

* the feed is drafted on the Tachikawa roads with the ``make-feed`` drafter
  (`routing.transit.draft.draft_feed`): ``--lines`` lines (every third a loop, the rest
  two-way), ``--stops`` stops each drawn beside the roads (fixed seed) and ordered along
  the line, a departure every ``--headway-min`` minutes from 06:00 to 22:00, weekdays
  and Saturdays; it is written to a temporary folder and a zip of the same;
* ``draft_s``: drafting the feed (snapping, routing every leg; for scale only);
* ``read_s``: `read_feed` wall time (gtfs-kit's frames plus every check), and
  ``timetable_s``: `read_timetable` of a weekday, each the best of ``--repeats`` runs;
* ``peak_mb``: one more traced run of both (tracemalloc: Python + numpy/pandas heap);
  ``rss_mb``: the process's peak resident set so far (includes the road graph).

Entry point: `cli` (registered as ``noriai bench transit``).
"""

from __future__ import annotations

import datetime as dt
import gc
import math
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer

from benchmarks.instances import data_dir as reference_data_dir
from benchmarks.report import write_results
from routing.graph import RoadGraph, load_graph
from routing.snapping import LocalProjection, random_points_near_roads
from routing.speeds import SpeedTable
from routing.transit.draft import DraftFeed, DraftLine, DraftStop, draft_feed, write_gtfs
from routing.transit.feed import read_feed, read_timetable

RESULTS_DIR = Path(__file__).resolve().parent / "results"
WEEKDAY = dt.date(2026, 12, 1)
COLUMNS = (
    "format",
    "stops",
    "routes",
    "trips",
    "stop_times",
    "shape_points",
    "size_mb",
    "draft_s",
    "read_s",
    "timetable_s",
    "day_trips",
    "peak_mb",
    "rss_mb",
)


def cli(
    lines: Annotated[int, typer.Option(min=1, help="Bus lines in the feed.")] = 12,
    stops: Annotated[int, typer.Option(min=2, help="Stops per line.")] = 25,
    headway_min: Annotated[int, typer.Option(min=1, help="Minutes between departures.")] = 15,
    repeats: Annotated[int, typer.Option(min=1, help="Timed runs (best counts).")] = 3,
    seed: Annotated[int, typer.Option(help="Seed of the stops' places.")] = 0,
    quick: Annotated[bool, typer.Option(help="CI size: 3 lines of 6 stops, hourly.")] = False,
    out: Annotated[Path, typer.Option(help="JSON output; markdown beside it.")] = RESULTS_DIR
    / "transit_import.json",
    data_dir: Annotated[
        Path | None,
        typer.Option(help="Reference data (default: NORIAI_DATA_DIR or ../shared/data)."),
    ] = None,
) -> None:
    """Seconds and memory of reading a town-sized GTFS feed into a timetable."""
    if quick:
        lines, stops, headway_min, repeats = 3, 6, 60, 1
    road = reference_data_dir(data_dir) / "osm" / "tachikawa_drive.graphml"
    graph = load_graph(road, SpeedTable(factor=1.0))
    rows = measure(
        graph, lines=lines, stops=stops, headway_min=headway_min, repeats=repeats, seed=seed
    )
    for row in rows:
        typer.echo(", ".join(f"{k}={row[k]}" for k in COLUMNS))
    json_path, md_path = write_results(
        out,
        title="Transit feed import",
        rows=rows,
        columns=COLUMNS,
        summary={
            k: rows[0][k]
            for k in ("stops", "trips", "stop_times", "read_s", "timetable_s", "peak_mb")
        },
        params={
            "lines": lines,
            "stops": stops,
            "headway_min": headway_min,
            "repeats": repeats,
            "seed": seed,
        },
        notes=[
            "Feed drafted by routing.transit.draft on the Tachikawa roads (weekdays + Saturdays, "
            "06:00-22:00), written by gtfs-kit to a folder and a zip.",
            "read_s: read_feed (gtfs-kit read + the checks naming file/row/field, stop times "
            "to seconds); timetable_s: read_timetable of a weekday from the read feed; best of "
            "`repeats`.",
            "peak_mb: tracemalloc peak of one more run of both (Python + numpy/pandas heap); "
            "rss_mb: process peak RSS so far (ru_maxrss; includes the road graph and libraries).",
            "Map data © OpenStreetMap contributors, ODbL 1.0.",
        ],
    )
    typer.echo(f"wrote {json_path} and {md_path}")


def measure(
    graph: RoadGraph, *, lines: int, stops: int, headway_min: int, repeats: int, seed: int
) -> list[dict[str, Any]]:
    """One row per format (folder, zip) of the same drafted feed."""
    started = time.perf_counter()
    feed = draft_feed(
        town_network(graph, lines=lines, stops=stops, headway_min=headway_min, seed=seed), graph
    )
    draft_s = time.perf_counter() - started
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for fmt, path in (("folder", Path(tmp) / "feed"), ("zip", Path(tmp) / "feed.zip")):
            write_gtfs(feed, path)
            size = (
                sum(p.stat().st_size for p in path.iterdir())
                if path.is_dir()
                else path.stat().st_size
            )
            read_s, timetable_s = math.inf, math.inf
            for _ in range(repeats):
                gc.collect()
                started = time.perf_counter()
                read = read_feed(path)
                middle = time.perf_counter()
                day = read_timetable(read, WEEKDAY)
                read_s = min(read_s, middle - started)
                timetable_s = min(timetable_s, time.perf_counter() - middle)
                del read
            gc.collect()
            tracemalloc.start()
            try:
                read_timetable(read_feed(path), WEEKDAY)
                peak = tracemalloc.get_traced_memory()[1]
            finally:
                tracemalloc.stop()
            rows.append(
                {
                    "format": fmt,
                    "stops": len(feed.stops),
                    "routes": len(feed.routes),
                    "trips": len(feed.trips),
                    "stop_times": len(feed.stop_times),
                    "shape_points": len(feed.shapes),
                    "size_mb": round(size / 2**20, 2),
                    "draft_s": round(draft_s, 2),
                    "read_s": round(read_s, 3),
                    "timetable_s": round(timetable_s, 3),
                    "day_trips": len(day.trips),
                    "peak_mb": round(peak / 2**20, 1),
                    "rss_mb": round(_rss_mb(), 1),
                }
            )
    return rows


def town_network(
    graph: RoadGraph, *, lines: int, stops: int, headway_min: int, seed: int
) -> DraftFeed:
    """`lines` lines of `stops` stops beside the roads of `graph`, reproducible by `seed`.

    Each line's stops are drawn near a random chord of the map and ordered along it (a
    loop orders them by angle around their centre), so lines run across town.
    """
    rng = np.random.default_rng(seed)
    proj = LocalProjection.for_graph(graph)
    pool = random_points_near_roads(graph, lines * stops * 20, seed=seed)
    x, y = proj.to_xy(pool[:, 0], pool[:, 1])
    departures = tuple(range(6 * 3600, 22 * 3600 + 1, headway_min * 60))
    built = []
    for k in range(lines):
        angle = rng.uniform(0, math.pi)
        loop = k % 3 == 0
        # stops near a line through a random point of the pool, at that angle
        centre = rng.integers(len(x))
        cx, cy = x[centre], y[centre]
        along = (x - cx) * math.cos(angle) + (y - cy) * math.sin(angle)
        across = -(x - cx) * math.sin(angle) + (y - cy) * math.cos(angle)
        near = np.flatnonzero(np.abs(across) < (1500 if loop else 400))
        chosen = rng.choice(near, size=min(stops, near.size), replace=False)
        if loop:
            mx, my = x[chosen].mean(), y[chosen].mean()
            chosen = chosen[np.argsort(np.arctan2(y[chosen] - my, x[chosen] - mx))]
        else:
            chosen = chosen[np.argsort(along[chosen])]
        built.append(
            DraftLine(
                route_id=f"B{k + 1:02d}",
                short_name=str(k + 1),
                long_name=f"Line {k + 1}",
                loop=loop,
                stops=tuple(
                    DraftStop(f"B{k + 1:02d}-{j + 1:02d}", float(pool[i, 0]), float(pool[i, 1]), 20)
                    for j, i in enumerate(chosen)
                ),
                departures_s=departures,
                days=(True, True, False),
                speed_factor=0.8,
            )
        )
    return DraftFeed(
        agency_name="Benchmark bus",
        agency_url="https://example.invalid/",
        agency_phone="",
        timezone="Asia/Tokyo",
        start=WEEKDAY,
        end=WEEKDAY + dt.timedelta(days=90),
        lines=tuple(built),
    )


def _rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10
