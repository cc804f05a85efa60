"""The planners' report: one self-contained HTML page (Japanese first, English second)
plus CSV files a spreadsheet can open.

``write_report(out_dir, results, sweep, title=...)`` writes into ``out_dir``:

- ``report.html`` — it opens with the answer: the planners' question and its answer in
  a sentence or two, read from the results (`ReportAnswer`; `read_answer` when the caller
  has no question of its own), then the two or three key figures; the long tables
  follow: KPIs per variant, study sections, the sweep's table, service-quality
  distributions, on noisy days the lateness histogram and the lateness risk's reliability
  table, fairness by district, a vehicle Gantt chart and a map of demand and
  routes. Figures are embedded as base64 PNG (the page works offline, by e-mail, with no
  CDN) and also written to ``figures/`` for slides;
- ``kpis.csv`` — one row per simulated day (scenario, variant, seed, every KPI);
- ``districts.csv`` — per variant and district service levels (the fairness figure);
- ``sweep.csv`` — when a sweep is given: one row per (variant, seed), with errors.
"""

from __future__ import annotations

import base64
import csv
import math
import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import jinja2

from routing.errors import InputError
from scenarios import forecasts, plots
from scenarios.metrics import LATENESS_BINS, TABLE_ONLY_PREFIXES
from scenarios.results import DayResult
from scenarios.sweep import SweepTable

#: KPIs drawn against fleet size when a sweep is given, in this order, if present.
FLEET_KPIS = ("within_promise_share", "served_share")
#: KPIs of the sweep tables (report and CLI), in this order, if present; then the others.
SWEEP_KPIS = (
    *FLEET_KPIS,
    "shared_ride_share",
    "vehicle_hours",
    "vehicle_km",
    "cost_per_trip_yen",
    "mean_ride_time_min",
    "co2_kg",
)


@dataclass(frozen=True, slots=True)
class ReportFigure:
    """A PNG with its file name (in ``figures/``) and bilingual caption."""

    name: str
    png: bytes
    caption_ja: str
    caption_en: str

    @property
    def data_uri(self) -> str:
        return "data:image/png;base64," + base64.b64encode(self.png).decode("ascii")


@dataclass(frozen=True, slots=True)
class ReportTable:
    """A small table: header cells and rows of already formatted cells."""

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True, slots=True)
class ReportSection:
    """A block a study adds to the report (its answer, comparisons, extra figures)."""

    title_ja: str
    title_en: str
    paragraphs: tuple[tuple[str, str], ...] = ()  # (Japanese, English)
    figures: tuple[ReportFigure, ...] = ()
    tables: tuple[ReportTable, ...] = ()
    emphasis: bool = False  # the answer box


@dataclass(frozen=True, slots=True)
class ReportAnswer:
    """What a report opens with: the question and its answer, one or two sentences each
    as (Japanese, English), and the caller's own key figures (a study's fleet curve)."""

    question: tuple[str, str]
    answer: tuple[str, str]
    figures: tuple[ReportFigure, ...] = ()
    #: standard figures that `figures` stand for (left out of the page)
    instead_of: tuple[str, ...] = ()


#: The standard figures that may follow the answer, best first (up to `KEY_FIGURES` in all).
KEY_FIGURE_ORDER = (
    "fleet_within_promise_share",
    "fleet_served_share",
    "wait_vs_promise",
    "districts",
    "map",
)
KEY_FIGURES = 3


def read_answer(results: Sequence[DayResult], sweep: SweepTable | None = None) -> ReportAnswer:
    """The answer the data give when the caller asks no question of its own: with several
    variants, which one keeps the most requests within the promised window (and the
    least); with one, how many requests it served and kept within the promise."""
    means = _variant_means(results, sweep)
    within = {v: m[_WITHIN] for v, m in means.items() if m.get(_WITHIN) is not None}
    if len(within) >= 2:
        best = max(within, key=within.__getitem__)
        worst = min(within, key=within.__getitem__)
        b, w = format_kpi(within[best], "%"), format_kpi(within[worst], "%")
        return ReportAnswer(
            (
                f"{len(within)}通りのうち、約束時間内に運べる予約が最も多いのはどれか。",
                f"Of the {len(within)} variants, which keeps the most requests within the "
                "promised window?",
            ),
            (
                f"{best}：約束時間内 {b}。最も低いのは {worst} の {w}。",
                f"{best}: {b} within the promise; the lowest is {worst}, at {w}.",
            ),
        )
    if not means:
        raise InputError("report: no KPIs to read an answer from")
    variant, m = next(iter(means.items()))
    served, kept = format_kpi(m.get("served_share"), "%"), format_kpi(m.get(_WITHIN), "%")
    n = format_kpi(m.get("requests"), "件")
    return ReportAnswer(
        (
            f"{variant}：申込みをどれだけ運び、約束どおりの時間に迎えられたか。",
            f"{variant}: how many requests were carried, and picked up on time?",
        ),
        (
            f"申込み {n}件（1日平均）のうち {served} を運び、約束時間内は {kept}。",
            f"Of {n} requests a day, {served} were carried and {kept} picked up within "
            "the promised window.",
        ),
    )


