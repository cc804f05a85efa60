"""Messages to riders (お知らせ): the outbox and the pluggable sender.

Every promise (予約確定), change (a new promise, or back within the old one), broken
promise and the day before's reminder becomes one `OutboxMessage` addressed to the
rider's channel (電話: the operator's call list; SMS; e-mail). They come from one
place: the live day's audit entries as each change of a day is saved
(`messages_for_entries`, called by `api.live.sync.save_mirrors` in the day's
transaction, so a message exists exactly when its change does), plus the reminders
the office queues for tomorrow (`queue_reminders`).

After the transaction commits, each new message goes to the `Sender` chosen by
``NORIAI_NOTIFY_SENDER``: ``database`` (default) leaves it ``queued`` in the outbox for
the call list and any gateway that fetches ``GET /api/v1/outbox``; ``memory`` marks it
``sent`` and keeps it in the process (training, demos). Tests plug in their own.
A sender that fails marks its message ``failed``; the booking stands.

Logs name message and booking ids only: never a rider's name, phone or address.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from typing import Protocol

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from api.db.models import Booking, OutboxMessage, Rider
from api.vocab import BookingKind, Channel, MessageKind
from dispatch.audit import AuditEntry, AuditEvent
from dispatch.events import BookingStatus

log = logging.getLogger(__name__)

QUEUED = "queued"
SENT = "sent"
FAILED = "failed"
NO_ADDRESS = "no_address"
STATUSES = (QUEUED, SENT, FAILED, NO_ADDRESS)


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A message as the sender gets it (after the transaction that made it committed)."""

    id: int
    kind: MessageKind
    channel: Channel
    address: str
    body_ja: str
    body_en: str
    booking_id: str


class Sender(Protocol):
    """Takes a message towards the rider; answers its status (`SENT` or `QUEUED`)."""

    name: str

    def send(self, message: Outgoing) -> str: ...


class DatabaseSender:
    """Keeps messages queued in the outbox: the call list and gateways fetch them."""

    name = "database"

    def send(self, message: Outgoing) -> str:
        return QUEUED


@dataclass
class MemorySender:
    """Marks messages sent and keeps them in this process (training, demos, tests)."""

    name: str = "memory"
    sent: list[Outgoing] = field(default_factory=list)

    def send(self, message: Outgoing) -> str:
        self.sent.append(message)
        return SENT


def make_sender(name: str) -> Sender:
    """The sender a ``NORIAI_NOTIFY_SENDER`` value names."""
    if name == "database":
        return DatabaseSender()
    if name == "memory":
        return MemorySender()
    raise ValueError(f"notify_sender: unknown sender {name!r} (database or memory)")


# -- the words -----------------------------------------------------------------------------

_WINDOW_JA = {
    BookingKind.RIDE: "お迎え予定時間帯",
    BookingKind.DELIVERY: "お届け予定時間帯",
    BookingKind.VISIT: "訪問予定時間帯",
}
_WINDOW_EN = {
    BookingKind.RIDE: "pickup between",
    BookingKind.DELIVERY: "delivery between",
    BookingKind.VISIT: "visit starting between",
}


def _span(row: Booking, zone: tzinfo, sep: str) -> str:
    if row.promise_start is None or row.promise_end is None:
        return ""
    a, b = row.promise_start.astimezone(zone), row.promise_end.astimezone(zone)
    return f"{a:%H:%M}{sep}{b:%H:%M}"


def _date_ja(d: date) -> str:
    return f"{d.month}月{d.day}日"


def _date_en(d: date) -> str:
    return f"{d.day} {d:%b}"


def compose(
    kind: MessageKind,
    row: Booking,
    zone: tzinfo,
    *,
    words: tuple[str, str] | None = None,
    restored: bool = False,
) -> tuple[str, str]:
    """The message in Japanese and English. `words`: the promise as the caller heard it
    (the ledger's), for confirmations and new promises."""
    booking_kind = BookingKind(row.kind)
    d_ja, d_en = _date_ja(row.service_date), _date_en(row.service_date)
    head_ja = f"{d_ja}のご予約（{row.id}）"
    head_en = f"Booking {row.id} on {d_en}"
    window_ja = f"{_WINDOW_JA[booking_kind]} {_span(row, zone, '〜')}"
    window_en = f"{_WINDOW_EN[booking_kind]} {_span(row, zone, '-')}"
    promise_ja, promise_en = words or (window_ja, window_en)
    route_ja = f"{row.pickup_name} → {row.dropoff_name}"
    if kind is MessageKind.CONFIRMATION:
        return (
            f"{head_ja}を承りました。{promise_ja}。{route_ja}",
            f"{head_en} is confirmed: {promise_en}. {row.pickup_name} to {row.dropoff_name}.",
        )
    if kind is MessageKind.CHANGE and restored:
        return (
            f"{head_ja}は、お約束の{window_ja}に戻りました。",
            f"{head_en} is back within its promise: {window_en}.",
        )
    if kind is MessageKind.CHANGE:
        return (
            f"{head_ja}の時間が変わりました。新しいお約束: {promise_ja}。",
            f"{head_en} has changed. New promise: {promise_en}.",
        )
    if kind is MessageKind.BROKEN:
        return (
            f"{head_ja}: お約束の{window_ja}に間に合わないおそれがあります。"
            "担当者からご連絡します。",
            f"{head_en}: we may miss the promise ({window_en}). We will contact you.",
        )
    return (
        f"明日 {head_ja}: {route_ja}、{window_ja}。",
        f"Tomorrow, {head_en}: {row.pickup_name} to {row.dropoff_name}, {window_en}.",
    )


