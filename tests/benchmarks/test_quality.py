"""The quality harness: summary arithmetic by hand, then ``--quick`` end to end.

The end-to-end runs solve 1-3 instances at 1 s each (plus VROOM and PyVRP on the PDPTW
sets), so each takes a few seconds; they skip when the shared data dir is absent (and
fail on CI). VROOM and PyVRP (pyvroom, pyvrp: the ``bench`` extra that ``make``
installs) are required.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from benchmarks.instances import (
    BenchInstance,
    Bks,
    default_instance_dir,
    plan_from_task_routes,
    read_cordeau,
    read_lilim,
)
from benchmarks.quality import (
    QUALITY_COLUMNS,
    SIDE_COLUMNS,
    VALIDATION_COLUMNS,
    _side,
    cli,
    parse_config,
    plan_engine,
    quality_summary,
    resolve_peers,
    run_quality,
    side_summary,
    solver_table,
)
from dispatch.errors import InputError

LILIM_DIR = default_instance_dir("lilim")
CORDEAU_DIR = default_instance_dir("cordeau")
#: Skip without the data set, fail on CI (tests/benchmarks/conftest.py).
needs_lilim = pytest.mark.usefixtures("lilim_dir")
needs_cordeau = pytest.mark.usefixtures("cordeau_dir")
needs_sartori = pytest.mark.usefixtures("sartori_dir")

TINY_LILIM = """\
2\t10\t1
0\t0\t0\t0\t0\t100\t0\t0\t0
1\t3\t4\t4\t0\t20\t2\t0\t2
2\t6\t8\t-4\t10\t40\t3\t1\t0
"""


def _app() -> typer.Typer:
    app = typer.Typer()
    app.command()(cli)
    return app


# -- by hand ------------------------------------------------------------------------------


def test_side_summary_by_hand() -> None:
    rows = [
        {"engine": "native", "vehicle_diff": 0, "gap_pct": 1.0, "unassigned": 0, "seconds": 1.0,
         "check_ok": True, "exact_ok": True, "exact_excess": 0.0, "valid": True,
         "bks_match": True},
        {"engine": "native", "vehicle_diff": 0, "gap_pct": 3.0, "unassigned": 0, "seconds": 2.0,
         "check_ok": True, "exact_ok": True, "exact_excess": 0.0, "valid": True,
         "bks_match": True},
        {"engine": "ortools", "vehicle_diff": 2, "gap_pct": None, "unassigned": 0,
         "seconds": 3.0, "check_ok": False, "exact_ok": False, "exact_excess": 0.004,
         "valid": False, "bks_match": False},
        # the BKS vehicle count, but a request left out: no match
        {"engine": "native", "vehicle_diff": 0, "gap_pct": None, "unassigned": 1,
         "seconds": 6.0, "check_ok": True, "exact_ok": True, "exact_excess": 0.0,
         "valid": False, "bks_match": False},
        # fewer vehicles than the BKS by leaving requests out: not "over", not a match
        {"engine": "native", "vehicle_diff": -1, "gap_pct": None, "unassigned": 3,
         "seconds": 3.0, "check_ok": True, "exact_ok": True, "exact_excess": 0.0,
         "valid": False, "bks_match": False},
    ]  # fmt: skip
    s = side_summary(rows, "ours", "", hierarchical=True)
    assert s == {
        "ours_complete": "3/5",
        "ours_valid": "2/5",
        "ours_bks_vehicles_matched": "2/5",
        "ours_vehicles_over_bks": 2,
        "ours_mean_gap_pct": 2.0,
        "ours_gap_runs": 2,
        "ours_max_gap_pct": 3.0,
        "ours_checker_clean": "4/5",
        "ours_exact_clean": "4/5",
        "ours_max_exact_excess": 0.004,
        "ours_mean_seconds": 3.0,
        "ours_engines": "native: 4, ortools: 1",
    }
    vrows = [{f"vroom_{k}": v for k, v in r.items()} for r in rows[:2]]
    v = side_summary(vrows, "vroom", "vroom_", hierarchical=False)
    assert v["vroom_complete"] == "2/2" and "vroom_bks_vehicles_matched" not in v
    assert v["vroom_checker_clean"] == "2/2" and v["vroom_mean_gap_pct"] == 2.0
    assert v["vroom_exact_clean"] == "2/2" and v["vroom_max_exact_excess"] == 0.0
    # without a checker (dispatch.check missing) "clean" is unknown, not a count
    assert (
        side_summary([{**rows[0], "check_ok": None}], "x", "", hierarchical=True)["x_checker_clean"]
        is None
    )


def _cols(engine: str, gap: float | None, seconds: float) -> dict:
    """One solver's hand-made Li & Lim columns: a match with `gap`, or one vehicle over."""
    return {
        "engine": engine,
        "vehicle_diff": 0 if gap is not None else 1,
        "gap_pct": gap,
        "unassigned": 0,
        "seconds": seconds,
        "check_ok": True,
        "exact_ok": True,
        "exact_excess": 0.0,
        "valid": True,
        "bks_match": gap is not None,
    }


