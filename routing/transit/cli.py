"""``noriai transit``: look into a GTFS / GTFS-JP feed, draft a feed from a line sketch.

Registered under the root CLI as ``noriai transit``; runnable alone with
``python -c "from routing.transit.cli import transit_app; transit_app()" info FEED``.
Maps load as ``noriai map`` loads them (`routing.cli`): the settings' cache and snap
distance, and the town's map (``NORIAI_DATA_DIR`` + town_graph) when none is given.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from routing.cli import OSM_CREDIT, exit_with_error, load_with_progress, setting, town_graph
from routing.errors import InputError, NoriaiError
from routing.graph import RoadGraph
from routing.snapping import DEFAULT_MAX_SNAP_M
from routing.speeds import SpeedTable
from routing.transit.draft import draft_feed, read_draft, write_gtfs
from routing.transit.feed import format_hhmm, read_feed
from routing.transit.info import FeedSummary, summarise

transit_app = typer.Typer(
    help="公共交通 Transit feeds (GTFS / GTFS-JP): summarise a feed, draft one from a line sketch.",
    no_args_is_help=True,
)

GraphOption = Annotated[
    Path | None,
    typer.Option(
        "--graph",
        help="Road map (.graphml, .osm, .pbf, Overpass .json). 道路網。",
    ),
]


@transit_app.callback()
def _group() -> None:
    """公共交通 Transit feeds (GTFS / GTFS-JP)."""


@transit_app.command("info")
def info(
    ctx: typer.Context,
    feed: Annotated[Path, typer.Argument(help="フィード GTFS / GTFS-JP feed: a .zip or a folder.")],
    date: Annotated[
        str | None,
        typer.Option(
            "--date",
            help="運行日 Service date YYYY-MM-DD. Default: the feed's busiest date "
            "(most trips; the earliest among equals).",
        ),
    ] = None,
    graph: GraphOption = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="JSON on stdout, for scripts. 機械可読出力。")
    ] = False,
) -> None:
    """フィードの概要 What a feed runs on one day: routes, trips, hours, vehicle-km."""
    console = Console()
    try:
        day = _date(date)
        road = _graph(ctx, console, graph) if graph is not None else None
        snap_m = float(setting(ctx, "max_snap_m", None, DEFAULT_MAX_SNAP_M))
        summary = summarise(read_feed(feed), day, graph=road, max_snap_m=snap_m)
    except NoriaiError as exc:
        exit_with_error(exc)
    if as_json:
        typer.echo(json.dumps(summary.as_dict(), ensure_ascii=False, indent=2))
        return
    for table in _tables(summary):
        console.print(table)
    if road is not None:
        console.print(OSM_CREDIT, style="dim")


@transit_app.command("make-feed")
def make_feed(
    ctx: typer.Context,
    line: Annotated[Path, typer.Argument(help="路線案 Line description (TOML).")],
    out: Annotated[Path, typer.Argument(help="出力 Output: a .zip, or a folder of .txt files.")],
    graph: GraphOption = None,
) -> None:
    """路線案からフィード作成 Draft a GTFS feed along the roads from a line sketch."""
    console = Console()
    try:
        draft = read_draft(line)
        source = Path(graph) if graph is not None else Path(town_graph(ctx))
        road = _graph(ctx, console, source)
        snap_m = float(setting(ctx, "max_snap_m", None, DEFAULT_MAX_SNAP_M))
        path = write_gtfs(draft_feed(draft, road, max_snap_m=snap_m), out)
        feed = read_feed(path)  # what was written reads back
    except NoriaiError as exc:
        exit_with_error(exc)
    gtfs = feed.gtfs
    console.print(
        f"wrote {path}: {len(gtfs.routes)} routes, {len(gtfs.stops)} stops, "
        f"{len(gtfs.trips)} trips, {len(gtfs.stop_times)} stop times "
        f"(roads: {source.name}). 作成しました。",
        soft_wrap=True,
    )
    console.print(OSM_CREDIT, style="dim")


def _graph(ctx: typer.Context, console: Console, source: Path) -> RoadGraph:
    """The map at road speeds x 1.0: a line's own speed_factor sets the bus's pace."""
    cache_dir = setting(ctx, "cache_dir", None, None)
    return load_with_progress(console, source, SpeedTable(factor=1.0), cache_dir)


def _date(text: str | None) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InputError(f"--date {text!r} is not a date YYYY-MM-DD") from None


def _tables(s: FeedSummary) -> list[Table]:
    def hhmm(seconds: int | None) -> str:
        return "–" if seconds is None else format_hhmm(seconds)

    rule = "given" if s.date_rule == "given" else "busiest date of the feed 最多運行日"
    head = Table(title=f"フィード Feed: {s.source}", show_header=False)
    head.add_column("what", style="bold")
    head.add_column("value")
    methods = ", ".join(f"{m} ({n} trips)" for m, n in sorted(s.km_methods.items()))
    rows = [
        ("運行日 service date", f"{s.service_date.isoformat()} ({s.service_date:%A}, {rule})"),
        ("停留所 stops", f"{s.stops:,}"),
        ("便数 trips", f"{s.trips:,}"),
        ("始発 first departure", hhmm(s.first_departure_s)),
        ("終発着 last arrival", hhmm(s.last_arrival_s)),
        ("車両時間 vehicle-hours", f"{s.vehicle_hours:,.1f} h (timetable: first to last call)"),
        ("車両キロ vehicle-km", f"{s.vehicle_km:,.1f} km" + (f" by {methods}" if methods else "")),
    ]
    if s.bbox is not None:
        lo_x, lo_y, hi_x, hi_y = s.bbox
        rows.append(("範囲 stops' area", f"lon {lo_x:.4f}..{hi_x:.4f}, lat {lo_y:.4f}..{hi_y:.4f}"))
    for key, value in rows:
        head.add_row(key, value)
    agencies = Table(title="事業者 Agencies")
    official = any(a["official_name"] for a in s.agencies)  # GTFS-JP agency_jp.txt
    for column in ("name", *(["official name 正式名称"] * official), "phone", "url"):
        agencies.add_column(column)
    for a in s.agencies:
        cells = [a["name"], *([a["official_name"]] * official), a["phone"], a["url"]]
        agencies.add_row(*cells)
    routes = Table(title=f"路線 Routes on {s.service_date.isoformat()}")
    jp = any(r.jp_name or r.offices for r in s.routes)  # GTFS-JP routes_jp / office_jp
    for column, right in (
        ("route", False),
        ("name", False),
        *([("起点→経由→終点 / 営業所", False)] * jp),
        ("trips", True),
        ("first", True),
        ("last", True),
        ("veh-h", True),
        ("veh-km", True),
    ):
        routes.add_column(column, justify="right" if right else "left")
    for r in s.routes:
        ends = " / ".join(x for x in (r.jp_name, ", ".join(r.offices)) if x)
        routes.add_row(
            r.short_name or r.route_id,
            r.long_name,
            *([ends] * jp),
            str(r.trips),
            hhmm(r.first_departure_s),
            hhmm(r.last_arrival_s),
            f"{r.vehicle_hours:.1f}",
            f"{r.vehicle_km:.1f}",
        )
    return [head, agencies, routes]