_WITHIN = "within_promise_share"


def _variant_means(
    results: Sequence[DayResult], sweep: SweepTable | None
) -> dict[str, dict[str, float | None]]:
    """Per variant (in order), each KPI's mean over seeds: the sweep's when given."""
    if sweep is not None and sweep.variants():
        return {v: {k: sweep.mean(v, k) for k in sweep.kpi_names()} for v in sweep.variants()}
    out: dict[str, dict[str, float | None]] = {}
    for variant, days in plots.by_variant(results).items():
        keys = dict.fromkeys(k for d in days for k in d.kpis)
        out[variant] = {
            k: statistics.fmean(float(d.kpis[k]) for d in days if k in d.kpis) for k in keys
        }
    return out


def key_figures(
    answer: ReportAnswer, figs: Mapping[str, ReportFigure], limit: int = KEY_FIGURES
) -> list[ReportFigure]:
    """The figures that follow the answer: its own, then the standard ones, best first."""
    out = list(answer.figures[:limit])
    standard = [n for n in KEY_FIGURE_ORDER if n in figs and n not in answer.instead_of]
    return out + [figs[n] for n in standard][: limit - len(out)]


def figure(
    name: str, build: Callable[..., Any], *args: Any, caption: tuple[str, str], **kwargs: Any
) -> ReportFigure | None:
    """Render ``build(*args, **kwargs)`` (a `scenarios.plots` function) to a figure."""
    png = plots.render_png(build, *args, **kwargs)
    return None if png is None else ReportFigure(name, png, caption[0], caption[1])


def section_markdown(section: ReportSection, figure_dir: str = "figures") -> str:
    """A section as markdown (for notes and issues): title, paragraphs (Japanese, then
    English), tables, and figures linked as ``figure_dir/<name>.png``."""
    lines = [f"## {section.title_ja} {section.title_en}", ""]
    for ja, en in section.paragraphs:
        lines += [ja, "", en, ""]
    for t in section.tables:
        lines.append("| " + " | ".join(t.header) + " |")
        lines.append("|" + "---|" * len(t.header))
        lines += ["| " + " | ".join(row) + " |" for row in t.rows]
        lines.append("")
    for f in section.figures:
        lines += [
            f"![{f.caption_en}]({figure_dir}/{f.name}.png)",
            "",
            f"{f.caption_ja} — {f.caption_en}",
            "",
        ]
    return "\n".join(lines)


def kpi_labels() -> dict[str, tuple[str, str, str]]:
    """``{kpi: (Japanese, English, unit)}`` from `scenarios.metrics`."""
    from scenarios.metrics import KPI_LABELS

    return dict(KPI_LABELS)


def format_kpi(value: float | None, unit: str) -> str:
    """A KPI as a planner reads it: shares as %, yen with separators, one decimal."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    u = unit.strip().lower()
    if u in ("%", "share", "割合", "ratio"):
        return f"{value * 100:.1f} %"
    if u in ("¥", "yen", "円", "jpy"):
        return f"¥{value:,.0f}"
    if float(value).is_integer() and (abs(value) >= 1 or value == 0):
        return f"{int(value):,}"
    return f"{value:,.2f}" if abs(value) < 100 else f"{value:,.1f}"


def kpi_order(results: Sequence[DayResult], labels: Mapping[str, Any]) -> list[str]:
    """KPI names: the label table's order first, then any others the days carry."""
    present = dict.fromkeys(k for r in results for k in r.kpis)
    return [k for k in labels if k in present] + [k for k in present if k not in labels]


def write_kpis_csv(path: Path, results: Sequence[DayResult]) -> Path:
    """One row per day: scenario, variant, seed, then every KPI (full precision)."""
    keys = kpi_order(results, kpi_labels())
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["scenario", "variant", "seed", *keys])
        for r in results:
            w.writerow([r.scenario, r.variant, r.seed, *(_num(r.kpis.get(k, "")) for k in keys)])
    return path


