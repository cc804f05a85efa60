"""City day: a city-sized fleet and day of bookings through the live loop on real roads.

Question: does the live loop hold at city scale — 80 vehicles, 2,000 rides and 200 shop
orders on central Kumamoto's roads — in wall time, memory, quote latency as the day
fills (goal: p99 <= 20 ms in-process at 100 vehicles and 3,000 active bookings), and
what does re-optimisation buy per second?

Protocol:

* **graph**: the bundled Overpass extract of central Kumamoto (``--graph``, default
  ``<data dir>/osm/kumamoto_central_drive.overpass.json``), simplified (about 7,200
  nodes, 20,000 edges), loaded cold (no graph cache);
* **demand**: the scenario tools (`scenarios.demand.make_demand`) on the city spec
  (``benchmarks/city/kumamoto.toml``: homes along residential roads within 4.5 km of the
  centre, approximate hospitals, clinics, shops, stations and halls of the city, a
  day profile 08:00-18:00, 30 % of the rides booked the day before, shop orders from
  07:00 to the 11:00 cut-off), sized by ``--rides`` and ``--orders`` (Poisson means)
  and ``--homes``; the fleet is ``--vehicles`` cars (`fleet_groups`: taxis on an early
  and a late shift, one car in ten a wheelchair van, two depots, a 45-minute break);
* **matrix**: every place snapped once and one travel-time/distance matrix built
  (`scenarios.world.build_world`), as the simulation does;
* **filling**: the calls replayed in booking order through `dispatch.live.LiveDay`:
  the clock advances to each call (the plan executes: stops whose time has come are
  done), the call is quoted (timed, in-process, one at a time) and confirmed when
  feasible; refusals include the search for alternative times, as in the product;
* **re-optimisation**: every ``--reopt-every-min`` minutes of the day from 07:00, the
  live plan is re-optimised for ``--reopt-s`` seconds (`dispatch.live.solve_job`,
  native engine, run synchronously) and offered to the day (`LiveDay.offer`); at the
  first re-optimisation at or after ``--curve-at`` the same snapshot is also solved
  for each of ``--curve-s`` budgets (never offered): cost before and after;
* the day runs to its end (every booking delivered) and the checker
  (`dispatch.check`, with the promise ledger and the executed stops) judges the plan
  at the peak (after the last call) and the executed day.

Reported: wall time by phase, peak resident memory, quote latency p50/p95/p99/max per
bucket of active bookings (held, confirmed or on board when the quote was asked),
accepted and refused counts, re-optimisation cost before/after and yen saved per
second, and the checker's violations.

Entry point: `cli` (registered as ``noriai bench city``).
"""

from __future__ import annotations

import gc
import logging
import math
import os
import resource
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import typer

from benchmarks.live_latency import HOUR, percentiles
from benchmarks.online_offline import BenchDay, world_day
from benchmarks.report import write_results
from dispatch.check import check_plan
from dispatch.errors import SolverError
from dispatch.events import ROUTED, BookingStatus
from dispatch.live import LiveDay, solve_job
from dispatch.quote import DeliveryAsk
from dispatch.stop import MaxRuntime
from routing.errors import InputError
from routing.graph import RoadGraph, load_graph
from routing.speeds import SpeedTable

logger = logging.getLogger(__name__)

RESULTS_DIR = Path(__file__).resolve().parent / "results"
CITY_SPEC = Path(__file__).resolve().parent / "city" / "kumamoto.toml"
GRAPH = Path("osm") / "kumamoto_central_drive.overpass.json"
#: The goal for the live loop at city scale: p99 of a quote at most this, in-process.
P99_GOAL_MS = 20.0
#: One timed quote: (active bookings before it, wall ms, accepted, "ride"/"order", CPU ms).
Timed = tuple[int, float, bool, str, float]
#: The city spec's depots (names as in ``benchmarks/city/kumamoto.toml``).
DEPOTS = ("北営業所 north depot", "南営業所 south depot")
BUCKET_COLUMNS = [
    "active_bookings",
    "quotes",
    "accepted",
    "refused",
    "p50_ms",
    "p95_ms",
    "p99_ms",
    "max_ms",
    "cpu_p50_ms",
    "cpu_p99_ms",
]
PHASE_COLUMNS = ["phase", "wall_s", "rss_mb"]
REOPT_COLUMNS = [
    "at",
    "budget_s",
    "requests",
    "cost_before",
    "cost_after",
    "improvement_pct",
    "yen_per_s",
    "accepted",
    "why_not",
    "check_ok",
    "wall_s",
]


