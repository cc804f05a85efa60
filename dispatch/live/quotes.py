"""Instant quotes on a live day, and the promise made when one is confirmed.

A quote builds the request of the ask (`dispatch.quote.build_request`), inserts it
where it is cheapest over all vehicles and positions (`dispatch.insertion.find_insertion`,
exact on the whole affected route), places the promised window around the feasible
pickup time closest to the asked one, verifies the route with the request's pickup
window narrowed to that promise, and holds the seat. A rejection says why
(予約できません（理由）) and lists times that are feasible now (代わりの時間).
`confirm` writes the promise to the ledger with the words the caller heard;
`release` and `cancel` end a booking before its pickup.

A home visit (`VisitAsk`, 訪問診療) is quoted the same way with its one stop: the
promise is the appointment window asked for, or a window placed around the feasible
start closest to the wanted one; a visit that no vehicle in service can make for want
of a feature (a nurse) is rejected as ``NO_VEHICLE``, naming the feature.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import Any

from dispatch.audit import AuditEvent, diff
from dispatch.drones import REASON_TEXT as DRONE_REASON_TEXT
from dispatch.drones import DroneSchedule, NoFlightReason
from dispatch.errors import InputError
from dispatch.events import Booking, BookingStatus, EventResult
from dispatch.halls import Hall, hall_slots
from dispatch.insertion import Insertion, last_position, positions
from dispatch.live import air
from dispatch.live.repair import take_out
from dispatch.live.routes import apply, booking, check_location, find, ordered, route_of, timetable
from dispatch.live.state import DayState, HoldExpiredError
from dispatch.model import (
    DeliveryOrder,
    Request,
    RideRequest,
    Task,
    TimeWindow,
    Vehicle,
    VisitRequest,
)
from dispatch.quote import (
    Alternative,
    Ask,
    DeliveryAsk,
    Quote,
    QuoteRejection,
    RideAsk,
    VisitAsk,
    build_request,
    clock,
    past_cutoff,
    place_window,
    resolve_task,
    slot_from,
    span,
)
from dispatch.schedule import Node, dropoff_node, pickup_node, schedule, visit_node
from dispatch.screening import compatible, fits_alone

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class _Found:
    vehicle_id: str
    request: Request
    task: Task
    nodes: list[Node]
    sched: Any
    pickup_index: int
    dropoff_index: int


def promise_terms(request: Request, task: Task) -> tuple[TimeWindow, int]:
    """(promised window, latest arrival) of a quoted request: what the caller is told.

    A ride: its promised pickup window, and the arrive-by time or promise end +
    boarding + maximum ride time, whichever is earlier. A delivery: its hand-over slot.
    A visit: its appointment window, and its end (the latest start of the visit).
    """
    if isinstance(request, VisitRequest):
        promise = request.promise if request.promise is not None else request.window
        return promise, promise.end
    if isinstance(request, RideRequest):
        promise = request.promise
        assert promise is not None and task.max_ride_s is not None
        latest = promise.end + request.board_s + task.max_ride_s
        if request.arrive_by is not None:
            latest = min(latest, request.arrive_by)
        return promise, latest
    return TimeWindow(task.dropoff.window.start, task.dropoff.window.end), request.due_by


def quote(s: DayState, ask: Ask, *, booking_id: str | None = None, hold: bool = True) -> Quote:
    """Answer an ask at once (see `dispatch.live.LiveDay.quote`)."""
    if not isinstance(ask, RideAsk | DeliveryAsk | VisitAsk):
        raise InputError(f"quote: ask must be a RideAsk, DeliveryAsk or VisitAsk, got {ask!r}")
    _validate_ask(s, ask)
    bid = _claim_id(s, booking_id)
    kind = _kind(ask)
    cfg = s.config.quote
    if past_cutoff(ask, s.now, cfg):
        assert cfg.delivery_cutoff_s is not None
        return Quote(
            False,
            kind,
            reason=QuoteRejection.AFTER_CUTOFF,
            detail=f"same-day orders close at {clock(cfg.delivery_cutoff_s)}",
        )
    request = _request_for(s, ask, bid)
    if request is None:
        return _reject(s, ask, bid, QuoteRejection.TOO_SOON)
    by_van = ""  # why an order to a drone pad goes by van
    if isinstance(ask, DeliveryAsk) and ask.hall_id is not None:
        assert isinstance(request, DeliveryOrder)
        hall = s.halls[ask.hall_id]
        slots = _free_slots(s, ask, request, hall)
        if isinstance(slots, QuoteRejection):
            return _reject(s, ask, bid, slots)
        if hall.drone_pad and s.air.service is not None:
            flying = air.try_fly(s, request, hall, slots)
            if not isinstance(flying, NoFlightReason):
                return _fly(s, bid, hall, *flying, hold=hold)
            by_van = f"by van: {DRONE_REASON_TEXT[flying][1]}"
        found = _van_to_hall(s, ask, request, hall, slots)
    else:
        found = _try_insert(s, request, ask)
    if found is None:
        return _reject(s, ask, bid, _diagnose(s, resolve_task(s.base, request)))
    held_until = _hold(s, bid, found) if hold else None
    if hold and by_van:
        s.bookings[bid].note = by_van
    promise, latest = promise_terms(found.request, found.task)
    hall = _hall_of(s, found.request)
    return Quote(
        True,
        kind,
        booking_id=bid if hold else None,
        promise=promise,
        estimated_pickup=found.sched.starts[found.pickup_index],
        estimated_arrival=found.sched.starts[found.dropoff_index],
        latest_arrival=latest,
        vehicle_id=found.vehicle_id,
        held_until=held_until,
        hall_id=None if hall is None else hall.id,
        hall_name="" if hall is None else hall.name,
    )


def _hall_of(s: DayState, request: Request) -> Hall | None:
    hall_id = getattr(request, "hall_id", None)
    return None if hall_id is None else s.halls.get(hall_id)


def _hall_taken(s: DayState, hall: Hall) -> dict[int, int]:
    """Parcels booked per slot start at a hall (held, confirmed or under way).

    An order ready after its slot began is handed over from then (``deliver_from``
    inside the slot): it still counts against the slot that holds its window.
    """
    slots = hall.slots()
    taken: dict[int, int] = {}
    for b in s.bookings.values():
        r = b.request
        if isinstance(r, DeliveryOrder) and r.hall_id == hall.id and b.status.is_active:
            start = r.deliver_from if r.deliver_from is not None else r.ready_at
            slot = next((w for w in slots if w.start <= start and r.due_by <= w.end), None)
            key = slot.start if slot is not None else start
            taken[key] = taken.get(key, 0) + r.cargo_units
    return taken


def _insert_at_hall(
    s: DayState, ask: DeliveryAsk, request: DeliveryOrder, hall: Hall
) -> _Found | QuoteRejection | None:
    """The earliest free collection slot at `hall` a van can hand the order over in.

    Out of reach, closed or full halls are refusals; None when every free slot is open
    but no vehicle fits (fully booked).
    """
    slots = _free_slots(s, ask, request, hall)
    if isinstance(slots, QuoteRejection):
        return slots
    return _van_to_hall(s, ask, request, hall, slots)


def _free_slots(
    s: DayState, ask: DeliveryAsk, request: DeliveryOrder, hall: Hall
) -> tuple[TimeWindow, ...] | QuoteRejection:
    """The hall's slots the order may use, or why none (out of reach, closed, full)."""
    if int(s.base.distance_m[ask.customer, hall.location]) > hall.reach_m:
        return QuoteRejection.HALL_OUT_OF_REACH
    return hall_slots(hall, request.ready_at, request.due_by, _hall_taken(s, hall))


