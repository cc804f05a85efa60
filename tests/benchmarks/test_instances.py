"""Benchmark readers: real Li & Lim / Sartori / Cordeau files, tiny hand-checkable files
(Cordeau in both published layouts), BKS.

The real files come from the shared data dir (``$NORIAI_DATA_DIR`` or
``<repo>/../shared/data``); those tests skip when it is absent.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from benchmarks.instances import (
    CORDEAU_SCALE,
    LILIM_SCALE,
    SARTORI_SCALE,
    BenchInstance,
    bks_solution_path,
    cordeau_layout,
    data_dir,
    default_instance_dir,
    euclidean,
    exact_violations,
    list_instances,
    plan_from_task_routes,
    read_bks,
    read_cordeau,
    read_instance,
    read_lilim,
    read_lilim_solution,
    read_sartori,
    scaled_matrix,
    task_routes,
    true_cost,
)
from dispatch.check import check_plan
from dispatch.errors import InputError
from dispatch.model import MAX_HORIZON_S
from dispatch.result import Plan, StepKind

LILIM_DIR = default_instance_dir("lilim")
CORDEAU_DIR = default_instance_dir("cordeau")
SARTORI_DIR = default_instance_dir("sartori")
#: Skip without the data set, fail on CI (tests/benchmarks/conftest.py).
needs_lilim = pytest.mark.usefixtures("lilim_dir")
needs_cordeau = pytest.mark.usefixtures("cordeau_dir")
needs_sartori = pytest.mark.usefixtures("sartori_dir")


def _lilim_bks_files() -> list[str]:
    """The BKS route files; without the data one placeholder, so that the test is
    collected and `needs_lilim` skips it (fails it on CI) instead of an empty set."""
    if not (LILIM_DIR / "bks_solutions").is_dir():
        return ["missing-data"]
    return sorted(p.name for p in (LILIM_DIR / "bks_solutions").glob("*.txt"))


# -- tiny hand-written files ------------------------------------------------------------

# Depot at the origin; request 1 -> 2 at (3, 4) -> (6, 8): legs 5, 5 and 10 back.
TINY_LILIM = """\
2\t10\t1
0\t0\t0\t0\t0\t100\t0\t0\t0
1\t3\t4\t4\t0\t20\t2\t0\t2
2\t6\t8\t-4\t10\t40\t3\t1\t0
"""

# Two requests, node 0 / 5 depots; 1 -> 3 and 2 -> 4.
TINY_CORDEAU = """\
1 2 90 3 30
0 0.0 0.0 0 0 0 100
1 3.0 4.0 2 1 0 50
2 0.0 1.5 2 2 0 1440
3 6.0 8.0 2 -1 0 1440
4 0.0 3.0 2 -2 20 60
5 0.0 0.0 0 0 0 100
"""


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_tiny_lilim_matrix_requests_and_fleet(tmp_path: Path) -> None:
    inst = read_lilim(_write(tmp_path, "tiny.txt", TINY_LILIM), scale=10)
    p = inst.problem
    np.testing.assert_array_equal(p.time_s, [[0, 50, 100], [50, 0, 50], [100, 50, 0]])
    np.testing.assert_array_equal(p.distance_m, p.time_s)
    assert p.horizon_s == 1000
    (req,) = p.requests
    assert (req.id, req.pickup, req.dropoff, req.party_size) == ("1-2", 1, 2, 4)
    assert (req.board_s, req.alight_s) == (20, 30)
    assert (req.pickup_window.start, req.pickup_window.end) == (0, 200)
    assert (req.arrive_earliest, req.arrive_by) == (100, 400)
    # PDPTW has no ride limit: the request allows the whole horizon.
    assert p.tasks[0].max_ride_s == p.horizon_s
    assert len(p.vehicles) == 2
    for v in p.vehicles:
        assert v.capacity == (10, 0, 0)
        assert (v.start, v.end, v.shift.start, v.shift.end) == (0, 0, 0, 1000)
        assert v.cost_per_hour == 0
    # Vehicles first: one vehicle costs more than any total distance could.
    assert p.vehicles[0].fixed_cost > int(p.distance_m.max()) * (3 + 2)
    assert p.weights.excess_ride_per_hour == 0
    assert p.weights.unassigned_penalty > 2 * p.vehicles[0].fixed_cost
    assert inst.pairs == ((1, 2),)
    assert (inst.n_vehicles, inst.capacity, inst.scale) == (2, 10, 10)


def test_tiny_lilim_true_cost_and_earliest_schedule(tmp_path: Path) -> None:
    inst = read_lilim(_write(tmp_path, "tiny.txt", TINY_LILIM), scale=10)
    assert true_cost(inst, [[1, 2]]) == pytest.approx(20.0, abs=1e-12)
    assert true_cost(inst, []) == 0.0
    plan = plan_from_task_routes(inst, [[1, 2]])
    (route,) = plan.routes
    # leave 0, arrive 50 at the pickup, serve 20, arrive 120 at the delivery, back at 250
    assert [s.kind for s in route.steps] == [
        StepKind.START,
        StepKind.PICKUP,
        StepKind.DROPOFF,
        StepKind.END,
    ]
    assert [s.service_start for s in route.steps] == [0, 50, 120, 250]
    assert route.distance_m == 200
    assert plan.summary.vehicles_used == 1 and plan.summary.unassigned == 0
    assert plan.summary.cost == pytest.approx(inst.problem.vehicles[0].fixed_cost + 200)
    assert task_routes(plan) == [[1, 2]]
    assert true_cost(inst, plan) == pytest.approx(20.0)
    assert exact_violations(inst, plan) == []


def test_unvisited_request_is_unassigned(tmp_path: Path) -> None:
    inst = read_lilim(_write(tmp_path, "tiny.txt", TINY_LILIM), scale=10)
    plan = plan_from_task_routes(inst, [])
    assert plan.summary.unassigned == 1
    assert plan.unassigned[0].request_id == "1-2"


@pytest.mark.parametrize(
    ("routes", "message"),
    [
        ([[2, 1]], "in that order"),
        ([[1]], "in that order"),
        ([[1, 2, 1]], "twice"),
        ([[1, 7]], "unknown node 7"),
        ([[1, 2], [], [1], [2]], "routes but only 2 vehicles"),
    ],
)
def test_bad_task_routes_raise(tmp_path: Path, routes: list[list[int]], message: str) -> None:
    inst = read_lilim(_write(tmp_path, "tiny.txt", TINY_LILIM), scale=10)
    with pytest.raises(InputError, match=message):
        plan_from_task_routes(inst, routes)


def test_rounding_to_nearest_and_half_to_even() -> None:
    dist = euclidean(np.array([[0.0, 0.0], [1.0, 1.0], [0.25, 0.0], [0.75, 0.0]]))
    assert dist[0, 1] == math.sqrt(2.0)
    m = scaled_matrix(dist, 2)
    assert m.dtype == np.int64
    assert m[0, 1] == 3  # 2.83
    assert m[0, 2] == 0  # 0.5 -> 0 (half to even)
    assert m[0, 3] == 2  # 1.5 -> 2
    assert scaled_matrix(dist, 1000)[0, 1] == 1414


def test_exact_violations_catch_what_rounding_hides(tmp_path: Path) -> None:
    # Leg 0 -> 1 is 5.004 long, the window closes at 5: x100 rounds it to 500 (on time),
    # but on the plane the vehicle is 0.004 late.
    text = "1 10 1\n0 0 0 0 0 100 0 0 0\n1 5.004 0 1 0 5 0 0 2\n2 5.004 0 -1 0 100 0 1 0\n"
    inst = read_lilim(_write(tmp_path, "late.txt", text), scale=100)
    assert inst.problem.time_s[0, 1] == 500
    plan = plan_from_task_routes(inst, [[1, 2]])
    assert plan.routes[0].steps[1].service_start == 500
    (violation,) = exact_violations(inst, plan)
    assert (violation.kind, violation.route, violation.node) == ("time_window", 1, 1)
    assert violation.amount == pytest.approx(0.004)
    assert "node 1 starts at 5.004000 > window end 5" in str(violation)
    assert exact_violations(inst, plan, tol=0.01) == []
    # Travel times rounded up: the integer model sees the lateness too; distances stay.
    up = read_lilim(tmp_path / "late.txt", scale=100, time_rounding="ceil")
    assert up.problem.time_s[0, 1] == 501 and up.problem.distance_m[0, 1] == 500
    assert up.time_rounding == "ceil"
    assert plan_from_task_routes(up, [[1, 2]]).routes[0].steps[1].service_start == 501


def test_exact_violations_pairing_capacity_and_shift(tmp_path: Path) -> None:
    inst = read_lilim(_write(tmp_path, "tiny.txt", TINY_LILIM), scale=10)
    kinds = [(v.kind, v.node) for v in exact_violations(inst, [[2, 1]])]
    assert kinds == [("pairing", 2), ("pairing", 1)]
    # The depot closes at 20: out at 0, pickup at 5, delivery at 12, back at 15 + 10 = 25.
    short = TINY_LILIM.replace("0\t0\t0\t0\t0\t100", "0\t0\t0\t0\t0\t20")
    inst = read_lilim(_write(tmp_path, "short.txt", short), scale=10)
    (v,) = exact_violations(inst, [[1, 2]])
    assert (v.kind, v.node, v.amount) == ("shift_end", None, pytest.approx(5.0))
    two = "1 10 1\n0 0 0 0 0 100 0 0 0\n1 1 0 6 0 100 0 0 3\n2 2 0 6 0 100 0 0 4\n"
    two += "3 3 0 -6 0 100 0 1 0\n4 4 0 -6 0 100 0 2 0\n"
    inst = read_lilim(_write(tmp_path, "two.txt", two), scale=10)
    assert exact_violations(inst, [[1, 3, 2, 4]]) == []
    (v,) = exact_violations(inst, [[1, 2, 3, 4]])
    assert (v.kind, v.node, v.amount) == ("capacity", 2, 2.0)


def test_tiny_cordeau(tmp_path: Path) -> None:
    inst = read_cordeau(_write(tmp_path, "a1-2.txt", TINY_CORDEAU), scale=10)
    p = inst.problem
    assert p.n_locations == 6
    assert p.time_s[0, 1] == 50 and p.time_s[1, 3] == 50 and p.time_s[3, 5] == 100
    assert p.time_s[0, 5] == 0  # the end depot sits on the start depot
    assert p.time_s[0, 2] == 15 and p.time_s[2, 4] == 15
    assert [r.id for r in p.requests] == ["1-3", "2-4"]
    r1, r2 = p.requests
    assert (r1.party_size, r2.party_size) == (1, 2)
    assert (r1.board_s, r1.alight_s) == (20, 20)
    assert (r1.pickup_window.start, r1.pickup_window.end) == (0, 500)
    assert (r2.arrive_earliest, r2.arrive_by) == (200, 600)
    assert all(t.max_ride_s == 300 for t in p.tasks)
    (v,) = p.vehicles
    assert (v.start, v.end, v.shift.start, v.shift.end) == (0, 5, 0, 1000)
    assert (v.capacity, v.max_duration_s, v.fixed_cost, v.cost_per_hour) == ((3, 0, 0), 900, 0, 0)
    assert p.horizon_s == 1000
    assert (inst.max_ride, inst.max_duration) == (30.0, 90.0)
    # 0 -> 2 -> 1 -> 4 -> 3 -> 5, leg by leg
    legs = [1.5, math.hypot(3, 2.5), math.hypot(3, 1), math.hypot(6, 5), 10.0]
    assert true_cost(inst, [[2, 1, 4, 3]]) == pytest.approx(sum(legs))
    plan = plan_from_task_routes(inst, [[2, 1, 4, 3]])
    assert plan.summary.unassigned == 0
    assert plan.summary.cost == pytest.approx(plan.summary.distance_m)
    assert exact_violations(inst, plan) == []


def test_cordeau_exact_ride_time_and_duration(tmp_path: Path) -> None:
    # L = 10. Serving request 2 (node 2 -> 4) around request 1 takes at least
    # |2-1| + 2 + |1-3| + 2 + |3-4| on board, whenever the vehicle starts.
    text = TINY_CORDEAU.replace("1 2 90 3 30", "1 2 90 3 10")
    inst = read_cordeau(_write(tmp_path, "a1-2.txt", text), scale=10)
    (violation,) = exact_violations(inst, [[2, 1, 3, 4]])
    assert (violation.kind, violation.node, violation.route) == ("ride_time", None, 1)
    ride = math.hypot(3, 2.5) + 2 + 5 + 2 + math.hypot(6, 5)
    assert violation.amount == pytest.approx(ride - 10, abs=1e-6)
    # 0 -> 2 -> 4 -> 1 -> 3 -> 0: leaving at 0, request 2 would wait on board for node 4
    # to open at 20 (ride 16.5 > 10), but a schedule leaving at 15 rides 1.5.
    assert exact_violations(inst, [[2, 4, 1, 3]]) == []
    plan = plan_from_task_routes(inst, [[2, 4, 1, 3]])  # earliest start: too long a ride
    assert not check_plan(inst.problem, plan).ok()
    assert exact_violations(inst, plan) == []  # the sequence is what counts
    # T = 20: that route lasts at least 1.5 + 2 + 1.5 + 2 + |4-1| + 2 + 5 + 2 + 10.
    text = TINY_CORDEAU.replace("1 2 90 3 30", "1 2 20 3 10")
    inst = read_cordeau(_write(tmp_path, "a1-2t.txt", text), scale=10)
    (violation,) = exact_violations(inst, [[2, 4, 1, 3]])
    assert violation.kind == "route_duration"
    assert violation.amount == pytest.approx(26 + math.hypot(3, 1) - 20, abs=1e-6)


# -- bad files -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("", None, "empty file"),
        ("2 10\n", 1, "expected 3 fields"),
        ("2 x 1\n", 1, "'x' is not a number"),
        ("2 10 1\n0 0 0 0 0 100 0 0 0\n1 3 4 4 0 20 2 0\n", 3, "expected 9 fields"),
        ("2 10 1\n0 0 0 0 0 100 0 0 0\n2 3 4 4 0 20 2 0 2\n", 3, "out of sequence"),
        (TINY_LILIM.replace("1\t3\t4\t4", "1\t3\t4\t4.5"), 3, "demand must be an integer"),
        (TINY_LILIM.replace("-4\t10", "-3\t10"), 3, "minus delivery 2's"),
        (TINY_LILIM.replace("0\t20\t2\t0\t2", "0\t20\t2\t0\t9"), 3, "sibling 9"),
        (TINY_LILIM.replace("0\t20\t2\t0\t2", "0\t20\t2\t0\t0"), 3, "exactly one of p, d"),
        (TINY_LILIM.replace("10\t40\t3", "50\t40\t3"), 4, "window [50, 40] is empty"),
        (TINY_LILIM.replace("2\t10\t1", "2\t3\t1"), 3, "exceeds capacity 3"),
    ],
)
def test_bad_lilim_files_name_file_and_line(
    tmp_path: Path, text: str, line: int | None, message: str
) -> None:
    path = _write(tmp_path, "bad.txt", text)
    where = f"{path}:{line}: " if line is not None else f"{path}: "
    with pytest.raises(InputError) as info:
        read_lilim(path, scale=10)
    assert str(info.value).startswith(where)
    assert message in str(info.value)


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("1 2 90 3\n", 1, "expected 5 fields"),
        ("\n".join(TINY_CORDEAU.splitlines()[:-1]) + "\n", None, "fits neither Cordeau layout"),
        (TINY_CORDEAU.replace("3.0 4.0 2 1", "3.0 4.0 2 0"), 3, "load 0 must be > 0"),
        (TINY_CORDEAU.replace("0.0 3.0 2 -2", "0.0 3.0 2 -1"), 4, "minus drop-off 4's"),
        (
            TINY_CORDEAU.replace("0.0 1.5 2 2", "0.0 1.5 2 5").replace("2 -2", "2 -5"),
            4,
            "exceeds capacity 3",
        ),
        (TINY_CORDEAU.replace("4 0.0 3.0 2 -2 20 60", "4 0.0 3.0 -2 -2 20 60"), 6, "service"),
        (TINY_CORDEAU.replace("4 0.0 3.0", "7 0.0 3.0"), 6, "out of sequence"),
    ],
)
def test_bad_cordeau_files_name_file_and_line(
    tmp_path: Path, text: str, line: int | None, message: str
) -> None:
    path = _write(tmp_path, "bad.txt", text)
    where = f"{path}:{line}: " if line is not None else f"{path}: "
    with pytest.raises(InputError) as info:
        read_cordeau(path, scale=10)
    assert str(info.value).startswith(where)
    assert message in str(info.value)


def test_missing_file_and_bad_scale(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read"):
        read_lilim(tmp_path / "nope.txt")
    path = _write(tmp_path, "tiny.txt", TINY_LILIM)
    with pytest.raises(InputError, match="scale must be an int >= 1"):
        read_lilim(path, scale=0)
    too_big = MAX_HORIZON_S // 100 + 1
    with pytest.raises(InputError, match=r"tiny.txt:2: horizon 100 x scale \d+ exceeds"):
        read_lilim(path, scale=too_big)


def test_problem_errors_are_reported_with_the_file(tmp_path: Path) -> None:
    # A pickup window entirely after the depot closes: Problem rejects it, we name the file.
    text = TINY_LILIM.replace("1\t3\t4\t4\t0\t20", "1\t3\t4\t4\t150\t200")
    path = _write(tmp_path, "late.txt", text)
    with pytest.raises(InputError, match=r"late.txt: .*outside the horizon"):
        read_lilim(path, scale=10)


# -- BKS tables and route files ------------------------------------------------------------


def test_read_bks_both_layouts_and_absent(tmp_path: Path) -> None:
    assert read_bks(tmp_path) == {}
    (tmp_path / "bks.csv").write_text(
        "instance,vehicles,distance,source,found_by,date,solution_file\n"
        "x1,3,591.5566,src,me,2003-01-01,bks_solutions/x1.3_591.5566.txt\n"
    )
    (x1,) = read_bks(tmp_path).values()
    assert (x1.instance, x1.vehicles, x1.cost) == ("x1", 3, 591.5566)
    assert x1.solution_file == "bks_solutions/x1.3_591.5566.txt"
    (tmp_path / "bks.csv").write_text(
        "instance,vehicles,requests,bks_cost,source,verification\n"
        'a2-16,2,16,294.25,"a, b",corroborated\n'
    )
    (a2,) = read_bks(tmp_path).values()
    assert (a2.vehicles, a2.requests, a2.cost, a2.source) == (2, 16, 294.25, "a, b")
    (tmp_path / "bks.csv").write_text("instance,vehicles,distance\nx1,three,5\n")
    with pytest.raises(InputError, match=r"bks.csv:2:"):
        read_bks(tmp_path)
    (tmp_path / "bks.csv").write_text("name,cost\n")
    with pytest.raises(InputError, match=r"bks.csv:1: missing column"):
        read_bks(tmp_path)


def test_read_lilim_solution(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "x.txt",
        "Instance name : x\nSolution\nRoute 1 : 3 1 4 2\nRoute  2 : 5 6\n\n",
    )
    assert read_lilim_solution(path) == [[3, 1, 4, 2], [5, 6]]
    bad = _write(tmp_path, "bad.txt", "Solution\nRoute 1 : 3 1\nRoute 2 : 4 x\n")
    with pytest.raises(InputError, match=r"bad.txt:3: route holds a non-integer"):
        read_lilim_solution(bad)
    with pytest.raises(InputError, match=r"none.txt: no 'Route k"):
        read_lilim_solution(_write(tmp_path, "none.txt", "Solution\n"))


def test_data_dir_from_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("NORIAI_DATA_DIR", str(tmp_path))
    assert data_dir() == tmp_path
    assert default_instance_dir("lilim") == tmp_path / "pdptw/lilim100"
    assert data_dir("/x") == Path("/x")
    monkeypatch.delenv("NORIAI_DATA_DIR")
    assert data_dir().parts[-2:] == ("shared", "data")
    with pytest.raises(InputError, match="format"):
        default_instance_dir("solomon")  # type: ignore[arg-type]


def test_list_instances_natural_order_and_header_filter(tmp_path: Path) -> None:
    for name in ("lc201", "lc101", "lr101", "lc1010"):
        _write(tmp_path, f"{name}.txt", TINY_LILIM)
    _write(tmp_path, "notes.txt", "# not an instance\n")
    _write(tmp_path, "a2-16.txt", TINY_CORDEAU)
    assert [p.stem for p in list_instances(tmp_path, "lilim")] == [
        "lc101",
        "lc201",
        "lc1010",
        "lr101",
    ]
    assert [p.stem for p in list_instances(tmp_path, "cordeau")] == ["a2-16"]
    with pytest.raises(InputError, match="does not exist"):
        list_instances(tmp_path / "missing", "lilim")


# -- the real files ----------------------------------------------------------------------------


@needs_lilim
def test_real_lilim_lc101() -> None:
    inst = read_lilim(LILIM_DIR / "lc101.txt")
    p = inst.problem
    assert inst.scale == LILIM_SCALE
    assert (inst.n_requests, inst.n_vehicles, inst.capacity) == (53, 25, 200)
    assert len(p.requests) == 53 and len(p.vehicles) == 25
    assert p.n_locations == 107
    assert p.horizon_s == 1236 * LILIM_SCALE
    assert all(v.capacity == (200, 0, 0) for v in p.vehicles)
    # task 3 (40+2, 50+16 from the depot): pickup of 75, demand 10, [65, 146], service 90
    req = p.requests[[r.id for r in p.requests].index("3-75")]
    assert (req.party_size, req.board_s) == (10, 90 * LILIM_SCALE)
    assert (req.pickup_window.start, req.pickup_window.end) == (65 * LILIM_SCALE, 146 * LILIM_SCALE)
    assert p.time_s[0, 3] == round(math.hypot(2, 16) * LILIM_SCALE)


@needs_lilim
def test_every_lilim_instance_builds() -> None:
    paths = list_instances(LILIM_DIR, "lilim")
    assert len(paths) == 56
    for path in paths:
        inst = read_lilim(path)
        assert inst.n_requests == len(inst.problem.requests) > 0
        assert inst.problem.horizon_s <= MAX_HORIZON_S


@needs_cordeau
def test_real_cordeau_a2_16_and_all() -> None:
    inst = read_cordeau(CORDEAU_DIR / "a2-16.txt")
    p = inst.problem
    assert inst.scale == CORDEAU_SCALE
    assert (inst.n_requests, inst.n_vehicles, inst.capacity) == (16, 2, 3)
    assert p.n_locations == 34
    assert all(t.max_ride_s == 30 * CORDEAU_SCALE for t in p.tasks)
    assert all(v.max_duration_s == 480 * CORDEAU_SCALE for v in p.vehicles)
    assert all((v.start, v.end) == (0, 33) for v in p.vehicles)
    t9 = p.task("9-25")
    assert (t9.pickup.window.start, t9.pickup.window.end) == (
        276 * CORDEAU_SCALE,
        291 * CORDEAU_SCALE,
    )
    # the open [0, 1440] windows are clipped to the depot's [0, 480]
    assert p.task("1-17").pickup.window.end == 480 * CORDEAU_SCALE
    paths = list_instances(CORDEAU_DIR, "cordeau")
    assert len(paths) == 24  # ortools_sanity.txt is not an instance
    bks = read_bks(CORDEAU_DIR)
    for path in paths:
        inst = read_cordeau(path)
        assert bks[inst.name].requests == inst.n_requests
        assert bks[inst.name].vehicles == inst.n_vehicles


@needs_lilim
def test_lilim_bks_table() -> None:
    bks = read_bks(LILIM_DIR)
    assert len(bks) == 56
    assert (bks["lc101"].vehicles, bks["lc101"].cost) == (10, 828.9369)
    assert bks_solution_path(LILIM_DIR, "lc101", bks["lc101"]).name == "lc101.10_828.9369.txt"
    assert bks_solution_path(LILIM_DIR, "lc101").name == "lc101.10_828.9369.txt"
    assert bks_solution_path(LILIM_DIR, "zz999") is None


@needs_lilim
@pytest.mark.parametrize("solution", _lilim_bks_files())
def test_lilim_bks_solution_is_feasible_and_reproduces_distance(solution: str) -> None:
    name = solution.split(".")[0]
    inst = read_lilim(LILIM_DIR / f"{name}.txt")
    bks = read_bks(LILIM_DIR)[name]
    routes = read_lilim_solution(LILIM_DIR / "bks_solutions" / solution)
    assert len(routes) == bks.vehicles
    plan = plan_from_task_routes(inst, routes)
    assert plan.summary.unassigned == 0
    assert plan.summary.vehicles_used == bks.vehicles
    report = check_plan(inst.problem, plan)
    assert report.ok(), [str(v) for v in report.violations][:5]
    assert true_cost(inst, routes) == pytest.approx(bks.cost, abs=1e-3)
    assert true_cost(inst, plan) == pytest.approx(bks.cost, abs=1e-3)
    assert exact_violations(inst, routes) == []


#: a2-16's MILP optimum (bks.csv: 294.25, corroborated), instance units.
A2_16_OPTIMUM = 294.2480


def _a2_16_solved(path: Path, seconds: float) -> tuple[BenchInstance, Plan]:
    from dispatch.solver import solve
    from dispatch.stop import MaxRuntime

    inst = read_cordeau(path)
    return inst, solve(inst.problem, MaxRuntime(seconds), seed=1)


@needs_cordeau
def test_a2_16_never_beats_its_proven_optimum() -> None:
    """A reader or solver looser than the published model would undercut the optimum.

    The solve must also end near the optimum (it reaches it in well under a second),
    so that the bound is actually probed: a search too weak to get there could never
    fail the first assertion.
    """
    inst, plan = _a2_16_solved(CORDEAU_DIR / "a2-16.txt", 1.0)
    assert plan.summary.unassigned == 0
    assert check_plan(inst.problem, plan).ok()
    assert exact_violations(inst, plan) == []
    cost = true_cost(inst, plan)
    assert cost >= A2_16_OPTIMUM - 1e-3
    assert cost <= A2_16_OPTIMUM * 1.01, f"{cost:.4f}: too far from the optimum to probe it"


@needs_cordeau
def test_the_optimum_guard_catches_a_looser_model(tmp_path: Path) -> None:
    """The guard above can fail: with the ride limit L doubled (what a reader that
    misread L would build) the same solve goes well below a2-16's optimum."""
    lines = (CORDEAU_DIR / "a2-16.txt").read_text().splitlines()
    head = lines[0].split()
    assert head[4] == "30"  # K n T Q L
    head[4] = "60"
    loose = tmp_path / "a2-16.txt"
    loose.write_text("\n".join([" ".join(head), *lines[1:]]) + "\n")
    inst, plan = _a2_16_solved(loose, 0.5)
    assert plan.summary.unassigned == 0 and check_plan(inst.problem, plan).ok()
    assert true_cost(inst, plan) < A2_16_OPTIMUM - 1.0


