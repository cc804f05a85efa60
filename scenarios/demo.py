"""The demo day on the bundled town: road graph -> matrix -> a day of rides and
deliveries -> OR-Tools plan -> independent check.

It stands in for the calibrated study of later issues: a small, seeded, believable
weekday (9:00-15:00 rides booked with 15-minute pickup windows, some by arrival time,
wheelchair riders, same-day shop deliveries) on a real Japanese road network.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from pathlib import Path

from dispatch.check import CheckReport, check_plan
from dispatch.model import (
    Break,
    DeliveryOrder,
    Problem,
    RideRequest,
    TimeWindow,
    Vehicle,
)
from dispatch.result import Plan
from dispatch.solver import solve
from dispatch.stop import MaxRuntime, NoImprovement
from routing.graph import RoadGraph, load_graph
from routing.matrix import TravelMatrix, build_matrix
from routing.snapping import Snapper, random_points_near_roads
from routing.speeds import SpeedTable

H = 3600
#: Named places of the demo town: index in the location list.
DEPOT, HOSPITAL, CLINIC, SUPERMARKET, CITY_HALL, STATION = range(6)
PLACES = (
    "車庫 depot",
    "病院 hospital",
    "診療所 clinic",
    "スーパー supermarket",
    "市役所 city hall",
    "駅 station",
)


@dataclass(frozen=True, slots=True)
class DemoDay:
    graph: RoadGraph
    matrix: TravelMatrix
    problem: Problem
    plan: Plan
    report: CheckReport
    seconds: dict[str, float]


def demo_fleet() -> tuple[Vehicle, ...]:
    """3 sedans, a wheelchair van and a light van, 8:30-16:00 with a lunch break."""

    def lunch(i: int) -> tuple[Break, ...]:
        start = 11 * H + 1800 * (i % 3)
        return (Break("lunch", TimeWindow(start, start + H), 2700),)

    shift = TimeWindow(8 * H + 1800, 16 * H)
    fleet = [
        Vehicle(f"sedan-{i + 1}", DEPOT, DEPOT, shift, (4, 0, 2), kind="sedan", breaks=lunch(i))
        for i in range(3)
    ]
    fleet.append(
        Vehicle(
            "wheelchair-van-1",
            DEPOT,
            DEPOT,
            shift,
            (3, 1, 2),
            kind="wheelchair_van",
            features=frozenset({"wheelchair_lift"}),
            breaks=lunch(3),
            cost_per_hour=3500,
        )
    )
    fleet.append(
        Vehicle(
            "light-van-1",
            DEPOT,
            DEPOT,
            shift,
            (1, 0, 12),
            kind="light_van",
            breaks=lunch(4),
            cost_per_hour=2500,
            cost_per_km=20,
        )
    )
    return tuple(fleet)


def demo_requests(n_homes: int, *, seed: int, rides: int = 40, deliveries: int = 8) -> list:
    """A seeded weekday: homes are locations 6.., destinations the named places."""
    rng = random.Random(seed)
    homes = list(range(len(PLACES), len(PLACES) + n_homes))
    out: list = []
    for i in range(rides):
        home = rng.choice(homes)
        dest = rng.choice(
            [HOSPITAL, HOSPITAL, CLINIC, SUPERMARKET, SUPERMARKET, CITY_HALL, STATION]
        )
        wheel = 1 if rng.random() < 0.08 else 0
        party = (
            wheel + (1 if rng.random() < 0.8 else 2) if wheel else (1 if rng.random() < 0.85 else 2)
        )
        outbound = rng.random() < 0.6
        a, b = (home, dest) if outbound else (dest, home)
        t = rng.randrange(9 * H, 15 * H - 900, 300)
        common = dict(
            rider_id=f"resident-{home}",
            party_size=party,
            wheelchairs=wheel,
            board_s=300 if wheel else 90,
            alight_s=240 if wheel else 60,
            required_features=frozenset({"wheelchair_lift"}) if wheel else frozenset(),
        )
        if outbound and dest in (HOSPITAL, CLINIC) and rng.random() < 0.5:
            out.append(
                RideRequest(f"R{i + 1:03d}", a, b, arrive_by=t + 1800, arrive_earliest=t, **common)
            )
        else:
            out.append(
                RideRequest(f"R{i + 1:03d}", a, b, pickup_window=TimeWindow(t, t + 900), **common)
            )
    for j in range(deliveries):
        out.append(
            DeliveryOrder(
                f"D{j + 1:03d}",
                SUPERMARKET,
                rng.choice(homes),
                ready_at=12 * H,
                due_by=15 * H + 1800,
                cargo_units=rng.randint(1, 3),
            )
        )
    return out


def run_demo_day(
    town: Path,
    *,
    cache_dir: Path | None,
    speed_factor: float,
    max_snap_m: int,
    seed: int = 7,
    n_homes: int = 60,
    time_limit_s: float = 10.0,
) -> DemoDay:
    """Build and solve the demo day; every step timed."""
    seconds: dict[str, float] = {}
    t0 = time.perf_counter()
    graph = load_graph(town, SpeedTable(factor=speed_factor), cache_dir=cache_dir)
    seconds["load graph"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    lonlat = random_points_near_roads(graph, len(PLACES) + n_homes, seed=seed)
    snapped = Snapper(graph, max_snap_m=max_snap_m).snap(lonlat)
    matrix = build_matrix(graph, snapped)
    seconds["snap + matrix"] = time.perf_counter() - t0
    problem = Problem(
        matrix.time_s.astype("int64"),
        matrix.distance_m.astype("int64"),
        tuple(demo_requests(n_homes, seed=seed)),
        demo_fleet(),
    )
    t0 = time.perf_counter()
    plan = solve(
        problem, MaxRuntime(time_limit_s) | NoImprovement(max(1.0, time_limit_s / 3)), seed=seed
    )
    seconds["solve"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    report = check_plan(problem, plan)
    seconds["check"] = time.perf_counter() - t0
    return DemoDay(graph, matrix, problem, plan, report, seconds)
