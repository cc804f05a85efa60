"""The audit trail (変更履歴): every change of the plan and of office data, with who did it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import select

from api.db.models import AuditRecord
from api.deps import AuditUser, DateQuery, ReadSession, RuntimeDep, today
from api.routes.common import problems
from api.schemas import AuditPublic

router = APIRouter(prefix="/audit", tags=["audit"])


@router.get("", response_model=list[AuditPublic], responses=problems(422))
def read_audit(
    _user: AuditUser,
    session: ReadSession,
    rt: RuntimeDep,
    service_date: DateQuery = None,
    booking_id: Annotated[str | None, Query(max_length=32)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[AuditPublic]:
    """Newest first: the service date's entries (default today), or with ``booking_id``
    that booking's on any day."""
    q = select(AuditRecord).order_by(AuditRecord.id.desc()).limit(limit)
    if booking_id is not None:
        q = q.where(AuditRecord.booking_id == booking_id)
        if service_date is not None:
            q = q.where(AuditRecord.service_date == service_date)
    else:
        q = q.where(AuditRecord.service_date == (service_date or today(rt)))
    return [
        AuditPublic(
            id=r.id,
            at=r.at.astimezone(rt.clock.zone),
            service_date=r.service_date,
            event=r.event,
            booking_id=r.booking_id,
            vehicle_id=r.vehicle_id,
            message_ja=r.message_ja,
            message_en=r.message_en,
            actor=r.actor_name,
            changes=r.changes or [],
        )
        for r in session.scalars(q)
    ]
