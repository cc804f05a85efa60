"""Instant quotes on a live day: the operator's ask answered while the caller waits.

Part of `dispatch.live.LiveDay` (a mixin over its state). A quote builds the request
of the ask (`dispatch.quote.build_request`), inserts it where it is cheapest over all
vehicles and positions (`dispatch.quote.find_insertion`, exact on the whole affected
route), places the promised window around the feasible pickup time closest to the
asked one, verifies the route with the request's pickup window narrowed to that
promise, and holds the seat. A rejection says why (予約できません（理由）) and lists
times that are feasible now (代わりの時間).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from dispatch.audit import AuditEvent, diff
from dispatch.errors import InputError
from dispatch.events import Booking, BookingStatus
from dispatch.insertion import Insertion
from dispatch.model import Request, RideRequest, Task, TimeWindow, Vehicle
from dispatch.quote import (
    Alternative,
    Ask,
    DeliveryAsk,
    Quote,
    QuoteRejection,
    RideAsk,
    build_request,
    clock,
    place_window,
    positions,
    resolve_task,
    slot_from,
    span,
)
from dispatch.schedule import Node, dropoff_node, pickup_node, schedule
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


class QuotingMixin:
    """`LiveDay`'s quotes (see the module docstring)."""

    def quote(self, ask: Ask, *, booking_id: str | None = None, hold: bool = True) -> Quote:
        """Answer an ask at once: a held booking with its promise, or why not and when instead.

        With ``hold`` the seat is reserved until `confirm`, `release` or expiry; without,
        nothing changes (what-if). ``booking_id`` names the booking (default: the next
        free ``bNNNNN``); a booking whose promise was broken may be quoted again under
        its own id.
        """
        if not isinstance(ask, RideAsk | DeliveryAsk):
            raise InputError(f"quote: ask must be a RideAsk or DeliveryAsk, got {ask!r}")
        self._validate_ask(ask)
        bid = self._claim_id(booking_id)
        kind = "ride" if isinstance(ask, RideAsk) else "delivery"
        cfg = self.config.quote
        if (
            isinstance(ask, DeliveryAsk)
            and cfg.delivery_cutoff_s is not None
            and self.now >= 0
            and self.now > cfg.delivery_cutoff_s
        ):
            return Quote(
                False,
                kind,
                reason=QuoteRejection.AFTER_CUTOFF,
                detail=f"same-day orders close at {clock(cfg.delivery_cutoff_s)}",
            )
        request = self._request_for(ask, bid)
        if request is None:
            return self._reject(ask, bid, QuoteRejection.TOO_SOON)
        found = self._try_insert(request, ask)
        if found is None:
            return self._reject(ask, bid, self._diagnose(resolve_task(self._base, request)))
        held_until = None
        if hold:
            held_until = self._hold(bid, found)
        pi, di = found.pickup_index, found.dropoff_index
        pickup_at, arrive_at = found.sched.starts[pi], found.sched.starts[di]
        if isinstance(found.request, RideRequest):
            promise = found.request.promise
            assert promise is not None and found.task.max_ride_s is not None
            latest = promise.end + found.request.board_s + found.task.max_ride_s
            if found.request.arrive_by is not None:
                latest = min(latest, found.request.arrive_by)
        else:
            promise = TimeWindow(found.task.dropoff.window.start, found.task.dropoff.window.end)
            latest = found.request.due_by
        return Quote(
            True,
            kind,
            booking_id=bid if hold else None,
            promise=promise,
            estimated_pickup=pickup_at,
            estimated_arrival=arrive_at,
            latest_arrival=latest,
            vehicle_id=found.vehicle_id,
            held_until=held_until,
        )

    # -- internals ----------------------------------------------------------------
    def _check_location(self, obj: str, name: str, loc: object) -> None:
        if isinstance(loc, bool) or not isinstance(loc, int | np.integer):
            raise InputError(f"{obj}: {name} must be a location index, got {loc!r}")
        if not 0 <= loc < self.n_locations:
            raise InputError(
                f"{obj}: {name} location {loc} is not in the matrix (0..{self.n_locations - 1})"
            )

    def _validate_ask(self, ask: Ask) -> None:
        fleet = self._fleet.values()
        if isinstance(ask, RideAsk):
            obj = "ride ask"
            self._check_location(obj, "pickup", ask.pickup)
            self._check_location(obj, "dropoff", ask.dropoff)
            name = "depart_at" if ask.depart_at is not None else "arrive_by"
            if ask.time < self.now:
                raise InputError(
                    f"{obj}: {name} {clock(ask.time)} is in the past (now {clock(self.now)})"
                )
            if ask.time > self.horizon_s:
                raise InputError(f"{obj}: {name} {clock(ask.time)} is after the service day")
            load = (ask.party_size - ask.wheelchairs, ask.wheelchairs, 0)
            size = f"party_size {ask.party_size} ({ask.wheelchairs} wheelchair(s))"
        else:
            obj = "delivery ask"
            self._check_location(obj, "shop", ask.shop)
            self._check_location(obj, "customer", ask.customer)
            if ask.due_by is not None and ask.due_by < self.now:
                raise InputError(
                    f"{obj}: due_by {clock(ask.due_by)} is in the past (now {clock(self.now)})"
                )
            load = (0, 0, ask.cargo_units)
            size = f"cargo_units {ask.cargo_units}"
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

    def _claim_id(self, booking_id: str | None) -> str:
        if booking_id is None:
            n = self._next_id
            while f"b{n:05d}" in self._bookings:
                n += 1
            return f"b{n:05d}"
        if not isinstance(booking_id, str) or not booking_id:
            raise InputError(f"quote: booking_id must be a non-empty string, got {booking_id!r}")
        b = self._bookings.get(booking_id)
        if b is not None and b.status is not BookingStatus.PROMISE_BROKEN:
            raise InputError(f"quote: booking id {booking_id!r} is already used ({b.status.value})")
        return booking_id

    def _request_for(self, ask: Ask, bid: str) -> Request | None:
        """The request to insert (booked window, no promise yet), or None if too soon."""
        return build_request(
            ask,
            bid,
            now=self.now,
            time_s=self._base.time_s,
            horizon_s=self.horizon_s,
            day_end=max(v.shift.end for v in self.fleet),
            config=self.config.quote,
        )

    def _try_insert(self, request: Request, ask: Ask) -> _Found | None:
        """Cheapest insertion, then the promise around it, verified by `schedule`."""
        cfg = self.config.quote
        task = resolve_task(self._base, request)
        found = self._find(task)
        if found is None:
            return None
        vid, ins = found
        pi, di = positions(ins)
        final: Request
        if isinstance(request, RideRequest):
            assert isinstance(ask, RideAsk) and request.pickup_window is not None
            window = request.pickup_window
            target = ask.depart_at if ask.depart_at is not None else window.end
            center = self._closest_pickup(
                self._routes[vid].vehicle, ins, pi, min(target, window.end)
            )
            promise = place_window(
                center, cfg.promise_width_s, window.start, window.end, cfg.round_s
            )
            final = replace(request, promise=promise)
        elif cfg.delivery_slot_s > 0:
            d_lo = request.deliver_from if request.deliver_from is not None else request.ready_at
            slot = slot_from(
                ins.sched.earliest[di], cfg.delivery_slot_s, d_lo, request.due_by, cfg.round_s
            )
            final = replace(request, deliver_from=slot.start, due_by=slot.end)
        else:
            final = request
        final_task = resolve_task(self._base, final)
        nodes = list(ins.nodes)
        nodes[pi] = pickup_node(final_task)
        nodes[di] = dropoff_node(final_task)
        sched = schedule(self._base, self._routes[vid].vehicle, nodes)
        if sched is None:  # cannot happen: the promise contains a feasible pickup time
            logger.error("quote: promise of %s is not schedulable; refusing", request.id)
            return None
        return _Found(vid, final, final_task, nodes, sched, pi, di)

    def _closest_pickup(self, vehicle: Vehicle, ins: Insertion, pi: int, target: int) -> int:
        """The feasible pickup time of this insertion closest to `target`.

        Feasible pickup times form an interval starting at the earliest schedule's;
        above it, one `schedule` call tells whether `target` itself is feasible, and
        a bisection (to 30 s) finds the latest feasible time below it otherwise.
        """
        lo = ins.sched.earliest[pi]
        if target <= lo:
            return lo
        nodes = list(ins.nodes)
        node = nodes[pi]

        def feasible(x: int) -> bool:
            nodes[pi] = replace(node, earliest=x, latest=x)
            return schedule(self._base, vehicle, nodes) is not None

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

    def _hold(self, bid: str, found: _Found) -> int:
        before = self._timetable([found.vehicle_id])
        self._apply(found.vehicle_id, found.nodes, found.sched)
        held_until = self.now + self.config.hold_s
        rebooked = bid in self._bookings
        self._bookings[bid] = Booking(
            bid,
            found.request,
            BookingStatus.HELD,
            created_at=self.now,
            held_until=held_until,
            note="rebooked after a broken promise" if rebooked else "",
        )
        self._tasks[bid] = found.task
        while f"b{self._next_id:05d}" in self._bookings:
            self._next_id += 1
        promise = self._bookings[bid].promise
        self.audit.record(
            self.now,
            AuditEvent.QUOTE_HELD,
            f"quoted {span(promise) if promise else ''} on {found.vehicle_id}, "
            f"held until {clock(held_until)}",
            booking_id=bid,
            vehicle_id=found.vehicle_id,
            changes=diff(before, self._timetable([found.vehicle_id])),
        )
        self._touch()
        return held_until

    def _diagnose(self, task: Task) -> QuoteRejection:
        vehicles = [wr.vehicle for _, wr in self._ordered() if not wr.closed]
        fitting = [v for v in vehicles if compatible(v, task)]
        if not fitting:
            return QuoteRejection.NO_VEHICLE
        if task.max_ride_s is not None and task.direct_s > task.max_ride_s:
            return QuoteRejection.MAX_RIDE_TOO_SHORT
        if not any(fits_alone(self._base, task, v) for v in fitting):
            return QuoteRejection.OUTSIDE_SERVICE_HOURS
        return QuoteRejection.FULLY_BOOKED

    def _reject(self, ask: Ask, bid: str, reason: QuoteRejection) -> Quote:
        kind = "ride" if isinstance(ask, RideAsk) else "delivery"
        alternatives: tuple[Alternative, ...] = ()
        if isinstance(ask, RideAsk) and reason in (
            QuoteRejection.FULLY_BOOKED,
            QuoteRejection.OUTSIDE_SERVICE_HOURS,
            QuoteRejection.TOO_SOON,
        ):
            alternatives = self._alternatives(ask, bid)
        return Quote(False, kind, reason=reason, alternatives=alternatives)

    def _alternatives(self, ask: RideAsk, bid: str) -> tuple[Alternative, ...]:
        """Up to N times near the asked one that are feasible now (nothing is held)."""
        cfg = self.config.quote
        found: list[Alternative] = []
        steps = cfg.alternative_max_shift_s // cfg.alternative_step_s
        for k in range(1, steps + 1):
            for sign in (1, -1):
                if len(found) >= cfg.alternatives:
                    return tuple(sorted(found, key=lambda a: a.time))
                t = ask.time + sign * k * cfg.alternative_step_s
                if t < self.now or t > self.horizon_s:
                    continue
                shifted = replace(ask, arrive_by=t) if ask.by_arrival else replace(ask, depart_at=t)
                request = self._request_for(shifted, bid)
                if request is None:
                    continue
                f = self._try_insert(request, shifted)
                if f is None:
                    continue
                promise = f.request.promise  # type: ignore[union-attr]
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