def _run(
    instance: str,
    seed: int,
    gap: float | None,
    vgap: float | None,
    pgap: float | None = None,
    *,
    pyvrp: bool = False,
) -> dict:
    """A hand-made Li & Lim row: ours with `gap` (None: no match), VROOM with `vgap`,
    and with `pyvrp` PyVRP with `pgap`."""
    row = {"instance": instance, "seed": seed, **_cols("native", gap, 1.0)}
    row.update({f"vroom_{k}": v for k, v in _cols("vroom", vgap, 2.0).items()})
    if pyvrp:
        row.update({f"pyvrp_{k}": v for k, v in _cols("pyvrp", pgap, 1.5).items()})
    return row


def test_vroom_is_counted_once_per_instance_with_three_seeds() -> None:
    # VROOM matches a and c (its figures repeat on every seed's row) and misses b
    rows = [
        *(_run("a", s, 0.5, 2.0) for s in (1, 2, 3)),
        *(_run("b", s, 1.0, None) for s in (1, 2, 3)),
        *(_run("c", s, 0.0, 4.0) for s in (1, 2, 3)),
    ]
    s = quality_summary(rows, "lilim", instances=3, peers=("vroom",))
    assert (s["instances"], s["seeds"], s["runs"], s["vroom_runs"]) == (3, 3, 9, 3)
    assert s["ours_bks_vehicles_matched"] == "9/9"
    assert s["vroom_bks_vehicles_matched"] == "2/3"  # not 6/9
    assert s["vroom_vehicles_over_bks"] == 1  # not 3
    assert s["vroom_complete"] == "3/3" and s["vroom_gap_runs"] == 2
    assert s["vroom_engines"] == "vroom: 3"
    assert s["vroom_mean_gap_pct"] == 3.0 and s["vroom_mean_seconds"] == 2.0
    assert s["ours_mean_gap_pct_by_seed"] == "1: 0.5 / 2: 0.5 / 3: 0.5"
    rows_md, columns = solver_table(s)
    assert [r["solver"] for r in rows_md] == ["ours", "vroom"]
    assert rows_md[0]["counted over"] == "9 runs (3 instances x 3 seeds)"
    assert rows_md[1]["counted over"].startswith("3 instances (once each")
    assert rows_md[1]["BKS vehicles (valid)"] == "2/3"
    assert "mean gap % (all solvers reach BKS vehicles)" in columns


