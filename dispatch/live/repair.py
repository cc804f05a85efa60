"""Re-planning after an event, and reporting every promise it cannot keep.

When an event leaves a route that can no longer be timed, `repair` keeps the riders
on board, re-inserts every other booking of the route (on the same vehicle if it
still fits, else anywhere) and reports each one that fits nowhere (with
``LiveConfig.late_rather_than_never``, a ride is first fitted late, its promise
reported broken by how much: the rider is still fetched). Riders on board
must be delivered: their arrival limits are relaxed only if nothing else works,
and each relaxed promise is reported with how late it will be. `report_broken` is
the one way a promise is reported broken: a `BrokenPromise` (what, when, by how
much, why), the booking's status, the audit trail and the log.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace

from dispatch.audit import AuditEvent, diff
from dispatch.errors import SolverError
from dispatch.events import BookingStatus, BrokenPromise, BrokenWhat, EventResult
from dispatch.insertion import Insertion
from dispatch.live.routes import apply, find, refresh, remove, route_of, set_request, timetable
from dispatch.live.state import DayState
from dispatch.model import RideRequest, TimeWindow
from dispatch.result import StepKind

logger = logging.getLogger(__name__)
#: How late past its window a ride is tried, step by step, so that the cheapest fit
#: is also among the earliest (up to ``LiveConfig.rescue_window_s``).
_LATE_STEPS_S = (300, 600, 1200, 1800)


def report_broken(
    s: DayState,
    bid: str,
    what: BrokenWhat,
    cause: str,
    *,
    keep_status: bool = False,
    by_s: int = 0,
) -> BrokenPromise:
    """Record that a booking's promise is broken (see the module docstring)."""
    b = s.bookings[bid]
    if not keep_status:
        b.status = BookingStatus.PROMISE_BROKEN
        b.held_until = None
    promise = s.ledger.get(bid)
    promised = promise.window if promise is not None else b.promise
    vid = route_of(s, bid) or b.vehicle_id
    bp = BrokenPromise(bid, what, s.now, cause, promised, max(0, int(by_s)), vid)
    s.broken.append(bp)
    late = f" by {by_s // 60} min" if by_s else ""
    s.audit.record(
        s.now,
        AuditEvent.PROMISE_BROKEN,
        f"{bp.message_en}{late}: {cause}",
        booking_id=bid,
        vehicle_id=vid,
    )
    # INFO, not WARNING: the break is already an event, a status and an audit entry that
    # the dispatcher's board shows; a simulated day with noise breaks dozens by design.
    logger.info("promise broken: booking %s (%s%s): %s", bid, what.value, late, cause)
    return bp


def reported(s: DayState, bid: str, what: BrokenWhat) -> bool:
    """Whether this booking's promise in force was already reported broken this way."""
    promise = s.ledger.get(bid)
    since = promise.made_at if promise is not None else None
    return any(
        bp.booking_id == bid
        and bp.what in (what, BrokenWhat.RESCUE)
        and (since is None or bp.at >= since)
        for bp in s.broken
    )


def repair(s: DayState, vid: str, cause: str) -> list[BrokenPromise]:
    """Make an infeasible route feasible again and re-insert what it had to drop."""
    wr = s.routes[vid]
    st = s.vehicles[vid]
    keep = []
    displaced: list[str] = []
    for n in wr.nodes:
        if n.is_break or (n.task is not None and n.task.onboard is not None):
            keep.append(n)
        elif n.task is not None and n.task.id not in displaced:
            displaced.append(n.task.id)
    first_real = next((n for n in wr.nodes if not n.is_break), None)
    if st.en_route and first_real is not None and first_real not in keep:
        st.en_route = False
    if st.pinned_stops and displaced:
        s.audit.record(
            s.now, AuditEvent.CONSTRAINT_RELAXED, f"lock of {vid} lifted: {cause}", vehicle_id=vid
        )
        st.pinned_stops = 0
    wr.nodes = keep
    broken: list[BrokenPromise] = []
    if not refresh(s, vid):
        broken += relax(s, vid, cause)
    broken += reinsert(s, displaced, cause, prefer=vid)
    return broken


def relax(s: DayState, vid: str, cause: str) -> list[BrokenPromise]:
    """Riders on board must be delivered: relax their limits, then breaks, then the shift.

    A rider whose own limit cannot be restored keeps the relaxed one; if the plan
    then brings them later than promised, that is reported (with how late).
    """
    wr = s.routes[vid]
    st = s.vehicles[vid]
    onboard = [n.task.id for n in wr.nodes if n.task is not None]
    originals = {bid: s.bookings[bid].request for bid in onboard}
    horizon = s.horizon_s
    for bid in onboard:
        r = originals[bid]
        if isinstance(r, RideRequest):
            set_request(s, bid, replace(r, arrive_by=None, max_ride_s=horizon))
        else:
            set_request(s, bid, replace(r, due_by=max(r.due_by, horizon), max_ride_s=None))
    if not refresh(s, vid):
        skipped = [b.id for b in s.routes[vid].vehicle.breaks]
        st.breaks_taken += skipped
        if skipped:
            s.audit.record(
                s.now,
                AuditEvent.CONSTRAINT_RELAXED,
                f"break(s) {skipped} of {vid} cannot be taken: {cause}",
                vehicle_id=vid,
            )
        if not refresh(s, vid):
            st.shift_end = horizon
            st.ignore_max_duration = True
            s.audit.record(
                s.now,
                AuditEvent.CONSTRAINT_RELAXED,
                f"{vid} works overtime to deliver its riders: {cause}",
                vehicle_id=vid,
            )
            if not refresh(s, vid):
                raise SolverError(f"vehicle {vid!r}: cannot deliver the riders on board")
    for bid in onboard:  # restore each rider's own limits where the route still allows
        relaxed = s.bookings[bid].request
        set_request(s, bid, originals[bid])
        if not refresh(s, vid):
            set_request(s, bid, relaxed)
            refresh(s, vid)
    return watch_promises(s, cause)


