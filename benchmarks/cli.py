"""``noriai bench``: each benchmark answers one question and writes JSON + markdown."""

from __future__ import annotations

import typer

from benchmarks import matrix_build, quality

bench_app = typer.Typer(no_args_is_help=True)
bench_app.command("matrix", help="Travel-time matrix build: seconds, memory, vs networkx.")(
    matrix_build.cli
)
bench_app.command("quality", help="Solver quality vs best-known (Li & Lim, Cordeau), vs VROOM.")(
    quality.cli
)