def test_mean_gap_where_ours_and_vroom_reach_the_bks_vehicles() -> None:
    rows = [
        *(_run("a", s, g, 2.0) for s, g in ((1, 0.5), (2, 1.5))),  # both: ours 0.5, 1.5
        *(_run("b", s, 1.0, None) for s in (1, 2)),  # VROOM misses the vehicles
        _run("c", 1, 3.0, 4.0),  # ours misses the vehicles in one seed: not in the set
        _run("c", 2, None, 4.0),
        *(_run("d", s, 0.0, 6.0) for s in (1, 2)),  # both
    ]
    s = quality_summary(rows, "lilim", instances=4, peers=("vroom",))
    assert s["all_bks_vehicles_instances"] == 2
    assert s["ours_mean_gap_pct_all"] == 0.5  # (0.5 + 1.5 + 0 + 0) / 4 runs of a and d
    assert s["vroom_mean_gap_pct_all"] == 4.0  # (2 + 6) / 2 instances
    # over everything with a gap: ours 7 runs, VROOM 3 instances
    assert s["ours_gap_runs"] == 7 and s["ours_mean_gap_pct"] == 1.0
    assert s["vroom_gap_runs"] == 3 and s["vroom_mean_gap_pct"] == 4.0
    nobody = quality_summary([_run("a", 1, None, 1.0)], "lilim", instances=1, peers=("vroom",))
    assert nobody["all_bks_vehicles_instances"] == 0
    assert nobody["ours_mean_gap_pct_all"] is None and nobody["vroom_mean_gap_pct_all"] is None
    cordeau = quality_summary([_run("a", 1, 0.2, None)], "cordeau", instances=1)
    assert "all_bks_vehicles_instances" not in cordeau and "vroom_runs" not in cordeau
    assert "ours_bks_vehicles_matched" not in cordeau
    assert [r["solver"] for r in solver_table(cordeau)[0]] == ["ours"]


def test_pyvrp_is_counted_per_seed_and_joins_the_fair_set() -> None:
    rows = [
        # a: everyone matches in every seed
        _run("a", 1, 0.5, 2.0, 1.0, pyvrp=True),
        _run("a", 2, 1.5, 2.0, 3.0, pyvrp=True),
        # b: PyVRP misses the vehicles in seed 2: b leaves the fair set
        _run("b", 1, 1.0, 2.0, 1.0, pyvrp=True),
        _run("b", 2, 1.0, 2.0, None, pyvrp=True),
        # c: everyone matches
        _run("c", 1, 0.0, 6.0, 0.0, pyvrp=True),
        _run("c", 2, 0.0, 6.0, 2.0, pyvrp=True),
    ]
    s = quality_summary(rows, "lilim", instances=3, peers=("vroom", "pyvrp"))
    assert s["vroom_runs"] == 3 and s["pyvrp_runs"] == 6  # VROOM once, PyVRP per seed
    assert s["pyvrp_bks_vehicles_matched"] == "5/6" and s["pyvrp_vehicles_over_bks"] == 1
    assert s["pyvrp_mean_gap_pct"] == 1.4  # (1 + 3 + 1 + 0 + 2) / 5
    assert s["pyvrp_mean_gap_pct_by_seed"] == "1: 0.667 / 2: 2.5"
    assert s["all_bks_vehicles_instances"] == 2  # a and c
    assert s["ours_mean_gap_pct_all"] == 0.5  # (0.5 + 1.5 + 0 + 0) / 4
    assert s["vroom_mean_gap_pct_all"] == 4.0  # (2 + 6) / 2 instances
    assert s["pyvrp_mean_gap_pct_all"] == 1.5  # (1 + 3 + 0 + 2) / 4
    table, _ = solver_table(s)
    assert [r["solver"] for r in table] == ["ours", "vroom", "pyvrp"]
    assert table[2]["counted over"] == "6 runs (3 instances x 2 seeds), seeded"
    assert table[2]["mean gap % (all solvers reach BKS vehicles)"] == "1.5 (on 2 instances)"
    # without PyVRP in the run, b's PyVRP columns do not matter
    s2 = quality_summary(rows, "lilim", instances=3, peers=("vroom",))
    assert s2["all_bks_vehicles_instances"] == 3 and "pyvrp_runs" not in s2


def test_peers_default_to_both_on_the_pdptw_sets_and_none_on_the_darp() -> None:
    assert resolve_peers("lilim", None, None) == ("vroom", "pyvrp")
    assert resolve_peers("sartori", None, None) == ("vroom", "pyvrp")
    assert resolve_peers("cordeau", None, None) == ()
    assert resolve_peers("lilim", None, False) == ("pyvrp",)  # --no-vroom keeps working
    assert resolve_peers("lilim", "pyvrp", None) == ("pyvrp",)
    assert resolve_peers("lilim", "pyvrp, vroom", None) == ("vroom", "pyvrp")
    assert resolve_peers("lilim", "none", None) == ()
    assert resolve_peers("lilim", ["vroom"], True) == ("vroom",)
    for fmt, peers, vroom, message in (
        ("lilim", "ortools", None, "unknown peer"),
        ("cordeau", "pyvrp", None, "not cordeau"),
        ("cordeau", None, True, "not cordeau"),
        ("lilim", "vroom", False, "contradicts"),
        ("lilim", "pyvrp", True, "contradicts"),
    ):
        with pytest.raises(InputError, match=message):
            resolve_peers(fmt, peers, vroom)


