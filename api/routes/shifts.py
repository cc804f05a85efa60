"""Shifts (運行時間): which vehicle runs on which day, from when to when, with breaks.

A day's fleet is fixed when its first booking is taken (the live day is built from
the shifts then): adding or removing a shift of a started day is 409.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from fastapi import APIRouter, Response, status
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.db.models import Shift, Vehicle
from api.deps import (
    DateQuery,
    FleetUser,
    FleetViewer,
    IdPath,
    ReadSession,
    RuntimeDep,
    WriteSession,
    check_service_date,
    today,
)
from api.problems import FieldProblem, conflict, invalid, invalid_field, not_found
from api.routes.common import office_audit, problems
from api.runtime import Runtime
from api.schemas import BreakPublic, ShiftCreate, ShiftPublic

router = APIRouter(prefix="/shifts", tags=["shifts"])


def shift_public(rt: Runtime, shift: Shift) -> ShiftPublic:
    at = rt.clock.at
    day = shift.service_date
    return ShiftPublic(
        id=shift.id,
        vehicle_id=shift.vehicle_id,
        service_date=day,
        start_at=at(shift.start_s, day),
        end_at=at(shift.end_s, day),
        breaks=[
            BreakPublic(
                id=b["id"],
                earliest=at(b["start_s"], day),
                latest=at(b["end_s"], day),
                minutes=b["duration_s"] // 60,
            )
            for b in shift.breaks
        ],
    )


def _day_started(rt: Runtime, session: Session, day: date) -> bool:
    """Whether the day has its live state; its row stays locked until commit."""
    return bool(rt.days.lock_row(session, day).snapshot)


def _started_conflict(day: date) -> Exception:
    return conflict(
        "day_started",
        f"{day:%Y-%m-%d} はすでに予約を受け付けているため、運行車両は変更できません",
        f"{day.isoformat()} has started taking bookings; its fleet is fixed",
    )


@router.get("", response_model=list[ShiftPublic], responses=problems(422))
def list_shifts(
    _user: FleetViewer,
    session: ReadSession,
    rt: RuntimeDep,
    service_date: DateQuery = None,
) -> list[ShiftPublic]:
    day = service_date or today(rt)
    rows = session.scalars(
        select(Shift).where(Shift.service_date == day).order_by(Shift.vehicle_id)
    )
    return [shift_public(rt, s) for s in rows]


@router.post(
    "",
    response_model=ShiftPublic,
    status_code=status.HTTP_201_CREATED,
    responses=problems(409, 422),
)
def add_shift(
    body: ShiftCreate, user: FleetUser, session: WriteSession, rt: RuntimeDep
) -> ShiftPublic:
    """A vehicle's service hours on one day, breaks included (each must fit in the shift)."""
    vehicle = session.get(Vehicle, body.vehicle_id)
    if vehicle is None or not vehicle.active:
        raise invalid_field(
            "vehicle_id", "登録されていない車両です", f"unknown vehicle {body.vehicle_id!r}"
        )
    clock = rt.clock
    day = check_service_date(rt, clock.service_date(body.start_at), "start_at")
    start_s, end_s = clock.seconds(body.start_at, day), clock.seconds(body.end_at, day)
    if end_s <= start_s:
        raise invalid_field(
            "end_at", "終了は開始より後にしてください", "end_at must be after start_at"
        )
    if end_s > 2 * 86400:
        raise invalid_field(
            "end_at", "運行は翌日までに終えてください", "a shift ends by the next day"
        )
    breaks = []
    for i, b in enumerate(body.breaks):
        lo, hi = clock.seconds(b.earliest, day), clock.seconds(b.latest, day)
        if not start_s <= lo <= hi or hi + b.minutes * 60 > end_s:
            raise invalid(
                FieldProblem(
                    f"breaks.{i}",
                    "休憩は運行時間内に収めてください",
                    "a break must start and end within the shift (earliest <= latest)",
                )
            )
        breaks.append(
            {"id": f"break{i + 1}", "start_s": lo, "end_s": hi, "duration_s": b.minutes * 60}
        )
    if _day_started(rt, session, day):
        raise _started_conflict(day)
    exists = session.scalar(
        select(Shift.id).where(Shift.vehicle_id == vehicle.id, Shift.service_date == day)
    )
    if exists is not None:
        raise conflict("shift_exists", "この車両のその日の運行はすでにあります", "shift exists")
    shift = Shift(
        vehicle_id=vehicle.id,
        service_date=day,
        start_s=start_s,
        end_s=end_s,
        breaks=breaks,
        created_at=datetime.now(UTC),
    )
    session.add(shift)
    office_audit(
        session,
        user,
        "shift_added",
        f"運行追加 {vehicle.id}",
        f"shift of {vehicle.id} on {day.isoformat()}",
        service_date=day,
        vehicle_id=vehicle.id,
    )
    session.commit()
    return shift_public(rt, shift)


@router.delete("/{shift_id}", status_code=status.HTTP_204_NO_CONTENT, responses=problems(404, 409))
def delete_shift(
    shift_id: IdPath, user: FleetUser, session: WriteSession, rt: RuntimeDep
) -> Response:
    shift = session.get(Shift, shift_id)
    if shift is None:
        raise not_found("運行", "shift", shift_id)
    if _day_started(rt, session, shift.service_date):
        raise _started_conflict(shift.service_date)
    session.delete(shift)
    office_audit(
        session,
        user,
        "shift_removed",
        f"運行取消 {shift.vehicle_id}",
        f"shift {shift_id} removed",
        service_date=shift.service_date,
        vehicle_id=shift.vehicle_id,
    )
    session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)
