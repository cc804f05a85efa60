"""A hand-checkable drone town for the `dispatch.drones` tests.

The shop's base sits at (137.95 E, 35.83 N). Halls lie due north or south of it, so
their distances are arcs of a meridian: 0.03 degrees of latitude is
6 371 009 m x 0.03 x pi / 180 = 3 335.85 m, rounded up to 3 336 m::

    hall      where          one way   round trip   open
    kita      35.86 N        3 336 m     6 672 m    08:00-18:00
    minami    35.80 N        3 336 m     6 672 m    13:00-17:00
    yama      35.90 N        7 784 m    15 568 m    08:00-18:00   (beyond 14 km)

Drone ``d1`` at the base: 5 kg, 14 km round trip, 36 km/h (10 m/s), 60 s to climb
and descend per leg, 120 s hand-over, 600 s turnaround, flying 09:00-17:00. A leg to
kita or minami is 60 + 334 = 394 s; a flight is away 394 + 120 + 394 = 908 s and
keeps the drone busy 908 + 600 = 1 508 s. The depot base has no drone.
"""

from __future__ import annotations

from dispatch.drones.model import (
    Drone,
    DroneBase,
    DroneOrder,
    DroneProblem,
    Flight,
    Grounded,
    HallPad,
)
from dispatch.model import TimeWindow

H = 3600
M = 60

BASE = DroneBase("yuai", "ゆうあいマーケット", 0, 137.95, 35.83)
DEPOT = DroneBase("depot", "車庫", 9, 137.90, 35.83)
KITA = HallPad("kita", "北公民館", 1, 137.95, 35.86, TimeWindow(8 * H, 18 * H))
MINAMI = HallPad("minami", "南公民館", 2, 137.95, 35.80, TimeWindow(13 * H, 17 * H))
YAMA = HallPad("yama", "山公民館", 3, 137.95, 35.90, TimeWindow(8 * H, 18 * H))
HALLS = (KITA, MINAMI, YAMA)

KITA_M = 3336
YAMA_M = 7784
LEG_S = 394
AWAY_S = 908
BUSY_S = 1508

D1 = Drone(
    "d1",
    "yuai",
    payload_g=5000,
    range_m=14000,
    cruise_kmh=36,
    flying_hours=TimeWindow(9 * H, 17 * H),
    turnaround_s=600,
    handover_s=120,
    takeoff_landing_s=60,
)
D2 = Drone(
    "d2",
    "yuai",
    payload_g=5000,
    range_m=14000,
    cruise_kmh=36,
    flying_hours=TimeWindow(9 * H, 17 * H),
    turnaround_s=600,
    handover_s=120,
    takeoff_landing_s=60,
)


def order(
    order_id: str,
    *,
    hall: str = "kita",
    weight_g: int = 2000,
    ready_at: int = 9 * H,
    slot: tuple[int, int] = (10 * H, 11 * H),
    base: str = "yuai",
) -> DroneOrder:
    return DroneOrder(order_id, base, hall, weight_g, ready_at, TimeWindow(*slot))


def problem(
    orders: tuple[DroneOrder, ...] | list[DroneOrder],
    *,
    drones: tuple[Drone, ...] = (D1,),
    grounded: tuple[Grounded, ...] = (),
    locked: tuple[Flight, ...] = (),
    now: int = 0,
) -> DroneProblem:
    return DroneProblem(
        bases=(BASE, DEPOT),
        drones=drones,
        halls=HALLS,
        orders=tuple(orders),
        grounded=grounded,
        locked=locked,
        now=now,
    )


def hand_flight(
    order_id: str,
    takeoff: int,
    *,
    drone: str = "d1",
    hall: str = "kita",
    leg_s: int = LEG_S,
    one_way_m: int = KITA_M,
) -> Flight:
    """A flight spelled out by hand from the table above (no scheduler code)."""
    return Flight(
        drone_id=drone,
        order_id=order_id,
        hall_id=hall,
        takeoff=takeoff,
        at_hall=takeoff + leg_s,
        leaves_hall=takeoff + leg_s + 120,
        back=takeoff + 2 * leg_s + 120,
        ready=takeoff + 2 * leg_s + 120 + 600,
        distance_m=2 * one_way_m,
    )
