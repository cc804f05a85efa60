"""Studies: a planners' question, the sweep that answers it, and the answer in words.

The Ina study asks: *how many vehicles keep 95 % of requests picked up within their
promised window, and what does pooling (相乗り) save?* It sweeps fleet size × pooling
on/off (``studies/ina_variants.csv``) over the calibrated base day
(``studies/ina.toml``) for a few seeds, then:

- the fleet needed (per pooling setting) is the smallest fleet size from which every
  larger size tried keeps the seeds' *mean* within-promise share at or above the
  target (so one lucky seed at a small fleet does not decide it); the worst seed at
  that size is reported beside it;
- pooling's savings are read at the same service level: pooled at its fleet needed
  against unpooled at its own, in vehicle hours, vehicle km and cost per trip (if the
  unpooled service never reaches the target, at the pooled fleet size, saying so).
"""

from __future__ import annotations

import logging
import statistics
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from routing.errors import InputError
from scenarios import plots
from scenarios.report import (
    ReportAnswer,
    ReportFigure,
    ReportSection,
    ReportTable,
    format_kpi,
    kpi_labels,
)
from scenarios.sweep import SweepRow, SweepTable, read_variants, run_sweep

log = logging.getLogger(__name__)

STUDIES_DIR = Path(__file__).resolve().parent / "studies"
TARGET = 0.95
#: The KPIs a fleet study reads (names from `scenarios.metrics`).
WITHIN_PROMISE = "within_promise_share"
SERVED = "served_share"
SAVINGS_KPIS = ("vehicle_hours", "vehicle_km", "cost_per_trip_yen")


@dataclass(frozen=True, slots=True)
class FleetStudy:
    """A fleet-size × pooling study over one base spec."""

    name: str
    spec_path: Path
    variants_path: Path
    fleet_key: str  # dotted override key of the fleet size
    pooling_key: str  # dotted override key of pooling on/off (bool)
    title_ja: str
    title_en: str
    target: float = TARGET
    hand_over_path: Path | None = None  # door / halls / halls+drones variants, if asked


INA = FleetStudy(
    name="ina",
    spec_path=STUDIES_DIR / "ina.toml",
    variants_path=STUDIES_DIR / "ina_variants.csv",
    fleet_key="fleet.size",
    pooling_key="dispatch.pooling",
    title_ja="伊那市 乗合タクシー：必要な車両数と相乗りの効果",
    title_en="Ina shared taxis: vehicles needed and what pooling saves",
    hand_over_path=STUDIES_DIR / "ina_hand_over.csv",
)
#: What the hand-over comparison reads (names from `scenarios.metrics`).
HAND_OVER_KPIS = (
    "served_deliveries",
    "orders_to_door",
    "orders_to_halls_by_van",
    "orders_flown",
    "flights_per_drone",
    "vehicle_km",
    "active_hours",
    "co2_kg",
    "within_promise_share",
)
STUDIES = {INA.name: INA}


@dataclass(frozen=True, slots=True)
class FleetNeed:
    """The fleet one pooling setting needs to meet the target."""

    pooling: bool
    vehicles: int | None  # None: no fleet size tried meets the target
    variant: str | None
    share: float | None  # seeds' mean within-promise share at that size
    worst_seed: float | None
    best_share: float  # the best seed-mean share of any size tried (when never met)
    largest_tried: int


@dataclass(frozen=True, slots=True)
class Saving:
    kpi: str
    pooled: float
    unpooled: float

    @property
    def saved(self) -> float:
        return self.unpooled - self.pooled

    @property
    def saved_share(self) -> float | None:
        return self.saved / self.unpooled if self.unpooled else None


@dataclass(frozen=True, slots=True)
class StudyAnswer:
    target: float
    seeds: tuple[int, ...]
    pooled: FleetNeed
    unpooled: FleetNeed
    compared: tuple[str, str] | None  # (pooled variant, unpooled variant) for the savings
    same_level: bool  # both compared variants meet the target
    savings: tuple[Saving, ...]

    def sentence(self) -> tuple[str, str]:
        """The answer in one sentence, Japanese and English."""
        t = f"{self.target:.0%}"
        p, u = self.pooled, self.unpooled
        if p.vehicles is None:
            ja = (
                f"{p.largest_tried}台（相乗りあり）でも約束時間内は{p.best_share:.1%}で、"
                f"{t}に届きません。"
            )
            en = (
                f"Even {p.largest_tried} vehicles with pooling keep only {p.best_share:.1%} "
                f"within the promise, short of {t}."
            )
            return ja, en
        ja = f"{t}以上を約束時間内に運ぶには {p.vehicles}台必要（相乗りあり）"
        en = f"{p.vehicles} vehicles keep {t} or more within the promised window (with pooling)"
        if u.vehicles is not None:
            ja += f"、相乗りなしでは {u.vehicles}台。"
            en += f"; without pooling, {u.vehicles}."
        else:
            ja += f"。相乗りなしでは {u.largest_tried}台でも{u.best_share:.1%}に留まります。"
            en += (
                f". Without pooling even {u.largest_tried} vehicles reach only {u.best_share:.1%}."
            )
        return ja, en


