"""The bus-line review (路線バスの見直し): keep, cut, or replace lines by on-demand
shared taxis, or mix them — the same callers served by each option, one report.

A review is a sweep whose variants are the options (`scenarios.sweep`): every option
× seed is one simulated day of the same spec with the option's settings, so every
option sees the same callers (same seed, same demand), and the KPIs are the day's
KPIs (`scenarios.metrics`): served, door to door, waiting, walking, cost per trip
from vehicle-hours (buses from the timetable, cars from their shifts), CO2, stop
coverage and by district. Without ``[review]`` the options are the three the issue
asks for: today's lines only, on demand only, and the mix of ``[transit.mix]``.

The report opens with the answer (which option carries the most callers, which costs
least a trip) and the options' main KPIs as bars, then the side-by-side table, what
each option means for the remote districts (the worst district per option), the
service maps and the usual sections of a sweep report.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from routing.errors import InputError
from scenarios import plots
from scenarios.metrics import MIN_DISTRICT_REQUESTS, district_rows
from scenarios.report import (
    ReportAnswer,
    ReportSection,
    ReportTable,
    figure,
    format_kpi,
    kpi_labels,
    write_report,
)
from scenarios.results import DayResult
from scenarios.spec import ReviewOption, ScenarioSpec
from scenarios.sweep import SweepRow, SweepTable, Variant, run_sweep

log = logging.getLogger(__name__)

DEFAULT_OPTIONS = (
    ReviewOption(
        name="today",
        title_ja="現行の路線バス",
        title_en="today's lines",
        set={"transit.serve": "fixed"},
    ),
    ReviewOption(
        name="on_demand",
        title_ja="デマンド交通のみ（路線廃止）",
        title_en="on demand only (lines cut)",
        set={"transit.serve": "drt"},
    ),
    ReviewOption(
        name="mix",
        title_ja="組み合わせ（時間帯・地区で使い分け、フィーダー）",
        title_en="a mix (by time and district, with feeders)",
        set={"transit.serve": "mix"},
    ),
)
#: The side-by-side table, in this order (names from `scenarios.metrics`).
REVIEW_KPIS = (
    "ride_requests",
    "served_share",
    "served_by_fixed",
    "served_by_drt",
    "served_by_feeder",
    "mean_door_to_door_min",
    "mean_wait_min",
    "mean_walk_m",
    "vehicle_hours",
    "cost_yen",
    "cost_per_trip_yen",
    "net_cost_per_trip_yen",
    "co2_kg",
    "stop_coverage_300m_share",
    "stop_coverage_500m_share",
    "on_demand_coverage_share",
    "coverage_share",
    "feeder_connections_kept",
    "feeder_connections_missed",
    "worst_district_served_share",
    "worst_district_door_to_door_min",
)
#: Panels of the comparison figure.
BAR_KPIS = ("served_share", "mean_door_to_door_min", "cost_per_trip_yen", "coverage_share")


def review_options(spec: ScenarioSpec) -> tuple[ReviewOption, ...]:
    """The spec's ``[review]`` options, else `DEFAULT_OPTIONS`."""
    return spec.review.options or DEFAULT_OPTIONS


def option_title(option: ReviewOption) -> tuple[str, str]:
    return (option.title_ja or option.name, option.title_en or option.name)


def side_by_side(table: SweepTable, options: Sequence[ReviewOption]) -> ReportTable:
    """KPIs (rows) × options (columns), means over seeds."""
    labels = kpi_labels()
    names = [o.name for o in options]
    header = ("指標", "KPI", *(f"{option_title(o)[0]} {o.name}" for o in options))
    rows = []
    for k in REVIEW_KPIS:
        if not any(table.values(v, k) for v in names):
            continue
        ja, en, unit = labels.get(k, (k, k, ""))
        rows.append((ja, en, *(format_kpi(table.mean(v, k), unit) for v in names)))
    return ReportTable(header, tuple(rows))


