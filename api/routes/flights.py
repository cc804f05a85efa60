"""The day's drone flights (ドローン便): which drone carries which order to which hall, when.

Each flight carries one shop order: it takes off at the drone's base, lands at the
hall's pad (the hand-over: the booking is done then), flies back and lands. Planned
flights may still move (a grounding, another order); a flight that took off is a fact.
Read as of now, on a private copy of the day, like ``GET /plan``.
"""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import DateQuery, PlanUser, ReadSession, RuntimeDep, today
from api.live.drones import drone_names
from api.live.halls import place_id_of
from api.routes.common import problems
from api.schemas import DroneRef, FlightPublic, HallRef

router = APIRouter(prefix="/flights", tags=["drones"])


@router.get("", response_model=list[FlightPublic], responses=problems(422))
def list_flights(
    _user: PlanUser, session: ReadSession, rt: RuntimeDep, service_date: DateQuery = None
) -> list[FlightPublic]:
    """Every flight of the day (default today), planned or flown, by take-off: drone,
    booking, hall, take-off, landing at the hall, back at the base, and its status
    (planned, in_the_air, landed) as of now."""
    day = service_date or today(rt)
    live = rt.days.read(session, day).live
    if live is None or not live.flights:
        return []
    names = drone_names(session, sorted({f.drone_id for f in live.flights}))
    halls = live.halls
    now = live.now
    at = rt.clock.at
    out = []
    for f in live.flights:
        hall = halls.get(f.hall_id)
        status = "planned" if now < f.takeoff else "in_the_air" if now < f.back else "landed"
        try:
            booking_status: str | None = live.booking(f.order_id).status.value
        except ValueError:
            booking_status = None
        out.append(
            FlightPublic(
                drone=DroneRef(id=f.drone_id, name=names.get(f.drone_id, f.drone_id)),
                booking_id=f.order_id,
                booking_status=booking_status,
                hall=HallRef(
                    place_id=place_id_of(f.hall_id) or 0,
                    name=hall.name if hall is not None else f.hall_id,
                ),
                takeoff=at(f.takeoff, day),
                at_hall=at(f.at_hall, day),
                leaves_hall=at(f.leaves_hall, day),
                back=at(f.back, day),
                distance_m=f.distance_m,
                status=status,  # type: ignore[arg-type]
            )
        )
    return out
