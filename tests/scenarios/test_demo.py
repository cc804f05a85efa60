"""The README's main job: a demo day on the bundled town, solved and checked."""

from __future__ import annotations

from typer.testing import CliRunner

from api.cli import app
from scenarios.demo import PLACES, run_demo_day


def test_demo_day_is_served_and_checker_clean(data_dir, tmp_path):
    day = run_demo_day(
        data_dir / "osm" / "tachikawa_drive.graphml",
        cache_dir=tmp_path,
        speed_factor=0.9,
        max_snap_m=300,
        n_homes=20,
        time_limit_s=1.0,
    )
    assert day.matrix.n == len(PLACES) + 20
    assert day.report.ok(), str(day.report)
    assert day.plan.summary.served + day.plan.summary.unassigned == len(day.problem.tasks)
    assert day.plan.summary.served >= 0.8 * len(day.problem.tasks)


def test_demo_command_prints_the_day(data_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("NORIAI_DATA_DIR", str(data_dir))
    monkeypatch.setenv("NORIAI_CACHE_DIR", str(tmp_path))
    result = CliRunner().invoke(app, ["demo", "--time-limit", "1", "--homes", "15"])
    assert result.exit_code == 0, result.output
    assert "independent checker" in result.output
    assert "OpenStreetMap" in result.output


def test_demo_command_reports_a_missing_town(tmp_path, monkeypatch):
    monkeypatch.setenv("NORIAI_DATA_DIR", str(tmp_path))
    result = CliRunner().invoke(app, ["demo", "--time-limit", "1"])
    assert result.exit_code == 2
    assert "does not exist" in result.output
