"""``noriai plan ...``: planning commands (計画). ``plan shifts`` chooses vehicles and
shifts with CP-SAT and verifies them by simulation (`scenarios.shift_plan`).

Bad input (a missing file, a wrong key, an empty booking history) is a message and
exit code 2, as in ``noriai scenario``.
"""

from __future__ import annotations

import csv
import logging
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from scenarios.cli import BadInput, SpecArg, _input_errors, _load, _settings

plan_app = typer.Typer(
    help=(
        "計画 Planning: shift and fleet plans checked by simulation.\n\n"
        "勤務計画：需要から必要台数と勤務（開始・終了・休憩）を最小費用で決め、"
        "シミュレーションで確かめます。"
    ),
    no_args_is_help=True,
)


def _seeds(value: str | None, default: int) -> list[int]:
    if value is None:
        return [default]
    try:
        seeds = [int(x) for x in value.split(",") if x.strip()]
    except ValueError:
        raise BadInput(f"--seeds: {value!r} is not a list of ints like 1,2") from None
    if not seeds or any(s < 0 for s in seeds) or len(set(seeds)) != len(seeds):
        raise BadInput(f"--seeds: {value!r} must list distinct seeds >= 0, like 1,2")
    return seeds


@plan_app.command("shifts")
def shifts_command(
    ctx: typer.Context,
    spec: SpecArg,
    seeds: Annotated[
        str | None,
        typer.Option(help="Seeds to plan and verify on, e.g. 1,2 (default: the spec's). 乱数の種"),
    ] = None,
    target: Annotated[
        float,
        typer.Option(
            min=0.01, max=1.0, help="Share within the promise to keep. 目標（約束時間内）"
        ),
    ] = 0.95,
    slot_min: Annotated[
        int, typer.Option("--slot-min", min=5, max=120, help="Slot length, minutes. 時間帯の長さ")
    ] = 30,
    utilisation: Annotated[
        float,
        typer.Option(min=0.05, max=1.0, help="Busy share a vehicle may run at. 目標稼働率"),
    ] = 0.75,
    rounds: Annotated[
        int, typer.Option(min=1, max=20, help="Plan-and-simulate rounds at most. 繰り返し回数")
    ] = 5,
    max_vehicles: Annotated[
        int | None,
        typer.Option(
            "--max-vehicles", min=1, help="Vehicles at most (default: the roster's). 車両数の上限"
        ),
    ] = None,
    min_shift_h: Annotated[
        float,
        typer.Option("--min-shift-h", min=0.5, max=13, help="Shortest shift, hours. 最短勤務"),
    ] = 4.0,
    max_shift_h: Annotated[
        float,
        typer.Option(
            "--max-shift-h", min=0.5, max=16, help="Longest shift (restraint), hours. 最長拘束"
        ),
    ] = 13.0,
    time_limit: Annotated[
        float, typer.Option("--time-limit", min=0.1, help="CP-SAT seconds per plan. 計算時間")
    ] = 10.0,
    from_db: Annotated[
        bool,
        typer.Option(
            "--from-db",
            help="Plan from the booking history in NORIAI_DATABASE_URL. 予約履歴から",
        ),
    ] = False,
    days: Annotated[
        int, typer.Option(min=1, help="With --from-db: past service days to read. 日数")
    ] = 20,
    out: Annotated[
        Path | None,
        typer.Option(
            help="Output folder (default reports/<name>-shifts). 出力先", show_default=False
        ),
    ] = None,
) -> None:
    """Choose vehicles and shifts (CP-SAT) that keep the service level, verified by
    simulation; compare with the current roster.

    勤務計画：必要台数を満たす最小費用の勤務を CP-SAT で求め、シミュレーションで確認し、
    現行の勤務と比べます。表、勤務表（ガント図 PNG）、報告書（HTML と markdown）を書き出します。
    """
    from dispatch.shifts import ShiftRules, ShiftSearch
    from scenarios.report import section_markdown, write_report
    from scenarios.shift_plan import PlanSettings, plan_and_verify, plan_window
    from scenarios.shift_report import shift_answer, shift_section
    from scenarios.simulate import simulate_day

    console = Console()
    settings = _settings(ctx)
    logging.basicConfig(level=logging.WARNING)
    with _input_errors(console):
        if max_shift_h < min_shift_h:
            raise BadInput("--max-shift-h must be at least --min-shift-h")
        loaded = _load(spec)
        seed_list = _seeds(seeds, loaded.seed)
        plan_settings = PlanSettings(
            target=target,
            slot_s=slot_min * 60,
            utilisation=utilisation,
            rounds=rounds,
            max_vehicles=max_vehicles,
            rules=ShiftRules(
                min_length_s=round(min_shift_h * 3600), max_length_s=round(max_shift_h * 3600)
            ),
            search=ShiftSearch(time_limit_s=time_limit),
            noise="dispatch.noise ([noise])" if loaded.noise.enabled else "none",
        )
        bookings = None
        if from_db:
            start, end = plan_window(loaded, plan_settings.slot_s)
            bookings = _booking_profile(settings, loaded, days, start, end, plan_settings.slot_s)
            console.print(
                f"予約履歴 booking history: {len(bookings.dates)} days, "
                f"{bookings.per_day:.1f} bookings a day"
            )

        def simulate(s: Any, seed: int, variant: str) -> Any:
            console.print(f"  simulating 再現中 {variant}, seed {seed}")
            return simulate_day(
                s, seed, data_dir=settings.data_dir, cache_dir=settings.cache_dir, variant=variant
            )

        t0 = time.perf_counter()
        study = plan_and_verify(loaded, seed_list, simulate, plan_settings, bookings=bookings)
        wall = time.perf_counter() - t0
        out_dir = out or Path("reports") / f"{spec.stem}-shifts"
        section = shift_section(study)
        opening, rest = shift_answer(section)
        report = write_report(
            out_dir,
            [*study.roster_days, *study.final.days],
            title=f"{loaded.name} — 勤務計画 shift plan",
            sections=[rest],
            answer=opening,
        )
        (out_dir / "shifts.md").write_text(section_markdown(section), encoding="utf-8")
        _write_shifts_csv(out_dir / "shifts.csv", study)
    console.print(_table(study))
    colour = "green" if study.met else "red"
    console.print(
        f"[{colour}]{'目標達成 target met' if study.met else '目標未達 target not met'}[/] "
        f"({len(study.rounds)} round(s), {wall:.0f} s) · report 報告書: {report}"
    )
    console.print(f"Gantt: {out_dir / 'figures' / 'shift_gantt.png'} · {out_dir / 'shifts.md'}")


