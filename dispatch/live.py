"""The live service day: instant quotes, promises that hold, events, overrides, audit.

`LiveDay` holds today's state while phone operators book and vehicles drive:

* the travel-time/distance matrix (`set_matrix` swaps in a grown one: new locations
  appended, existing indices unchanged — `routing.matrix.extend_matrix` builds it);
* the fleet and each vehicle's `VehicleState` (where it is, since when, what is
  locked), the bookings (`Booking`, with status 仮押さえ → 予約確定 → 乗車 → 降車),
  every vehicle's remaining route, the stops already done, and the audit trail.

The *live problem* (`problem()`) is today's remaining work as a `Problem`: executed
stops are gone, each vehicle starts where it is (``start``, ``start_time``), riders
on board are ``onboard``, the stop a vehicle is driving to is locked (under way), and
every promise is intersected into its pickup window. `plan` is that problem's plan,
and ``check_plan(day.problem(), day.plan)`` holds after every operation.

Quotes (`quote`) insert into the routes as they stand (cheapest feasible insertion,
exact on the whole affected route) and never wait for anything else; a held quote
reserves its seat until `confirm`, `release` or expiry (`LiveConfig.hold_s`). A promise
is a hard constraint of every later insertion and re-optimisation; when an event
makes one impossible it is reported as a `BrokenPromise` (and in the audit trail),
and the booking stays in the plan as unassigned with that reason — never dropped.

Times are int seconds from the start of the service day; ``now`` may be negative
when the day's bookings open the day before. Every operation happens at ``now``:
call `advance_to` first (it also executes the plan: stops whose departure is past
are done, unless `LiveConfig.auto_complete` is off and drivers report them).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np

from dispatch.audit import AuditEvent, AuditLog, Timetable, diff
from dispatch.check import CheckReport, check_plan
from dispatch.errors import InputError, SolverError
from dispatch.events import (
    ROUTED,
    Booking,
    BookingStatus,
    BrokenPromise,
    BrokenWhat,
    DoneStop,
    EventResult,
    VehicleState,
    vehicle_from_plain,
    vehicle_to_plain,
)
from dispatch.insertion import Insertion, WorkingRoute, to_plan
from dispatch.live_overrides import OverridesMixin
from dispatch.live_quotes import QuotingMixin
from dispatch.model import (
    CostWeights,
    DeliveryOrder,
    Onboard,
    Problem,
    Request,
    RideRequest,
    RideTimePolicy,
    StopKind,
    StopRef,
    Task,
    TimeWindow,
    Vehicle,
)
from dispatch.quote import (
    QuoteConfig,
    RouteView,
    clock,
    find_insertion,
    resolve_task,
    route_view,
    span,
)
from dispatch.reopt import ReoptMixin
from dispatch.result import (
    Plan,
    StepKind,
    Unassigned,
    UnassignedReason,
)
from dispatch.schedule import Node, break_nodes, dropoff_node, pickup_node, schedule

logger = logging.getLogger(__name__)

SNAPSHOT_FORMAT = "noriai.liveday/1"


@dataclass(frozen=True, slots=True)
class LiveConfig:
    """Settings of the live loop (seconds).

    ``hold_s``: how long a quote reserves its seat (仮押さえ). ``rescue_window_s``:
    the pickup window given to riders of a broken-down vehicle. ``auto_complete``:
    `advance_to` executes the plan (stops whose departure has passed are done);
    switch it off when drivers report every stop (`complete_next_stop`).
    """

    quote: QuoteConfig = field(default_factory=QuoteConfig)
    hold_s: int = 180
    rescue_window_s: int = 3600
    auto_complete: bool = True

    def __post_init__(self) -> None:
        for name in ("hold_s", "rescue_window_s"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise InputError(f"live config: {name} must be an int >= 1, got {value!r}")

    def to_plain(self) -> dict[str, Any]:
        """JSON-able data, for storage."""
        return asdict(self)

    @classmethod
    def from_plain(cls, d: Mapping[str, Any]) -> LiveConfig:
        """Rebuild from `to_plain` data."""
        return cls(**{**d, "quote": QuoteConfig(**d.get("quote", {}))})


class HoldExpiredError(InputError):
    """A held quote ran out before it was confirmed: quote again."""


def _stop_kind(node: Node) -> StopKind:
    return StopKind.PICKUP if node.kind is StepKind.PICKUP else StopKind.DROPOFF


class LiveDay(QuotingMixin, OverridesMixin, ReoptMixin):
    """Today's bookings, fleet and plan, changed by quotes, events and overrides.

    Parameters
    ----------
    time_s, distance_m
        Square int matrices (seconds, metres) over every known location.
    fleet
        The vehicles and their shifts as planned for the day.
    now
        The current time (seconds from the start of the service day).
    config
        Quote and live-loop settings.
    horizon_s, ride_policy, weights
        As in `Problem`.
    """

    def __init__(
        self,
        time_s: np.ndarray,
        distance_m: np.ndarray,
        fleet: Sequence[Vehicle],
        *,
        now: int = 0,
        config: LiveConfig | None = None,
        horizon_s: int = 24 * 3600,
        ride_policy: RideTimePolicy | None = None,
        weights: CostWeights | None = None,
    ) -> None:
        if isinstance(now, bool) or not isinstance(now, int):
            raise InputError(f"live day: now must be an int of seconds, got {now!r}")
        self.config = config or LiveConfig()
        self._base = Problem(
            time_s,
            distance_m,
            (),
            tuple(fleet),
            horizon_s=horizon_s,
            ride_policy=ride_policy or RideTimePolicy(),
            weights=weights or CostWeights(),
        )
        self._fleet: dict[str, Vehicle] = {v.id: v for v in self._base.vehicles}
        self.now = now
        self._vstate = {v.id: VehicleState(v.id, v.start) for v in self._base.vehicles}
        self._bookings: dict[str, Booking] = {}
        self._tasks: dict[str, Task] = {}
        self._routes: dict[str, WorkingRoute] = {}
        self._views: dict[str, RouteView] = {}
        self._history: dict[str, list[DoneStop]] = {vid: [] for vid in self._fleet}
        self._broken: list[BrokenPromise] = []
        self.audit = AuditLog()
        self._version = 0
        self._next_id = 1
        self._problem_cache: tuple[int, Problem] | None = None
        self._plan_cache: tuple[int, Plan] | None = None
        for vid, v in self._fleet.items():
            self._routes[vid] = WorkingRoute(v, break_nodes(v))
            if not self._refresh(vid):
                self._repair(vid, "start of the live day")

    # -- reading the state ---------------------------------------------------------
    @property
    def version(self) -> int:
        """Increases with every change; a re-optimisation snapshot remembers it."""
        return self._version

    @property
    def fleet(self) -> tuple[Vehicle, ...]:
        """The vehicles as planned for the day (shifts, depots, breaks)."""
        return tuple(self._fleet.values())

    @property
    def n_locations(self) -> int:
        """How many locations the matrix knows."""
        return self._base.n_locations

    @property
    def horizon_s(self) -> int:
        """End of the planning horizon (seconds)."""
        return self._base.horizon_s

    def booking(self, booking_id: str) -> Booking:
        """The booking with this id (InputError if unknown)."""
        b = self._bookings.get(booking_id)
        if b is None:
            raise InputError(f"booking id {booking_id!r} is unknown")
        return b

    def bookings(self, *statuses: BookingStatus) -> list[Booking]:
        """All bookings, or those with one of `statuses`, in booking order."""
        return [b for b in self._bookings.values() if not statuses or b.status in statuses]

    def vehicle_state(self, vehicle_id: str) -> VehicleState:
        """Where a vehicle is and what of its route is fixed."""
        if vehicle_id not in self._vstate:
            raise InputError(f"vehicle id {vehicle_id!r} is unknown")
        return self._vstate[vehicle_id]

    def history(self, vehicle_id: str) -> tuple[DoneStop, ...]:
        """The stops a vehicle has done today, in order."""
        self.vehicle_state(vehicle_id)
        return tuple(self._history[vehicle_id])

    @property
    def broken_promises(self) -> tuple[BrokenPromise, ...]:
        """Every promise reported broken today, in order."""
        return tuple(self._broken)

    def route_of(self, booking_id: str) -> str | None:
        """The vehicle whose route serves the booking now, or None."""
        for vid, wr in self._routes.items():
            if any(n.task is not None and n.task.id == booking_id for n in wr.nodes):
                return vid
        return None

    def problem(self) -> Problem:
        """Today's remaining work as a `Problem` (see the module docstring)."""
        if self._problem_cache is not None and self._problem_cache[0] == self._version:
            return self._problem_cache[1]
        live = {vid: wr for vid, wr in self._ordered()}
        requests: list[Request] = []
        for b in self._bookings.values():
            if b.status in ROUTED or self._open_broken(b, live):
                requests.append(self._pins_within(b.request, live))
        locked = {}
        for vid, wr in live.items():
            refs = tuple(
                StopRef(n.task.id, _stop_kind(n))  # type: ignore[union-attr]
                for n in wr.nodes[: wr.locked]
                if not n.is_break
            )
            if refs:
                locked[vid] = refs
        problem = Problem(
            self._base.time_s,
            self._base.distance_m,
            tuple(requests),
            tuple(wr.vehicle for wr in live.values()),
            horizon_s=self._base.horizon_s,
            ride_policy=self._base.ride_policy,
            weights=self._base.weights,
            locked=locked,
            closed_vehicles=frozenset(vid for vid, wr in live.items() if wr.closed),
        )
        self._problem_cache = (self._version, problem)
        return problem

    @property
    def plan(self) -> Plan:
        """The plan of the live problem: remaining stops per vehicle, broken promises unassigned."""
        if self._plan_cache is not None and self._plan_cache[0] == self._version:
            return self._plan_cache[1]
        problem = self.problem()
        ids = {t.id for t in problem.tasks}
        routed = {n.task.id for wr in self._routes.values() for n in wr.nodes if n.task}
        unassigned = [
            Unassigned(bid, UnassignedReason.NOT_SELECTED, self._broken_detail(bid))
            for bid in ids - routed
        ]
        unassigned.sort(key=lambda u: u.request_id)
        plan = to_plan(
            problem,
            [wr for _, wr in self._ordered()],
            unassigned,
            {"solver": "live", "version": self._version, "at": self.now},
        )
        self._plan_cache = (self._version, plan)
        return plan

    def check(self) -> CheckReport:
        """The independent checker on the live problem and plan."""
        return check_plan(self.problem(), self.plan)

    # -- the matrix --------------------------------------------------------------
    def set_matrix(self, time_s: np.ndarray, distance_m: np.ndarray) -> None:
        """Swap in a grown matrix: new locations appended, existing entries unchanged.

        An ad-hoc address then costs one forward and one backward search
        (`routing.matrix.extend_matrix`), never a rebuild of the day.
        """
        old = self.n_locations
        t = np.asarray(time_s)
        d = np.asarray(distance_m)
        if t.ndim != 2 or t.shape[0] != t.shape[1] or t.shape[0] < old or d.shape != t.shape:
            raise InputError(
                f"set_matrix: time_s {t.shape} and distance_m {d.shape} must be square, "
                f"equal and at least {old}x{old}"
            )
        if not (
            np.array_equal(t[:old, :old], self._base.time_s)
            and np.array_equal(d[:old, :old], self._base.distance_m)
        ):
            raise InputError("set_matrix: the entries of existing locations must not change")
        self._base = self._base.with_changes(time_s=t, distance_m=d)
        self.audit.record(
            self.now, AuditEvent.MATRIX_EXTENDED, f"matrix grows from {old} to {t.shape[0]}"
        )
        self._views.clear()
        self._touch()

    # -- quotes -------------------------------------------------------------------
    def confirm(self, booking_id: str) -> Booking:
        """Turn a held quote into a booking (予約確定): its window is now a promise."""
        b = self.booking(booking_id)
        if b.status is BookingStatus.CONFIRMED:
            return b
        if b.status is BookingStatus.EXPIRED:
            raise HoldExpiredError(
                f"booking {booking_id!r}: the hold expired at {clock(b.held_until or self.now)}; "
                "quote again"
            )
        if b.status is not BookingStatus.HELD:
            raise InputError(f"booking {booking_id!r} is {b.status.value}, not held")
        b.status = BookingStatus.CONFIRMED
        b.held_until = None
        promise = b.promise
        self.audit.record(
            self.now,
            AuditEvent.CONFIRMED,
            f"booked; promised {span(promise)}" if promise else "booked",
            booking_id=booking_id,
            vehicle_id=self.route_of(booking_id),
        )
        self._touch()
        return b

    def release(self, booking_id: str) -> EventResult:
        """Give back a held quote the caller declined (frees its seat)."""
        b = self.booking(booking_id)
        if b.status is not BookingStatus.HELD:
            raise InputError(f"booking {booking_id!r} is {b.status.value}, not held")
        return self._take_out(booking_id, BookingStatus.CANCELLED, AuditEvent.RELEASED, "released")

    def cancel(self, booking_id: str) -> EventResult:
        """The rider cancels (キャンセル): the booking leaves the plan, its seat is free."""
        b = self.booking(booking_id)
        if b.status is BookingStatus.PICKED_UP:
            raise InputError(f"booking {booking_id!r} is already on board; it cannot be cancelled")
        if not b.status.is_active:
            raise InputError(f"booking {booking_id!r} is {b.status.value}; nothing to cancel")
        return self._take_out(
            booking_id, BookingStatus.CANCELLED, AuditEvent.CANCELLED, "cancelled by the rider"
        )

    def no_show(self, booking_id: str) -> EventResult:
        """The driver reports a no-show (不在) after waiting: the vehicle moves on from there."""
        b = self.booking(booking_id)
        if b.status not in (BookingStatus.HELD, BookingStatus.CONFIRMED):
            raise InputError(f"booking {booking_id!r} is {b.status.value}; no pickup to miss")
        vid = self.route_of(booking_id)
        if vid is None:
            raise InputError(f"booking {booking_id!r} is not in any route")
        wr = self._routes[vid]
        first = next((n for n in wr.nodes if not n.is_break), None)
        if first is not None and first.task is not None and first.task.id == booking_id:
            st = self._vstate[vid]
            if st.departed_at is None:
                st.departed_at = st.free_at if st.free_at is not None else self.now
            st.position = first.location
            st.free_at = self.now
            st.en_route = False
            self._history[vid].append(
                DoneStop(vid, "no_show", self.now, self.now, first.location, booking_id)
            )
        return self._take_out(
            booking_id, BookingStatus.NO_SHOW, AuditEvent.NO_SHOW, "no-show reported by the driver"
        )

    # -- time and driver events ------------------------------------------------------
    def advance_to(self, t: int) -> EventResult:
        """Move ``now`` to `t`: holds expire, stops whose departure is past are done,
        the stop a vehicle has left for is locked (under way)."""
        if isinstance(t, bool) or not isinstance(t, int | np.integer):
            raise InputError(f"advance_to: t must be an int of seconds, got {t!r}")
        t = int(t)
        if t < self.now:
            raise InputError(f"advance_to: t {clock(t)} is before now {clock(self.now)}")
        self.now = t
        if self.config.auto_complete:
            for vid in list(self._routes):
                self._advance_vehicle(vid, t)
        # refresh every route for the new "now" first, so repairs insert into fresh routes
        late = [vid for vid in list(self._routes) if not self._refresh(vid)]
        broken: list[BrokenPromise] = []
        for vid in late:
            if vid in self._routes:
                broken += self._repair(vid, f"{vid} running late at {clock(t)}")
        changed: list[str] = []
        for b in list(self._bookings.values()):
            if b.status is BookingStatus.HELD and b.held_until is not None and b.held_until <= t:
                result = self._take_out(
                    b.id, BookingStatus.EXPIRED, AuditEvent.HOLD_EXPIRED, "hold expired"
                )
                broken += result.broken
                changed.append(b.id)
        self._touch()
        return EventResult("advance", tuple(changed), tuple(broken))

    def complete_next_stop(self, vehicle_id: str) -> EventResult:
        """The driver reports the next stop done now (its departure is ``now``)."""
        wr = self._route(vehicle_id)
        shift_start = self._fleet[vehicle_id].shift.start
        if self.now < shift_start:
            raise InputError(
                f"vehicle {vehicle_id!r}: its shift starts at {clock(shift_start)}, "
                f"no stop can be done at {clock(self.now)}"
            )
        k = next((i for i, n in enumerate(wr.nodes) if not n.is_break), None)
        if k is None:
            raise InputError(f"vehicle {vehicle_id!r} has no stop to complete")
        for i in range(k):  # breaks before the stop were taken
            self._mark_break(vehicle_id, wr.nodes[i], wr.sched.starts[i] if wr.sched else self.now)
        node = wr.nodes[k]
        start = max(self.now - node.service_s, self._vstate[vehicle_id].free_at or self.now)
        start = min(start, self.now)
        nodes = wr.nodes[k + 1 :]
        broken: list[BrokenPromise] = []
        task = node.task
        assert task is not None
        if (
            node.kind is StepKind.PICKUP
            and task.promise is not None
            and not task.promise.contains(start)
        ):
            broken.append(
                self._report_broken(
                    task.id,
                    BrokenWhat.PICKUP_WINDOW,
                    f"driver reports the pickup at {clock(start)}, outside the promised window",
                    keep_status=True,
                )
            )
        new_task = self._mark_done(vehicle_id, node, start, self.now)
        if new_task is not None:
            nodes = [
                dropoff_node(new_task) if n.task and n.task.id == task.id else n for n in nodes
            ]
        wr.nodes = nodes
        if not self._refresh(vehicle_id):
            broken += self._repair(vehicle_id, f"{vehicle_id} finished a stop at {clock(self.now)}")
        self._touch()
        return EventResult("stop_completed", (task.id,), tuple(broken))

    def depart(self, vehicle_id: str, at: int | None = None) -> EventResult:
        """The vehicle left for its next stop at `at` (default ``now``; 出発).

        That stop is under way from then (locked, as `advance_to` does when it executes
        the plan) and the route is timed from the departure instead of from ``now``.
        For days whose drivers report their stops (`LiveConfig.auto_complete` off): a
        car on its way is not taken to be waiting where it last reported. A no-op when
        the vehicle is already under way or has no stop left.
        """
        wr = self._route(vehicle_id)
        st = self._vstate[vehicle_id]
        t = self.now if at is None else at
        if isinstance(t, bool) or not isinstance(t, int | np.integer) or t > self.now:
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
        return self._vehicle_event(vehicle_id, AuditEvent.DEPARTED, cause)

    def vehicle_delayed(self, vehicle_id: str, delay_s: int) -> EventResult:
        """A vehicle runs `delay_s` late (遅れ): its riders are re-planned, broken promises
        reported."""
        wr = self._route(vehicle_id)
        if isinstance(delay_s, bool) or not isinstance(delay_s, int) or delay_s < 1:
            raise InputError(f"vehicle_delayed: delay_s must be an int >= 1, got {delay_s!r}")
        st = self._vstate[vehicle_id]
        if st.en_route:
            assert st.free_at is not None
            st.free_at += delay_s
        else:
            planned = self.now
            if wr.used and wr.sched is not None:
                planned = max(planned, wr.sched.departure)
            st.free_at = planned + delay_s
        if st.free_at > self.horizon_s:
            raise InputError(f"vehicle_delayed: delay_s {delay_s} runs past the horizon")
        cause = f"{vehicle_id} delayed by {delay_s // 60} min at {clock(self.now)}"
        return self._vehicle_event(vehicle_id, AuditEvent.VEHICLE_DELAY, cause)

    def vehicle_position(self, vehicle_id: str, location: int) -> EventResult:
        """A vehicle reports where it is now: the rest of its route is re-timed from there."""
        self._route(vehicle_id)
        self._check_location("vehicle_position", "location", location)
        st = self._vstate[vehicle_id]
        if st.departed_at is None and (location != self._fleet[vehicle_id].start or st.en_route):
            st.departed_at = self.now
        st.position = int(location)
        st.free_at = self.now
        cause = f"{vehicle_id} at location {location} at {clock(self.now)}"
        return self._vehicle_event(vehicle_id, AuditEvent.VEHICLE_POSITION, cause)

    def vehicle_breakdown(self, vehicle_id: str, location: int | None = None) -> EventResult:
        """A vehicle is out of service (故障・運休): riders on board get a rescue pickup
        where it stands, its other bookings are re-inserted; what cannot be kept is reported."""
        wr = self._route(vehicle_id)
        st = self._vstate[vehicle_id]
        if location is None:
            location = st.position
        self._check_location("vehicle_breakdown", "location", location)
        before = self._timetable()
        cause = f"breakdown of {vehicle_id} at {clock(self.now)}"
        del self._routes[vehicle_id]
        self._views.pop(vehicle_id, None)
        st.in_service = False
        st.en_route = False
        st.position = int(location)
        st.free_at = self.now
        rescue: list[str] = []
        displaced: list[str] = []
        for n in wr.nodes:
            if n.task is None:
                continue
            if n.task.onboard is not None:
                rescue.append(n.task.id)
            elif n.task.id not in displaced:
                displaced.append(n.task.id)
        for b in self._bookings.values():  # pins naming the broken vehicle no longer hold
            pins = b.request.vehicle_ids
            if b.status.is_active and pins is not None and vehicle_id in pins:
                rest = pins - {vehicle_id}
                self._set_request(b.id, replace(b.request, vehicle_ids=rest or None))
        now0 = max(self.now, 0)
        until = min(self.horizon_s, now0 + self.config.rescue_window_s)
        for bid in rescue:
            b = self._bookings[bid]
            r = b.request
            new: Request
            if isinstance(r, RideRequest):
                new = RideRequest(
                    bid,
                    int(location),
                    r.dropoff,
                    rider_id=r.rider_id,
                    party_size=r.party_size,
                    wheelchairs=r.wheelchairs,
                    board_s=r.board_s,
                    alight_s=r.alight_s,
                    pickup_window=TimeWindow(now0, until),
                    priority=r.priority,
                    required_features=r.required_features,
                    vehicle_ids=r.vehicle_ids,
                )
            else:
                new = DeliveryOrder(
                    bid,
                    int(location),
                    r.customer,
                    ready_at=now0,
                    due_by=max(r.due_by, until),
                    cargo_units=r.cargo_units,
                    pickup_service_s=r.pickup_service_s,
                    dropoff_service_s=r.dropoff_service_s,
                    priority=r.priority,
                    required_features=r.required_features,
                    vehicle_ids=r.vehicle_ids,
                )
            b.status = BookingStatus.CONFIRMED
            b.vehicle_id = None
            b.note = f"rescue after the breakdown of {vehicle_id}"
            self._set_request(bid, new)
        broken = self._reinsert(rescue, cause, rescue=True)
        broken += self._reinsert(displaced, cause)
        entry = self.audit.record(
            self.now,
            AuditEvent.BREAKDOWN,
            f"{cause}: {len(rescue)} on board to fetch, {len(displaced)} to re-plan, "
            f"{len(broken)} promise(s) broken",
            vehicle_id=vehicle_id,
            changes=diff(before, self._timetable()),
        )
        self._touch()
        return EventResult(
            "breakdown", tuple(rescue + displaced), tuple(broken), audit_seq=entry.seq
        )

    # -- persistence ------------------------------------------------------------------
    def snapshot(self, *, include_matrix: bool = False) -> dict[str, Any]:
        """The whole state as JSON-able data (`from_snapshot` rebuilds it).

        The matrix is large and derivable from the map, so it is left out unless asked.
        """
        routes = {}
        for vid, wr in self._ordered():
            routes[vid] = [
                {"kind": "break", "id": n.break_id}
                if n.is_break
                else {"kind": n.kind.value, "id": n.task.id}  # type: ignore[union-attr]
                for n in wr.nodes
            ]
        data: dict[str, Any] = {
            "format": SNAPSHOT_FORMAT,
            "now": self.now,
            "version": self._version,
            "next_id": self._next_id,
            "n_locations": self.n_locations,
            "horizon_s": self.horizon_s,
            "ride_policy": asdict(self._base.ride_policy),
            "weights": asdict(self._base.weights),
            "config": self.config.to_plain(),
            "fleet": [vehicle_to_plain(v) for v in self._fleet.values()],
            "vehicles": [s.to_plain() for s in self._vstate.values()],
            "bookings": [b.to_plain() for b in self._bookings.values()],
            "routes": routes,
            "history": {vid: [d.to_plain() for d in h] for vid, h in self._history.items()},
            "broken": [bp.to_plain() for bp in self._broken],
            "audit": self.audit.to_plain(),
        }
        if include_matrix:
            data["matrix"] = {
                "time_s": self._base.time_s.tolist(),
                "distance_m": self._base.distance_m.tolist(),
            }
        return data

    @classmethod
    def from_snapshot(
        cls,
        data: Mapping[str, Any],
        time_s: np.ndarray | None = None,
        distance_m: np.ndarray | None = None,
    ) -> LiveDay:
        """Rebuild a day from `snapshot` data (and the matrix, if it was left out)."""
        if data.get("format") != SNAPSHOT_FORMAT:
            raise InputError(
                f"snapshot: format must be {SNAPSHOT_FORMAT!r}, got {data.get('format')!r}"
            )
        if time_s is None or distance_m is None:
            if "matrix" not in data:
                raise InputError("snapshot: has no matrix; pass time_s and distance_m")
            time_s = np.asarray(data["matrix"]["time_s"], dtype=np.int64)
            distance_m = np.asarray(data["matrix"]["distance_m"], dtype=np.int64)
        if np.asarray(time_s).shape[0] < data["n_locations"]:
            raise InputError(
                f"snapshot: needs a matrix of at least {data['n_locations']} locations"
            )
        day = cls.__new__(cls)
        day.config = LiveConfig.from_plain(data["config"])
        fleet = tuple(vehicle_from_plain(v) for v in data["fleet"])
        day._base = Problem(
            time_s,
            distance_m,
            (),
            fleet,
            horizon_s=data["horizon_s"],
            ride_policy=RideTimePolicy(**data["ride_policy"]),
            weights=CostWeights(**data["weights"]),
        )
        day._fleet = {v.id: v for v in fleet}
        day.now = data["now"]
        day._vstate = {d["vehicle_id"]: VehicleState.from_plain(d) for d in data["vehicles"]}
        day._bookings = {d["id"]: Booking.from_plain(d) for d in data["bookings"]}
        day._tasks = {
            b.id: resolve_task(day._base, b.request)
            for b in day._bookings.values()
            if b.status.is_active
        }
        day._routes = {}
        day._views = {}
        day._history = {
            vid: [DoneStop.from_plain(d) for d in data["history"].get(vid, [])]
            for vid in day._fleet
        }
        day._broken = [BrokenPromise.from_plain(d) for d in data["broken"]]
        day.audit = AuditLog.from_plain(data["audit"])
        day._version = data["version"]
        day._next_id = data["next_id"]
        day._problem_cache = None
        day._plan_cache = None
        for vid, refs in data["routes"].items():
            v = day._fleet[vid]
            brk = {n.break_id: n for n in break_nodes(v)}
            nodes = []
            for ref in refs:
                if ref["kind"] == "break":
                    nodes.append(brk[ref["id"]])
                elif ref["kind"] == StepKind.PICKUP.value:
                    nodes.append(pickup_node(day._tasks[ref["id"]]))
                else:
                    nodes.append(dropoff_node(day._tasks[ref["id"]]))
            day._routes[vid] = WorkingRoute(v, nodes)
            if not day._refresh(vid):
                raise InputError(f"snapshot: the route of vehicle {vid!r} is infeasible")
        return day

    # -- internals: routes ----------------------------------------------------------------
    def _touch(self) -> None:
        self._version += 1
        self._problem_cache = None
        self._plan_cache = None

    def _ordered(self) -> list[tuple[str, WorkingRoute]]:
        return [(vid, self._routes[vid]) for vid in self._fleet if vid in self._routes]

    def _route(self, vehicle_id: str) -> WorkingRoute:
        if vehicle_id not in self._fleet:
            raise InputError(f"vehicle id {vehicle_id!r} is unknown")
        wr = self._routes.get(vehicle_id)
        if wr is None:
            raise InputError(f"vehicle {vehicle_id!r} is not in service now")
        return wr

    def _view(self, vid: str) -> RouteView:
        view = self._views.get(vid)
        if view is None:
            view = route_view(self._base, self._routes[vid])
            self._views[vid] = view
        return view

    def _live_vehicle(self, vid: str, has_stops: bool) -> Vehicle | None:
        """The vehicle as it stands now: where it starts, when, with the breaks left."""
        v = self._fleet[vid]
        st = self._vstate[vid]
        if not st.in_service:
            return None
        shift_end = st.shift_end if st.shift_end is not None else v.shift.end
        start = v.start
        start_time: int | None
        if st.free_at is None:
            start_time = self.now if self.now > v.shift.start else None
        else:
            start = st.position
            start_time = st.free_at if st.en_route else max(st.free_at, self.now)
            start_time = max(start_time, v.shift.start)
        if start_time is not None and start_time > shift_end:
            if not has_stops:
                return None  # past its shift: out of today's plan
            shift_end = start_time  # infeasible: the caller repairs (overtime)
        breaks = tuple(
            b
            for b in v.breaks
            if b.id not in st.breaks_taken and (start_time is None or b.window.end >= start_time)
        )
        max_duration = v.max_duration_s
        if st.ignore_max_duration:
            max_duration = None
        elif max_duration is not None and st.departed_at is not None:
            limit = st.departed_at + max_duration
            if all(b.window.end + b.duration_s <= limit for b in breaks) and limit >= (
                start_time or v.shift.start
            ):
                shift_end, max_duration = min(shift_end, limit), None
            else:
                max_duration = max(1, limit - (start_time or v.shift.start))
        return replace(
            v,
            start=start,
            start_time=start_time,
            shift=TimeWindow(v.shift.start, shift_end),
            breaks=breaks,
            max_duration_s=max_duration,
        )

    def _refresh(self, vid: str) -> bool:
        """Rebuild a route's live vehicle, locks and schedule; False if infeasible."""
        wr = self._routes[vid]
        st = self._vstate[vid]
        has_stops = any(not n.is_break for n in wr.nodes)
        live = self._live_vehicle(vid, has_stops)
        self._views.pop(vid, None)
        if live is None:
            del self._routes[vid]
            return True
        keep = {b.id for b in live.breaks}
        nodes = [n for n in wr.nodes if not n.is_break or n.break_id in keep]
        if not has_stops:
            st.en_route = False
        real = [k for k, n in enumerate(nodes) if not n.is_break]
        n_locked = min(len(real), max(st.pinned_stops, 1 if st.en_route else 0))
        locked = real[n_locked - 1] + 1 if n_locked else 0
        present = {n.break_id for n in nodes if n.is_break}
        missing = [n for n in break_nodes(live) if n.break_id not in present]
        if missing:  # a fresh route, or a break whose window is reachable again
            placed = self._place_breaks(live, nodes, missing, locked)
            nodes = placed if placed is not None else nodes + missing
        load = [0] * len(live.capacity)
        for n in nodes:
            if n.task is not None and n.task.onboard is not None:
                load = [a + b for a, b in zip(load, n.task.load, strict=True)]
        new = WorkingRoute(live, nodes, locked, st.closed, tuple(load))
        new.sched = schedule(self._base, live, nodes)
        self._routes[vid] = new
        return new.sched is not None

    def _set_request(self, bid: str, request: Request) -> Task:
        """Change a booking's request, its task and the nodes that carry it."""
        self._bookings[bid].request = request
        task = resolve_task(self._base, request)
        self._tasks[bid] = task
        for vid, wr in self._routes.items():
            if any(n.task is not None and n.task.id == bid for n in wr.nodes):
                wr.nodes = [self._renode(n, task) for n in wr.nodes]
                self._views.pop(vid, None)
        return task

    @staticmethod
    def _renode(node: Node, task: Task) -> Node:
        if node.task is None or node.task.id != task.id:
            return node
        if node.kind is StepKind.PICKUP and task.pickup is None:
            return node  # just done: the caller drops it
        return pickup_node(task) if node.kind is StepKind.PICKUP else dropoff_node(task)

    def _timetable(self, vids: Iterable[str] | None = None) -> Timetable:
        out: Timetable = {}
        for vid in self._routes if vids is None else vids:
            wr = self._routes.get(vid)
            if wr is None or wr.sched is None:
                continue
            for node, s in zip(wr.nodes, wr.sched.starts, strict=True):
                if node.task is None:
                    continue
                _, p, d = out.get(node.task.id, (vid, None, None))
                out[node.task.id] = (vid, s, d) if node.kind is StepKind.PICKUP else (vid, p, s)
        return out

    def _open(
        self, vids: Iterable[str] | None = None
    ) -> tuple[list[str], list[WorkingRoute], list[RouteView]]:
        ids = [vid for vid, wr in self._ordered() if vids is None or vid in vids]
        ids = [vid for vid in ids if self._routes[vid].sched is not None]
        return ids, [self._routes[v] for v in ids], [self._view(v) for v in ids]

    def _find(self, task: Task, vids: Iterable[str] | None = None) -> tuple[str, Insertion] | None:
        ids, routes, views = self._open(vids)
        cfg = self.config.quote
        ins = find_insertion(
            self._base,
            routes,
            views,
            task,
            per_vehicle=cfg.exact_checks_per_vehicle,
            max_checks=cfg.max_exact_checks,
        )
        return None if ins is None else (ids[ins.vehicle_index], ins)

    def _apply(self, vid: str, nodes: Sequence[Node], sched: Any) -> None:
        wr = self._routes[vid]
        wr.nodes = list(nodes)
        wr.sched = sched
        self._views.pop(vid, None)

    def _remove(self, bid: str) -> str | None:
        """Take a booking's stops out of its route (not re-scheduled); its vehicle or None."""
        vid = self.route_of(bid)
        if vid is None:
            return None
        wr = self._routes[vid]
        st = self._vstate[vid]
        real = [n for n in wr.nodes if not n.is_break]
        hit = [k for k, n in enumerate(real) if n.task is not None and n.task.id == bid]
        if st.en_route and hit and hit[0] == 0:
            st.en_route = False  # diverted: it waits where it last was
        st.pinned_stops -= sum(1 for k in hit if k < st.pinned_stops)
        wr.nodes = [n for n in wr.nodes if n.task is None or n.task.id != bid]
        self._views.pop(vid, None)
        return vid

    def _take_out(
        self, bid: str, status: BookingStatus, event: AuditEvent, why: str
    ) -> EventResult:
        before = self._timetable()
        vid = self._remove(bid)
        b = self._bookings[bid]
        b.status = status
        b.held_until = None
        self._tasks.pop(bid, None)
        broken: list[BrokenPromise] = []
        if vid is not None and not self._refresh(vid):
            broken = self._repair(vid, f"{why} ({bid})")
        entry = self.audit.record(
            self.now,
            event,
            why,
            booking_id=bid,
            vehicle_id=vid,
            changes=diff(before, self._timetable()),
        )
        self._touch()
        return EventResult(event.value, (bid,), tuple(broken), entry.seq)

    def _vehicle_event(self, vid: str, event: AuditEvent, cause: str) -> EventResult:
        before = self._timetable()
        broken: list[BrokenPromise] = []
        if not self._refresh(vid):
            broken = self._repair(vid, cause)
        changes = diff(before, self._timetable())
        entry = self.audit.record(
            self.now,
            event,
            f"{cause}; {len(broken)} promise(s) broken",
            vehicle_id=vid,
            changes=changes,
        )
        self._touch()
        return EventResult(
            event.value, tuple(c.booking_id for c in changes), tuple(broken), entry.seq
        )

    # -- internals: time --------------------------------------------------------------
    def _advance_vehicle(self, vid: str, t: int) -> None:
        wr = self._routes[vid]
        sched = wr.sched
        if sched is None:
            return
        st = self._vstate[vid]
        T = self._base.time_s
        nodes = list(wr.nodes)
        starts = list(sched.starts)
        k = 0
        while k < len(nodes):
            node, start = nodes[k], starts[k]
            if node.is_break:
                if start > t:
                    break
                self._mark_break(vid, node, start)
                k += 1
                continue
            if not st.en_route:
                here = st.position if st.free_at is not None else wr.vehicle.start
                floor = st.free_at if st.free_at is not None else sched.departure
                leave = max(floor, start - int(T[here, node.location]))
                if leave > t:
                    break
                st.en_route = True
                if st.departed_at is None:
                    st.departed_at = leave
                st.free_at = leave
            dep = start + node.service_s
            if dep > t:
                break
            new_task = self._mark_done(vid, node, start, dep)
            if new_task is not None:
                nodes = [
                    dropoff_node(new_task) if i > k and n.task and n.task.id == new_task.id else n
                    for i, n in enumerate(nodes)
                ]
            k += 1
        if k:
            wr.nodes = nodes[k:]
            self._views.pop(vid, None)

    def _mark_break(self, vid: str, node: Node, start: int) -> None:
        st = self._vstate[vid]
        end = start + node.service_s
        st.breaks_taken.append(node.break_id or "")
        st.free_at = end if st.free_at is None else max(st.free_at, end)
        self._history[vid].append(DoneStop(vid, "break", start, end, break_id=node.break_id))

    def _mark_done(self, vid: str, node: Node, start: int, dep: int) -> Task | None:
        """Record a stop as done; returns the on-board task after a pickup."""
        st = self._vstate[vid]
        if st.departed_at is None:
            st.departed_at = st.free_at if st.free_at is not None else start
        st.position = node.location
        st.free_at = dep
        st.en_route = False
        st.pinned_stops = max(0, st.pinned_stops - 1)
        task = node.task
        assert task is not None
        b = self._bookings[task.id]
        self._history[vid].append(
            DoneStop(vid, node.kind.value, start, dep, node.location, task.id)
        )
        if node.kind is StepKind.PICKUP:
            b.status = BookingStatus.PICKED_UP
            b.held_until = None
            b.vehicle_id = vid
            b.picked_up_at = dep
            promise = b.request.promise if isinstance(b.request, RideRequest) else None
            within = f" (promised {span(promise)})" if promise else ""
            self.audit.record(
                self.now,
                AuditEvent.PICKED_UP,
                f"picked up at {clock(start)}{within}",
                booking_id=task.id,
                vehicle_id=vid,
            )
            return self._set_request(task.id, replace(b.request, onboard=Onboard(vid, dep)))
        b.status = BookingStatus.DONE
        b.dropped_at = start
        self._tasks.pop(task.id, None)
        self.audit.record(
            self.now,
            AuditEvent.DROPPED_OFF,
            f"dropped off at {clock(start)}",
            booking_id=task.id,
            vehicle_id=vid,
        )
        return None

    # -- internals: repair ------------------------------------------------------------
    def _repair(self, vid: str, cause: str) -> list[BrokenPromise]:
        """Make an infeasible route feasible again and re-insert what it had to drop.

        Riders on board stay (their arrival limits are relaxed only if nothing else
        works, and reported); every other booking of the route is re-inserted, on
        this vehicle if it still fits, else anywhere; what fits nowhere is a
        broken promise.
        """
        wr = self._routes[vid]
        st = self._vstate[vid]
        keep: list[Node] = []
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
            self.audit.record(
                self.now,
                AuditEvent.CONSTRAINT_RELAXED,
                f"lock of {vid} lifted: {cause}",
                vehicle_id=vid,
            )
            st.pinned_stops = 0
        wr.nodes = keep
        broken: list[BrokenPromise] = []
        if not self._refresh(vid):
            broken += self._relax(vid, cause)
        broken += self._reinsert(displaced, cause, prefer=vid)
        return broken

    def _relax(self, vid: str, cause: str) -> list[BrokenPromise]:
        """Riders on board must be delivered: relax their limits, then breaks, then the shift."""
        wr = self._routes[vid]
        st = self._vstate[vid]
        onboard = [n.task.id for n in wr.nodes if n.task is not None]
        originals = {bid: self._bookings[bid].request for bid in onboard}
        horizon = self.horizon_s
        for bid in onboard:
            r = originals[bid]
            if isinstance(r, RideRequest):
                self._set_request(bid, replace(r, arrive_by=None, max_ride_s=horizon))
            else:
                self._set_request(bid, replace(r, due_by=max(r.due_by, horizon), max_ride_s=None))
        if not self._refresh(vid):
            live = self._routes[vid].vehicle
            skipped = [b.id for b in live.breaks]
            st.breaks_taken += skipped
            if skipped:
                self.audit.record(
                    self.now,
                    AuditEvent.CONSTRAINT_RELAXED,
                    f"break(s) {skipped} of {vid} cannot be taken: {cause}",
                    vehicle_id=vid,
                )
            if not self._refresh(vid):
                st.shift_end = horizon
                st.ignore_max_duration = True
                self.audit.record(
                    self.now,
                    AuditEvent.CONSTRAINT_RELAXED,
                    f"{vid} works overtime to deliver its riders: {cause}",
                    vehicle_id=vid,
                )
                if not self._refresh(vid):
                    raise SolverError(f"vehicle {vid!r}: cannot deliver the riders on board")
        broken = []
        for bid in onboard:
            relaxed = self._bookings[bid].request
            self._set_request(bid, originals[bid])
            if not self._refresh(vid):
                self._set_request(bid, relaxed)
                self._refresh(vid)
                broken.append(self._report_broken(bid, BrokenWhat.ARRIVAL, cause, keep_status=True))
        return broken

    def _reinsert(
        self, bids: Sequence[str], cause: str, *, prefer: str | None = None, rescue: bool = False
    ) -> list[BrokenPromise]:
        broken = []
        for bid in bids:
            task = self._tasks[bid]
            found = None
            if prefer is not None and prefer in self._routes:
                found = self._find(task, [prefer])
            if found is None:
                found = self._find(task)
            if found is None:
                what = BrokenWhat.RESCUE if rescue else BrokenWhat.PICKUP_WINDOW
                broken.append(self._report_broken(bid, what, cause))
                continue
            vid, ins = found
            self._apply(vid, ins.nodes, ins.sched)
        return broken

    def _report_broken(
        self, bid: str, what: BrokenWhat, cause: str, *, keep_status: bool = False
    ) -> BrokenPromise:
        b = self._bookings[bid]
        if not keep_status:
            b.status = BookingStatus.PROMISE_BROKEN
            b.held_until = None
        bp = BrokenPromise(bid, what, self.now, cause, b.promise)
        self._broken.append(bp)
        self.audit.record(
            self.now,
            AuditEvent.PROMISE_BROKEN,
            f"{bp.message_en}: {cause}",
            booking_id=bid,
            vehicle_id=self.route_of(bid),
        )
        logger.warning("promise broken: booking %s (%s): %s", bid, what.value, cause)
        return bp

    def _broken_detail(self, bid: str) -> str:
        for bp in reversed(self._broken):
            if bp.booking_id == bid:
                return f"promise broken ({bp.what.value}): {bp.cause}"
        return "promise broken"

    def _open_broken(self, b: Booking, live: Mapping[str, WorkingRoute]) -> bool:
        """A broken booking that a later plan could still serve within its promise."""
        if b.status is not BookingStatus.PROMISE_BROKEN:
            return False
        task = self._tasks.get(b.id)
        if task is None or task.pickup is None or task.pickup.window.end < self.now:
            return False
        pins = b.request.vehicle_ids
        return pins is None or bool(pins & set(live))

    @staticmethod
    def _pins_within(request: Request, live: Mapping[str, WorkingRoute]) -> Request:
        pins = request.vehicle_ids
        if pins is None or pins <= set(live):
            return request
        return replace(request, vehicle_ids=(pins & set(live)) or None)

    def _place_breaks(
        self, vehicle: Vehicle, nodes: list[Node], missing: list[Node], first: int
    ) -> list[Node] | None:
        """`nodes` with each missing break at the feasible position (from `first` on)
        closest to its latest start, or None if one fits nowhere."""
        nodes = list(nodes)
        for node in sorted(missing, key=lambda n: n.earliest):
            sched = schedule(self._base, vehicle, nodes)
            if sched is None:
                return None
            times = [*sched.starts, sched.end_arrival]
            order = sorted(range(first, len(nodes) + 1), key=lambda k: abs(times[k] - node.latest))
            for k in order:
                trial = [*nodes[:k], node, *nodes[k:]]
                if schedule(self._base, vehicle, trial) is not None:
                    nodes = trial
                    break
            else:
                return None
        return nodes
