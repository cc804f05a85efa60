"""``noriai scenario ...`` (planners' what-if runs) and ``noriai demo`` (the README's
first command: one Ina demo day, its KPIs and report).

Every command turns bad input (a missing file, a wrong key in a spec, a broken variants
table) into a clear message and exit code 2 — never a traceback.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

EXIT_INPUT = 2

scenario_app = typer.Typer(
    help=(
        "What-if scenarios for planners: simulate days, compare variants, answer studies. "
        "シミュレーション\n\n"
        "計画担当者向けのシミュレーション：一日の運行を再現し、台数や相乗りなどの条件を比べます。\n\n"
        "A scenario is a TOML file (see scenarios/studies/ina.toml); a variants table is a "
        "CSV with a 'variant' column and one column per setting to change "
        "(e.g. fleet.size). Reports (HTML + CSV) go to --out."
    ),
    no_args_is_help=True,
)

SpecArg = Annotated[
    Path,
    typer.Argument(
        help="Scenario file (TOML), e.g. scenarios/studies/ina.toml. シナリオ設定ファイル",
        show_default=False,
    ),
]
SeedsOpt = Annotated[
    int, typer.Option("--seeds", min=1, help="Seeds per variant (0..N-1). 乱数の種の数")
]
WorkersOpt = Annotated[
    int,
    typer.Option("--workers", min=1, help="Local worker processes (one simulation each). 並列数"),
]
SchedulerOpt = Annotated[
    str | None,
    typer.Option(
        "--scheduler",
        help="Run on an existing Dask cluster instead, e.g. tcp://host:8786. 既存のDaskクラスタ",
        show_default=False,
    ),
]
OutOpt = Annotated[
    Path | None,
    typer.Option(
        "--out",
        help="Folder for report.html and the CSVs (default reports/<name>). 出力先",
        show_default=False,
    ),
]


class BadInput(Exception):
    """Input a planner must fix; printed as a message, exit code 2."""


def _settings(ctx: typer.Context) -> Any:
    from api.settings import Settings

    return ctx.obj if ctx.obj is not None else Settings()


@contextmanager
def _input_errors(console: Console) -> Iterator[None]:
    """Map noriai's input errors (and unreadable files) to a message and exit code 2."""
    from routing.errors import NoriaiError

    try:
        yield
    except BadInput as exc:
        console.print(f"[red]エラー error:[/] {escape(str(exc))}")
        raise typer.Exit(EXIT_INPUT) from None
    except (NoriaiError, OSError) as exc:
        console.print(f"[red]エラー error:[/] {escape(str(exc))}")
        raise typer.Exit(EXIT_INPUT) from None


def spec_errors(path: Path) -> tuple[Any, list[str]]:
    """Load a spec; return (spec, []) or (None, ["key.path: message", ...])."""
    if not path.is_file():
        return None, [f"{path}: file does not exist (ファイルがありません)"]
    import tomllib

    from pydantic import ValidationError

    from routing.errors import InputError
    from scenarios.spec import load_spec

    try:
        return load_spec(path), []
    except ValidationError as exc:
        return None, [
            f"{'.'.join(str(p) for p in e['loc']) or '(top)'}: {e['msg']}"
            + (f" (got {e['input']!r})" if _short_input(e) else "")
            for e in exc.errors()
        ]
    except tomllib.TOMLDecodeError as exc:
        return None, [f"{path}: not valid TOML: {exc}"]
    except (InputError, ValueError, KeyError) as exc:
        return None, [str(exc)]


def _short_input(error: dict) -> bool:
    value = error.get("input")
    return isinstance(value, str | int | float | bool) and len(repr(value)) <= 40


def _load(path: Path) -> Any:
    spec, errors = spec_errors(path)
    if errors:
        raise BadInput(f"{path}:\n  " + "\n  ".join(errors))
    return spec