def _van_to_hall(
    s: DayState,
    ask: DeliveryAsk,
    request: DeliveryOrder,
    hall: Hall,
    slots: tuple[TimeWindow, ...],
) -> _Found | None:
    """The earliest of `slots` a van can hand the order over in at `hall`."""
    for slot in slots:
        at_hall = replace(
            request,
            customer=hall.location,
            hall_id=hall.id,
            deliver_from=max(slot.start, request.ready_at),
            due_by=slot.end,
        )
        found = _try_insert(s, at_hall, ask)
        if found is not None:
            return found
    return None


def _fly(
    s: DayState,
    bid: str,
    hall: Hall,
    request: DeliveryOrder,
    plan: DroneSchedule,
    *,
    hold: bool,
) -> Quote:
    """An order a drone flies to `hall`: held with its flight (or only told, without
    ``hold``)."""
    flight = plan.flight_of(bid)
    assert flight is not None
    task = resolve_task(s.base, request)
    held_until = None
    if hold:
        air.hold(s, request, plan)
        held_until = s.now + s.config.hold_s
        s.bookings[bid] = Booking(
            bid, request, BookingStatus.HELD, created_at=s.now, held_until=held_until
        )
        s.tasks[bid] = task
        s.audit.record(
            s.now,
            AuditEvent.QUOTE_HELD,
            f"quoted: {flight.drone_id} lands at {hall.name} {clock(flight.at_hall)}, "
            f"held until {clock(held_until)}",
            booking_id=bid,
        )
        s.touch()
    promise, latest = promise_terms(request, task)
    return Quote(
        True,
        "delivery",
        booking_id=bid if hold else None,
        promise=promise,
        estimated_pickup=flight.takeoff,
        estimated_arrival=flight.at_hall,
        latest_arrival=latest,
        vehicle_id=flight.drone_id,
        held_until=held_until,
        hall_id=hall.id,
        hall_name=hall.name,
        drone_id=flight.drone_id,
    )


