"""The day before (前日連絡): tomorrow's bookings to ring about, for operators.

``GET /call-list?service_date=`` (default: tomorrow by the service clock) lists each
booking of the day with a rider: who (name, kana, phone, channel), the promise in force
and the one first given, the planned pickup, and what changed since it was booked —
a new promise, a broken or restored one (from the audit trail), pickups re-timed by
re-planning by a minute or more — with whether the rider needs a call (their channel is
the phone, or the promise changed or broke) and the status of their reminder in the
outbox (`api.notify`). Personal data: operators and dispatchers only.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from typing import Any

from fastapi import APIRouter
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.db.models import AuditRecord, OutboxMessage, Rider
from api.deps import DateQuery, PersonalDataUser, ReadSession, RuntimeDep, today
from api.notify import rider_bookings
from api.routes.common import problems
from api.runtime import Runtime
from api.schemas import CallChange, CallListEntry, CallListPublic, Window
from api.vocab import Channel, MessageKind
from dispatch.audit import AuditEvent
from dispatch.events import BookingStatus

router = APIRouter(prefix="/call-list", tags=["call list"])

#: bookings the call list shows: still to be driven
CALLED = (BookingStatus.CONFIRMED.value, BookingStatus.PROMISE_BROKEN.value)
#: a pickup planned this much (s) away from where it was is "re-timed"
RETIMED_S = 60
_PROMISE_EVENTS = {
    AuditEvent.PROMISE_BROKEN.value: ("promise_broken", "お約束を守れないおそれ"),
    AuditEvent.PROMISE_RESTORED.value: ("promise_restored", "お約束の時間帯に戻りました"),
}


def _hhmm(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"


def _changes(records: list[AuditRecord], booking_id: str) -> list[CallChange]:
    """What happened to a booking since its first confirmation, from the audit trail."""
    out: list[CallChange] = []
    confirmed = 0
    for r in records:
        if r.booking_id == booking_id and r.event == AuditEvent.CONFIRMED.value:
            confirmed += 1
            if confirmed > 1:
                out.append(
                    CallChange(
                        at=r.at,
                        kind="promise_changed",
                        message_ja=f"新しいお約束: {r.message_ja}",
                        message_en=r.message_en,
                    )
                )
        elif r.booking_id == booking_id and r.event in _PROMISE_EVENTS and confirmed:
            kind, ja = _PROMISE_EVENTS[r.event]
            out.append(CallChange(at=r.at, kind=kind, message_ja=ja, message_en=r.message_en))  # type: ignore[arg-type]
        elif confirmed:
            out.extend(_retimed(r, booking_id))
    return out


def _retimed(record: AuditRecord, booking_id: str) -> list[CallChange]:
    for change in record.changes or ():
        before, after = change.get("before_pickup"), change.get("after_pickup")
        if change.get("booking_id") != booking_id or before is None or after is None:
            continue
        if abs(after - before) >= RETIMED_S:
            return [
                CallChange(
                    at=record.at,
                    kind="retimed",
                    message_ja=f"お迎え予定 {_hhmm(before)} → {_hhmm(after)}",
                    message_en=f"planned pickup {_hhmm(before)} -> {_hhmm(after)}",
                )
            ]
    return []


def _first_promises(rt: Runtime, session: Session, day: date) -> dict[str, Window]:
    """Each booking's first promise, from the day's ledger."""
    live = rt.days.read(session, day).live
    if live is None:
        return {}
    out: dict[str, Window] = {}
    for p in live.ledger.every():
        if p.booking_id not in out:
            out[p.booking_id] = Window(**rt.clock.window(p.window, day))  # type: ignore[arg-type]
    return out


def call_list(session: Session, rt: Runtime, day: date) -> CallListPublic:
    """The call list of `day` (see the module docstring)."""
    rows = rider_bookings(session, day, CALLED)
    if not rows:
        return CallListPublic(service_date=day, entries=[])
    riders = {
        r.id: r
        for r in session.scalars(select(Rider).where(Rider.id.in_({b.rider_id for b in rows})))
    }
    records = list(
        session.scalars(
            select(AuditRecord)
            .where(AuditRecord.service_date == day, AuditRecord.seq.is_not(None))
            .order_by(AuditRecord.seq)
        )
    )
    reminders: dict[str, str] = {}
    for m in session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.service_date == day, OutboxMessage.kind == MessageKind.REMINDER.value
        )
    ):
        reminders[m.booking_id] = m.status
    by_booking: dict[str, list[AuditRecord]] = defaultdict(list)
    ids = {b.id for b in rows}
    for r in records:
        touched = {r.booking_id} | {c.get("booking_id") for c in r.changes or ()}
        for bid in touched & ids:
            by_booking[bid].append(r)
    first = _first_promises(rt, session, day)
    zone = rt.clock.zone
    entries = []
    for b in rows:
        rider = riders[b.rider_id]  # type: ignore[index]
        changes = _changes(by_booking[b.id], b.id)
        promise = None
        if b.promise_start is not None and b.promise_end is not None:
            promise = Window(
                start=b.promise_start.astimezone(zone), end=b.promise_end.astimezone(zone)
            )
        channel = Channel(rider.channel or Channel.PHONE)
        entries.append(
            CallListEntry(
                booking_id=b.id,
                kind=b.kind,
                status=b.status,
                rider_id=rider.id,
                rider_name=rider.name,
                kana=rider.kana,
                phone=rider.phone,
                channel=channel,
                pickup_name=b.pickup_name,
                dropoff_name=b.dropoff_name,
                promise=promise,
                first_promise=first.get(b.id, promise),
                expected_pickup=None
                if b.planned_pickup_at is None
                else b.planned_pickup_at.astimezone(zone),
                changes=changes,
                needs_call=channel is Channel.PHONE
                or b.status == BookingStatus.PROMISE_BROKEN.value
                or any(c.kind != "retimed" for c in changes),
                reminder=reminders.get(b.id),
            )
        )
    return CallListPublic(service_date=day, entries=entries)


def tomorrow(rt: Runtime) -> date:
    return today(rt) + timedelta(days=1)


@router.get("", response_model=CallListPublic, responses=problems(422))
def read_call_list(
    _user: PersonalDataUser, session: ReadSession, rt: RuntimeDep, service_date: DateQuery = None
) -> Any:
    """Tomorrow's (or `service_date`'s) bookings to ring about, by promised time."""
    return call_list(session, rt, service_date or tomorrow(rt))