def write_districts_csv(path: Path, results: Sequence[DayResult]) -> Path:
    rows = plots.district_levels(results)
    fields = [
        "variant",
        "district",
        "requests",
        "served_share",
        "within_promise_share",
        "median_wait_vs_promise_min",
    ]
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=fields)
        w.writeheader()
        for row in rows:
            w.writerow({k: _num(row[k]) if row[k] is not None else "" for k in fields})
    return path


def _num(v: Any) -> Any:
    return repr(v) if isinstance(v, float) else v


def summary_table(results: Sequence[DayResult]) -> ReportTable:
    """KPIs (rows) × variants (columns): the seeds' mean, with min–max when seeds differ."""
    labels = kpi_labels()
    groups = plots.by_variant(results)
    header = ("指標", "KPI", "単位 unit", *(f"{v} (n={len(rs)})" for v, rs in groups.items()))
    rows = []
    for key in kpi_order(results, labels):
        if key.startswith(TABLE_ONLY_PREFIXES):
            continue  # drawn in its own table (`noise_section`)
        ja, en, unit = labels.get(key, (key, key, ""))
        cells = []
        for rs in groups.values():
            xs = [
                float(r.kpis[key])
                for r in rs
                if key in r.kpis and not math.isnan(float(r.kpis[key]))
            ]
            if not xs:
                cells.append("–")
            elif len(xs) == 1 or min(xs) == max(xs):
                cells.append(format_kpi(xs[0], unit))
            else:
                cells.append(
                    f"{format_kpi(statistics.fmean(xs), unit)} "
                    f"({format_kpi(min(xs), unit)}–{format_kpi(max(xs), unit)})"
                )
        rows.append((ja, en, unit, *cells))
    return ReportTable(header, tuple(rows))


def _pooled(rs: Sequence[DayResult], key: str) -> float:
    """A count KPI summed over seeds (missing: 0)."""
    return sum(float(r.kpis.get(key, 0.0)) for r in rs)


def noise_section(results: Sequence[DayResult]) -> ReportSection | None:
    """How the promises held on noisy days: the lateness histogram and the reliability
    table of the lateness risk, seeds pooled (None: no noisy day among `results`)."""
    groups = {v: rs for v, rs in plots.by_variant(results).items() if _noisy(rs)}
    if not groups:
        return None
    head = tuple(f"{v} (n={len(rs)})" for v, rs in groups.items())
    hist = []
    for key, _, _, label in LATENESS_BINS:
        cells = []
        for rs in groups.values():
            n = _pooled(rs, key)
            total = sum(_pooled(rs, k) for k, *_ in LATENESS_BINS)
            bar = "█" * round(20 * n / total) if total else ""
            cells.append(f"{n:.0f} {bar}")
        hist.append((label, *cells))
    rel = []
    for k in range(forecasts.BINS):
        lo, hi = k / forecasts.BINS, (k + 1) / forecasts.BINS
        cells = []
        for rs in groups.values():
            n = _pooled(rs, forecasts.bin_key(k, "n"))
            late = _pooled(rs, forecasts.bin_key(k, "late"))
            p = _pooled(rs, forecasts.bin_key(k, "p_sum"))
            cells.append(f"{p / n:.2f} → {late / n:.2f} (n={n:.0f})" if n else "–")
        rel.append((f"{lo:.1f}–{hi:.1f}", *cells))
    return ReportSection(
        "計画どおりにいかない日：約束の守られ方",
        "Days that do not go to plan: how the promises held",
        paragraphs=(
            (
                "車は雑音モデル（dispatch.noise）のとおりに走り、遅れと早着を運行中の"
                "配車に報告します。お迎え − 約束時間帯の終わり（分）の分布と、"
                "遅延のおそれの予測（予測 → 実際に遅れた割合）です。",
                "Cars drive as the noise model (dispatch.noise) draws it and report their "
                "delays and early arrivals to the live dispatch. Below: pickup minus the "
                "promised window's end (minutes), and the lateness risk's forecasts "
                "(predicted → share observed late), seeds pooled.",
            ),
        ),
        tables=(
            ReportTable(("お迎え − 約束の終わり（分）", *head), tuple(hist)),
            ReportTable(("予測確率 predicted", *head), tuple(rel)),
        ),
    )


def _noisy(rs: Sequence[DayResult]) -> bool:
    return any("risk_forecasts" in r.kpis or "delay_reports" in r.kpis for r in rs)