# -- making messages -------------------------------------------------------------------------


def address_of(rider: Rider) -> tuple[Channel, str]:
    """The rider's channel and the address on it (the e-mail, else the phone number)."""
    channel = Channel(rider.channel or Channel.PHONE)
    return channel, rider.email if channel is Channel.EMAIL else rider.phone


def stage(
    session: Session,
    row: Booking,
    kind: MessageKind,
    key: str,
    body: tuple[str, str],
    *,
    now: datetime,
    sender: str,
) -> OutboxMessage | None:
    """Add one message about `row` for its rider (None: no rider, or already made)."""
    if row.rider_id is None:
        return None
    if session.scalar(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == key)):
        return None
    rider = session.get(Rider, row.rider_id)
    if rider is None:
        return None
    channel, address = address_of(rider)
    message = OutboxMessage(
        kind=kind.value,
        dedupe_key=key,
        service_date=row.service_date,
        booking_id=row.id,
        rider_id=rider.id,
        channel=channel.value,
        address=address,
        body_ja=body[0],
        body_en=body[1],
        status=QUEUED if address else NO_ADDRESS,
        sender=sender,
        error="",
        created_at=now,
        sent_at=None,
    )
    session.add(message)
    return message


def messages_for_entries(
    session: Session,
    entries: Iterable[AuditEntry],
    promises: dict[str, tuple[int, str, str]],
    *,
    zone: tzinfo,
    now: datetime,
    sender: str,
) -> list[OutboxMessage]:
    """The messages a day's new audit entries call for (the one hook).

    `promises`: each booking's promise in force (version, words in Japanese and English).
    A confirmation is the first promise; a later one, or a booking back within its
    promise, a change; a broken promise says so.
    """
    out = []
    for entry in entries:
        if entry.booking_id is None:
            continue
        if entry.event is AuditEvent.CONFIRMED:
            version, ja, en = promises.get(entry.booking_id, (1, "", ""))
            kind = MessageKind.CONFIRMATION if version == 1 else MessageKind.CHANGE
            words = (ja, en) if ja else None
        elif entry.event is AuditEvent.PROMISE_BROKEN:
            kind, words = MessageKind.BROKEN, None
        elif entry.event is AuditEvent.PROMISE_RESTORED:
            kind, words = MessageKind.CHANGE, None
        else:
            continue
        row = session.get(Booking, entry.booking_id)
        if row is None:
            continue
        body = compose(
            kind, row, zone, words=words, restored=entry.event is AuditEvent.PROMISE_RESTORED
        )
        key = f"{entry.booking_id}:{kind.value}:{entry.seq}"
        message = stage(session, row, kind, key, body, now=now, sender=sender)
        if message is not None:
            out.append(message)
    return out


REMINDED = (BookingStatus.CONFIRMED.value,)


def rider_bookings(session: Session, day: date, statuses: Iterable[str]) -> list[Booking]:
    """The bookings of `day` with a rider in one of `statuses`, by promised time."""
    return list(
        session.scalars(
            select(Booking)
            .where(
                Booking.service_date == day,
                Booking.status.in_(list(statuses)),
                Booking.rider_id.is_not(None),
            )
            .order_by(Booking.promise_start, Booking.id)
        )
    )


def queue_reminders(
    session: Session, day: date, *, zone: tzinfo, now: datetime, sender: str
) -> list[OutboxMessage]:
    """The day before's reminder for every confirmed booking of `day` with a rider that
    has none yet (running it again adds only the new bookings')."""
    out = []
    rows = rider_bookings(session, day, REMINDED)
    for row in rows:
        body = compose(MessageKind.REMINDER, row, zone)
        message = stage(
            session, row, MessageKind.REMINDER, f"{row.id}:reminder", body, now=now, sender=sender
        )
        if message is not None:
            out.append(message)
    session.flush()
    return out


def remind(session: Session, day: date, sender: Sender, *, zone: tzinfo, now: datetime) -> int:
    """Queue `day`'s reminders, commit (with whatever else the session holds), then hand
    them to `sender`: how many were new. The route and ``noriai service remind`` both."""
    made = queue_reminders(session, day, zone=zone, now=now, sender=sender.name)
    session.commit()
    deliver(session, sender, [outgoing(m) for m in made], now)
    return len(made)


def outgoing(message: OutboxMessage) -> Outgoing:
    return Outgoing(
        message.id,
        MessageKind(message.kind),
        Channel(message.channel),
        message.address,
        message.body_ja,
        message.body_en,
        message.booking_id,
    )


def deliver(session: Session, sender: Sender, messages: Iterable[Outgoing], now: datetime) -> None:
    """Hand committed messages to `sender` and store how far each got. Never raises: a
    sender's failure marks the message failed (the booking it is about stands)."""
    changed = False
    for message in messages:
        if not message.address:
            continue
        try:
            status, error = sender.send(message), ""
        except Exception as exc:  # any sender failure: the message is marked, not lost
            status, error = FAILED, type(exc).__name__
            log.warning(
                "message %d (booking %s) not sent: %s", message.id, message.booking_id, error
            )
        if status == QUEUED:
            continue
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message.id)
            .values(status=status, error=error, sent_at=now if status == SENT else None)
        )
        changed = True
    if changed:
        try:
            session.commit()
        except Exception:
            session.rollback()
            log.exception("could not store the messages' status")
