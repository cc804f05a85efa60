"""A drone schedule: the flights, and each order that does not fly with the reason why.

Every order of the problem is in exactly one of the two: on a `Flight`, or in
``not_flown`` with a `NoFlightReason` for the caller to show (Japanese first, then
English) and to send the order by van instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from dispatch.drones.model import Flight

__all__ = ["REASON_TEXT", "DroneSchedule", "NoFlightReason", "NotFlown"]


class NoFlightReason(StrEnum):
    """Why an order does not go by drone (ドローンで運べない理由). All but NO_FREE_DRONE
    hold for the order alone, whatever else is flown."""

    NOT_A_HALL_PAD = "not_a_hall_pad"
    NO_DRONE_AT_BASE = "no_drone_at_base"
    OVERWEIGHT = "overweight"
    OUT_OF_RANGE = "out_of_range"
    HALL_CLOSED = "hall_closed"
    TOO_LATE = "too_late"
    OUTSIDE_FLYING_HOURS = "outside_flying_hours"
    GROUNDED = "grounded"
    NO_FREE_DRONE = "no_free_drone"
    SHOP_FAR_FROM_BASE = "shop_far_from_base"  # the live day's rule: no base near the shop


REASON_TEXT: dict[NoFlightReason, tuple[str, str]] = {
    NoFlightReason.SHOP_FAR_FROM_BASE: (
        "お店の近くにドローンの基地がありません",
        "the shop is not near a drone base",
    ),
    NoFlightReason.NOT_A_HALL_PAD: (
        "届け先はドローンの着陸場がある公民館ではありません",
        "the destination is not a community hall with a drone pad",
    ),
    NoFlightReason.NO_DRONE_AT_BASE: (
        "この拠点にはドローンがありません",
        "no drone is stationed at the order's base",
    ),
    NoFlightReason.OVERWEIGHT: (
        "荷物がドローンの積載量を超えています",
        "the parcel is heavier than any drone at the base may carry",
    ),
    NoFlightReason.OUT_OF_RANGE: (
        "公民館がドローンの航続距離（往復）の外にあります",
        "the hall lies beyond the round-trip range of every drone that can carry the parcel",
    ),
    NoFlightReason.HALL_CLOSED: (
        "受け渡し時間帯に公民館が開いていません",
        "the hall is closed throughout the hand-over slot",
    ),
    NoFlightReason.TOO_LATE: (
        "荷物の準備ができてからでは受け渡し時間帯に間に合いません",
        "once the parcel is ready (and from now on) no drone reaches the hall within the slot",
    ),
    NoFlightReason.OUTSIDE_FLYING_HOURS: (
        "ドローンの運航時間外です",
        "no drone can reach the hall within the slot inside its flying hours",
    ),
    NoFlightReason.GROUNDED: (
        "運航停止中（天候・配車担当の指示）のため飛べません",
        "drones are grounded (weather or dispatcher) whenever the flight could take place",
    ),
    NoFlightReason.NO_FREE_DRONE: (
        "ドローンの空きがありません",
        "the flight is possible alone, but the drones are busy with other flights",
    ),
}


@dataclass(frozen=True, slots=True)
class NotFlown:
    """An order left for the van, and why."""

    order_id: str
    reason: NoFlightReason

    @property
    def text_ja(self) -> str:
        return REASON_TEXT[self.reason][0]

    @property
    def text_en(self) -> str:
        return REASON_TEXT[self.reason][1]


@dataclass(frozen=True, slots=True)
class DroneSchedule:
    """The answer of `dispatch.drones.schedule.schedule_flights`.

    ``flights`` are sorted by drone, then take-off, locked (already flown) flights
    included. ``engine`` says what produced them: "cp-sat", "greedy" (CP-SAT found
    nothing within its limit, or greedy was asked for) or "none" (no order can fly:
    nothing to choose); ``status`` is "optimal" (CP-SAT proved it, or "none"),
    "feasible" (CP-SAT's best when time ran out) or "heuristic" (greedy).
    ``handover_delay_s`` is the objective's second term: the sum over flights, locked
    ones included, of the landing at the hall minus the slot start.
    """

    flights: tuple[Flight, ...]
    not_flown: tuple[NotFlown, ...]
    engine: str
    status: str
    handover_delay_s: int = 0

    def flight_of(self, order_id: str) -> Flight | None:
        for f in self.flights:
            if f.order_id == order_id:
                return f
        return None

    def flights_of(self, drone_id: str) -> tuple[Flight, ...]:
        return tuple(f for f in self.flights if f.drone_id == drone_id)

    def reason_for(self, order_id: str) -> NoFlightReason | None:
        for n in self.not_flown:
            if n.order_id == order_id:
                return n.reason
        return None

    @property
    def flown_order_ids(self) -> frozenset[str]:
        return frozenset(f.order_id for f in self.flights)

    @property
    def van_order_ids(self) -> tuple[str, ...]:
        """The orders to hand to the van plan, in the order listed."""
        return tuple(n.order_id for n in self.not_flown)

    def to_plain(self) -> dict[str, Any]:
        """JSON-able form for the API and logs."""
        return {
            "engine": self.engine,
            "status": self.status,
            "handover_delay_s": self.handover_delay_s,
            "flights": [
                {
                    "drone": f.drone_id,
                    "order": f.order_id,
                    "hall": f.hall_id,
                    "takeoff": f.takeoff,
                    "at_hall": f.at_hall,
                    "leaves_hall": f.leaves_hall,
                    "back": f.back,
                    "ready": f.ready,
                    "distance_m": f.distance_m,
                }
                for f in self.flights
            ],
            "not_flown": [
                {"order": n.order_id, "reason": str(n.reason), "ja": n.text_ja, "en": n.text_en}
                for n in self.not_flown
            ],
        }