def sweep_table(sweep: SweepTable) -> ReportTable:
    """Variants (rows) × their overrides and main KPIs (seed means), failures counted."""
    labels = kpi_labels()
    kpis = [k for k in (*SWEEP_KPIS, *labels) if k in sweep.kpi_names()]
    kpis = list(dict.fromkeys(kpis))[:8] or sweep.kpi_names()[:8]
    header = (
        "variant",
        *sweep.keys,
        *(f"{labels.get(k, (k,))[0]} {k}" for k in kpis),
        "seeds ok",
    )
    rows = []
    for v in sweep.variants():
        ov = sweep.overrides(v)
        n_ok = sum(r.ok for r in sweep.rows if r.variant == v)
        n = sum(1 for r in sweep.rows if r.variant == v)
        rows.append(
            (
                v,
                *(_cell_text(ov.get(k, "")) for k in sweep.keys),
                *(format_kpi(sweep.mean(v, k), labels.get(k, ("", "", ""))[2]) for k in kpis),
                f"{n_ok}/{n}",
            )
        )
    return ReportTable(header, tuple(rows))


def _cell_text(value: Any, limit: int = 40) -> str:
    """An override as a table cell: long tables and lists (a fleet) are cut short (the
    whole value is in ``sweep.csv``)."""
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def standard_figures(
    results: Sequence[DayResult], sweep: SweepTable | None
) -> dict[str, ReportFigure]:
    """Every figure of the report, by name (missing when there is nothing to draw)."""
    labels = kpi_labels()
    out: dict[str, ReportFigure | None] = {}
    if sweep is not None and sweep.numeric_keys():
        x_key = sweep.numeric_keys()[0]
        for kpi in FLEET_KPIS:
            if kpi in sweep.kpi_names():
                ja, en, _unit = labels.get(kpi, (kpi, kpi, ""))
                out[f"fleet_{kpi}"] = figure(
                    f"fleet_{kpi}",
                    plots.fleet_curve,
                    sweep,
                    kpi,
                    x_key=x_key,
                    kpi_label=(ja, en),
                    caption=(
                        f"車両数と{ja}（種ごとの平均と最小〜最大）",
                        f"{en} against fleet size (mean over seeds, min–max bars)",
                    ),
                )
    if results:
        out["wait_vs_promise"] = figure(
            "wait_vs_promise",
            plots.wait_vs_promise,
            results,
            caption=(
                "お迎え時刻と約束時間帯（緑の帯の中なら約束どおり）",
                "Pickup time against the promised window (inside the green band = on time)",
            ),
        )
        out["ride_detour"] = figure(
            "ride_detour",
            plots.ride_and_detour,
            results,
            caption=(
                "乗車時間と迂回率（相乗りでどれだけ遠回りしたか）",
                "Ride time and detour factor (how much longer than driving direct)",
            ),
        )
        out["districts"] = figure(
            "districts",
            plots.districts,
            results,
            caption=(
                "地区別：約束時間内に乗れた予約の割合（公平性）",
                "By district: share of requests picked up within the promise (fairness)",
            ),
        )
        first = results[0]
        out["gantt"] = figure(
            "gantt",
            plots.gantt,
            first,
            caption=(
                f"運行表（{first.variant}、種 {first.seed}）：乗降、積載、休憩、空車走行",
                f"Vehicle schedule ({first.variant}, seed {first.seed}): stops, load, "
                "breaks, empty legs",
            ),
        )
        out["map"] = figure(
            "map",
            plots.demand_map,
            first,
            caption=(
                f"需要（乗車地・降車地）と走行経路（{first.variant}、種 {first.seed}）",
                f"Demand (origins, destinations) and routes driven ({first.variant}, "
                f"seed {first.seed})",
            ),
        )
    return {k: v for k, v in out.items() if v is not None}


