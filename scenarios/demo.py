"""The README's first command: one day of the Ina study, simulated through the live loop.

``noriai demo`` takes the calibrated Ina weekday (`studies/ina.toml`) on the bundled
town's roads (the settings' ``NORIAI_TOWN_GRAPH``, speed factor and snapping distance
replace the study's map settings), simulates one seeded day — phone calls from 8:30,
quotes and promises, shop orders by 11:00, re-optimisation, vehicles driving the plan
as the study's noise has it (late legs, slow boarding: `scenarios.noisy`), refused
callers taking another time or calling back — and reports its KPIs. The plan is checked by the independent checker at every
re-optimisation.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from routing.graph import GraphInfo
from scenarios.results import DayResult
from scenarios.spec import ScenarioSpec, load_spec

DEMO_SPEC = Path(__file__).resolve().parent / "studies" / "ina.toml"
DEMO_SEED = 7


@dataclass(frozen=True, slots=True)
class DemoDay:
    spec: ScenarioSpec
    day: DayResult
    graph: GraphInfo
    report: Path | None
    seconds: dict[str, float]


def demo_spec(
    town: Path, *, speed_factor: float, max_snap_m: float, vehicles: int | None = None
) -> ScenarioSpec:
    """The Ina study's spec on ``town`` (optionally with another fleet size)."""
    overrides: dict[str, object] = {
        "map.graph": str(Path(town).resolve()),
        "map.speed_factor": speed_factor,
        "map.max_snap_m": float(max_snap_m),
    }
    if vehicles is not None:
        overrides["fleet.size"] = vehicles
    return load_spec(DEMO_SPEC).with_overrides(overrides)


def run_demo_day(
    town: Path,
    *,
    cache_dir: Path | None,
    speed_factor: float,
    max_snap_m: float,
    seed: int = DEMO_SEED,
    vehicles: int | None = None,
    out_dir: Path | None = None,
    progress: Callable[..., None] | None = None,
) -> DemoDay:
    """Simulate the demo day (and write its report to ``out_dir`` if given)."""
    from scenarios.report import write_report
    from scenarios.simulate import simulate_day
    from scenarios.world import road_graph

    spec = demo_spec(town, speed_factor=speed_factor, max_snap_m=max_snap_m, vehicles=vehicles)
    seconds: dict[str, float] = {}
    t0 = time.perf_counter()
    info = road_graph(spec, Path(town).parent, cache_dir).info
    seconds["load graph"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    day = simulate_day(
        spec, seed, data_dir=Path(town).parent, cache_dir=cache_dir, progress=progress
    )
    seconds["simulate day"] = time.perf_counter() - t0
    report = None
    if out_dir is not None:
        t0 = time.perf_counter()
        report = write_report(out_dir, [day], title=f"{spec.title} — seed {seed}")
        seconds["report"] = time.perf_counter() - t0
    return DemoDay(spec, day, info, report, seconds)
