"""Community halls (公民館) in the service: settings on saved places, halls of a live day.

A saved place of kind ``community_hall`` carries its hand-over settings in
``places.hall`` (JSON): ``opening`` (``"HH:MM-HH:MM"`` periods, local time, in order,
not overlapping), ``slot_min`` (collection slot, minutes), ``capacity`` (parcels a
slot takes), ``reach_m`` (farthest home, by road, metres) and ``drone_pad``. A hall
saved before these settings existed (NULL) reads as `DEFAULTS`.

In a live day every active hall is a `dispatch.halls.Hall` with id ``place-<id>`` at
the day's location of the place (its road point), its opening hours in seconds from
the service day's local midnight, and the place's own coordinates (``lon``, ``lat``):
a drone flies a straight line to the pad there (`dispatch.drones`). `sync_halls` puts
the current halls into the day before a shop order is quoted; bookings already made
keep their hall and slot.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.db.models import Place
from api.live.store import OpenDay
from api.problems import FieldProblem
from api.vocab import PlaceKind
from dispatch.errors import InputError
from dispatch.halls import Hall
from dispatch.model import TimeWindow

#: The settings of a hall saved without any (documented in `api.schemas.HallSettings`).
DEFAULTS: dict[str, Any] = {
    "opening": ["09:00-17:00"],
    "slot_min": 60,
    "capacity": 10,
    "reach_m": 3000,
    "drone_pad": False,
}

_PREFIX = "place-"


def hall_id(place_id: int) -> str:
    """The live day's id of the hall at a saved place."""
    return f"{_PREFIX}{place_id}"


def place_id_of(hall: str | None) -> int | None:
    """The saved place of a live day's hall id (None: not one of ours)."""
    if hall is None or not hall.startswith(_PREFIX) or not hall[len(_PREFIX) :].isdigit():
        return None
    return int(hall[len(_PREFIX) :])


def is_hall(place: Place) -> bool:
    return place.kind == PlaceKind.COMMUNITY_HALL.value


def settings_of(place: Place) -> dict[str, Any] | None:
    """A hall's settings with the defaults filled in; None for other kinds."""
    if not is_hall(place):
        return None
    return {**DEFAULTS, **(place.hall or {})}


def minutes(hhmm: str) -> int:
    """Minutes after midnight of ``HH:MM``."""
    h, m = hhmm.split(":")
    return int(h) * 60 + int(m)


def period_minutes(period: str) -> tuple[int, int]:
    start, end = period.split("-")
    return minutes(start), minutes(end)


def opening_problems(settings: Mapping[str, Any], field: str = "hall") -> list[FieldProblem]:
    """What is wrong with the opening hours as a whole (each period is already well
    formed): periods out of order or overlapping, or shorter than half a slot (the
    hall would take no parcel then). Each names ``hall.opening.<index>``."""
    out: list[FieldProblem] = []
    periods = [period_minutes(p) for p in settings["opening"]]
    half = settings["slot_min"] / 2
    for i, (start, end) in enumerate(periods):
        name = f"{field}.opening.{i}"
        if i and start < periods[i - 1][1]:
            out.append(
                FieldProblem(
                    name,
                    "開館時間が前の時間帯と重なっているか、順番が逆です",
                    f"{settings['opening'][i]} overlaps or comes before "
                    f"{settings['opening'][i - 1]} (periods in order, not overlapping)",
                )
            )
        elif end - start < half:
            out.append(
                FieldProblem(
                    name,
                    "受け取り枠の半分より短い時間帯です",
                    f"{settings['opening'][i]} is shorter than half a collection slot "
                    f"({settings['slot_min']} min): no slot fits",
                )
            )
    return out


def to_hall(place: Place, location: int) -> Hall:
    """The live day's `Hall` of a saved hall at day location `location`."""
    s = settings_of(place)
    assert s is not None, f"place {place.id} is not a community hall"
    opening = tuple(
        TimeWindow(a * 60, b * 60) for a, b in (period_minutes(p) for p in s["opening"])
    )
    return Hall(
        hall_id(place.id),
        place.name,
        location,
        opening,
        slot_s=int(s["slot_min"]) * 60,
        capacity=int(s["capacity"]),
        reach_m=int(s["reach_m"]),
        drone_pad=bool(s["drone_pad"]),
        lon=float(place.lon),
        lat=float(place.lat),
    )


def check_hall(place: Place) -> None:
    """InputError if the stored settings do not make a hall (a last guard)."""
    to_hall(place, 0)


def active_halls(session: Session) -> list[Place]:
    """The community halls orders may go to now, by id."""
    return list(
        session.scalars(
            select(Place)
            .where(Place.kind == PlaceKind.COMMUNITY_HALL.value, Place.active.is_(True))
            .order_by(Place.id)
        )
    )


def sync_halls(od: OpenDay, halls: Sequence[Place]) -> dict[int, int]:
    """Put `halls` into the live day (only when they changed); their location indices by
    place id. A hall whose stored settings no longer make a hall is left out."""
    live = od.day()
    indices = od.locate_places(halls, field_name="hall_place_id")
    wanted: dict[str, Hall] = {}
    for place, index in zip(halls, indices, strict=True):
        try:
            wanted[hall_id(place.id)] = to_hall(place, index)
        except InputError:
            continue
    if live.halls != wanted:
        live.set_halls(list(wanted.values()))
    return {place.id: index for place, index in zip(halls, indices, strict=True)}
