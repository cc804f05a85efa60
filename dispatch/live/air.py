"""Drone legs on a live day: shop orders flown to community halls (ドローン配送).

A day may hold a `DroneService`: drone bases, drones, and how near a shop must be to a
base to hand it parcels. An order to a hall with a drone pad flies when a drone can
land there inside a free collection slot (`dispatch.drones`): the day's pending
flights are planned again with it, and it flies only if every order flying before
still does. Otherwise it goes by van and the booking says why (`NoFlightReason`).

A flown booking is in no van's route: its flight is its plan. When the drone lands at
the hall the booking is done and the hand-over is compared with the ledger, as a
van's drop-off is. A grounding (weather, or the dispatcher's switch) plans the flights
again from now; an order that no longer flies moves to a van within its promised slot,
or its promise is reported broken. Cancelling a flown order frees its flight, unless
the drone is already in the air (`dispatch.live.repair.take_out`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from dispatch.audit import AuditEvent
from dispatch.drones import (
    REASON_TEXT,
    Drone,
    DroneBase,
    DroneOrder,
    DroneProblem,
    DroneSchedule,
    DroneSearch,
    Flight,
    Grounded,
    GroundedCause,
    HallPad,
    NoFlightReason,
    NotFlown,
    check_drone_schedule,
    moved_to_van,
    reschedule,
    schedule_flights,
)
from dispatch.drones.check import DroneCheckReport
from dispatch.errors import InputError
from dispatch.events import BookingStatus, BrokenPromise, BrokenWhat, DoneStop, EventResult
from dispatch.halls import Hall
from dispatch.live.repair import report_broken, report_once
from dispatch.live.routes import apply, find
from dispatch.live.state import AirState, DayState
from dispatch.model import DeliveryOrder, TimeWindow
from dispatch.quote import clock, resolve_task, span


@dataclass(frozen=True, slots=True)
class DroneService:
    """The drones a day may fly, and which shops hand parcels to which base.

    A shop whose road distance to a base is at most ``shop_reach_m`` hands its parcels
    to that base (a base at the shop itself: 0). ``search`` plans the flights.
    """

    bases: tuple[DroneBase, ...]
    drones: tuple[Drone, ...]
    shop_reach_m: int = 500
    search: DroneSearch = field(default_factory=lambda: DroneSearch(time_limit_s=1.0))

    def __post_init__(self) -> None:
        if not self.bases or not self.drones:
            raise InputError("drone service: needs at least one base and one drone")
        ids = {b.id for b in self.bases}
        for d in self.drones:
            if d.base_id not in ids:
                raise InputError(f"drone {d.id!r}: base_id {d.base_id!r} is not a base")
        value = self.shop_reach_m
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise InputError(f"drone service: shop_reach_m must be an int >= 0, got {value!r}")

    def to_plain(self) -> dict[str, Any]:
        """JSON-able data, for storage."""
        return {
            "bases": [
                {"id": b.id, "name": b.name, "location": b.location, "lon": b.lon, "lat": b.lat}
                for b in self.bases
            ],
            "drones": [
                {
                    "id": d.id,
                    "base_id": d.base_id,
                    "payload_g": d.payload_g,
                    "range_m": d.range_m,
                    "cruise_kmh": d.cruise_kmh,
                    "flying_hours": [d.flying_hours.start, d.flying_hours.end],
                    "turnaround_s": d.turnaround_s,
                    "handover_s": d.handover_s,
                    "takeoff_landing_s": d.takeoff_landing_s,
                }
                for d in self.drones
            ],
            "shop_reach_m": self.shop_reach_m,
            "search": {
                "engine": self.search.engine,
                "time_limit_s": self.search.time_limit_s,
                "seed": self.search.seed,
                "workers": self.search.workers,
            },
        }

    @classmethod
    def from_plain(cls, d: Mapping[str, Any]) -> DroneService:
        """Rebuild from `to_plain` data."""
        return cls(
            tuple(DroneBase(**b) for b in d["bases"]),
            tuple(
                Drone(**{**x, "flying_hours": TimeWindow(*x["flying_hours"])}) for x in d["drones"]
            ),
            d.get("shop_reach_m", 500),
            DroneSearch(**d["search"]) if "search" in d else DroneSearch(time_limit_s=1.0),
        )


def flown(s: DayState, bid: str) -> bool:
    """Whether booking `bid` travels by drone (planned or flown), not in a van."""
    return bid in s.air.orders


def pads(s: DayState) -> tuple[HallPad, ...]:
    """The day's halls with a drone pad, open from their first opening to their last."""
    return tuple(
        HallPad(
            h.id,
            h.name,
            h.location,
            h.lon,  # type: ignore[arg-type]  # a pad has coordinates (Hall checks)
            h.lat,  # type: ignore[arg-type]
            TimeWindow(h.opening[0].start, h.opening[-1].end),
        )
        for h in s.halls.values()
        if h.drone_pad
    )


