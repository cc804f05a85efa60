"""Missing reference data: a skip on a workstation, a failure on CI (tests/conftest.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT, on_ci, reference_data_dir, require_data


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, False), ("", False), ("0", False), ("false", False), (" False ", False),
     ("1", True), ("true", True), ("yes", True)],
)  # fmt: skip
def test_what_counts_as_ci(value: str | None, expected: bool) -> None:
    env = {} if value is None else {"CI": value}
    assert on_ci(env) is expected


def test_the_data_folder_comes_from_the_environment(tmp_path: Path) -> None:
    assert reference_data_dir({"NORIAI_DATA_DIR": str(tmp_path)}) == tmp_path
    default = REPO_ROOT.parent / "shared" / "data"
    assert reference_data_dir({}) == default
    assert reference_data_dir({"NORIAI_DATA_DIR": ""}) == default


def test_missing_data_skips_off_ci_and_fails_on_ci(tmp_path: Path) -> None:
    assert require_data(tmp_path, env={"CI": "1"}) == tmp_path  # there: no fuss
    missing = tmp_path / "nowhere"
    with pytest.raises(pytest.skip.Exception, match=r"nowhere \(set NORIAI_DATA_DIR"):
        require_data(missing, env={})
    with pytest.raises(pytest.skip.Exception):
        require_data(missing, env={"CI": "false"})
    with pytest.raises(pytest.fail.Exception, match="on CI missing reference data fails"):
        require_data(missing, "Li & Lim instances", env={"CI": "true"})


def _run_pytest_on(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """A separate pytest run of one test that asks for the `data_dir` fixture."""
    (tmp_path / "test_needs_data.py").write_text(
        "from tests.conftest import data_dir  # noqa: F401  (the fixture under test)\n\n\n"
        "def test_needs_data(data_dir):\n"
        "    assert data_dir.is_dir()\n"
    )
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    child_env = {k: v for k, v in os.environ.items() if k not in ("CI", "NORIAI_DATA_DIR")}
    child_env.update(PYTHONPATH=str(REPO_ROOT), PYTEST_DISABLE_PLUGIN_AUTOLOAD="1", **env)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rs", str(tmp_path)],
        cwd=tmp_path,
        env=child_env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_data_dir_fixture_fails_a_ci_run(tmp_path: Path) -> None:
    missing = str(tmp_path / "no-such-data")
    on_a_workstation = _run_pytest_on(tmp_path, NORIAI_DATA_DIR=missing)
    assert on_a_workstation.returncode == 0, on_a_workstation.stdout
    assert "1 skipped" in on_a_workstation.stdout and "no-such-data" in on_a_workstation.stdout
    on_ci_run = _run_pytest_on(tmp_path, NORIAI_DATA_DIR=missing, CI="true")
    assert on_ci_run.returncode == 1, on_ci_run.stdout
    assert "1 error" in on_ci_run.stdout and "on CI missing reference data" in on_ci_run.stdout
