"""Dispatch errors: the shared hierarchy plus the solver's own failure type.

Infeasibility is data (unassigned requests with reasons), never an exception.
"""

from __future__ import annotations

from routing.errors import InputError, NoriaiError, RoutingError


class SolverError(NoriaiError):
    """The solver itself failed (not: "no feasible plan", which is a result)."""


__all__ = ["InputError", "NoriaiError", "RoutingError", "SolverError"]
