"""A service day's fleet: each vehicle with a shift that day, as the engine's `Vehicle`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.db import models
from dispatch.model import Break, TimeWindow, Vehicle

#: ``place -> location index`` of the day (adds the depot when it is new).
Locate = Callable[[models.Place], int]


def shifts_of(session: Session, day: date) -> list[tuple[models.Shift, models.Vehicle]]:
    """The day's shifts with their vehicles, in vehicle id order."""
    rows = session.execute(
        select(models.Shift, models.Vehicle)
        .join(models.Vehicle, models.Shift.vehicle_id == models.Vehicle.id)
        .where(models.Shift.service_date == day, models.Vehicle.active.is_(True))
        .order_by(models.Vehicle.id)
    ).all()
    return [(s, v) for s, v in rows]


def engine_vehicle(shift: models.Shift, vehicle: models.Vehicle, depot: int) -> Vehicle:
    """The engine's vehicle for one shift (depot as its start and end location)."""
    return Vehicle(
        vehicle.id,
        depot,
        depot,
        TimeWindow(shift.start_s, shift.end_s),
        (vehicle.seats, vehicle.wheelchair_places, vehicle.cargo_units),
        kind=vehicle.kind,
        breaks=tuple(
            Break(b["id"], TimeWindow(b["start_s"], b["end_s"]), b["duration_s"])
            for b in shift.breaks
        ),
        features=frozenset(vehicle.features),
        cost_per_hour=vehicle.cost_per_hour,
        cost_per_km=vehicle.cost_per_km,
    )


def day_fleet(session: Session, day: date, locate: Locate) -> Sequence[Vehicle]:
    """Every vehicle running on `day`."""
    out = []
    for shift, vehicle in shifts_of(session, day):
        depot = session.get(models.Place, vehicle.depot_place_id)
        assert depot is not None  # a foreign key
        out.append(engine_vehicle(shift, vehicle, locate(depot)))
    return out
