"""The audit trail (変更履歴) of a live day: what changed in the plan, why, which event.

Each `AuditEntry` names the event that caused it (a quote, a cancellation, a delay,
a dispatcher override, a re-optimisation...), the booking and vehicle concerned, a
reason in words, and the `PlanChange` of every booking whose vehicle or scheduled
times moved. Entries are plain data, numbered in order, never rewritten.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, fields
from enum import StrEnum
from typing import Any


class AuditEvent(StrEnum):
    """The event behind an audit entry."""

    QUOTE_HELD = "quote_held"
    CONFIRMED = "confirmed"
    RELEASED = "released"
    HOLD_EXPIRED = "hold_expired"
    CANCELLED = "cancelled"
    NO_SHOW = "no_show"
    PICKED_UP = "picked_up"
    DROPPED_OFF = "dropped_off"
    VISITED = "visited"
    VEHICLE_DELAY = "vehicle_delay"
    VEHICLE_POSITION = "vehicle_position"
    DEPARTED = "departed"
    BREAKDOWN = "breakdown"
    PROMISE_BROKEN = "promise_broken"
    PROMISE_RESTORED = "promise_restored"
    CONSTRAINT_RELAXED = "constraint_relaxed"
    OVERRIDE_PIN = "override_pin"
    OVERRIDE_MOVE = "override_move"
    OVERRIDE_LOCK = "override_lock"
    OVERRIDE_UNLOCK = "override_unlock"
    OVERRIDE_REFUSED = "override_refused"
    REOPTIMISED = "reoptimised"
    REOPT_DISCARDED = "reopt_discarded"
    MATRIX_EXTENDED = "matrix_extended"
    DRONES_GROUNDED = "drones_grounded"
    DRONES_UNGROUNDED = "drones_ungrounded"
    DRONES_CHANGED = "drones_changed"


@dataclass(frozen=True, slots=True)
class PlanChange:
    """One booking's place in the plan before and after (None: not in the plan)."""

    booking_id: str
    before_vehicle: str | None
    after_vehicle: str | None
    before_pickup: int | None = None
    after_pickup: int | None = None
    before_dropoff: int | None = None
    after_dropoff: int | None = None

    def to_plain(self) -> dict[str, Any]:
        """JSON-able data, for storage."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One change of the plan or of a booking, in the order it happened."""

    seq: int
    at: int
    event: AuditEvent
    reason: str
    booking_id: str | None = None
    vehicle_id: str | None = None
    changes: tuple[PlanChange, ...] = ()

    def to_plain(self) -> dict[str, Any]:
        """JSON-able data, for storage."""
        return {
            "seq": self.seq,
            "at": self.at,
            "event": self.event.value,
            "reason": self.reason,
            "booking_id": self.booking_id,
            "vehicle_id": self.vehicle_id,
            "changes": [c.to_plain() for c in self.changes],
        }

    @classmethod
    def from_plain(cls, d: Mapping[str, Any]) -> AuditEntry:
        """Rebuild from `to_plain` data."""
        return cls(
            seq=d["seq"],
            at=d["at"],
            event=AuditEvent(d["event"]),
            reason=d["reason"],
            booking_id=d.get("booking_id"),
            vehicle_id=d.get("vehicle_id"),
            changes=tuple(PlanChange(**c) for c in d.get("changes", ())),
        )


#: Where a booking sits in a plan: (vehicle, pickup service start, dropoff service start).
Timetable = dict[str, tuple[str, int | None, int | None]]


def diff(before: Timetable, after: Timetable) -> tuple[PlanChange, ...]:
    """Every booking whose vehicle or times differ between two timetables, sorted by id."""
    out = []
    for bid in sorted(set(before) | set(after)):
        b, a = before.get(bid), after.get(bid)
        if a == b:
            continue
        out.append(
            PlanChange(
                bid,
                b[0] if b else None,
                a[0] if a else None,
                b[1] if b else None,
                a[1] if a else None,
                b[2] if b else None,
                a[2] if a else None,
            )
        )
    return tuple(out)


class AuditLog:
    """Append-only list of `AuditEntry`, numbered from 1."""

    def __init__(self, entries: Iterable[AuditEntry] = ()) -> None:
        self._entries: list[AuditEntry] = list(entries)

    def record(
        self,
        at: int,
        event: AuditEvent,
        reason: str,
        *,
        booking_id: str | None = None,
        vehicle_id: str | None = None,
        changes: tuple[PlanChange, ...] = (),
    ) -> AuditEntry:
        """Append an entry and return it."""
        entry = AuditEntry(
            len(self._entries) + 1, at, event, reason, booking_id, vehicle_id, changes
        )
        self._entries.append(entry)
        return entry

    def __iter__(self) -> Iterator[AuditEntry]:
        return iter(self._entries)

    def __reversed__(self) -> Iterator[AuditEntry]:
        """Newest first (reading back to a point in the day stops early)."""
        return reversed(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def for_booking(self, booking_id: str) -> list[AuditEntry]:
        """Entries about a booking, or whose plan changes touch it."""
        return [
            e
            for e in self._entries
            if e.booking_id == booking_id or any(c.booking_id == booking_id for c in e.changes)
        ]

    def to_plain(self) -> list[dict[str, Any]]:
        """JSON-able data, for storage."""
        return [e.to_plain() for e in self._entries]

    @classmethod
    def from_plain(cls, data: Iterable[Mapping[str, Any]]) -> AuditLog:
        """Rebuild from `to_plain` data."""
        return cls(AuditEntry.from_plain(d) for d in data)
