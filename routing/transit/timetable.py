"""A timetable of one service day: stops, routes and trips in plain ints.

GTFS times may pass 24:00 (a trip that leaves at 23:50 and arrives at 24:20 belongs to
the day it started), so times here are seconds from the service day's midnight and may
exceed 86,400. The timetable is the one shape every consumer reads: the feed reader
produces it, the line drafter and the journey planner consume it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from routing.errors import InputError


@dataclass(frozen=True, slots=True)
class TransitStop:
    """A boarding point (停留所). ``lon``/``lat`` in degrees (WGS84)."""

    stop_id: str
    name: str
    lon: float
    lat: float

    def __post_init__(self) -> None:
        if not self.stop_id:
            raise InputError("stop: stop_id is empty")
        if not (-180.0 <= self.lon <= 180.0 and -90.0 <= self.lat <= 90.0):
            raise InputError(f"stop {self.stop_id}: lon/lat ({self.lon}, {self.lat}) out of range")


@dataclass(frozen=True, slots=True)
class TransitRoute:
    """A line (路線) as riders know it: ``short_name`` is the number on the bus."""

    route_id: str
    agency_id: str
    short_name: str
    long_name: str


@dataclass(frozen=True, slots=True)
class StopTime:
    """One call of a trip at a stop; seconds from the service day's midnight."""

    stop_id: str
    arrival_s: int
    departure_s: int

    def __post_init__(self) -> None:
        if self.arrival_s < 0 or self.departure_s < self.arrival_s:
            raise InputError(
                f"stop time at {self.stop_id}: arrival {self.arrival_s} s and departure "
                f"{self.departure_s} s must satisfy 0 <= arrival <= departure"
            )


@dataclass(frozen=True, slots=True)
class TransitTrip:
    """One run of a vehicle along a route: its calls in stop_sequence order."""

    trip_id: str
    route_id: str
    service_id: str
    stop_times: tuple[StopTime, ...]
    shape_id: str | None = None

    def __post_init__(self) -> None:
        if len(self.stop_times) < 2:
            raise InputError(f"trip {self.trip_id}: needs at least two stop times")
        for before, after in zip(self.stop_times, self.stop_times[1:], strict=False):
            if after.arrival_s < before.departure_s:
                raise InputError(
                    f"trip {self.trip_id}: arrives at {after.stop_id} ({after.arrival_s} s) "
                    f"before leaving {before.stop_id} ({before.departure_s} s)"
                )

    @property
    def first_departure_s(self) -> int:
        return self.stop_times[0].departure_s

    @property
    def last_arrival_s(self) -> int:
        return self.stop_times[-1].arrival_s


@dataclass(frozen=True, slots=True)
class Timetable:
    """The trips that run on one service day, with the stops and routes they use.

    Every trip's route and every stop time's stop must be present: a timetable that
    names an unknown stop is refused when built, so consumers never check again.
    """

    stops: dict[str, TransitStop]
    routes: dict[str, TransitRoute]
    trips: tuple[TransitTrip, ...]
    shapes_m: dict[str, int] = field(default_factory=dict)  # shape_id -> length, metres

    def __post_init__(self) -> None:
        for trip in self.trips:
            if trip.route_id not in self.routes:
                raise InputError(f"trip {trip.trip_id}: unknown route_id {trip.route_id!r}")
            for call in trip.stop_times:
                if call.stop_id not in self.stops:
                    raise InputError(f"trip {trip.trip_id}: unknown stop_id {call.stop_id!r}")
