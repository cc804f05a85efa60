"""Online vs offline: what booking one call at a time costs against knowing the day.

Protocol: one synthetic day (`benchmarks.live_latency.synthetic_town`, `fleet`,
`demand`), each ask given a booking time — about 40 % the day before, the rest the
same day 30 min to 3 h ahead (shop orders before the 11:00 cut-off). *Online*, the
asks are replayed in booking order through `dispatch.live.LiveDay`: quote, confirm
when feasible, a re-optimisation every ``reopt_every_min`` minutes of the day (run
synchronously here, ``reopt_s`` seconds each, so the replay is reproducible; live it
runs in a worker process), and the plan executes as time passes until the day ends.
*Offline*, one solve of the same requests (`dispatch.quote.build_request` builds
them exactly as the quotes did, before any promise) with ``offline_s`` seconds.

Reported: requests served, vehicle hours (leaving the depot to coming back, waiting
included) and kilometres, online / offline ratios, and promises broken online
(reported by the live loop, or pickups outside their promise) — which must be 0.

Entry point: `cli` (registered as ``noriai bench online``).
"""

from __future__ import annotations

import logging
import random
import time
from itertools import pairwise
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer

from benchmarks.live_latency import HOUR, Town, demand, fleet, synthetic_town
from benchmarks.report import write_results
from dispatch.check import check_plan
from dispatch.events import BookingStatus
from dispatch.live import LiveDay
from dispatch.model import Problem, RideRequest, Vehicle
from dispatch.quote import Ask, DeliveryAsk, QuoteConfig, build_request
from dispatch.solver import solve
from dispatch.stop import MaxRuntime

logger = logging.getLogger(__name__)

RESULTS_DIR = Path(__file__).resolve().parent / "results"


def booking_times(asks: list[Ask], *, seed: int = 0) -> list[tuple[int, Ask]]:
    """(booked at, ask) in booking order; times may be negative (the day before)."""
    rng = random.Random(seed)
    out = []
    for ask in asks:
        if isinstance(ask, DeliveryAsk):
            assert ask.ready_at is not None
            latest = min(ask.ready_at - HOUR, 10 * HOUR + 1800)
            same_day = rng.random() < 0.6 and latest >= 7 * HOUR
            at = rng.randrange(7 * HOUR, latest + 1) if same_day else rng.randrange(-10 * HOUR, 0)
        else:
            wanted = ask.time
            latest = wanted - 1800
            same_day = rng.random() < 0.6 and latest >= 7 * HOUR
            if same_day:
                at = max(7 * HOUR, wanted - rng.randrange(1800, 3 * HOUR))
            else:
                at = rng.randrange(-10 * HOUR, 0)
        out.append((at, ask))
    out.sort(key=lambda item: item[0])
    return out


def _vehicle_figures(town: Town, vehicles: list[Vehicle], day: LiveDay) -> tuple[float, float, int]:
    """Executed vehicle hours, kilometres and vehicles used, from the day's history."""
    hours = km = 0.0
    used = 0
    for v in vehicles:
        stops = [s for s in day.history(v.id) if s.location is not None]
        state = day.vehicle_state(v.id)
        if not stops or state.departed_at is None:
            continue
        used += 1
        back = stops[-1].departure + int(town.time_s[stops[-1].location, v.end])
        hours += (back - state.departed_at) / 3600
        path = [v.start, *(s.location for s in stops), v.end]
        km += sum(int(town.distance_m[a, b]) for a, b in pairwise(path)) / 1000
    return hours, km, used


