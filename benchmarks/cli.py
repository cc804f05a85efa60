"""``noriai bench``: each benchmark answers one question and writes JSON + markdown."""

from __future__ import annotations

import typer

from benchmarks import (
    city_day,
    live_latency,
    matrix_build,
    online_offline,
    quality,
    reopt_curve,
    risk_refresh,
    transit_import,
)

bench_app = typer.Typer(no_args_is_help=True)
bench_app.command("matrix", help="Travel-time matrix build: seconds, memory, vs networkx.")(
    matrix_build.cli
)
bench_app.command("quality", help="Solver quality vs best-known (Li & Lim, Cordeau), vs VROOM.")(
    quality.cli
)
bench_app.command("latency", help="Booking quote latency p50/p95/p99 on a busy live day.")(
    live_latency.cli
)
bench_app.command("online", help="Online (quotes + re-optimisation) vs offline solve of a day.")(
    online_offline.cli
)
bench_app.command(
    "reopt", help="Re-optimisation of a live plan: cost against seconds, per engine."
)(reopt_curve.cli)
bench_app.command(
    "transit", help="Transit feed import: read_feed + read_timetable seconds and memory."
)(transit_import.cli)
bench_app.command(
    "risk", help="Lateness risk per board refresh on a busy day: cost, calibration, flags."
)(risk_refresh.cli)
bench_app.command(
    "city", help="A city day (80 vehicles, 2,200 bookings) through the live loop on real roads."
)(city_day.cli)
