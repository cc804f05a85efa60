"""Messages to riders (お知らせ, `api.notify`): what was queued or sent, and the day
before's reminders. Addresses are personal data: operators and dispatchers only."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import select

from api.db.models import OutboxMessage
from api.deps import BookingUser, DateQuery, PersonalDataUser, ReadSession, RuntimeDep, WriteSession
from api.notify import STATUSES, remind
from api.routes.call_list import tomorrow
from api.routes.common import office_audit, problems
from api.schemas import OutboxPublic, RemindersQueued
from api.vocab import MessageKind

router = APIRouter(prefix="/outbox", tags=["outbox"])


@router.get("", response_model=list[OutboxPublic], responses=problems(422))
def list_messages(
    _user: PersonalDataUser,
    session: ReadSession,
    service_date: DateQuery = None,
    status: Annotated[str | None, Query(pattern="^(" + "|".join(STATUSES) + ")$")] = None,
    kind: MessageKind | None = None,
    booking_id: Annotated[str | None, Query(min_length=1, max_length=32)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[OutboxPublic]:
    """Messages, newest first: of a service date, a status, a kind or a booking."""
    q = select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit)
    if service_date is not None:
        q = q.where(OutboxMessage.service_date == service_date)
    if status is not None:
        q = q.where(OutboxMessage.status == status)
    if kind is not None:
        q = q.where(OutboxMessage.kind == kind.value)
    if booking_id is not None:
        q = q.where(OutboxMessage.booking_id == booking_id)
    return [OutboxPublic.model_validate(m) for m in session.scalars(q)]


@router.post("/reminders", response_model=RemindersQueued, responses=problems(422))
def send_reminders(
    user: BookingUser, session: WriteSession, rt: RuntimeDep, service_date: DateQuery = None
) -> RemindersQueued:
    """The day before's reminder (前日のお知らせ) for every confirmed booking of
    `service_date` (default: tomorrow) not reminded yet, through the sender."""
    day = service_date or tomorrow(rt)
    office_audit(
        session, user, "reminders_sent", "前日のお知らせ", "day-before reminders", service_date=day
    )
    queued = remind(session, day, rt.sender, zone=rt.clock.zone, now=rt.now())
    return RemindersQueued(service_date=day, queued=queued)
