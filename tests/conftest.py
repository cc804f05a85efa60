"""Fixtures shared by every test package."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The reference data (`NORIAI_DATA_DIR`, default ``<repo>/../shared/data``); read only."""
    path = Path(os.environ.get("NORIAI_DATA_DIR", REPO_ROOT.parent / "shared" / "data"))
    if not path.is_dir():
        pytest.skip(f"reference data not found at {path} (set NORIAI_DATA_DIR)")
    return path
