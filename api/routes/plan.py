"""Today's plan (運行計画) for the dispatch board, and re-optimisation (再最適化).

``GET /plan`` is the day as of now (holds expired, stops done), computed on a private
copy: looking never changes the day. Planners get it without names and with homes
rounded. ``POST /plan/reoptimise`` runs a full solve in a worker process while the
day stays open for bookings, then offers the result to the day as it is *then*.
"""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import (
    DateQuery,
    DispatcherUser,
    PlanUser,
    ReadSession,
    RuntimeDep,
    WriteSession,
    actor_of,
    today,
)
from api.live.views import DayView, risk_policy
from api.routes.common import problems
from api.schemas import PlanPublic, ReoptimiseRequest, ReoptOutcomePublic
from api.vocab import Role
from dispatch.live import solve_in_worker

router = APIRouter(prefix="/plan", tags=["plan"])


@router.get("", response_model=PlanPublic, responses=problems(422))
def read_plan(
    user: PlanUser, session: ReadSession, rt: RuntimeDep, service_date: DateQuery = None
) -> PlanPublic:
    """Every vehicle's route with its stops, unassigned bookings and broken promises."""
    day = service_date or today(rt)
    read = rt.days.read(session, day)
    personal = Role(user.role).sees_personal_data
    view = DayView.of(
        session, read, rt.clock, personal=personal, risk_policy=risk_policy(rt.settings)
    )
    return view.plan(read.version, read.now)


@router.post("/reoptimise", response_model=ReoptOutcomePublic, responses=problems(422, 503))
def reoptimise(
    user: DispatcherUser,
    session: WriteSession,
    rt: RuntimeDep,
    body: ReoptimiseRequest | None = None,
    service_date: DateQuery = None,
) -> ReoptOutcomePublic:
    """Improve the whole day with a full solve; accepted only if it keeps every promise."""
    day = service_date or today(rt)
    limit = (
        body.time_limit_s if body and body.time_limit_s else None
    ) or rt.settings.reopt_time_limit_s
    with rt.days.locked(session, day, actor_of(user)) as od:
        job = od.day().reopt_job()
    candidate = solve_in_worker(job, limit)
    with rt.days.locked(session, day, actor_of(user)) as od:
        live = od.day()
        outcome = (
            live.discard(job, candidate)
            if isinstance(candidate, str)
            else live.offer(job, candidate)
        )
    return ReoptOutcomePublic(
        accepted=outcome.accepted,
        reason=outcome.reason,
        cost_before=round(outcome.cost_before, 1),
        cost_after=round(outcome.cost_after, 1) if outcome.cost_after is not None else None,
        moved=outcome.moved,
        reinserted=outcome.reinserted,
    )
