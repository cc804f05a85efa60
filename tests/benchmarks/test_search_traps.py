"""Deep traps of the native search on the published sets, started from the trap itself.

The plans are ones the search ended on in 10-second runs (every seed), read as node ids;
a deterministic iteration budget makes each run one plan for a seed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.instances import plan_from_task_routes, read_bks, read_instance, true_cost
from dispatch import native
from dispatch.check import check_plan
from dispatch.result import build_plan

# lrc201, 4 routes, 3.45 % above the best known (1406.94): the request 36 -> 72 rides
# with the first route although the last one passes its door earlier, which it can only
# do by serving its first stops in another order (42, 36, 39, 72, 45, 5)
LRC201_TRAP = (
    (36, 72, 69, 82, 52, 83, 64, 19, 23, 21, 18, 76, 85, 84, 51, 49, 22, 20, 66, 56, 96, 54,
     37, 43, 35, 93, 91, 80),
    (65, 14, 47, 59, 75, 16, 15, 11, 12, 73, 78, 79, 7, 6, 8, 46, 3, 101, 4, 1, 55, 68),
    (92, 95, 63, 33, 28, 27, 29, 31, 30, 62, 67, 71, 90, 99, 57, 86, 87, 9, 53, 10, 97, 74,
     13, 17, 60, 100, 70, 102),
    (39, 42, 5, 45, 2, 98, 88, 61, 44, 40, 38, 41, 81, 94, 50, 34, 32, 26, 89, 48, 24, 25,
     77, 58),
)  # fmt: skip


@pytest.mark.parametrize("window", [0, 4])
def test_a_stalled_search_moves_a_request_into_a_route_it_reorders(
    lilim_dir: Path, window: int
) -> None:
    """From the lrc201 trap (its 4 routes kept), 1,100 LNS iterations: the search stalls
    after 1,000; with ``window`` 4 it then moves the request into the last route,
    reordering the stops around its pickup, and lands on the best known; without, it
    stays in the trap."""
    inst = read_instance(lilim_dir / "lrc201.txt", "lilim")
    bks = read_bks(lilim_dir)["lrc201"]
    initial = plan_from_task_routes(inst, LRC201_TRAP)
    assert check_plan(inst.problem, initial).ok()
    assert true_cost(inst, initial) == pytest.approx(1455.54, abs=0.01)
    params = {"lns_iterations": 1100, "window": window, "minimize_routes": False}
    result = native.solve_native(
        inst.problem, list(inst.problem.tasks), 60, seed=1, params=params, initial=initial
    )
    plan = build_plan(inst.problem, result.routes, [])
    assert check_plan(inst.problem, plan).ok()
    assert plan.summary.vehicles_used == bks.vehicles
    cost = true_cost(inst, plan)
    if window:
        assert result.stats["stall_escapes"] >= 1
        assert cost <= bks.cost * 1.001
    else:
        assert result.stats["stall_escapes"] == 0
        assert cost >= bks.cost * 1.03
