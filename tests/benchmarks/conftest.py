"""The benchmark sets of the reference data: skip without them, fail on CI."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.instances import default_instance_dir
from tests.conftest import require_data


@pytest.fixture(scope="session")
def lilim_dir(data_dir: Path) -> Path:
    """The Li & Lim 100-task set (with ``bks.csv`` and ``bks_solutions/``)."""
    return require_data(default_instance_dir("lilim", data_dir), "Li & Lim instances")


@pytest.fixture(scope="session")
def cordeau_dir(data_dir: Path) -> Path:
    """Cordeau's (2006) DARP a-series (with ``bks.csv``)."""
    return require_data(default_instance_dir("cordeau", data_dir), "Cordeau instances")


@pytest.fixture(scope="session")
def sartori_dir(data_dir: Path) -> Path:
    """The Sartori & Buriol (2020) sample: 8 real-road PDPTW instances, ``bks.csv``,
    ``bks_solutions/``."""
    return require_data(default_instance_dir("sartori", data_dir), "Sartori & Buriol instances")
