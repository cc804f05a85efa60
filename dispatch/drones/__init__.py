"""Drone legs for shop orders: fly light parcels from a drone base to community halls.

Ina's ゆうあいマーケット flies orders of up to about 5 kg from a base to the pad of a
community hall (公民館) within about 7 km, where residents collect them; a van takes
what the drone cannot fly. Typical use::

    from dispatch.drones import DroneProblem, schedule_flights, check_drone_schedule

    problem = DroneProblem(bases, drones, halls, orders, grounded)
    schedule = schedule_flights(problem)
    assert check_drone_schedule(problem, schedule).ok()
    by_van = schedule.van_order_ids          # each with its reason in schedule.not_flown

    # 11:05, wind: ground every drone until 13:30 and plan the rest of the day again;
    # flights that took off before 11:05 stay as they are.
    storm = Grounded(now, 13 * 3600 + 1800, note="強風")
    today = dataclasses.replace(problem, grounded=(*problem.grounded, storm))
    after = reschedule(today, schedule, now)
    to_vans = moved_to_van(schedule, after)  # NotFlown(order_id, reason), e.g. GROUNDED

Modules: `model` (value objects, the one distance function), `eligibility` (which
drone can fly which order alone, or why none can), `schedule` (CP-SAT assignment,
greedy fallback, re-plans from ``now``), `result`, `check` (independent checker),
`kpis`.
"""

from dispatch.drones.check import DroneCheckReport, DroneViolation, check_drone_schedule
from dispatch.drones.eligibility import (
    FlightOption,
    OrderAssessment,
    assess_order,
    assess_orders,
    leg_seconds,
)
from dispatch.drones.kpis import DroneKpis, drone_kpis
from dispatch.drones.model import (
    Drone,
    DroneBase,
    DroneOrder,
    DroneProblem,
    Flight,
    Grounded,
    GroundedCause,
    HallPad,
    flight_distance_m,
)
from dispatch.drones.result import REASON_TEXT, DroneSchedule, NoFlightReason, NotFlown
from dispatch.drones.schedule import DroneSearch, moved_to_van, reschedule, schedule_flights

__all__ = [
    "REASON_TEXT",
    "Drone",
    "DroneBase",
    "DroneCheckReport",
    "DroneKpis",
    "DroneOrder",
    "DroneProblem",
    "DroneSchedule",
    "DroneSearch",
    "DroneViolation",
    "Flight",
    "FlightOption",
    "Grounded",
    "GroundedCause",
    "HallPad",
    "NoFlightReason",
    "NotFlown",
    "OrderAssessment",
    "assess_order",
    "assess_orders",
    "check_drone_schedule",
    "drone_kpis",
    "flight_distance_m",
    "leg_seconds",
    "moved_to_van",
    "reschedule",
    "schedule_flights",
]
