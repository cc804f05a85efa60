"""The planners' report: every figure present and real, CSVs equal to the KPIs,
Japanese first, nothing fetched from the internet."""

from __future__ import annotations

import base64
import csv
import dataclasses
import re
import struct

import pytest

from routing.errors import InputError
from scenarios import plots
from scenarios.report import (
    ReportAnswer,
    ReportFigure,
    ReportSection,
    format_kpi,
    read_answer,
    write_report,
)
from scenarios.results import DayResult, TripRecord, TripStatus
from scenarios.sweep import SweepRow, SweepTable
from tests.scenarios.days import make_day

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
STANDARD_FIGURES = {
    "fleet_within_promise_share",
    "fleet_served_share",
    "wait_vs_promise",
    "ride_detour",
    "districts",
    "gantt",
    "map",
}


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG_SIGNATURE
    width, height = struct.unpack(">II", data[16:24])  # IHDR
    return width, height


@pytest.fixture(scope="module")
def sweep() -> SweepTable:
    days = [
        make_day(f"{n}台-{'相乗り' if pool else '単独'}", seed, vehicles=n, pooling=pool)
        for n in (2, 3, 4)
        for pool in (True, False)
        for seed in (0, 1)
    ]
    rows = [
        SweepRow(
            d.variant,
            d.seed,
            {"fleet.size": int(d.variant[0]), "pooling": "相乗り" in d.variant},
            d.kpis,
        )
        for d in days
    ]
    rows.append(SweepRow("typo", 0, {"fleet.sise": 5}, error="bad override (line 8): fleet.sise"))
    return SweepTable("tiny", ("fleet.size", "pooling", "fleet.sise"), rows, days)


@pytest.fixture(scope="module")
def report(tmp_path_factory, sweep):
    out = tmp_path_factory.mktemp("report")
    days = [d for d in sweep.results if d.variant.startswith("3台")]
    answer = ReportAnswer(
        ("95%以上を約束時間内に運ぶには何台必要か。", "How many vehicles keep 95 %?"),
        ("95%以上を約束時間内に運ぶには 3台必要", "3 vehicles keep 95 %"),
    )
    section = ReportSection("答えの根拠", "Behind the answer", (("種の平均。", "Seed means."),))
    path = write_report(
        out, days, sweep, title="テスト報告 Test report", sections=[section], answer=answer
    )
    return path, days


def test_every_figure_is_embedded_and_written_beside(report):
    path, _ = report
    html = path.read_text(encoding="utf-8")
    embedded = re.findall(r'<img src="data:image/png;base64,([^"]+)"[^>]*data-file="([^"]+)"', html)
    names = {f.rsplit("/", 1)[-1].removesuffix(".png") for _, f in embedded}
    assert names == STANDARD_FIGURES
    for b64, rel in embedded:
        png = base64.b64decode(b64)
        width, height = png_size(png)
        assert width >= 500 and height >= 300, rel
        assert len(png) > 15_000, f"{rel} looks empty ({len(png)} bytes)"
        assert (path.parent / rel).read_bytes() == png


