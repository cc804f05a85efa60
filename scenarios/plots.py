"""The planners' figures, drawn from `DayResult` records with matplotlib (Agg, no pyplot).

Every function returns a `matplotlib.figure.Figure` (or ``None`` when there is nothing to
draw) and never touches global pyplot state, so reports can be built in worker processes
and tests. Labels are bilingual (「日本語 English」) when the machine has a font that can
draw Japanese (IPA, Noto CJK, Takao, ...); otherwise English only, so matplotlib never
falls back to missing glyphs. Times on axes are clock times (seconds from midnight in the
records); shares are drawn as percentages.
"""

from __future__ import annotations

import io
import math
import statistics
import textwrap
import zlib
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

import matplotlib

matplotlib.use("Agg")  # no display anywhere the report is built (workers, CI, servers)

from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator, PercentFormatter

from scenarios.metrics import district_level
from scenarios.results import DayResult, TripRecord, TripStatus

if TYPE_CHECKING:
    from scenarios.sweep import SweepTable

#: Families known to cover Japanese, preferred in this order when installed.
JAPANESE_FAMILIES = (
    "IPAexGothic",
    "IPAGothic",
    "IPAPGothic",
    "Noto Sans CJK JP",
    "Noto Sans JP",
    "Source Han Sans JP",
    "TakaoGothic",
    "VL Gothic",
    "Hiragino Sans",
    "Yu Gothic",
    "MS Gothic",
)
_PROBE = "乗合待ち時間〜"
DPI = 110
#: Qualitative colours for variants / vehicles (matplotlib's tab10, colour-blind safer order).
COLOURS = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
)


@lru_cache(maxsize=1)
def japanese_font() -> str | None:
    """The family name of an installed font that draws Japanese, or None.

    Looks at matplotlib's font list first; if its cache predates the font packages,
    scans the system font files for one whose character map covers kana and kanji
    and registers it with matplotlib.
    """
    from matplotlib import font_manager, ft2font

    known = {f.name for f in font_manager.fontManager.ttflist}
    for family in JAPANESE_FAMILIES:
        if family in known:
            return family
    for path in sorted(font_manager.findSystemFonts()):
        if not path.lower().endswith((".ttf", ".otf")):
            continue  # .ttc collections: matplotlib cannot always pick the JP face
        try:
            charmap = ft2font.FT2Font(path).get_charmap()
        except (OSError, RuntimeError):
            continue
        if all(ord(c) in charmap for c in _PROBE):
            font_manager.fontManager.addfont(path)
            return font_manager.FontProperties(fname=path).get_name()
    return None


def label(ja: str, en: str) -> str:
    """「ja en」 when Japanese can be drawn, else ``en``."""
    return f"{ja} {en}" if japanese_font() else en


def text(name: str) -> str:
    """A name from the data (variant, district) made drawable: unchanged when Japanese
    can be drawn or it is ASCII, else a stable ASCII tag (``name-123``)."""
    if japanese_font() or name.isascii():
        return name
    return f"name-{zlib.crc32(name.encode()) % 1000:03d}"


def new_figure(width: float, height: float) -> Figure:
    """A figure with the report's fonts (Japanese first, DejaVu for the rest)."""
    fig = Figure(figsize=(width, height), layout="constrained")
    return fig


def _rc() -> dict[str, object]:
    jp = japanese_font()
    return {"font.family": [jp, "DejaVu Sans"] if jp else ["DejaVu Sans"], "font.size": 9}


def render_png(build, *args, **kwargs) -> bytes | None:
    """Call ``build(*args, **kwargs) -> Figure | None`` under the report's fonts; PNG bytes."""
    with matplotlib.rc_context(_rc()):
        fig = build(*args, **kwargs)
        if fig is None:
            return None
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=DPI)
    return buf.getvalue()


def clock(seconds: float, _pos: object = None) -> str:
    """Seconds from midnight -> 「9:05」."""
    s = round(seconds)
    return f"{s // 3600}:{s % 3600 // 60:02d}"


def by_variant(results: Iterable[DayResult]) -> dict[str, list[DayResult]]:
    """Results grouped by variant, in first-seen order."""
    groups: dict[str, list[DayResult]] = {}
    for r in results:
        groups.setdefault(r.variant, []).append(r)
    return groups


def _served(results: Sequence[DayResult]) -> list[TripRecord]:
    """Served trips with an on-board time (not visits: one stop, nothing carried)."""
    return [
        t
        for r in results
        for t in r.trips
        if t.status is TripStatus.SERVED and t.ride_time_s is not None
    ]