def confirm(s: DayState, booking_id: str) -> Booking:
    """Turn a held quote into a booking (予約確定) and write its promise to the ledger."""
    b = booking(s, booking_id)
    if b.status is BookingStatus.CONFIRMED:
        return b
    if b.status is BookingStatus.EXPIRED:
        raise HoldExpiredError(
            f"booking {booking_id!r}: the hold expired at {clock(b.held_until or s.now)}; "
            "quote again"
        )
    if b.status is not BookingStatus.HELD:
        raise InputError(f"booking {booking_id!r} is {b.status.value}, not held")
    b.status = BookingStatus.CONFIRMED
    b.held_until = None
    window, latest = promise_terms(b.request, s.tasks[booking_id])
    kind = b.request.kind
    if kind == "ride":
        words_ja = f"お迎え予定時間帯 {span(window)}、{clock(latest)} までに到着"
        words_en = f"pickup between {span(window)}, arrival by {clock(latest)}"
    elif kind == "visit":
        words_ja = f"訪問予定時間帯 {span(window)}"
        words_en = f"home visit starting between {span(window)}"
    elif (hall := _hall_of(s, b.request)) is not None:
        words_ja = f"{hall.name}で {clock(window.end)} 以降にお受け取りください"
        words_en = f"collect at {hall.name} from {clock(window.end)}"
    else:
        words_ja = f"お届け予定時間帯 {span(window)}"
        words_en = f"hand-over between {span(window)}"
    s.ledger.make(booking_id, kind, s.now, window, latest, words_ja, words_en)
    s.audit.record(
        s.now,
        AuditEvent.CONFIRMED,
        f"booked; promised {words_en}",
        booking_id=booking_id,
        vehicle_id=route_of(s, booking_id),
    )
    s.touch()
    return b


def release(s: DayState, booking_id: str) -> EventResult:
    """Give back a held quote the caller declined (frees its seat)."""
    b = booking(s, booking_id)
    if b.status is not BookingStatus.HELD:
        raise InputError(f"booking {booking_id!r} is {b.status.value}, not held")
    return take_out(s, booking_id, BookingStatus.CANCELLED, AuditEvent.RELEASED, "released")


def cancel(s: DayState, booking_id: str) -> EventResult:
    """The rider cancels (キャンセル): the booking leaves the plan, its seat is free."""
    b = booking(s, booking_id)
    if b.status is BookingStatus.PICKED_UP:
        raise InputError(f"booking {booking_id!r} is already on board; it cannot be cancelled")
    if not b.status.is_active:
        raise InputError(f"booking {booking_id!r} is {b.status.value}; nothing to cancel")
    return take_out(
        s, booking_id, BookingStatus.CANCELLED, AuditEvent.CANCELLED, "cancelled by the rider"
    )


def _kind(ask: Ask) -> str:
    if isinstance(ask, RideAsk):
        return "ride"
    return "visit" if isinstance(ask, VisitAsk) else "delivery"


def _validate_visit_ask(s: DayState, ask: VisitAsk) -> None:
    obj = "visit ask"
    check_location(s, obj, "location", ask.location)
    if ask.window is not None:
        name, t = "window end", ask.window.end
    else:
        assert ask.wanted_at is not None
        name, t = "wanted_at", ask.wanted_at
    if t < s.now:
        raise InputError(f"{obj}: {name} {clock(t)} is in the past (now {clock(s.now)})")
    if ask.time > s.horizon_s:
        raise InputError(f"{obj}: {clock(ask.time)} is after the service day")


