"""Mirror a live day into the office tables: booking rows and the audit trail.

Called on every save of a day (`DayStore`), inside the same transaction, so a
booking's row never disagrees with the stored plan: status, vehicle, promise and
planned times follow the `LiveDay`; its new audit entries are stored with who acted.
"""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import select

from api.db import models
from api.live.drones import van_reason
from api.live.store import OpenDay
from api.notify import messages_for_entries
from dispatch.audit import AuditEntry, AuditEvent
from dispatch.result import StepKind

AUDIT_JA: dict[AuditEvent, str] = {
    AuditEvent.QUOTE_HELD: "仮押さえ",
    AuditEvent.CONFIRMED: "予約確定",
    AuditEvent.RELEASED: "仮押さえ取消",
    AuditEvent.HOLD_EXPIRED: "仮押さえの期限切れ",
    AuditEvent.CANCELLED: "キャンセル",
    AuditEvent.NO_SHOW: "不在（無断キャンセル）",
    AuditEvent.PICKED_UP: "乗車",
    AuditEvent.DROPPED_OFF: "降車",
    AuditEvent.VISITED: "訪問完了",
    AuditEvent.VEHICLE_DELAY: "遅れの報告",
    AuditEvent.VEHICLE_POSITION: "現在地の報告",
    AuditEvent.DEPARTED: "出発",
    AuditEvent.BREAKDOWN: "故障・運休",
    AuditEvent.PROMISE_BROKEN: "お約束の時間帯を守れません（要連絡）",
    AuditEvent.PROMISE_RESTORED: "お約束の時間帯に戻りました",
    AuditEvent.CONSTRAINT_RELAXED: "条件を緩和",
    AuditEvent.OVERRIDE_PIN: "手動変更: 車両に固定",
    AuditEvent.OVERRIDE_MOVE: "手動変更: 車両を変更",
    AuditEvent.OVERRIDE_LOCK: "ルート固定",
    AuditEvent.OVERRIDE_UNLOCK: "ルート固定の解除",
    AuditEvent.OVERRIDE_REFUSED: "手動変更を中止（守れない条件があります）",
    AuditEvent.REOPTIMISED: "再最適化",
    AuditEvent.REOPT_DISCARDED: "再最適化の結果は採用せず",
    AuditEvent.MATRIX_EXTENDED: "地点を追加",
    AuditEvent.DRONES_GROUNDED: "ドローン運航停止",
    AuditEvent.DRONES_UNGROUNDED: "ドローン運航停止の解除",
    AuditEvent.DRONES_CHANGED: "ドローンの変更",
}

_WINDOW = re.compile(r"\d{2}:\d{2}〜\d{2}:\d{2}")


def audit_ja(entry: AuditEntry) -> str:
    """The entry in Japanese: what happened, the window it names, the vehicle."""
    text = AUDIT_JA.get(entry.event, entry.event.value)
    window = _WINDOW.search(entry.reason)
    if window:
        text += f" {window.group(0)}"
    if entry.event is AuditEvent.DRONES_GROUNDED:
        cause = re.search(r"\((weather|dispatcher)(?::[^)]*)?\)", entry.reason)
        if cause:
            text += "（天候）" if cause.group(1) == "weather" else "（配車担当の指示）"
    if entry.vehicle_id:
        text += f"（{entry.vehicle_id}）"
    return text


def save_mirrors(od: OpenDay, *, notify_as: str = "database") -> None:
    """Both mirrors and the messages to riders they call for (the `DayStore` save hook):
    the outbox gets one message per promise made, changed or broken (`api.notify`),
    delivered by the sender named `notify_as` once the day's transaction commits."""
    sync_bookings(od)
    entries = sync_audit(od)
    if od.live is None or not entries:
        return
    promises = {
        e.booking_id: (p.version, p.words_ja, p.words_en)
        for e in entries
        if e.booking_id is not None and (p := od.live.promise(e.booking_id)) is not None
    }
    od.outbox.extend(
        messages_for_entries(
            od.session, entries, promises, zone=od.clock.zone, now=od.now, sender=notify_as
        )
    )


def sync_bookings(od: OpenDay) -> None:
    """Update every booking row of the day from the live day."""
    live = od.live
    if live is None:
        return
    planned: dict[str, tuple[str, int | None, int | None]] = {}
    flights = {f.order_id: f for f in live.flights}
    for f in flights.values():  # flown: take-off and landing at the hall
        planned[f.order_id] = (f.drone_id, f.takeoff, f.at_hall)
    for route in live.plan.routes:
        for step in route.steps:
            rid = step.request_id
            if rid is None or step.kind not in (StepKind.PICKUP, StepKind.DROPOFF, StepKind.VISIT):
                continue
            _, p, d = planned.get(rid, (route.vehicle_id, None, None))
            if step.kind is StepKind.VISIT:  # a home visit: its one stop is its planned start
                p = d = step.service_start
            elif step.kind is StepKind.PICKUP:
                p = step.service_start
            else:
                d = step.service_start
            planned[rid] = (route.vehicle_id, p, d)
    rows = {
        r.id: r
        for r in od.session.scalars(
            select(models.Booking).where(models.Booking.service_date == od.service_date)
        )
    }
    at = od.clock.at
    day = od.service_date
    for b in live.bookings():
        row = rows.get(b.id)
        if row is None:
            continue
        vehicle, p, d = planned.get(b.id, (b.vehicle_id, None, None))
        promise = b.promise
        flight = flights.get(b.id)
        by_van = van_reason(b.note)
        values: dict[str, object] = {
            "drone_id": None if flight is None else flight.drone_id,
            "van_reason": None if by_van is None else by_van.value,
            "status": b.status.value,
            "vehicle_id": vehicle or row.vehicle_id,
            "promise_start": at(promise.start, day) if promise else None,
            "promise_end": at(promise.end, day) if promise else None,
            "hold_expires_at": at(b.held_until, day) if b.held_until is not None else None,
        }
        if p is not None:
            values["planned_pickup_at"] = at(p, day)
        elif b.picked_up_at is not None:
            values["planned_pickup_at"] = at(b.picked_up_at, day)
        if d is not None:
            values["planned_dropoff_at"] = at(d, day)
        elif b.dropped_at is not None:
            values["planned_dropoff_at"] = at(b.dropped_at, day)
        changed = False
        for name, value in values.items():
            if getattr(row, name) != value:
                setattr(row, name, value)
                changed = True
        if changed:
            row.updated_at = od.now


def sync_audit(od: OpenDay) -> list[AuditEntry]:
    """Store the live day's audit entries made since the last save, with the actor;
    the entries stored."""
    live = od.live
    if live is None:
        return []
    last = od.row.last_audit_seq
    newest = last
    new = []
    for entry in live.audit:
        if entry.seq <= last:
            continue
        new.append(entry)
        od.session.add(
            models.AuditRecord(
                service_date=od.service_date,
                seq=entry.seq,
                at=_at(od, entry.at),
                event=entry.event.value,
                booking_id=entry.booking_id,
                vehicle_id=entry.vehicle_id,
                message_ja=audit_ja(entry),
                message_en=entry.reason,
                actor_id=od.actor.id if entry.seq >= od.actor_from_seq else None,
                actor_name=od.actor.name if entry.seq >= od.actor_from_seq else None,
                changes=[c.to_plain() for c in entry.changes],
            )
        )
        newest = max(newest, entry.seq)
    od.row.last_audit_seq = newest
    return new


def _at(od: OpenDay, seconds: int) -> datetime:
    return od.clock.at(seconds, od.service_date)
