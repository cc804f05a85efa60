"""Dispatcher overrides (手動変更): pin or move a booking to a vehicle, lock or unlock a route.

An override is applied only if the plan it leads to passes the independent checker;
otherwise nothing changes, the refusal is in the audit trail, and the answer is 409
listing exactly what it would break (``violations``).
"""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import (
    DispatcherUser,
    RuntimeDep,
    WriteSession,
    actor_of,
    check_service_date,
    today,
)
from api.live.store import OpenDay
from api.problems import ApiProblem, invalid_field
from api.routes.bookings import booking_row
from api.routes.common import problems
from api.schemas import OverrideBooking, OverrideOutcome, OverrideVehicle
from dispatch.events import OverrideResult

router = APIRouter(prefix="/overrides", tags=["overrides"])


def _vehicle_in_day(od: OpenDay, vehicle_id: str) -> None:
    if vehicle_id not in {v.id for v in od.day().fleet}:
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
        _vehicle_in_day(od, body.vehicle_id)
        live = od.day()
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
        _vehicle_in_day(od, body.vehicle_id)
        live = od.day()
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
