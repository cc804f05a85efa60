"""The ``noriai`` command line: one entry point for dispatchers, planners and engineers.

Sub-commands live beside the code they drive (``routing/cli.py``, ``dispatch/cli.py``,
``benchmarks/cli.py``, ``scenarios/cli.py``); this module only assembles them and
builds the one `Settings` object that is passed down.
"""

from __future__ import annotations

import typer

from api.service_cli import service_app
from api.settings import Settings
from benchmarks.cli import bench_app
from dispatch.cli import solve_command
from routing.cli import map_app
from routing.transit.cli import transit_app
from scenarios.cli import demo_command, export_flex_command, scenario_app
from scenarios.plan_cli import plan_app

app = typer.Typer(
    name="noriai",
    help=(
        "noriai 乗合 — demand-responsive shared rides and shop deliveries for small towns.\n\n"
        "Settings come from NORIAI_* environment variables (e.g. NORIAI_DATA_DIR)."
    ),
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)


@app.callback()
def main(ctx: typer.Context) -> None:
    """Build the settings once and hand them to every sub-command."""
    ctx.obj = Settings()


app.add_typer(map_app, name="map", help="Road graphs: load, summarise, build matrices. 道路網")
app.command("solve")(solve_command)
app.add_typer(bench_app, name="bench", help="Benchmarks: JSON + markdown tables. ベンチマーク")
app.command("demo")(demo_command)
app.add_typer(scenario_app, name="scenario")
app.add_typer(service_app, name="service")
app.add_typer(
    plan_app,
    name="plan",
    help="計画 Planning: shift and fleet plans (CP-SAT), verified by simulation.",
)
transit_app.command("export-flex")(export_flex_command)
app.add_typer(
    transit_app,
    name="transit",
    help=(
        "公共交通 Transit feeds (GTFS / GTFS-JP): summarise a feed, draft one from a line "
        "sketch, publish the on-demand service as GTFS-Flex."
    ),
)

if __name__ == "__main__":  # pragma: no cover
    app()
