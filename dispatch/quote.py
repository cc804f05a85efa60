"""Instant quotes: what the operator asks, what the caller is told, and a fast insertion.

An operator takes down a `RideAsk` (by departure: ``depart_at``; by arrival:
``arrive_by``), a `DeliveryAsk` or a `VisitAsk` (a home visit of a nurse car, 訪問診療:
an appointment window, or a wanted time); `dispatch.live.LiveDay.quote` answers with a
`Quote`: a promised pickup window (お迎え予定時間帯, `QuoteConfig.promise_width_s` wide)
and the estimated arrival, or a visit's appointment window (訪問予定時間帯), or a
rejection with a reason (予約できません（理由）) and up to `QuoteConfig.alternatives`
other times that are feasible now (代わりの時間).

The insertion itself is `dispatch.insertion.find_insertion`, the one insertion engine
(quotes, repairs, construction).

Times are seconds from the start of the service day; ``now`` may be negative when a
booking is taken the day before.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any

import numpy as np

from dispatch.errors import InputError
from dispatch.model import (
    DeliveryOrder,
    Problem,
    Request,
    RideRequest,
    Task,
    TimeWindow,
    VisitRequest,
)

# -- what the operator asks ------------------------------------------------------------


def _check_int(obj: str, name: str, value: object, *, minimum: int | None = None) -> None:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise InputError(f"{obj}: {name} must be an int, got {value!r}")
    if minimum is not None and value < minimum:
        raise InputError(f"{obj}: {name} must be >= {minimum}, got {value}")


@dataclass(frozen=True, slots=True)
class RideAsk:
    """A ride as the operator takes it down (出発希望時刻 or 到着希望時刻).

    Exactly one of ``depart_at`` (book by departure) and ``arrive_by`` (book by
    arrival: alighting starts no later) is given. Locations are matrix indices.
    """

    pickup: int
    dropoff: int
    depart_at: int | None = None
    arrive_by: int | None = None
    rider_id: str = ""
    party_size: int = 1
    wheelchairs: int = 0
    board_s: int = 60
    alight_s: int = 60
    required_features: frozenset[str] = frozenset()
    priority: int = 1

    def __post_init__(self) -> None:
        obj = "ride ask"
        _check_int(obj, "pickup", self.pickup, minimum=0)
        _check_int(obj, "dropoff", self.dropoff, minimum=0)
        if (self.depart_at is None) == (self.arrive_by is None):
            raise InputError(f"{obj}: give exactly one of depart_at and arrive_by")
        for name in ("depart_at", "arrive_by"):
            if getattr(self, name) is not None:
                _check_int(obj, name, getattr(self, name))
        _check_int(obj, "party_size", self.party_size, minimum=1)
        _check_int(obj, "wheelchairs", self.wheelchairs, minimum=0)
        if self.wheelchairs > self.party_size:
            raise InputError(f"{obj}: wheelchairs ({self.wheelchairs}) exceeds party_size")
        _check_int(obj, "board_s", self.board_s, minimum=0)
        _check_int(obj, "alight_s", self.alight_s, minimum=0)
        _check_int(obj, "priority", self.priority, minimum=1)
        if not isinstance(self.required_features, frozenset):
            raise InputError(f"{obj}: required_features must be a frozenset of strings")

    @property
    def by_arrival(self) -> bool:
        """Booked by arrival time (到着希望時刻)."""
        return self.arrive_by is not None

    @property
    def time(self) -> int:
        """The time the caller asked for (departure or arrival)."""
        return self.arrive_by if self.arrive_by is not None else self.depart_at  # type: ignore[return-value]


@dataclass(frozen=True, slots=True)
class DeliveryAsk:
    """A shop order (買い物支援): collected at ``shop``, handed over at ``customer``.

    ``ready_at`` defaults to now plus `QuoteConfig.delivery_prep_s`, ``due_by`` to the
    end of the latest shift. ``hall_id``: hand it over at that community hall (公民館,
    `dispatch.halls`) for the customer to collect, instead of at ``customer``'s door.
    """

    shop: int
    customer: int
    ready_at: int | None = None
    due_by: int | None = None
    deliver_from: int | None = None
    cargo_units: int = 1
    pickup_service_s: int = 120
    dropoff_service_s: int = 120
    required_features: frozenset[str] = frozenset()
    priority: int = 1
    hall_id: str | None = None
    weight_kg: float = 0.0

    def __post_init__(self) -> None:
        obj = "delivery ask"
        _check_int(obj, "shop", self.shop, minimum=0)
        _check_int(obj, "customer", self.customer, minimum=0)
        for name in ("ready_at", "due_by", "deliver_from"):
            if getattr(self, name) is not None:
                _check_int(obj, name, getattr(self, name))
        _check_int(obj, "cargo_units", self.cargo_units, minimum=1)
        _check_int(obj, "pickup_service_s", self.pickup_service_s, minimum=0)
        _check_int(obj, "dropoff_service_s", self.dropoff_service_s, minimum=0)
        _check_int(obj, "priority", self.priority, minimum=1)
        if not isinstance(self.required_features, frozenset):
            raise InputError(f"{obj}: required_features must be a frozenset of strings")
        if self.hall_id is not None and (not isinstance(self.hall_id, str) or not self.hall_id):
            raise InputError(f"{obj}: hall_id must be a non-empty string, got {self.hall_id!r}")
        weight = self.weight_kg
        if isinstance(weight, bool) or not isinstance(weight, int | float) or not 0 <= weight < 1e6:
            raise InputError(f"{obj}: weight_kg must be a number of kg >= 0, got {weight!r}")


@dataclass(frozen=True, slots=True)
class VisitAsk:
    """A home visit (訪問診療) as the operator takes it down: a nurse car at ``location``.

    Exactly one of ``window`` (an appointment the clinic already gave: the visit starts
    inside it, and that is what the patient is promised) and ``wanted_at`` (a wanted
    start: the promise is a `QuoteConfig.visit_promise_width_s` window placed around
    the feasible start closest to it, within ``[wanted_at - visit_early_s, wanted_at +
    visit_late_s]``) is given. ``service_s`` is the length of the consultation;
    ``required_features`` what the vehicle must offer (e.g. ``"nurse"``). A visit no
    vehicle in service can make for want of a feature is rejected (``NO_VEHICLE``,
    naming the feature), not refused as bad input.
    """

    location: int
    window: TimeWindow | None = None
    wanted_at: int | None = None
    service_s: int = 1800
    rider_id: str = ""
    required_features: frozenset[str] = frozenset()
    priority: int = 1

    def __post_init__(self) -> None:
        obj = "visit ask"
        _check_int(obj, "location", self.location, minimum=0)
        if (self.window is None) == (self.wanted_at is None):
            raise InputError(f"{obj}: give exactly one of window and wanted_at")
        if self.window is not None and not isinstance(self.window, TimeWindow):
            raise InputError(f"{obj}: window must be a TimeWindow, got {self.window!r}")
        if self.wanted_at is not None:
            _check_int(obj, "wanted_at", self.wanted_at)
        _check_int(obj, "service_s", self.service_s, minimum=1)
        _check_int(obj, "priority", self.priority, minimum=1)
        if not isinstance(self.required_features, frozenset):
            raise InputError(f"{obj}: required_features must be a frozenset of strings")

    @property
    def time(self) -> int:
        """The time the caller asked for (the appointment's start, or the wanted one)."""
        return self.window.start if self.window is not None else self.wanted_at  # type: ignore[return-value]


Ask = RideAsk | DeliveryAsk | VisitAsk


@dataclass(frozen=True, slots=True)
class QuoteConfig:
    """How quotes are made (seconds). One place to read and override them.

    By departure the pickup may be promised within ``[depart_at - departure_early_s,
    depart_at + departure_late_s]``; by arrival within the ``arrival_lead_s`` before
    the latest pickup that still arrives in time. The promise is ``promise_width_s``
    wide, its start on a ``round_s`` grid when that keeps the planned pickup inside.
    Same-day shop orders close at ``delivery_cutoff_s`` (注文締切; None: no cut-off);
    deliveries are promised a ``delivery_slot_s`` hand-over slot (0: the order's window).
    Rides must be booked ``min_lead_s`` before departure. Rejections list up to
    ``alternatives`` times, trying the asked time shifted by ±``alternative_step_s``,
    ±2×…, up to ``alternative_max_shift_s``. A home visit asked for at a wanted time
    is promised a ``visit_promise_width_s`` appointment window within ``[wanted_at -
    visit_early_s, wanted_at + visit_late_s]`` (one asked for with an appointment
    window is promised that window).
    """

    promise_width_s: int = 900
    departure_early_s: int = 600
    departure_late_s: int = 1800
    arrival_lead_s: int = 2700
    min_lead_s: int = 0
    round_s: int = 300
    delivery_cutoff_s: int | None = 11 * 3600
    delivery_prep_s: int = 1800
    delivery_slot_s: int = 3600
    alternatives: int = 3
    alternative_step_s: int = 900
    alternative_max_shift_s: int = 7200
    exact_checks_per_vehicle: int = 12
    max_exact_checks: int = 60
    visit_promise_width_s: int = 1800
    visit_early_s: int = 1800
    visit_late_s: int = 3600

    def __post_init__(self) -> None:
        for name, value in asdict(self).items():
            if name == "delivery_cutoff_s" and value is None:
                continue
            minimum = (
                1
                if name
                in ("promise_width_s", "round_s", "alternative_step_s", "visit_promise_width_s")
                else 0
            )
            _check_int("quote config", name, value, minimum=minimum)

    def to_plain(self) -> dict[str, Any]:
        """JSON-able data, for storage."""
        return asdict(self)


# -- what the caller is told -------------------------------------------------------------


class QuoteRejection(StrEnum):
    """Why a booking cannot be taken (予約できません（理由）)."""

    FULLY_BOOKED = "fully_booked"
    OUTSIDE_SERVICE_HOURS = "outside_service_hours"
    NO_VEHICLE = "no_vehicle"
    MAX_RIDE_TOO_SHORT = "max_ride_too_short"
    AFTER_CUTOFF = "after_cutoff"
    TOO_SOON = "too_soon"
    HALL_CLOSED = "hall_closed"
    HALL_FULL = "hall_full"
    HALL_OUT_OF_REACH = "hall_out_of_reach"


REJECTION_TEXT: dict[QuoteRejection, tuple[str, str]] = {
    QuoteRejection.FULLY_BOOKED: (
        "ご希望の時間は車両が埋まっています",
        "every vehicle is busy at the requested time",
    ),
    QuoteRejection.OUTSIDE_SERVICE_HOURS: ("運行時間外です", "outside service hours"),
    QuoteRejection.NO_VEHICLE: (
        "条件に合う車両（車椅子対応車など）が運行していません",
        "no vehicle in service can carry this booking (wheelchair, capacity, features)",
    ),  # a visit's rejection also names the missing feature(s) (`Quote.missing_features`)
    QuoteRejection.MAX_RIDE_TOO_SHORT: (
        "乗車時間が長すぎるためお受けできません",
        "the direct ride is longer than the maximum ride time",
    ),
    QuoteRejection.AFTER_CUTOFF: (
        "本日分の注文締切を過ぎています",
        "past today's order cut-off",
    ),
    QuoteRejection.TOO_SOON: (
        "ご希望の時間までに間に合いません",
        "too close to the requested time",
    ),
    QuoteRejection.HALL_CLOSED: (
        "公民館の開館時間内にお届けできません",
        "the hall is not open when the order can be there",
    ),
    QuoteRejection.HALL_FULL: (
        "公民館の受け取り枠がいっぱいです",
        "the hall's collection slots are full",
    ),
    QuoteRejection.HALL_OUT_OF_REACH: (
        "お住まいから公民館が遠すぎます",
        "the hall is too far from the customer's home",
    ),
}


def clock(t: int) -> str:
    """``HH:MM`` of a day time in seconds (hours past 24 for after midnight)."""
    sign = "-" if t < 0 else ""
    t = abs(int(t))
    return f"{sign}{t // 3600:02d}:{t % 3600 // 60:02d}"


def span(w: TimeWindow) -> str:
    """A window as shown on screen: 「10:05〜10:20」."""
    return f"{clock(w.start)}〜{clock(w.end)}"


@dataclass(frozen=True, slots=True)
class Alternative:
    """Another choice that is feasible now (代わりの時間): a ride at another ``time``;
    a delivery to the door (``hall_id`` None) or to a hall, in slot ``promise``."""

    time: int
    promise: TimeWindow
    estimated_pickup: int
    estimated_arrival: int
    vehicle_id: str
    hall_id: str | None = None
    hall_name: str = ""

    def label(self, kind: str) -> tuple[str, str]:
        """(Japanese, English) words for this alternative."""
        if kind != "delivery":  # a ride or a visit: another time
            return clock(self.time), clock(self.time)
        if self.hall_id is None:
            return f"ご自宅へ {span(self.promise)}", f"to the door {span(self.promise)}"
        return (
            f"{self.hall_name}で {clock(self.promise.end)} 以降",
            f"at {self.hall_name} from {clock(self.promise.end)}",
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form for the API and logs."""
        return {
            "time": self.time,
            "promise": [self.promise.start, self.promise.end],
            "estimated_pickup": self.estimated_pickup,
            "estimated_arrival": self.estimated_arrival,
            "vehicle": self.vehicle_id,
            "hall": self.hall_id,
        }


@dataclass(frozen=True, slots=True)
class Quote:
    """The answer to an ask: a held booking with its promise, or a rejection.

    ``promise`` is the pickup window for rides (お迎え予定時間帯), the hand-over
    slot for deliveries and the appointment window for visits (訪問予定時間帯);
    ``latest_arrival`` is what the rules guarantee (arrive-by time, or promise end +
    boarding + maximum ride time; a visit: the latest start). For a visit,
    ``estimated_pickup`` and ``estimated_arrival`` are both the planned start of the
    visit. ``missing_features``: a rejection for want of a vehicle, the features no
    vehicle in service offers. A delivery to a hall names it (``hall_id``,
    ``hall_name``): the customer collects from the slot's end; ``drone_id`` when a
    drone flies it there.
    """

    ok: bool
    kind: str
    booking_id: str | None = None
    promise: TimeWindow | None = None
    estimated_pickup: int | None = None
    estimated_arrival: int | None = None
    latest_arrival: int | None = None
    vehicle_id: str | None = None
    held_until: int | None = None
    reason: QuoteRejection | None = None
    alternatives: tuple[Alternative, ...] = ()
    detail: str = ""
    missing_features: tuple[str, ...] = ()
    hall_id: str | None = None
    hall_name: str = ""
    drone_id: str | None = None

    @property
    def message_ja(self) -> str:
        """What to tell the caller, in Japanese."""
        if self.ok:
            assert self.promise is not None and self.estimated_arrival is not None
            if self.kind == "ride":
                return (
                    f"お迎え予定時間帯 {span(self.promise)}、"
                    f"到着予定 {clock(self.estimated_arrival)}"
                )
            if self.kind == "visit":
                return (
                    f"訪問予定時間帯 {span(self.promise)}、"
                    f"訪問開始予定 {clock(self.estimated_arrival)}"
                )
            if self.hall_id is not None:
                by_air = "（ドローン便）" if self.drone_id else ""
                return (
                    f"{self.hall_name}で {clock(self.promise.end)} 以降にお受け取りください{by_air}"
                )
            return f"お届け予定時間帯 {span(self.promise)}"
        assert self.reason is not None
        text = f"予約できません（{REJECTION_TEXT[self.reason][0]}）"
        if self.missing_features:
            text += f"。必要な装備: {'、'.join(self.missing_features)}"
        if self.alternatives:
            head = "代わりのお届け" if self.kind == "delivery" else "代わりの時間"
            text += f"。{head}: " + "、".join(a.label(self.kind)[0] for a in self.alternatives)
        return text

    @property
    def message_en(self) -> str:
        """What to tell the caller, in English."""
        if self.ok:
            assert self.promise is not None and self.estimated_arrival is not None
            if self.kind == "ride":
                return (
                    f"pickup between {clock(self.promise.start)} and {clock(self.promise.end)}, "
                    f"arrival about {clock(self.estimated_arrival)}"
                )
            if self.kind == "visit":
                return (
                    f"visit starting between {clock(self.promise.start)} and "
                    f"{clock(self.promise.end)}, planned at {clock(self.estimated_arrival)}"
                )
            if self.hall_id is not None:
                by_air = " (by drone)" if self.drone_id else ""
                return f"collect at {self.hall_name} from {clock(self.promise.end)}{by_air}"
            return f"delivery between {clock(self.promise.start)} and {clock(self.promise.end)}"
        assert self.reason is not None
        text = f"cannot book ({REJECTION_TEXT[self.reason][1]})"
        if self.missing_features:
            text += f"; no vehicle in service offers {', '.join(self.missing_features)}"
        if self.alternatives:
            head = "alternatives" if self.kind == "delivery" else "alternative times"
            text += f"; {head}: " + ", ".join(a.label(self.kind)[1] for a in self.alternatives)
        return text

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form for the API and logs."""
        return {
            "ok": self.ok,
            "kind": self.kind,
            "booking_id": self.booking_id,
            "promise": None if self.promise is None else [self.promise.start, self.promise.end],
            "estimated_pickup": self.estimated_pickup,
            "estimated_arrival": self.estimated_arrival,
            "latest_arrival": self.latest_arrival,
            "vehicle": self.vehicle_id,
            "held_until": self.held_until,
            "reason": None if self.reason is None else self.reason.value,
            "hall": self.hall_id,
            "drone": self.drone_id,
            "alternatives": [a.to_dict() for a in self.alternatives],
            "message_ja": self.message_ja,
            "message_en": self.message_en,
            "detail": self.detail,
            "missing_features": list(self.missing_features),
        }


# -- the request behind an ask -----------------------------------------------------------


def past_cutoff(ask: Ask, now: int, config: QuoteConfig) -> bool:
    """A same-day shop order taken after the cut-off (注文締切) is refused by rule;
    orders taken the day before (``now`` < 0) are not."""
    return (
        isinstance(ask, DeliveryAsk)
        and config.delivery_cutoff_s is not None
        and now >= 0
        and now > config.delivery_cutoff_s
    )


def build_request(
    ask: Ask,
    booking_id: str,
    *,
    now: int,
    time_s: np.ndarray,
    horizon_s: int,
    day_end: int,
    config: QuoteConfig,
) -> Request | None:
    """The request an ask books at time `now`: its booked window, no promise yet.

    By departure the pickup window is ``[depart_at - departure_early_s, depart_at +
    departure_late_s]``; by arrival it ends at the latest pickup that still arrives in
    time driving directly (``arrive_by - direct - board_s``) and opens
    ``arrival_lead_s`` before; neither opens before `now`. A delivery is ready at
    ``ready_at`` (default now + ``delivery_prep_s``) and due by ``due_by`` (default
    `day_end`). A visit's appointment window is the one asked for, or ``[wanted_at -
    visit_early_s, wanted_at + visit_late_s]``; neither opens before `now`. None when
    the ask cannot be met from `now` (too soon).
    """
    now0 = max(now, 0)
    if isinstance(ask, VisitAsk):
        if ask.window is not None:
            lo, hi = max(ask.window.start, now0), min(ask.window.end, horizon_s)
        else:
            assert ask.wanted_at is not None
            if ask.wanted_at < now + config.min_lead_s:
                return None
            lo = max(ask.wanted_at - config.visit_early_s, now0 + config.min_lead_s)
            hi = min(ask.wanted_at + config.visit_late_s, horizon_s)
        if hi < lo:
            return None
        return VisitRequest(
            booking_id,
            ask.location,
            TimeWindow(lo, hi),
            service_s=ask.service_s,
            rider_id=ask.rider_id,
            priority=ask.priority,
            required_features=ask.required_features,
        )
    if isinstance(ask, RideAsk):
        extra: dict[str, Any] = {}
        if ask.depart_at is not None:
            if ask.depart_at < now + config.min_lead_s:
                return None
            lo = max(ask.depart_at - config.departure_early_s, now0)
            hi = min(ask.depart_at + config.departure_late_s, horizon_s)
        else:
            assert ask.arrive_by is not None
            direct = int(time_s[ask.pickup, ask.dropoff])
            hi = min(ask.arrive_by - direct - ask.board_s, horizon_s)
            lo = max(hi - config.arrival_lead_s, now0 + config.min_lead_s)
            extra["arrive_by"] = ask.arrive_by
        if hi < lo:
            return None
        return RideRequest(
            booking_id,
            ask.pickup,
            ask.dropoff,
            rider_id=ask.rider_id,
            party_size=ask.party_size,
            wheelchairs=ask.wheelchairs,
            board_s=ask.board_s,
            alight_s=ask.alight_s,
            pickup_window=TimeWindow(lo, hi),
            priority=ask.priority,
            required_features=ask.required_features,
            **extra,
        )
    ready = ask.ready_at if ask.ready_at is not None else now0 + config.delivery_prep_s
    ready = max(ready, now0)
    due = min(ask.due_by if ask.due_by is not None else day_end, horizon_s)
    if due < ready or (ask.deliver_from is not None and ask.deliver_from > due):
        return None
    return DeliveryOrder(
        booking_id,
        ask.shop,
        ask.customer,
        ready_at=ready,
        due_by=due,
        deliver_from=ask.deliver_from,
        cargo_units=ask.cargo_units,
        pickup_service_s=ask.pickup_service_s,
        dropoff_service_s=ask.dropoff_service_s,
        priority=ask.priority,
        required_features=ask.required_features,
        weight_kg=float(ask.weight_kg),
    )


# -- the promised window ---------------------------------------------------------------


def place_window(center: int, width: int, lo: int, hi: int, round_s: int) -> TimeWindow:
    """A ``width``-wide window inside ``[lo, hi]`` around ``center`` (which it contains).

    The start is put on the ``round_s`` grid when the window still contains
    ``center``; when ``[lo, hi]`` is narrower than ``width`` it is the whole of it.
    """
    if not lo <= center <= hi:
        raise InputError(f"window: center {center} lies outside [{lo}, {hi}]")
    if hi - lo <= width:
        return TimeWindow(lo, hi)
    raw = center - width // 2
    for start in (raw - raw % round_s, raw):
        start = min(max(start, lo), hi - width)
        if start <= center <= start + width:
            return TimeWindow(start, start + width)
    start = min(max(center - width // 2, lo), hi - width)  # pragma: no cover - defensive
    return TimeWindow(start, start + width)


def slot_from(earliest: int, width: int, lo: int, hi: int, round_s: int) -> TimeWindow:
    """A ``width``-wide slot inside ``[lo, hi]`` starting at or just before ``earliest``."""
    start = max(lo, earliest - earliest % round_s)
    end = min(hi, start + width)
    if end < earliest:  # width below the grid step
        start, end = earliest, min(hi, earliest + width)
    return TimeWindow(start, max(start, end))


def resolve_task(problem: Problem, request: Request) -> Task:
    """`request` resolved against `problem`'s matrices, horizon and ride policy.

    Uses the model's own resolution, so the task is exactly what a `Problem` holding
    the request would resolve, without building one (that copies the matrices).
    """
    return problem._resolve(0, request)