def worst_districts(
    results: Sequence[DayResult], options: Sequence[ReviewOption]
) -> list[dict[str, Any]]:
    """Per option: the district with the lowest served share (seeds pooled; districts
    with at least `MIN_DISTRICT_REQUESTS` counted requests), ties to the slower one."""
    out = []
    for o in options:
        trips = [t for r in results if r.variant == o.name for t in r.trips]
        rows = [r for r in district_rows(trips) if r["requests_counted"] >= MIN_DISTRICT_REQUESTS]
        if not rows:
            continue

        def badness(r: dict[str, Any]) -> tuple[float, float]:
            d2d = r["mean_door_to_door_min"]
            return (r["served_share"], -(0.0 if math.isnan(d2d) else d2d))

        worst = min(rows, key=badness)
        out.append({"option": o.name, **worst})
    return out


def review_answer(table: SweepTable, options: Sequence[ReviewOption]) -> ReportAnswer:
    """What the review's report opens with: which option carries the most callers and
    which costs least a trip (seed means), and the options' main KPIs as bars."""
    served = {o.name: table.mean(o.name, "served_share") for o in options}
    cost = {o.name: table.mean(o.name, "cost_per_trip_yen") for o in options}
    ranked = [o for o in options if served[o.name] is not None]
    if not ranked:
        raise InputError("review: no option has a served share to compare")
    best = max(ranked, key=lambda o: served[o.name] or 0.0)
    priced = [o for o in options if cost[o.name] is not None]
    cheap = min(priced, key=lambda o: cost[o.name] or 0.0) if priced else best
    (b_ja, b_en), (c_ja, c_en) = option_title(best), option_title(cheap)
    b_served, b_cost = format_kpi(served[best.name], "%"), format_kpi(cost[best.name], "円")
    if cheap is best:
        answer = (
            f"{b_ja}が、運んだ割合（{b_served}）でも1回あたりの費用（{b_cost}）でも最もよい案です。",
            f"{b_en} carries the most ({b_served}) at the lowest cost a trip ({b_cost}).",
        )
    else:
        c_cost = format_kpi(cost[cheap.name], "円")
        answer = (
            f"最も多く運ぶのは{b_ja}（{b_served}、1回あたり {b_cost}）、"
            f"1回あたり最も安いのは{c_ja}（{c_cost}）です。",
            f"{b_en} carries the most ({b_served}, {b_cost} a trip); {c_en} costs least a "
            f"trip ({c_cost}).",
        )
    labels = kpi_labels()
    bars = figure(
        "review_kpis",
        plots.review_bars,
        table,
        [(k, *labels.get(k, (k, k, ""))) for k in BAR_KPIS],
        caption=("案ごとの主な指標（種の平均と範囲）", "Main KPIs per option (seed mean, range)"),
    )
    return ReportAnswer(
        (
            f"{len(options)}つの案（路線を残す・デマンド交通に置き換える・組み合わせる）のうち、"
            "どれが最も多く運び、どれが最も安いか。",
            f"Of the {len(options)} options (keep the lines, replace them on demand, mix), "
            "which carries the most callers and which costs least?",
        ),
        answer,
        () if bars is None else (bars,),
    )