def kpi_table(kpis: dict[str, float], title: str | None = None) -> Table:
    """A rich table: Japanese label, English label, value, unit (rejection reasons
    that did not occur, and the bins of the report's histogram and reliability table,
    are left out)."""
    from scenarios.metrics import TABLE_ONLY_PREFIXES
    from scenarios.report import format_kpi, kpi_labels

    labels = kpi_labels()
    table = Table("指標", "KPI", "value 値", "unit 単位", title=title)
    keys = [*(k for k in labels if k in kpis), *(k for k in kpis if k not in labels)]
    keys = [k for k in keys if not k.startswith(TABLE_ONLY_PREFIXES)]
    for key in (k for k in keys if not (k.startswith("rejected_") and kpis[k] == 0)):
        ja, en, unit = labels.get(key, (key, key, ""))
        table.add_row(ja, en, format_kpi(kpis[key], unit), unit)
    return table


def _progress(console: Console) -> Progress:
    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )


def simulate_with_progress(
    spec: Any, seed: int, *, settings: Any, console: Console, variant: str = "base"
) -> Any:
    """`simulate_day` with a progress bar over the simulated clock."""
    from scenarios.simulate import simulate_day

    with _progress(console) as bar:
        task = bar.add_task(f"simulating 一日を再現中 ({spec.name}, seed {seed})", total=None)

        def report(done: float, total: float, *_: Any) -> None:
            bar.update(task, completed=done, total=total)

        return simulate_day(
            spec,
            seed,
            data_dir=settings.data_dir,
            cache_dir=settings.cache_dir,
            variant=variant,
            progress=report,
        )


# --- commands ----------------------------------------------------------------------------


@scenario_app.command("validate")
def validate_command(spec: SpecArg) -> None:
    """Check a scenario file and list every problem with its key path (exit code 2).

    シナリオ設定の確認：誤りがあれば項目名（例 fleet.size）と理由を表示します。
    """
    console = Console()
    loaded, errors = spec_errors(spec)
    if not errors and loaded.transit.feed is not None:
        from scenarios.fixed import feed_problems

        errors = feed_problems(loaded)
    if errors:
        console.print(f"[red]{spec}: {len(errors)} problem(s) 誤り[/]")
        for e in errors:
            console.print(f"  • {escape(e)}")
        raise typer.Exit(EXIT_INPUT)
    console.print(f"[green]{spec}: OK 問題なし[/] — scenario {loaded.name}")


@scenario_app.command("run")
def run_command(
    ctx: typer.Context,
    spec: SpecArg,
    seed: Annotated[
        int | None,
        typer.Option(help="Random seed of the day (default: the scenario's seed). 乱数の種"),
    ] = None,
    out: OutOpt = None,
) -> None:
    """Simulate one service day, print its KPIs and write the report.

    一日分のシミュレーション：指標の表を表示し、報告書（HTML）とCSVを書き出します。
    """
    from scenarios.report import write_report

    console = Console()
    settings = _settings(ctx)
    logging.basicConfig(level=logging.WARNING)
    with _input_errors(console):
        loaded = _load(spec)
        seed = loaded.seed if seed is None else seed
        t0 = time.perf_counter()
        day = simulate_with_progress(loaded, seed, settings=settings, console=console)
        wall = time.perf_counter() - t0
        console.print(kpi_table(day.kpis, title=f"{loaded.name} — seed {seed}"))
        out_dir = out or Path("reports") / spec.stem
        path = write_report(out_dir, [day], title=f"{loaded.name} — seed {seed}")
    console.print(f"simulated in {wall:.1f} s 所要時間 · report 報告書: {path}")
    console.print(f"KPIs CSV: {path.parent / 'kpis.csv'}")


