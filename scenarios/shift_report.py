"""The shift plan in the planners' report: the answer, plan against roster, the Gantt.

`shift_section` turns a `scenarios.shift_plan.ShiftStudy` into a `ReportSection`
(the HTML report draws it; `scenarios.report.section_markdown` writes it as
markdown), `comparison` gives the plan-against-roster rows the CLI prints. Figures of
both sides come from the same simulated KPIs (`scenarios.metrics`): vehicles and
vehicle hours are paid shifts, cost adds kilometres and fixed costs, service levels
count requests the rider did not end.
"""

from __future__ import annotations

import dataclasses
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from dispatch.shifts import SHORTFALL_TEXT, ShiftRules
from scenarios import plots
from scenarios.report import ReportAnswer, ReportSection, ReportTable, figure, format_kpi
from scenarios.results import DayResult
from scenarios.shift_plan import (
    SERVED,
    STOP_TEXT,
    WITHIN,
    ShiftStudy,
    Stop,
    assign_groups,
    sized_groups,
)
from scenarios.spec import format_clock


@dataclass(frozen=True, slots=True)
class Side:
    """One column of the comparison: seed means (and the worst seed's level)."""

    name_ja: str
    name_en: str
    vehicles: float
    vehicle_hours: float
    cost_yen: float
    within: float
    within_worst: float
    served: float
    solve_s: float | None  # CP-SAT's time (the roster: None)


def side(name_ja: str, name_en: str, days: Sequence[DayResult], solve_s: float | None) -> Side:
    def mean(key: str) -> float:
        return statistics.fmean(d.kpis[key] for d in days)

    return Side(
        name_ja,
        name_en,
        mean("vehicles"),
        mean("vehicle_hours"),
        mean("cost_yen"),
        mean(WITHIN),
        min(d.kpis[WITHIN] for d in days),
        mean(SERVED),
        solve_s,
    )


def comparison(study: ShiftStudy) -> tuple[Side, Side]:
    """(current roster, CP-SAT plan), from their simulated days."""
    final = study.final
    solve = sum(r.plan.solve_s for r in study.rounds)
    return (
        side("現行の勤務", "current roster", study.roster_days, None),
        side("CP-SAT 勤務計画", "CP-SAT plan", final.days, solve),
    )


def comparison_table(study: ShiftStudy) -> ReportTable:
    rows = []
    for s in comparison(study):
        rows.append(
            (
                f"{s.name_ja} {s.name_en}",
                f"{s.vehicles:.0f}",
                f"{s.vehicle_hours:.1f}",
                format_kpi(s.cost_yen, "円"),
                f"{format_kpi(s.within, '%')} ({format_kpi(s.within_worst, '%')})",
                format_kpi(s.served, "%"),
                "–" if s.solve_s is None else f"{s.solve_s:.2f}",
            )
        )
    header = (
        "",
        "車両 vehicles",
        "車両時間 vehicle h",
        "費用 cost",
        "約束時間内 within promise (worst seed)",
        "運んだ割合 served",
        "計算秒 solve s",
    )
    return ReportTable(header, tuple(rows))


def shifts_table(study: ShiftStudy) -> ReportTable:
    """The planned shifts, the roster vehicle each runs on, and their breaks."""
    rows = []
    for s, g in sorted(assign_groups(study.spec, study.final.plan), key=lambda p: p[0].vehicle):
        brk = (
            "–"
            if s.break_start is None or s.break_end is None
            else f"{format_clock(s.break_start)}〜{format_clock(s.break_end)}"
        )
        rows.append(
            (
                s.vehicle,
                g.type,
                f"{format_clock(s.start)}〜{format_clock(s.end)}",
                f"{s.hours:.1f}",
                brk,
            )
        )
    return ReportTable(
        ("勤務 shift", "車両 vehicle", "勤務時間 hours", "h", "休憩 break"), tuple(rows)
    )


def gantt_bars(study: ShiftStudy) -> tuple[list[plots.ShiftBar], list[plots.ShiftBar]]:
    """(planned, roster) shifts as the Gantt draws them."""
    planned = [
        (f"{s.vehicle} {g.type}", s.start, s.end, s.break_start, s.break_end)
        for s, g in sorted(assign_groups(study.spec, study.final.plan), key=lambda p: p[0].vehicle)
    ]
    roster: list[plots.ShiftBar] = []
    for i, g in enumerate(sized_groups(study.spec)):
        brk = g.breaks[0] if g.breaks else None
        bs = None if brk is None else brk.start
        be = None if brk is None else brk.start + brk.minutes * 60
        roster.append((f"{g.type} {i + 1}", g.shift[0], g.shift[1], bs, be))
    return planned, roster


