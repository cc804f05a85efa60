"""Running a CP-SAT model the way every CP-SAT adapter here does.

One worker and a fixed seed keep the search deterministic unless the wall-clock limit
cuts it short; an invalid model is our bug (`SolverError`), while "no solution found"
is returned as a status for the adapter to turn into data.
"""

from __future__ import annotations

from typing import Protocol

from ortools.sat.python import cp_model

from dispatch.errors import SolverError


class Limits(Protocol):
    """A search's limits (`dispatch.drones.DroneSearch`, `dispatch.shifts.ShiftSearch`)."""

    @property
    def time_limit_s(self) -> float: ...
    @property
    def workers(self) -> int: ...
    @property
    def seed(self) -> int: ...


def solve_model(
    model: cp_model.CpModel, limits: Limits, what: str
) -> tuple[cp_model.CpSolver, int]:
    """Solve ``model``; (solver, status). ``what`` names the model in errors ("drones")."""
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = float(limits.time_limit_s)
    solver.parameters.num_workers = limits.workers
    solver.parameters.random_seed = limits.seed
    status = solver.solve(model)
    if status == cp_model.MODEL_INVALID:
        raise SolverError(f"{what}: CP-SAT model invalid: {model.validate()}")
    return solver, status