@scenario_app.command("sweep")
def sweep_command(
    ctx: typer.Context,
    spec: SpecArg,
    variants: Annotated[
        Path,
        typer.Argument(
            help="Variants table (CSV): a 'variant' column plus one column per dotted key. "
            "比較する条件の表",
            show_default=False,
        ),
    ],
    seeds: SeedsOpt = 3,
    workers: WorkersOpt = 2,
    scheduler: SchedulerOpt = None,
    out: OutOpt = None,
) -> None:
    """Run every variant × seed in parallel (Dask) and write one comparison report.

    条件ごと・乱数の種ごとに並列でシミュレーションし、比較の報告書を作ります。
    """
    from scenarios.report import write_report
    from scenarios.sweep import read_variants, run_sweep

    console = Console()
    settings = _settings(ctx)
    with _input_errors(console):
        _check_parallel(ctx, scheduler)
        base = _load(spec)
        table_in = read_variants(variants)
        t0 = time.perf_counter()
        with _progress(console) as bar:
            task = bar.add_task("sweep 比較を実行中", total=len(table_in) * seeds)
            table = run_sweep(
                base,
                table_in,
                list(range(seeds)),
                data_dir=settings.data_dir,
                cache_dir=settings.cache_dir,
                n_workers=workers,
                scheduler=scheduler,
                progress=lambda done, total, row: bar.update(task, completed=done),
            )
        wall = time.perf_counter() - t0
        print_sweep(table, console)
        out_dir = out or Path("reports") / f"{spec.stem}-{variants.stem}"
        path = write_report(out_dir, table.results, table, title=f"{base.name}: {variants.name}")
    console.print(f"{len(table.rows)} days in {wall:.1f} s · report 報告書: {path}")
    if len(table.failed()) == len(table.rows):
        raise typer.Exit(1)


def print_sweep(table: Any, console: Console, kpis: Sequence[str] | None = None) -> None:
    """One row per variant: its overrides, main KPIs (seed means) and seeds that ran."""
    from scenarios.report import SWEEP_KPIS, format_kpi, kpi_labels

    labels = kpi_labels()
    names = list(kpis or [k for k in (*SWEEP_KPIS, *labels) if k in table.kpi_names()][:6])
    names = list(dict.fromkeys(names))
    heads = [f"{labels[k][0]}\n{labels[k][1]}" if k in labels else k for k in names]
    out = Table("variant", *table.keys, *heads, "ok")
    for v in table.variants():
        ov = table.overrides(v)
        rows = [r for r in table.rows if r.variant == v]
        out.add_row(
            v,
            *(str(ov.get(k, "")) for k in table.keys),
            *(format_kpi(table.mean(v, k), labels.get(k, ("", "", ""))[2]) for k in names),
            f"{sum(r.ok for r in rows)}/{len(rows)}",
        )
    console.print(out)
    print_failures(table, console)


def print_failures(table: Any, console: Console) -> None:
    """Each (variant, seed) that failed, with the first line of its error."""
    for r in table.failed():
        first = (r.error or "").splitlines()[0]
        console.print(
            f"  [yellow]failed 失敗[/] {escape(r.variant)} seed {r.seed}: {escape(first)}"
        )


def _check_parallel(ctx: typer.Context, scheduler: str | None) -> None:
    source = ctx.get_parameter_source("workers")
    if scheduler is not None and source is not None and source.name == "COMMANDLINE":
        raise BadInput(
            "--workers and --scheduler exclude each other (並列数か既存クラスタのどちらか)"
        )