def sections(
    table: SweepTable, options: Sequence[ReviewOption], results: Sequence[DayResult]
) -> list[ReportSection]:
    """The review's part of the report after its answer (`review_answer`): the options
    side by side in words and as a table, the remote districts, the service maps."""
    paras = []
    for o in options:
        ja, en = option_title(o)
        v = o.name
        served = format_kpi(table.mean(v, "served_share"), "%")
        d2d = format_kpi(table.mean(v, "mean_door_to_door_min"), "分")
        cost = format_kpi(table.mean(v, "cost_per_trip_yen"), "円")
        cov = format_kpi(table.mean(v, "coverage_share"), "%")
        paras.append(
            (
                f"{ja}：運んだ割合 {served}、所要時間 平均{d2d}分、1回あたり {cost}、"
                f"行ける世帯 {cov}。",
                f"{en}: served {served}, door to door {d2d} min on average, {cost} per trip, "
                f"homes covered {cov}.",
            )
        )
    missed = [o.name for o in options if (table.mean(o.name, "feeder_connections_missed") or 0) > 0]
    if missed:
        paras.append(
            (
                f"バスに間に合わなかったフィーダーがあります：{', '.join(missed)}（表を参照）。",
                f"Feeders missed their bus in: {', '.join(missed)} (see the table).",
            )
        )
    seeds = sorted({r.seed for r in table.rows})
    paras.append(
        (
            f"どの案も同じ申込み（乱数の種 {', '.join(map(str, seeds))}）を運んだ結果の平均です。"
            "待ち時間は希望時刻とのずれと乗継ぎの待ちの合計、費用は車両時間（バスは時刻表の"
            "運用、車は勤務時間）から計算しています。",
            f"Every option carries the same callers (seeds {', '.join(map(str, seeds))}); "
            "means over seeds. Waiting is the shift from the asked time plus waits at stops; "
            "cost comes from vehicle-hours (buses: the timetable's vehicle blocks; cars: "
            "their shifts).",
        )
    )
    figs = [
        figure(
            "review_service_maps",
            plots.service_maps,
            results,
            caption=(
                "案ごとの運行範囲：バス路線とバス停500m圏、手段別の利用、お断り",
                "Service per option: bus routes and 500 m around stops, trips by mode, refusals",
            ),
        ),
    ]
    out = [
        ReportSection(
            "案の比較",
            "The options side by side",
            tuple(paras),
            (),
            (side_by_side(table, options),),
        )
    ]
    worst = worst_districts(results, options)
    rows = tuple(
        (
            w["option"],
            str(w["district"]),
            str(w["requests_counted"]),
            format_kpi(w["served_share"], "%"),
            format_kpi(w["mean_door_to_door_min"], "分"),
        )
        for w in worst
    )
    out.append(
        ReportSection(
            "周辺地区にとっての意味",
            "What each option means for the remote districts",
            (
                (
                    "案ごとに、運んだ割合が最も低い地区（申込み5件以上）。",
                    "Per option, the district with the lowest served share (5 requests or more).",
                ),
            ),
            tuple(f for f in figs if f is not None),
            (
                ReportTable(
                    (
                        "案 option",
                        "最も低い地区 worst district",
                        "申込み requests",
                        "運んだ served",
                        "所要時間 door to door (min)",
                    ),
                    rows,
                ),
            ),
        )
    )
    return out


def run_review(
    spec: ScenarioSpec,
    *,
    seeds: int,
    out_dir: Path,
    data_dir: Path,
    cache_dir: Path | None = None,
    n_workers: int = 2,
    scheduler: str | None = None,
    client: Any = None,
    simulate: Any = None,
    progress: Callable[[int, int, SweepRow], None] | None = None,
) -> tuple[Path, SweepTable]:
    """Simulate every option × seed on Dask, write the review report; (report, table)."""
    if seeds < 1:
        raise InputError(f"seeds: need at least 1, got {seeds}")
    options = review_options(spec)
    variants = [Variant(o.name, dict(o.set)) for o in options]
    table = run_sweep(
        spec,
        variants,
        list(range(seeds)),
        data_dir=data_dir,
        cache_dir=cache_dir,
        n_workers=n_workers,
        scheduler=scheduler,
        client=client,
        simulate=simulate,
        progress=progress,
    )
    title = f"路線バスの見直し — bus-line review: {spec.title or spec.name}"
    path = write_report(
        out_dir,
        table.results,
        table,
        title=title,
        sections=sections(table, options, table.results),
        answer=review_answer(table, options),
    )
    log.info("review %s: %d options x %d seeds (report %s)", spec.name, len(options), seeds, path)
    return path, table
