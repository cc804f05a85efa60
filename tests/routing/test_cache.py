"""The .npz graph cache: round trip, and rebuilds on corrupt, stale or old files."""

from __future__ import annotations

import dataclasses
import logging

import numpy as np
import pytest

from routing import cache
from routing.graph import RoadGraph, load_graph
from routing.matrix import build_matrix
from routing.snapping import Snapper, random_points_near_roads
from routing.speeds import SpeedTable

from .test_osm_parse import osm_xml


def assert_same_graph(a: RoadGraph, b: RoadGraph) -> None:
    for f in dataclasses.fields(RoadGraph):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if isinstance(x, np.ndarray):
            assert x.dtype == y.dtype and np.array_equal(x, y), f.name
        else:
            assert x == y, f.name


def test_round_trip_with_matrix(tachikawa, tmp_path):
    points = Snapper(tachikawa).snap(random_points_near_roads(tachikawa, 10, seed=2))
    matrix = build_matrix(tachikawa, points)
    path = cache.save_cache(tmp_path / "t.npz", tachikawa, fingerprint="abc", matrix=matrix)
    with np.load(path, allow_pickle=False) as npz:  # plain arrays only
        assert npz["edge_highway"].dtype.kind == "U" and npz["meta"].dtype == np.uint8
    loaded = cache.load_cache(path, fingerprint="abc")
    assert loaded is not None and loaded.fingerprint == "abc"
    assert_same_graph(loaded.graph, tachikawa)
    assert loaded.matrix is not None and loaded.matrix.points == matrix.points
    assert np.array_equal(loaded.matrix.time_s, matrix.time_s)
    assert np.array_equal(loaded.matrix.distance_m, matrix.distance_m)
    assert cache.load_cache(path, fingerprint="other") is None


@pytest.fixture
def town(tmp_path):
    path = tmp_path / "town.osm"
    path.write_text(osm_xml())
    return path


def load_logged(caplog, source, cache_dir, speeds=None):
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="routing"):
        graph = load_graph(source, speeds, cache_dir=cache_dir)
    return graph, caplog.text


def test_load_graph_uses_and_refreshes_the_cache(town, tmp_path, caplog):
    cache_dir = tmp_path / "cache"
    built, log = load_logged(caplog, town, cache_dir)
    assert "from cache" not in log
    (cache_file,) = cache_dir.glob("*.npz")
    assert cache_file.name.startswith("town_osm-")
    cached, log = load_logged(caplog, town, cache_dir)
    assert "from cache" in log
    assert_same_graph(cached, built)

    # another speed factor: stale, rebuilt with the new times
    slower, log = load_logged(caplog, town, cache_dir, SpeedTable(factor=0.5))
    assert "stale" in log and "from cache" not in log
    assert slower.info.speeds.factor == 0.5 and (slower.edge_time_s >= built.edge_time_s).all()

    # the source file changed: stale, rebuilt from the new file
    town.write_text(osm_xml().replace("本町通り", "新町通り"))
    _, log = load_logged(caplog, town, cache_dir, SpeedTable(factor=0.5))
    assert "stale" in log
    _, log = load_logged(caplog, town, cache_dir, SpeedTable(factor=0.5))
    assert "from cache" in log


def test_corrupt_cache_is_rebuilt(town, tmp_path, caplog):
    cache_dir = tmp_path / "cache"
    built, _ = load_logged(caplog, town, cache_dir)
    (cache_file,) = cache_dir.glob("*.npz")
    cache_file.write_bytes(b"this is not a zip file")
    rebuilt, log = load_logged(caplog, town, cache_dir)
    assert "unreadable" in log
    assert_same_graph(rebuilt, built)
    _, log = load_logged(caplog, town, cache_dir)
    assert "from cache" in log  # and the cache was rewritten


def test_truncated_cache_files_are_rejected(toy, tmp_path):
    path = cache.save_cache(tmp_path / "toy.npz", toy, fingerprint="f")
    data = path.read_bytes()
    for size in sorted(
        {0, 1, 30, 100, len(data) // 3, len(data) // 2, len(data) - 200, len(data) - 1}
    ):
        broken = tmp_path / f"cut{size}.npz"
        broken.write_bytes(data[:size])
        assert cache.load_cache(broken, fingerprint="f") is None, size


def test_cache_with_invalid_arrays_is_rejected(toy, tmp_path):
    path = cache.save_cache(tmp_path / "toy.npz", toy, fingerprint="f")
    with np.load(path, allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    arrays["edge_time_s"] = np.zeros_like(arrays["edge_time_s"])
    np.savez(path, **arrays)
    assert cache.load_cache(path, fingerprint="f") is None


def test_other_format_version_is_rejected(toy, tmp_path, monkeypatch, caplog):
    path = cache.save_cache(tmp_path / "toy.npz", toy, fingerprint="f")
    monkeypatch.setattr(cache, "FORMAT_VERSION", cache.FORMAT_VERSION + 1)
    with caplog.at_level(logging.WARNING, logger="routing"):
        assert cache.load_cache(path, fingerprint="f") is None
    assert "format" in caplog.text


def test_fingerprint_depends_on_content_speeds_and_simplify(town):
    base = cache.source_fingerprint(town, SpeedTable())
    assert base == cache.source_fingerprint(town, SpeedTable())
    assert base != cache.source_fingerprint(town, SpeedTable(factor=0.8))
    assert base != cache.source_fingerprint(town, SpeedTable().with_overrides({"residential": 25}))
    assert base != cache.source_fingerprint(town, SpeedTable(), simplify=False)
    place = cache.source_fingerprint("Ina, Nagano, Japan", SpeedTable())
    assert place != cache.source_fingerprint("Tachikawa, Tokyo, Japan", SpeedTable())
    assert cache.cache_path("/c", "Ina, Nagano, Japan").name.startswith("Ina__Nagano__Japan-")
