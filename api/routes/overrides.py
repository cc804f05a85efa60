"""Dispatcher overrides (手動変更): pin or move a booking to a vehicle, lock or unlock a route.

An override is applied only if the plan it leads to passes the independent checker;
otherwise nothing changes, the refusal is in the audit trail, and the answer is 409
listing exactly what it would break (``violations``).

Before applying, the board asks: ``POST /overrides/move/preview`` answers what a move
would do (on a copy of the day; nothing stored or audited), and
``GET /overrides/move/options`` (the reassign assistant) every other vehicle that
could take a booking, ranked by what it adds to the plan and its lateness risk.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import (
    DispatcherUser,
    ReadSession,
    RuntimeDep,
    WriteSession,
    actor_of,
    check_service_date,
    today,
)
from api.live.store import running
from api.live.views import DayView, risk_policy
from api.problems import ApiProblem, conflict, invalid_field
from api.routes.bookings import booking_row
from api.routes.common import problems
from api.schemas import (
    MoveOptionsPublic,
    OverrideBooking,
    OverrideOutcome,
    OverrideVehicle,
    PreviewPublic,
)
from dispatch.errors import InputError
from dispatch.events import OverrideResult
from dispatch.live import LiveDay
from dispatch.live.preview import preview
from dispatch.reassign import move_options

router = APIRouter(prefix="/overrides", tags=["overrides"])


def _vehicle_in_day(live: LiveDay, vehicle_id: str) -> None:
    if vehicle_id not in {v.id for v in live.fleet}:
        raise invalid_field(
            "vehicle_id",
            f"車両「{vehicle_id}」はこの日は運行していません",
            f"vehicle {vehicle_id!r} has no shift that day",
        )


def _answer(result: OverrideResult) -> OverrideOutcome:
    out = OverrideOutcome(
        applied=result.applied, message=result.message, violations=list(result.violations)
    )
    if not result.applied:
        raise ApiProblem(
            409,
            "override_refused",
            "この変更はできません（守れない条件があります）",
            result.message,
            extra={"violations": list(result.violations)},
        )
    return out


def _booking_override(
    body: OverrideBooking, user: DispatcherUser, session: WriteSession, rt: RuntimeDep, pin: bool
) -> OverrideOutcome:
    row = booking_row(session, body.booking_id)
    with rt.days.locked(session, row.service_date, actor_of(user)) as od:
        live = od.day()
        _vehicle_in_day(live, body.vehicle_id)
        if pin:
            result = live.pin(body.booking_id, body.vehicle_id)
        else:
            result = live.move(
                body.booking_id,
                body.vehicle_id,
                pickup_pos=body.pickup_pos,
                dropoff_pos=body.dropoff_pos,
            )
    return _answer(result)  # a refusal is stored (audit) before it is answered


@router.post("/pin", response_model=OverrideOutcome, responses=problems(404, 409, 422))
def pin(
    body: OverrideBooking, user: DispatcherUser, session: WriteSession, rt: RuntimeDep
) -> OverrideOutcome:
    """Pin a booking to a vehicle (moved there if needed; re-optimisation keeps it there)."""
    return _booking_override(body, user, session, rt, pin=True)


@router.post("/move", response_model=OverrideOutcome, responses=problems(404, 409, 422))
def move(
    body: OverrideBooking, user: DispatcherUser, session: WriteSession, rt: RuntimeDep
) -> OverrideOutcome:
    """Move a booking to a vehicle, at the given positions or the best feasible ones."""
    return _booking_override(body, user, session, rt, pin=False)


def _route_override(
    body: OverrideVehicle, user: DispatcherUser, session: WriteSession, rt: RuntimeDep, lock: bool
) -> OverrideOutcome:
    day = check_service_date(rt, body.service_date) if body.service_date else today(rt)
    with rt.days.locked(session, day, actor_of(user)) as od:
        live = od.day()
        _vehicle_in_day(live, body.vehicle_id)
        if body.vehicle_id not in {r.vehicle_id for r in live.plan.routes}:
            raise invalid_field(
                "vehicle_id",
                "この車両は運行を終えています",
                f"vehicle {body.vehicle_id!r} is not in service now",
            )
        result = live.lock_route(body.vehicle_id) if lock else live.unlock_route(body.vehicle_id)
    return _answer(result)


@router.post("/lock", response_model=OverrideOutcome, responses=problems(409, 422))
def lock(
    body: OverrideVehicle, user: DispatcherUser, session: WriteSession, rt: RuntimeDep
) -> OverrideOutcome:
    """Lock a route as it stands (ルート固定): no new stops, re-optimisation keeps it."""
    return _route_override(body, user, session, rt, lock=True)


@router.post("/unlock", response_model=OverrideOutcome, responses=problems(409, 422))
def unlock(
    body: OverrideVehicle, user: DispatcherUser, session: WriteSession, rt: RuntimeDep
) -> OverrideOutcome:
    """Unlock a route (固定解除)."""
    return _route_override(body, user, session, rt, lock=False)


@router.post("/move/preview", response_model=PreviewPublic, responses=problems(404, 422))
def preview_move(
    body: OverrideBooking, user: DispatcherUser, session: ReadSession, rt: RuntimeDep
) -> PreviewPublic:
    """What ``POST /overrides/move`` with this body would do, found on a copy of the day:
    ``applies`` false with the checker's ``violations`` when it would be refused."""
    row = booking_row(session, body.booking_id)
    read = rt.days.read(session, row.service_date)
    live = running(read.live, read.service_date)
    _vehicle_in_day(live, body.vehicle_id)
    outcome = preview(
        live,
        lambda d: d.move(
            body.booking_id,
            body.vehicle_id,
            pickup_pos=body.pickup_pos,
            dropoff_pos=body.dropoff_pos,
        ),
    )
    return DayView.for_user(session, read, rt, user).preview(outcome)


@router.get("/move/options", response_model=MoveOptionsPublic, responses=problems(404, 409, 422))
def move_choices(
    booking_id: Annotated[str, Query(min_length=1, max_length=32)],
    user: DispatcherUser,
    session: ReadSession,
    rt: RuntimeDep,
) -> MoveOptionsPublic:
    """The reassign assistant (乗せ替えの候補): every other vehicle in service that could
    take the booking, best first — moves that keep every promise, then low lateness
    risk, then the least added cost (see `dispatch.reassign`). 409 when the booking
    cannot move (on board, done, cancelled, under way)."""
    row = booking_row(session, booking_id)
    read = rt.days.read(session, row.service_date)
    live = running(read.live, read.service_date)
    policy = risk_policy(rt.settings)
    try:
        options = move_options(live, booking_id, at_risk_probability=policy.threshold)
    except InputError as exc:
        raise conflict(
            "booking_not_movable",
            "この予約は乗せ替えできません（乗車中・完了・取消・運行中）",
            str(exc),
        ) from exc
    return DayView.for_user(session, read, rt, user).move_options(booking_id, options)
