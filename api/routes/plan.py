"""Today's plan (運行計画) for the dispatch board, and re-optimisation (再最適化).

``GET /plan`` is the day as of now (holds expired, stops done), computed on a private
copy: looking never changes the day. Planners get it without names and with homes
rounded. ``POST /plan/reoptimise`` runs a full solve in a worker process while the
day stays open for bookings, then offers the result to the day as it is *then*.

Time travel: ``GET /plan/at?at=...`` is the plan as ``GET /plan`` showed it at an
earlier time of the day, rebuilt from the version stored at the last change before
it (`api.live.store.DayStore.read_at`); ``GET /plan/moments`` lists when it changed.
``GET /plan/summary`` is the day so far: bookings served, refused, cancelled,
no-shows, late, and km and vehicle hours done against planned.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import func, select

from api.db.models import AuditRecord
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
from api.live.views import DayView
from api.problems import ApiProblem, invalid_field
from api.routes.common import problems
from api.schemas import (
    DaySummaryPublic,
    PastPlanPublic,
    PlanMomentsPublic,
    PlanPublic,
    ReoptimiseRequest,
    ReoptOutcomePublic,
)
from dispatch.live import solve_in_worker
from dispatch.solver import SearchConfig

router = APIRouter(prefix="/plan", tags=["plan"])


@router.get("", response_model=PlanPublic, responses=problems(422))
def read_plan(
    user: PlanUser, session: ReadSession, rt: RuntimeDep, service_date: DateQuery = None
) -> PlanPublic:
    """Every vehicle's route with its stops, unassigned bookings and broken promises."""
    day = service_date or today(rt)
    read = rt.days.read(session, day)
    view = DayView.for_user(session, read, rt, user)
    return view.plan(read.version, read.now)


#: Office records of asks the day could not book (quotes, deliveries, home visits).
REFUSED_EVENTS = ("quote_rejected", "delivery_rejected", "visit_rejected")


@router.get("/at", response_model=PastPlanPublic, responses=problems(404, 422))
def read_plan_at(
    at: Annotated[datetime, Query(description="A time of the service day, not after now.")],
    user: PlanUser,
    session: ReadSession,
    rt: RuntimeDep,
    service_date: DateQuery = None,
) -> PastPlanPublic:
    """The plan as it stood at `at` (過去の計画), read-only: what ``GET /plan`` showed then."""
    day = service_date or today(rt)
    when = at if at.tzinfo is not None else at.replace(tzinfo=rt.clock.zone)
    now = rt.now()
    if when > now:
        raise invalid_field(
            "at",
            "これから先の計画は表示できません（現在より前の時刻を指定してください）",
            f"at {when.isoformat()} is after now ({now.isoformat()})",
        )
    read = rt.days.read_at(session, day, when)
    if read is None:
        raise ApiProblem(
            404,
            "no_plan_then",
            "この時刻より前の計画は記録されていません",
            f"no plan of {day.isoformat()} was stored at or before {when.isoformat()}",
        )
    view = DayView.for_user(session, read, rt, user)
    plan = view.plan(read.version, when.astimezone(rt.clock.zone))
    return PastPlanPublic(**plan.model_dump(), as_of=when.astimezone(rt.clock.zone))


@router.get("/moments", response_model=PlanMomentsPublic, responses=problems(422))
def plan_moments(
    _user: PlanUser, session: ReadSession, rt: RuntimeDep, service_date: DateQuery = None
) -> PlanMomentsPublic:
    """When the day's plan changed (the moments ``GET /plan/at`` can show), oldest first."""
    day = service_date or today(rt)
    zone = rt.clock.zone
    return PlanMomentsPublic(
        service_date=day,
        now=rt.now().astimezone(zone),
        moments=[m.astimezone(zone) for m in rt.days.moments(session, day)],
    )


@router.get("/summary", response_model=DaySummaryPublic, responses=problems(422))
def day_summary(
    user: PlanUser, session: ReadSession, rt: RuntimeDep, service_date: DateQuery = None
) -> DaySummaryPublic:
    """The day so far (本日の実績): served, refused, cancelled, no-shows, late, and km and
    vehicle hours done against planned."""
    day = service_date or today(rt)
    read = rt.days.read(session, day)
    refused = session.scalar(
        select(func.count())
        .select_from(AuditRecord)
        .where(AuditRecord.service_date == day, AuditRecord.event.in_(REFUSED_EVENTS))
    )
    view = DayView.for_user(session, read, rt, user)
    return view.summary(read.now, int(refused or 0))


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
    config = SearchConfig(threads=rt.settings.reopt_threads)
    candidate = solve_in_worker(job, limit, config=config)
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