def test_gap_only_with_the_bks_vehicle_count(tmp_path: Path) -> None:
    path = tmp_path / "tiny.txt"
    path.write_text(TINY_LILIM)
    inst = read_lilim(path, scale=10)
    plan = plan_from_task_routes(inst, [[1, 2]])  # true cost 20, one vehicle
    same = _side(inst, plan, 0.5, Bks("tiny", 1, 16.0))
    assert (same["vehicles"], same["vehicle_diff"], same["cost"]) == (1, 0, 20.0)
    assert same["gap_pct"] == 25.0
    assert same["unassigned"] == 0 and same["exact_ok"] is True
    assert same["valid"] is True and same["bks_match"] is True
    fewer = _side(inst, plan, 0.5, Bks("tiny", 2, 40.0))
    assert fewer["vehicle_diff"] == -1 and fewer["gap_pct"] is None
    assert fewer["bks_match"] is False
    none = _side(inst, plan, 0.5, None)
    assert none["vehicle_diff"] is None and none["gap_pct"] is None and none["bks_match"] is None
    assert set(same) == set(SIDE_COLUMNS)


def test_an_incomplete_plan_with_the_bks_vehicles_is_no_match(tmp_path: Path) -> None:
    path = tmp_path / "two.txt"
    path.write_text(TINY_LILIM + "3\t3\t4\t1\t0\t90\t0\t0\t4\n4\t0\t0\t-1\t0\t95\t0\t3\t0\n")
    inst = read_lilim(path, scale=10)
    plan = plan_from_task_routes(inst, [[1, 2]])  # request 3-4 left out
    side = _side(inst, plan, 0.5, Bks("two", 1, 10.0))
    assert side["vehicle_diff"] == 0 and side["unassigned"] == 1
    assert side["complete"] is False and side["valid"] is False
    assert side["bks_match"] is False and side["gap_pct"] is None


def test_an_inexact_plan_with_the_bks_vehicles_is_no_match(tmp_path: Path) -> None:
    """At scale 1 the arc 0 -> (1, 1) rounds to 1 and meets the window [0, 1] on the
    integers; on the plane it arrives at 1.414: the checker passes, the exact check not."""
    path = tmp_path / "tight.txt"
    path.write_text("1\t10\t1\n0\t0\t0\t0\t0\t100\t0\t0\t0\n"
                    "1\t1\t1\t1\t0\t1\t0\t0\t2\n2\t2\t2\t-1\t0\t100\t0\t1\t0\n")  # fmt: skip
    inst = read_lilim(path, scale=1)
    plan = plan_from_task_routes(inst, [[1, 2]])
    side = _side(inst, plan, 0.5, Bks("tight", 1, 1.0))
    assert side["complete"] is True and side["check_ok"] is True and side["vehicle_diff"] == 0
    assert side["exact_ok"] is False
    assert side["exact_excess"] == pytest.approx(math.sqrt(2) - 1, abs=1e-6)
    assert side["valid"] is False and side["bks_match"] is False and side["gap_pct"] is None


def test_each_row_names_the_engine(tmp_path: Path) -> None:
    path = tmp_path / "tiny.txt"
    path.write_text(TINY_LILIM)
    inst = read_lilim(path, scale=10)
    for stats, engine in (
        ({"engine": "native", "solver": "phased"}, "native"),
        ({"solver": "ortools"}, "ortools"),  # before the solver names its engine
        (None, None),
    ):
        plan = plan_from_task_routes(inst, [[1, 2]], stats=stats)
        assert plan_engine(plan) == engine
        assert _side(inst, plan, 0.1, None)["engine"] == engine