def run_online(
    town: Town,
    vehicles: list[Vehicle],
    bookings: list[tuple[int, Ask]],
    *,
    reopt_every_s: int,
    reopt_s: float,
    seed: int,
) -> dict[str, Any]:
    """Replay the bookings through the live loop; figures of the executed day."""
    start = bookings[0][0] if bookings else 0
    day = LiveDay(town.time_s, town.distance_m, vehicles, now=start)
    day_end = max(v.shift.end for v in vehicles)
    latencies: list[float] = []
    reopts = accepted = 0
    next_reopt = start + reopt_every_s

    def reoptimise() -> None:
        nonlocal reopts, accepted
        job = day.reopt_job()
        if not job.problem.tasks:
            return
        reopts += 1
        outcome = day.offer(job, solve(job.problem, MaxRuntime(reopt_s), seed=seed,
                                       initial=job.initial))  # fmt: skip
        accepted += outcome.accepted

    rejected = 0
    for at, ask in bookings:
        while reopt_every_s and next_reopt <= at:
            day.advance_to(next_reopt)
            reoptimise()
            next_reopt += reopt_every_s
        day.advance_to(max(at, day.now))
        t0 = time.perf_counter()
        q = day.quote(ask)
        latencies.append((time.perf_counter() - t0) * 1000)
        if q.ok:
            assert q.booking_id is not None
            day.confirm(q.booking_id)
        else:
            rejected += 1
    while reopt_every_s and next_reopt < day_end:
        day.advance_to(next_reopt)
        reoptimise()
        next_reopt += reopt_every_s
    day.advance_to(max(day.now, day_end + HOUR))
    outside = 0
    for b in day.bookings(BookingStatus.DONE):
        promise = b.request.promise if isinstance(b.request, RideRequest) else None
        pickups = [s for v in vehicles for s in day.history(v.id)
                   if s.request_id == b.id and s.kind == "pickup"]  # fmt: skip
        if promise is not None and not all(promise.contains(s.start) for s in pickups):
            outside += 1
    hours, km, used = _vehicle_figures(town, vehicles, day)
    return {
        "asked": len(bookings),
        "served": len(day.bookings(BookingStatus.DONE)),
        "rejected": rejected,
        "vehicles_used": used,
        "vehicle_hours": round(hours, 2),
        "km": round(km, 1),
        "promises_broken": len(day.broken_promises) + outside,
        "reoptimisations": reopts,
        "reopt_accepted": accepted,
        "quote_p99_ms": round(float(np.percentile(latencies, 99)), 2) if latencies else None,
        "check_ok": day.check().ok(),
    }


def run_offline(
    town: Town,
    vehicles: list[Vehicle],
    bookings: list[tuple[int, Ask]],
    *,
    offline_s: float,
    seed: int,
) -> dict[str, Any]:
    """One solve knowing every request of the day in advance."""
    config = QuoteConfig()
    day_end = max(v.shift.end for v in vehicles)
    requests = []
    for i, (at, ask) in enumerate(bookings):
        r = build_request(
            ask,
            f"r{i:04d}",
            now=at,
            time_s=town.time_s,
            horizon_s=24 * HOUR,
            day_end=day_end,
            config=config,
        )
        if r is not None:
            requests.append(r)
    problem = Problem(town.time_s, town.distance_m, tuple(requests), tuple(vehicles))
    plan = solve(problem, MaxRuntime(offline_s), seed=seed)
    used = [r for r in plan.routes if not r.is_empty]
    return {
        "asked": len(bookings),
        "served": plan.summary.served,
        "rejected": plan.summary.unassigned + len(bookings) - len(requests),
        "vehicles_used": len(used),
        "vehicle_hours": round(sum(r.duration_s for r in used) / 3600, 2),
        "km": round(plan.summary.distance_m / 1000, 1),
        "promises_broken": None,
        "reoptimisations": None,
        "reopt_accepted": None,
        "quote_p99_ms": None,
        "check_ok": check_plan(problem, plan).ok(),
    }