# -- Sartori & Buriol: explicit, asymmetric matrices ------------------------------------------

# Two requests, 1 -> 3 and 2 -> 4, on a hand-made asymmetric matrix in minutes. The
# depot closes at 120 but ROUTE-TIME is 100: routes end by 100. Node 3's window ends at
# 10, which 0 -> 1 -> 3 meets exactly (5 + 2 service + 3) and the transposed matrix
# would miss (5 + 2 + 4 = 11).
TINY_SARTORI = """\
NAME: tiny-n5
LOCATION: Nowhere
COMMENT:  hand-made, after Sartori and Buriol (2020)
TYPE: PDPTW
SIZE: 5
DISTRIBUTION: random
DEPOT: central
ROUTE-TIME: 100
TIME-WINDOW: 60
CAPACITY: 10
NODES
0 35.0 139.0 0 0 120 0 0 0
1 35.1 139.1 4 0 60 2 0 3
2 35.2 139.2 3 10 80 2 0 4
3 35.3 139.3 -4 0 10 3 1 0
4 35.4 139.4 -3 20 95 3 2 0
EDGES
0 5 7 9 11
6 0 4 3 8
8 5 0 6 2
10 4 7 0 5
12 9 3 6 0
EOF
"""


def test_tiny_sartori_matrix_requests_and_fleet(tmp_path: Path) -> None:
    inst = read_sartori(_write(tmp_path, "tiny-n5.txt", TINY_SARTORI))
    p = inst.problem
    assert (inst.name, inst.format, inst.scale) == ("tiny-n5", "sartori", SARTORI_SCALE)
    assert inst.travel[0].tolist() == [0, 5, 7, 9, 11] and inst.travel[1, 0] == 6
    # minutes as seconds, exactly; the objective's "distance" is the same matrix
    assert p.time_s.tolist() == (inst.travel * 60).astype(int).tolist()
    assert p.distance_m.tolist() == p.time_s.tolist()
    assert inst.pairs == ((1, 3), (2, 4))
    r1, r2 = p.requests
    assert (r1.id, r1.party_size, r2.party_size) == ("1-3", 4, 3)
    assert (r1.board_s, r1.alight_s) == (120, 180)
    assert (r2.pickup_window.start, r2.pickup_window.end) == (600, 4800)
    assert (r2.arrive_earliest, r2.arrive_by) == (1200, 5700)
    # unlimited fleet in the paper: one vehicle per request, working until ROUTE-TIME
    assert len(p.vehicles) == inst.n_vehicles == 2
    v = p.vehicles[0]
    assert (v.start, v.end, v.shift.start, v.shift.end, v.capacity) == (0, 0, 0, 6000, (10, 0, 0))
    assert v.fixed_cost > p.distance_m.max() * 7
    assert inst.coords[1].tolist() == [139.1, 35.1]  # (lon, lat), for display only
    assert read_instance(tmp_path / "tiny-n5.txt", "sartori").problem.time_s[0, 1] == 300