# --- sweeps ---------------------------------------------------------------------------


def fleet_curve(
    sweep: SweepTable,
    kpi: str,
    *,
    x_key: str,
    kpi_label: tuple[str, str],
    target: float | None = None,
    answer: Mapping[str, float] | None = None,
) -> Figure | None:
    """``kpi`` (a share) against the numeric override ``x_key``: one line per group of
    the other override columns, seed mean with the seeds' min–max as error bars.

    ``target`` draws a horizontal line (e.g. 0.95); ``answer`` maps a group name to the
    x it needs, drawn as a marker on that group's line.
    """
    curves = sweep.curves(kpi, x_key)
    if not curves:
        return None
    fig = new_figure(7.5, 4.2)
    ax = fig.add_subplot()
    for i, (group, points) in enumerate(curves.items()):
        xs = [p[0] for p in points]
        means = [statistics.fmean(p[1]) for p in points]
        lo = [m - min(p[1]) for m, p in zip(means, points, strict=True)]
        hi = [max(p[1]) - m for m, p in zip(means, points, strict=True)]
        colour = COLOURS[i % len(COLOURS)]
        ax.errorbar(
            xs, means, yerr=[lo, hi], marker="o", capsize=3, color=colour, label=text(group or kpi)
        )
        if answer and group in answer:
            x = answer[group]
            ax.plot([x], [means[xs.index(x)]], marker="*", markersize=16, color=colour, zorder=5)
    if target is not None:
        ax.axhline(target, color="#d62728", linestyle="--", linewidth=1)
        ax.annotate(
            f"{target:.0%}",
            xy=(1.0, target),
            xycoords=("axes fraction", "data"),
            xytext=(-4, 3),
            textcoords="offset points",
            ha="right",
            color="#d62728",
        )
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel(label("車両数", "fleet size") + f" ({x_key})")
    ax.set_ylabel(label(*kpi_label))
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    return fig


# --- service quality -------------------------------------------------------------------


#: More variants than this: box plots instead of overlaid histograms.
MAX_OVERLAID = 5


def _distribution(ax, data: Mapping[str, list[float]], *, step: float, xlabel: str) -> None:
    """Overlaid step histograms (few variants) or one horizontal box per variant."""
    data = {v: xs for v, xs in data.items() if xs}
    if len(data) > MAX_OVERLAID:
        names = list(data)
        ax.boxplot(
            [data[v] for v in names],
            orientation="horizontal",
            tick_labels=[text(v) for v in names],
            showfliers=True,
            flierprops={"markersize": 2},
        )
        ax.invert_yaxis()
        ax.set_xlabel(xlabel)
        ax.grid(axis="x", alpha=0.3)
        return
    pooled = sorted(x for xs in data.values() for x in xs)
    lo = pooled[0]
    hi = pooled[min(len(pooled) - 1, int(0.98 * len(pooled)))]  # long tails: last bin holds them
    bins = _bins(lo, hi, step=step)
    top = bins[-1] - step / 2
    for i, (v, xs) in enumerate(data.items()):
        clipped = [min(x, top) for x in xs]
        colour = COLOURS[i % 10]
        ax.hist(clipped, bins=bins, histtype="step", linewidth=1.6, color=colour, label=text(v))
    if pooled[-1] > top:
        ax.annotate(
            f"≥{bins[-2]:.3g}",
            xy=(bins[-2], 0),
            xytext=(0, -2),
            textcoords="offset points",
            ha="left",
            va="top",
            fontsize=7,
            annotation_clip=False,
        )
    ax.set_xlabel(xlabel)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)


def wait_vs_promise(results: Sequence[DayResult]) -> Figure | None:
    """Pickup time relative to the promised window's start, minutes, per variant; the
    promised window is shaded (pickups inside the band kept their promise)."""
    groups = by_variant(results)
    data = {
        v: [t.wait_vs_promise_s / 60 for t in _served(rs) if t.wait_vs_promise_s is not None]
        for v, rs in groups.items()
    }
    if not any(data.values()):
        return None
    widths = [
        (t.promised_end - t.promised_start) / 60
        for t in _served(results)
        if t.promised_end is not None and t.promised_start is not None
    ]
    width = statistics.median(widths) if widths else 0.0
    many = sum(1 for xs in data.values() if xs) > MAX_OVERLAID
    fig = new_figure(7.5, 0.4 * len(data) + 1.6 if many else 3.8)
    ax = fig.add_subplot()
    ax.axvspan(0, width, color="#2ca02c", alpha=0.12, label=label("約束時間帯", "promised window"))
    _distribution(
        ax,
        data,
        step=2.0,
        xlabel=label("お迎え時刻 − 約束時間帯の開始 (分)", "pickup − promised window start (min)"),
    )
    if not many:
        ax.set_ylabel(label("乗車数", "pickups"))
    return fig


