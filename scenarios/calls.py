"""A booking call as the simulation replays it: who calls when, for what, and their fate.

Generated demand (`scenarios.demand`) and recorded bookings (`scenarios.replay`) both
become `Call`s, so the day simulation has one input. A call carries what the rider
will do regardless of the fleet (cancel later, not be there): the same seed gives the
same callers to every variant, so fleet sizes are compared on the same day.
"""

from __future__ import annotations

from dataclasses import dataclass

LonLat = tuple[float, float]


@dataclass(frozen=True, slots=True)
class Call:
    """One ride request or shop order, as phoned in.

    Rides give exactly one of ``depart_at`` (book by departure) and ``arrive_by``
    (by arrival, e.g. a hospital appointment). Deliveries give ``ready_at`` (goods
    packed) and ``due_by`` (None: the engine's defaults). ``home`` is the resident's
    home (the district is the home's). ``cancel_u`` in [0, 1): the rider cancels that
    far through the time between booking and the promised pickup; ``cancel_at`` is a
    recorded cancellation time instead. ``outing`` links the legs of one round trip.
    A visit (訪問診療) is one stop at ``home`` (origin = destination) in ``window``.
    """

    request_id: str
    kind: str  # "ride" | "delivery" | "visit"
    booked_at: int
    origin: LonLat
    destination: LonLat
    home: LonLat
    district: str = ""
    depart_at: int | None = None
    arrive_by: int | None = None
    ready_at: int | None = None
    due_by: int | None = None
    party_size: int = 1
    wheelchairs: int = 0
    cargo_units: int = 0
    fare_yen: int | None = 0  # None: the scenario's fares (replayed bookings)
    cancel_u: float | None = None
    cancel_at: int | None = None
    no_show: bool = False
    outing: str | None = None
    purpose: str = ""
    hall: str | None = None  # a delivery handed over at this community hall (its name)
    weight_kg: float = 0.0  # a delivery's parcel weight (drones carry up to a limit)
    window: tuple[int, int] | None = None  # a visit's appointment window
    duration_s: int = 0  # a visit's length at the patient's home

    @property
    def asked_time(self) -> int:
        """The time asked for: departure or arrival (deliveries: ready time, or booking)."""
        if self.window is not None:
            return self.window[0]
        for t in (self.depart_at, self.arrive_by, self.ready_at):
            if t is not None:
                return t
        return self.booked_at

    @property
    def by_arrival(self) -> bool:
        return self.arrive_by is not None
