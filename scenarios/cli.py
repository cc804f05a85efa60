"""``noriai demo``: the main job of the README's first command."""

from __future__ import annotations

import logging
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table


def demo_command(
    ctx: typer.Context,
    seed: Annotated[int, typer.Option(help="Random seed of the demo day.")] = 7,
    time_limit: Annotated[float, typer.Option(help="Solver time limit, seconds.")] = 10.0,
    homes: Annotated[int, typer.Option(help="Number of residents' homes.")] = 60,
) -> None:
    """Run a demo service day on the bundled town and print its summary.

    デモ：同梱の町の道路網で、乗合タクシーと宅配の一日分の配車計画を作ります。
    """
    from dispatch.cli import print_plan
    from routing.errors import NoriaiError
    from scenarios.demo import run_demo_day

    settings = ctx.obj
    console = Console()
    logging.basicConfig(level=logging.WARNING)
    town = settings.town_graph_path()
    try:
        with console.status(f"loading {town.name}, building the matrix and solving the day…"):
            day = run_demo_day(
                town,
                cache_dir=settings.cache_dir,
                speed_factor=settings.speed_factor,
                max_snap_m=settings.max_snap_m,
                seed=seed,
                n_homes=homes,
                time_limit_s=time_limit,
            )
    except NoriaiError as exc:
        console.print(f"[red]エラー error:[/] {exc}")
        console.print("Set NORIAI_DATA_DIR to the folder holding osm/ (see README).")
        raise typer.Exit(2) from None
    info = day.graph.info
    console.print(
        f"[bold]town 町[/]: {town.name} — {info.nodes:,} nodes, {info.edges:,} edges "
        f"(dropped {info.nodes_dropped} nodes outside the largest strongly connected part)"
    )
    console.print(f"matrix 所要時間行列: {day.matrix.n}×{day.matrix.n} locations")
    problem = day.problem
    n_rides = sum(1 for t in problem.tasks if t.kind == "ride")
    console.print(
        f"day 一日: {n_rides} rides 乗車予約, {len(problem.tasks) - n_rides} deliveries 宅配, "
        f"{len(problem.vehicles)} vehicles 車両"
    )
    print_plan(day.plan, console)
    timings = Table("step", "seconds")
    for step, secs in day.seconds.items():
        timings.add_row(step, f"{secs:.2f}")
    console.print(timings)
    if day.report.ok():
        console.print("[green]independent checker: every constraint holds 制約違反なし[/]")
    else:
        console.print(f"[red]checker found violations[/]\n{day.report}")
        raise typer.Exit(1)
    console.print("Map data © OpenStreetMap contributors, ODbL 1.0")
