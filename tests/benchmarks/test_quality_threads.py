"""``noriai bench quality --threads``: recorded in each row and the run's parameters."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from benchmarks.quality import SIDE_COLUMNS, run_quality
from dispatch.errors import InputError
from tests.benchmarks.test_quality import TINY_LILIM, _app


def test_threads_are_recorded_in_each_row_and_the_params(tmp_path: Path) -> None:
    (tmp_path / "tiny.txt").write_text(TINY_LILIM)
    result = run_quality("lilim", tmp_path, time_limit_s=0.2, seeds=(1, 2), peers="none", threads=2)
    assert result.params["threads"] == 2
    for row in result.rows:
        assert {"threads", "cpu_seconds", *SIDE_COLUMNS} <= set(row)
        assert row["threads"] == 2 and row["check_ok"] is True and row["unassigned"] == 0
        assert row["cpu_seconds"] is not None and row["cpu_seconds"] >= 0
    assert result.summary["ours_cpu_per_wall"] is not None
    by_config = run_quality(
        "lilim", tmp_path, time_limit_s=0.2, peers="none", config='{"threads": 2}'
    )
    assert by_config.params["threads"] == 2 and by_config.rows[0]["threads"] == 2
    one = run_quality("lilim", tmp_path, time_limit_s=0.2, peers="none")
    assert one.params["threads"] == 1 and one.rows[0]["threads"] == 1


def test_bad_threads_are_refused(tmp_path: Path) -> None:
    (tmp_path / "tiny.txt").write_text(TINY_LILIM)
    with pytest.raises(InputError, match="--threads"):
        run_quality("lilim", tmp_path, time_limit_s=0.2, peers="none", threads=0)
    with pytest.raises(InputError, match="threads"):
        run_quality("lilim", tmp_path, time_limit_s=0.2, peers="none", config='{"threads": -1}')


def test_threads_on_the_command_line(tmp_path: Path) -> None:
    (tmp_path / "tiny.txt").write_text(TINY_LILIM)
    out = tmp_path / "q.json"
    args = ["--dir", str(tmp_path), "--time-limit", "0.2", "--peers", "none", "--out", str(out)]
    result = CliRunner().invoke(_app(), [*args, "--threads", "2"])
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    assert data["params"]["threads"] == 2
    assert [r["threads"] for r in data["rows"]] == [2]
    assert "threads" in out.with_suffix(".md").read_text()
    result = CliRunner().invoke(_app(), [*args, "--threads", "0"])
    assert isinstance(result.exception, InputError)
