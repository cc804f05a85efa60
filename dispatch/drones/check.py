"""Independent checker: does a `DroneSchedule` really solve its `DroneProblem`?

Shares no code with the scheduler side (`eligibility`, `schedule`) and never imports
ortools: it reads only the model's value objects and its one distance function
(`flight_distance_m`), and recomputes every figure from the raw data. Breaches are
data: each is a `DroneViolation` with a kind and an amount, so a test can say by how
much a schedule is wrong.

Locked flights are facts (flown, or in the air when the schedule was made): the
checker requires each of them in the schedule unchanged and checks later flights
against them (overlap, turnaround), but does not judge the facts themselves against
the rules (a grounding declared while a drone was out does not make its flight wrong).

Reasons are checked for their substance: NOT_A_HALL_PAD, NO_DRONE_AT_BASE,
OVERWEIGHT, OUT_OF_RANGE and HALL_CLOSED exactly; HALL_CLOSED, TOO_LATE and
OUTSIDE_FLYING_HOURS claim that no drone could fly the order alone even without
groundings; GROUNDED that one could without groundings but none can with them;
NO_FREE_DRONE that one could, groundings included.

Violation kinds and the unit of their amount
--------------------------------------------
=============  =======================================================================
coverage       1 per order neither flown nor listed, listed twice, or unknown; 1 per
               flight on an unknown drone
lock           1 per locked flight missing or changed
structure      1 per flight whose hall is not its order's hall
base           1 per flight on a drone stationed at another base than the order's
hall           1 per flight to a destination that is not a hall with a pad
payload        grams above the drone's payload
range          metres of round trip above the drone's range
distance       metres between the reported and the recomputed round trip
duration       seconds between reported and recomputed times (at hall, leaves hall,
               back, ready), summed
overlap        seconds two flights of one drone are away from the base at once
turnaround     seconds a take-off comes too soon after the previous landing
flying_hours   seconds airborne outside the drone's flying hours
grounded       seconds airborne within a grounded period that applies to the drone
slot           seconds the landing at the hall lies outside the order's hand-over slot
hall_hours     seconds the landing at the hall lies outside the hall's opening hours
ready          seconds the take-off comes before the parcel is ready
now            seconds a new flight takes off before the problem's ``now``
reason         1 per not-flown order whose reason is false
summary        seconds between the reported and recomputed total hand-over delay
=============  =======================================================================
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from fractions import Fraction
from itertools import pairwise

from dispatch.drones.model import (
    Drone,
    DroneOrder,
    DroneProblem,
    Flight,
    HallPad,
    flight_distance_m,
)
from dispatch.drones.result import DroneSchedule, NoFlightReason

__all__ = ["KINDS", "DroneCheckReport", "DroneViolation", "check_drone_schedule"]

KINDS: tuple[str, ...] = (
    "coverage",
    "lock",
    "structure",
    "base",
    "hall",
    "payload",
    "range",
    "distance",
    "duration",
    "overlap",
    "turnaround",
    "flying_hours",
    "grounded",
    "slot",
    "hall_hours",
    "ready",
    "now",
    "reason",
    "summary",
)


@dataclass(frozen=True, slots=True)
class DroneViolation:
    """One breach: its kind (see `KINDS`), by how much, and where."""

    kind: str
    amount: int
    message: str
    drone_id: str | None = None
    order_id: str | None = None

    def __str__(self) -> str:
        return f"{self.kind} [{self.amount}]: {self.message}"


@dataclass(frozen=True, slots=True)
class DroneCheckReport:
    """The outcome of `check_drone_schedule`."""

    violations: tuple[DroneViolation, ...]

    def ok(self) -> bool:
        return not self.violations

    def by_kind(self) -> dict[str, int]:
        """Total amount per violation kind (kinds without violations are absent)."""
        totals: dict[str, int] = {}
        for v in self.violations:
            totals[v.kind] = totals.get(v.kind, 0) + v.amount
        return totals

    def of_kind(self, kind: str) -> tuple[DroneViolation, ...]:
        return tuple(v for v in self.violations if v.kind == kind)

    def __str__(self) -> str:
        if self.ok():
            return "drone schedule OK: no violations"
        lines = [f"drone schedule has {len(self.violations)} violation(s)"]
        lines.extend(f"  {v}" for v in self.violations)
        return "\n".join(lines)


def check_drone_schedule(problem: DroneProblem, schedule: DroneSchedule) -> DroneCheckReport:
    """Every violation of `schedule` against `problem` (empty when it is valid)."""
    found: list[DroneViolation] = []

    def report(kind: str, amount: int, message: str, drone: str | None, order: str | None):
        found.append(DroneViolation(kind, int(amount), message, drone, order))

    _check_coverage(problem, schedule, report)
    _check_locks(problem, schedule, report)
    locked = set(problem.locked)
    orders = {o.id: o for o in problem.orders}
    drones = {d.id: d for d in problem.drones}
    for f in schedule.flights:
        if f in locked or f.order_id not in orders or f.drone_id not in drones:
            continue
        _check_flight(problem, f, drones[f.drone_id], orders[f.order_id], report)
    by_drone: dict[str, list[Flight]] = {}
    for f in schedule.flights:
        if f.drone_id in drones:
            by_drone.setdefault(f.drone_id, []).append(f)
    for drone_id, flights in by_drone.items():
        _check_sequence(drones[drone_id], flights, locked, report)
    for n in schedule.not_flown:
        order = orders.get(n.order_id)
        if order is not None and not _reason_holds(problem, order, n.reason):
            report(
                "reason",
                1,
                f"order {n.order_id!r} is not flown for a reason that does not hold: {n.reason}",
                None,
                n.order_id,
            )
    delay = sum(
        f.at_hall - orders[f.order_id].slot.start for f in schedule.flights if f.order_id in orders
    )
    if delay != schedule.handover_delay_s:
        report(
            "summary",
            abs(delay - schedule.handover_delay_s),
            f"hand-over delay reported {schedule.handover_delay_s} s, recomputed {delay} s",
            None,
            None,
        )
    return DroneCheckReport(tuple(found))


# -- coverage and locks ------------------------------------------------------------------


def _check_coverage(problem: DroneProblem, schedule: DroneSchedule, report) -> None:
    known = {o.id for o in problem.orders}
    drones = {d.id for d in problem.drones}
    seen = Counter(f.order_id for f in schedule.flights)
    seen.update(n.order_id for n in schedule.not_flown)
    for order_id, count in sorted(seen.items()):
        if order_id not in known:
            report("coverage", count, f"order {order_id!r} is not in the problem", None, order_id)
        elif count > 1:
            report(
                "coverage", count - 1, f"order {order_id!r} appears {count} times", None, order_id
            )
    for order_id in sorted(known - seen.keys()):
        report("coverage", 1, f"order {order_id!r} is neither flown nor listed", None, order_id)
    for f in schedule.flights:
        if f.drone_id not in drones:
            report(
                "coverage", 1, f"flight of {f.order_id!r} on unknown drone", f.drone_id, f.order_id
            )


def _check_locks(problem: DroneProblem, schedule: DroneSchedule, report) -> None:
    flights = set(schedule.flights)
    for f in problem.locked:
        if f not in flights:
            report(
                "lock",
                1,
                f"locked flight of {f.order_id!r} on {f.drone_id!r} is missing or changed",
                f.drone_id,
                f.order_id,
            )


# -- one flight ----------------------------------------------------------------------------


def _leg_s(drone: Drone, one_way_m: int) -> int:
    return drone.takeoff_landing_s + math.ceil(Fraction(one_way_m * 3600, drone.cruise_kmh * 1000))


def _outside(t: int, lo: int, hi: int) -> int:
    return lo - t if t < lo else t - hi if t > hi else 0


def _check_flight(
    problem: DroneProblem, f: Flight, drone: Drone, order: DroneOrder, report
) -> None:
    where = f"flight of {f.order_id!r} on {f.drone_id!r}"

    def flag(kind: str, amount: int, message: str) -> None:
        if amount > 0:
            report(kind, amount, f"{where}: {message}", f.drone_id, f.order_id)

    flag(
        "structure",
        int(f.hall_id != order.hall_id),
        f"goes to {f.hall_id!r}, not {order.hall_id!r}",
    )
    flag(
        "base",
        int(drone.base_id != order.base_id),
        f"drone is at {drone.base_id!r}, order at {order.base_id!r}",
    )
    flag(
        "payload",
        order.weight_g - drone.payload_g,
        f"{order.weight_g} g on a {drone.payload_g} g drone",
    )
    flag(
        "ready", order.ready_at - f.takeoff, f"takes off at {f.takeoff}, ready at {order.ready_at}"
    )
    flag("now", problem.now - f.takeoff, f"takes off at {f.takeoff}, before now ({problem.now})")
    flag(
        "slot",
        _outside(f.at_hall, order.slot.start, order.slot.end),
        f"lands at the hall at {f.at_hall}, slot {order.slot.start}..{order.slot.end}",
    )
    hours = drone.flying_hours
    flag(
        "flying_hours",
        max(0, hours.start - f.takeoff) + max(0, f.back - hours.end),
        f"away {f.takeoff}..{f.back}, flying hours {hours.start}..{hours.end}",
    )
    for g in problem.grounded:
        if g.drone_ids is None or f.drone_id in g.drone_ids:
            flag(
                "grounded",
                min(f.back, g.end) - max(f.takeoff, g.start),
                f"away {f.takeoff}..{f.back}, grounded {g.start}..{g.end} ({g.cause})",
            )
    hall = next((h for h in problem.halls if h.id == order.hall_id), None)
    if hall is None:
        flag("hall", 1, f"{order.hall_id!r} is not a hall with a pad")
        return
    flag(
        "hall_hours",
        _outside(f.at_hall, hall.opening_hours.start, hall.opening_hours.end),
        f"lands at {f.at_hall}, hall open {hall.opening_hours.start}..{hall.opening_hours.end}",
    )
    base = next(b for b in problem.bases if b.id == drone.base_id)
    one_way = flight_distance_m(base, hall)
    flag(
        "distance",
        abs(f.distance_m - 2 * one_way),
        f"reports {f.distance_m} m, flies {2 * one_way} m",
    )
    flag(
        "range", 2 * one_way - drone.range_m, f"round trip {2 * one_way} m, range {drone.range_m} m"
    )
    leg = _leg_s(drone, one_way)
    expected = {
        "at_hall": f.takeoff + leg,
        "leaves_hall": f.takeoff + leg + drone.handover_s,
        "back": f.takeoff + 2 * leg + drone.handover_s,
        "ready": f.takeoff + 2 * leg + drone.handover_s + drone.turnaround_s,
    }
    off = sum(abs(getattr(f, name) - t) for name, t in expected.items())
    flag("duration", off, f"times off the leg of {leg} s by {off} s in total")


# -- one drone's day ---------------------------------------------------------------------


def _check_sequence(drone: Drone, flights: list[Flight], locked: set[Flight], report) -> None:
    ordered = sorted(flights, key=lambda f: (f.takeoff, f.back))
    for i, a in enumerate(ordered):
        for b in ordered[i + 1 :]:
            if a in locked and b in locked:
                continue
            both = min(a.back, b.back) - max(a.takeoff, b.takeoff)
            if both > 0:
                report(
                    "overlap",
                    both,
                    f"{drone.id!r} flies {a.order_id!r} and {b.order_id!r} at once for {both} s",
                    drone.id,
                    b.order_id,
                )
    for a, b in pairwise(ordered):
        if a in locked and b in locked:
            continue
        gap = b.takeoff - a.back
        if 0 <= gap < drone.turnaround_s:
            report(
                "turnaround",
                drone.turnaround_s - gap,
                f"{drone.id!r} takes off with {b.order_id!r} {gap} s after landing from "
                f"{a.order_id!r}; turnaround is {drone.turnaround_s} s",
                drone.id,
                b.order_id,
            )


# -- reasons -------------------------------------------------------------------------------


def _reason_holds(problem: DroneProblem, order: DroneOrder, reason: NoFlightReason) -> bool:
    hall = next((h for h in problem.halls if h.id == order.hall_id), None)
    if reason is NoFlightReason.NOT_A_HALL_PAD:
        return hall is None
    if hall is None:
        return False
    at_base = [d for d in problem.drones if d.base_id == order.base_id]
    if reason is NoFlightReason.NO_DRONE_AT_BASE:
        return not at_base
    carriers = [d for d in at_base if d.payload_g >= order.weight_g]
    if reason is NoFlightReason.OVERWEIGHT:
        return bool(at_base) and not carriers
    base = next(b for b in problem.bases if b.id == order.base_id)
    one_way = flight_distance_m(base, hall)
    reaching = [d for d in carriers if 2 * one_way <= d.range_m]
    if reason is NoFlightReason.OUT_OF_RANGE:
        return bool(carriers) and not reaching
    if not reaching:
        return False
    free_sky = any(_flies_alone(problem, order, hall, d, one_way, False) for d in reaching)
    grounded_sky = any(_flies_alone(problem, order, hall, d, one_way, True) for d in reaching)
    if reason is NoFlightReason.HALL_CLOSED:
        opening = hall.opening_hours
        return order.slot.end < opening.start or opening.end < order.slot.start
    if reason in (NoFlightReason.TOO_LATE, NoFlightReason.OUTSIDE_FLYING_HOURS):
        return not free_sky
    if reason is NoFlightReason.GROUNDED:
        return free_sky and not grounded_sky
    if reason is NoFlightReason.NO_FREE_DRONE:
        return grounded_sky
    return False


def _flies_alone(
    problem: DroneProblem,
    order: DroneOrder,
    hall: HallPad,
    drone: Drone,
    one_way_m: int,
    mind_grounding: bool,
) -> bool:
    """Could `drone` fly `order` if it had nothing else to do? Exact.

    The allowed take-offs are an interval minus the grounded spans; if any remain, the
    earliest is the interval's start or the end of a grounded period.
    """
    leg = _leg_s(drone, one_way_m)
    away = 2 * leg + drone.handover_s
    arrive_lo = max(order.slot.start, hall.opening_hours.start)
    arrive_hi = min(order.slot.end, hall.opening_hours.end)
    lo = max(order.ready_at, problem.now, drone.flying_hours.start, arrive_lo - leg)
    hi = min(arrive_hi - leg, drone.flying_hours.end - away)
    if lo > hi:
        return False
    if not mind_grounding:
        return True
    periods = [g for g in problem.grounded if g.drone_ids is None or drone.id in g.drone_ids]
    for t in [lo, *(g.end for g in periods)]:
        if lo <= t <= hi and all(t + away <= g.start or g.end <= t for g in periods):
            return True
    return False
