"""Hand-over points (受け渡し拠点): community halls (公民館) where residents collect orders.

A shop order may go door-to-door or to a hall. At a hall it is handed over inside a
collection slot (``slot_s`` long, inside the hall's opening hours) and the customer
collects from the slot's end (「○○公民館で 14:00 以降にお受け取りください」). A slot
takes at most ``capacity`` parcels. Several orders for one hall and slot share the
stop: the van hands them over together (the manifest shows one stop).

`hall_slots` lists the slots a hall can still take an order in, or says why none is
left (`dispatch.quote.QuoteRejection`: closed, full; a hall beyond ``reach_m`` of the
customer's home is out of reach), with the words the operator reads out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from dispatch.errors import InputError
from dispatch.model import TimeWindow
from dispatch.quote import QuoteRejection

#: The kind of saved place a hall is (API places, scenario specs).
HALL_KIND = "community_hall"


@dataclass(frozen=True, slots=True)
class Hall:
    """A community hall that takes parcels for collection.

    ``location``: matrix index of the hall's kerb. ``opening``: the day's opening
    hours, in order, not overlapping. ``reach_m``: how far (by road) a customer may
    live from it and still be offered it. ``drone_pad``: drones may land there (its
    ``lon``/``lat`` then give the straight line they fly, `dispatch.drones`).
    """

    id: str
    name: str
    location: int
    opening: tuple[TimeWindow, ...]
    slot_s: int = 3600
    capacity: int = 10
    reach_m: int = 3000
    drone_pad: bool = False
    lon: float | None = None
    lat: float | None = None

    def __post_init__(self) -> None:
        obj = f"hall {self.id!r}"
        if not isinstance(self.id, str) or not self.id:
            raise InputError("hall: id must be a non-empty string")
        for name, minimum in (("location", 0), ("slot_s", 60), ("capacity", 1), ("reach_m", 0)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
                raise InputError(f"{obj}: {name} must be an int >= {minimum}, got {value!r}")
        opening = tuple(self.opening)
        if not opening or not all(isinstance(w, TimeWindow) for w in opening):
            raise InputError(f"{obj}: opening must be one or more TimeWindows")
        for a, b in pairwise(opening):
            if b.start < a.end:
                raise InputError(f"{obj}: opening hours overlap or are out of order")
        object.__setattr__(self, "opening", opening)
        if self.drone_pad and (self.lon is None or self.lat is None):
            raise InputError(f"{obj}: a drone pad needs the hall's lon and lat")

    def slots(self) -> tuple[TimeWindow, ...]:
        """The collection slots of the day: each opening period cut into ``slot_s``
        pieces (a last piece shorter than half a slot is dropped)."""
        out = []
        for w in self.opening:
            t = w.start
            while t < w.end:
                end = min(t + self.slot_s, w.end)
                if end - t >= self.slot_s // 2:
                    out.append(TimeWindow(t, end))
                t = end
        return tuple(out)

    def to_plain(self) -> dict[str, Any]:
        """JSON-able data, for storage."""
        return {
            "id": self.id,
            "name": self.name,
            "location": self.location,
            "opening": [[w.start, w.end] for w in self.opening],
            "slot_s": self.slot_s,
            "capacity": self.capacity,
            "reach_m": self.reach_m,
            "drone_pad": self.drone_pad,
            "lon": self.lon,
            "lat": self.lat,
        }

    @classmethod
    def from_plain(cls, d: Mapping[str, Any]) -> Hall:
        """Rebuild from `to_plain` data."""
        opening = tuple(TimeWindow(int(a), int(b)) for a, b in d["opening"])
        return cls(**{**d, "opening": opening})


def hall_slots(
    hall: Hall, earliest: int, latest: int, taken: Mapping[int, int]
) -> tuple[TimeWindow, ...] | QuoteRejection:
    """The slots of `hall` an order ready to hand over from `earliest` and due by
    `latest` may use, earliest first; `taken` counts parcels per slot start.

    HALL_CLOSED when no slot overlaps ``[earliest, latest]``, HALL_FULL when those are
    all full.
    """
    open_slots = [w for w in hall.slots() if w.end >= earliest and w.start <= latest]
    if not open_slots:
        return QuoteRejection.HALL_CLOSED
    free = tuple(w for w in open_slots if taken.get(w.start, 0) < hall.capacity)
    return free if free else QuoteRejection.HALL_FULL


def slot_of(hall: Hall, t: int) -> TimeWindow | None:
    """The slot of `hall` holding time `t` (None: closed then)."""
    return next((w for w in hall.slots() if w.start <= t <= w.end), None)


def check_halls(halls: Iterable[Hall], n_locations: int) -> dict[str, Hall]:
    """Halls by id, each at a location of the matrix; InputError names the bad one."""
    out: dict[str, Hall] = {}
    for h in halls:
        if not isinstance(h, Hall):
            raise InputError(f"halls: expected Hall, got {h!r}")
        if h.id in out:
            raise InputError(f"halls: duplicate hall id {h.id!r}")
        if h.location >= n_locations:
            raise InputError(
                f"hall {h.id!r}: location {h.location} is not in the matrix (0..{n_locations - 1})"
            )
        out[h.id] = h
    return out