def test_tiny_sartori_cost_and_exact_check_follow_the_matrix_direction(tmp_path: Path) -> None:
    inst = read_sartori(_write(tmp_path, "tiny-n5.txt", TINY_SARTORI))
    assert true_cost(inst, [[1, 3]]) == 18.0  # 5 + 3 + 10; transposed 6 + 4 + 9 = 19
    assert true_cost(inst, [[1, 3], [2, 4]]) == 18.0 + 21.0
    assert exact_violations(inst, [[1, 3], [2, 4]]) == []
    plan = plan_from_task_routes(inst, [[1, 3], [2, 4]])
    assert check_plan(inst.problem, plan).ok() and plan.summary.unassigned == 0
    assert plan.summary.distance_m == 39 * 60
    # 2 first: node 3 is reached at 10 (start at 2) + 2 + 5 + 2 + 3 = 22 > 10, 12 late
    (late,) = exact_violations(inst, [[2, 1, 3, 4]])
    assert (late.kind, late.node, late.amount) == ("time_window", 3, 12.0)
    assert not check_plan(inst.problem, plan_from_task_routes(inst, [[2, 1, 3, 4]])).ok()


@pytest.mark.parametrize(
    ("edit", "line", "message"),
    [
        (("SIZE: 5\n", ""), None, "header has no SIZE"),
        (("SIZE: 5", "SIZE: 4"), 5, "SIZE must be 2 x requests + 1"),
        (("CAPACITY: 10", "CAPACITY: 0"), 10, "CAPACITY must be >= 1"),
        (("TYPE: PDPTW", "TYPE PDPTW"), 4, "expected 'KEY: value'"),
        (("EDGES\n", ""), 17, "expected EDGES after the 5 node lines"),
        (("6 0 4 3 8", "6 0 4 3"), 19, "EDGES row 1 has 4 entries, expected 5"),
        (("8 5 0 6 2", "8 5 0 -6 2"), 20, "negative time"),
        (("8 5 0 6 2", "8 5 0 6.5 2"), 20, "must be an integer"),
        (("EOF", "EOF\n1 2 3"), 24, "unexpected lines after EDGES"),
        (("3 35.3 139.3 -4", "3 35.3 139.3 -5"), 13, "minus delivery 3's"),
        (("2 35.2 139.2 3 10 80", "2 35.2 139.2 3 90 80"), 14, "is empty"),
    ],
)
def test_bad_sartori_files_name_file_and_line(
    tmp_path: Path, edit: tuple[str, str], line: int | None, message: str
) -> None:
    assert edit[0] in TINY_SARTORI
    path = _write(tmp_path, "bad.txt", TINY_SARTORI.replace(edit[0], edit[1], 1))
    where = f"{path}:{line}: " if line is not None else f"{path}: "
    with pytest.raises(InputError) as info:
        read_sartori(path)
    assert str(info.value).startswith(where), str(info.value)
    assert message in str(info.value)


