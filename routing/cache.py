"""On-disk cache of a `RoadGraph` (and optionally a `TravelMatrix`) as a versioned .npz.

The file holds only plain arrays (loaded with ``allow_pickle=False``): strings
as fixed-width unicode arrays, metadata as UTF-8 JSON in a uint8 array. The
metadata carries `FORMAT_VERSION` and the *fingerprint* of what the graph was
built from (source file size, mtime and SHA-256, or the place name; the speed
table and factor; the simplify flag). A missing, corrupt, truncated,
wrong-version or stale cache is logged and ignored, and the caller rebuilds.
Writes are atomic (temporary file, then rename).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from routing.errors import InputError
from routing.graph import GraphInfo, RoadGraph, source_kind
from routing.matrix import TravelMatrix
from routing.snapping import SnappedPoint
from routing.speeds import SpeedTable

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
"""Bump when the arrays, their meaning or the graph builder change."""

_GRAPH_ARRAYS = (
    "node_osmid",
    "lon",
    "lat",
    "edge_u",
    "edge_v",
    "edge_length_m",
    "edge_time_s",
    "edge_highway",
    "geom_lon",
    "geom_lat",
    "geom_offsets",
    "edge_reverse",
)


@dataclass(frozen=True, slots=True, eq=False)
class CachedGraph:
    """What a cache file holds."""

    graph: RoadGraph
    matrix: TravelMatrix | None
    fingerprint: str


def source_fingerprint(source: str | Path, speeds: SpeedTable, *, simplify: bool = True) -> str:
    """SHA-256 (hex) over the source file's size, mtime and content hash (or the place
    name), the speed table, the simplify flag and `FORMAT_VERSION`."""
    if source_kind(source) == "place":
        origin: dict[str, Any] = {"place": str(source)}
    else:
        path = Path(source)
        try:
            stat = path.stat()
            digest = hashlib.sha256()
            with path.open("rb") as fh:
                for block in iter(lambda: fh.read(1 << 20), b""):
                    digest.update(block)
        except FileNotFoundError:
            raise InputError(f"map file {path} does not exist") from None
        origin = {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "sha256": digest.hexdigest()}
    payload = {
        "format": FORMAT_VERSION,
        "origin": origin,
        "speeds": speeds.as_dict(),
        "simplify": bool(simplify),
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def cache_path(cache_dir: str | Path, source: str | Path) -> Path:
    """Cache file for `source` in `cache_dir`: readable stem + hash of the full path/name."""
    text = str(Path(source).resolve()) if source_kind(source) != "place" else str(source)
    stem = "".join(c if c.isalnum() or c in "-_" else "_" for c in Path(str(source)).name)[:40]
    return Path(cache_dir) / f"{stem}-{hashlib.sha256(text.encode()).hexdigest()[:12]}.npz"


def save_cache(
    path: str | Path, graph: RoadGraph, *, fingerprint: str, matrix: TravelMatrix | None = None
) -> Path:
    """Write `graph` (and `matrix`) to `path` atomically; returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    meta = {"format": FORMAT_VERSION, "fingerprint": fingerprint, "info": graph.info.as_dict()}
    arrays: dict[str, np.ndarray] = {
        name: np.asarray(getattr(graph, name)) for name in _GRAPH_ARRAYS
    }
    arrays["meta"] = np.frombuffer(json.dumps(meta, ensure_ascii=False).encode(), dtype=np.uint8)
    if matrix is not None:
        arrays["matrix_time_s"] = matrix.time_s
        arrays["matrix_distance_m"] = matrix.distance_m
        arrays["matrix_points"] = np.array(
            [[p.edge, p.fraction, p.lon, p.lat, p.distance_m] for p in matrix.points],
            dtype=np.float64,
        ).reshape(-1, 5)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.stem, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            np.savez(fh, **arrays)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def load_cache(path: str | Path, *, fingerprint: str | None = None) -> CachedGraph | None:
    """Read a cache file; None (logged) if missing, unreadable, another version, or stale.

    With `fingerprint`, the file must have been written for exactly that source.
    """
    path = Path(path)
    if not path.is_file():
        return None
    try:
        # open the file ourselves: np.load leaks its handle when the zip is damaged
        with path.open("rb") as fh, np.load(fh, allow_pickle=False) as npz:
            data = {name: npz[name] for name in npz.files}
        meta = json.loads(bytes(data["meta"]).decode())
        if meta.get("format") != FORMAT_VERSION:
            log.warning(
                "cache %s has format %r, expected %d: rebuilding",
                path,
                meta.get("format"),
                FORMAT_VERSION,
            )
            return None
        if fingerprint is not None and meta.get("fingerprint") != fingerprint:
            log.warning("cache %s is stale (source or speeds changed): rebuilding", path)
            return None
        graph = RoadGraph(
            **{name: data[name] for name in _GRAPH_ARRAYS}, info=GraphInfo.from_dict(meta["info"])
        )
        matrix = None
        if "matrix_points" in data:
            points = tuple(
                SnappedPoint(int(r[0]), float(r[1]), float(r[2]), float(r[3]), float(r[4]))
                for r in data["matrix_points"]
            )
            matrix = TravelMatrix(data["matrix_time_s"], data["matrix_distance_m"], points)
    except (OSError, EOFError, KeyError, ValueError, TypeError, zipfile.BadZipFile) as exc:
        # InputError (a ValueError) covers arrays that fail RoadGraph validation
        log.warning("cache %s is unreadable (%s: %s): rebuilding", path, type(exc).__name__, exc)
        return None
    return CachedGraph(graph, matrix, str(meta["fingerprint"]))