def _validate_ask(s: DayState, ask: Ask) -> None:
    fleet = s.fleet.values()
    if isinstance(ask, VisitAsk):
        _validate_visit_ask(s, ask)  # a missing feature is a rejection (NO_VEHICLE)
        return
    if isinstance(ask, RideAsk):
        obj = "ride ask"
        check_location(s, obj, "pickup", ask.pickup)
        check_location(s, obj, "dropoff", ask.dropoff)
        name = "depart_at" if ask.depart_at is not None else "arrive_by"
        if ask.time < s.now:
            raise InputError(f"{obj}: {name} {clock(ask.time)} is in the past (now {clock(s.now)})")
        if ask.time > s.horizon_s:
            raise InputError(f"{obj}: {name} {clock(ask.time)} is after the service day")
        load = (ask.party_size - ask.wheelchairs, ask.wheelchairs, 0)
        size = f"party_size {ask.party_size} ({ask.wheelchairs} wheelchair(s))"
    else:
        obj = "delivery ask"
        check_location(s, obj, "shop", ask.shop)
        check_location(s, obj, "customer", ask.customer)
        if ask.due_by is not None and ask.due_by < s.now:
            raise InputError(
                f"{obj}: due_by {clock(ask.due_by)} is in the past (now {clock(s.now)})"
            )
        load = (0, 0, ask.cargo_units)
        size = f"cargo_units {ask.cargo_units}"
        if ask.hall_id is not None and ask.hall_id not in s.halls:
            known = ", ".join(sorted(s.halls)) or "none"
            raise InputError(f"{obj}: hall_id {ask.hall_id!r} is not a hall (known: {known})")
    if not any(ask.required_features <= v.features for v in fleet):
        raise InputError(
            f"{obj}: required_features {sorted(ask.required_features)} are offered by "
            "no vehicle of the fleet"
        )
    if not any(
        ask.required_features <= v.features
        and all(a <= c for a, c in zip(load, v.capacity, strict=True))
        for v in fleet
    ):
        raise InputError(f"{obj}: {size} fits no vehicle of the fleet")


def _claim_id(s: DayState, booking_id: str | None) -> str:
    if booking_id is None:
        return s.new_booking_id()
    if not isinstance(booking_id, str) or not booking_id:
        raise InputError(f"quote: booking_id must be a non-empty string, got {booking_id!r}")
    b = s.bookings.get(booking_id)
    if b is not None and b.status is not BookingStatus.PROMISE_BROKEN:
        raise InputError(f"quote: booking id {booking_id!r} is already used ({b.status.value})")
    return booking_id


def _request_for(s: DayState, ask: Ask, bid: str) -> Request | None:
    """The request to insert (booked window, no promise yet), or None if too soon."""
    return build_request(
        ask,
        bid,
        now=s.now,
        time_s=s.base.time_s,
        horizon_s=s.horizon_s,
        day_end=max(v.shift.end for v in s.fleet.values()),
        config=s.config.quote,
    )


def _try_insert(s: DayState, request: Request, ask: Ask) -> _Found | None:
    """Cheapest insertion, then the promise around it, verified by `schedule`."""
    cfg = s.config.quote
    found = find(s, resolve_task(s.base, request))
    if found is None:
        return None
    vid, ins = found
    if isinstance(request, VisitRequest):
        assert isinstance(ask, VisitAsk)
        return _visit_promise(s, vid, ins, request, ask)
    pi, di = positions(ins)
    final: Request
    if isinstance(request, RideRequest):
        assert isinstance(ask, RideAsk) and request.pickup_window is not None
        window = request.pickup_window
        target = ask.depart_at if ask.depart_at is not None else window.end
        center = _closest_pickup(s, s.routes[vid].vehicle, ins, pi, min(target, window.end))
        promise = place_window(center, cfg.promise_width_s, window.start, window.end, cfg.round_s)
        final = replace(request, promise=promise)
    elif cfg.delivery_slot_s > 0 and request.hall_id is None:  # a hall's slot is set
        d_lo = request.deliver_from if request.deliver_from is not None else request.ready_at
        slot = slot_from(
            ins.sched.earliest[di], cfg.delivery_slot_s, d_lo, request.due_by, cfg.round_s
        )
        final = replace(request, deliver_from=slot.start, due_by=slot.end)
    else:
        final = request
    final_task = resolve_task(s.base, final)
    nodes = list(ins.nodes)
    nodes[pi] = pickup_node(final_task)
    nodes[di] = dropoff_node(final_task)
    sched = schedule(s.base, s.routes[vid].vehicle, nodes)
    if sched is None:  # cannot happen: the promise contains a feasible pickup time
        logger.error("quote: promise of %s is not schedulable; refusing", request.id)
        return None
    return _Found(vid, final, final_task, nodes, sched, pi, di)