def test_sartori_without_nodes_and_the_bks_layout(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no NODES section"):
        read_sartori(_write(tmp_path, "x.txt", "NAME: x\nSIZE: 5\n"))
    tmp_path = tmp_path / "set"
    tmp_path.mkdir()
    (tmp_path / "bks.csv").write_text(
        "instance,file,n_locations,requests,city,distribution,horizon,tw_width,service_time,"
        "capacity,depot,bks_vehicles,bks_cost,bks_reference,bks_date,bks_solution_file\n"
        "tiny-n5,tiny-n5.txt,5,2,Nowhere,random,100,60,2,10,central,2,39,SB,01-jan-20,"
        "bks_solutions/tiny-n5.2_39.txt\n"
    )
    (bks,) = read_bks(tmp_path).values()
    assert (bks.instance, bks.vehicles, bks.cost, bks.requests) == ("tiny-n5", 2, 39.0, 2)
    assert (bks.solution_file, bks.source) == ("bks_solutions/tiny-n5.2_39.txt", "SB")
    _write(tmp_path, "tiny-n5.txt", TINY_SARTORI)
    _write(tmp_path, "notes.txt", "3 4 5\n")
    assert [p.stem for p in list_instances(tmp_path, "sartori")] == ["tiny-n5"]


@needs_sartori
def test_every_sartori_sample_instance_reproduces_its_bks() -> None:
    table = read_bks(SARTORI_DIR)
    paths = list_instances(SARTORI_DIR, "sartori")
    assert len(paths) == 8 and len(table) == 8
    for path in paths:
        inst = read_sartori(path)
        bks = table[inst.name]
        assert inst.n_requests == bks.requests == 50 and inst.problem.n_locations == 101
        routes = read_lilim_solution(bks_solution_path(SARTORI_DIR, inst.name, bks))
        assert len(routes) == bks.vehicles
        plan = plan_from_task_routes(inst, routes)
        assert plan.summary.unassigned == 0
        assert check_plan(inst.problem, plan).ok(), inst.name
        assert exact_violations(inst, routes) == []
        assert true_cost(inst, routes) == bks.cost  # integer minutes: exactly
        assert plan.summary.distance_m == bks.cost * SARTORI_SCALE


# -- Cordeau & Laporte (2003): the other published layout -------------------------------------

# Three requests after the published description and pr01's shape: service 10 at every
# stop, outbound requests with a tight window on the drop-off, inbound ones on the pickup.
_NODES = """\
  0   -1.044    2.000  0  0    0 1440
  1   -2.973    6.414 10  1    0 1440
  2   -3.066    0.546 10  1  111  152
  3    5.164    0.547 10  2    0 1440
  4   -5.476    1.437 10 -1  258  287
  5   -4.933    3.337 10 -1    0 1440
  6    5.740    2.382 10 -2  209  252
"""
#: 2003 layout: "K N T Q L" with N the number of nodes (2n = 6, not the 3 requests), the
#: depot line 0 only at the start (routes return to it).
CORDEAU_2003 = "2 6 480 6 90\n" + _NODES
#: The same instance in the 2006 layout: n = 3 requests, and the closing depot line 7.
CORDEAU_2006 = "2 3 480 6 90\n" + _NODES + "  7   -1.044    2.000  0  0    0 1440\n"


def test_cordeau_2003_layout_reads_to_the_same_problem_as_2006(tmp_path: Path) -> None:
    old = read_cordeau(_write(tmp_path, "pr00.txt", CORDEAU_2003))
    new = read_cordeau(_write(tmp_path, "a2-3.txt", CORDEAU_2006))
    assert old.problem.requests == new.problem.requests
    assert old.problem.vehicles == new.problem.vehicles
    assert old.problem.horizon_s == new.problem.horizon_s == 1_440_000
    assert np.array_equal(old.problem.time_s, new.problem.time_s)
    assert np.array_equal(old.problem.distance_m, new.problem.distance_m)
    assert np.array_equal(old.coords, new.coords) and np.array_equal(old.travel, new.travel)
    assert np.array_equal(old.windows, new.windows)
    assert np.array_equal(old.service, new.service)
    assert old.pairs == new.pairs == ((1, 4), (2, 5), (3, 6))
    assert (old.max_ride, old.max_duration) == (new.max_ride, new.max_duration) == (90.0, 480.0)
    v = old.problem.vehicles[0]
    assert (len(old.problem.vehicles), v.end, v.max_duration_s) == (2, 7, 480_000)
    assert old.problem.requests[2].party_size == 2
    assert old.problem.requests[0].board_s == 10_000
    assert true_cost(old, [[1, 2, 4, 5], [3, 6]]) == true_cost(new, [[1, 2, 4, 5], [3, 6]])


def test_cordeau_layout_is_detected_explicitly() -> None:
    assert cordeau_layout(3, 8) == "2006"
    assert cordeau_layout(6, 7) == "2003"
    assert cordeau_layout(48, 49) == "2003"  # pr01: "3 48 480 6 90", 49 node lines
    assert cordeau_layout(16, 34) == "2006"  # a2-16
    assert cordeau_layout(6, 14) == "2006"  # 6 requests, not 6 nodes
    for header_n, lines in ((3, 4), (6, 8), (6, 6)):  # odd N; neither; neither
        with pytest.raises(InputError, match="fits neither Cordeau layout"):
            cordeau_layout(header_n, lines)


def test_cordeau_file_in_neither_layout_says_what_each_needs(tmp_path: Path) -> None:
    # the 2003 file with one drop-off missing: 6 lines for N = 6
    text = "\n".join(CORDEAU_2003.splitlines()[:-1]) + "\n"
    with pytest.raises(InputError) as info:
        read_cordeau(_write(tmp_path, "cut.txt", text))
    message = str(info.value)
    assert message.startswith(f"{tmp_path / 'cut.txt'}: ")
    assert "needs 14 node lines" in message and "needs 7" in message and "got 6" in message
    # a 2003 header whose N is odd cannot pair its nodes
    odd = CORDEAU_2003.replace("2 6 480", "2 5 480", 1)
    odd = "\n".join(odd.splitlines()[:-1]) + "\n"
    with pytest.raises(InputError, match="fits neither Cordeau layout"):
        read_cordeau(_write(tmp_path, "odd.txt", odd))
    # a depot line with a load is no depot
    loaded = CORDEAU_2006.replace("  7   -1.044    2.000  0  0", "  7   -1.044    2.000  0  1")
    with pytest.raises(InputError, match=r"loaded.txt:9: depot 7 must have load 0"):
        read_cordeau(_write(tmp_path, "loaded.txt", loaded))