def test_bad_requests(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        run_quality("lilim", tmp_path / "missing")
    (tmp_path / "lc101.txt").write_text(TINY_LILIM)
    with pytest.raises(InputError, match="no lilim instance named zz1"):
        run_quality("lilim", tmp_path, names=["zz1"])
    with pytest.raises(InputError, match="vroom is compared on"):
        run_quality("cordeau", tmp_path, vroom=True)
    with pytest.raises(InputError, match="seed"):
        run_quality("lilim", tmp_path, seeds=())
    result = CliRunner().invoke(_app(), ["--dir", str(tmp_path), "--seeds", "1,x"])
    assert isinstance(result.exception, InputError)
    result = CliRunner().invoke(_app(), ["--format", "cordeau", "--validate-bks"])
    assert result.exit_code != 0


def test_solver_config_is_validated_and_recorded(tmp_path: Path) -> None:
    assert parse_config('{"native": false}').native is False
    assert parse_config('{"native_params": {"eject_max": 2}}').native_params == {"eject_max": 2}
    for bad, message in (
        ("{nope", "not JSON"),
        ("[1]", "JSON object"),
        ('{"warp": 1}', "unknown field"),
    ):
        with pytest.raises(InputError, match=message):
            parse_config(bad)
    (tmp_path / "lc101.txt").write_text(TINY_LILIM)
    with pytest.raises(InputError, match="unknown field"):
        run_quality("lilim", tmp_path, config='{"warp": 1}')
    result = run_quality(
        "lilim", tmp_path, time_limit_s=0.2, vroom=False, config='{"native": false}'
    )
    assert result.params["config"] == '{"native": false}'
    assert result.rows[0]["check_ok"] is True and result.rows[0]["unassigned"] == 0


# -- end to end -------------------------------------------------------------------------------


def _load(out: Path) -> dict:
    assert out.is_file() and out.with_suffix(".md").is_file()
    return json.loads(out.read_text())


@needs_lilim
def test_validate_bks_cli(tmp_path: Path) -> None:
    out = tmp_path / "bks.json"
    result = CliRunner().invoke(_app(), ["--validate-bks", "--out", str(out)])
    assert result.exit_code == 0, result.output
    data = _load(out)
    assert len(data["rows"]) == 56
    assert set(VALIDATION_COLUMNS) <= set(data["rows"][0])
    assert all(r["reproduced"] and r["exact_ok"] for r in data["rows"])
    assert data["summary"]["reproduced"] == "56/56"
    assert data["summary"]["max_abs_diff"] < 1e-3
    assert data["summary"]["checker_clean"] == "56/56"
    md = out.with_suffix(".md").read_text()
    assert "| instance | routes |" in md and "lc101" in md


@needs_lilim
def test_quick_lilim_end_to_end(tmp_path: Path) -> None:
    out = tmp_path / "quick.json"
    result = CliRunner().invoke(_app(), ["--format", "lilim", "--quick", "--out", str(out)])
    assert result.exit_code == 0, result.output
    data = _load(out)
    assert data["params"]["time_limit_s"] == 1.0 and data["params"]["vroom"] is True
    assert data["params"]["peers"] == "vroom,pyvrp"
    assert [r["instance"] for r in data["rows"]] == ["lc101", "lr101", "lrc101"]
    for row in data["rows"]:
        assert set(QUALITY_COLUMNS) <= set(row)
        assert row["bks_vehicles"] is not None and row["cost"] > 0
        assert row["vroom_vehicles"] is not None and row["pyvrp_vehicles"] is not None
        assert row["engine"] and row["vroom_engine"] == "vroom"
        assert row["pyvrp_engine"] == "pyvrp"
        for prefix in ("", "vroom_", "pyvrp_"):
            assert row[f"{prefix}check_ok"] is True, row
            if row[f"{prefix}bks_match"]:
                assert row[f"{prefix}gap_pct"] is not None
            else:
                assert row[f"{prefix}gap_pct"] is None
    summary = data["summary"]
    for key in ("ours_bks_vehicles_matched", "ours_mean_gap_pct", "ours_checker_clean",
                "vroom_bks_vehicles_matched", "vroom_mean_seconds"):  # fmt: skip
        assert key in summary
    assert summary["vroom_runs"] == 3 and summary["vroom_engines"] == "vroom: 3"
    assert summary["pyvrp_runs"] == 3 and summary["pyvrp_engines"] == "pyvrp: 3"
    assert "all_bks_vehicles_instances" in summary and "pyvrp_mean_gap_pct_all" in summary
    md = out.with_suffix(".md").read_text()
    assert "## Summary" in md and "vroom_cost" in md and "pyvrp_cost" in md and "lrc101" in md
    assert "## By solver" in md and "3 instances (once each" in md and "seeded" in md
    assert "| engine |" in md or " engine |" in md


@needs_cordeau
def test_quick_cordeau_end_to_end(tmp_path: Path) -> None:
    out = tmp_path / "quick.json"
    result = CliRunner().invoke(_app(), ["--format", "cordeau", "--quick", "--out", str(out)])
    assert result.exit_code == 0, result.output
    data = _load(out)
    assert data["params"]["vroom"] is False and data["params"]["peers"] == "none"
    assert len(data["rows"]) == 3
    for row in data["rows"]:
        assert row["check_ok"] is True, row
        assert "vroom_cost" not in row and "pyvrp_cost" not in row
        if row["unassigned"] == 0:
            assert row["gap_pct"] is not None  # distance only: no vehicle condition
    md = out.with_suffix(".md").read_text()
    assert "vroom_cost" not in md and "pyvrp_cost" not in md


@needs_sartori
def test_sartori_with_both_peers_end_to_end(tmp_path: Path) -> None:
    out = tmp_path / "sartori.json"
    args = ["--format", "sartori", "--instances", "nyc-n100-2", "--time-limit", "1"]
    result = CliRunner().invoke(_app(), [*args, "--out", str(out)])
    assert result.exit_code == 0, result.output
    data = _load(out)
    assert data["params"]["scale"] == 60 and data["params"]["peers"] == "vroom,pyvrp"
    (row,) = data["rows"]
    assert (row["instance"], row["bks_vehicles"], row["bks_cost"]) == ("nyc-n100-2", 4, 563.0)
    for prefix in ("", "vroom_", "pyvrp_"):
        assert row[f"{prefix}check_ok"] is True, row
        # costs are sums of the matrix's integer minutes, never below the best known
        assert row[f"{prefix}cost"] == int(row[f"{prefix}cost"]) >= 563
        if row[f"{prefix}bks_match"]:
            assert row[f"{prefix}gap_pct"] == pytest.approx(
                100 * (row[f"{prefix}cost"] - 563) / 563, abs=1e-3
            )
    assert data["summary"]["pyvrp_runs"] == 1 and data["summary"]["vroom_runs"] == 1


@needs_sartori
def test_validate_sartori_bks_files(tmp_path: Path) -> None:
    out = tmp_path / "bks.json"
    args = ["--format", "sartori", "--validate-bks", "--out", str(out)]
    result = CliRunner().invoke(_app(), args)
    assert result.exit_code == 0, result.output
    data = _load(out)
    assert data["summary"]["files"] == 8
    for key in ("reproduced", "checker_clean", "exact_clean", "bks_vehicles_match"):
        assert data["summary"][key] == "8/8", key
    assert data["summary"]["max_abs_diff"] == 0.0  # integer minutes, exactly the table
    assert "Sartori & Buriol BKS route files" in out.with_suffix(".md").read_text()


@needs_lilim
def test_parallel_jobs_and_seeds(tmp_path: Path) -> None:
    out = tmp_path / "par.json"
    args = ["--instances", "lc101,lr201", "--seeds", "1,2", "--time-limit", "1", "--no-vroom"]
    result = CliRunner().invoke(_app(), [*args, "--jobs", "2", "--out", str(out)])
    assert result.exit_code == 0, result.output
    data = _load(out)
    assert [(r["instance"], r["seed"]) for r in data["rows"]] == [
        ("lc101", 1),
        ("lc101", 2),
        ("lr201", 1),
        ("lr201", 2),
    ]
    assert data["summary"]["runs"] == 4 and data["summary"]["instances"] == 2
    assert "vroom_complete" not in data["summary"]  # --no-vroom drops VROOM only
    assert data["summary"]["pyvrp_runs"] == 4 and data["params"]["peers"] == "pyvrp"


def test_a_failing_solve_becomes_an_error_row(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import dispatch.solver

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(dispatch.solver, "solve", broken)
    (tmp_path / "tiny.txt").write_text(TINY_LILIM)
    result = run_quality("lilim", tmp_path, time_limit_s=0.1, peers="none")
    (row,) = result.rows
    assert row["violations"] == "error: RuntimeError" and row["check_ok"] is False
    assert row["cost"] is None and row["bks_cost"] is None
    assert row["valid"] is False and row["complete"] is False
    assert result.summary["ours_checker_clean"] == "0/1"
    assert result.summary["ours_valid"] == "0/1" and result.summary["ours_complete"] == "0/1"


def test_vroom_on_a_tiny_instance(tmp_path: Path) -> None:
    from benchmarks.vroom_runner import solve_vroom
    from dispatch.check import check_plan

    path = tmp_path / "tiny.txt"
    path.write_text(TINY_LILIM)
    inst = read_lilim(path, scale=10)
    run = solve_vroom(inst, 1.0)
    assert run.routes == [[1, 2]] and run.unassigned == 0
    assert run.plan.summary.vehicles_used == 1
    # VROOM's cost: one fixed cost plus the scaled distance 200
    assert run.peer_cost == inst.problem.vehicles[0].fixed_cost + 200
    assert run.plan.stats["solver"] == "vroom"
    assert check_plan(inst.problem, run.plan).ok()
    with pytest.raises(InputError, match="lilim, sartori instances only"):
        solve_vroom(_tiny_cordeau(tmp_path), 1.0)


def _tiny_cordeau(tmp_path: Path) -> BenchInstance:
    cordeau = tmp_path / "a1-1.txt"
    cordeau.write_text(
        "1 1 90 3 30\n0 0 0 0 0 0 100\n1 3 4 1 1 0 50\n2 6 8 1 -1 0 90\n3 0 0 0 0 0 100\n"
    )
    return read_cordeau(cordeau, scale=10)


def test_pyvrp_on_a_tiny_instance(tmp_path: Path) -> None:
    from benchmarks.pyvrp_runner import pyvrp_data, solve_pyvrp
    from dispatch.check import check_plan

    path = tmp_path / "tiny.txt"
    path.write_text(TINY_LILIM)
    inst = read_lilim(path, scale=10)
    data = pyvrp_data(inst)
    assert data.num_shipments == 1 and data.num_clients == 0 and data.num_locations == 3
    (vtype,) = data.vehicle_types()
    assert vtype.num_available == 2 and vtype.capacity == [10]
    assert vtype.fixed_cost == inst.problem.vehicles[0].fixed_cost
    assert (vtype.tw_early, vtype.tw_late) == (0, 1000)
    ship = data.shipment(0)
    assert (ship.pickup.location, ship.delivery.location, ship.amount) == (1, 2, [4])
    # windows and service times scaled by 10, as our problem holds them
    assert (ship.pickup.tw_late, ship.delivery.tw_early, ship.delivery.service_duration) == (
        200,
        100,
        30,
    )
    assert data.distance_matrix(0).tolist() == inst.problem.distance_m.tolist()
    assert data.duration_matrix(0).tolist() == inst.problem.time_s.tolist()
    run = solve_pyvrp(inst, 0.2, seed=3)
    assert run.routes == [[1, 2]] and run.unassigned == 0
    # PyVRP's cost: one fixed cost plus the scaled distance 200
    assert run.peer_cost == inst.problem.vehicles[0].fixed_cost + 200
    assert run.plan.stats["solver"] == "pyvrp" and run.plan.stats["seed"] == 3
    assert run.plan.stats["pyvrp_feasible"] is True
    assert check_plan(inst.problem, run.plan).ok()
    with pytest.raises(InputError, match="lilim, sartori instances only"):
        solve_pyvrp(_tiny_cordeau(tmp_path), 0.2)
    with pytest.raises(InputError, match="time limit"):
        solve_pyvrp(inst, 0)
