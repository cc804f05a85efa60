"""Which drone can fly which order, and when; or why no drone can.

Each order is assessed alone, as if no other flight existed: for every drone at the
order's base, in turn, the parcel must fit the payload, the round trip the range,
the hand-over slot the hall's opening hours; the parcel must be ready (and ``now``
not past) in time to reach the hall within the slot; the whole flight must lie in
the drone's flying hours and outside its grounded periods. What survives is a
`FlightOption`: the drone's leg and flight durations and the take-off times it
allows. An order no drone can fly gets the reason of the drone that came furthest
through those checks (`NoFlightReason`, in check order), so a 6 kg parcel at a base
with a 5 kg and a 10 kg drone that cannot reach the hall is OUT_OF_RANGE, and a
parcel too heavy for every drone is OVERWEIGHT: it never goes on a drone.

These options are all the scheduler reads about an order.
"""

from __future__ import annotations

from dataclasses import dataclass

from dispatch.drones.model import (
    Drone,
    DroneOrder,
    DroneProblem,
    Flight,
    Grounded,
    flight_distance_m,
)
from dispatch.drones.result import NoFlightReason
from dispatch.model import TimeWindow

__all__ = [
    "FlightOption",
    "OrderAssessment",
    "assess_order",
    "assess_orders",
    "leg_seconds",
]

#: The per-drone checks in the order they are made: the later a drone fails, the
#: closer it came to flying, and the more useful its reason is to the caller.
_STAGES: tuple[NoFlightReason, ...] = (
    NoFlightReason.OVERWEIGHT,
    NoFlightReason.OUT_OF_RANGE,
    NoFlightReason.HALL_CLOSED,
    NoFlightReason.TOO_LATE,
    NoFlightReason.OUTSIDE_FLYING_HOURS,
    NoFlightReason.GROUNDED,
)


def leg_seconds(drone: Drone, distance_m: int) -> int:
    """Seconds for one leg: climb and descent plus the distance at cruise speed, rounded up."""
    metres_per_hour = drone.cruise_kmh * 1000
    return drone.takeoff_landing_s + -(-distance_m * 3600 // metres_per_hour)


@dataclass(frozen=True, slots=True)
class FlightOption:
    """One drone that can fly one order alone, and the take-offs it allows.

    ``distance_m`` is one way; ``leg_s`` one leg; ``away_s`` from take-off to landing
    back at the base; ``takeoffs`` the allowed take-off times as sorted, disjoint,
    inclusive windows (never empty).
    """

    order_id: str
    drone_id: str
    hall_id: str
    distance_m: int
    leg_s: int
    handover_s: int
    turnaround_s: int
    slot_start: int
    takeoffs: tuple[TimeWindow, ...]

    @property
    def away_s(self) -> int:
        return 2 * self.leg_s + self.handover_s

    @property
    def busy_s(self) -> int:
        """Take-off to the next possible take-off: the flight plus turnaround."""
        return self.away_s + self.turnaround_s

    def flight(self, takeoff: int) -> Flight:
        """The flight taking off at ``takeoff`` (not checked against `takeoffs`)."""
        at_hall = takeoff + self.leg_s
        back = at_hall + self.handover_s + self.leg_s
        return Flight(
            drone_id=self.drone_id,
            order_id=self.order_id,
            hall_id=self.hall_id,
            takeoff=takeoff,
            at_hall=at_hall,
            leaves_hall=at_hall + self.handover_s,
            back=back,
            ready=back + self.turnaround_s,
            distance_m=2 * self.distance_m,
        )


@dataclass(frozen=True, slots=True)
class OrderAssessment:
    """An order alone: the drones that can fly it, or the reason none can."""

    order_id: str
    options: tuple[FlightOption, ...]
    reason: NoFlightReason | None

    @property
    def can_fly(self) -> bool:
        return self.reason is None


def assess_order(problem: DroneProblem, order: DroneOrder) -> OrderAssessment:
    """Assess one order of `problem` alone (locked flights and other orders ignored)."""
    hall = problem.hall(order.hall_id)
    if hall is None:
        return OrderAssessment(order.id, (), NoFlightReason.NOT_A_HALL_PAD)
    drones = problem.drones_at(order.base_id)
    if not drones:
        return OrderAssessment(order.id, (), NoFlightReason.NO_DRONE_AT_BASE)
    distance = flight_distance_m(problem.base(order.base_id), hall)
    slot = order.slot.intersect(hall.opening_hours)
    options: list[FlightOption] = []
    furthest = -1
    for drone in drones:
        outcome = _option(problem, order, drone, distance, slot)
        if isinstance(outcome, FlightOption):
            options.append(outcome)
        else:
            furthest = max(furthest, _STAGES.index(outcome))
    if options:
        return OrderAssessment(order.id, tuple(options), None)
    return OrderAssessment(order.id, (), _STAGES[furthest])


def assess_orders(problem: DroneProblem) -> tuple[OrderAssessment, ...]:
    """Every order not already locked on a flight, in the problem's order."""
    locked = problem.locked_order_ids
    return tuple(assess_order(problem, o) for o in problem.orders if o.id not in locked)


def _option(
    problem: DroneProblem,
    order: DroneOrder,
    drone: Drone,
    distance_m: int,
    slot: TimeWindow | None,
) -> FlightOption | NoFlightReason:
    if order.weight_g > drone.payload_g:
        return NoFlightReason.OVERWEIGHT
    if 2 * distance_m > drone.range_m:
        return NoFlightReason.OUT_OF_RANGE
    if slot is None:
        return NoFlightReason.HALL_CLOSED
    leg = leg_seconds(drone, distance_m)
    away = 2 * leg + drone.handover_s
    # Take-off t lands at the hall at t + leg, which must lie in the slot.
    lo = max(order.ready_at, problem.now, slot.start - leg)
    hi = slot.end - leg
    if lo > hi:
        return NoFlightReason.TOO_LATE
    lo = max(lo, drone.flying_hours.start)
    hi = min(hi, drone.flying_hours.end - away)
    if lo > hi:
        return NoFlightReason.OUTSIDE_FLYING_HOURS
    windows = _minus_grounded(TimeWindow(lo, hi), problem.grounded_for(drone.id), away)
    if not windows:
        return NoFlightReason.GROUNDED
    return FlightOption(
        order_id=order.id,
        drone_id=drone.id,
        hall_id=order.hall_id,
        distance_m=distance_m,
        leg_s=leg,
        handover_s=drone.handover_s,
        turnaround_s=drone.turnaround_s,
        slot_start=order.slot.start,
        takeoffs=windows,
    )


def _minus_grounded(
    window: TimeWindow, grounded: tuple[Grounded, ...], away_s: int
) -> tuple[TimeWindow, ...]:
    """Take-offs in `window` whose flight ``[t, t + away_s)`` misses every grounded period.

    A period ``[s, e)`` blocks take-offs ``s - away_s < t < e``.
    """
    blocked = sorted((g.start - away_s + 1, g.end - 1) for g in grounded)
    out: list[TimeWindow] = []
    cursor = window.start
    for b_lo, b_hi in blocked:
        if b_hi < cursor:
            continue
        if b_lo > window.end:
            break
        if b_lo > cursor:
            out.append(TimeWindow(cursor, b_lo - 1))
        cursor = max(cursor, b_hi + 1)
        if cursor > window.end:
            break
    if cursor <= window.end:
        out.append(TimeWindow(cursor, window.end))
    return tuple(out)