def write_report(
    out_dir: Path,
    results: Sequence[DayResult],
    sweep: SweepTable | None = None,
    *,
    title: str,
    sections: Sequence[ReportSection] = (),
    answer: ReportAnswer | None = None,
) -> Path:
    """Write ``report.html`` and its CSVs into ``out_dir``; return the HTML's path.

    ``results`` are the days to describe (the first one is drawn as Gantt chart and
    map); ``sweep`` adds the fleet curves, the sweep table and ``sweep.csv``;
    ``answer`` opens the page (`read_answer` of the data when None), its key figures
    after it; ``sections`` (from a study) come right after the summary table.
    """
    if not results and sweep is None:
        raise InputError("report: nothing to report (no days and no sweep)")
    out_dir = Path(out_dir)
    fig_dir = out_dir / "figures"
    fig_dir.mkdir(parents=True, exist_ok=True)
    noisy = noise_section(results)
    if noisy is not None:
        sections = [*sections, noisy]
    answer = answer if answer is not None else read_answer(results, sweep)
    figs = standard_figures(results, sweep)
    key = key_figures(answer, figs)
    shown = {f.name for f in key} | set(answer.instead_of)
    for fig in [*figs.values(), *answer.figures, *(f for s in sections for f in s.figures)]:
        (fig_dir / f"{fig.name}.png").write_bytes(fig.png)
    files = []
    if results:
        write_kpis_csv(out_dir / "kpis.csv", results)
        write_districts_csv(out_dir / "districts.csv", results)
        files += ["kpis.csv", "districts.csv"]
    if sweep is not None:
        sweep.write_csv(out_dir / "sweep.csv")
        files.append("sweep.csv")
    html = _template().render(
        title=title,
        generated=datetime.now().astimezone().strftime("%Y-%m-%d %H:%M"),
        scenarios=sorted({r.scenario for r in results} | ({sweep.scenario} if sweep else set())),
        variants=list(plots.by_variant(results)),
        seeds=sorted({r.seed for r in results}),
        n_days=len(results),
        answer=answer,
        key_figs=key,
        summary=summary_table(results) if results else None,
        sections=sections,
        figs={n: f for n, f in figs.items() if n not in shown},  # each figure shown once
        sweep=sweep,
        sweep_table=sweep_table(sweep) if sweep is not None else None,
        failed=sweep.failed() if sweep is not None else [],
        district_rows=_district_rows(results),
        files=files,
    )
    path = out_dir / "report.html"
    path.write_text(html, encoding="utf-8")
    return path


def _district_rows(results: Sequence[DayResult]) -> list[tuple[str, ...]]:
    return [
        (
            str(r["variant"]),
            str(r["district"]),
            str(r["requests"]),
            format_kpi(r["served_share"], "%"),
            format_kpi(r["within_promise_share"], "%"),
            "–"
            if r["median_wait_vs_promise_min"] is None
            else f"{r['median_wait_vs_promise_min']:.1f}",
        )
        for r in plots.district_levels(results)
    ]


def _template() -> jinja2.Template:
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    return env.from_string(_TEMPLATE)