def ride_and_detour(results: Sequence[DayResult]) -> Figure | None:
    """On-board time (minutes) and detour factor (ride time / direct time) per variant."""
    groups = by_variant(results)
    rides = {v: [t.ride_time_s / 60 for t in _served(rs)] for v, rs in groups.items()}
    detours = {
        v: [t.ride_time_s / t.direct_time_s for t in _served(rs) if t.direct_time_s > 0]
        for v, rs in groups.items()
    }
    if not any(rides.values()):
        return None
    many = sum(1 for xs in rides.values() if xs) > MAX_OVERLAID
    fig = new_figure(10.0, 0.4 * len(rides) + 1.6 if many else 3.6)
    ax1, ax2 = fig.subplots(1, 2)
    _distribution(ax1, rides, step=2.0, xlabel=label("乗車時間 (分)", "ride time (min)"))
    if any(detours.values()):
        _distribution(
            ax2,
            detours,
            step=0.1,
            xlabel=label("迂回率 (乗車時間 / 直行時間)", "detour (ride / direct time)"),
        )
    ax2.axvline(1.0, color="#7f7f7f", linewidth=1)
    if not many:
        ax1.set_ylabel(label("乗車数", "rides"))
    return fig


def _bins(lo: float, hi: float, *, step: float) -> list[float]:
    lo = math.floor(lo / step) * step
    hi = math.ceil(hi / step) * step + step
    n = max(1, min(80, round((hi - lo) / step)))
    return [lo + (hi - lo) * i / n for i in range(n + 1)]


# --- one day ---------------------------------------------------------------------------


