"""The JSON problem format, its schema, and `noriai solve`."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner

from dispatch.errors import InputError
from dispatch.io import SCHEMA_PATH, load_problem, problem_from_dict

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "small_day.json"


def example() -> dict:
    return json.loads(EXAMPLE.read_text(encoding="utf-8"))


def test_example_matches_the_schema_and_loads():
    doc = example()
    jsonschema.validate(doc, json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))
    problem = load_problem(EXAMPLE)
    assert len(problem.tasks) == 8 and len(problem.vehicles) == 2
    assert problem.vehicle("van-1").capacity == (3, 1, 4)


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (
            lambda d: d["rides"][0].update(pickup=99),
            r"ride 'R-001': pickup location 99 is not in the matrix",
        ),
        (
            lambda d: d["rides"][1].update(pickup_window=[500, 100]),
            r"rides\[1\].pickup_window.*before start",
        ),
        (lambda d: d["rides"][1].update(party="x"), r"rides\[1\]: unknown field"),
        (
            lambda d: d["rides"][1].update(party_size="2"),
            r"rides\[1\].party_size: must be an integer",
        ),
        (
            lambda d: d["vehicles"][0].update(capacity={"seats": 4, "bikes": 1}),
            r"vehicles\[0\].capacity: unknown",
        ),
        (lambda d: d["vehicles"][0].pop("shift"), r"vehicles\[0\].shift: required"),
        (lambda d: d["matrix"]["time_s"][0].append(5), r"matrix.time_s\[0\]: has 11 entries"),
        (
            lambda d: d["matrix"]["time_s"][1].__setitem__(2, -3),
            r"matrix.time_s\[1\]\[2\]: must be a non-negative",
        ),
        (lambda d: d["deliveries"][0].update(due_by=100), r"deliveries\[0\].*due_by"),
        (lambda d: d.update(extra=1), r"problem: unknown field"),
    ],
)
def test_bad_documents_name_the_json_path(mutate, message):
    doc = example()
    mutate(doc)
    with pytest.raises(InputError, match=message):
        problem_from_dict(doc)


def test_unreadable_files_are_input_errors(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(InputError, match="not valid JSON at line 1"):
        load_problem(bad)
    with pytest.raises(InputError, match="cannot read"):
        load_problem(tmp_path / "missing.json")


def test_cli_solve_writes_a_checked_plan(tmp_path):
    from api.cli import app

    out = tmp_path / "plan.json"
    result = CliRunner().invoke(
        app, ["solve", str(EXAMPLE), "--time-limit", "1", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "checker: plan is feasible" in result.output
    assert "engine 探索エンジン: native" in result.output  # the example has a lunch break
    plan = json.loads(out.read_text(encoding="utf-8"))
    assert plan["summary"]["served"] + plan["summary"]["unassigned"] == 8
    assert {r["vehicle"] for r in plan["routes"]} <= {"taxi-1", "van-1"}


def test_cli_solve_runs_the_chosen_engine_and_refuses_an_unknown_one(tmp_path):
    from api.cli import app

    out = tmp_path / "plan.json"
    args = ["solve", str(EXAMPLE), "--time-limit", "1", "--out", str(out)]
    result = CliRunner().invoke(app, [*args, "--engine", "ortools"])
    assert result.exit_code == 0, result.output
    assert "engine 探索エンジン: ortools" in result.output
    result = CliRunner().invoke(app, [*args, "--engine", "gurobi"])
    assert result.exit_code == 2 and "--engine must be one of" in result.output


def test_cli_solve_reports_input_errors_without_a_traceback(tmp_path):
    from api.cli import app

    doc = example()
    doc["rides"][0]["pickup"] = 99
    path = tmp_path / "p.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    result = CliRunner().invoke(app, ["solve", str(path)])
    assert result.exit_code == 2
    assert "location 99" in result.output