def _need(table: SweepTable, study: FleetStudy, pooling: bool) -> FleetNeed:
    sizes: list[tuple[int, str]] = []
    for v in table.variants():
        ov = table.overrides(v)
        if (
            ov.get(study.pooling_key) is pooling
            and isinstance(ov.get(study.fleet_key), int)
            and table.values(v, WITHIN_PROMISE)
        ):
            sizes.append((ov[study.fleet_key], v))
    if not sizes:
        raise InputError(
            f"study {study.name}: no finished variant with {study.pooling_key}={pooling} "
            f"and an integer {study.fleet_key}"
        )
    sizes.sort()
    means = {v: statistics.fmean(table.values(v, WITHIN_PROMISE)) for _, v in sizes}
    chosen: tuple[int, str] | None = None
    for n, v in reversed(sizes):  # walk down while every larger size meets the target
        if means[v] >= study.target:
            chosen = (n, v)
        else:
            break
    best = max(means.values())
    if chosen is None:
        return FleetNeed(pooling, None, None, None, None, best, sizes[-1][0])
    n, v = chosen
    return FleetNeed(
        pooling, n, v, means[v], min(table.values(v, WITHIN_PROMISE)), best, sizes[-1][0]
    )


def answer(table: SweepTable, study: FleetStudy = INA) -> StudyAnswer:
    """Read the study's answer from its sweep (see the module docstring for the rules)."""
    pooled, unpooled = _need(table, study, True), _need(table, study, False)
    compared: tuple[str, str] | None = None
    same_level = False
    if pooled.variant is not None and unpooled.variant is not None:
        compared, same_level = (pooled.variant, unpooled.variant), True
    elif pooled.variant is not None:  # unpooled never meets it: compare at the same fleet
        twin = _variant_with(table, study, pooled.vehicles, False)
        compared = (pooled.variant, twin) if twin else None
    savings = []
    if compared is not None:
        for kpi in SAVINGS_KPIS:
            a, b = table.mean(compared[0], kpi), table.mean(compared[1], kpi)
            if a is not None and b is not None:
                savings.append(Saving(kpi, a, b))
    seeds = tuple(sorted({r.seed for r in table.rows}))
    return StudyAnswer(study.target, seeds, pooled, unpooled, compared, same_level, tuple(savings))


def _variant_with(
    table: SweepTable, study: FleetStudy, size: int | None, pooling: bool
) -> str | None:
    for v in table.variants():
        ov = table.overrides(v)
        if (
            ov.get(study.fleet_key) == size
            and ov.get(study.pooling_key) is pooling
            and table.values(v, WITHIN_PROMISE)
        ):
            return v
    return None


def report_answer(table: SweepTable, ans: StudyAnswer, study: FleetStudy = INA) -> ReportAnswer:
    """What the study's report opens with: its question, the answer in a sentence and
    the fleet curve with the target line (for the plain curve of the sweep)."""
    ja_w, en_w, _ = kpi_labels().get(WITHIN_PROMISE, ("約束時間内の割合", "within promise", "%"))
    marks = {
        table.group_of(n.variant, study.fleet_key): n.vehicles
        for n in (ans.pooled, ans.unpooled)
        if n.variant is not None
    }
    png = plots.render_png(
        plots.fleet_curve,
        table,
        WITHIN_PROMISE,
        x_key=study.fleet_key,
        kpi_label=(ja_w, en_w),
        target=study.target,
        answer=marks,
    )
    figs = ()
    if png is not None:
        figs = (
            ReportFigure(
                "study_fleet_within_promise",
                png,
                f"車両数と約束時間内の割合（赤線 {study.target:.0%}、★ 必要な台数）",
                f"Within-promise share against fleet size (red line {study.target:.0%}, "
                "★ the fleet needed)",
            ),
        )
    ja, en = ans.sentence()
    hours = next((s for s in ans.savings if s.kpi == "vehicle_hours" and s.saved_share), None)
    if hours is not None and hours.saved_share is not None:
        share = f"{abs(hours.saved_share):.0%}"
        more = hours.saved_share < 0
        ja += f"相乗りで車両時間は {share} {'増えます' if more else '減ります'}。"
        en += f" Pooling {'adds' if more else 'saves'} {share} of vehicle hours."
    t = f"{study.target:.0%}"
    return ReportAnswer(
        (
            f"{t}以上の予約を約束時間内に迎えるには何台必要か。相乗りで何が減るか。",
            f"How many vehicles pick up {t} of requests within the promised window, and "
            "what does pooling save?",
        ),
        (ja, en),
        figs,
        instead_of=(f"fleet_{WITHIN_PROMISE}",),
    )


