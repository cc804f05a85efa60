"""Benchmark instances as `dispatch` problems: Li & Lim PDPTW, Sartori & Buriol PDPTW on
real road networks, and Cordeau DARP (the 2006 a-series and the 2003 layout).

Li & Lim and Cordeau live on the Euclidean plane with real-valued distances and
travel time = distance. `dispatch` wants int matrices, so every reader multiplies by an
integer ``scale`` and rounds:

* distance matrix: ``round(euclid(i, j) * scale)``, to the nearest int (half to even);
* travel-time matrix: the same matrix by default (``time_rounding="nearest"``), or
  rounded up (``"ceil"``);
* time windows, service times, horizon, ride and duration limits: ``value * scale``
  (the files hold integers, so these are exact).

Scale
    ``scale * horizon`` must stay below `dispatch.model.MAX_HORIZON_S` (10 000 000).
    Both sets use ``scale = 1000`` (Li & Lim's longest horizon, 3 390, becomes
    3 390 000): an arc is then off by at most 0.0005 instance units, so rounding
    moves neither costs nor feasibility by anything a gap column can show.

Rounding
    Nearest (the default, and the Li & Lim default of ``noriai bench quality``) keeps
    every one of the 56 Li & Lim BKS route files feasible, with their integer length
    within 0.0064 of the true one at ``scale = 1000``; this is what the tests and
    ``--validate-bks`` check. Its price: a plan that uses the last integer unit of a
    window or a ride limit can be infeasible on the plane by a few ``1 / scale``
    (measured at the earlier scale 100: at 2 s a request, 1 of our 24 a-series plans
    was, by 0.004; none of the 56 Li & Lim ones).
    ``"ceil"`` travel times (the Cordeau default of ``noriai bench quality``) make
    every integer-feasible plan exactly feasible. At ``scale = 1000`` the 56 BKS route
    files stay feasible with them too (``--validate-bks --time-rounding ceil``,
    2026-12-04); at coarser scales they did not (4 infeasible at 50, 14 at 10, 2 at
    100). Floor would be a relaxation, hence not offered.
    Either way `exact_violations` checks the routes on the plane in double precision
    and says by how much they break anything, and the cost we report is `true_cost`,
    the unrounded Euclidean length, comparable with the best-known tables.

Sartori & Buriol (``--format sartori``) give an explicit, asymmetric travel-time matrix
in integer minutes instead (coordinates are for display only): it is the exact plane
of those instances, used as given for `true_cost` and `exact_violations`, and scaled
by ``SARTORI_SCALE = 60`` into seconds (exact: the file holds integers). The objective
is travel time, so the problem's distance matrix is that same matrix.

Node ids of the files are kept as matrix locations: location ``i`` is task ``i`` of a
Li & Lim file, node ``i`` of a Sartori or Cordeau file (whose end depot ``2n + 1`` is
a separate location at the start depot's coordinates).
"""

from __future__ import annotations

import csv
import itertools
import math
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from dispatch.errors import InputError
from dispatch.model import (
    MAX_HORIZON_S,
    CostWeights,
    Problem,
    RideRequest,
    RideTimePolicy,
    StopKind,
    TimeWindow,
    Vehicle,
)
from dispatch.result import (
    Plan,
    StepKind,
    Unassigned,
    UnassignedReason,
    Visit,
    build_plan,
    build_route,
)

Format = Literal["lilim", "sartori", "cordeau"]
Rounding = Literal["nearest", "ceil"]

#: Default integer factor for Li & Lim (lc2xx horizon 3 390 x 1000 <= MAX_HORIZON_S).
LILIM_SCALE = 1000
#: Default integer factor for Cordeau's a-series (horizon <= 1 440 x 1000).
CORDEAU_SCALE = 1000
#: Default integer factor for Sartori & Buriol: their integer minutes as seconds.
SARTORI_SCALE = 60
DEFAULT_SCALE: dict[str, int] = {
    "lilim": LILIM_SCALE,
    "sartori": SARTORI_SCALE,
    "cordeau": CORDEAU_SCALE,
}
#: Sets whose objective is hierarchical: fewest vehicles first, then distance.
HIERARCHICAL: tuple[str, ...] = ("lilim", "sartori")
#: Yen per km such that a route's cost is its scaled distance (1 yen per scaled unit).
COST_PER_KM = 1000
#: Absolute tolerance (instance units) of the double-precision checks.
EXACT_TOL = 1e-6

DATA_SUBDIRS: dict[str, str] = {
    "lilim": "pdptw/lilim100",
    "sartori": "pdptw/sartori_buriol_sample",
    "cordeau": "darp/cordeau2006",
}


# -- data location ------------------------------------------------------------------


def data_dir(explicit: Path | str | None = None) -> Path:
    """The shared data directory: `explicit`, else ``$NORIAI_DATA_DIR``, else
    ``<repo>/../shared/data``."""
    if explicit is not None:
        return Path(explicit)
    env = os.environ.get("NORIAI_DATA_DIR")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[1].parent / "shared" / "data"


def default_instance_dir(fmt: Format, root: Path | str | None = None) -> Path:
    """Folder of the `fmt` benchmark set inside the data directory."""
    if fmt not in DATA_SUBDIRS:
        raise InputError(f"benchmark format must be one of {sorted(DATA_SUBDIRS)}, got {fmt!r}")
    return data_dir(root) / DATA_SUBDIRS[fmt]