def shift_section(study: ShiftStudy) -> ReportSection:
    """The answer, the comparison, the shifts, the Gantt and how they were reached."""
    roster, plan = comparison(study)
    final = study.final
    settings = study.settings
    target = format_kpi(settings.target, "%")
    verdict_ja = "目標を満たします" if study.met else "目標に届きません"
    verdict_en = "meets the target" if study.met else "does not reach the target"
    saved = roster.vehicle_hours - plan.vehicle_hours
    cost_gap = format_kpi(roster.cost_yen - plan.cost_yen, "円")
    worst = format_kpi(plan.within_worst, "%")
    seeds = ", ".join(map(str, study.seeds))
    paragraphs = [
        (
            f"CP-SAT の勤務計画は {plan.vehicles:.0f} 台・{plan.vehicle_hours:.1f} 車両時間で、"
            f"約束時間内の割合は最も低い種で {worst}（目標 {target}）、{verdict_ja}。"
            f"現行の勤務（{roster.vehicles:.0f} 台・{roster.vehicle_hours:.1f} 時間）より"
            f" {saved:.1f} 車両時間、費用 {cost_gap} の差です。",
            f"The CP-SAT shift plan runs {plan.vehicles:.0f} vehicles for "
            f"{plan.vehicle_hours:.1f} vehicle hours; its worst seed keeps {worst} of "
            f"requests within the promise (target {target}): it {verdict_en}. Against the "
            f"current roster ({roster.vehicles:.0f} vehicles, {roster.vehicle_hours:.1f} h) "
            f"that is {saved:.1f} vehicle hours and {cost_gap} a day less.",
        ),
        (
            f"必要台数は{_source_ja(study)}から求め（稼働率 {settings.utilisation:.0%} で割る）、"
            "シミュレーションで検証し、届かない時間帯に1台ずつ足して"
            f" {len(study.rounds)} 回計画しました。種 {seeds}（計画と検証に同じ種）。"
            f"走行時間のばらつき（ノイズ）: {_noise_ja(settings.noise)}。",
            f"Vehicles needed per {settings.slot_s // 60}-minute slot come from "
            f"{_source_en(study)} (divided by a utilisation of {settings.utilisation:.0%}); "
            f"each plan was verified by simulating seeds {seeds}, and slots where requests "
            f"failed got one more vehicle: {len(study.rounds)} round(s). The same seeds plan "
            f"and verify (in-sample). Travel-time noise: {_noise_en(settings.noise)}.",
        ),
        rules_text(settings.rules),
    ]
    fixed = [g.type for g in study.spec.fleet.vehicles if g.fixed]
    if fixed:
        paragraphs.append(
            (
                f"台数・車両時間・費用には、台数の対象外で計画しない車両（{', '.join(fixed)}）を"
                "両方に含みます。",
                f"Vehicles, vehicle hours and cost include, on both sides, the vehicles outside "
                f"fleet.size that the plan leaves as they are ({', '.join(fixed)}).",
            )
        )
    if study.stop is not Stop.MET:
        ja, en = STOP_TEXT[study.stop]
        paragraphs.append(
            (
                f"{len(study.rounds)} 回の計画で{ja}。示した計画は最も高い水準に届いたものです。",
                f"After {len(study.rounds)} plans {en}; the plan shown is the best one reached.",
            )
        )
    for s in final.plan.shortfalls:
        ja, en = SHORTFALL_TEXT[s.reason]
        slot = f"{format_clock(s.slot_start)}〜{format_clock(s.slot_end)}"
        paragraphs.append(
            (
                f"{slot}：必要 {s.required} 台に対し {s.planned} 台（{ja}）。",
                f"{slot}: {s.planned} of {s.required} vehicles ({en}).",
            )
        )
    planned, roster_bars = gantt_bars(study)
    gantt = figure(
        "shift_gantt",
        plots.shift_gantt,
        planned,
        roster_bars,
        start_s=final.requirement.start_s,
        slot_s=final.requirement.slot_s,
        required=final.requirement.vehicles,
        covered=final.plan.coverage,
        busy=study.measure.busy,
        caption=(
            "勤務計画と現行の勤務（斜線は休憩、現行は最も早い位置）；下段は時間帯ごとの必要台数と"
            "稼働台数",
            "Planned shifts and the current roster (hatched: breaks; the roster's at their "
            "earliest); below, vehicles required and on duty per slot",
        ),
    )
    return ReportSection(
        "勤務計画",
        "Shift plan",
        paragraphs=tuple(paragraphs),
        figures=() if gantt is None else (gantt,),
        tables=(comparison_table(study), shifts_table(study), rounds_table(study)),
        emphasis=True,
    )


