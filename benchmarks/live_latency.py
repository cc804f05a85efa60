"""Quote latency of the live loop: p50/p95/p99 on a full day.

Protocol: a synthetic town (`synthetic_town`: homes clustered in districts of a
``size_km`` square, saved places, shops and depots near the centre; distances are
Euclidean x ``road_factor``, times at ``speed_kmh``, closed under shortest paths so the
triangle inequality holds), a fleet of ``vehicles`` with lunch breaks, and a day of
asks (`demand`: rides home <-> saved places by departure or by arrival, and shop
deliveries). The day is filled through the live loop itself — quote, confirm — up to
``bookings`` active bookings, taken before the day starts; then ``samples`` further
asks are quoted and timed (in-process, wall clock, one quote at a time), each held
quote released again so the day stays at its size. Accepted and rejected quotes are
reported apart (a rejection also searches for alternative times). Every plan is
checked with `dispatch.check` at the end.

Entry point: `cli` (registered as ``noriai bench latency``).
"""

from __future__ import annotations

import logging
import random
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer

from benchmarks.report import write_results
from dispatch.live import LiveDay
from dispatch.model import Break, TimeWindow, Vehicle
from dispatch.quote import Ask, DeliveryAsk, RideAsk

logger = logging.getLogger(__name__)

RESULTS_DIR = Path(__file__).resolve().parent / "results"
HOUR = 3600
#: The floor set for the live loop: p99 of a quote at most this, in-process.
P99_FLOOR_MS = 100.0


@dataclass(frozen=True, slots=True)
class Town:
    """A synthetic town: matrices (seconds, metres) and what its locations are."""

    time_s: np.ndarray
    distance_m: np.ndarray
    homes: tuple[int, ...]
    places: tuple[int, ...]
    shops: tuple[int, ...]
    depots: tuple[int, ...]


def metric_closure(m: np.ndarray) -> np.ndarray:
    """Shortest-path closure (Floyd–Warshall), so the triangle inequality holds exactly."""
    m = m.copy()
    for k in range(len(m)):
        np.minimum(m, m[:, k : k + 1] + m[k : k + 1, :], out=m)
    return m


def synthetic_town(
    seed: int = 0,
    *,
    homes: int = 600,
    places: int = 12,
    shops: int = 4,
    depots: int = 2,
    districts: int = 6,
    size_km: float = 15.0,
    road_factor: float = 1.3,
    speed_kmh: float = 30.0,
) -> Town:
    """Random doors in a town of ``size_km``: districts of homes, a centre of places."""
    rng = np.random.default_rng(seed)
    size = size_km * 1000
    centre = np.array([size / 2, size / 2])
    hubs = rng.uniform(0.15 * size, 0.85 * size, (districts, 2))
    which = rng.integers(0, districts, homes)
    home_xy = hubs[which] + rng.normal(0, 0.08 * size, (homes, 2))
    near = rng.normal(0, 0.12 * size, (places + shops + depots, 2)) + centre
    xy = np.clip(np.vstack([near, home_xy]), 0, size)
    metres = np.linalg.norm(xy[:, None] - xy[None], axis=2) * road_factor
    dist = metric_closure(np.rint(metres).astype(np.int64))
    secs = metric_closure(np.ceil(dist / (speed_kmh / 3.6)).astype(np.int64))
    ids = np.arange(len(xy))
    return Town(
        secs,
        dist,
        homes=tuple(int(i) for i in ids[places + shops + depots :]),
        places=tuple(int(i) for i in ids[:places]),
        shops=tuple(int(i) for i in ids[places : places + shops]),
        depots=tuple(int(i) for i in ids[places + shops : places + shops + depots]),
    )