@scenario_app.command("study")
def study_command(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Study name: ina. 検討の名前", show_default=False)],
    seeds: SeedsOpt = 3,
    workers: WorkersOpt = 2,
    scheduler: SchedulerOpt = None,
    out: OutOpt = None,
) -> None:
    """Answer a planners' question (ina: vehicles needed, what pooling saves).

    ina: how many vehicles keep 95 % of requests picked up within the promised window,
    and what pooling saves (vehicle hours, km, cost per trip) at the same service level.

    検討：伊那市で約束時間内に95%以上を運ぶのに必要な台数と、相乗りの効果を求めます。
    """
    from scenarios.study import STUDIES, run_study

    console = Console()
    settings = _settings(ctx)
    with _input_errors(console):
        if name not in STUDIES:
            raise BadInput(f"unknown study {name!r}; known: {', '.join(sorted(STUDIES))}")
        _check_parallel(ctx, scheduler)
        study = STUDIES[name]
        t0 = time.perf_counter()
        with _progress(console) as bar:
            task = bar.add_task(f"study {name} 検討を実行中", total=None)
            path, ans, table = run_study(
                study,
                seeds=seeds,
                out_dir=out or Path("reports") / name,
                data_dir=settings.data_dir,
                cache_dir=settings.cache_dir,
                n_workers=workers,
                scheduler=scheduler,
                progress=lambda done, total, row: bar.update(task, completed=done, total=total),
            )
        wall = time.perf_counter() - t0
    print_sweep(table, console)
    ja, en = ans.sentence()
    console.print(f"[bold]{ja}[/]\n{en}")
    for s in ans.savings:
        console.print(f"  pooling saves {s.kpi}: {s.saved:,.1f} ({(s.saved_share or 0):.1%})")
    console.print(f"{len(table.rows)} days in {wall:.1f} s · report 報告書: {path}")


@scenario_app.command("review")
def review_command(
    ctx: typer.Context,
    spec: SpecArg,
    seeds: SeedsOpt = 3,
    workers: WorkersOpt = 2,
    scheduler: SchedulerOpt = None,
    out: OutOpt = None,
) -> None:
    """路線バスの見直し Bus-line review: today's lines, on demand only, a mix.

    Each option of the spec's `review` section (default: today's lines, on demand only, the mix
    of `transit.mix`) × seed is simulated on Dask; one report compares served, door to
    door, waiting, walking, cost per trip, CO2, stop coverage and the worst district.

    路線バスの見直し：現行の路線・デマンド交通のみ・組み合わせを、同じ申込みで比べます。
    """
    from scenarios.review import review_options, run_review

    console = Console()
    settings = _settings(ctx)
    with _input_errors(console):
        _check_parallel(ctx, scheduler)
        base = _load(spec)
        options = review_options(base)
        t0 = time.perf_counter()
        with _progress(console) as bar:
            task = bar.add_task("review 見直しを実行中", total=len(options) * seeds)
            path, table = run_review(
                base,
                seeds=seeds,
                out_dir=out or Path("reports") / f"{spec.stem}-review",
                data_dir=settings.data_dir,
                cache_dir=settings.cache_dir,
                n_workers=workers,
                scheduler=scheduler,
                progress=lambda done, total, row: bar.update(task, completed=done),
            )
        wall = time.perf_counter() - t0
    from scenarios.review import side_by_side

    side = side_by_side(table, options)
    out = Table(*side.header, title="案の比較 the options side by side (seed means)")
    for row in side.rows:
        out.add_row(*row)
    console.print(out)
    print_failures(table, console)
    console.print(f"{len(table.rows)} days in {wall:.1f} s · report 報告書: {path}")
    if len(table.failed()) == len(table.rows):
        raise typer.Exit(1)