def _visit_promise(
    s: DayState, vid: str, ins: Insertion, request: VisitRequest, ask: VisitAsk
) -> _Found | None:
    """The appointment window of a visit inserted by `ins`, verified by `schedule`.

    An appointment asked for is promised as it is (its part from now on); a wanted
    time gets a `QuoteConfig.visit_promise_width_s` window around the feasible start
    closest to it.
    """
    cfg = s.config.quote
    k = last_position(ins)
    window = request.window
    if ask.window is not None:
        promise = window
    else:
        assert ask.wanted_at is not None
        vehicle = s.routes[vid].vehicle
        center = _closest_pickup(s, vehicle, ins, k, min(ask.wanted_at, window.end))
        promise = place_window(
            center, cfg.visit_promise_width_s, window.start, window.end, cfg.round_s
        )
    final = replace(request, promise=promise)
    final_task = resolve_task(s.base, final)
    nodes = list(ins.nodes)
    nodes[k] = visit_node(final_task)
    sched = schedule(s.base, s.routes[vid].vehicle, nodes)
    if sched is None:  # cannot happen: the promise contains a feasible start
        logger.error("quote: appointment of %s is not schedulable; refusing", request.id)
        return None
    return _Found(vid, final, final_task, nodes, sched, k, k)


def _closest_pickup(s: DayState, vehicle: Vehicle, ins: Insertion, pi: int, target: int) -> int:
    """The feasible start of the stop at `pi` (a pickup or a visit) of this insertion
    closest to `target`.

    Feasible pickup times form an interval starting at the earliest schedule's;
    above it, one `schedule` call tells whether `target` itself is feasible, and a
    bisection (to 30 s) finds the latest feasible time below it otherwise.
    """
    lo = ins.sched.earliest[pi]
    if target <= lo:
        return lo
    nodes = list(ins.nodes)
    node = nodes[pi]

    def feasible(x: int) -> bool:
        nodes[pi] = replace(node, earliest=x, latest=x)
        return schedule(s.base, vehicle, nodes) is not None

    if feasible(target):
        return target
    hi = target
    while hi - lo > 30:
        mid = (lo + hi) // 2
        if feasible(mid):
            lo = mid
        else:
            hi = mid
    return lo


def _hold(s: DayState, bid: str, found: _Found) -> int:
    before = timetable(s, [found.vehicle_id])
    apply(s, found.vehicle_id, found.nodes, found.sched)
    held_until = s.now + s.config.hold_s
    rebooked = bid in s.bookings
    s.bookings[bid] = Booking(
        bid,
        found.request,
        BookingStatus.HELD,
        created_at=s.now,
        held_until=held_until,
        note="rebooked after a broken promise" if rebooked else "",
    )
    s.tasks[bid] = found.task
    promise = s.bookings[bid].promise
    s.audit.record(
        s.now,
        AuditEvent.QUOTE_HELD,
        f"quoted {span(promise) if promise else ''} on {found.vehicle_id}, "
        f"held until {clock(held_until)}",
        booking_id=bid,
        vehicle_id=found.vehicle_id,
        changes=diff(before, timetable(s, [found.vehicle_id])),
    )
    s.touch()
    return held_until


def _diagnose(s: DayState, task: Task) -> QuoteRejection:
    vehicles = [wr.vehicle for _, wr in ordered(s) if not wr.closed]
    fitting = [v for v in vehicles if compatible(v, task)]
    if not fitting:
        return QuoteRejection.NO_VEHICLE
    if task.max_ride_s is not None and task.direct_s > task.max_ride_s:
        return QuoteRejection.MAX_RIDE_TOO_SHORT
    if not any(fits_alone(s.base, task, v) for v in fitting):
        return QuoteRejection.OUTSIDE_SERVICE_HOURS
    return QuoteRejection.FULLY_BOOKED


def _missing_features(s: DayState, ask: Ask) -> tuple[str, ...]:
    """The required features no vehicle in service offers (all of them when no one
    vehicle offers them together); () when some vehicle offers every one."""
    need = ask.required_features
    vehicles = [wr.vehicle for _, wr in ordered(s) if not wr.closed]
    if not need or any(need <= v.features for v in vehicles):
        return ()
    offered = frozenset().union(*(v.features for v in vehicles))
    return tuple(sorted(need - offered or need))


