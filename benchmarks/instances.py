"""Benchmark instances as `dispatch` problems: Li & Lim PDPTW and Cordeau DARP.

The published instances live on the Euclidean plane with real-valued distances and
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

Node ids of the files are kept as matrix locations: location ``i`` is task ``i`` of a
Li & Lim file, node ``i`` of a Cordeau file (whose end depot ``2n + 1`` is a separate
location at the start depot's coordinates).
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

Format = Literal["lilim", "cordeau"]
Rounding = Literal["nearest", "ceil"]

#: Default integer factor for Li & Lim (lc2xx horizon 3 390 x 1000 <= MAX_HORIZON_S).
LILIM_SCALE = 1000
#: Default integer factor for Cordeau's a-series (horizon <= 1 440 x 1000).
CORDEAU_SCALE = 1000
DEFAULT_SCALE: dict[str, int] = {"lilim": LILIM_SCALE, "cordeau": CORDEAU_SCALE}
#: Yen per km such that a route's cost is its scaled distance (1 yen per scaled unit).
COST_PER_KM = 1000
#: Absolute tolerance (instance units) of the double-precision checks.
EXACT_TOL = 1e-6

DATA_SUBDIRS: dict[str, str] = {"lilim": "pdptw/lilim100", "cordeau": "darp/cordeau2006"}


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
    (3 numbers for Li & Lim, 5 for Cordeau), so notes and tables beside the instances
    (``ortools_sanity.txt``) are skipped.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise InputError(f"{directory}: benchmark directory does not exist")
    n_header = {"lilim": 3, "cordeau": 5}[fmt]
    found = []
    for path in directory.glob("*.txt"):
        with path.open() as fh:
            first = fh.readline().split()
        if len(first) == n_header and all(_is_number(tok) for tok in first):
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

    ``coords[i]`` is location ``i`` (= the file's node id) in instance units;
    ``pairs[k]`` the (pickup, delivery) node ids of ``problem.requests[k]``;
    ``scale`` the factor from instance units to the problem's ints; ``service`` and
    ``windows`` (rows ``[e, l]``) are per node, unscaled; ``max_ride`` and
    ``max_duration`` are the DARP's L and T (None for the PDPTW).
    """

    name: str
    format: Format
    path: Path
    problem: Problem
    coords: np.ndarray
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

    rows: list[tuple[int, list[float]]] = []
    for lineno, toks in lines.rows[1:]:
        vals = lines.numbers(lineno, toks, 9, "id x y demand e l s p d")
        if lines.integer(lineno, vals[0], "id") != len(rows):
            raise lines.error(lineno, f"task id {vals[0]:g} out of sequence, expected {len(rows)}")
        rows.append((lineno, vals))
    if len(rows) < 3:
        raise lines.error(None, "needs a depot and at least one pickup/delivery pair")
    n = len(rows)
    coords = np.array([[v[1], v[2]] for _, v in rows], dtype=np.float64)
    demand = [lines.integer(no, v[3], "demand") for no, v in rows]
    sib_p = [lines.integer(no, v[7], "p") for no, v in rows]
    sib_d = [lines.integer(no, v[8], "d") for no, v in rows]
    for no, v in rows:
        if v[5] < v[4]:
            raise lines.error(no, f"time window [{v[4]:g}, {v[5]:g}] is empty")
        if v[6] < 0:
            raise lines.error(no, f"service time must be >= 0, got {v[6]:g}")
    depot_no, depot = rows[0]
    horizon_raw = lines.integer(depot_no, depot[5], "depot l (horizon)")
    _check_horizon(lines, depot_no, horizon_raw, scale)
    horizon = horizon_raw * scale

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

    dist = euclidean(coords)
    matrix = scaled_matrix(dist, scale)
    times = scaled_matrix(dist, scale, time_rounding)
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
        format="lilim",
        path=lines.path,
        problem=problem,
        coords=coords,
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


