"""The city-day benchmark (`noriai bench city`): a tiny day runs clean, bad options say so."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from benchmarks import city_day
from benchmarks.cli import bench_app
from routing.errors import InputError
from tests.conftest import require_data


@pytest.mark.parametrize("n", [1, 2, 7, 80, 100])
def test_fleet_groups_add_up_to_the_fleet(n):
    groups = city_day.fleet_groups(n)
    assert sum(g["count"] for g in groups) == n
    assert len({g["type"] for g in groups}) == len(groups)
    vans = sum(g["count"] for g in groups if g["wheelchairs"])
    assert vans == (0 if n == 1 else max(1, round(n / 10)))
    assert {g["depot"] for g in groups} <= set(city_day.DEPOTS)
    with pytest.raises(InputError, match="vehicles"):
        city_day.fleet_groups(0)


def test_city_day_quick_writes_a_clean_report(tmp_path, data_dir):
    graph = require_data(data_dir / city_day.GRAPH, "the Kumamoto extract")
    out = tmp_path / "city.json"
    result = CliRunner().invoke(
        bench_app, ["city", "--quick", "--graph", str(graph), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    s = data["summary"]
    assert s["vehicles"] == 6 and s["graph_nodes"] > 5000
    assert s["check_ok"] and s["peak_check_violations"] == s["final_check_violations"] == 0
    assert s["promises_broken"] == 0
    asked = s["rides_asked"] + s["orders_asked"]
    assert asked > 0 and s["accepted"] + s["refused"] == asked
    assert s["served"] == s["accepted"]  # the day ran to its end: every booking delivered
    assert s["p50_ms"] <= s["p95_ms"] <= s["p99_ms"] <= s["max_ms"]
    assert s["reoptimisations"] >= 1 and s["peak_rss_mb"] > 0
    rows = data["rows"]
    assert rows[-1]["active_bookings"] == "all" and rows[-1]["quotes"] == asked
    assert sum(r["quotes"] for r in rows[:-1]) == asked
    md = out.with_suffix(".md").read_text()
    for title in ("## Phases", "## Re-optimisation curve", "## Re-optimisations of the day"):
        assert title in md
    assert "graph load" in md and "snap + matrix" in md


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--vehicles", "-3"], "--vehicles"),
        (["--rides", "0", "--orders", "0"], "demand"),
        (["--reopt-s", "0"], "--reopt-s"),
        (["--curve-at", "noon"], "HH:MM"),
        (["--curve-s", "1,x"], "--curve-s"),
        (["--advance-share", "1.5"], "--advance-share"),
        (["--graph", "/nowhere/kumamoto.json"], "does not exist"),
    ],
)
def test_bad_options_are_refused_before_any_work(args, words, tmp_path):
    result = CliRunner().invoke(bench_app, ["city", *args, "--out", str(tmp_path / "x.json")])
    assert result.exit_code == 2, result.output
    assert words in result.output
    assert not (tmp_path / "x.json").exists()