def _reject(s: DayState, ask: Ask, bid: str, reason: QuoteRejection) -> Quote:
    kind = _kind(ask)
    alternatives: tuple[Alternative, ...] = ()
    timed = isinstance(ask, RideAsk) or (isinstance(ask, VisitAsk) and ask.wanted_at is not None)
    if timed and reason in (
        QuoteRejection.FULLY_BOOKED,
        QuoteRejection.OUTSIDE_SERVICE_HOURS,
        QuoteRejection.TOO_SOON,
    ):
        alternatives = _alternatives(s, ask, bid)  # type: ignore[arg-type]
    elif isinstance(ask, DeliveryAsk) and reason in (
        QuoteRejection.FULLY_BOOKED,
        QuoteRejection.OUTSIDE_SERVICE_HOURS,
        QuoteRejection.HALL_CLOSED,
        QuoteRejection.HALL_FULL,
        QuoteRejection.HALL_OUT_OF_REACH,
    ):
        alternatives = _delivery_alternatives(s, ask, bid)
    missing: tuple[str, ...] = ()
    detail = ""
    if isinstance(ask, VisitAsk) and reason is QuoteRejection.NO_VEHICLE:
        missing = _missing_features(s, ask)
        if missing:
            detail = f"no vehicle in service offers {', '.join(missing)}"
    return Quote(
        False,
        kind,
        reason=reason,
        alternatives=alternatives,
        detail=detail,
        missing_features=missing,
    )


def _delivery_alternatives(s: DayState, ask: DeliveryAsk, bid: str) -> tuple[Alternative, ...]:
    """Other ways to hand the order over that are feasible now: to the door (if a hall
    was asked for), or to another hall within reach of the home, nearest first."""
    request = _request_for(s, ask, bid)
    if request is None:
        return ()
    assert isinstance(request, DeliveryOrder)
    options: list[Hall | None] = [] if ask.hall_id is None else [None]
    D = s.base.distance_m
    options += sorted(
        (h for h in s.halls.values() if h.id != ask.hall_id),
        key=lambda h: (int(D[ask.customer, h.location]), h.id),
    )
    found: list[Alternative] = []
    for hall in options:
        if len(found) >= s.config.quote.alternatives:
            break
        f = (
            _try_insert(s, replace(request, hall_id=None), replace(ask, hall_id=None))
            if hall is None
            else _insert_at_hall(s, ask, request, hall)
        )
        if not isinstance(f, _Found):
            continue
        slot, _ = promise_terms(f.request, f.task)
        found.append(
            Alternative(
                slot.start,
                slot,
                f.sched.starts[f.pickup_index],
                f.sched.starts[f.dropoff_index],
                f.vehicle_id,
                hall_id=None if hall is None else hall.id,
                hall_name="" if hall is None else hall.name,
            )
        )
    return tuple(found)


def _shifted(ask: RideAsk | VisitAsk, t: int) -> RideAsk | VisitAsk:
    if isinstance(ask, VisitAsk):
        return replace(ask, wanted_at=t)
    return replace(ask, arrive_by=t) if ask.by_arrival else replace(ask, depart_at=t)


def _alternatives(s: DayState, ask: RideAsk | VisitAsk, bid: str) -> tuple[Alternative, ...]:
    """Up to N times near the asked one that are feasible now (nothing is held)."""
    cfg = s.config.quote
    found: list[Alternative] = []
    steps = cfg.alternative_max_shift_s // cfg.alternative_step_s
    for k in range(1, steps + 1):
        for sign in (1, -1):
            if len(found) >= cfg.alternatives:
                return tuple(sorted(found, key=lambda a: a.time))
            t = ask.time + sign * k * cfg.alternative_step_s
            if t < s.now or t > s.horizon_s:
                continue
            shifted = _shifted(ask, t)
            request = _request_for(s, shifted, bid)
            if request is None:
                continue
            f = _try_insert(s, request, shifted)
            if f is None:
                continue
            promise = f.request.promise  # type: ignore[union-attr]  # rides and visits
            assert promise is not None
            if any(abs(a.promise.start - promise.start) < cfg.promise_width_s for a in found):
                continue
            found.append(
                Alternative(
                    t,
                    promise,
                    f.sched.starts[f.pickup_index],
                    f.sched.starts[f.dropoff_index],
                    f.vehicle_id,
                )
            )
    return tuple(sorted(found, key=lambda a: a.time))
