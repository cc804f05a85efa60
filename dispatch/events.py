"""Plain records of a live service day: bookings, vehicle states, done stops, broken promises.

Everything here is a dataclass of ints and strings (plus the model's own value objects,
which convert to and from JSON-able dicts with `request_to_plain`/`request_from_plain`
and `vehicle_to_plain`/`vehicle_from_plain`), so a persistence layer can store a
`dispatch.live.LiveDay` and rebuild it after a restart. Times are seconds from the start
of the service day and may be negative for bookings taken the day before.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from enum import StrEnum
from typing import Any

from dispatch.errors import InputError
from dispatch.model import (
    Break,
    DeliveryOrder,
    Onboard,
    Request,
    RideRequest,
    TimeWindow,
    Vehicle,
    VisitRequest,
)


class BookingStatus(StrEnum):
    """Where a booking stands (仮押さえ → 予約確定 → 乗車 → 降車, or ended early)."""

    HELD = "held"  # 仮押さえ: quoted, capacity reserved until confirmed or expired
    CONFIRMED = "confirmed"  # 予約確定: the promise is a hard constraint
    PICKED_UP = "picked_up"  # 乗車済み: on board (or the goods are)
    DONE = "done"  # 降車済み / delivered / visited (訪問済み)
    CANCELLED = "cancelled"  # キャンセル
    NO_SHOW = "no_show"  # 不在（無断キャンセル）
    EXPIRED = "expired"  # the hold ran out before it was confirmed
    PROMISE_BROKEN = "promise_broken"  # 遅れ: cannot be kept; the dispatcher must call

    @property
    def is_active(self) -> bool:
        """Still part of today's work (routed, or waiting for the dispatcher)."""
        return self in _ACTIVE


#: Statuses whose booking is in a vehicle's route.
ROUTED = frozenset({BookingStatus.HELD, BookingStatus.CONFIRMED, BookingStatus.PICKED_UP})

_ACTIVE = frozenset(
    {
        BookingStatus.HELD,
        BookingStatus.CONFIRMED,
        BookingStatus.PICKED_UP,
        BookingStatus.PROMISE_BROKEN,
    }
)


@dataclass(slots=True)
class Booking:
    """One booking: the request as it stands in the plan (promise included) and its status.

    ``request`` changes over the day: the promise is set when quoted, the pickup turns
    into ``onboard`` when done, a breakdown turns it into a rescue pickup.
    """

    id: str
    request: Request
    status: BookingStatus
    created_at: int
    held_until: int | None = None
    vehicle_id: str | None = None  # who picked it up
    picked_up_at: int | None = None  # departure from the pickup
    dropped_at: int | None = None  # service start at the dropoff (a visit: at the visit)
    note: str = ""

    @property
    def promise(self) -> TimeWindow | None:
        """The promised pickup window (rides), hand-over window (deliveries) or
        appointment window (visits)."""
        r = self.request
        if isinstance(r, RideRequest):
            return r.promise
        if isinstance(r, VisitRequest):
            return r.promise if r.promise is not None else r.window
        lo = r.deliver_from if r.deliver_from is not None else r.ready_at
        return TimeWindow(lo, r.due_by)

    def to_plain(self) -> dict[str, Any]:
        """JSON-able data, for storage."""
        return {
            "id": self.id,
            "request": request_to_plain(self.request),
            "status": self.status.value,
            "created_at": self.created_at,
            "held_until": self.held_until,
            "vehicle_id": self.vehicle_id,
            "picked_up_at": self.picked_up_at,
            "dropped_at": self.dropped_at,
            "note": self.note,
        }

    @classmethod
    def from_plain(cls, d: dict[str, Any]) -> Booking:
        """Rebuild from `to_plain` data."""
        return cls(
            id=d["id"],
            request=request_from_plain(d["request"]),
            status=BookingStatus(d["status"]),
            created_at=d["created_at"],
            held_until=d.get("held_until"),
            vehicle_id=d.get("vehicle_id"),
            picked_up_at=d.get("picked_up_at"),
            dropped_at=d.get("dropped_at"),
            note=d.get("note", ""),
        )


