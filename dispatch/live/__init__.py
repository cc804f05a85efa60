"""The live service day: instant quotes, promises that hold, events, overrides, audit.

`LiveDay` (`day.py`) is the public face; `DayState` (`state.py`) is the explicit state
it holds, and the other modules are functions over that state: `routes` (one refresh
keeps each route feasible; the live problem and plan), `ledger` (what callers were
promised, written once), `quotes`, `driving`, `repair`, `overrides`, `reopt` (the one
re-optimisation runner, used by the service and the simulation), `snapshot` and
`checking` (the independent checker on the plan, the ledger and the executed stops).
"""

from dispatch.events import ROUTED
from dispatch.live.day import LiveDay
from dispatch.live.ledger import Ledger, Promise
from dispatch.live.reopt import ReoptJob, ReoptOutcome, solve_in_worker, solve_job
from dispatch.live.routes import OffRouteBreak
from dispatch.live.snapshot import SNAPSHOT_FORMAT
from dispatch.live.state import (
    DayState,
    EarlyHandoverError,
    EarlyVisitError,
    HoldExpiredError,
    LiveConfig,
)

__all__ = [
    "ROUTED",
    "SNAPSHOT_FORMAT",
    "DayState",
    "EarlyHandoverError",
    "EarlyVisitError",
    "HoldExpiredError",
    "Ledger",
    "LiveConfig",
    "LiveDay",
    "OffRouteBreak",
    "Promise",
    "ReoptJob",
    "ReoptOutcome",
    "solve_in_worker",
    "solve_job",
]
