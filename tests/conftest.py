"""Fixtures shared by every test package.

The reference data (road extracts, benchmark instances) lives outside the repository
(`NORIAI_DATA_DIR`, default ``<repo>/../shared/data``). Outside CI a test that needs it
skips with a message saying where it looked; on CI (``CI`` set to anything but "",
"0" or "false") a missing data folder fails the run instead: a CI run that skips a
hundred tests is not a green run.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent


def on_ci(env: Mapping[str, str] | None = None) -> bool:
    """Whether the tests run on CI: ``CI`` is set and not "", "0" or "false"."""
    value = (os.environ if env is None else env).get("CI", "")
    return value.strip().lower() not in ("", "0", "false")


def reference_data_dir(env: Mapping[str, str] | None = None) -> Path:
    """`NORIAI_DATA_DIR`, else ``<repo>/../shared/data`` (an empty variable counts as unset)."""
    value = (os.environ if env is None else env).get("NORIAI_DATA_DIR", "")
    return Path(value) if value.strip() else REPO_ROOT.parent / "shared" / "data"


def require_data(
    path: Path, what: str = "reference data", env: Mapping[str, str] | None = None
) -> Path:
    """`path` when it exists (a folder or a file); otherwise fail on CI, skip elsewhere,
    with a message naming the path."""
    if path.is_dir() or path.is_file():
        return path
    message = f"{what} not found at {path} (set NORIAI_DATA_DIR to the shared data folder)"
    if on_ci(env):
        pytest.fail(f"{message}; on CI missing reference data fails the run", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The reference data (`NORIAI_DATA_DIR`, default ``<repo>/../shared/data``); read only.

    Skips without it, except on CI, where it fails.
    """
    return require_data(reference_data_dir())