def base_for_shop(s: DayState, shop: int) -> DroneBase | None:
    """The base a shop hands its parcels to: the nearest by road within reach."""
    service = s.air.service
    if service is None:
        return None
    D = s.base.distance_m
    near = [b for b in service.bases if int(D[shop, b.location]) <= service.shop_reach_m]
    return min(near, key=lambda b: (int(D[shop, b.location]), b.id), default=None)


def _problem(s: DayState, extra: DroneOrder | None = None) -> DroneProblem:
    """Every drone order of the day (and `extra`), flights already in the air locked."""
    service = s.air.service
    assert service is not None
    orders = [*s.air.orders.values(), *([extra] if extra is not None else [])]
    locked = tuple(f for f in s.air.flights.values() if f.takeoff <= s.now)
    return DroneProblem(
        service.bases,
        service.drones,
        pads(s),
        tuple(orders),
        tuple(s.air.grounded),
        locked,
        now=s.now,
    )


def _current(s: DayState) -> DroneSchedule:
    """The day's flights as a schedule (its summary: landing minus slot start, summed)."""
    flights = tuple(s.air.flights.values())
    delay = sum(f.at_hall - s.air.orders[f.order_id].slot.start for f in flights)
    return DroneSchedule(flights, (), "day", "feasible", delay)


def try_fly(
    s: DayState, request: DeliveryOrder, hall: Hall, slots: tuple[TimeWindow, ...]
) -> tuple[DeliveryOrder, DroneSchedule] | NoFlightReason:
    """The order (to `hall`, in the earliest of `slots` a drone can land in) and the
    day's flights with it, or why it cannot fly (it goes by van then)."""
    service = s.air.service
    if service is None or not hall.drone_pad:
        return NoFlightReason.NOT_A_HALL_PAD
    base = base_for_shop(s, request.shop)
    if base is None:
        return NoFlightReason.SHOP_FAR_FROM_BASE
    weight_g = max(1, round(request.weight_kg * 1000))
    flying = set(s.air.orders)
    reason = NoFlightReason.HALL_CLOSED
    for slot in slots:
        order = DroneOrder(request.id, base.id, hall.id, weight_g, request.ready_at, slot)
        plan = schedule_flights(_problem(s, order), service.search)
        if plan.flight_of(request.id) is not None and flying <= plan.flown_order_ids:
            at_hall = replace(
                request,
                customer=hall.location,
                hall_id=hall.id,
                deliver_from=max(slot.start, request.ready_at),
                due_by=slot.end,
            )
            return at_hall, plan
        reason = plan.reason_for(request.id) or NoFlightReason.NO_FREE_DRONE
        if reason in (NoFlightReason.OVERWEIGHT, NoFlightReason.OUT_OF_RANGE):
            break  # no slot changes these
    return reason


def hold(s: DayState, request: DeliveryOrder, plan: DroneSchedule) -> Flight:
    """Put a flown order into the day: its order and every flight of `plan`."""
    flight = plan.flight_of(request.id)
    assert flight is not None and request.hall_id is not None
    base = base_for_shop(s, request.shop)
    assert base is not None
    slot = TimeWindow(request.deliver_from or request.ready_at, request.due_by)
    weight_g = max(1, round(request.weight_kg * 1000))
    s.air.orders[request.id] = DroneOrder(
        request.id, base.id, request.hall_id, weight_g, request.ready_at, slot
    )
    s.air.flights = {f.order_id: f for f in plan.flights}
    return flight