_TEMPLATE = """{% macro table(t) %}<table>
<tr>{% for h in t.header %}<th>{{ h }}</th>{% endfor %}</tr>
{% for row in t.rows %}<tr>{% for c in row %}
<td{% if loop.index <= 2 %} class="text"{% endif %}>{{ c }}</td>{% endfor %}</tr>
{% endfor %}</table>{% endmacro %}
{%- macro fig(f) %}<figure>
<img src="{{ f.data_uri }}" alt="{{ f.caption_en }}" data-file="figures/{{ f.name }}.png">
<figcaption>{{ f.caption_ja }}<br>
<span class="en">{{ f.caption_en }}</span></figcaption></figure>{% endmacro -%}
<!doctype html>
<html lang="ja">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }}</title>
<style>
body { font-family: "Hiragino Sans", "Yu Gothic", "IPAGothic", "Noto Sans CJK JP", sans-serif;
       max-width: 1100px; margin: 2em auto; padding: 0 1em; color: #222; line-height: 1.55; }
h1 { font-size: 1.6em; border-bottom: 3px solid #1f77b4; padding-bottom: .2em; }
h2 { font-size: 1.25em; margin-top: 2em; border-left: 6px solid #1f77b4; padding-left: .4em; }
.en { color: #666; font-size: .9em; }
table { border-collapse: collapse; margin: .8em 0; font-size: .9em; }
th, td { border: 1px solid #ccc; padding: .25em .6em; text-align: right; }
th { background: #f3f6fa; }
td:first-child, th:first-child, td.text { text-align: left; }
figure { margin: 1em 0; }
figure img { max-width: 100%; border: 1px solid #eee; }
figcaption { font-size: .9em; }
.answer { background: #fff8e1; border: 2px solid #f0b400; padding: .6em 1em; font-size: 1.1em; }
.question { font-weight: bold; }
.error { color: #b00020; white-space: pre-wrap; font-family: monospace; font-size: .85em; }
footer { margin-top: 3em; font-size: .8em; color: #666; }
</style>
</head>
<body>
<h1>{{ title }}</h1>
<p>シナリオ {{ scenarios | join(", ") }} ・ シミュレーション {{ n_days }} 日分
（バリエーション {{ variants | length }}、乱数の種 {{ seeds | join(", ") }}）
・ 作成 {{ generated }}<br>
<span class="en">Scenario {{ scenarios | join(", ") }} · {{ n_days }} simulated days
({{ variants | length }} variants, seeds {{ seeds | join(", ") }})
· generated {{ generated }}</span></p>

<section id="answer">
<h2>答え <span class="en">Answer</span></h2>
<p class="question">問い：{{ answer.question[0] }}<br>
<span class="en">Question: {{ answer.question[1] }}</span></p>
<p class="answer">{{ answer.answer[0] }}<br>
<span class="en">{{ answer.answer[1] }}</span></p>
</section>

{% if key_figs %}
<section id="key-figures">
<h2>主な図 <span class="en">Key figures</span></h2>
{% for f in key_figs %}{{ fig(f) }}{% endfor %}
</section>
{% endif %}

{% if summary %}
<h2>要約 <span class="en">Summary</span></h2>
<p>各指標は乱数の種ごとの平均（かっこ内は最小〜最大）。<br>
<span class="en">Each KPI is the mean over seeds (min–max in brackets).</span></p>
{{ table(summary) }}
{% endif %}

{% for s in sections %}
<h2>{{ s.title_ja }} <span class="en">{{ s.title_en }}</span></h2>
{% for ja, en in s.paragraphs %}
<p{% if s.emphasis and loop.first %} class="answer"{% endif %}>{{ ja }}<br>
<span class="en">{{ en }}</span></p>
{% endfor %}
{% for f in s.figures %}{{ fig(f) }}{% endfor %}
{% for t in s.tables %}{{ table(t) }}{% endfor %}
{% endfor %}

{% if sweep %}
<h2 id="sweep">車両数と変数の比較
<span class="en">Sweep: {{ sweep.variants() | length }} variants</span></h2>
{% for name, f in figs.items() if name.startswith("fleet_") %}{{ fig(f) }}{% endfor %}
{{ table(sweep_table) }}
{% if failed %}
<p>実行できなかった組み合わせ <span class="en">Variants that failed</span>:</p>
<ul>{% for r in failed %}
<li>{{ r.variant }} (seed {{ r.seed }}): <span class="error">{{ r.error }}</span></li>
{% endfor %}</ul>
{% endif %}
{% endif %}

{% if "wait_vs_promise" in figs %}
<h2>待ち時間と約束 <span class="en">Wait against the promise</span></h2>
{{ fig(figs["wait_vs_promise"]) }}
{% endif %}
{% if "ride_detour" in figs %}
<h2>乗車時間と迂回 <span class="en">Ride time and detour</span></h2>
{{ fig(figs["ride_detour"]) }}
{% endif %}
{% if district_rows %}
<h2>地区別のサービス水準 <span class="en">Service level by district (fairness)</span></h2>
{% if "districts" in figs %}{{ fig(figs["districts"]) }}{% endif %}
<table>
<tr><th>variant</th><th>地区 district</th><th>予約 requests</th><th>運んだ served</th>
<th>約束時間内 within promise</th>
<th>約束開始からの遅れ（中央値・分）<br>median pickup − window start (min)</th></tr>
{% for row in district_rows %}<tr>{% for c in row %}
<td{% if loop.index <= 2 %} class="text"{% endif %}>{{ c }}</td>{% endfor %}</tr>
{% endfor %}</table>
{% endif %}
{% if "gantt" in figs %}
<h2>運行表 <span class="en">Vehicle schedule</span></h2>
{{ fig(figs["gantt"]) }}
{% endif %}
{% if "map" in figs %}
<h2>需要と走行経路 <span class="en">Demand and routes</span></h2>
{{ fig(figs["map"]) }}
{% endif %}

{% if files %}
<h2>データ <span class="en">Data files</span></h2>
<ul>{% for f in files %}<li><a href="{{ f }}">{{ f }}</a></li>{% endfor %}</ul>
<p>図は figures/ にも PNG で保存されています。<br>
<span class="en">Figures are also saved as PNG in figures/.</span></p>
{% endif %}
<footer>noriai 乗合 — 道路データ © OpenStreetMap contributors, ODbL 1.0.
<span class="en">Road data © OpenStreetMap contributors, ODbL 1.0.</span></footer>
</body>
</html>
"""
