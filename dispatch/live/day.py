"""`LiveDay`: the public face of a live service day over its explicit state.

`LiveDay` holds today's `DayState` while phone operators book and vehicles drive, and
offers one method per thing that happens: quotes and promises (`quote`, `confirm`,
`release`, `cancel`), the clock and drivers (`advance_to`, `complete_next_stop`,
`depart`, `no_show`, `vehicle_delayed`, `vehicle_position`, `vehicle_breakdown`),
dispatchers (`pin`, `move`, `lock_route`, `unlock_route`), re-optimisation
(`reopt_job`, `offer`, `discard`) and persistence (`snapshot`, `from_snapshot`).
Each method is a function of one module beside this one; after every event the
planned stops are compared with the promise ledger (`repair.watch_promises`), so an
event either keeps every promise or reports exactly which one broke, by how much and
why (`broken_promises`, the audit trail, the booking's status).

The *live problem* (`problem()`) is today's remaining work as a `Problem` and `plan`
its plan; ``check()`` (the independent checker on both, plus the ledger and the
stops executed) holds after every operation. Times are int seconds from the start of
the service day; ``now`` may be negative when bookings open the day before.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from dispatch.audit import AuditEvent, AuditLog
from dispatch.check import CheckReport
from dispatch.drones import Flight, Grounded, GroundedCause
from dispatch.errors import InputError
from dispatch.events import (
    Booking,
    BookingStatus,
    BrokenPromise,
    DoneStop,
    EventResult,
    OverrideResult,
    VehicleState,
)
from dispatch.halls import Hall, check_halls
from dispatch.insertion import WorkingRoute
from dispatch.live import air, driving, overrides, quotes, reopt, snapshot
from dispatch.live.air import DroneService
from dispatch.live.checking import check_day
from dispatch.live.ledger import Ledger, Promise
from dispatch.live.repair import repair, watch_promises
from dispatch.live.routes import (
    OffRouteBreak,
    booking,
    breaks_off_route,
    live_plan,
    live_problem,
    refresh,
    route_of,
)
from dispatch.live.state import AirState, DayState, LiveConfig
from dispatch.model import CostWeights, Problem, RideTimePolicy, Vehicle
from dispatch.quote import Ask, Quote, clock
from dispatch.result import Plan
from dispatch.schedule import break_nodes


class LiveDay:
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
        halls: Sequence[Hall] = (),
        drones: DroneService | None = None,
    ) -> None:
        if isinstance(now, bool) or not isinstance(now, int):
            raise InputError(f"live day: now must be an int of seconds, got {now!r}")
        base = Problem(
            time_s,
            distance_m,
            (),
            tuple(fleet),
            horizon_s=horizon_s,
            ride_policy=ride_policy or RideTimePolicy(),
            weights=weights or CostWeights(),
        )
        s = DayState(
            config=config or LiveConfig(),
            base=base,
            fleet={v.id: v for v in base.vehicles},
            now=now,
            vehicles={v.id: VehicleState(v.id, v.start) for v in base.vehicles},
            history={v.id: [] for v in base.vehicles},
            halls=check_halls(halls, base.n_locations),
            air=AirState(service=drones),
        )
        for vid, v in s.fleet.items():
            s.routes[vid] = WorkingRoute(v, break_nodes(v))
            if not refresh(s, vid):
                repair(s, vid, "start of the live day")
        self._s = s

    @classmethod
    def _of(cls, state: DayState) -> LiveDay:
        day = cls.__new__(cls)
        day._s = state
        return day

    # -- reading the state -------------------------------------------------------------
    @property
    def state(self) -> DayState:
        """The explicit state (for modules of functions over it; treat as read-only)."""
        return self._s

    @property
    def now(self) -> int:
        """The current time (seconds from the start of the service day)."""
        return self._s.now

    @property
    def config(self) -> LiveConfig:
        return self._s.config

    @property
    def audit(self) -> AuditLog:
        """The audit trail (変更履歴)."""
        return self._s.audit

    @property
    def ledger(self) -> Ledger:
        """Every promise made today (read it; only `confirm` writes to it)."""
        return self._s.ledger

    def promise(self, booking_id: str) -> Promise | None:
        """The promise in force for a booking, or None if it was never confirmed."""
        return self._s.ledger.get(booking_id)

    @property
    def version(self) -> int:
        """Increases with every change; a re-optimisation snapshot remembers it."""
        return self._s.version

    @property
    def fleet(self) -> tuple[Vehicle, ...]:
        """The vehicles as planned for the day (shifts, depots, breaks)."""
        return tuple(self._s.fleet.values())

    @property
    def n_locations(self) -> int:
        """How many locations the matrix knows."""
        return self._s.n_locations

    @property
    def horizon_s(self) -> int:
        """End of the planning horizon (seconds)."""
        return self._s.horizon_s

    def booking(self, booking_id: str) -> Booking:
        """The booking with this id (InputError if unknown)."""
        return booking(self._s, booking_id)

    def bookings(self, *statuses: BookingStatus) -> list[Booking]:
        """All bookings, or those with one of `statuses`, in booking order."""
        return [b for b in self._s.bookings.values() if not statuses or b.status in statuses]

    def vehicle_state(self, vehicle_id: str) -> VehicleState:
        """Where a vehicle is and what of its route is fixed."""
        if vehicle_id not in self._s.vehicles:
            raise InputError(f"vehicle id {vehicle_id!r} is unknown")
        return self._s.vehicles[vehicle_id]

    def history(self, vehicle_id: str) -> tuple[DoneStop, ...]:
        """The stops a vehicle has done today, in order."""
        self.vehicle_state(vehicle_id)
        return tuple(self._s.history[vehicle_id])

    def breaks_off_route(self, vehicle_id: str) -> tuple[OffRouteBreak, ...]:
        """The breaks a vehicle takes before its departure or after its arrival at the
        end (the plan's route leaves them out; the run sheet shows them)."""
        self.vehicle_state(vehicle_id)
        return breaks_off_route(self._s, vehicle_id)

    @property
    def broken_promises(self) -> tuple[BrokenPromise, ...]:
        """Every promise reported broken today, in order."""
        return tuple(self._s.broken)

    def route_of(self, booking_id: str) -> str | None:
        """The vehicle whose route serves the booking now, or None."""
        return route_of(self._s, booking_id)

    def problem(self) -> Problem:
        """Today's remaining work as a `Problem` (see the module docstring)."""
        return live_problem(self._s)

    @property
    def plan(self) -> Plan:
        """The plan of the live problem: remaining stops per vehicle, broken promises unassigned."""
        return live_plan(self._s)

    def check(self) -> CheckReport:
        """The independent checker on the live plan, the promise ledger and what was done."""
        return check_day(self._s)

    # -- the matrix ------------------------------------------------------------------------
    def set_matrix(self, time_s: np.ndarray, distance_m: np.ndarray) -> None:
        """Swap in a grown matrix: new locations appended, existing entries unchanged.

        An ad-hoc address then costs one forward and one backward search
        (`routing.matrix.extend_matrix`), never a rebuild of the day.
        """
        s = self._s
        old = s.n_locations
        t = np.asarray(time_s)
        d = np.asarray(distance_m)
        if t.ndim != 2 or t.shape[0] != t.shape[1] or t.shape[0] < old or d.shape != t.shape:
            raise InputError(
                f"set_matrix: time_s {t.shape} and distance_m {d.shape} must be square, "
                f"equal and at least {old}x{old}"
            )
        if not (
            np.array_equal(t[:old, :old], s.base.time_s)
            and np.array_equal(d[:old, :old], s.base.distance_m)
        ):
            raise InputError("set_matrix: the entries of existing locations must not change")
        s.base = s.base.with_changes(time_s=t, distance_m=d)
        s.audit.record(
            s.now, AuditEvent.MATRIX_EXTENDED, f"matrix grows from {old} to {t.shape[0]}"
        )
        s.views.clear()
        s.touch()

    # -- quotes and promises -----------------------------------------------------------------
    def quote(self, ask: Ask, *, booking_id: str | None = None, hold: bool = True) -> Quote:
        """Answer an ask at once: a held booking with its promise, or why not and when instead.

        ``ask`` is a `RideAsk`, a `DeliveryAsk` or a `VisitAsk` (a home visit: its
        promise is the appointment window). With ``hold`` the seat (or the nurse car's
        time) is reserved until `confirm`, `release` or expiry; without,
        nothing changes (what-if). ``booking_id`` names the booking (default: the day's
        next free id); a booking whose promise was broken may be quoted again under its
        own id.
        """
        return quotes.quote(self._s, ask, booking_id=booking_id, hold=hold)

    @property
    def halls(self) -> dict[str, Hall]:
        """The community halls orders may be handed over at, by id."""
        return dict(self._s.halls)

    def set_halls(self, halls: Sequence[Hall]) -> None:
        """Replace the halls (opening hours or capacity changed); bookings already made
        keep their hall and slot."""
        self._s.halls = check_halls(halls, self._s.n_locations)
        self._s.touch()

    # -- drones -------------------------------------------------------------------------
    @property
    def drone_service(self) -> DroneService | None:
        """The day's drones (None: none fly)."""
        return self._s.air.service

    @property
    def flights(self) -> tuple[Flight, ...]:
        """Every flight of the day, planned or flown, by take-off."""
        return tuple(sorted(self._s.air.flights.values(), key=lambda f: (f.takeoff, f.drone_id)))

    @property
    def grounded(self) -> tuple[Grounded, ...]:
        """The periods drones may not fly (weather, the dispatcher's switch)."""
        return tuple(self._s.air.grounded)

    def drone_history(self) -> list[DoneStop]:
        """Orders handed over by drone so far (a ``dropoff`` at the hall each)."""
        return list(self._s.air.history)

    def ground_drones(
        self,
        start: int,
        end: int,
        *,
        drone_ids: Sequence[str] | None = None,
        cause: str = "weather",
        note: str = "",
    ) -> EventResult:
        """No drone (or those named) flies in ``[start, end)``: pending flights are planned
        again, orders that no longer fly go to vans within their slot, and any promise
        that cannot be kept is reported (運航停止)."""
        for name, t in (("start", start), ("end", end)):
            if isinstance(t, bool) or not isinstance(t, int):
                raise InputError(f"ground drones: {name} must be an int of seconds, got {t!r}")
        if end <= start:
            raise InputError("ground drones: end must be after start")
        try:
            why = GroundedCause(cause)
        except ValueError:
            known = ", ".join(c.value for c in GroundedCause)
            raise InputError(
                f"ground drones: cause must be one of {known}, got {cause!r}"
            ) from None
        ids = None if drone_ids is None else frozenset(drone_ids)
        return self._watched(air.ground(self._s, start, end, ids, why, note))

    def lift_grounding(self, period: Grounded) -> EventResult:
        """End a grounded period now (the dispatcher lifts it; one not yet begun is
        dropped): orders quoted from now on may fly again; planned flights and orders
        already moved to vans stay as they are."""
        return self._watched(air.lift(self._s, period))

    def set_drones(self, service: DroneService | None) -> EventResult:
        """The day's drones change (the office's fleet changed; None: no drones).

        Drones that flew today or that a grounded period names stay in the day,
        grounded for the rest of it when `service` lacks them; flights not yet in the
        air are planned again, and orders that no longer fly go to vans within their
        slot or their promise is reported. A no-op when the day already has them.
        """
        if service is not None and not isinstance(service, DroneService):
            raise InputError(f"set_drones: a DroneService or None, got {service!r}")
        return self._watched(air.set_service(self._s, service))

    def confirm(self, booking_id: str) -> Booking:
        """Turn a held quote into a booking (予約確定): its promise goes into the ledger."""
        return quotes.confirm(self._s, booking_id)

    def release(self, booking_id: str) -> EventResult:
        """Give back a held quote the caller declined (frees its seat)."""
        return self._watched(quotes.release(self._s, booking_id))

    def cancel(self, booking_id: str) -> EventResult:
        """The rider cancels (キャンセル): the booking leaves the plan, its seat is free."""
        return self._watched(quotes.cancel(self._s, booking_id))

    # -- time, drivers and vehicles ------------------------------------------------------------
    def no_show(self, booking_id: str) -> EventResult:
        """The driver reports a no-show (不在) after waiting: the vehicle moves on from there."""
        return self._watched(driving.no_show(self._s, booking_id))

    def advance_to(self, t: int) -> EventResult:
        """Move ``now`` to `t`: holds expire, stops whose departure is past are done (with
        ``auto_complete``), the stop a vehicle has left for is locked (under way)."""
        return self._watched(driving.advance_to(self._s, t))

    def complete_next_stop(self, vehicle_id: str) -> EventResult:
        """The driver reports the next stop done now (its departure is ``now``).

        A delivery cannot be handed over before its promised slot opens
        (`dispatch.live.EarlyHandoverError`), nor a home visit reported done before its
        appointment window opens (`dispatch.live.EarlyVisitError`).
        """
        return self._watched(driving.complete_next_stop(self._s, vehicle_id))

    def depart(self, vehicle_id: str, at: int | None = None) -> EventResult:
        """The vehicle left for its next stop at `at` (default ``now``; 出発).

        That stop is under way from then (locked, as `advance_to` does when it executes
        the plan) and the route is timed from the departure instead of from ``now``.
        A no-op when the vehicle is already under way or has no stop left.
        """
        return self._watched(driving.depart(self._s, vehicle_id, at))

    def vehicle_delayed(self, vehicle_id: str, delay_s: int) -> EventResult:
        """A vehicle runs `delay_s` late (遅れ): its riders are re-planned, broken promises
        reported."""
        return self._watched(driving.vehicle_delayed(self._s, vehicle_id, delay_s))

    def vehicle_position(self, vehicle_id: str, location: int) -> EventResult:
        """A vehicle reports where it is now: the rest of its route is re-timed from there."""
        return self._watched(driving.vehicle_position(self._s, vehicle_id, location))

    def vehicle_breakdown(self, vehicle_id: str, location: int | None = None) -> EventResult:
        """A vehicle is out of service (故障・運休): riders on board get a rescue aimed at
        their promised arrival, its other bookings are re-inserted; what cannot be kept is
        reported."""
        return self._watched(driving.vehicle_breakdown(self._s, vehicle_id, location))

    # -- dispatcher overrides --------------------------------------------------------------------
    def pin(self, booking_id: str, vehicle_id: str) -> OverrideResult:
        """Pin a booking to a vehicle (moving it there if needed); refused if that breaks
        anything."""
        return overrides.pin(self._s, booking_id, vehicle_id)

    def move(
        self,
        booking_id: str,
        vehicle_id: str,
        *,
        pickup_pos: int | None = None,
        dropoff_pos: int | None = None,
    ) -> OverrideResult:
        """Move a booking to a vehicle, at given positions or the best feasible ones
        (see `dispatch.live.overrides.move`); refused with the checker's answer if it
        breaks anything."""
        return overrides.move(
            self._s, booking_id, vehicle_id, pickup_pos=pickup_pos, dropoff_pos=dropoff_pos
        )

    def lock_route(self, vehicle_id: str) -> OverrideResult:
        """Lock a vehicle's route as it stands: no new stops, re-optimisation keeps it."""
        return overrides.lock_route(self._s, vehicle_id)

    def unlock_route(self, vehicle_id: str) -> OverrideResult:
        """Undo `lock_route`: the route takes new stops and may be re-optimised again."""
        return overrides.unlock_route(self._s, vehicle_id)

    # -- re-optimisation ---------------------------------------------------------------------------
    def reopt_job(self) -> reopt.ReoptJob:
        """A snapshot to re-optimise (`dispatch.live.reopt.solve_job` / `solve_in_worker`)."""
        return reopt.make_job(self._s)

    def offer(self, job: reopt.ReoptJob, candidate: Plan) -> reopt.ReoptOutcome:
        """Adopt a re-optimised plan if it is valid now, keeps every promise, serves every
        booking the plan serves and costs less; otherwise discard it."""
        return reopt.offer(self._s, job, candidate)

    def discard(self, job: reopt.ReoptJob, reason: str) -> reopt.ReoptOutcome:
        """Record that a re-optimisation result was not used, and why."""
        return reopt.discard(self._s, job, reason)

    # -- persistence -------------------------------------------------------------------
    def snapshot(self, *, include_matrix: bool = False) -> dict[str, Any]:
        """The whole state as JSON-able data (`from_snapshot` rebuilds it)."""
        return snapshot.snapshot(self._s, include_matrix=include_matrix)

    @classmethod
    def from_snapshot(
        cls,
        data: Mapping[str, Any],
        time_s: np.ndarray | None = None,
        distance_m: np.ndarray | None = None,
    ) -> LiveDay:
        """Rebuild a day from `snapshot` data (and the matrix, if it was left out); a
        snapshot of format 1 is migrated (its promises rebuilt from the requests)."""
        return cls._of(snapshot.restore(data, time_s, distance_m))

    # -- internals ---------------------------------------------------------------------------------
    def _watched(self, result: EventResult) -> EventResult:
        """`result` with every promise the event left the plan breaking, now reported."""
        cause = f"{result.event} at {clock(self._s.now)}"
        more = watch_promises(self._s, cause)
        if not more:
            return result
        self._s.touch()
        return EventResult(
            result.event, result.changed, result.broken + tuple(more), result.audit_seq
        )