def watch_promises(s: DayState, cause: str) -> list[BrokenPromise]:
    """Report every promise the routes as they stand will break and nobody reported yet.

    Called after every event: a plan that keeps its constraints keeps its promises,
    but a relaxed limit (riders on board who must be delivered) or a rescue aims at
    what it can; this compares the planned stops with the ledger, never the request.
    """
    broken = []
    for wr in s.routes.values():
        if wr.sched is None:
            continue
        for node, start in zip(wr.nodes, wr.sched.starts, strict=True):
            task = node.task
            promise = None if task is None else s.ledger.get(task.id)
            if task is None or promise is None:
                continue
            if node.kind is StepKind.PICKUP:
                if s.bookings[task.id].picked_up_at is not None:
                    continue  # a rescue pickup: the promised one was kept or reported
                miss, what = promise.pickup_breach(start), BrokenWhat.PICKUP_WINDOW
            else:
                miss, what = promise.arrival_breach(start), promise.arrival_what
            broken += report_once(s, task.id, what, cause, miss)
    return broken


def report_once(
    s: DayState, bid: str, what: BrokenWhat, cause: str, miss: int
) -> list[BrokenPromise]:
    """Report a breach of `miss` seconds (the booking stays in the plan), unless there is
    none or this promise was already reported broken this way."""
    if not miss or reported(s, bid, what):
        return []
    return [report_broken(s, bid, what, cause, keep_status=True, by_s=miss)]


def reinsert(
    s: DayState, bids: Sequence[str], cause: str, *, prefer: str | None = None
) -> list[BrokenPromise]:
    """Insert each booking again (preferring one vehicle); report those that fit nowhere."""
    broken = []
    for bid in bids:
        task = s.tasks[bid]
        found = None
        if prefer is not None and prefer in s.routes:
            found = find(s, task, [prefer])
        if found is None:
            found = find(s, task)
        if found is None and s.config.late_rather_than_never:
            found = _late(s, bid)
        if found is None:
            what = BrokenWhat.APPOINTMENT if task.is_visit else BrokenWhat.PICKUP_WINDOW
            broken.append(report_broken(s, bid, what, cause))
            continue
        vid, ins = found
        apply(s, vid, ins.nodes, ins.sched)
    return broken


def _late(s: DayState, bid: str) -> tuple[str, Insertion] | None:
    """An insertion of a ride picked up after its promised window, as little after as
    the steps allow (at most ``rescue_window_s``), its request changed to say so; None
    (the request unchanged) if no car can, or it is not a ride waiting for its pickup."""
    b = s.bookings[bid]
    r = b.request
    promise = s.ledger.get(bid)
    if not isinstance(r, RideRequest) or r.onboard is not None or promise is None:
        return None
    now0 = max(s.now, 0)
    rescue = s.config.rescue_window_s
    for extra in sorted({min(step, rescue) for step in (*_LATE_STEPS_S, rescue)}):
        end = min(s.horizon_s, max(now0, promise.window.end) + extra)
        late = replace(
            r,
            pickup_window=TimeWindow(now0, end),
            arrive_by=None,
            arrive_earliest=None,
            promise=None,
        )
        found = find(s, set_request(s, bid, late))
        if found is not None:
            return found
    set_request(s, bid, r)
    return None


def take_out(
    s: DayState, bid: str, status: BookingStatus, event: AuditEvent, why: str
) -> EventResult:
    """A booking leaves the plan (cancelled, released, expired, absent); its route is re-timed."""
    before = timetable(s)
    vid = remove(s, bid)
    flight = s.air.flights.get(bid)
    if bid in s.air.orders and (flight is None or flight.takeoff > s.now):
        s.air.orders.pop(bid, None)  # a drone not yet in the air: its flight is freed
        s.air.flights.pop(bid, None)
    b = s.bookings[bid]
    b.status = status
    b.held_until = None
    s.tasks.pop(bid, None)
    broken: list[BrokenPromise] = []
    if vid is not None and not refresh(s, vid):
        broken = repair(s, vid, f"{why} ({bid})")
    entry = s.audit.record(
        s.now, event, why, booking_id=bid, vehicle_id=vid, changes=diff(before, timetable(s))
    )
    s.touch()
    return EventResult(event.value, (bid,), tuple(broken), entry.seq)


def vehicle_event(s: DayState, vid: str, event: AuditEvent, cause: str) -> EventResult:
    """A vehicle's situation changed: re-time its route, repair it if needed, record it."""
    before = timetable(s)
    broken: list[BrokenPromise] = []
    if not refresh(s, vid):
        broken = repair(s, vid, cause)
    changes = diff(before, timetable(s))
    entry = s.audit.record(
        s.now, event, f"{cause}; {len(broken)} promise(s) broken", vehicle_id=vid, changes=changes
    )
    s.touch()
    return EventResult(event.value, tuple(c.booking_id for c in changes), tuple(broken), entry.seq)
