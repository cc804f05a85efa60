"""Key figures of a drone schedule, for the day report and the simulation.

Drone distances only: the van kilometres a flight saves need road matrices and are
estimated where those live (each flight's `Flight.distance_m` is there to pair with).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from dispatch.drones.model import DroneProblem
from dispatch.drones.result import DroneSchedule, NoFlightReason

__all__ = ["DroneKpis", "drone_kpis"]


@dataclass(frozen=True, slots=True)
class DroneKpis:
    """Counts, metres and seconds; per-drone figures for every drone, zero when idle.

    ``flight_m`` maps each flown order to its round trip in metres; ``airborne_s``
    counts take-off to landing back, turnaround excluded.
    """

    orders: int
    orders_flown: int
    not_flown_by_reason: dict[NoFlightReason, int]
    flights_per_drone: dict[str, int]
    metres_per_drone: dict[str, int]
    airborne_s_per_drone: dict[str, int]
    flight_m: dict[str, int]

    @property
    def drone_m(self) -> int:
        return sum(self.metres_per_drone.values())

    @property
    def share_flown(self) -> float:
        return self.orders_flown / self.orders if self.orders else 0.0

    def to_plain(self) -> dict[str, Any]:
        """JSON-able form for reports."""
        return {
            "orders": self.orders,
            "orders_flown": self.orders_flown,
            "share_flown": self.share_flown,
            "drone_m": self.drone_m,
            "not_flown_by_reason": {str(k): v for k, v in self.not_flown_by_reason.items()},
            "flights_per_drone": dict(self.flights_per_drone),
            "metres_per_drone": dict(self.metres_per_drone),
            "airborne_s_per_drone": dict(self.airborne_s_per_drone),
            "flight_m": dict(self.flight_m),
        }


def drone_kpis(problem: DroneProblem, schedule: DroneSchedule) -> DroneKpis:
    """Figures of `schedule`, locked flights included."""
    flights = {d.id: 0 for d in problem.drones}
    metres = dict(flights)
    airborne = dict(flights)
    for f in schedule.flights:
        flights[f.drone_id] = flights.get(f.drone_id, 0) + 1
        metres[f.drone_id] = metres.get(f.drone_id, 0) + f.distance_m
        airborne[f.drone_id] = airborne.get(f.drone_id, 0) + f.back - f.takeoff
    reasons = Counter(n.reason for n in schedule.not_flown)
    return DroneKpis(
        orders=len(problem.orders),
        orders_flown=len(schedule.flights),
        not_flown_by_reason=dict(sorted(reasons.items())),
        flights_per_drone=flights,
        metres_per_drone=metres,
        airborne_s_per_drone=airborne,
        flight_m={f.order_id: f.distance_m for f in schedule.flights},
    )