def fleet(town: Town, n: int, *, seed: int = 0) -> list[Vehicle]:
    """``n`` vehicles: sedans and a few wheelchair vans, staggered shifts, lunch breaks."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        start = rng.choice((7, 8, 8, 9)) * HOUR
        lunch = Break("lunch", TimeWindow(start + 3 * HOUR + 1800, start + 5 * HOUR), 1800)
        van = i % 5 == 0
        out.append(
            Vehicle(
                f"v{i + 1:02d}",
                town.depots[i % len(town.depots)],
                town.depots[i % len(town.depots)],
                TimeWindow(start, start + 10 * HOUR),
                (3, 1, 4) if van else (4, 0, 4),
                kind="van" if van else "sedan",
                breaks=(lunch,),
                features=frozenset({"wheelchair_lift"}) if van else frozenset(),
                fixed_cost=5000,
            )
        )
    return out


def demand(town: Town, n: int, *, seed: int = 0, delivery_share: float = 0.15) -> list[Ask]:
    """``n`` asks for one day: rides home <-> saved places, 30 % by arrival; deliveries."""
    rng = random.Random(seed)
    asks: list[Ask] = []
    for _ in range(n):
        if rng.random() < delivery_share:
            ready = rng.randrange(9 * HOUR, 14 * HOUR, 300)
            asks.append(
                DeliveryAsk(
                    rng.choice(town.shops),
                    rng.choice(town.homes),
                    ready_at=ready,
                    due_by=ready + 4 * HOUR,
                    cargo_units=rng.choice((1, 1, 2)),
                )
            )
            continue
        home, place = rng.choice(town.homes), rng.choice(town.places)
        outbound = rng.random() < 0.55
        a, b = (home, place) if outbound else (place, home)
        t = rng.randrange(8 * HOUR + 1800, 16 * HOUR + 1800, 300)
        wheel = 1 if rng.random() < 0.05 else 0
        party = 1 + wheel + (1 if rng.random() < 0.15 else 0)
        feats = frozenset({"wheelchair_lift"}) if wheel else frozenset()
        if outbound and rng.random() < 0.55:
            asks.append(
                RideAsk(a, b, arrive_by=t, party_size=party, wheelchairs=wheel,
                        required_features=feats)
            )  # fmt: skip
        else:
            asks.append(
                RideAsk(a, b, depart_at=t, party_size=party, wheelchairs=wheel,
                        required_features=feats)
            )  # fmt: skip
    return asks


def fill_day(day: LiveDay, asks: list[Ask], target: int) -> tuple[int, list[float]]:
    """Quote and confirm asks until `target` bookings are active; (asked, latencies ms)."""
    asked = 0
    latencies = []
    for ask in asks:
        if len(day.bookings()) >= target:
            break
        asked += 1
        t0 = time.perf_counter()
        q = day.quote(ask)
        latencies.append((time.perf_counter() - t0) * 1000)
        if q.ok:
            assert q.booking_id is not None
            day.confirm(q.booking_id)
    return asked, latencies


def percentiles(values: list[float]) -> dict[str, float | None]:
    """p50/p95/p99/max of latencies in ms (None when there are none)."""
    if not values:
        return {"p50_ms": None, "p95_ms": None, "p99_ms": None, "max_ms": None}
    a = np.asarray(values)
    return {
        "p50_ms": round(float(np.percentile(a, 50)), 2),
        "p95_ms": round(float(np.percentile(a, 95)), 2),
        "p99_ms": round(float(np.percentile(a, 99)), 2),
        "max_ms": round(float(a.max()), 2),
    }


def measure(
    *, vehicles: int, bookings: int, samples: int, seed: int, homes: int
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Fill a day to `bookings`, then time `samples` quotes; rows and a summary."""
    started = time.perf_counter()
    town = synthetic_town(seed, homes=homes)
    day = LiveDay(town.time_s, town.distance_m, fleet(town, vehicles, seed=seed), now=6 * HOUR)
    asks = demand(town, 20 * bookings + samples, seed=seed)
    build_s = time.perf_counter() - started
    asked, fill_ms = fill_day(day, asks[: 20 * bookings], bookings)
    active = len(day.bookings())
    timed_ok: list[float] = []
    timed_rej: list[float] = []
    for ask in asks[20 * bookings :]:
        t0 = time.perf_counter()
        q = day.quote(ask)
        ms = (time.perf_counter() - t0) * 1000
        if q.ok:
            timed_ok.append(ms)
            assert q.booking_id is not None
            day.release(q.booking_id)
        else:
            timed_rej.append(ms)
    report = day.check()
    rows = [
        {"phase": "all quotes at full size", "n": len(timed_ok) + len(timed_rej),
         **percentiles(timed_ok + timed_rej)},
        {"phase": "accepted (held)", "n": len(timed_ok), **percentiles(timed_ok)},
        {"phase": "rejected (+ alternatives)", "n": len(timed_rej), **percentiles(timed_rej)},
        {"phase": "filling the day", "n": len(fill_ms), **percentiles(fill_ms)},
    ]  # fmt: skip
    all_ms = timed_ok + timed_rej
    p99 = float(np.percentile(all_ms, 99)) if all_ms else 0.0
    summary = {
        "vehicles": vehicles,
        "active_bookings": active,
        "locations": int(town.time_s.shape[0]),
        "asked_to_fill": asked,
        "samples": len(all_ms),
        **{k: v for k, v in percentiles(all_ms).items()},
        "p99_floor_ms": P99_FLOOR_MS,
        "meets_floor": p99 <= P99_FLOOR_MS,
        "check_ok": report.ok(),
        "town_build_s": round(build_s, 2),
    }
    return rows, summary


def cli(
    vehicles: Annotated[int, typer.Option(min=1, help="Fleet size.")] = 30,
    bookings: Annotated[int, typer.Option(min=1, help="Active bookings before timing.")] = 500,
    samples: Annotated[int, typer.Option(min=1, help="Quotes timed at full size.")] = 400,
    homes: Annotated[int, typer.Option(min=10, help="Registered riders' homes.")] = 900,
    seed: Annotated[int, typer.Option(help="Seed of the town, fleet and demand.")] = 0,
    out: Annotated[Path, typer.Option(help="JSON output; markdown beside it.")] = RESULTS_DIR
    / "live_latency.json",
) -> None:
    """Quote latency p50/p95/p99 on a day of `vehicles` and `bookings` (floor: p99 <= 100 ms)."""
    rows, summary = measure(
        vehicles=vehicles, bookings=bookings, samples=samples, seed=seed, homes=homes
    )
    for row in rows:
        typer.echo("  " + ", ".join(f"{k}={v}" for k, v in row.items()))
    json_path, md_path = write_results(
        out,
        title="Live quote latency",
        rows=rows,
        columns=["phase", "n", "p50_ms", "p95_ms", "p99_ms", "max_ms"],
        summary=summary,
        params={
            "vehicles": vehicles,
            "bookings": bookings,
            "samples": samples,
            "homes": homes,
            "seed": seed,
        },
        notes=[
            "Synthetic town: 15 km square, homes in 6 districts, places/shops/depots near "
            "the centre, Euclidean x 1.3 at 30 km/h, closed under shortest paths.",
            "Bookings are taken before the day starts (advance bookings), so no stop is "
            "done yet; each timed held quote is released again so the day keeps its size.",
            "A rejection includes the search for up to 3 alternative times (±15 min steps "
            "up to ±2 h).",
            f"Floor: p99 <= {P99_FLOOR_MS:.0f} ms in-process on this machine.",
        ],
    )
    typer.echo(
        f"p50 {summary['p50_ms']} ms, p95 {summary['p95_ms']} ms, p99 {summary['p99_ms']} ms "
        f"({summary['active_bookings']} bookings, {vehicles} vehicles) -> {json_path}, {md_path}"
    )