def fleet_groups(vehicles: int) -> list[dict[str, Any]]:
    """`vehicles` cars as the spec's vehicle groups: one in ten a wheelchair van (at
    least one), the rest taxis; half on an early shift (07:45-16:45), half on a late
    one (09:30-18:30), each shift split between the two depots; a 45-minute break."""
    if vehicles < 1:
        raise InputError(f"vehicles must be >= 1, got {vehicles}")
    vans = max(1, round(vehicles / 10)) if vehicles > 1 else 0
    shifts = {
        "early": (("07:45", "16:45"), {"start": "11:30", "end": "13:30", "minutes": 45}),
        "late": (("09:30", "18:30"), {"start": "13:00", "end": "15:00", "minutes": 45}),
    }
    kinds = {
        "taxi": {"seats": 4, "wheelchairs": 0, "cargo": 3},
        "wheelchair_van": {"seats": 3, "wheelchairs": 1, "cargo": 4},
    }
    groups = []
    for kind, count in (("taxi", vehicles - vans), ("wheelchair_van", vans)):
        per_shift = (math.ceil(count / 2), count // 2)
        for (name, (shift, brk)), n_shift in zip(shifts.items(), per_shift, strict=True):
            per_depot = (math.ceil(n_shift / 2), n_shift // 2)
            for depot, n in zip(DEPOTS, per_depot, strict=True):
                if n:
                    groups.append(
                        {
                            "type": f"{kind}_{name}_{depot.split()[-2]}",
                            "count": n,
                            "depot": depot,
                            "shift": list(shift),
                            "breaks": [brk],
                            **kinds[kind],
                        }
                    )
    return groups


def city_spec(
    *, vehicles: int, rides: int, orders: int, homes: int, advance_share: float | None = None
) -> Any:
    """The city spec (``benchmarks/city/kumamoto.toml``) sized by the options."""
    from scenarios.spec import load_spec

    overrides: dict[str, Any] = {
        "fleet.vehicles": fleet_groups(vehicles),
        "fleet.size": None,
        "demand.rides_per_day": float(rides),
        "demand.deliveries_per_day": float(orders),
        "demand.homes": homes,
    }
    if advance_share is not None:
        overrides["demand.advance_share"] = advance_share
    return load_spec(CITY_SPEC).with_overrides(overrides)


@dataclass(slots=True)
class Phases:
    """Wall time and resident memory after each phase of the run."""

    rows: list[dict[str, Any]] = field(default_factory=list)

    def add(self, phase: str, wall_s: float) -> None:
        self.rows.append({"phase": phase, "wall_s": round(wall_s, 2), "rss_mb": _rss_mb()})


@dataclass(frozen=True, slots=True)
class CityDay:
    """The day to replay and what it is made of."""

    day: BenchDay
    rides: int
    orders: int
    screened_out: int
    locations: int
    graph_nodes: int
    graph_edges: int


def build_city_day(spec: Any, graph: RoadGraph, *, seed: int, phases: Phases) -> CityDay:
    """The spec's calls on `graph` (scenario demand), the world's matrix, the bookings."""
    from scenarios.demand import make_demand
    from scenarios.simulate import call_ask, screen_call
    from scenarios.world import build_world

    t0 = time.perf_counter()
    calls = make_demand(spec, seed, graph)
    phases.add("demand (homes, calls)", time.perf_counter() - t0)
    t0 = time.perf_counter()
    world = build_world(spec, graph, calls.points(), pooling=spec.dispatch.pooling)
    phases.add(f"snap + matrix (N = {world.time_s.shape[0]:,})", time.perf_counter() - t0)
    bookings = []
    screened = 0
    for c in sorted(calls.calls, key=lambda c: (c.booked_at, c.request_id)):
        if screen_call(spec, world, c) is not None:
            screened += 1
            continue
        bookings.append((c.booked_at, call_ask(spec, world, c)))
    day = world_day(spec.name, spec, world, bookings)
    kinds = Counter(c.kind for c in calls.calls)
    return CityDay(
        day,
        rides=kinds["ride"],
        orders=kinds["delivery"],
        screened_out=screened,
        locations=int(world.time_s.shape[0]),
        graph_nodes=graph.n_nodes,
        graph_edges=graph.n_edges,
    )


def _active(live: LiveDay) -> int:
    return sum(1 for b in live.state.bookings.values() if b.status in ROUTED)


def _clock(t: int) -> str:
    day, rest = divmod(t, 24 * HOUR)
    hh, mm = divmod(rest // 60, 60)
    return f"{'-1 ' if day < 0 else ''}{hh:02d}:{mm:02d}"


def replay(
    day: BenchDay,
    *,
    reopt_every_s: int,
    reopt_s: float,
    curve_at: int | None,
    curve_s: list[float],
    seed: int,
    phases: Phases,
) -> dict[str, Any]:
    """The day through the live loop (see the module docstring); what was measured."""
    start = day.bookings[0][0] if day.bookings else 0
    live = day.live(start)
    day_end = max(v.shift.end for v in day.vehicles)
    quotes: list[Timed] = []
    reopts: list[dict[str, Any]] = []
    curve: list[dict[str, Any]] = []
    reopt_wall = curve_wall = 0.0
    next_reopt = 7 * HOUR + reopt_every_s

    def reoptimise() -> None:
        nonlocal reopt_wall, curve_wall, curve_at
        job = live.reopt_job()
        if not job.problem.tasks:
            return
        before = job.initial.summary.cost
        if curve_at is not None and live.now >= curve_at:
            curve_at = None
            t0 = time.perf_counter()
            for budget in curve_s:
                t1 = time.perf_counter()
                plan = solve_job(job, MaxRuntime(budget), seed=seed)
                wall = time.perf_counter() - t1
                curve.append(
                    _reopt_row(live.now, budget, job, before, plan.summary.cost, wall)
                    | {"accepted": None, "check_ok": check_plan(job.problem, plan).ok()}
                )
            curve_wall += time.perf_counter() - t0
        t0 = time.perf_counter()
        try:
            plan = solve_job(job, MaxRuntime(reopt_s), seed=seed)
        except SolverError as exc:  # as the service does: the day keeps its plan
            live.discard(job, f"solver failed: {exc}")
            reopt_wall += time.perf_counter() - t0
            return
        wall = time.perf_counter() - t0
        outcome = live.offer(job, plan)
        reopt_wall += time.perf_counter() - t0
        reopts.append(
            _reopt_row(live.now, reopt_s, job, before, plan.summary.cost, wall)
            | {
                "accepted": outcome.accepted,
                "why_not": "" if outcome.accepted else outcome.reason,
                "check_ok": None,
            }
        )

    started = time.perf_counter()
    for at, ask in day.bookings:
        while reopt_every_s and next_reopt <= at:
            live.advance_to(max(next_reopt, live.now))
            reoptimise()
            next_reopt += reopt_every_s
        live.advance_to(max(at, live.now))
        active = _active(live)
        c0, t0 = time.process_time(), time.perf_counter()
        q = live.quote(ask)
        ms = (time.perf_counter() - t0) * 1000
        cpu = (time.process_time() - c0) * 1000
        kind = "order" if isinstance(ask, DeliveryAsk) else "ride"
        quotes.append((active, ms, q.ok, kind, cpu))
        if q.ok:
            assert q.booking_id is not None
            live.confirm(q.booking_id)
    peak_active = _active(live)
    fill_wall = time.perf_counter() - started - reopt_wall - curve_wall
    phases.add("filling (advance + quote + confirm)", fill_wall)
    t0 = time.perf_counter()
    peak = live.check()
    check_peak_s = time.perf_counter() - t0
    spent = reopt_wall + curve_wall
    t0 = time.perf_counter()
    while reopt_every_s and next_reopt < day_end:
        live.advance_to(max(next_reopt, live.now))
        reoptimise()
        next_reopt += reopt_every_s
    live.advance_to(max(live.now, day_end + 3 * HOUR))
    rest_wall = time.perf_counter() - t0 - (reopt_wall + curve_wall - spent)
    phases.add(f"re-optimisation ({len(reopts)} x {reopt_s:g} s, synchronous)", reopt_wall)
    if curve:
        phases.add(f"re-optimisation curve ({', '.join(f'{b:g}' for b in curve_s)} s)", curve_wall)
    t0 = time.perf_counter()
    final = live.check()
    phases.add("checker (peak plan + executed day)", check_peak_s + time.perf_counter() - t0)
    phases.add("rest of the day (execution)", rest_wall)
    return {
        "live": live,
        "quotes": quotes,
        "reopts": reopts,
        "curve": curve,
        "peak_active": peak_active,
        "peak_check": peak,
        "final_check": final,
    }


def _reopt_row(
    at: int, budget: float, job: Any, before: float, after: float, wall: float
) -> dict[str, Any]:
    saved = before - after
    return {
        "at": _clock(at),
        "budget_s": budget,
        "requests": len(job.problem.tasks),
        "cost_before": round(before),
        "cost_after": round(after),
        "improvement_pct": round(100 * saved / before, 2) if before else 0.0,
        "yen_per_s": round(saved / wall, 1) if wall > 0 else None,
        "wall_s": round(wall, 2),
    }


def buckets(quotes: list[Timed], size: int) -> list[dict[str, Any]]:
    """Latency per bucket of active bookings (`size` wide), and all quotes last."""
    rows = []
    top = max((a for a, *_ in quotes), default=0)
    for lo in range(0, top + 1, size):
        inside = [q for q in quotes if lo <= q[0] < lo + size]
        if inside:
            rows.append(_bucket_row(f"{lo:,}-{lo + size - 1:,}", inside))
    rows.append(_bucket_row("all", quotes))
    return rows


def _bucket_row(label: str, quotes: list[Timed]) -> dict[str, Any]:
    ok = sum(1 for q in quotes if q[2])
    cpu = percentiles([q[4] for q in quotes])
    return {
        "active_bookings": label,
        "quotes": len(quotes),
        "accepted": ok,
        "refused": len(quotes) - ok,
        **percentiles([q[1] for q in quotes]),
        "cpu_p50_ms": cpu["p50_ms"],
        "cpu_p99_ms": cpu["p99_ms"],
    }


def measure(
    *,
    graph_path: Path,
    vehicles: int,
    rides: int,
    orders: int,
    homes: int,
    seed: int = 0,
    advance_share: float | None = None,
    reopt_every_min: int = 30,
    reopt_s: float = 2.0,
    curve_at: int | None = 10 * HOUR + 1800,
    curve_s: list[float] | None = None,
    bucket: int = 500,
    graph: RoadGraph | None = None,
) -> dict[str, Any]:
    """One city day; the tables and the summary of the report."""
    curve_s = [1.0, 2.0, 5.0] if curve_s is None else curve_s
    gc.collect()
    rss0 = _rss_mb()
    started = time.perf_counter()
    phases = Phases()
    spec = city_spec(
        vehicles=vehicles, rides=rides, orders=orders, homes=homes, advance_share=advance_share
    )
    if graph is None:
        t0 = time.perf_counter()
        graph = load_graph(graph_path, SpeedTable(factor=spec.map.speed_factor))
        phases.add("graph load (Overpass JSON, simplified)", time.perf_counter() - t0)
    city = build_city_day(spec, graph, seed=seed, phases=phases)
    out = replay(
        city.day,
        reopt_every_s=reopt_every_min * 60,
        reopt_s=reopt_s,
        curve_at=curve_at,
        curve_s=curve_s,
        seed=seed,
        phases=phases,
    )
    live: LiveDay = out["live"]
    quotes = out["quotes"]
    reopts = out["reopts"]
    lat = [q[1] for q in quotes]
    by_kind = {
        kind: {
            "asked": sum(1 for q in quotes if q[3] == kind),
            "accepted": sum(1 for q in quotes if q[3] == kind and q[2]),
        }
        for kind in ("ride", "order")
    }
    most = max((q[0] + q[2] for q in quotes), default=0)
    top = [q[1] for q in quotes if q[0] >= max(0, most - bucket)]
    reopt_saved = sum(r["cost_before"] - r["cost_after"] for r in reopts if r["accepted"])
    reopt_wall = sum(r["wall_s"] for r in reopts)
    peak_check, final_check = out["peak_check"], out["final_check"]
    summary = {
        "vehicles": vehicles,
        "rides_asked": by_kind["ride"]["asked"],
        "orders_asked": by_kind["order"]["asked"],
        "screened_out": city.screened_out,
        "accepted": sum(1 for q in quotes if q[2]),
        "refused": sum(1 for q in quotes if not q[2]),
        "rides_accepted": by_kind["ride"]["accepted"],
        "orders_accepted": by_kind["order"]["accepted"],
        "served": len(live.bookings(BookingStatus.DONE)),
        "max_active_bookings": most,
        "active_after_last_call": out["peak_active"],
        "locations": city.locations,
        "graph_nodes": city.graph_nodes,
        "graph_edges": city.graph_edges,
        **percentiles(lat),
        "p99_last_bucket_ms": percentiles(top)["p99_ms"],
        "p99_accepted_ms": percentiles([q[1] for q in quotes if q[2]])["p99_ms"],
        "p99_refused_ms": percentiles([q[1] for q in quotes if not q[2]])["p99_ms"],
        "cpu_p50_ms": percentiles([q[4] for q in quotes])["p50_ms"],
        "cpu_p99_ms": percentiles([q[4] for q in quotes])["p99_ms"],
        "p99_goal_ms": P99_GOAL_MS,
        "reoptimisations": len(reopts),
        "reopt_accepted": sum(1 for r in reopts if r["accepted"]),
        "reopt_saved_yen": round(reopt_saved),
        "reopt_yen_per_s": round(reopt_saved / reopt_wall, 1) if reopt_wall else None,
        "peak_check_violations": len(peak_check.violations),
        "final_check_violations": len(final_check.violations),
        "check_ok": peak_check.ok() and final_check.ok(),
        "promises_broken": len(live.broken_promises),
        "wall_s": round(time.perf_counter() - started, 1),
        "peak_rss_mb": _max_rss_mb(),
        "rss_at_start_mb": rss0,
    }
    return {
        "summary": summary,
        "buckets": buckets(quotes, bucket),
        "phases": phases.rows,
        "reopts": reopts,
        "curve": out["curve"],
    }


def _rss_mb() -> float:
    try:
        import psutil
    except ImportError:  # pragma: no cover - psutil comes with the dev extra
        return _max_rss_mb()
    return round(psutil.Process(os.getpid()).memory_info().rss / 2**20, 1)


def _max_rss_mb() -> float:
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(rss / 2**20 if sys.platform == "darwin" else rss / 2**10, 1)


def _parse_clock(value: str, hint: str) -> int:
    try:
        hh, mm = (int(x) for x in value.split(":"))
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not HH:MM", param_hint=hint) from None
    return hh * HOUR + mm * 60


def cli(
    vehicles: Annotated[int, typer.Option(help="Fleet size (taxis and vans).")] = 80,
    rides: Annotated[int, typer.Option(help="Rides asked in the day (Poisson mean).")] = 2000,
    orders: Annotated[int, typer.Option(help="Shop orders asked (Poisson mean).")] = 200,
    homes: Annotated[int, typer.Option(help="Registered riders' homes.")] = 4000,
    advance_share: Annotated[
        float | None,
        typer.Option(help="Share of rides booked the day before (default: the spec's, 0.3)."),
    ] = None,
    reopt_every_min: Annotated[
        int, typer.Option(help="Minutes of the day between re-optimisations (0: none).")
    ] = 30,
    reopt_s: Annotated[float, typer.Option(help="Seconds per re-optimisation.")] = 2.0,
    curve_at: Annotated[
        str, typer.Option(help="Time of the re-optimisation curve's snapshot, HH:MM.")
    ] = "10:30",
    curve_s: Annotated[
        str, typer.Option(help="Budgets of the curve, seconds, comma-separated ('' : none).")
    ] = "1,2,5",
    bucket: Annotated[int, typer.Option(help="Width of a latency bucket (active bookings).")] = 500,
    seed: Annotated[int, typer.Option(help="Seed of the demand and the solver.")] = 0,
    quick: Annotated[
        bool,
        typer.Option(
            help="A small day to try it: 6 vehicles, 60 rides, 6 orders, a 0.3 s "
            "re-optimisation every 2 hours."
        ),
    ] = False,
    graph: Annotated[
        Path | None, typer.Option(help="Road graph (default: <data dir>/" + str(GRAPH) + ").")
    ] = None,
    data_dir: Annotated[
        Path | None, typer.Option(help="Reference data (default: NORIAI_DATA_DIR).")
    ] = None,
    out: Annotated[Path, typer.Option(help="JSON output; markdown beside it.")] = RESULTS_DIR
    / "city_day.json",
) -> None:
    """A city day through the live loop: wall time, memory, quote latency as it fills."""
    if quick:
        vehicles, rides, orders, homes = 6, 60, 6, 300
        reopt_every_min, reopt_s, curve_s = 120, 0.3, "0.3"
    for name, value, least in (
        ("--vehicles", vehicles, 1),
        ("--rides", rides, 0),
        ("--orders", orders, 0),
        ("--homes", homes, 1),
        ("--reopt-every-min", reopt_every_min, 0),
        ("--bucket", bucket, 1),
    ):
        if value < least:
            raise typer.BadParameter(f"must be >= {least}, got {value}", param_hint=name)
    if rides + orders < 1:
        raise typer.BadParameter("the day needs some demand", param_hint="--rides / --orders")
    if reopt_s <= 0:
        raise typer.BadParameter(f"must be > 0, got {reopt_s}", param_hint="--reopt-s")
    if advance_share is not None and not 0 <= advance_share <= 1:
        raise typer.BadParameter(
            f"must be in [0, 1], got {advance_share}", param_hint="--advance-share"
        )
    try:
        budgets = [float(x) for x in curve_s.split(",") if x.strip()]
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--curve-s") from None
    if any(b <= 0 for b in budgets):
        raise typer.BadParameter("budgets must be > 0", param_hint="--curve-s")
    at = _parse_clock(curve_at, "--curve-at")
    if graph is None:
        from api.settings import Settings

        graph = Path(data_dir or Settings().data_dir) / GRAPH
    if not graph.is_file():
        raise typer.BadParameter(
            f"{graph} does not exist (set NORIAI_DATA_DIR to the shared data folder, or "
            "pass --graph)",
            param_hint="--graph",
        )
    result = measure(
        graph_path=graph,
        vehicles=vehicles,
        rides=rides,
        orders=orders,
        homes=homes,
        seed=seed,
        advance_share=advance_share,
        reopt_every_min=reopt_every_min,
        reopt_s=reopt_s,
        curve_at=at if budgets else None,
        curve_s=budgets,
        bucket=bucket,
    )
    summary = result["summary"]
    for row in result["buckets"]:
        typer.echo("  " + ", ".join(f"{k}={v}" for k, v in row.items()))
    json_path, md_path = write_results(
        out,
        title="City day: the live loop on central Kumamoto",
        rows=result["buckets"],
        columns=BUCKET_COLUMNS,
        summary=summary,
        params={
            "graph": str(graph),
            "vehicles": vehicles,
            "rides": rides,
            "orders": orders,
            "homes": homes,
            "advance_share": advance_share,
            "reopt_every_min": reopt_every_min,
            "reopt_s": reopt_s,
            "curve_at": curve_at,
            "curve_s": budgets,
            "bucket": bucket,
            "seed": seed,
        },
        tables=[
            ("Phases", result["phases"], PHASE_COLUMNS),
            ("Re-optimisation curve (one snapshot, never offered)", result["curve"], REOPT_COLUMNS),
            ("Re-optimisations of the day", result["reopts"], REOPT_COLUMNS),
        ],
        notes=[
            "Results: quote latency (ms, in-process wall clock, one quote at a time) per "
            "bucket of active bookings (held, confirmed or on board) when the call came.",
            "A refusal includes the search for up to 3 alternative times (±15 min steps up "
            "to ±2 h), as the product answers a caller.",
            "Re-optimisations run synchronously in the replay (live they run in a worker "
            "process); yen_per_s = (cost before - cost after) / wall seconds.",
            "rss_mb: resident memory after the phase; peak_rss_mb: the process's peak.",
            "max_active_bookings: the most bookings active at once; p99_last_bucket_ms: p99 of "
            "the quotes asked within one bucket width of that.",
            "Timings come from a shared 2-core machine: read them as noisy. cpu_*_ms: the "
            "same quotes in process CPU time (time.process_time), which leaves out the waits "
            "for a core that other work on the machine causes.",
            "Map data © OpenStreetMap contributors, ODbL 1.0.",
        ],
    )
    typer.echo(
        f"p50 {summary['p50_ms']} ms, p95 {summary['p95_ms']} ms, p99 {summary['p99_ms']} ms "
        f"(up to {summary['max_active_bookings']} active bookings, {vehicles} vehicles); "
        f"check {'ok' if summary['check_ok'] else 'FAILED'} -> {json_path}, {md_path}"
    )