def demo_command(
    ctx: typer.Context,
    seed: Annotated[int, typer.Option(help="Random seed of the demo day. 乱数の種")] = 7,
    vehicles: Annotated[
        int | None,
        typer.Option(
            min=1, help="Fleet size (default: the Ina study's). 車両数", show_default=False
        ),
    ] = None,
    out: Annotated[Path, typer.Option(help="Folder for the demo day's report. 出力先")] = Path(
        "reports"
    )
    / "demo",
) -> None:
    """Simulate one Ina-style service day on the bundled town and print its KPIs.

    デモ：伊那市型の平日（乗合タクシーと宅配）を同梱の町の道路網で一日分シミュレーションし、
    指標を表示します。
    """
    from scenarios.demo import run_demo_day

    settings = _settings(ctx)
    console = Console()
    logging.basicConfig(level=logging.WARNING)
    town = settings.town_graph_path()
    if not town.is_file():
        console.print(f"[red]エラー error:[/] map file {escape(str(town))} does not exist")
        console.print("Set NORIAI_DATA_DIR to the folder holding osm/ (see README).")
        raise typer.Exit(EXIT_INPUT)
    t0 = time.perf_counter()
    with _input_errors(console), _progress(console) as bar:
        task = bar.add_task(f"simulating 一日を再現中 ({town.name}, seed {seed})", total=None)
        demo = run_demo_day(
            town,
            cache_dir=settings.cache_dir,
            speed_factor=settings.speed_factor,
            max_snap_m=settings.max_snap_m,
            seed=seed,
            vehicles=vehicles,
            out_dir=out,
            progress=lambda done, total, *_: bar.update(task, completed=done, total=total),
        )
    wall = time.perf_counter() - t0
    info, day, spec = demo.graph, demo.day, demo.spec
    console.print(
        f"[bold]town 町[/]: {escape(town.name)} — {info.nodes:,} nodes, {info.edges:,} edges "
        f"({escape(spec.map.note)})"
    )
    k = day.kpis
    console.print(
        f"day 一日: {escape(spec.title)}, seed {seed} — {k['ride_requests']:.0f} ride requests "
        f"乗車の申込み, {k['delivery_orders']:.0f} shop orders 宅配の注文, "
        f"{k['vehicles']:.0f} vehicles 車両"
    )
    console.print(kpi_table(k, title=f"{spec.name} — seed {seed}"))
    timings = Table("step 処理", "seconds 秒")
    for step, secs in {**demo.seconds, **day.seconds}.items():
        timings.add_row(step, f"{secs:.2f}")
    console.print(timings)
    if k["plan_violations"] == 0:
        console.print(
            f"[green]independent checker: every constraint holds 制約違反なし[/] "
            f"({k['plan_checks']:.0f} checks of the live plan)"
        )
    else:
        console.print(f"[red]checker found {k['plan_violations']:.0f} violation(s)[/]")
        raise typer.Exit(1)
    console.print(f"{wall:.1f} s in all · report 報告書: {demo.report}")
    console.print("Map data © OpenStreetMap contributors, ODbL 1.0")


def _date_option(value: str | None, option: str) -> Any:
    from datetime import date

    try:
        return None if value is None else date.fromisoformat(value)
    except ValueError:
        raise BadInput(f"{option}: {value!r} is not a date like 2027-04-01 (日付)") from None


def export_flex_command(
    spec: SpecArg,
    out: Annotated[
        Path,
        typer.Argument(
            help="The feed to write, e.g. ina-flex.zip. 出力するzip", show_default=False
        ),
    ],
    start: Annotated[
        str | None,
        typer.Option(
            help="First day of the calendar (YYYY-MM-DD; default today). 掲載開始日",
            show_default=False,
        ),
    ] = None,
    end: Annotated[
        str | None,
        typer.Option(
            help="Last day of the calendar (YYYY-MM-DD; default a year after --start). 掲載終了日",
            show_default=False,
        ),
    ] = None,
) -> None:
    """GTFS-Flex で公開 Publish the on-demand service as a GTFS-Flex feed for trip planners.

    GTFS-Flex形式で公開：運行区域（地区ごと）、電話予約の条件、運行時間と運行日を
    乗換案内が読めるzipに書き出します。
    """
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from scenarios.flex import default_end, write_flex

    console = Console()
    with _input_errors(console):
        loaded = _load(spec)
        first, last = _date_option(start, "--start"), _date_option(end, "--end")
        if first is None:
            first = datetime.now(ZoneInfo(loaded.agency.timezone)).date()
        if last is None:
            last = default_end(first)
        path = write_flex(loaded, out, first, last)
    console.print(
        f"[green]GTFS-Flex[/] {escape(str(path))}: {loaded.name}, {first} – {last} "
        f"({', '.join(loaded.service.days)}) 書き出しました"
    )