@dataclass(slots=True)
class VehicleState:
    """Where a vehicle is and what of its day is fixed.

    ``free_at`` is when it leaves (or left) ``position``; None means it has not started
    and leaves its depot from its shift start. ``en_route`` says it has left for its
    next stop, which is then locked (under way). ``pinned_stops`` counts the leading
    stops a dispatcher locked; ``closed`` takes no new stops (a locked route).
    ``shift_end`` is set when a delay forced overtime.
    """

    vehicle_id: str
    position: int
    free_at: int | None = None
    departed_at: int | None = None
    en_route: bool = False
    in_service: bool = True
    pinned_stops: int = 0
    closed: bool = False
    shift_end: int | None = None
    ignore_max_duration: bool = False
    breaks_taken: list[str] = field(default_factory=list)

    def to_plain(self) -> dict[str, Any]:
        """JSON-able data, for storage."""
        return {f.name: _plain(getattr(self, f.name)) for f in fields(self)}

    @classmethod
    def from_plain(cls, d: dict[str, Any]) -> VehicleState:
        """Rebuild from `to_plain` data."""
        return cls(**{**d, "breaks_taken": list(d.get("breaks_taken", []))})


@dataclass(frozen=True, slots=True)
class DoneStop:
    """A stop as executed (or reported by the driver)."""

    vehicle_id: str
    # "pickup" | "dropoff" | "visit" | "break" | "no_show" | "depart" | "depot" (back home)
    kind: str
    start: int
    departure: int
    location: int | None = None
    request_id: str | None = None
    break_id: str | None = None

    def to_plain(self) -> dict[str, Any]:
        """JSON-able data, for storage."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_plain(cls, d: dict[str, Any]) -> DoneStop:
        """Rebuild from `to_plain` data."""
        return cls(**d)


class BrokenWhat(StrEnum):
    """Which promise an event broke."""

    PICKUP_WINDOW = "pickup_window"  # the promised お迎え予定時間帯
    ARRIVAL = "arrival"  # an on-board rider's arrival time or maximum ride time
    RESCUE = "rescue"  # riders of a broken-down vehicle nobody can fetch in time
    HANDOVER = "handover"  # a delivery's promised hand-over slot (お届け予定時間帯)
    APPOINTMENT = "appointment"  # a home visit's promised appointment window (訪問予定時間帯)


BROKEN_TEXT: dict[BrokenWhat, tuple[str, str]] = {
    BrokenWhat.PICKUP_WINDOW: (
        "お約束したお迎え予定時間帯に伺えません",
        "the promised pickup window can no longer be kept",
    ),
    BrokenWhat.ARRIVAL: (
        "到着が遅れます（乗車時間・到着希望時刻を守れません）",
        "the rider on board will arrive late (ride time or arrival time exceeded)",
    ),
    BrokenWhat.RESCUE: (
        "故障車両のお客様を迎えに行ける車両がありません",
        "no vehicle can fetch the riders of the broken-down vehicle in time",
    ),
    BrokenWhat.HANDOVER: (
        "お約束したお届け予定時間帯にお届けできません",
        "the promised hand-over slot can no longer be kept",
    ),
    BrokenWhat.APPOINTMENT: (
        "お約束した訪問予定時間帯に伺えません",
        "the promised appointment window of the home visit can no longer be kept",
    ),
}


@dataclass(frozen=True, slots=True)
class BrokenPromise:
    """A promise that an event made impossible: reported, never silently dropped.

    ``at`` is when it was found, ``cause`` why; ``by_s`` how far outside the promise
    the stop is or will be (seconds; 0 when nobody can serve it at all) and
    ``promised`` the window the caller was told (the ledger's record).
    """

    booking_id: str
    what: BrokenWhat
    at: int
    cause: str
    promised: TimeWindow | None = None
    by_s: int = 0
    vehicle_id: str | None = None

    @property
    def message_ja(self) -> str:
        """What to tell the caller, in Japanese."""
        return BROKEN_TEXT[self.what][0]

    @property
    def message_en(self) -> str:
        """What to tell the caller, in English."""
        return BROKEN_TEXT[self.what][1]

    def to_plain(self) -> dict[str, Any]:
        """JSON-able data, for storage."""
        return {
            "booking_id": self.booking_id,
            "what": self.what.value,
            "at": self.at,
            "cause": self.cause,
            "promised": _plain(self.promised),
            "by_s": self.by_s,
            "vehicle_id": self.vehicle_id,
            "message_ja": self.message_ja,
            "message_en": self.message_en,
        }

    @classmethod
    def from_plain(cls, d: dict[str, Any]) -> BrokenPromise:
        """Rebuild from `to_plain` data."""
        return cls(
            d["booking_id"],
            BrokenWhat(d["what"]),
            d["at"],
            d["cause"],
            _window(d["promised"]),
            int(d.get("by_s", 0)),
            d.get("vehicle_id"),
        )


@dataclass(frozen=True, slots=True)
class EventResult:
    """What an event did: the bookings whose plan changed and the promises it broke."""

    event: str
    changed: tuple[str, ...] = ()
    broken: tuple[BrokenPromise, ...] = ()
    audit_seq: int | None = None


@dataclass(frozen=True, slots=True)
class OverrideResult:
    """A dispatcher override: applied, or refused with what it would break (checker text)."""

    applied: bool
    message: str
    violations: tuple[str, ...] = ()
    audit_seq: int | None = None


# -- conversions to JSON-able data ---------------------------------------------------


def _plain(value: Any) -> Any:
    if isinstance(value, TimeWindow):
        return [int(value.start), int(value.end)]
    if isinstance(value, frozenset):
        return sorted(value)
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, Onboard):
        return {"vehicle_id": value.vehicle_id, "pickup_departed_at": value.pickup_departed_at}
    if isinstance(value, Break):
        return {"id": value.id, "window": _plain(value.window), "duration_s": value.duration_s}
    if hasattr(value, "item") and not isinstance(value, int | str | float):
        return value.item()  # numpy scalar
    return value


def _window(value: Any) -> TimeWindow | None:
    return None if value is None else TimeWindow(int(value[0]), int(value[1]))


_WINDOWS = {"pickup_window", "promise", "shift", "window"}
_KINDS: dict[str, type] = {"ride": RideRequest, "delivery": DeliveryOrder, "visit": VisitRequest}


def request_to_plain(r: Request) -> dict[str, Any]:
    """A ride, delivery or visit as a JSON-able dict (``kind`` says which)."""
    out = {f.name: _plain(getattr(r, f.name)) for f in fields(r) if f.init}
    out["kind"] = r.kind
    return out


def request_from_plain(d: dict[str, Any]) -> Request:
    """Inverse of `request_to_plain`."""
    d = dict(d)
    kind = d.pop("kind", None)
    if kind not in _KINDS:
        raise InputError(f"request: kind must be 'ride', 'delivery' or 'visit', got {kind!r}")
    kw: dict[str, Any] = {}
    for key, value in d.items():
        if key in _WINDOWS:
            kw[key] = _window(value)
        elif key == "required_features":
            kw[key] = frozenset(value)
        elif key == "vehicle_ids":
            kw[key] = None if value is None else frozenset(value)
        elif key == "onboard":
            kw[key] = None if value is None else Onboard(**value)
        else:
            kw[key] = value
    return _KINDS[kind](**kw)


def vehicle_to_plain(v: Vehicle) -> dict[str, Any]:
    """A vehicle and its shift as a JSON-able dict."""
    return {f.name: _plain(getattr(v, f.name)) for f in fields(v)}


def vehicle_from_plain(d: dict[str, Any]) -> Vehicle:
    """Inverse of `vehicle_to_plain`."""
    kw = dict(d)
    kw["shift"] = _window(kw["shift"])
    kw["capacity"] = tuple(kw["capacity"])
    kw["features"] = frozenset(kw.get("features", ()))
    kw["breaks"] = tuple(
        Break(b["id"], _window(b["window"]), b["duration_s"])  # type: ignore[arg-type]
        for b in kw.get("breaks", ())
    )
    return Vehicle(**kw)
