"""``noriai map info`` through typer's CliRunner."""

from __future__ import annotations

from typer.testing import CliRunner

from routing.cli import map_app

runner = CliRunner()


def test_info_with_matrix(tachikawa_path, tmp_path):
    args = [
        "info",
        str(tachikawa_path),
        "--matrix",
        "20",
        "--seed",
        "3",
        "--cache-dir",
        str(tmp_path),
    ]
    result = runner.invoke(map_app, args, terminal_width=120)
    assert result.exit_code == 0, result.output
    out = result.output
    for expected in (
        "4,106",
        "10,515",
        "dropped",
        "residential",
        "factor 0.9",
        "20×20",
        "build time",
        "peak memory",
        "tracemalloc",
        "OpenStreetMap contributors",
    ):
        assert expected in out, expected
    assert list(tmp_path.glob("*.npz"))  # the graph was cached


def test_info_speed_factor(tachikawa_path):
    result = runner.invoke(
        map_app, ["info", str(tachikawa_path), "--speed-factor", "0.5"], terminal_width=120
    )
    assert result.exit_code == 0, result.output
    assert (
        "factor 0.5" in result.output and "15.0" in result.output
    )  # residential 30 km/h driven at 15


def test_info_errors_exit_1(tmp_path):
    result = runner.invoke(map_app, ["info", str(tmp_path / "nowhere.graphml")], terminal_width=120)
    assert result.exit_code == 1
    assert "does not exist" in result.output
    result = runner.invoke(
        map_app, ["info", "x.graphml", "--speed-factor", "-1"], terminal_width=120
    )
    assert result.exit_code == 1


def test_help_is_readable():
    result = runner.invoke(map_app, ["info", "--help"], terminal_width=120)
    assert result.exit_code == 0
    assert "--matrix" in result.output and "place" in result.output