def sections(table: SweepTable, ans: StudyAnswer, study: FleetStudy = INA) -> list[ReportSection]:
    """The study's part of the report after its answer (`report_answer`): how the answer
    was read, pooling's savings and the per-fleet comparison table."""
    labels = kpi_labels()
    paras = []
    p, u = ans.pooled, ans.unpooled
    for need, name_ja, name_en in ((p, "相乗りあり", "pooling"), (u, "相乗りなし", "no pooling")):
        if need.vehicles is not None:
            paras.append(
                (
                    f"{name_ja}：{need.vehicles}台で平均 {need.share:.1%}"
                    f"（最も悪い日 {need.worst_seed:.1%}）。",
                    f"{name_en}: {need.vehicles} vehicles, mean {need.share:.1%} "
                    f"(worst seed {need.worst_seed:.1%}).",
                )
            )
    seeds = ", ".join(map(str, ans.seeds))
    paras.append(
        (
            f"乱数の種 {seeds} の平均で判定し、それより多い台数でもすべて"
            f"{study.target:.0%}以上であることを条件としています。",
            f"Judged on the mean over seeds {seeds}; every larger fleet tried must also "
            f"meet {study.target:.0%}.",
        )
    )
    out = [ReportSection("答えの根拠", "How the answer was read", tuple(paras))]
    if ans.savings and ans.compared:
        a, b = ans.compared
        if ans.same_level:
            intro = (
                f"同じサービス水準（{study.target:.0%}以上）で比べた相乗りの効果：{a} と {b}。",
                f"What pooling saves at the same service level (≥ {study.target:.0%}): "
                f"{a} against {b}.",
            )
        else:
            intro = (
                f"相乗りなしでは{study.target:.0%}に届かないため、同じ台数で比較：{a} と {b}。",
                f"Without pooling the target is never met, so the same fleet is compared: "
                f"{a} against {b}.",
            )
        rows = []
        for s in ans.savings:
            ja_k, en_k, unit = labels.get(s.kpi, (s.kpi, s.kpi, ""))
            share = "–" if s.saved_share is None else f"{s.saved_share:.1%}"
            rows.append(
                (
                    ja_k,
                    en_k,
                    format_kpi(s.pooled, unit),
                    format_kpi(s.unpooled, unit),
                    format_kpi(s.saved, unit),
                    share,
                )
            )
        table_ = ReportTable(
            ("指標", "KPI", f"相乗りあり {a}", f"相乗りなし {b}", "削減 saved", "削減率 %"),
            tuple(rows),
        )
        out.append(ReportSection("相乗りの効果", "What pooling saves", (intro,), (), (table_,)))
    out.append(
        ReportSection(
            "車両数ごとの比較",
            "By fleet size",
            (("種ごとの平均。", "Means over seeds."),),
            (),
            (comparison_table(table, study),),
        )
    )
    return out