def gantt(result: DayResult) -> Figure | None:
    """One row per vehicle: the shift, every leg coloured by load (empty legs red),
    breaks hatched, pickups ▲ and drop-offs ▼ with the load on board after them."""
    vehicles = result.vehicles
    if not vehicles:
        return None
    fig = new_figure(10.0, 1.8 + 0.45 * len(vehicles))
    ax = fig.add_subplot()
    cap = max(1, max(v.capacity for v in vehicles))
    cmap = matplotlib.colormaps["Blues"]
    for row, v in enumerate(vehicles):
        y = len(vehicles) - 1 - row
        ax.broken_barh(
            [(v.shift_start, v.shift_end - v.shift_start)], (y - 0.4, 0.8), color="#eeeeee"
        )
        empty = [(leg.depart, leg.arrive - leg.depart) for leg in v.legs if leg.load == 0]
        ax.broken_barh(empty, (y - 0.25, 0.5), color="#e8816f")
        for leg in v.legs:
            if leg.load > 0:
                shade = cmap(0.45 + 0.5 * min(1.0, leg.load / cap))
                ax.broken_barh(
                    [(leg.depart, leg.arrive - leg.depart)], (y - 0.25, 0.5), color=shade
                )
        for s in v.stops:
            if s.kind == "break":
                end = min(
                    (leg.depart for leg in v.legs if leg.depart >= s.time), default=s.time + 1800
                )
                ax.broken_barh(
                    [(s.time, max(60, end - s.time))],
                    (y - 0.3, 0.6),
                    facecolor="none",
                    edgecolor="#2ca02c",
                    hatch="///",
                )
        picks = [s.time for s in v.stops if s.kind == "pickup"]
        drops = [s.time for s in v.stops if s.kind == "dropoff"]
        ax.plot(picks, [y + 0.32] * len(picks), "^", color="#08306b", markersize=4)
        ax.plot(drops, [y - 0.32] * len(drops), "v", color="#08306b", markersize=4)
    ax.set_yticks(range(len(vehicles)))
    ax.set_yticklabels([text(v.vehicle_id) for v in reversed(vehicles)])
    ax.xaxis.set_major_formatter(FuncFormatter(clock))
    start = min(v.shift_start for v in vehicles)
    end = max(v.shift_end for v in vehicles)
    ax.set_xticks(range(start // 3600 * 3600, end + 3600, 3600))
    ax.set_xlim(start - 600, end + 600)
    ax.grid(axis="x", alpha=0.3)
    ax.set_title(
        label("運行表", "vehicle schedule") + f" — {text(result.variant)}, seed {result.seed}"
    )
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles = [
        Patch(color="#eeeeee", label=label("勤務時間", "shift")),
        Patch(color="#e8816f", label=label("空車走行", "empty leg")),
        Patch(
            color=cmap(0.7), label=label("乗車・積載中 (濃いほど多い)", "loaded (darker = fuller)")
        ),
        Patch(facecolor="none", edgecolor="#2ca02c", hatch="///", label=label("休憩", "break")),
        Line2D([], [], marker="^", linestyle="", color="#08306b", label=label("乗車", "pickup")),
        Line2D([], [], marker="v", linestyle="", color="#08306b", label=label("降車", "dropoff")),
    ]
    fig.legend(handles=handles, loc="outside lower center", ncols=6, fontsize=7, frameon=False)
    return fig


def demand_map(result: DayResult) -> Figure | None:
    """Origins (●), destinations (×), refused requests (red) and every vehicle's road
    path, on a lon/lat plane with true aspect at the area's latitude."""
    if not result.trips and not any(v.path for v in result.vehicles):
        return None
    pts = [t.origin for t in result.trips] + [t.destination for t in result.trips]
    pts += [p for v in result.vehicles for p in v.path]
    lons, lats = [p[0] for p in pts], [p[1] for p in pts]
    aspect = 1 / math.cos(math.radians(statistics.fmean(lats)))
    ratio = (max(lats) - min(lats)) * aspect / max(1e-9, max(lons) - min(lons))
    fig = new_figure(8.0, min(9.0, max(4.0, 8.0 * ratio + 1.0)))
    ax = fig.add_subplot()
    for i, v in enumerate(result.vehicles):
        if len(v.path) >= 2:
            xs, ys = zip(*v.path, strict=True)
            ax.plot(
                xs, ys, linewidth=1.0, alpha=0.65, color=COLOURS[i % 10], label=text(v.vehicle_id)
            )
    served = [t for t in result.trips if t.status is not TripStatus.REJECTED]
    refused = [t for t in result.trips if t.status is TripStatus.REJECTED]
    if served:
        ax.scatter(
            [t.origin[0] for t in served],
            [t.origin[1] for t in served],
            s=14,
            color="#222222",
            label=label("乗車地", "origin"),
            zorder=3,
        )
        ax.scatter(
            [t.destination[0] for t in served],
            [t.destination[1] for t in served],
            s=22,
            marker="x",
            color="#444444",
            label=label("降車地", "destination"),
            zorder=3,
        )
    if refused:
        ax.scatter(
            [t.origin[0] for t in refused],
            [t.origin[1] for t in refused],
            s=22,
            facecolor="none",
            edgecolor="#d62728",
            label=label("予約できず", "refused"),
            zorder=4,
        )
    ax.set_aspect(aspect)
    ax.set_xlabel(label("経度", "longitude"))
    ax.set_ylabel(label("緯度", "latitude"))
    ax.ticklabel_format(useOffset=False)
    ax.grid(alpha=0.2)
    ax.legend(fontsize=7, loc="upper left", ncols=2)
    ax.text(
        0.99,
        0.01,
        "© OpenStreetMap contributors",
        transform=ax.transAxes,
        ha="right",
        va="bottom",
        fontsize=7,
        color="#555555",
    )
    ax.set_title(
        label("需要と走行経路", "demand and routes")
        + f" — {text(result.variant)}, seed {result.seed}"
    )
    return fig


# --- fairness --------------------------------------------------------------------------


def district_levels(results: Sequence[DayResult]) -> list[dict[str, object]]:
    """Per variant and district: requests, served share, within-promise share and the
    median pickup delay after the window start (minutes), pooled over seeds. Shares
    count the requests the rider did not end (`scenarios.metrics`)."""
    rows: list[dict[str, object]] = []
    for variant, rs in by_variant(results).items():
        trips: dict[str, list[TripRecord]] = defaultdict(list)
        for r in rs:
            for t in r.trips:
                trips[t.district].append(t)
        for district in sorted(trips):
            rows.append(
                {"variant": variant, "district": district, **district_level(trips[district])}
            )
    return rows


def districts(results: Sequence[DayResult], *, max_variants: int = 6) -> Figure | None:
    """Share of each district's requests picked up within the promise, per variant
    (the fairness view: a district far from the depot should not be left behind)."""
    rows = district_levels(results)
    if not rows:
        return None
    variants = list(dict.fromkeys(r["variant"] for r in rows))[:max_variants]
    names = sorted({r["district"] for r in rows})
    fig = new_figure(max(6.0, 1.1 * len(names) + 2), 3.8)
    ax = fig.add_subplot()
    width = 0.8 / len(variants)
    index = {(r["variant"], r["district"]): r for r in rows}
    for i, v in enumerate(variants):
        xs, ys, ns = [], [], []
        for j, d in enumerate(names):
            r = index.get((v, d))
            if r is not None:
                xs.append(j - 0.4 + width * (i + 0.5))
                ys.append(r["within_promise_share"])
                ns.append(r["requests"])
        bars = ax.bar(xs, ys, width=width * 0.95, color=COLOURS[i % 10], label=text(v))
        ax.bar_label(bars, labels=[f"n={n}" for n in ns], fontsize=6, padding=1)
    ax.set_xticks(range(len(names)))
    ax.set_xticklabels([text(n) for n in names])
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_ylim(0, 1.1)
    ax.set_ylabel(label("約束時間内の割合", "within promise"))
    ax.set_title(label("地区別のサービス水準", "service level by district"))
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    return fig


# --- the bus-line review ------------------------------------------------------------------

#: Colours of the modes on service maps (`scenarios.modes`).
MODE_COLOURS = {"drt": "#2ca02c", "fixed": "#1f77b4", "feeder": "#ff7f0e"}
#: Radius drawn around bus stops on service maps, metres.
STOP_RADIUS_M = 500


def service_maps(results: Sequence[DayResult], *, max_options: int = 4) -> Figure | None:
    """One map per option (its first day): bus routes, a 500 m ring around every stop a
    bus calls at, and each request at its origin, coloured by the mode that carried it
    (refused: red ring)."""
    from matplotlib.patches import Ellipse

    from scenarios.buses import BUS_TYPE

    firsts = [rs[0] for rs in by_variant(results).values()][:max_options]
    if not firsts or not any(r.trips for r in firsts):
        return None
    pts = [p for r in firsts for t in r.trips for p in (t.origin, t.destination)]
    lat0 = statistics.fmean(p[1] for p in pts)
    aspect = 1 / math.cos(math.radians(lat0))
    fig = new_figure(4.2 * len(firsts), 4.6)
    axes = fig.subplots(1, len(firsts), squeeze=False)[0]
    r_lat = STOP_RADIUS_M / 110_574.0
    r_lon = r_lat * aspect
    for ax, day in zip(axes, firsts, strict=True):
        buses = [v for v in day.vehicles if v.vehicle_type == BUS_TYPE]
        stops = {s.position for v in buses for s in v.stops}
        for x, y in stops:
            ax.add_patch(Ellipse((x, y), 2 * r_lon, 2 * r_lat, color="#1f77b4", alpha=0.08, lw=0))
        for v in buses:
            if len(v.path) >= 2:
                xs, ys = zip(*v.path, strict=True)
                ax.plot(xs, ys, color="#1f77b4", linewidth=1.2, alpha=0.8)
        if stops:
            ax.scatter(*zip(*stops, strict=True), s=10, marker="s", color="#1f77b4", zorder=3)
        for mode, colour in MODE_COLOURS.items():
            got = [t.origin for t in day.trips if t.mode == mode and t.status is TripStatus.SERVED]
            if got:
                ax.scatter(*zip(*got, strict=True), s=12, color=colour, zorder=4, label=mode)
        refused = [t.origin for t in day.trips if t.status is TripStatus.REJECTED]
        if refused:
            ax.scatter(
                *zip(*refused, strict=True),
                s=20,
                facecolor="none",
                edgecolor="#d62728",
                zorder=5,
                label=label("予約できず", "refused"),
            )
        ax.set_aspect(aspect)
        ax.ticklabel_format(useOffset=False)
        ax.tick_params(labelsize=6)
        ax.set_title(text(day.variant))
        ax.grid(alpha=0.2)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=7, loc="upper left")
    fig.suptitle(
        label(
            "運行の範囲：バス路線とバス停500m圏、運んだ申込み（手段別）と断った申込み",
            "service: bus routes and 500 m around their stops, requests by mode, refusals",
        ),
        fontsize=9,
    )
    return fig


def review_bars(sweep: SweepTable, kpis: Sequence[tuple[str, str, str, str]]) -> Figure | None:
    """One panel per KPI ``(name, Japanese, English, unit)``: each option's mean over
    seeds, with the seeds' range."""
    options = sweep.variants()
    panels = [k for k in kpis if any(sweep.values(v, k[0]) for v in options)]
    if not panels:
        return None
    fig = new_figure(3.0 * len(panels), 3.6)
    axes = fig.subplots(1, len(panels), squeeze=False)[0]
    for ax, (kpi, ja, en, unit) in zip(axes, panels, strict=True):
        for i, v in enumerate(options):
            ys = sweep.values(v, kpi)
            if not ys:
                continue
            mean = statistics.fmean(ys)
            ax.bar(i, mean, color=COLOURS[i % 10])
            ax.errorbar(i, mean, [[mean - min(ys)], [max(ys) - mean]], color="#333333", capsize=3)
        ax.set_xticks(range(len(options)))
        ax.set_xticklabels([text(v) for v in options], fontsize=7, rotation=15)
        if unit == "%":
            ax.yaxis.set_major_formatter(PercentFormatter(1.0))
        words = [ja, en] if japanese_font() else [en]
        ax.set_title("\n".join(textwrap.fill(w, 24) for w in words), fontsize=7)
        ax.grid(axis="y", alpha=0.3)
    return fig


# --- shift plans -----------------------------------------------------------------------

#: One shift to draw: (label, start, end, break start, break end), seconds.
ShiftBar = tuple[str, int, int, int | None, int | None]


def shift_gantt(
    planned: Sequence[ShiftBar],
    roster: Sequence[ShiftBar],
    *,
    start_s: int,
    slot_s: int,
    required: Sequence[int],
    covered: Sequence[int],
    busy: Sequence[float],
) -> Figure | None:
    """Top: one row per shift, the plan (blue) above the current roster (grey), breaks
    hatched. Bottom: per slot, the vehicles required, those the plan keeps on duty and
    off break, and those the roster's simulated days kept busy."""
    if not planned and not roster:
        return None
    rows = [(bar, "#4c72b0") for bar in planned] + [(bar, "#b0b0b0") for bar in roster]
    fig = new_figure(10.0, 3.2 + 0.3 * len(rows))
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=[max(2, len(rows) // 3), 2])
    for row, ((_name, a, z, bs, be), colour) in enumerate(rows):
        y = len(rows) - 1 - row
        top.broken_barh([(a, z - a)], (y - 0.35, 0.7), color=colour)
        if bs is not None and be is not None:
            top.broken_barh(
                [(bs, be - bs)],
                (y - 0.35, 0.7),
                facecolor="white",
                edgecolor="#2ca02c",
                hatch="///",
            )
    top.set_yticks(range(len(rows)))
    top.set_yticklabels([text(bar[0]) for bar, _ in reversed(rows)], fontsize=7)
    if planned and roster:
        top.axhline(len(roster) - 0.5, color="black", linewidth=0.8)
    top.set_title(
        label("勤務計画（青）と現行の勤務（灰）", "shift plan (blue) and current roster (grey)")
    )
    edges = [start_s + k * slot_s for k in range(len(required) + 1)]
    bottom.stairs(  # wide, under the plan's line: both show where they agree
        required, edges, color="#f4a6a6", linewidth=4, label=label("必要台数", "required")
    )
    bottom.stairs(
        covered,
        edges,
        color="#4c72b0",
        linewidth=1.5,
        label=label("計画の稼働台数", "planned on duty"),
    )
    bottom.stairs(
        busy,
        edges,
        color="#7f7f7f",
        linestyle="--",
        label=label("現行で走行中（平均）", "busy, roster (mean)"),
    )
    bottom.yaxis.set_major_locator(MaxNLocator(integer=True))
    bottom.set_ylabel(label("台", "vehicles"))
    bottom.legend(loc="upper right", fontsize=7)
    lo = min([start_s, *(b[1] for b, _ in rows)])
    hi = max([edges[-1], *(b[2] for b, _ in rows)])
    bottom.set_xticks(range(lo // 3600 * 3600, hi + 3600, 3600))
    bottom.xaxis.set_major_formatter(FuncFormatter(clock))
    bottom.set_xlim(lo - 600, hi + 600)
    for ax in (top, bottom):
        ax.grid(axis="x", alpha=0.3)
    return fig