def compare(
    *,
    vehicles: int,
    asks: int,
    homes: int,
    reopt_every_min: int,
    reopt_s: float,
    offline_s: float,
    seed: int,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Both runs on one day; the rows and a summary of ratios."""
    town = synthetic_town(seed, homes=homes)
    fleet_ = fleet(town, vehicles, seed=seed)
    bookings = booking_times(demand(town, asks, seed=seed), seed=seed)
    t0 = time.perf_counter()
    online = run_online(
        town, fleet_, bookings, reopt_every_s=reopt_every_min * 60, reopt_s=reopt_s, seed=seed
    )
    online_s = time.perf_counter() - t0
    offline = run_offline(town, fleet_, bookings, offline_s=offline_s, seed=seed)
    rows = [{"mode": "online", **online}, {"mode": "offline", **offline}]

    def ratio(key: str) -> float | None:
        a, b = online[key], offline[key]
        return round(a / b, 3) if b else None

    per_online = online["vehicle_hours"] / online["served"] if online["served"] else None
    per_offline = offline["vehicle_hours"] / offline["served"] if offline["served"] else None
    summary = {
        "served_ratio": ratio("served"),
        "vehicle_hours_ratio": ratio("vehicle_hours"),
        "km_ratio": ratio("km"),
        "hours_per_served_ratio": round(per_online / per_offline, 3)
        if per_online and per_offline
        else None,
        "promises_broken": online["promises_broken"],
        "online_replay_s": round(online_s, 1),
    }
    return rows, summary


def cli(
    vehicles: Annotated[int, typer.Option(min=1, help="Fleet size.")] = 10,
    asks: Annotated[int, typer.Option(min=1, help="Bookings asked during the day.")] = 180,
    homes: Annotated[int, typer.Option(min=10, help="Registered riders' homes.")] = 400,
    reopt_every_min: Annotated[
        int, typer.Option(min=0, help="Minutes of the day between re-optimisations (0: none).")
    ] = 30,
    reopt_s: Annotated[float, typer.Option(min=0.1, help="Seconds per re-optimisation.")] = 2.0,
    offline_s: Annotated[float, typer.Option(min=0.1, help="Seconds of the offline solve.")] = 60.0,
    seed: Annotated[int, typer.Option(help="Seed of the town, fleet, demand and solver.")] = 0,
    out: Annotated[Path, typer.Option(help="JSON output; markdown beside it.")] = RESULTS_DIR
    / "online_offline.json",
) -> None:
    """Served requests and vehicle hours, online (quotes + re-optimisation) vs offline."""
    rows, summary = compare(
        vehicles=vehicles,
        asks=asks,
        homes=homes,
        reopt_every_min=reopt_every_min,
        reopt_s=reopt_s,
        offline_s=offline_s,
        seed=seed,
    )
    for row in rows:
        typer.echo("  " + ", ".join(f"{k}={v}" for k, v in row.items()))
    json_path, md_path = write_results(
        out,
        title="Online (live quotes) vs offline (whole day known)",
        rows=rows,
        columns=[
            "mode",
            "asked",
            "served",
            "rejected",
            "vehicles_used",
            "vehicle_hours",
            "km",
            "promises_broken",
            "reoptimisations",
            "reopt_accepted",
            "quote_p99_ms",
            "check_ok",
        ],
        summary=summary,
        params={
            "vehicles": vehicles,
            "asks": asks,
            "homes": homes,
            "reopt_every_min": reopt_every_min,
            "reopt_s": reopt_s,
            "offline_s": offline_s,
            "seed": seed,
        },
        notes=[
            "Same town, fleet and requests in both modes; the offline requests are built "
            "by the same function as the quotes (booked windows, before any promise).",
            "Online re-optimisations run synchronously in the replay (reproducible); live "
            "they run in a worker process and bookings made meanwhile are re-inserted.",
            "Vehicle hours: from leaving the depot to coming back, waiting included.",
            "Online, vehicles execute the plan exactly (no delays, no no-shows), so every "
            "promise broken would be a defect.",
        ],
    )
    typer.echo(
        f"served ratio {summary['served_ratio']}, vehicle-hours ratio "
        f"{summary['vehicle_hours_ratio']}, promises broken {summary['promises_broken']} "
        f"-> {json_path}, {md_path}"
    )