def read_cordeau(
    path: Path | str, *, scale: int = CORDEAU_SCALE, time_rounding: Rounding = "nearest"
) -> BenchInstance:
    """Read a Cordeau DARP file (``K n T Q L``, depot 0, pickups 1..n, drop-offs
    n+1..2n, end depot 2n+1; node lines ``id x y s q e l``).

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
    n_req = lines.integer(head_no, n_f, "n (requests)")
    capacity = lines.integer(head_no, q_f, "Q (capacity)")
    if n_vehicles < 1 or n_req < 1 or capacity < 1 or t_max <= 0 or l_max <= 0:
        raise lines.error(head_no, "K, n, T, Q and L must all be positive")
    rows: list[tuple[int, list[float]]] = []
    for lineno, toks in lines.rows[1:]:
        vals = lines.numbers(lineno, toks, 7, "id x y s q e l")
        if lines.integer(lineno, vals[0], "id") != len(rows):
            raise lines.error(lineno, f"node id {vals[0]:g} out of sequence, expected {len(rows)}")
        rows.append((lineno, vals))
    n_nodes = 2 * n_req + 2
    if len(rows) != n_nodes:
        raise lines.error(None, f"expected {n_nodes} node lines for n={n_req}, got {len(rows)}")
    for no, v in rows:
        if v[6] < v[5]:
            raise lines.error(no, f"time window [{v[5]:g}, {v[6]:g}] is empty")
        if v[3] < 0:
            raise lines.error(no, f"service time must be >= 0, got {v[3]:g}")
    load = [lines.integer(no, v[4], "q") for no, v in rows]
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
    """`read_lilim` or `read_cordeau`, with the format's default scale."""
    if fmt not in DEFAULT_SCALE:
        raise InputError(f"benchmark format must be 'lilim' or 'cordeau', got {fmt!r}")
    reader = read_lilim if fmt == "lilim" else read_cordeau
    return reader(path, scale=scale or DEFAULT_SCALE[fmt], time_rounding=time_rounding)


# -- best-known solutions -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Bks:
    """A best-known solution: vehicles and distance (instance units).

    For Li & Lim ``vehicles`` is the BKS's vehicle count (the first objective); for
    Cordeau it is the fleet size K of the instance, not a count to match.
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

    Accepts both layouts: Li & Lim (``instance,vehicles,distance,...,solution_file``)
    and Cordeau (``instance,vehicles,requests,bks_cost,...,verification``).
    """
    path = Path(directory) / "bks.csv"
    if not path.is_file():
        return {}
    out: dict[str, Bks] = {}
    with path.open(newline="") as fh:
        reader = csv.DictReader(fh)
        fields = set(reader.fieldnames or ())
        cost_col = "distance" if "distance" in fields else "bks_cost"
        missing = {"instance", cost_col} - fields
        if missing:
            raise InputError(f"{path}:1: missing column(s) {sorted(missing)}")
        for lineno, row in enumerate(reader, start=2):
            name = (row.get("instance") or "").strip()
            if not name:
                raise InputError(f"{path}:{lineno}: empty instance name")
            try:
                cost = float(row[cost_col])
                vehicles = _opt_int(row.get("vehicles"))
                requests = _opt_int(row.get("requests"))
            except (TypeError, ValueError) as exc:
                raise InputError(f"{path}:{lineno}: {exc}") from None
            out[name] = Bks(
                instance=name,
                vehicles=vehicles,
                cost=cost,
                requests=requests,
                solution_file=(row.get("solution_file") or "").strip() or None,
                source=(row.get("source") or "").strip(),
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
    """Total Euclidean length, in double precision and instance units, of `routes`
    (node-id lists without depots, or a Plan), each from the start depot to the end
    depot. This is the figure comparable with the best-known tables."""
    vehicle = instance.problem.vehicles[0]
    xy = instance.coords
    total = 0.0
    for route in _as_routes(instance, routes):
        path = [vehicle.start, *route, vehicle.end]
        for a, b in itertools.pairwise(path):
            total += math.hypot(xy[b, 0] - xy[a, 0], xy[b, 1] - xy[a, 1])
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
    xy, win, serv = instance.coords, instance.windows, instance.service
    tag = f"route {r_no}"
    found: list[ExactViolation] = []

    def add(kind: str, amount: float, node: int | None, message: str) -> None:
        found.append(ExactViolation(kind, float(amount), r_no, node, f"{tag}: {message}"))

    def hop(a: int, b: int) -> float:
        return math.hypot(xy[b, 0] - xy[a, 0], xy[b, 1] - xy[a, 1])

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
    xy, win, serv = instance.coords, instance.windows, instance.service
    nodes = [vehicle.start, *route, vehicle.end]
    m = len(nodes)  # variables 0..m-1 are service starts; m is the zero reference
    base: list[tuple[int, int, float]] = []  # (u, v, w): x_v - x_u <= w
    for i, node in enumerate(nodes):
        base.append((m, i, float(win[node, 1]) + tol))
        base.append((i, m, -float(win[node, 0])))
        if i:
            prev = nodes[i - 1]
            step = (serv[prev] if i > 1 else 0.0) + math.hypot(
                xy[node, 0] - xy[prev, 0], xy[node, 1] - xy[prev, 1]
            )
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