def hand_over_section(table: SweepTable, vehicles: int | None) -> ReportSection:
    """What community halls and drones change: the same days with every order to the
    door, to halls by van, and to halls with drones (means over seeds)."""
    labels = kpi_labels()
    variants = table.variants()
    header = ("指標", "KPI", *variants)
    rows = []
    for k in HAND_OVER_KPIS:
        ja, en, unit = labels.get(k, (k, k, ""))
        cells = [
            format_kpi(table.mean(v, k) if table.values(v, k) else None, unit) for v in variants
        ]
        rows.append((ja, en, *cells))
    door, last = variants[0], variants[-1]
    km = [table.mean(v, "vehicle_km") for v in (door, last)]
    co2 = [table.mean(v, "co2_kg") for v in (door, last)]
    saved_km = km[0] - km[1]
    intro = (
        f"同じ日（{vehicles}台、相乗りあり）を、すべて自宅へ（{door}）、北部・西部の注文を"
        f"公民館へ（車）、さらにドローンでも（{last}）運んだ比較。車の走行距離は"
        f"{saved_km:,.1f} km（{saved_km / km[0]:.1%}）、CO2は {co2[0] - co2[1]:,.1f} kg 減ります。",
        f"The same days ({vehicles} vehicles, pooling) with every order to the door ({door}), "
        f"the north and west's orders to community halls by van, and with drones too "
        f"({last}): van km fall by {saved_km:,.1f} km ({saved_km / km[0]:.1%}) and CO2 by "
        f"{co2[0] - co2[1]:,.1f} kg.",
    )
    note = (
        "ドローンは中央のスーパー近くの店の注文だけを運びます（遠くの店の注文は車）。",
        "Drones fly only orders from shops near the central base (others go by van).",
    )
    return ReportSection(
        "公民館とドローン",
        "What community halls and drones change",
        (intro, note),
        (),
        (ReportTable(header, tuple(rows)),),
    )


def comparison_table(table: SweepTable, study: FleetStudy = INA) -> ReportTable:
    """Fleet size (rows) × pooling on/off: within promise, served, and the savings KPIs."""
    labels = kpi_labels()
    kpis = [WITHIN_PROMISE, SERVED, *SAVINGS_KPIS]
    sizes = sorted(
        {
            table.overrides(v)[study.fleet_key]
            for v in table.variants()
            if isinstance(table.overrides(v).get(study.fleet_key), int)
        }
    )
    header = ["台数 vehicles"]
    for k in kpis:
        ja, _en, _u = labels.get(k, (k, k, ""))
        header += [f"{ja} 相乗りあり pooled", f"{ja} なし unpooled"]
    rows = []
    for n in sizes:
        cells = [str(n)]
        for k in kpis:
            unit = labels.get(k, ("", "", "%" if k.endswith("share") else ""))[2]
            for pooling in (True, False):
                v = _variant_with(table, study, n, pooling)
                cells.append(format_kpi(table.mean(v, k) if v else None, unit))
        rows.append(tuple(cells))
    return ReportTable(tuple(header), tuple(rows))


def run_study(
    study: FleetStudy,
    *,
    seeds: int,
    out_dir: Path,
    data_dir: Path,
    cache_dir: Path | None = None,
    n_workers: int = 2,
    scheduler: str | None = None,
    progress: Callable[[int, int, SweepRow], None] | None = None,
) -> tuple[Path, StudyAnswer, SweepTable]:
    """Sweep the study, read its answer, write the report; return (report, answer, table)."""
    from scenarios.report import write_report
    from scenarios.spec import load_spec

    if seeds < 1:
        raise InputError(f"seeds: need at least 1, got {seeds}")
    base = load_spec(study.spec_path)
    variants = read_variants(study.variants_path)
    table = run_sweep(
        base,
        variants,
        list(range(seeds)),
        data_dir=data_dir,
        cache_dir=cache_dir,
        n_workers=n_workers,
        scheduler=scheduler,
        progress=progress,
    )
    ans = answer(table, study)
    days = _report_days(table, ans)
    parts = sections(table, ans, study)
    if study.hand_over_path is not None:
        size = ans.pooled.vehicles or base.fleet.size
        hand_over = run_sweep(
            base.with_overrides({study.fleet_key: size, study.pooling_key: True}),
            read_variants(study.hand_over_path),
            list(range(seeds)),
            data_dir=data_dir,
            cache_dir=cache_dir,
            n_workers=n_workers,
            scheduler=scheduler,
        )
        parts.append(hand_over_section(hand_over, size))
    path = write_report(
        out_dir,
        days,
        table,
        title=f"{study.title_ja} — {study.title_en}",
        sections=parts,
        answer=report_answer(table, ans, study),
    )
    ja, _ = ans.sentence()
    log.info("study %s: %s (report %s)", study.name, ja, path)
    return path, ans, table


def _report_days(table: SweepTable, ans: StudyAnswer):
    """The days the report draws: the compared pooled and unpooled variants (all seeds),
    the pooled one first (its first seed is the Gantt chart and map)."""
    names = list(ans.compared) if ans.compared else table.variants()[-1:]
    return [d for name in names for d in table.results if d.variant == name]