def _table(study: Any) -> Table:
    """The report's plan-against-roster table, for the terminal."""
    from scenarios.shift_report import comparison_table

    t = comparison_table(study)
    seeds = ", ".join(map(str, study.seeds))
    table = Table(*t.header, title=f"{study.spec.name}: 勤務計画 vs 現行 — seeds {seeds}")
    for row in t.rows:
        table.add_row(*row)
    return table


def _booking_profile(settings: Any, spec: Any, days: int, start: int, end: int, slot: int) -> Any:
    from api.db.engine import make_engine, session_factories
    from scenarios.shift_plan import booking_profile

    engine = make_engine(settings.effective_database_url())
    try:
        _, reader = session_factories(engine)
        with reader() as session:
            return booking_profile(
                session,
                days=days,
                start_s=start,
                slot_s=slot,
                n_slots=(end - start) // slot,
                timezone=spec.agency.timezone,
            )
    finally:
        engine.dispose()


def _write_shifts_csv(path: Path, study: Any) -> None:
    from scenarios.shift_plan import assign_groups
    from scenarios.spec import format_clock

    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["shift", "vehicle_type", "start", "end", "break_start", "break_end", "hours"])
        for s, g in sorted(assign_groups(study.spec, study.final.plan), key=lambda p: p[0].vehicle):
            w.writerow(
                [
                    s.vehicle,
                    g.type,
                    format_clock(s.start),
                    format_clock(s.end),
                    "" if s.break_start is None else format_clock(s.break_start),
                    "" if s.break_end is None else format_clock(s.break_end),
                    f"{s.hours:g}",
                ]
            )