def _natural_key(name: str) -> list[object]:
    return [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", name)]


def list_instances(directory: Path | str, fmt: Format) -> list[Path]:
    """Instance files of `fmt` in `directory`, in natural order (lc101 < lc201 < lr101).

    A ``.txt`` file counts when its first line has the header shape of the format
    (3 numbers for Li & Lim, 5 for Cordeau, ``NAME:`` for Sartori), so notes and
    tables beside the instances (``ortools_sanity.txt``, a README) are skipped.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise InputError(f"{directory}: benchmark directory does not exist")
    if fmt not in DATA_SUBDIRS:
        raise InputError(f"benchmark format must be one of {sorted(DATA_SUBDIRS)}, got {fmt!r}")
    n_header = {"lilim": 3, "cordeau": 5}.get(fmt)
    found = []
    for path in directory.glob("*.txt"):
        with path.open() as fh:
            first = fh.readline().split()
        if n_header is None:
            if first and first[0].upper() == "NAME:":
                found.append(path)
        elif len(first) == n_header and all(_is_number(tok) for tok in first):
            found.append(path)
    return sorted(found, key=lambda p: _natural_key(p.stem))


def _is_number(tok: str) -> bool:
    try:
        float(tok)
    except ValueError:
        return False
    return True


# -- instances ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BenchInstance:
    """A benchmark instance: the `Problem` plus what it takes to score it exactly.

    ``coords[i]`` is location ``i`` (= the file's node id) in instance units (Sartori:
    ``(lon, lat)``, for display only); ``travel[i, j]`` the exact travel time (=
    distance) from ``i`` to ``j`` in instance units, double precision: the Euclidean
    distance, or Sartori's matrix as given; ``pairs[k]`` the (pickup, delivery) node
    ids of ``problem.requests[k]``;
    ``scale`` the factor from instance units to the problem's ints; ``service`` and
    ``windows`` (rows ``[e, l]``) are per node, unscaled; ``max_ride`` and
    ``max_duration`` are the DARP's L and T (None for the PDPTW).
    """

    name: str
    format: Format
    path: Path
    problem: Problem
    coords: np.ndarray
    travel: np.ndarray
    pairs: tuple[tuple[int, int], ...]
    scale: int
    n_vehicles: int
    capacity: int
    service: np.ndarray
    windows: np.ndarray
    time_rounding: Rounding = "nearest"
    max_ride: float | None = None
    max_duration: float | None = None

    @property
    def n_requests(self) -> int:
        return len(self.pairs)

    def node_stop(self, node: int) -> tuple[int, StopKind]:
        """(request index, pickup/dropoff) of a node id; KeyError for depots."""
        return _node_index(self)[node]


def _node_index(inst: BenchInstance) -> dict[int, tuple[int, StopKind]]:
    index: dict[int, tuple[int, StopKind]] = {}
    for k, (p, d) in enumerate(inst.pairs):
        index[p] = (k, StopKind.PICKUP)
        index[d] = (k, StopKind.DROPOFF)
    return index


def euclidean(coords: np.ndarray) -> np.ndarray:
    """Pairwise Euclidean distances in double precision, shape (n, n)."""
    xy = np.asarray(coords, dtype=np.float64)
    diff = xy[:, None, :] - xy[None, :, :]
    return np.sqrt((diff**2).sum(axis=-1))


def scaled_matrix(dist: np.ndarray, scale: int, rounding: Rounding = "nearest") -> np.ndarray:
    """``round(dist * scale)`` as int64: to the nearest (half to even), or up."""
    scaled = np.asarray(dist, dtype=np.float64) * scale
    if rounding == "nearest":
        return np.rint(scaled).astype(np.int64)
    if rounding == "ceil":
        return np.ceil(scaled).astype(np.int64)
    raise InputError(f"rounding must be 'nearest' or 'ceil', got {rounding!r}")


class _Lines:
    """Numbered, tokenised non-blank lines of a file, for errors naming file:line."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        try:
            text = self.path.read_text()
        except OSError as exc:
            raise InputError(f"{self.path}: cannot read benchmark file ({exc})") from exc
        self.rows = [(no, line.split()) for no, line in enumerate(text.splitlines(), 1)]
        self.rows = [(no, toks) for no, toks in self.rows if toks]

    def error(self, lineno: int | None, message: str) -> InputError:
        where = f"{self.path}:{lineno}" if lineno is not None else str(self.path)
        return InputError(f"{where}: {message}")

    def numbers(self, lineno: int, toks: list[str], n: int, what: str) -> list[float]:
        if len(toks) < n:
            raise self.error(lineno, f"expected {n} fields ({what}), got {len(toks)}")
        out = []
        for tok in toks[:n]:
            try:
                value = float(tok)
            except ValueError:
                raise self.error(lineno, f"{tok!r} is not a number ({what})") from None
            if not math.isfinite(value):
                raise self.error(lineno, f"{tok!r} is not finite ({what})")
            out.append(value)
        return out

    def integer(self, lineno: int, value: float, name: str) -> int:
        if value != int(value):
            raise self.error(lineno, f"{name} must be an integer, got {value}")
        return int(value)


def _scaled_time(lines: _Lines, lineno: int, value: float, scale: int, name: str) -> int:
    if value < 0:
        raise lines.error(lineno, f"{name} must be >= 0, got {value}")
    return round(value * scale)


def _check_scale(scale: int) -> None:
    if isinstance(scale, bool) or not isinstance(scale, int) or scale < 1:
        raise InputError(f"benchmark scale must be an int >= 1, got {scale!r}")


def _check_horizon(lines: _Lines, lineno: int, horizon: int, scale: int) -> None:
    if horizon * scale > MAX_HORIZON_S:
        raise lines.error(
            lineno,
            f"horizon {horizon} x scale {scale} exceeds MAX_HORIZON_S ({MAX_HORIZON_S}); "
            f"use scale <= {MAX_HORIZON_S // max(horizon, 1)}",
        )


def _weights(n_nodes: int, matrix: np.ndarray, n_vehicles: int, fixed_cost: int) -> CostWeights:
    """An unassigned penalty above any plan that serves everything (no excess-ride cost)."""
    route_bound = int(matrix.max(initial=0)) * (n_nodes + n_vehicles)
    penalty = _round_up_pow10(10 * (route_bound + n_vehicles * fixed_cost))
    return CostWeights(unassigned_penalty=max(penalty, 1_000_000), excess_ride_per_hour=0)


def _round_up_pow10(x: int) -> int:
    return 10 ** max(1, math.ceil(math.log10(max(x, 1))))


def read_lilim(
    path: Path | str, *, scale: int = LILIM_SCALE, time_rounding: Rounding = "nearest"
) -> BenchInstance:
    """Read a Li & Lim PDPTW file (``K Q speed`` then ``id x y demand e l s p d`` lines).

    Each pickup/delivery pair becomes a `RideRequest` (party = demand on the seats
    dimension, ``board_s``/``alight_s`` = service times, ``pickup_window`` = pickup
    [e, l], ``arrive_earliest``/``arrive_by`` = delivery [e, l], ``max_ride_s`` = the
    horizon, so no ride limit binds). K identical vehicles of capacity (Q, 0, 0) work the
    depot's window and cost ``fixed_cost`` (above any total distance, so that the plan
    cost orders by vehicles first) plus 1 per scaled distance unit, nothing per hour.
    ``time_rounding="ceil"`` rounds travel times up (distances stay nearest): see the
    module docstring.
    """
    _check_scale(scale)
    lines = _Lines(Path(path))
    if not lines.rows:
        raise lines.error(None, "empty file")
    head_no, head = lines.rows[0]
    # The third field is documented as a speed of 1 but reads 0 in ten files: like every
    # published evaluation, take travel time = distance and ignore it.
    k_f, q_f, _speed = lines.numbers(head_no, head, 3, "K Q speed")
    n_vehicles = lines.integer(head_no, k_f, "K (vehicles)")
    capacity = lines.integer(head_no, q_f, "Q (capacity)")
    if n_vehicles < 1 or capacity < 1:
        raise lines.error(head_no, f"K and Q must be >= 1, got K={n_vehicles} Q={capacity}")
    rows = _task_rows(lines, lines.rows[1:])
    coords = np.array([[v[1], v[2]] for _, v in rows], dtype=np.float64)
    depot_no, depot = rows[0]
    horizon = lines.integer(depot_no, depot[5], "depot l (horizon)")
    return _pdptw_instance(
        lines,
        "lilim",
        rows,
        coords=coords,
        travel=euclidean(coords),
        n_vehicles=n_vehicles,
        capacity=capacity,
        horizon_raw=horizon,
        scale=scale,
        time_rounding=time_rounding,
    )


def read_sartori(
    path: Path | str, *, scale: int = SARTORI_SCALE, time_rounding: Rounding = "nearest"
) -> BenchInstance:
    """Read a Sartori & Buriol (2020) PDPTW file: ``KEY: value`` header lines (``SIZE``,
    ``ROUTE-TIME``, ``CAPACITY``, ...), ``NODES`` then SIZE lines ``id lat lon demand e l
    s p d`` (Li & Lim's task columns, with latitude and longitude for x and y), ``EDGES``
    then SIZE rows of SIZE integer travel times in minutes (row i: from i), ``EOF``.

    The requests and vehicles are built as by `read_lilim`; the explicit matrix (never
    the coordinates) gives travel times *and* the distance the objective sums (the
    published objective is total travel time). The fleet is unlimited in the paper:
    it gets one vehicle per request, enough whenever each request can be served alone,
    and the fixed cost per vehicle makes the solvers use as few as they can. Vehicles
    work from the depot's window start to ``min(ROUTE-TIME, depot l)``. The data are
    integers, so scaling (60 by default: minutes to seconds) and `time_rounding` are
    exact.
    """
    _check_scale(scale)
    lines = _Lines(Path(path))
    if not lines.rows:
        raise lines.error(None, "empty file")
    header: dict[str, tuple[int, str]] = {}
    i = 0
    while i < len(lines.rows) and lines.rows[i][1][0].upper() not in ("NODES", "NODES:"):
        lineno, toks = lines.rows[i]
        key, sep, value = " ".join(toks).partition(":")
        if not sep:
            raise lines.error(lineno, f"expected 'KEY: value' or NODES, got {' '.join(toks)!r}")
        header[key.strip().upper()] = (lineno, value.strip())
        i += 1
    if i == len(lines.rows):
        raise lines.error(None, "no NODES section")

    def field(key: str) -> tuple[int, int]:
        if key not in header:
            raise lines.error(None, f"header has no {key}: line")
        lineno, value = header[key]
        (number,) = lines.numbers(lineno, [value], 1, key)
        return lineno, lines.integer(lineno, number, key)

    size_no, size = field("SIZE")
    route_no, route_time = field("ROUTE-TIME")
    cap_no, capacity = field("CAPACITY")
    if size < 3 or size % 2 == 0:
        raise lines.error(size_no, f"SIZE must be 2 x requests + 1 >= 3, got {size}")
    if capacity < 1:
        raise lines.error(cap_no, f"CAPACITY must be >= 1, got {capacity}")
    if route_time < 1:
        raise lines.error(route_no, f"ROUTE-TIME must be >= 1, got {route_time}")
    node_lines = lines.rows[i + 1 : i + 1 + size]
    rows = _task_rows(lines, node_lines)
    if len(rows) != size:
        raise lines.error(None, f"SIZE {size} but {len(rows)} node lines before EDGES")
    at = i + 1 + size
    if at >= len(lines.rows) or lines.rows[at][1][0].upper() not in ("EDGES", "EDGES:"):
        where = lines.rows[at][0] if at < len(lines.rows) else None
        raise lines.error(where, f"expected EDGES after the {size} node lines")
    edge_rows = lines.rows[at + 1 : at + 1 + size]
    if len(edge_rows) != size:
        raise lines.error(None, f"EDGES needs {size} rows, got {len(edge_rows)}")
    travel = np.zeros((size, size), dtype=np.float64)
    for r, (lineno, toks) in enumerate(edge_rows):
        if len(toks) != size:
            raise lines.error(lineno, f"EDGES row {r} has {len(toks)} entries, expected {size}")
        vals = lines.numbers(lineno, toks, size, f"EDGES row {r}")
        for c, v in enumerate(vals):
            if v < 0:
                raise lines.error(lineno, f"EDGES row {r}, column {c}: negative time {v:g}")
            lines.integer(lineno, v, f"EDGES row {r}, column {c}")
        travel[r] = vals
    rest = lines.rows[at + 1 + size :]
    if rest and [t.upper() for t in rest[0][1]] == ["EOF"]:
        rest = rest[1:]
    if rest:
        raise lines.error(rest[0][0], "unexpected lines after EDGES (and EOF)")
    depot_no, depot = rows[0]
    depot_close = lines.integer(depot_no, depot[5], "depot l")
    coords = np.array([[v[2], v[1]] for _, v in rows], dtype=np.float64)  # (lon, lat)
    return _pdptw_instance(
        lines,
        "sartori",
        rows,
        coords=coords,
        travel=travel,
        n_vehicles=(size - 1) // 2,
        capacity=capacity,
        horizon_raw=min(route_time, depot_close),
        scale=scale,
        time_rounding=time_rounding,
    )


def _task_rows(
    lines: _Lines, raw: Sequence[tuple[int, list[str]]]
) -> list[tuple[int, list[float]]]:
    """Task lines ``id x y demand e l s p d`` (ids 0, 1, ... in order), with windows and
    service times checked; at least a depot and one pair."""
    rows: list[tuple[int, list[float]]] = []
    for lineno, toks in raw:
        vals = lines.numbers(lineno, toks, 9, "id x y demand e l s p d")
        if lines.integer(lineno, vals[0], "id") != len(rows):
            raise lines.error(lineno, f"task id {vals[0]:g} out of sequence, expected {len(rows)}")
        if vals[5] < vals[4]:
            raise lines.error(lineno, f"time window [{vals[4]:g}, {vals[5]:g}] is empty")
        if vals[6] < 0:
            raise lines.error(lineno, f"service time must be >= 0, got {vals[6]:g}")
        rows.append((lineno, vals))
    if len(rows) < 3:
        raise lines.error(None, "needs a depot and at least one pickup/delivery pair")
    return rows


def _sibling_pairs(
    lines: _Lines, rows: list[tuple[int, list[float]]], demand: list[int], capacity: int
) -> list[tuple[int, int]]:
    """(pickup, delivery) task ids from the ``p``/``d`` sibling columns, both ends and
    the demands checked against each other and the capacity."""
    n = len(rows)
    sib_p = [lines.integer(no, v[7], "p") for no, v in rows]
    sib_d = [lines.integer(no, v[8], "d") for no, v in rows]
    pairs: list[tuple[int, int]] = []
    for i in range(1, n):
        no = rows[i][0]
        p, d = sib_p[i], sib_d[i]
        if (p == 0) == (d == 0):
            raise lines.error(no, f"task {i} must have exactly one of p, d non-zero (p={p}, d={d})")
        sib = d if d else p
        if not 1 <= sib < n:
            raise lines.error(no, f"task {i} names sibling {sib}, not a task of this file")
        if d:
            if sib_p[d] != i or sib_d[d] != 0:
                raise lines.error(no, f"pickup {i} -> delivery {d}, but task {d} has p={sib_p[d]}")
            if demand[i] <= 0 or demand[d] != -demand[i]:
                raise lines.error(
                    no, f"pickup {i} demand {demand[i]} must be > 0 and minus delivery {d}'s"
                )
            if demand[i] > capacity:
                raise lines.error(no, f"pickup {i} demand {demand[i]} exceeds capacity {capacity}")
            pairs.append((i, d))
        elif sib_d[p] != i:
            raise lines.error(no, f"delivery {i} names pickup {p}, whose delivery is {sib_d[p]}")
    return pairs


def _pdptw_instance(
    lines: _Lines,
    fmt: Format,
    rows: list[tuple[int, list[float]]],
    *,
    coords: np.ndarray,
    travel: np.ndarray,
    n_vehicles: int,
    capacity: int,
    horizon_raw: int,
    scale: int,
    time_rounding: Rounding,
) -> BenchInstance:
    """The PDPTW `BenchInstance` of checked task `rows` on the exact matrix `travel`:
    requests as in `read_lilim`, `n_vehicles` vehicles from the depot's window start to
    `horizon_raw` (instance units) with a fixed cost above any total distance."""
    depot_no = rows[0][0]
    _check_horizon(lines, depot_no, horizon_raw, scale)
    horizon = horizon_raw * scale
    n = len(rows)
    demand = [lines.integer(no, v[3], "demand") for no, v in rows]
    pairs = _sibling_pairs(lines, rows, demand, capacity)
    matrix = scaled_matrix(travel, scale)
    times = scaled_matrix(travel, scale, time_rounding)
    service = np.array([v[6] for _, v in rows], dtype=np.float64)
    windows = np.array([[v[4], v[5]] for _, v in rows], dtype=np.float64)

    def t(i: int, col: int, name: str) -> int:
        return _scaled_time(lines, rows[i][0], rows[i][1][col], scale, name)

    requests = []
    for p, d in pairs:
        requests.append(
            RideRequest(
                id=f"{p}-{d}",
                pickup=p,
                dropoff=d,
                party_size=demand[p],
                board_s=t(p, 6, "service time"),
                alight_s=t(d, 6, "service time"),
                pickup_window=TimeWindow(t(p, 4, "e"), t(p, 5, "l")),
                arrive_earliest=t(d, 4, "e"),
                arrive_by=t(d, 5, "l"),
                max_ride_s=horizon,
            )
        )
    fixed = _round_up_pow10(int(matrix.max(initial=0)) * (n + n_vehicles))
    shift = TimeWindow(t(0, 4, "e"), horizon)
    vehicles = [
        Vehicle(
            id=f"v{k + 1}",
            start=0,
            end=0,
            shift=shift,
            capacity=(capacity, 0, 0),
            kind="bench",
            cost_per_hour=0,
            cost_per_km=COST_PER_KM,
            fixed_cost=fixed,
        )
        for k in range(n_vehicles)
    ]
    problem = _problem(lines, times, matrix, requests, vehicles, horizon, n_vehicles, fixed)
    return BenchInstance(
        name=lines.path.stem,
        format=fmt,
        path=lines.path,
        problem=problem,
        coords=coords,
        travel=travel,
        pairs=tuple(pairs),
        scale=scale,
        n_vehicles=n_vehicles,
        capacity=capacity,
        service=service,
        windows=windows,
        time_rounding=time_rounding,
    )


def _problem(
    lines: _Lines,
    times: np.ndarray,
    matrix: np.ndarray,
    requests: list[RideRequest],
    vehicles: list[Vehicle],
    horizon: int,
    n_vehicles: int,
    fixed: int,
) -> Problem:
    try:
        return Problem(
            time_s=times,
            distance_m=matrix,
            requests=tuple(requests),
            vehicles=tuple(vehicles),
            horizon_s=horizon,
            # Requests carry max_ride_s explicitly; the policy would not bind anyway.
            ride_policy=RideTimePolicy(alpha=1.0, beta_s=horizon, cap_s=max(horizon, 1)),
            weights=_weights(matrix.shape[0], matrix, n_vehicles, fixed),
        )
    except InputError as exc:
        raise lines.error(None, str(exc)) from exc


CordeauLayout = Literal["2006", "2003"]


def cordeau_layout(header_n: int, node_lines: int) -> CordeauLayout:
    """Which published Cordeau layout a file follows, from its header's second field
    and its number of node lines (ids 0, 1, ... in order).

    * ``"2006"`` (Cordeau 2006; Ropke, Cordeau & Laporte 2007, the a/b-series): the
      field is n, the number of *requests*; 2n + 2 node lines, the start depot 0 and
      the end depot 2n + 1 (at the same place).
    * ``"2003"`` (Cordeau & Laporte 2003, pr01-pr20 / R1a-R10b): the field is the
      number of *nodes* other than the depot, 2n; 2n + 1 node lines, the depot 0 only
      (routes return to it).

    The two cannot be confused (2n + 2 != 2n + 1); anything else is an `InputError`
    saying what either layout would need.
    """
    if node_lines == 2 * header_n + 2:
        return "2006"
    if node_lines == header_n + 1 and header_n % 2 == 0:
        return "2003"
    raise InputError(
        f"header field n/N = {header_n} fits neither Cordeau layout: 2006 (n requests) "
        f"needs {2 * header_n + 2} node lines (depot 0, pickups, drop-offs, end depot "
        f"{2 * header_n + 1}); 2003 (N nodes, N even) needs {header_n + 1} (depot 0, "
        f"then N nodes, no closing depot); got {node_lines}"
    )


def read_cordeau(
    path: Path | str, *, scale: int = CORDEAU_SCALE, time_rounding: Rounding = "nearest"
) -> BenchInstance:
    """Read a Cordeau DARP file in either published layout (`cordeau_layout`).

    2006: ``K n T Q L``, depot 0, pickups 1..n, drop-offs n+1..2n, end depot 2n+1.
    2003: ``K N T Q L`` with N = 2n nodes, depot 0, pickups 1..n, drop-offs n+1..2n,
    no end-depot line: the end depot 2n+1 is added at the depot's place, with its
    window, so that both layouts of one instance read to the same problem. Node lines
    ``id x y s q e l`` in both; T is the maximum route duration, L the maximum ride
    time (the horizon is the depot's window).

    Request i picks up at node i and drops off at n+i, party = q_i, ``max_ride_s`` = L.
    K vehicles of capacity (Q, 0, 0) leave node 0 and end at node 2n+1 within the depot
    window, with ``max_duration_s`` = T. The cost is the distance only.
    ``time_rounding`` as in `read_lilim`.
    """
    _check_scale(scale)
    lines = _Lines(Path(path))
    if not lines.rows:
        raise lines.error(None, "empty file")
    head_no, head = lines.rows[0]
    k_f, n_f, t_max, q_f, l_max = lines.numbers(head_no, head, 5, "K n T Q L")
    n_vehicles = lines.integer(head_no, k_f, "K (vehicles)")
    header_n = lines.integer(head_no, n_f, "n (requests; 2003: N nodes)")
    capacity = lines.integer(head_no, q_f, "Q (capacity)")
    if n_vehicles < 1 or header_n < 1 or capacity < 1 or t_max <= 0 or l_max <= 0:
        raise lines.error(head_no, "K, n, T, Q and L must all be positive")
    rows: list[tuple[int, list[float]]] = []
    for lineno, toks in lines.rows[1:]:
        vals = lines.numbers(lineno, toks, 7, "id x y s q e l")
        if lines.integer(lineno, vals[0], "id") != len(rows):
            raise lines.error(lineno, f"node id {vals[0]:g} out of sequence, expected {len(rows)}")
        rows.append((lineno, vals))
    try:
        layout = cordeau_layout(header_n, len(rows))
    except InputError as exc:
        raise lines.error(None, str(exc)) from None
    if layout == "2003":
        depot_no, depot = rows[0]
        rows.append((depot_no, [float(len(rows)), *depot[1:]]))  # the end depot, 2n+1
    n_req = (len(rows) - 2) // 2
    n_nodes = len(rows)
    for no, v in rows:
        if v[6] < v[5]:
            raise lines.error(no, f"time window [{v[5]:g}, {v[6]:g}] is empty")
        if v[3] < 0:
            raise lines.error(no, f"service time must be >= 0, got {v[3]:g}")
    load = [lines.integer(no, v[4], "q") for no, v in rows]
    for i in (0, n_nodes - 1):
        if load[i] != 0:
            raise lines.error(rows[i][0], f"depot {i} must have load 0, got {load[i]}")
    for i in range(1, n_req + 1):
        no = rows[i][0]
        if load[i] <= 0 or load[n_req + i] != -load[i]:
            raise lines.error(
                no, f"pickup {i} load {load[i]} must be > 0 and minus drop-off {n_req + i}'s"
            )
        if load[i] > capacity:
            raise lines.error(no, f"pickup {i} load {load[i]} exceeds capacity {capacity}")
    end = n_nodes - 1
    depot_no, depot = rows[0]
    horizon_raw = lines.integer(depot_no, depot[6], "depot l (horizon)")
    _check_horizon(lines, depot_no, horizon_raw, scale)

    coords = np.array([[v[1], v[2]] for _, v in rows], dtype=np.float64)
    dist = euclidean(coords)
    matrix = scaled_matrix(dist, scale)
    times = scaled_matrix(dist, scale, time_rounding)
    service = np.array([v[3] for _, v in rows], dtype=np.float64)
    windows = np.array([[v[5], v[6]] for _, v in rows], dtype=np.float64)

    def t(i: int, col: int, name: str) -> int:
        return _scaled_time(lines, rows[i][0], rows[i][1][col], scale, name)

    horizon = horizon_raw * scale
    max_ride = _scaled_time(lines, head_no, l_max, scale, "L")
    requests = [
        RideRequest(
            id=f"{i}-{n_req + i}",
            pickup=i,
            dropoff=n_req + i,
            party_size=load[i],
            board_s=t(i, 3, "s"),
            alight_s=t(n_req + i, 3, "s"),
            pickup_window=TimeWindow(t(i, 5, "e"), t(i, 6, "l")),
            arrive_earliest=t(n_req + i, 5, "e"),
            arrive_by=t(n_req + i, 6, "l"),
            max_ride_s=max_ride,
        )
        for i in range(1, n_req + 1)
    ]
    shift = TimeWindow(t(0, 5, "e"), min(horizon, t(end, 6, "l")))
    vehicles = [
        Vehicle(
            id=f"v{k + 1}",
            start=0,
            end=end,
            shift=shift,
            capacity=(capacity, 0, 0),
            kind="bench",
            cost_per_hour=0,
            cost_per_km=COST_PER_KM,
            fixed_cost=0,
            max_duration_s=_scaled_time(lines, head_no, t_max, scale, "T"),
        )
        for k in range(n_vehicles)
    ]
    problem = _problem(lines, times, matrix, requests, vehicles, horizon, n_vehicles, 0)
    return BenchInstance(
        name=lines.path.stem,
        format="cordeau",
        path=lines.path,
        problem=problem,
        coords=coords,
        travel=dist,
        pairs=tuple((i, n_req + i) for i in range(1, n_req + 1)),
        scale=scale,
        n_vehicles=n_vehicles,
        capacity=capacity,
        service=service,
        windows=windows,
        time_rounding=time_rounding,
        max_ride=float(l_max),
        max_duration=float(t_max),
    )


def read_instance(
    path: Path | str,
    fmt: Format,
    *,
    scale: int | None = None,
    time_rounding: Rounding = "nearest",
) -> BenchInstance:
    """`read_lilim`, `read_sartori` or `read_cordeau`, with the format's default scale."""
    readers = {"lilim": read_lilim, "sartori": read_sartori, "cordeau": read_cordeau}
    if fmt not in readers:
        raise InputError(f"benchmark format must be one of {sorted(readers)}, got {fmt!r}")
    return readers[fmt](path, scale=scale or DEFAULT_SCALE[fmt], time_rounding=time_rounding)


# -- best-known solutions -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Bks:
    """A best-known solution: vehicles and distance (instance units).

    For Li & Lim and Sartori ``vehicles`` is the BKS's vehicle count (the first
    objective); for Cordeau it is the fleet size K of the instance, not a count to match.
    """

    instance: str
    vehicles: int | None
    cost: float
    requests: int | None = None
    solution_file: str | None = None
    source: str = ""
    verification: str = ""


def read_bks(directory: Path | str) -> dict[str, Bks]:
    """``bks.csv`` of a benchmark folder, by instance name; {} when there is none.

    Accepts the three layouts: Li & Lim (``instance,vehicles,distance,...,
    solution_file``), Cordeau (``instance,vehicles,requests,bks_cost,...,verification``)
    and Sartori (``instance,...,requests,...,bks_vehicles,bks_cost,...,
    bks_solution_file``).
    """
    path = Path(directory) / "bks.csv"
    if not path.is_file():
        return {}
    out: dict[str, Bks] = {}
    with path.open(newline="") as fh:
        reader = csv.DictReader(fh)
        fields = set(reader.fieldnames or ())
        cost_col = "distance" if "distance" in fields else "bks_cost"
        vehicles_col = "bks_vehicles" if "bks_vehicles" in fields else "vehicles"
        file_col = "bks_solution_file" if "bks_solution_file" in fields else "solution_file"
        missing = {"instance", cost_col} - fields
        if missing:
            raise InputError(f"{path}:1: missing column(s) {sorted(missing)}")
        for lineno, row in enumerate(reader, start=2):
            name = (row.get("instance") or "").strip()
            if not name:
                raise InputError(f"{path}:{lineno}: empty instance name")
            try:
                cost = float(row[cost_col])
                vehicles = _opt_int(row.get(vehicles_col))
                requests = _opt_int(row.get("requests"))
            except (TypeError, ValueError) as exc:
                raise InputError(f"{path}:{lineno}: {exc}") from None
            out[name] = Bks(
                instance=name,
                vehicles=vehicles,
                cost=cost,
                requests=requests,
                solution_file=(row.get(file_col) or "").strip() or None,
                source=(row.get("source") or row.get("bks_reference") or "").strip(),
                verification=(row.get("verification") or "").strip(),
            )
    return out


def _opt_int(value: str | None) -> int | None:
    if value is None or not value.strip():
        return None
    return int(value)


_ROUTE_RE = re.compile(r"^\s*Route\s+(\d+)\s*:(.*)$", re.IGNORECASE)


def read_lilim_solution(path: Path | str) -> list[list[int]]:
    """Task-id routes of a SINTEF-style solution file (lines ``Route k : ids...``)."""
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as exc:
        raise InputError(f"{path}: cannot read solution file ({exc})") from exc
    routes: list[list[int]] = []
    for lineno, line in enumerate(text.splitlines(), 1):
        m = _ROUTE_RE.match(line)
        if not m:
            continue
        try:
            routes.append([int(tok) for tok in m.group(2).split()])
        except ValueError:
            raise InputError(f"{path}:{lineno}: route holds a non-integer task id") from None
    if not routes:
        raise InputError(f"{path}: no 'Route k : ...' lines")
    return routes


def bks_solution_path(directory: Path | str, name: str, bks: Bks | None = None) -> Path | None:
    """The BKS route file of `name`: from the table's ``solution_file``, else by glob."""
    directory = Path(directory)
    if bks is not None and bks.solution_file:
        path = directory / bks.solution_file
        if path.is_file():
            return path
    hits = sorted((directory / "bks_solutions").glob(f"{name}.*"))
    return hits[0] if hits else None


# -- plans <-> task routes ------------------------------------------------------------


def plan_from_task_routes(
    instance: BenchInstance, routes: Sequence[Sequence[int]], *, stats: dict | None = None
) -> Plan:
    """A `Plan` serving node-id `routes` (depots excluded) on vehicles v1, v2, ...

    Each route is timed by the earliest-start schedule (leave at the shift start, start
    service at max(arrival, window start)), exact for the PDPTW. For the DARP it may
    break ride-time limits that a later schedule would meet. Requests visited by no
    route are reported unassigned (``not_selected``). Sequencing errors (a node twice,
    an unknown node, a drop-off without its pickup on the same route) raise InputError;
    schedule violations are left to the checker.
    """
    problem = instance.problem
    index = _node_index(instance)
    nonempty = [list(r) for r in routes if len(r)]
    if len(nonempty) > len(problem.vehicles):
        raise InputError(
            f"{instance.name}: {len(nonempty)} routes but only {len(problem.vehicles)} vehicles"
        )
    seen: set[int] = set()
    built = []
    for vehicle, route in zip(problem.vehicles, nonempty, strict=False):
        visits = []
        loc = vehicle.start
        t = vehicle.earliest_departure
        for node in route:
            if node not in index:
                raise InputError(
                    f"{instance.name}: route of {vehicle.id} visits unknown node {node}"
                )
            if node in seen:
                raise InputError(f"{instance.name}: node {node} is visited twice")
            seen.add(node)
            k, kind = index[node]
            task = problem.tasks[k]
            spec = task.stop(kind)
            assert spec is not None
            start = max(t + int(problem.time_s[loc, spec.location]), spec.window.start)
            step_kind = StepKind.PICKUP if kind is StopKind.PICKUP else StepKind.DROPOFF
            visits.append(Visit(step_kind, start, task))
            t = start + spec.service_s
            loc = spec.location
        for k in {index[n][0] for n in route}:
            p, d = instance.pairs[k]
            if p not in route or d not in route or route.index(p) > route.index(d):
                raise InputError(
                    f"{instance.name}: request {problem.tasks[k].id} is not picked up and "
                    f"delivered in that order by {vehicle.id}"
                )
        built.append(build_route(problem, vehicle, vehicle.earliest_departure, visits))
    unassigned = [
        Unassigned(problem.tasks[k].id, UnassignedReason.NOT_SELECTED, "in no route")
        for k, (p, _) in enumerate(instance.pairs)
        if p not in seen
    ]
    return build_plan(problem, built, unassigned, stats)


def task_routes(plan: Plan) -> list[list[int]]:
    """Node ids (= matrix locations) of each non-empty route, depots excluded."""
    out = []
    for route in plan.routes:
        nodes = [
            int(s.location)
            for s in route.steps
            if s.kind in (StepKind.PICKUP, StepKind.DROPOFF) and s.location is not None
        ]
        if nodes:
            out.append(nodes)
    return out


def _as_routes(instance: BenchInstance, routes: Plan | Sequence[Sequence[int]]) -> list[list[int]]:
    if isinstance(routes, Plan):
        return task_routes(routes)
    return [list(r) for r in routes if len(r)]


def true_cost(instance: BenchInstance, routes: Plan | Sequence[Sequence[int]]) -> float:
    """Total length (Euclidean, or Sartori's matrix), in double precision and instance
    units, of `routes` (node-id lists without depots, or a Plan), each from the start
    depot to the end depot. This is the figure comparable with the best-known tables."""
    vehicle = instance.problem.vehicles[0]
    total = 0.0
    for route in _as_routes(instance, routes):
        path = [vehicle.start, *route, vehicle.end]
        for a, b in itertools.pairwise(path):
            total += float(instance.travel[a, b])
    return total


@dataclass(frozen=True, slots=True)
class ExactViolation:
    """A breach found on the unrounded plane: kind, amount (instance units), where.

    Kinds: ``time_window`` (late by), ``shift_end`` (back at the depot late by),
    ``capacity`` (load over), ``pairing`` (a stop without its sibling before/after it
    on the route; amount 1), ``ride_time`` / ``route_duration`` (the least amount by
    which L / T would have to grow for some schedule of the route to fit).
    """

    kind: str
    amount: float
    route: int
    node: int | None
    message: str

    def __str__(self) -> str:
        return f"{self.kind} [{self.amount:.6g}]: {self.message}"


def exact_violations(
    instance: BenchInstance, routes: Plan | Sequence[Sequence[int]], *, tol: float = EXACT_TOL
) -> list[ExactViolation]:
    """Violations of the route *sequences* on the unrounded plane, in double precision.

    The plan's own (integer) times are ignored: a sequence is feasible when some
    schedule of it is. Windows and the return to the depot are checked on the
    earliest-start schedule (leave at the depot's opening, start each service at
    ``max(arrival, window start)``), which is late only where every schedule is; that
    settles the PDPTW. For the DARP, ride-time (L) and route-duration (T) limits then
    form a system of difference constraints over the service starts, solved exactly
    (Bellman-Ford); when it has no solution, the amount is the least growth of L (or T)
    that would give it one. Every limit gets `tol` instance units of slack.
    An empty list means the routes are feasible without any rounding.
    """
    out: list[ExactViolation] = []
    for r_no, route in enumerate(_as_routes(instance, routes), start=1):
        found = _sequence_violations(instance, route, r_no, tol)
        timed = not any(v.kind in ("time_window", "shift_end") for v in found)
        if timed and (instance.max_ride is not None or instance.max_duration is not None):
            found += _ride_and_duration(instance, route, r_no, tol)
        out += found
    return out


def _sequence_violations(
    instance: BenchInstance, route: list[int], r_no: int, tol: float
) -> list[ExactViolation]:
    """Pairing, capacity, and windows on the earliest-start schedule, of one route."""
    index = _node_index(instance)
    vehicle = instance.problem.vehicles[0]
    win, serv = instance.windows, instance.service
    tag = f"route {r_no}"
    found: list[ExactViolation] = []

    def add(kind: str, amount: float, node: int | None, message: str) -> None:
        found.append(ExactViolation(kind, float(amount), r_no, node, f"{tag}: {message}"))

    def hop(a: int, b: int) -> float:
        return float(instance.travel[a, b])

    loc, t, load = vehicle.start, float(win[vehicle.start, 0]), 0
    picked: set[int] = set()
    delivered: set[int] = set()
    for node in route:
        if node not in index:
            raise InputError(f"{instance.name}: {tag} visits unknown node {node}")
        start = max(t + hop(loc, node), float(win[node, 0]))
        if start > win[node, 1] + tol:
            add(
                "time_window",
                start - win[node, 1],
                node,
                f"node {node} starts at {start:.6f} > window end {win[node, 1]:g}",
            )
        k, kind = index[node]
        demand = instance.problem.tasks[k].load[0]
        if kind is StopKind.PICKUP:
            load += demand
            picked.add(k)
            if load > instance.capacity:
                add(
                    "capacity",
                    load - instance.capacity,
                    node,
                    f"load {load} > capacity {instance.capacity} at node {node}",
                )
        else:
            load -= demand
            if k in picked:
                delivered.add(k)
            else:
                add("pairing", 1, node, f"node {node} delivered before its pickup")
        t = start + serv[node]
        loc = node
    for k in sorted(picked - delivered):
        p_node = instance.pairs[k][0]
        add("pairing", 1, p_node, f"node {p_node} picked up, never delivered")
    end = t + hop(loc, vehicle.end)
    close = float(win[vehicle.end, 1])
    if end > close + tol:
        add("shift_end", end - close, None, f"back at {end:.6f} > depot close {close:g}")
    return found


def _ride_and_duration(
    instance: BenchInstance, route: list[int], r_no: int, tol: float
) -> list[ExactViolation]:
    """DARP limits of one route whose windows alone can be met (see `exact_violations`)."""
    index = _node_index(instance)
    vehicle = instance.problem.vehicles[0]
    win, serv = instance.windows, instance.service
    nodes = [vehicle.start, *route, vehicle.end]
    m = len(nodes)  # variables 0..m-1 are service starts; m is the zero reference
    base: list[tuple[int, int, float]] = []  # (u, v, w): x_v - x_u <= w
    for i, node in enumerate(nodes):
        base.append((m, i, float(win[node, 1]) + tol))
        base.append((i, m, -float(win[node, 0])))
        if i:
            prev = nodes[i - 1]
            step = (serv[prev] if i > 1 else 0.0) + float(instance.travel[prev, node])
            base.append((i, i - 1, -step))
    pos = {node: i for i, node in enumerate(nodes) if 0 < i < m - 1}
    rides = []
    for node, i in pos.items():
        k, kind = index[node]
        if kind is StopKind.DROPOFF and instance.pairs[k][0] in pos:
            p = pos[instance.pairs[k][0]]
            rides.append((p, i, float(serv[nodes[p]])))

    def feasible(ride_extra: float | None, duration_extra: float | None) -> bool:
        edges = list(base)
        if ride_extra is not None and instance.max_ride is not None:
            edges += [(p, d, instance.max_ride + s + tol + ride_extra) for p, d, s in rides]
        if duration_extra is not None and instance.max_duration is not None:
            edges.append((0, m - 1, instance.max_duration + tol + duration_extra))
        return _no_negative_cycle(m + 1, edges)

    if feasible(0.0, 0.0):
        return []
    tag = f"route {r_no}"
    out = []
    if not feasible(0.0, None):
        amount = _least(lambda x: feasible(x, None))
        out.append(
            ExactViolation(
                "ride_time",
                amount,
                r_no,
                None,
                f"{tag}: no schedule keeps every ride within L "
                f"= {instance.max_ride:g}; L + {amount:.6g} would",
            )
        )
    if not feasible(None, 0.0):
        amount = _least(lambda x: feasible(None, x))
        out.append(
            ExactViolation(
                "route_duration",
                amount,
                r_no,
                None,
                f"{tag}: no schedule lasts at most T = "
                f"{instance.max_duration:g}; T + {amount:.6g} would",
            )
        )
    if not out:  # each limit can be met alone, not both together
        amount = _least(lambda x: feasible(x, x))
        out.append(
            ExactViolation(
                "ride_time",
                amount,
                r_no,
                None,
                f"{tag}: no schedule meets L and T together; both + {amount:.6g} would",
            )
        )
    return out


def _no_negative_cycle(n: int, edges: list[tuple[int, int, float]]) -> bool:
    """Bellman-Ford from every node at once: False when the constraints are infeasible."""
    dist = [0.0] * n
    for _ in range(n):
        changed = False
        for u, v, w in edges:
            if dist[u] + w < dist[v] - 1e-12:
                dist[v] = dist[u] + w
                changed = True
        if not changed:
            return True
    return False


def _least(ok: Callable[[float], bool], *, rel: float = 1e-9) -> float:
    """The least x >= 0 with ok(x) (monotone), by doubling then bisection."""
    hi = 1e-6
    while not ok(hi):
        hi *= 2
        if hi > 1e12:
            return math.inf
    lo = 0.0
    while hi - lo > rel * max(1.0, hi):
        mid = (lo + hi) / 2
        if ok(mid):
            hi = mid
        else:
            lo = mid
    return hi