def advance(s: DayState, t: int) -> list[BrokenPromise]:
    """Drones land at halls up to `t`: those bookings are done, compared with the ledger."""
    broken: list[BrokenPromise] = []
    for bid, f in sorted(s.air.flights.items(), key=lambda kv: kv[1].at_hall):
        if f.at_hall > t or bid in s.air.landed:
            continue
        s.air.landed.add(bid)
        b = s.bookings[bid]
        if b.status not in (BookingStatus.CONFIRMED, BookingStatus.HELD):
            continue
        hall = s.halls[f.hall_id]
        b.status = BookingStatus.DONE
        b.vehicle_id = f.drone_id
        b.picked_up_at = f.takeoff
        b.dropped_at = f.at_hall
        s.air.history.append(
            DoneStop(f.drone_id, "dropoff", f.at_hall, f.leaves_hall, hall.location, bid)
        )
        s.audit.record(
            t,
            AuditEvent.DROPPED_OFF,
            f"flown by {f.drone_id} to {hall.name}, landed {clock(f.at_hall)}",
            booking_id=bid,
        )
        promise = s.ledger.get(bid)
        if promise is not None:
            cause = f"{f.drone_id} landed at {clock(f.at_hall)}, outside the promised slot"
            broken += report_once(
                s, bid, promise.arrival_what, cause, promise.arrival_breach(f.at_hall)
            )
        s.tasks.pop(bid, None)
    return broken


def _to_vans(
    s: DayState, moved: Iterable[NotFlown], why: str
) -> tuple[list[str], list[BrokenPromise]]:
    """Orders that no longer fly go into a van within their slot (the booking says why),
    or their promise is reported broken. The booking ids changed, and the promises broken."""
    broken: list[BrokenPromise] = []
    changed: list[str] = []
    for n in moved:
        bid = n.order_id
        changed.append(bid)
        s.air.orders.pop(bid, None)
        s.air.flights.pop(bid, None)
        b = s.bookings[bid]
        task = resolve_task(s.base, b.request)
        s.tasks[bid] = task
        found = find(s, task)
        if found is None:
            broken.append(
                report_broken(
                    s, bid, BrokenWhat.HANDOVER, f"{why}: no van can reach the hall in the slot"
                )
            )
            continue
        vid, ins = found
        apply(s, vid, ins.nodes, ins.sched)
        b.note = f"by van: {REASON_TEXT[n.reason][1]}"
    return changed, broken


def ground(
    s: DayState,
    start: int,
    end: int,
    drone_ids: frozenset[str] | None,
    cause: GroundedCause,
    note: str,
) -> EventResult:
    """Drones may not fly in ``[start, end)``: plan the flights again; orders that no
    longer fly go to a van within their slot, or their promise is reported broken."""
    service = s.air.service
    if service is None:
        raise InputError("ground drones: this day has no drones")
    grounded = Grounded(start, end, drone_ids, cause, note)
    if drone_ids is not None and not drone_ids <= {d.id for d in service.drones}:
        unknown = sorted(drone_ids - {d.id for d in service.drones})
        raise InputError(f"ground drones: drone_ids name unknown drones {unknown}")
    s.air.grounded.append(grounded)
    before = _current(s)
    after = reschedule(_problem(s), before, s.now, service.search)
    moved = moved_to_van(before, after)
    s.air.flights = {f.order_id: f for f in after.flights}
    who = "every drone" if drone_ids is None else ", ".join(sorted(drone_ids))
    noted = f": {note}" if note else ""
    why = f"drones grounded ({cause.value}{noted}) {span(TimeWindow(start, end))}"
    changed, broken = _to_vans(s, moved, why)
    entry = s.audit.record(
        s.now,
        AuditEvent.DRONES_GROUNDED,
        f"{who} grounded {span(TimeWindow(start, end))} ({cause.value}{noted}): "
        f"{len(moved)} order(s) moved to vans, {len(broken)} promise(s) broken",
    )
    s.touch()
    return EventResult("drones_grounded", tuple(changed), tuple(broken), entry.seq)