def test_kpis_csv_has_one_row_per_day_equal_to_its_kpis(report):
    path, days = report
    with (path.parent / "kpis.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == len(days)
    for row, day in zip(rows, days, strict=True):
        assert (row["scenario"], row["variant"], int(row["seed"])) == (
            day.scenario,
            day.variant,
            day.seed,
        )
        assert set(row) == {"scenario", "variant", "seed", *day.kpis}
        assert {k: float(row[k]) for k in day.kpis} == day.kpis


def test_districts_csv_matches_the_trips(report):
    path, days = report
    with (path.parent / "districts.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    pool = [t for d in days if d.variant == "3台-相乗り" for t in d.trips]
    for row in (r for r in rows if r["variant"] == "3台-相乗り"):
        trips = [t for t in pool if t.district == row["district"]]
        assert int(row["requests"]) == len(trips)
        counted = [t for t in trips if t.counted]  # cancellations and no-shows left out
        assert float(row["within_promise_share"]) == sum(t.within_promise for t in counted) / len(
            counted
        )
    assert sum(int(r["requests"]) for r in rows) == sum(len(d.trips) for d in days)


def test_html_is_japanese_first_with_the_answer_and_failures(report):
    html = report[0].read_text(encoding="utf-8")
    assert '<html lang="ja">' in html
    for text in ("要約", "Summary", "乗車時間と迂回", "地区別", "運行表"):
        assert text in html
    assert html.index("要約") < html.index("Summary")
    assert 'class="answer">95%以上を約束時間内に運ぶには 3台必要' in html
    assert "問い：95%以上を約束時間内に運ぶには何台必要か。" in html
    assert "fleet.sise" in html and "typo" in html  # the failed row is reported
    assert re.search(r">typo</td>(?:(?!</tr>).)*>0/1</td>", html, re.S)  # seeds ok
    assert "中心市街地" in html  # districts table


def test_html_fetches_nothing(report):
    html = report[0].read_text(encoding="utf-8")
    assert not re.search(r"https?://|//cdn|<script|<link|@import", html)
    srcs = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert srcs and all(s.startswith("data:image/png;base64,") or s.endswith(".csv") for s in srcs)


def test_sweep_csv_lists_every_row_and_the_error(report, sweep):
    with (report[0].parent / "sweep.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == len(sweep.rows)
    typo = next(r for r in rows if r["variant"] == "typo")
    assert typo["error"].startswith("bad override") and typo["within_promise_share"] == ""
    ok = next(r for r in rows if r["variant"] == "2台-相乗り" and r["seed"] == "1")
    day = next(d for d in sweep.results if d.variant == "2台-相乗り" and d.seed == 1)
    assert float(ok["served_share"]) == day.kpis["served_share"]
    assert ok["fleet.size"] == "2" and ok["pooling"] == "true"


def test_summary_shows_seed_mean_and_range(report):
    path, days = report
    html = path.read_text(encoding="utf-8")
    xs = [d.kpis["vehicle_km"] for d in days if d.variant == "3台-相乗り"]
    mean = sum(xs) / len(xs)
    assert f"{format_kpi(mean, '')} ({format_kpi(min(xs), '')}–{format_kpi(max(xs), '')})" in html


def test_study_figures_are_written_too(tmp_path):
    png = plots.render_png(plots.gantt, make_day())
    fig = ReportFigure("study_fleet", png, "図", "figure")
    section = ReportSection("答え", "Answer", figures=(fig,))
    path = write_report(tmp_path, [make_day()], title="t", sections=[section])
    assert (tmp_path / "figures" / "study_fleet.png").read_bytes() == png
    assert "fleet_served_share" not in path.read_text(encoding="utf-8")  # no sweep, no curve


def test_nothing_to_report_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="nothing to report"):
        write_report(tmp_path, [], title="empty")


def test_many_variants_switch_to_box_plots(tmp_path):
    days = [make_day(f"v{i}", 0, vehicles=2 + i % 3) for i in range(7)]
    path = write_report(tmp_path, days, title="many")
    _width, height = png_size((tmp_path / "figures" / "wait_vs_promise.png").read_bytes())
    assert height > 3.8 * plots.DPI  # one box row per variant makes it taller
    assert path.exists()


def test_plots_fall_back_to_english_without_a_japanese_font(monkeypatch, tmp_path):
    """No Japanese font: labels in English, Japanese names tagged, and no glyph
    warnings (pytest turns warnings into errors)."""
    monkeypatch.setattr(plots, "japanese_font", lambda: None)
    assert plots.label("待ち時間", "wait") == "wait"
    assert plots.text("中心市街地").startswith("name-") and plots.text("taxi-1") == "taxi-1"
    day = make_day("相乗り", 3)
    for build in (plots.districts, plots.wait_vs_promise, plots.ride_and_detour):
        assert plots.render_png(build, [day])[:8] == PNG_SIGNATURE
    for build in (plots.gantt, plots.demand_map):
        assert plots.render_png(build, day)[:8] == PNG_SIGNATURE


def test_district_levels_by_hand():
    def trip(rid, district, status, pickup=None):
        return TripRecord(
            request_id=rid,
            kind="ride",
            district=district,
            status=status,
            reason=None if status is TripStatus.SERVED else "x",
            booked_at=30000,
            asked_time=36000,
            by_arrival=False,
            party_size=1,
            wheelchairs=0,
            origin=(138.0, 35.8),
            destination=(138.01, 35.81),
            direct_time_s=600,
            direct_distance_m=4000,
            promised_start=36000,
            promised_end=37800,
            pickup_time=pickup,
            dropoff_time=None if pickup is None else pickup + 700,
        )

    day = DayResult(
        "s",
        "v",
        1,
        trips=[
            trip("a", "高遠", TripStatus.SERVED, 36600),  # within, 10 min after the start
            trip("b", "高遠", TripStatus.SERVED, 38400),  # late by 10 min
            trip("c", "高遠", TripStatus.REJECTED),
            trip("d", "手良", TripStatus.SERVED, 36000),
        ],
    )
    rows = {r["district"]: r for r in plots.district_levels([day])}
    assert rows["高遠"]["requests"] == 3
    assert rows["高遠"]["served_share"] == pytest.approx(2 / 3)
    assert rows["高遠"]["within_promise_share"] == pytest.approx(1 / 3)
    assert rows["高遠"]["median_wait_vs_promise_min"] == pytest.approx(25.0)
    assert rows["手良"]["within_promise_share"] == 1.0


@pytest.mark.parametrize(
    ("value", "unit", "shown"),
    [
        (0.953, "%", "95.3 %"),
        (1234.6, "円", "¥1,235"),
        (12.0, "台", "12"),
        (3.14159, "h", "3.14"),
        (None, "", "–"),
    ],
)
def test_format_kpi(value, unit, shown):
    assert format_kpi(value, unit) == shown


def test_a_section_as_markdown_keeps_order_tables_and_figures():
    from scenarios.report import ReportTable, section_markdown

    section = ReportSection(
        "勤務計画",
        "Shift plan",
        paragraphs=(("日本語の段落", "English paragraph"),),
        figures=(ReportFigure("shift_gantt", b"png", "勤務表", "shifts"),),
        tables=(ReportTable(("a", "b"), (("1", "2"),)),),
    )
    md = section_markdown(section)
    assert md.splitlines()[:6] == [
        "## 勤務計画 Shift plan",
        "",
        "日本語の段落",
        "",
        "English paragraph",
        "",
    ]
    assert "| a | b |\n|---|---|\n| 1 | 2 |" in md
    assert "![shifts](figures/shift_gantt.png)" in md and "勤務表 — shifts" in md


def test_the_report_opens_with_the_answer_then_the_key_figures_then_the_tables(report):
    html = report[0].read_text(encoding="utf-8")
    body = html[html.index("<body>") :]
    order = [
        body.index(mark)
        for mark in (
            '<section id="answer">',
            '<section id="key-figures">',
            "<h2>要約",
            "<h2>答えの根拠",
            'id="sweep"',
        )
    ]
    assert order == sorted(order), order
    assert "<table>" not in body[: order[2]]  # no table before the answer and its figures
    key = body[order[1] : body.index("</section>", order[1])]
    shown = re.findall(r'data-file="figures/([^"]+)\.png"', key)
    assert shown == ["fleet_within_promise_share", "fleet_served_share", "wait_vs_promise"]
    everywhere = re.findall(r'data-file="figures/([^"]+)\.png"', body)
    assert sorted(everywhere) == sorted(set(everywhere))  # each figure once


def test_the_answer_is_read_from_the_data(sweep):
    best = max(sweep.variants(), key=lambda v: sweep.mean(v, "within_promise_share") or -1)
    ja, en = read_answer(sweep.results, sweep).answer
    share = format_kpi(sweep.mean(best, "within_promise_share"), "%")
    assert ja.startswith(f"{best}：約束時間内 {share}") and en.startswith(f"{best}: {share}")
    # change the data: another variant does best, and the answer says so
    worst = min(sweep.variants(), key=lambda v: sweep.mean(v, "within_promise_share") or 2)
    changed = dataclasses.replace(
        sweep,
        rows=[
            dataclasses.replace(r, kpis={**r.kpis, "within_promise_share": 1.0})
            if r.variant == worst
            else r
            for r in sweep.rows
        ],
    )
    ja2, en2 = read_answer(changed.results, changed).answer
    assert ja2.startswith(f"{worst}：約束時間内 100.0 %") and ja2 != ja, ja2
    assert en2.startswith(f"{worst}: 100.0 % within the promise") and en2 != en, en2


def test_one_day_opens_with_what_it_served(tmp_path):
    day = make_day("base", 0)
    kept = format_kpi(day.kpis["within_promise_share"], "%")
    html = write_report(tmp_path / "a", [day], title="t").read_text(encoding="utf-8")
    answer = html[html.index('<section id="answer">') : html.index("</section>")]
    assert f"約束時間内は {kept}" in answer and f"{kept} picked up within" in answer
    worse = dataclasses.replace(day, kpis={**day.kpis, "within_promise_share": 0.5})
    html = write_report(tmp_path / "b", [worse], title="t").read_text(encoding="utf-8")
    assert "約束時間内は 50.0 %" in html and f"約束時間内は {kept}" not in html
    key = html[html.index('<section id="key-figures">') :]
    key = key[: key.index("</section>")]
    assert re.findall(r'data-file="figures/([^"]+)\.png"', key) == [
        "wait_vs_promise",
        "districts",
        "map",
    ]