SHIFT_QUESTION = (
    "目標の水準を保つ勤務計画は何台・何車両時間か。現行の勤務と比べてどうか。",
    "Which shift plan keeps the target level, in vehicles and vehicle hours, and how does "
    "it compare with the current roster?",
)


def shift_answer(section: ReportSection) -> tuple[ReportAnswer, ReportSection]:
    """What the HTML report opens with (the section's answer and its Gantt), and the rest
    of the section for after the summary."""
    answer = ReportAnswer(SHIFT_QUESTION, section.paragraphs[0], section.figures)
    rest = dataclasses.replace(
        section, paragraphs=section.paragraphs[1:], figures=(), emphasis=False
    )
    return answer, rest


def rounds_table(study: ShiftStudy) -> ReportTable:
    """Each round: requirement per slot, plan size, worst seed's level."""
    rows = tuple(
        (
            str(i + 1),
            " ".join(map(str, r.requirement.vehicles)),
            str(r.plan.vehicles),
            f"{r.plan.vehicle_hours:.1f}",
            format_kpi(r.plan.cost_yen, "円"),
            r.plan.status,
            format_kpi(r.level, "%"),
        )
        for i, r in enumerate(study.rounds)
    )
    first = study.rounds[0].requirement
    header = (
        "回 round",
        f"必要台数 vehicles per slot from {format_clock(first.start_s)}",
        "台 vehicles",
        "h",
        "勤務費 shift cost",
        "CP-SAT",
        "最低の種 worst seed",
    )
    return ReportTable(header, rows)


def rules_text(rules: ShiftRules) -> tuple[str, str]:
    """The shift rules in words (Japanese, English), from their figures."""
    h = 3600
    breaks_ja = "・".join(f"労働 {o / h:g} 時間超で {b // 60} 分" for o, b in rules.break_rules)
    breaks_en = ", ".join(f"{b // 60} min over {o / h:g} h of work" for o, b in rules.break_rules)
    return (
        f"勤務規則：拘束 {rules.max_length_s / h:g} 時間以内（改善基準告示）、"
        f"最短 {rules.min_length_s / h:g} 時間、休憩は{breaks_ja}（労働基準法第34条）、"
        f"連続 {rules.max_drive_s / h:g} 時間ごとに {rules.drive_break_s // 60} 分以上の中断"
        "（バスの基準）、休憩は1回。休憩の入る時間帯は稼働に数えません。",
        f"Rules: at most {rules.max_length_s / h:g} h of restraint (改善基準告示), at least "
        f"{rules.min_length_s / h:g} h; a break of {breaks_en} (Labour Standards Act art. "
        f"34); at most {rules.max_drive_s / h:g} h of duty before and after a break of at "
        f"least {rules.drive_break_s // 60} min (the bus drivers' rule); one break per "
        "shift. A slot a break touches does not count as covered.",
    )


def _source_ja(study: ShiftStudy) -> str:
    if study.source == "simulation":
        return "現行の勤務のシミュレーションで走行中だった台数"
    return f"予約履歴（{study.source}）の時間帯別件数 × 1件あたりの走行時間"


def _source_en(study: ShiftStudy) -> str:
    if study.source == "simulation":
        return "the vehicles busy in the simulated days of the current roster"
    return (
        f"the booking history, {study.source}: bookings per slot x the busy time one request "
        "took in the simulated roster; verified on generated days scaled to the history's "
        "mean bookings a day"
    )


def _noise_ja(noise: str) -> str:
    return "なし（シナリオの [noise] が無効）" if noise == "none" else noise


def _noise_en(noise: str) -> str:
    return "none (the spec's [noise] is off)" if noise == "none" else noise
