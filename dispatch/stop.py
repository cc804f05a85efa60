"""Stopping criteria for `solve`: small objects that compose with ``|``.

``MaxRuntime(10) | NoImprovement(2)`` stops at whichever comes first. A criterion
only *describes* when to stop; the solver translates it to its own limits, so the
same objects serve OR-Tools and our own heuristics.
"""

from __future__ import annotations

from dataclasses import dataclass

from dispatch.errors import InputError


@dataclass(frozen=True, slots=True)
class StopCriterion:
    """Limits that end a search; ``None`` means "no limit of this kind"."""

    max_runtime_s: float | None = None
    no_improvement_s: float | None = None
    solution_limit: int | None = None
    first_solution: bool = False

    def __post_init__(self) -> None:
        for name in ("max_runtime_s", "no_improvement_s"):
            value = getattr(self, name)
            if value is not None and not value > 0:
                raise InputError(f"stop criterion: {name} must be > 0, got {value}")
        if self.solution_limit is not None and self.solution_limit < 1:
            raise InputError(
                f"stop criterion: solution_limit must be >= 1, got {self.solution_limit}"
            )

    def __or__(self, other: StopCriterion) -> StopCriterion:
        def least(a, b):
            return b if a is None else a if b is None else min(a, b)

        return StopCriterion(
            max_runtime_s=least(self.max_runtime_s, other.max_runtime_s),
            no_improvement_s=least(self.no_improvement_s, other.no_improvement_s),
            solution_limit=least(self.solution_limit, other.solution_limit),
            first_solution=self.first_solution or other.first_solution,
        )

    @property
    def is_bounded(self) -> bool:
        return (
            self.first_solution
            or self.max_runtime_s is not None
            or self.no_improvement_s is not None
            or self.solution_limit is not None
        )


def MaxRuntime(seconds: float) -> StopCriterion:
    """Stop after `seconds` of wall-clock search."""
    return StopCriterion(max_runtime_s=float(seconds))


def NoImprovement(seconds: float) -> StopCriterion:
    """Stop when the best plan has not improved for `seconds`."""
    return StopCriterion(no_improvement_s=float(seconds))


def SolutionLimit(n: int) -> StopCriterion:
    """Stop after `n` improving solutions: deterministic, unlike time limits."""
    return StopCriterion(solution_limit=int(n))


def FirstSolution() -> StopCriterion:
    """Return the construction heuristic's plan, without local search."""
    return StopCriterion(first_solution=True)