def lift(s: DayState, period: Grounded) -> EventResult:
    """A grounding ends now (the dispatcher lifts it): a period under way ends at ``now``,
    one not yet begun is dropped. Flights already planned stay as they are, and orders
    moved to vans stay in them; orders quoted from now on may fly again."""
    if period not in s.air.grounded:
        raise InputError("lift grounding: no such grounded period today")
    if period.end <= s.now:
        raise InputError(f"lift grounding: the period ended at {clock(period.end)}")
    i = s.air.grounded.index(period)
    if period.start >= s.now:
        del s.air.grounded[i]
    else:
        s.air.grounded[i] = replace(period, end=s.now)
    who = "every drone" if period.drone_ids is None else ", ".join(sorted(period.drone_ids))
    entry = s.audit.record(
        s.now,
        AuditEvent.DRONES_UNGROUNDED,
        f"{who} may fly again from {clock(max(s.now, period.start))} "
        f"(grounded {span(TimeWindow(period.start, period.end))} lifted)",
    )
    s.touch()
    return EventResult("drones_ungrounded", (), (), entry.seq)


#: The note of the rest-of-day grounding that keeps a retired drone on the ground.
OUT_OF_SERVICE = "out of service"


def _needed(s: DayState) -> tuple[set[str], set[str]]:
    """Drones and bases the day must keep whatever the office says: those of flights
    that took off (facts), and drones a grounded period names."""
    taken_off = [f for f in s.air.flights.values() if f.takeoff <= s.now]
    drones = {f.drone_id for f in taken_off} | {d.vehicle_id for d in s.air.history}
    for g in s.air.grounded:
        drones |= g.drone_ids or set()
    bases = {s.air.orders[f.order_id].base_id for f in taken_off if f.order_id in s.air.orders}
    return drones, bases


def _with_facts(s: DayState, service: DroneService | None) -> tuple[DroneService | None, list[str]]:
    """`service` plus the drones (and bases) of `_needed` it lacks, as the day knew them;
    and the ids of those retired drones."""
    old = s.air.service
    if old is None:
        return service, []
    need_drones, need_bases = _needed(s)
    old_drones = {d.id: d for d in old.drones}
    old_bases = {b.id: b for b in old.bases}
    drones = {d.id: d for d in service.drones} if service is not None else {}
    bases = {b.id: b for b in service.bases} if service is not None else {}
    retired = sorted(i for i in need_drones - drones.keys() if i in old_drones)
    for i in retired:
        drones[i] = old_drones[i]
    for b in sorted({old_drones[i].base_id for i in retired} | need_bases):
        if b not in bases and b in old_bases:
            bases[b] = old_bases[b]
    if not drones:
        return None, []
    like = service if service is not None else old
    return (
        DroneService(tuple(bases.values()), tuple(drones.values()), like.shop_reach_m, like.search),
        retired,
    )


def _grounded_for_the_day(s: DayState, drone_id: str) -> bool:
    return any(
        g.applies_to(drone_id) and g.start <= s.now and g.end >= s.horizon_s for g in s.air.grounded
    )


