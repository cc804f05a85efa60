"""``noriai transit info`` and ``make-feed`` through typer's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from api.cli import app
from routing.transit.cli import transit_app
from tests.conftest import REPO_ROOT
from tests.routing.transit.feeds import replace_line, write_feed

runner = CliRunner()
EXAMPLE = REPO_ROOT / "examples" / "transit"


def test_info_of_the_example_feed():
    result = runner.invoke(
        transit_app, ["info", str(EXAMPLE / "tachikawa_loop")], terminal_width=160
    )
    assert result.exit_code == 0, result.output
    for expected in ("2026-12-01", "busiest", "くるりん", "砂川線", "51", "06:30", "24:09"):
        assert expected in result.output, expected
    assert "shapes.txt (51 trips)" in result.output


def test_info_json_on_a_saturday():
    args = ["info", str(EXAMPLE / "tachikawa_loop"), "--json", "--date", "2026-12-05"]
    result = runner.invoke(transit_app, args)
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["service_date"] == "2026-12-05" and data["date_rule"] == "given"
    trips = {r["route_id"]: r["trips"] for r in data["routes"]}
    assert trips == {"kururin": 0, "sunagawa": 34}  # the loop runs on weekdays only
    assert data["last_arrival"] == "24:09"


def test_info_errors_exit_1(tmp_path):
    result = runner.invoke(transit_app, ["info", str(tmp_path / "nowhere.zip")])
    assert result.exit_code == 1 and "no such file" in result.output
    result = runner.invoke(
        transit_app, ["info", str(EXAMPLE / "tachikawa_loop"), "--date", "1.12."]
    )
    assert result.exit_code == 1 and "--date '1.12.' is not a date" in result.output
    bad = replace_line("stop_times.txt", "t1,07:10:00,07:11:00,B,2", "t1,7.10,07:11:00,B,2")
    result = runner.invoke(
        transit_app, ["info", str(write_feed(tmp_path, bad))], terminal_width=200
    )
    assert result.exit_code == 1
    assert "stop_times.txt row 2 field arrival_time: '7.10' is not a time" in result.output


def test_info_along_the_roads(tmp_path, tachikawa_path):
    feed = write_feed(tmp_path)  # Saturday's trip has no shape
    args = ["info", str(feed), "--date", "2026-12-05", "--graph", str(tachikawa_path), "--json"]
    result = runner.invoke(transit_app, args)
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["vehicle_km_method"] == {"road graph": 1}
    assert data["vehicle_km"] > 3.0  # the straight line C -> D -> E is 2.45 km


def test_make_feed_reproduces_the_example(tmp_path, tachikawa_path):
    out = tmp_path / "feed"
    args = [
        "make-feed",
        str(EXAMPLE / "tachikawa_loop.toml"),
        str(out),
        "--graph",
        str(tachikawa_path),
    ]
    result = runner.invoke(transit_app, args, terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "2 routes, 20 stops, 51 trips, 561 stop times" in result.output
    committed = sorted(p.name for p in (EXAMPLE / "tachikawa_loop").iterdir())
    assert sorted(p.name for p in out.iterdir()) == committed
    for name in committed:  # regenerate with this command when the drafter changes
        assert (out / name).read_bytes() == (EXAMPLE / "tachikawa_loop" / name).read_bytes(), name


def test_make_feed_zip_with_the_town_map_from_settings(tmp_path, data_dir, monkeypatch):
    monkeypatch.setenv("NORIAI_DATA_DIR", str(data_dir))
    monkeypatch.setenv("NORIAI_CACHE_DIR", str(tmp_path / "cache"))
    out = tmp_path / "draft.zip"
    result = runner.invoke(
        app, ["transit", "make-feed", str(EXAMPLE / "tachikawa_loop.toml"), str(out)]
    )
    assert result.exit_code == 0, result.output
    assert out.is_file() and "tachikawa_drive.graphml" in result.output


def test_make_feed_errors_exit_1(tmp_path):
    result = runner.invoke(
        transit_app, ["make-feed", str(EXAMPLE / "tachikawa_loop.toml"), str(tmp_path)]
    )
    assert result.exit_code == 1 and "no map given (--graph)" in result.output
    line = tmp_path / "line.toml"
    text = (EXAMPLE / "tachikawa_loop.toml").read_text(encoding="utf-8")
    pois = REPO_ROOT / "scenarios" / "studies" / "tachikawa_pois.csv"
    text = text.replace("../../scenarios/studies/tachikawa_pois.csv", str(pois))
    line.write_text(text.replace("headway_min = 30", "headway_min = 0", 1), encoding="utf-8")
    result = runner.invoke(
        transit_app, ["make-feed", str(line), str(tmp_path / "o")], terminal_width=200
    )
    assert result.exit_code == 1 and "lines[0].periods[0].headway_min" in result.output
    assert not (tmp_path / "o").exists()


def test_root_cli_lists_transit():
    result = runner.invoke(app, ["transit", "--help"], terminal_width=160)
    assert result.exit_code == 0
    assert "公共交通" in result.output and "make-feed" in result.output and "info" in result.output
    assert Path(EXAMPLE / "tachikawa_loop" / "stops.txt").is_file()
