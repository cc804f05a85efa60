"""``noriai bench transit`` at CI size: the harness works and its counts add up."""

from __future__ import annotations

import json

import typer
from typer.testing import CliRunner

from benchmarks import transit_import


def test_quick_run_writes_json_and_markdown(tmp_path, data_dir):
    app = typer.Typer()
    app.command()(transit_import.cli)
    out = tmp_path / "transit.json"
    args = ["--quick", "--out", str(out), "--data-dir", str(data_dir)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    rows = json.loads(out.read_text())["rows"]
    assert [r["format"] for r in rows] == ["folder", "zip"]
    for row in rows:
        # 3 lines of 6 stops, hourly 06:00-22:00 (17 departures): line 1 a loop (7 calls),
        # lines 2 and 3 both ways (6 calls)
        assert (row["routes"], row["stops"], row["trips"]) == (3, 18, 17 * 5)
        assert row["stop_times"] == 17 * 7 + 17 * 4 * 6
        assert row["day_trips"] == row["trips"]  # a weekday: every line runs
        assert row["read_s"] > 0 and row["peak_mb"] > 0
    assert "| folder |" in out.with_suffix(".md").read_text()