def set_service(s: DayState, service: DroneService | None) -> EventResult:
    """The day's drones become `service` (the office changed its fleet; None: no drones).

    Facts stay: a drone that has flown today, or that a grounded period names, stays
    in the day as it was even when `service` lacks it, grounded for the rest of the day
    (``out of service``); so does the base of a flight that took off. The flights not
    yet in the air are planned again with the new drones (each order from the base its
    shop now hands parcels to); orders that no longer fly go to a van within their
    slot, or their promise is reported broken. Nothing changes (and nothing is
    recorded) when the day already has these drones.
    """
    effective, retired = _with_facts(s, service)
    unground = [d for d in retired if not _grounded_for_the_day(s, d)]
    if effective == s.air.service and not unground:
        return EventResult("drones_changed")
    before = _current(s) if s.air.service is not None else None
    s.air.service = effective
    if s.now < s.horizon_s:
        for d in unground:
            s.air.grounded.append(
                Grounded(
                    s.now, s.horizon_s, frozenset({d}), GroundedCause.DISPATCHER, OUT_OF_SERVICE
                )
            )
    moved: list[NotFlown] = []
    if effective is None:
        moved = [NotFlown(bid, NoFlightReason.NO_DRONE_AT_BASE) for bid in s.air.orders]
    elif before is not None and s.air.orders:
        in_air = {f.order_id for f in s.air.flights.values() if f.takeoff <= s.now}
        for bid, o in list(s.air.orders.items()):
            if bid in in_air:
                continue
            request = s.bookings[bid].request
            assert isinstance(request, DeliveryOrder)
            base = base_for_shop(s, request.shop)
            if base is None:
                moved.append(NotFlown(bid, NoFlightReason.NO_DRONE_AT_BASE))
                s.air.orders.pop(bid)
                s.air.flights.pop(bid, None)
            elif base.id != o.base_id:
                s.air.orders[bid] = replace(o, base_id=base.id)
        after = reschedule(_problem(s), before, s.now, effective.search)
        moved += moved_to_van(before, after)
        s.air.flights = {f.order_id: f for f in after.flights}
    if effective is None:
        s.air.grounded.clear()
    changed, broken = _to_vans(s, moved, "the day's drones changed")
    fleet = (
        "no drones"
        if effective is None
        else f"{len(effective.drones)} drone(s) at {len(effective.bases)} base(s)"
    )
    out = f", {', '.join(retired)} out of service" if retired else ""
    entry = s.audit.record(
        s.now,
        AuditEvent.DRONES_CHANGED,
        f"drones now: {fleet}{out}: {len(moved)} order(s) moved to vans, "
        f"{len(broken)} promise(s) broken",
    )
    s.touch()
    return EventResult("drones_changed", tuple(changed), tuple(broken), entry.seq)


def pending_handovers(s: DayState) -> dict[str, int]:
    """Planned landings at halls of flights not yet landed (booking id -> time)."""
    return {bid: f.at_hall for bid, f in s.air.flights.items() if bid not in s.air.landed}


def check_air(s: DayState) -> DroneCheckReport | None:
    """The day's flights checked by the independent drone checker (None: no drones)."""
    if s.air.service is None or not s.air.orders:
        return None
    return check_drone_schedule(_problem(s), _current(s))


def to_plain(a: AirState) -> dict[str, Any] | None:
    """The day's drone state as JSON-able data (None: no drones)."""
    if a.service is None:
        return None
    return {
        "service": a.service.to_plain(),
        "grounded": [
            {
                "start": g.start,
                "end": g.end,
                "drone_ids": None if g.drone_ids is None else sorted(g.drone_ids),
                "cause": g.cause.value,
                "note": g.note,
            }
            for g in a.grounded
        ],
        "orders": [
            {
                "id": o.id,
                "base_id": o.base_id,
                "hall_id": o.hall_id,
                "weight_g": o.weight_g,
                "ready_at": o.ready_at,
                "slot": [o.slot.start, o.slot.end],
            }
            for o in a.orders.values()
        ],
        "flights": [asdict(f) for f in a.flights.values()],
        "landed": sorted(a.landed),
        "history": [d.to_plain() for d in a.history],
    }


def from_plain(d: Mapping[str, Any] | None) -> AirState:
    """Rebuild `to_plain` data (None or missing: a day without drones)."""
    if not d:
        return AirState()
    orders = [DroneOrder(**{**o, "slot": TimeWindow(*o["slot"])}) for o in d.get("orders", ())]
    return AirState(
        service=DroneService.from_plain(d["service"]),
        grounded=[
            Grounded(
                g["start"],
                g["end"],
                None if g["drone_ids"] is None else frozenset(g["drone_ids"]),
                GroundedCause(g["cause"]),
                g.get("note", ""),
            )
            for g in d.get("grounded", ())
        ],
        orders={o.id: o for o in orders},
        flights={f["order_id"]: Flight(**f) for f in d.get("flights", ())},
        landed=set(d.get("landed", ())),
        history=[DoneStop.from_plain(x) for x in d.get("history", ())],
    )
