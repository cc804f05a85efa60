"""The day as it is driven: the clock, drivers' reports and what happens to vehicles.

`advance_to` moves the clock (holds expire; with ``auto_complete`` the plan is
executed: stops whose departure has passed are done). Drivers report stops done,
departures, no-shows, delays, positions and breakdowns. Every executed stop goes
through `_execute`, which compares it with the ledger: a pickup outside its promised
window, a drop-off after the promised arrival, a hand-over outside its slot, a home
visit starting outside its appointment window is reported as a `BrokenPromise` on the
spot (by how much, and why), never silently. A delivery is never handed over before
its slot: a driver who reports one early is told to wait (`EarlyHandoverError`); a
visit is never reported done before its appointment window opens (`EarlyVisitError`).

A breakdown rescue keeps each on-board rider's promised arrival as its target; when
no vehicle can make it, the rescue goes ahead without it and the late arrival is
reported with the expected delay; when nobody can fetch them at all, that is
reported too.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from dispatch.audit import AuditEvent, diff
from dispatch.depot_wait import back_at_depot
from dispatch.errors import InputError
from dispatch.events import BookingStatus, BrokenPromise, BrokenWhat, DoneStop, EventResult
from dispatch.live import air
from dispatch.live.repair import (
    reinsert,
    repair,
    report_broken,
    report_once,
    take_out,
    vehicle_event,
    watch_promises,
)
from dispatch.live.routes import (
    apply,
    booking,
    check_location,
    find,
    refresh,
    route_for,
    route_of,
    set_request,
    timetable,
)
from dispatch.live.state import DayState, EarlyHandoverError, EarlyVisitError
from dispatch.model import Onboard, Request, RideRequest, Task, TimeWindow
from dispatch.quote import clock, span
from dispatch.result import StepKind
from dispatch.schedule import Node, dropoff_node


def advance_to(s: DayState, t: int) -> EventResult:
    """Move ``now`` to `t` (see the module docstring)."""
    if isinstance(t, bool) or not isinstance(t, int | np.integer):
        raise InputError(f"advance_to: t must be an int of seconds, got {t!r}")
    t = int(t)
    if t < s.now:
        raise InputError(f"advance_to: t {clock(t)} is before now {clock(s.now)}")
    s.now = t
    broken: list[BrokenPromise] = []
    if s.config.auto_complete:
        for vid in list(s.routes):
            broken += _advance_vehicle(s, vid, t)
    broken += air.advance(s, t)  # drones fly whatever the drivers report
    # refresh every route for the new "now" first, so repairs insert into fresh routes
    late = [vid for vid in list(s.routes) if not refresh(s, vid)]
    for vid in late:
        if vid in s.routes:
            broken += repair(s, vid, f"{vid} running late at {clock(t)}")
    changed: list[str] = []
    for b in list(s.bookings.values()):
        if b.status is BookingStatus.HELD and b.held_until is not None and b.held_until <= t:
            result = take_out(
                s, b.id, BookingStatus.EXPIRED, AuditEvent.HOLD_EXPIRED, "hold expired"
            )
            broken += result.broken
            changed.append(b.id)
    s.touch()
    return EventResult("advance", tuple(changed), tuple(broken))


def complete_next_stop(s: DayState, vehicle_id: str) -> EventResult:
    """The driver reports the next stop done now (its departure is ``now``)."""
    wr = route_for(s, vehicle_id)
    shift_start = s.fleet[vehicle_id].shift.start
    if s.now < shift_start:
        raise InputError(
            f"vehicle {vehicle_id!r}: its shift starts at {clock(shift_start)}, "
            f"no stop can be done at {clock(s.now)}"
        )
    k = next((i for i, n in enumerate(wr.nodes) if not n.is_break), None)
    if k is None:
        raise InputError(f"vehicle {vehicle_id!r} has no stop to complete")
    node = wr.nodes[k]
    start = max(s.now - node.service_s, s.vehicles[vehicle_id].free_at or s.now)
    start = min(start, s.now)
    task = node.task
    assert task is not None
    promise = s.ledger.get(task.id)
    handover = node.kind is StepKind.DROPOFF and promise is not None and promise.kind == "delivery"
    if handover and s.now < promise.window.start:  # type: ignore[union-attr]
        raise EarlyHandoverError(
            f"delivery {task.id!r}: its hand-over slot {span(promise.window)} has not "  # type: ignore[union-attr]
            "begun; hand it over from "
            f"{clock(promise.window.start)}"
        )
    if handover:  # handed over at the latest now, and not before the slot opened
        start = max(start, promise.window.start)  # type: ignore[union-attr]
    visit = node.kind is StepKind.VISIT and promise is not None
    if visit and s.now < promise.window.start:  # type: ignore[union-attr]
        raise EarlyVisitError(
            f"visit {task.id!r}: its appointment window {span(promise.window)} has not "  # type: ignore[union-attr]
            f"begun; it cannot be done before {clock(promise.window.start)}"  # type: ignore[union-attr]
        )
    if visit:  # the visit began no earlier than the appointment, and ends now
        start = max(start, promise.window.start)  # type: ignore[union-attr]
    for i in range(k):  # breaks before the stop were taken
        _mark_break(s, vehicle_id, wr.nodes[i], wr.sched.starts[i] if wr.sched else s.now)
    nodes = wr.nodes[k + 1 :]
    new_task, broken = _execute(s, vehicle_id, node, start, s.now, reporter="driver reports")
    if new_task is not None:
        nodes = [dropoff_node(new_task) if n.task and n.task.id == task.id else n for n in nodes]
    wr.nodes = nodes
    if not refresh(s, vehicle_id):
        broken += repair(s, vehicle_id, f"{vehicle_id} finished a stop at {clock(s.now)}")
    s.touch()
    return EventResult("stop_completed", (task.id,), tuple(broken))


def depart(s: DayState, vehicle_id: str, at: int | None = None) -> EventResult:
    """The vehicle left for its next stop at `at` (default ``now``; 出発)."""
    wr = route_for(s, vehicle_id)
    st = s.vehicles[vehicle_id]
    t = s.now if at is None else at
    if isinstance(t, bool) or not isinstance(t, int | np.integer) or t > s.now:
        raise InputError(f"depart: at must be an int of seconds not after now, got {at!r}")
    if st.en_route or not any(not n.is_break for n in wr.nodes):
        return EventResult("depart")
    floor = st.free_at if st.free_at is not None else wr.vehicle.shift.start
    t = max(int(t), floor)
    st.en_route = True
    st.free_at = t
    if st.departed_at is None:
        st.departed_at = t
    cause = f"{vehicle_id} left for its next stop at {clock(t)}"
    return vehicle_event(s, vehicle_id, AuditEvent.DEPARTED, cause)


def vehicle_delayed(s: DayState, vehicle_id: str, delay_s: int) -> EventResult:
    """A vehicle runs `delay_s` late (遅れ): its riders are re-planned, broken promises
    reported."""
    wr = route_for(s, vehicle_id)
    if isinstance(delay_s, bool) or not isinstance(delay_s, int) or delay_s < 1:
        raise InputError(f"vehicle_delayed: delay_s must be an int >= 1, got {delay_s!r}")
    st = s.vehicles[vehicle_id]
    if st.en_route:
        assert st.free_at is not None
        free_at = st.free_at + delay_s
    else:
        planned = s.now
        if wr.used and wr.sched is not None:
            planned = max(planned, wr.sched.departure)
        free_at = planned + delay_s
    if free_at > s.horizon_s:
        raise InputError(f"vehicle_delayed: delay_s {delay_s} runs past the horizon")
    st.free_at = free_at
    cause = f"{vehicle_id} delayed by {delay_s // 60} min at {clock(s.now)}"
    return vehicle_event(s, vehicle_id, AuditEvent.VEHICLE_DELAY, cause)


def vehicle_position(s: DayState, vehicle_id: str, location: int) -> EventResult:
    """A vehicle reports where it is now: the rest of its route is re-timed from there."""
    route_for(s, vehicle_id)
    check_location(s, "vehicle_position", "location", location)
    st = s.vehicles[vehicle_id]
    if st.departed_at is None and (location != s.fleet[vehicle_id].start or st.en_route):
        st.departed_at = s.now
    st.position = int(location)
    st.free_at = s.now
    cause = f"{vehicle_id} at location {location} at {clock(s.now)}"
    return vehicle_event(s, vehicle_id, AuditEvent.VEHICLE_POSITION, cause)


def no_show(s: DayState, booking_id: str) -> EventResult:
    """The driver reports a no-show (不在) after waiting: the vehicle moves on from there."""
    b = booking(s, booking_id)
    if b.status not in (BookingStatus.HELD, BookingStatus.CONFIRMED):
        raise InputError(f"booking {booking_id!r} is {b.status.value}; no pickup to miss")
    vid = route_of(s, booking_id)
    if vid is None:
        raise InputError(f"booking {booking_id!r} is not in any route")
    wr = s.routes[vid]
    first = next((n for n in wr.nodes if not n.is_break), None)
    if first is not None and first.task is not None and first.task.id == booking_id:
        st = s.vehicles[vid]
        if st.departed_at is None:
            st.departed_at = st.free_at if st.free_at is not None else s.now
        st.position = first.location
        st.free_at = s.now
        st.en_route = False
        s.history[vid].append(DoneStop(vid, "no_show", s.now, s.now, first.location, booking_id))
    return take_out(
        s, booking_id, BookingStatus.NO_SHOW, AuditEvent.NO_SHOW, "no-show reported by the driver"
    )


def vehicle_breakdown(s: DayState, vehicle_id: str, location: int | None = None) -> EventResult:
    """A vehicle is out of service (故障・運休): riders on board get a rescue pickup
    where it stands, its other bookings are re-inserted; what cannot be kept is reported."""
    wr = route_for(s, vehicle_id)
    st = s.vehicles[vehicle_id]
    if location is None:
        location = st.position
    check_location(s, "vehicle_breakdown", "location", location)
    before = timetable(s)
    cause = f"breakdown of {vehicle_id} at {clock(s.now)}"
    del s.routes[vehicle_id]
    s.views.pop(vehicle_id, None)
    st.in_service = False
    st.en_route = False
    st.position = int(location)
    st.free_at = s.now
    rescue: list[str] = []
    displaced: list[str] = []
    for n in wr.nodes:
        if n.task is None:
            continue
        if n.task.onboard is not None:
            rescue.append(n.task.id)
        elif n.task.id not in displaced:
            displaced.append(n.task.id)
    for b in s.bookings.values():  # pins naming the broken vehicle no longer hold
        pins = b.request.vehicle_ids
        if b.status.is_active and pins is not None and vehicle_id in pins:
            rest = pins - {vehicle_id}
            set_request(s, b.id, replace(b.request, vehicle_ids=rest or None))
    broken: list[BrokenPromise] = []
    for bid in rescue:
        broken += _rescue(s, bid, int(location), vehicle_id, cause)
    broken += reinsert(s, displaced, cause)
    entry = s.audit.record(
        s.now,
        AuditEvent.BREAKDOWN,
        f"{cause}: {len(rescue)} on board to fetch, {len(displaced)} to re-plan, "
        f"{len(broken)} promise(s) broken",
        vehicle_id=vehicle_id,
        changes=diff(before, timetable(s)),
    )
    s.touch()
    return EventResult("breakdown", tuple(rescue + displaced), tuple(broken), audit_seq=entry.seq)


# -- internals ---------------------------------------------------------------------------


def _rescue(
    s: DayState, bid: str, location: int, broken_vehicle: str, cause: str
) -> list[BrokenPromise]:
    """Fetch a rider (or goods) of a broken-down vehicle, aiming at the promised arrival.

    First with the promise as the target (arrive by the promised latest arrival; a
    delivery inside its slot); if no vehicle can, without it, reporting how late;
    if nobody can fetch them at all, a `RESCUE` break.
    """
    b = s.bookings[bid]
    r = b.request
    promise = s.ledger.get(bid)
    now0 = max(s.now, 0)
    until = min(s.horizon_s, now0 + s.config.rescue_window_s)
    kept: Request
    relaxed: Request
    if isinstance(r, RideRequest):  # a new pickup where the car stopped, the same target
        kept = replace(
            r,
            pickup=location,
            pickup_window=TimeWindow(now0, until),
            arrive_by=max(now0, promise.latest_arrival) if promise is not None else r.arrive_by,
            arrive_earliest=None,
            max_ride_s=None,
            promise=None,
            onboard=None,
        )
        relaxed = replace(kept, arrive_by=None)
    else:
        due = max(now0, promise.window.end if promise is not None else r.due_by)
        start = promise.window.start if promise is not None else r.deliver_from
        kept = replace(
            r,
            shop=location,
            ready_at=now0,
            due_by=due,
            deliver_from=None if start is None else min(max(start, now0), due),
            max_ride_s=None,
            onboard=None,
        )
        relaxed = replace(kept, due_by=max(due, until, s.horizon_s))
    b.status = BookingStatus.CONFIRMED
    b.vehicle_id = None
    b.note = f"rescue after the breakdown of {broken_vehicle}"
    for attempt, request in enumerate((kept, relaxed)):
        task = set_request(s, bid, request)
        found = find(s, task)
        if found is None:
            continue
        vid, ins = found
        apply(s, vid, ins.nodes, ins.sched)
        if attempt == 0:
            return []
        return watch_promises(s, f"{cause}: the rescue cannot arrive in time")
    return [report_broken(s, bid, BrokenWhat.RESCUE, cause)]


def _advance_vehicle(s: DayState, vid: str, t: int) -> list[BrokenPromise]:
    """Execute a vehicle's plan up to `t`: stops whose departure has passed are done,
    departures from the depot and returns to it (車庫待機 before a far-off stop, and
    when nothing is left) are recorded in the history."""
    wr = s.routes[vid]
    sched = wr.sched
    if sched is None:
        return []
    st = s.vehicles[vid]
    home = s.fleet[vid]
    T = s.base.time_s
    nodes = list(wr.nodes)
    starts = list(sched.starts)
    broken: list[BrokenPromise] = []
    k = 0
    while k < len(nodes):
        node, start = nodes[k], starts[k]
        if node.is_break:
            if start > t:
                break
            if all(n.is_break for n in nodes[k:]):
                _drive_home(s, vid, start)  # a break after the end: taken back home
            _mark_break(s, vid, node, start)
            k += 1
            continue
        if not st.en_route and st.free_at is not None:
            back = back_at_depot(
                T, st.position, home.end, st.free_at, node.location, start, s.config.depot_wait_s
            )
            if back is not None:  # 車庫待機: home first, then out again in time
                if back > t:
                    break
                s.history[vid].append(DoneStop(vid, "depot", back, back, home.end))
                st.position, st.free_at = home.end, back
                s.views.pop(vid, None)
        if not st.en_route:
            here = st.position if st.free_at is not None else wr.vehicle.start
            floor = st.free_at if st.free_at is not None else sched.departure
            leave = max(floor, start - int(T[here, node.location]))
            if leave > t:
                break
            st.en_route = True
            if st.departed_at is None:
                st.departed_at = leave
            if st.free_at is None or here == home.end:
                s.history[vid].append(DoneStop(vid, "depart", leave, leave, here))
            st.free_at = leave
        dep = start + node.service_s
        if dep > t:
            break
        new_task, found = _execute(s, vid, node, start, dep, reporter="the plan has")
        broken += found
        if new_task is not None:
            nodes = [
                dropoff_node(new_task) if i > k and n.task and n.task.id == new_task.id else n
                for i, n in enumerate(nodes)
            ]
        k += 1
    if k:
        wr.nodes = nodes[k:]
        s.views.pop(vid, None)
    _return_when_idle(s, vid, t)
    return broken


def _return_when_idle(s: DayState, vid: str, t: int) -> None:
    """A vehicle with no stop left drives back to its depot and waits there (車庫待機);
    a booking taken later starts it from there."""
    if not any(not n.is_break for n in s.routes[vid].nodes):
        _drive_home(s, vid, t)


def _drive_home(s: DayState, vid: str, t: int) -> None:
    """The vehicle, free and away from its depot, is back there if it can be by `t`."""
    st = s.vehicles[vid]
    home = s.fleet[vid].end
    if st.free_at is None or st.position == home or st.en_route:
        return
    back = st.free_at + int(s.base.time_s[st.position, home])
    if back <= t:
        s.history[vid].append(DoneStop(vid, "depot", back, back, home))
        st.position, st.free_at = home, back


def _mark_break(s: DayState, vid: str, node: Node, start: int) -> None:
    st = s.vehicles[vid]
    end = start + node.service_s
    st.breaks_taken.append(node.break_id or "")
    st.free_at = end if st.free_at is None else max(st.free_at, end)
    s.history[vid].append(DoneStop(vid, "break", start, end, break_id=node.break_id))


def _execute(
    s: DayState, vid: str, node: Node, start: int, dep: int, *, reporter: str
) -> tuple[Task | None, list[BrokenPromise]]:
    """Record a stop as done and compare it with the ledger.

    Returns the on-board task after a pickup (its drop-off nodes must be rebuilt) and
    the promises this stop broke. A visit is done in one stop (the booking is done).
    """
    st = s.vehicles[vid]
    if st.departed_at is None:
        st.departed_at = st.free_at if st.free_at is not None else start
    st.position = node.location
    st.free_at = dep
    st.en_route = False
    st.pinned_stops = max(0, st.pinned_stops - 1)
    task = node.task
    assert task is not None
    b = s.bookings[task.id]
    s.history[vid].append(DoneStop(vid, node.kind.value, start, dep, node.location, task.id))
    promise = s.ledger.get(task.id)
    broken: list[BrokenPromise] = []
    if node.kind is StepKind.PICKUP:
        first_pickup = b.picked_up_at is None
        b.status = BookingStatus.PICKED_UP
        b.held_until = None
        b.vehicle_id = vid
        if first_pickup:
            b.picked_up_at = dep
        within = "" if promise is None else f" (promised {span(promise.window)})"
        s.audit.record(
            s.now,
            AuditEvent.PICKED_UP,
            f"picked up at {clock(start)}{within}",
            booking_id=task.id,
            vehicle_id=vid,
        )
        if first_pickup and promise is not None:
            cause = f"{reporter} the pickup at {clock(start)}, outside the promised window"
            broken += report_once(
                s, task.id, BrokenWhat.PICKUP_WINDOW, cause, promise.pickup_breach(start)
            )
        onboard_task = set_request(s, task.id, replace(b.request, onboard=Onboard(vid, dep)))
        return onboard_task, broken
    b.status = BookingStatus.DONE
    b.dropped_at = start
    if node.kind is StepKind.VISIT:
        b.vehicle_id = vid
        within = "" if promise is None else f" (appointment {span(promise.window)})"
        s.audit.record(
            s.now,
            AuditEvent.VISITED,
            f"visit from {clock(start)} to {clock(dep)}{within}",
            booking_id=task.id,
            vehicle_id=vid,
        )
        if promise is not None:
            early = start < promise.window.start
            cause = f"{reporter} the visit at {clock(start)}, " + (
                "before the appointment window" if early else "after the appointment window"
            )
            broken += report_once(
                s, task.id, promise.arrival_what, cause, promise.arrival_breach(start)
            )
        s.tasks.pop(task.id, None)
        return None, broken
    s.audit.record(
        s.now,
        AuditEvent.DROPPED_OFF,
        f"dropped off at {clock(start)}",
        booking_id=task.id,
        vehicle_id=vid,
    )
    if promise is not None:
        early = promise.kind == "delivery" and start < promise.window.start
        cause = f"{reporter} the drop-off at {clock(start)}, " + (
            "before the promised slot" if early else "after the promised time"
        )
        broken += report_once(
            s, task.id, promise.arrival_what, cause, promise.arrival_breach(start)
        )
    s.tasks.pop(task.id, None)
    return None, broken
