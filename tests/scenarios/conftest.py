"""Fixtures of the scenario tests: the bundled town and a tiny scenario on it."""

from __future__ import annotations

from pathlib import Path

import pytest

from scenarios.spec import ScenarioSpec, load_spec
from tests.conftest import require_data
from tests.scenarios.tiny import write_tiny


@pytest.fixture(scope="session")
def town(data_dir: Path) -> Path:
    return require_data(data_dir / "osm" / "tachikawa_drive.graphml", "bundled town")


@pytest.fixture(scope="session")
def graph_cache(tmp_path_factory) -> Path:
    """One road-graph cache for the session (the graph loads once per process anyway)."""
    return tmp_path_factory.mktemp("graph-cache")


@pytest.fixture(scope="session")
def tiny_path(tmp_path_factory, town: Path) -> Path:
    return write_tiny(tmp_path_factory.mktemp("tiny"), town)


@pytest.fixture(scope="session")
def tiny(tiny_path: Path) -> ScenarioSpec:
    return load_spec(tiny_path)
