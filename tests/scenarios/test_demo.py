"""The README's main job: a demo day of the Ina study, simulated and checked."""

from __future__ import annotations

from typer.testing import CliRunner

from api.cli import app
from scenarios.demo import demo_spec, run_demo_day
from scenarios.results import TripStatus


def test_demo_spec_is_the_ina_study_on_the_given_town(data_dir):
    town = data_dir / "osm" / "tachikawa_drive.graphml"
    spec = demo_spec(town, speed_factor=0.8, max_snap_m=250, vehicles=3)
    assert spec.name == "ina-weekday"
    assert spec.map.graph == str(town.resolve()) and spec.map.speed_factor == 0.8
    assert spec.fleet.size == 3
    assert (spec.service.start, spec.service.end, spec.booking.opens) == (32400, 54000, 30600)


def test_demo_day_serves_and_reports(data_dir, tmp_path):
    demo = run_demo_day(
        data_dir / "osm" / "tachikawa_drive.graphml",
        cache_dir=tmp_path,
        speed_factor=0.9,
        max_snap_m=300,
        vehicles=4,
        out_dir=tmp_path / "report",
    )
    k = demo.day.kpis
    assert k["plan_violations"] == 0 and k["plan_checks"] > 0
    assert k["served_share"] > 0.8 and 60 <= k["ride_requests"] <= 120
    assert {t.status for t in demo.day.trips} >= {TripStatus.SERVED}
    assert demo.report is not None and (tmp_path / "report" / "kpis.csv").is_file()


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


def test_demo_command_reports_a_missing_town(tmp_path, monkeypatch):
    monkeypatch.setenv("NORIAI_DATA_DIR", str(tmp_path))
    result = CliRunner().invoke(app, ["demo"])
    assert result.exit_code == 2
    assert "does not exist" in result.output
