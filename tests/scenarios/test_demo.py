"""The README's main job: a demo day of the Ina study, simulated and checked (through
``noriai demo``, as the README runs it)."""

from __future__ import annotations

import csv

from typer.testing import CliRunner

from api.cli import app
from scenarios.demo import demo_spec


def test_demo_spec_is_the_ina_study_on_the_given_town(data_dir):
    town = data_dir / "osm" / "tachikawa_drive.graphml"
    spec = demo_spec(town, speed_factor=0.8, max_snap_m=250, vehicles=3)
    assert spec.name == "ina-weekday"
    assert spec.map.graph == str(town.resolve()) and spec.map.speed_factor == 0.8
    assert spec.fleet.size == 3
    assert (spec.service.start, spec.service.end, spec.booking.opens) == (32400, 54000, 30600)


def test_demo_command_prints_the_kpis(data_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("NORIAI_DATA_DIR", str(data_dir))
    monkeypatch.setenv("NORIAI_CACHE_DIR", str(tmp_path))
    result = CliRunner().invoke(app, ["demo", "--vehicles", "4", "--out", str(tmp_path / "r")])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    for phrase in (
        "約束時間内の割合",
        "within the promised",
        "independent checker",
        "OpenStreetMap",
    ):
        assert phrase in text
    assert (tmp_path / "r" / "report.html").is_file()
    # the day it simulated: checked plans, most riders served
    with (tmp_path / "r" / "kpis.csv").open(encoding="utf-8") as f:
        [k] = list(csv.DictReader(f))
    assert float(k["plan_violations"]) == 0 and float(k["plan_checks"]) > 0
    assert float(k["served_share"]) > 0.8 and 60 <= float(k["ride_requests"]) <= 120


def test_demo_command_reports_a_missing_town(tmp_path, monkeypatch):
    monkeypatch.setenv("NORIAI_DATA_DIR", str(tmp_path))
    result = CliRunner().invoke(app, ["demo"])
    assert result.exit_code == 2
    assert "does not exist" in " ".join(result.output.split())  # rich wraps the long path
