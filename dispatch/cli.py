"""``noriai solve``: solve a JSON problem file and write the plan as JSON."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from dispatch.errors import InputError
from dispatch.io import SCHEMA_PATH, load_problem
from dispatch.result import Plan
from dispatch.stop import FirstSolution, MaxRuntime, NoImprovement, SolutionLimit, StopCriterion


def _hhmm(t: int) -> str:
    return f"{t // 3600:02d}:{t % 3600 // 60:02d}"


def print_plan(plan: Plan, console: Console) -> None:
    """A dispatcher-readable summary: one line per vehicle, then unassigned requests."""
    s = plan.summary
    console.print(
        f"[bold]served 乗車・配達 {s.served}[/] · unassigned 未割当 {s.unassigned} · "
        f"vehicles 使用車両 {s.vehicles_used} · {s.distance_m / 1000:.1f} km · "
        f"drive {s.drive_s / 3600:.2f} h · cost ¥{s.cost:,.0f}"
    )
    table = Table("vehicle 車両", "start", "end", "stops", "km", "requests")
    for r in plan.routes:
        table.add_row(
            r.vehicle_id,
            _hhmm(r.steps[0].departure),
            _hhmm(r.steps[-1].arrival),
            str(len(r.steps) - 2),
            f"{r.distance_m / 1000:.1f}",
            ", ".join(r.request_ids[:8]) + (" …" if len(r.request_ids) > 8 else ""),
        )
    console.print(table)
    for u in plan.unassigned:
        console.print(f"  [yellow]未割当[/] {u.request_id}: {u.reason.value} {u.detail}")


def solve_command(
    problem: Annotated[Path, typer.Argument(help="Problem JSON (see --schema for the format).")],
    out: Annotated[Path | None, typer.Option(help="Where to write the plan JSON.")] = None,
    time_limit: Annotated[float, typer.Option(help="Stop after this many seconds.")] = 5.0,
    no_improvement: Annotated[
        float | None, typer.Option(help="Also stop after this many seconds without a better plan.")
    ] = None,
    solution_limit: Annotated[
        int | None, typer.Option(help="Stop after N solutions (deterministic runs).")
    ] = None,
    first_solution: Annotated[
        bool, typer.Option("--first-solution", help="Return the first feasible plan at once.")
    ] = False,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    engine: Annotated[
        str,
        typer.Option(help="Search engine: native (C++, the one benchmarked) or ortools."),
    ] = "native",
    threads: Annotated[
        int,
        typer.Option(
            help="Native searches run at once, sharing their best plan (2: both cores of a"
            " two-core machine); 1 is reproducible for a seed, more are not."
        ),
    ] = 1,
    restarts: Annotated[
        int | None,
        typer.Option(
            help="Native runs from other seeds whose routes are recombined into the"
            " cheapest plan (default: 3 on dial-a-ride days of 3 s and more, else 1);"
            " time the recombination leaves goes to runs from its plan ('+ N warm')."
        ),
    ] = None,
    schema: Annotated[
        bool, typer.Option("--schema", help="Print the problem JSON schema and exit.")
    ] = False,
) -> None:
    """Solve a dispatch problem (rides + deliveries, one fleet) and write the plan.

    配車計画を作成します。Times in the file are seconds from the start of the service
    day; distances are metres. The plan is checked by the independent checker before
    it is written.
    """
    console = Console()
    if schema:
        typer.echo(SCHEMA_PATH.read_text(encoding="utf-8"))
        raise typer.Exit(0)
    from dispatch.check import check_plan
    from dispatch.solver import ENGINES, SearchConfig, solve

    if engine not in ENGINES:
        console.print(f"[red]入力エラー input error:[/] --engine must be one of {ENGINES}")
        raise typer.Exit(2)
    try:
        config = SearchConfig(engine=engine, threads=threads, restarts=restarts)
    except InputError as exc:
        console.print(f"[red]入力エラー input error:[/] {exc}")
        raise typer.Exit(2) from None

    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        prob = load_problem(problem)
    except InputError as exc:
        console.print(f"[red]入力エラー input error:[/] {exc}")
        raise typer.Exit(2) from None
    stop: StopCriterion = MaxRuntime(time_limit)
    if no_improvement is not None:
        stop = stop | NoImprovement(no_improvement)
    if solution_limit is not None:
        stop = stop | SolutionLimit(solution_limit)
    if first_solution:
        stop = stop | FirstSolution()
    plan = solve(prob, stop, seed=seed, config=config)
    console.print(
        f"engine 探索エンジン: {plan.stats.get('engine')}"
        + (f" · threads {plan.stats['threads']}" if "threads" in plan.stats else "")
        + (f" · restarts {plan.stats['restarts']}" if plan.stats.get("restarts", 1) > 1 else "")
        + (f" + {plan.stats['warm_runs']} warm" if plan.stats.get("warm_runs") else "")
    )
    print_plan(plan, console)
    report = check_plan(prob, plan)
    if report.ok():
        console.print("[green]checker: plan is feasible 制約違反なし[/]")
    else:
        console.print(f"[red]checker found violations:[/]\n{report}")
    target = out or problem.with_name(problem.stem + ".plan.json")
    target.write_text(
        json.dumps(plan.to_dict(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    console.print(f"plan written to {target}")
    if not report.ok():
        raise typer.Exit(1)
