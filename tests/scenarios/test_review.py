"""The bus-line review: options side by side on the same callers, the worst district per
option, the report and the command."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli import app
from scenarios.lines import feed_timetable, line_plan
from scenarios.review import (
    DEFAULT_OPTIONS,
    review_answer,
    review_options,
    run_review,
    side_by_side,
    worst_districts,
)
from scenarios.spec import ReviewOption, load_spec
from scenarios.study import STUDIES_DIR
from scenarios.sweep import SweepRow, SweepTable, open_client
from tests.scenarios.tiny import TINY, tiny_spec, write_tiny
from tests.scenarios.transit import simulate_on_loop

runner = CliRunner()


def test_default_options_and_the_specs_own(tiny):
    assert [o.name for o in review_options(tiny)] == ["today", "on_demand", "mix"]
    assert [o.set["transit.serve"] for o in DEFAULT_OPTIONS] == ["fixed", "drt", "mix"]
    own = tiny.with_overrides(
        {"review.options": [{"name": "cut-2", "set": {"transit.lines.cut": ["2"]}}]}
    )
    assert [o.name for o in review_options(own)] == ["cut-2"]


def test_side_by_side_means_over_seeds_and_skips_missing_kpis():
    rows = [
        SweepRow("today", 0, {}, {"served_share": 0.5, "cost_per_trip_yen": 3000.0}),
        SweepRow("today", 1, {}, {"served_share": 0.7, "cost_per_trip_yen": 1000.0}),
        SweepRow("mix", 0, {}, {"served_share": 0.9}),
        SweepRow("mix", 1, {}, error="boom"),
    ]
    table = SweepTable("s", (), rows)
    options = [ReviewOption(name="today", title_ja="現行"), ReviewOption(name="mix")]
    t = side_by_side(table, options)
    assert t.header == ("指標", "KPI", "現行 today", "mix mix")
    assert dict((r[1], r[2:]) for r in t.rows) == {
        "served": ("60.0 %", "90.0 %"),
        "cost per trip": ("¥2,000", "–"),
    }


def test_the_answer_names_the_option_that_carries_most_and_the_cheapest():
    def table(mix_cost: float) -> SweepTable:
        rows = [
            SweepRow("today", 0, {}, {"served_share": 0.6, "cost_per_trip_yen": 2000.0}),
            SweepRow("mix", 0, {}, {"served_share": 0.9, "cost_per_trip_yen": mix_cost}),
        ]
        return SweepTable("s", (), rows)

    options = [ReviewOption(name="today", title_ja="現行"), ReviewOption(name="mix")]
    ja, en = review_answer(table(3000.0), options).answer
    assert ja == (
        "最も多く運ぶのはmix（90.0 %、1回あたり ¥3,000）、1回あたり最も安いのは現行（¥2,000）です。"
    )
    assert en.startswith("mix carries the most (90.0 %, ¥3,000 a trip); today costs least")
    # the mix gets cheaper than today's lines: the answer changes with the data
    ja, en = review_answer(table(1500.0), options).answer
    assert ja == "mixが、運んだ割合（90.0 %）でも1回あたりの費用（¥1,500）でも最もよい案です。"


@pytest.fixture(scope="module")
def review(tmp_path_factory, town, graph_cache):
    folder = tmp_path_factory.mktemp("review")
    spec = tiny_spec(
        folder,
        town,
        transit__feed=".",
        transit__service_date="2026-12-07",
        demand__rides_per_day=30,
        **{
            "transit.mix.on_demand_hours": [["09:30", "11:00"]],
            "transit.mix.feeder_districts": ["北部"],
            "transit.mix.hub": "S0",
        },
    )
    with open_client(n_workers=1) as client:
        path, table = run_review(
            spec,
            seeds=2,
            out_dir=folder / "out",
            data_dir=town.parent,
            cache_dir=graph_cache,
            client=client,
            simulate=simulate_on_loop,
        )
    return path, table


def test_review_runs_every_option_on_the_same_callers(review):
    path, table = review
    assert not table.failed() and table.variants() == ["today", "on_demand", "mix"]
    for seed in (0, 1):
        days = [d for d in table.results if d.seed == seed]
        ids = [[t.request_id for t in d.trips] for d in days]
        assert ids[0] == ids[1] == ids[2]
    assert table.mean("today", "on_demand_coverage_share") == 0
    assert table.mean("on_demand", "coverage_share") == 1
    html = path.read_text(encoding="utf-8")
    for words in ("案の比較", "The options side by side", "周辺地区", "remote districts"):
        assert words in html
    opening = html[: html.index("<h2>要約")]  # the answer and its bars before any table
    assert 'class="answer">' in opening and "figures/review_kpis.png" in opening
    assert "<table>" not in opening
    assert (path.parent / "figures" / "review_service_maps.png").is_file()
    assert (path.parent / "sweep.csv").is_file()


def test_the_worst_district_per_option(review):
    _path, table = review
    worst = worst_districts(table.results, DEFAULT_OPTIONS)
    assert [w["option"] for w in worst] == ["today", "on_demand", "mix"]
    for w in worst:
        days = [d for d in table.results if d.variant == w["option"]]
        shares = [
            r["served_share"]
            for r in __import__("scenarios.metrics").metrics.district_rows(
                [t for d in days for t in d.trips]
            )
            if r["requests_counted"] >= 5
        ]
        assert w["served_share"] == min(shares)


def test_review_command_help_and_bad_spec(tmp_path):
    result = runner.invoke(app, ["scenario", "review", "--help"])
    assert result.exit_code == 0
    text = " ".join(result.output.split())
    assert "路線バスの見直し" in text and "--seeds" in text
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\n', encoding="utf-8")
    result = runner.invoke(app, ["scenario", "review", str(bad)])
    assert result.exit_code == 2


REPO = Path(__file__).resolve().parents[2]
FEED = REPO / "examples" / "transit" / "tachikawa_loop"


def test_the_shipped_ina_review_and_its_options():
    spec = load_spec(STUDIES_DIR / "ina_review.toml")
    assert spec.feed_path().resolve() == FEED.resolve()
    names = [o.name for o in review_options(spec)]
    assert names == ["today", "on_demand", "mix"]
    tt = feed_timetable(spec)
    assert set(tt.routes) == {"kururin", "sunagawa"} and spec.transit.mix.hub in tt.stops
    for option in review_options(spec):
        variant = spec.with_overrides(option.set)  # every option is a valid day
        line_plan(tt, variant.transit)
    mix = spec.with_overrides(review_options(spec)[2].set)
    loop = [t for t in line_plan(tt, mix.transit).trips if t.route_id == "kururin"]
    assert loop and all(t.first_departure_s < 9 * 3600 for t in loop)


def test_review_command_end_to_end(tmp_path, town, data_dir, monkeypatch):
    monkeypatch.setenv("NORIAI_DATA_DIR", str(data_dir))
    monkeypatch.setenv("NORIAI_CACHE_DIR", str(tmp_path / "cache"))
    transit = (
        f'\n[transit]\nfeed = "{FEED.as_posix()}"\nweekday = "mon"\n'
        '[transit.mix]\non_demand_hours = [["09:30", "11:00"]]\n'
        'feeder_districts = ["北部"]\nhub = "S017"\n'
    )
    path = write_tiny(tmp_path / "spec", town, TINY + transit)
    out = tmp_path / "review"
    result = runner.invoke(
        app,
        ["scenario", "review", str(path), "--seeds", "1", "--workers", "1", "--out", str(out)],
    )
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "案の比較" in text and "today" in text and "cost per trip" in text
    assert (out / "report.html").is_file() and (out / "sweep.csv").is_file()


def test_validate_reads_the_feed_for_lines_and_the_hub(tmp_path):
    text = (STUDIES_DIR / "ina_review.toml").read_text(encoding="utf-8")
    text = text.replace(
        'feed = "../../examples/transit/tachikawa_loop"', f'feed = "{FEED.as_posix()}"'
    )
    bad = text.replace('hub = "S017"', 'hub = "S999"').replace(
        '"くるりん" = [["06:00", "09:00"]]', '"loop9" = [["06:00", "09:00"]]'
    )
    (tmp_path / "tachikawa_pois.csv").write_text(
        (STUDIES_DIR / "tachikawa_pois.csv").read_text(encoding="utf-8"), encoding="utf-8"
    )
    good_path, bad_path = tmp_path / "good.toml", tmp_path / "bad.toml"
    good_path.write_text(text, encoding="utf-8")
    bad_path.write_text(bad, encoding="utf-8")
    assert runner.invoke(app, ["scenario", "validate", str(good_path)]).exit_code == 0
    result = runner.invoke(app, ["scenario", "validate", str(bad_path)])
    assert result.exit_code == 2
    out = " ".join(result.output.split())
    assert "2 problem(s)" in out
    assert "transit.mix.hub: no stop 'S999' in the feed" in out
    assert "review option mix: transit.run_hours.loop9: no line 'loop9'" in out
