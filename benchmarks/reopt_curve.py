"""Re-optimisation: how much a live plan improves with each second of search, per engine.

Protocol: a day of `benchmarks.online_offline` (``ina``, ``busy``) is replayed through
`dispatch.live.LiveDay` with quotes only (no re-optimisation) until ``--at`` (default
10:30): the plan then is what cheapest insertion built one call at a time, with the
morning's stops done, vehicles under way and riders on board. That snapshot
(`LiveDay.reopt_job`) is solved by each engine for each time limit, warm-started from
the live plan (`dispatch.live.solve_job`), and the candidate is offered to a copy of the
day (`LiveDay.offer`: accepted only if it passes the checker and the promise ledger).

Reported per day, engine and seconds: the plan's cost before and after (yen), the
improvement in percent, vehicles used, whether the day accepted it, and the checker.

Entry point: `cli` (registered as ``noriai bench reopt``).
"""

from __future__ import annotations

import copy
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from benchmarks.live_latency import HOUR
from benchmarks.online_offline import BenchDay, scenario_day
from benchmarks.report import write_results
from dispatch.check import check_plan
from dispatch.errors import InputError, SolverError
from dispatch.live import LiveDay, solve_job
from dispatch.native import check_threads
from dispatch.solver import SearchConfig
from dispatch.stop import MaxRuntime

RESULTS_DIR = Path(__file__).resolve().parent / "results"
COLUMNS = [
    "day",
    "engine",
    "seconds",
    "requests",
    "cost_before",
    "cost_after",
    "improvement_pct",
    "vehicles_before",
    "vehicles_after",
    "accepted",
    "why_not",
    "check_ok",
    "wall_s",
    "error",
]


def replay_until(day: BenchDay, at: int) -> LiveDay:
    """The day with every call booked before `at` quoted and confirmed, no re-optimisation."""
    live = day.live(day.bookings[0][0] if day.bookings else 0)
    for booked, ask in day.bookings:
        if booked > at:
            break
        live.advance_to(max(booked, live.now))
        q = live.quote(ask)
        if q.ok:
            assert q.booking_id is not None
            live.confirm(q.booking_id)
    live.advance_to(max(at, live.now))
    return live


def curve(
    day: BenchDay,
    *,
    at: int,
    engines: list[str],
    seconds: list[float],
    seed: int,
    threads: int = 1,
) -> list[dict[str, Any]]:
    """One row per engine and time limit, all from the same snapshot of the day;
    `threads` native searches at once (OR-Tools runs one)."""
    live = replay_until(day, at)
    job = live.reopt_job()
    before = job.initial.summary
    rows = []
    for engine in engines:
        for limit in seconds:
            row: dict[str, Any] = {
                "day": day.name,
                "engine": engine,
                "seconds": limit,
                "requests": len(job.problem.tasks),
                "cost_before": round(before.cost),
                "vehicles_before": before.vehicles_used,
            }
            t0 = time.perf_counter()
            try:
                config = SearchConfig(engine=engine, threads=threads)
                plan = solve_job(job, MaxRuntime(limit), seed=seed, config=config)
            except SolverError as exc:  # the engine could not solve the live problem
                rows.append({**row, "accepted": False, "error": str(exc)})
                continue
            wall = time.perf_counter() - t0
            outcome = copy.deepcopy(live).offer(job, plan)
            after = plan.summary
            row |= {
                "cost_after": round(after.cost),
                "improvement_pct": round(100 * (before.cost - after.cost) / before.cost, 2),
                "vehicles_after": after.vehicles_used,
                "accepted": outcome.accepted,
                "why_not": "" if outcome.accepted else outcome.reason,
                "check_ok": check_plan(job.problem, plan).ok(),
                "wall_s": round(wall, 2),
            }
            rows.append(row)
    return rows


def cli(
    day: Annotated[
        list[str] | None, typer.Option(help="Day(s): ina, busy (default: both).")
    ] = None,
    at: Annotated[str, typer.Option(help="Snapshot time of the day, HH:MM.")] = "10:30",
    engines: Annotated[
        str, typer.Option(help="Engines, comma-separated: native, ortools.")
    ] = "native,ortools",
    seconds: Annotated[
        str, typer.Option(help="Time limits in seconds, comma-separated.")
    ] = "1,2,5,10",
    seed: Annotated[int, typer.Option(help="Solver seed.")] = 0,
    threads: Annotated[
        int,
        typer.Option(help="Native searches at once, sharing their best (2: both cores)."),
    ] = 1,
    data_dir: Annotated[
        Path | None, typer.Option(help="Reference data (default: NORIAI_DATA_DIR).")
    ] = None,
    out: Annotated[Path, typer.Option(help="JSON output; markdown beside it.")] = RESULTS_DIR
    / "reopt_curve.json",
) -> None:
    """Improvement of a live plan's cost against seconds of re-optimisation, per engine."""
    from api.settings import Settings

    days = day or ["ina", "busy"]
    if any(d not in ("ina", "busy") for d in days):
        raise typer.BadParameter("days are ina and/or busy", param_hint="--day")
    chosen = [e.strip() for e in engines.split(",") if e.strip()]
    if not chosen or any(e not in ("native", "ortools") for e in chosen):
        raise typer.BadParameter("engines are native and/or ortools", param_hint="--engines")
    try:
        threads = check_threads(threads, "--threads")
    except InputError as exc:
        raise typer.BadParameter(str(exc), param_hint="--threads") from None
    try:
        limits = [float(x) for x in seconds.split(",") if x.strip()]
        hh, mm = (int(x) for x in at.split(":"))
    except ValueError as exc:
        raise typer.BadParameter(f"{exc}", param_hint="--seconds / --at") from exc
    if not limits or any(x <= 0 for x in limits):
        raise typer.BadParameter("time limits must be > 0", param_hint="--seconds")
    settings = Settings()
    rows: list[dict[str, Any]] = []
    for name in days:
        bench_day = scenario_day(name, Path(data_dir or settings.data_dir), settings.cache_dir)
        day_rows = curve(
            bench_day,
            at=hh * HOUR + mm * 60,
            engines=chosen,
            seconds=limits,
            seed=seed,
            threads=threads,
        )
        for row in day_rows:
            typer.echo("  " + ", ".join(f"{k}={v}" for k, v in row.items()))
        rows += day_rows
    json_path, md_path = write_results(
        out,
        title="Re-optimisation of a live plan: cost against seconds, per engine",
        rows=rows,
        columns=COLUMNS,
        params={
            "days": days,
            "at": at,
            "engines": chosen,
            "seconds": limits,
            "seed": seed,
            "threads": threads,
        },
        notes=[
            "The snapshot is the live day at --at with quotes only (cheapest insertion, one "
            "call at a time): stops done, vehicles under way, riders on board, promises given.",
            "Every engine starts from the live plan and never returns a worse one; accepted = "
            "the day adopted it (checker, promise ledger, every booking still served, cheaper).",
            "Cost: yen of the remaining plan (vehicle hours, km, excess ride time).",
        ],
    )
    typer.echo(f"-> {json_path}, {md_path}")
