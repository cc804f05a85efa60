"""The independent checker applied to a live day: its plan, its ledger, its history.

`check_day` runs `dispatch.check.check_plan` on the live problem and plan, and
`dispatch.check.check_promises` on the plan and every executed stop against the
promise ledger, excusing only the breaches the day reported as broken promises, and
`dispatch.drones.check_drone_schedule` on the day's flights (violations of kind
``drone``).
"""

from __future__ import annotations

from dispatch.check import CheckReport, Violation, check_plan, check_promises
from dispatch.events import BookingStatus
from dispatch.live.air import check_air, pending_handovers
from dispatch.live.routes import live_plan, live_problem
from dispatch.live.state import DayState
from dispatch.model import Problem
from dispatch.result import Plan

#: Statuses whose booking the rider (or an expired hold) ended: no promise binds.
ENDED = frozenset({BookingStatus.CANCELLED, BookingStatus.NO_SHOW, BookingStatus.EXPIRED})


def check_with_promises(s: DayState, problem: Problem, plan: Plan) -> CheckReport:
    """`plan` for `problem` checked on its own and against the day's ledger and history."""
    report = check_plan(problem, plan)
    promised = check_promises(
        plan,
        s.ledger,
        [*(d for stops in s.history.values() for d in stops), *s.air.history],
        ended=[b.id for b in s.bookings.values() if b.status in ENDED],
        excused=[(bp.booking_id, bp.what.value) for bp in s.broken],
        planned_elsewhere=pending_handovers(s),
    )
    flights = check_air(s)
    flown = (
        ()
        if flights is None
        else tuple(
            Violation("drone", v.amount, str(v), vehicle_id=v.drone_id, request_id=v.order_id)
            for v in flights.violations
        )
    )
    return CheckReport(report.violations + promised.violations + flown, report.cost)


def check_day(s: DayState) -> CheckReport:
    """The live plan and everything executed today, checked independently."""
    return check_with_promises(s, live_problem(s), live_plan(s))
