"""``noriai scenario ...``: help a planner can read, clear errors with exit code 2,
and real runs on a tiny scenario."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from api.cli import app

runner = CliRunner()


@pytest.mark.parametrize(
    ("command", "phrases"),
    [
        (["scenario"], ["What-if scenarios", "計画担当者", "validate", "run", "sweep", "study"]),
        (["scenario", "run", "--help"], ["Simulate one service day", "一日分", "--seed", "--out"]),
        (
            ["scenario", "sweep", "--help"],
            ["variant × seed", "並列", "--seeds", "--workers", "--scheduler", "tcp://host:8786"],
        ),
        (["scenario", "study", "--help"], ["95 %", "相乗り", "--seeds", "--workers"]),
        (["scenario", "validate", "--help"], ["key path", "項目名", "exit code 2"]),
    ],
)
def test_help_is_bilingual(command, phrases):
    result = runner.invoke(app, [*command, "--help"] if command == ["scenario"] else command)
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    for p in phrases:
        assert p in text, p


def test_validate_missing_file_exit_2(tmp_path):
    result = runner.invoke(app, ["scenario", "validate", str(tmp_path / "nope.toml")])
    assert result.exit_code == 2
    text = " ".join(result.output.split())  # rich wraps the long path at 80 columns
    assert "does not exist" in text and "Traceback" not in text


def test_unknown_study_exit_2():
    result = runner.invoke(app, ["scenario", "study", "nagano"])
    assert result.exit_code == 2
    assert "unknown study 'nagano'" in result.output and "ina" in result.output


def test_workers_and_scheduler_exclude_each_other():
    result = runner.invoke(
        app, ["scenario", "study", "ina", "--workers", "3", "--scheduler", "tcp://127.0.0.1:9"]
    )
    assert result.exit_code == 2
    assert "exclude each other" in result.output


def test_run_prints_kpis_and_writes_the_report(tiny_path, data_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("NORIAI_DATA_DIR", str(data_dir))
    monkeypatch.setenv("NORIAI_CACHE_DIR", str(tmp_path / "cache"))
    out = tmp_path / "out"
    result = runner.invoke(
        app, ["scenario", "run", str(tiny_path), "--seed", "1", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "約束時間内の割合" in text and "within the promised" in text and "tiny — seed 1" in text
    assert (out / "report.html").is_file() and (out / "kpis.csv").is_file()


def test_sweep_command_end_to_end(tiny_path, data_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("NORIAI_DATA_DIR", str(data_dir))
    monkeypatch.setenv("NORIAI_CACHE_DIR", str(tmp_path / "cache"))
    variants = tmp_path / "v.csv"
    variants.write_text("variant,fleet.size\none,1\ntwo,2\n", encoding="utf-8")
    out = tmp_path / "sweep"
    result = runner.invoke(
        app,
        [
            *("scenario", "sweep", str(tiny_path), str(variants)),
            *("--seeds", "1", "--workers", "1", "--out", str(out)),
        ],
    )
    assert result.exit_code == 0, result.output
    assert (out / "sweep.csv").read_text(encoding="utf-8").count("\n") == 3
    assert (out / "report.html").is_file()


def test_run_with_a_bad_spec_exits_2(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\n[fleet]\nsize = 0\n', encoding="utf-8")
    result = runner.invoke(app, ["scenario", "run", str(bad)])
    assert result.exit_code == 2
    assert "area: Field required" in result.output and "fleet.size" in result.output
