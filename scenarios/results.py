"""What one simulated service day produced: the records every KPI, plot and sweep reads.

The simulation (`scenarios.simulate`) writes a `DayResult`; `scenarios.metrics` turns
its records into numbers; `scenarios.report` draws them; `scenarios.sweep` ships them
between Dask workers as plain JSON (`to_plain` / `from_plain`), so nothing here holds
numpy arrays or live objects. Times are int seconds from the start of the service day
(midnight, local time); distances int metres; coordinates (lon, lat) in WGS84.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any


class TripStatus(StrEnum):
    """How a request ended."""

    SERVED = "served"  # picked up and dropped off (or delivered)
    REJECTED = "rejected"  # no quote could be promised (see ``reason``)
    CANCELLED = "cancelled"  # the caller cancelled before pickup
    NO_SHOW = "no_show"  # the vehicle came, the rider did not
    UNSERVED = "unserved"  # promised but not carried out (broken promise, day ended)


@dataclass(frozen=True, slots=True)
class TripRecord:
    """One ride request or shop delivery, from booking call to drop-off."""

    request_id: str
    kind: str  # "ride" | "delivery" | "visit"
    district: str  # the resident's home district (fairness KPIs); deliveries: the customer's
    status: TripStatus
    reason: str | None  # rejection / non-service reason code, None when served
    booked_at: int  # when the call (or order) came in
    asked_time: int  # departure or arrival asked for (deliveries: ready time)
    by_arrival: bool
    party_size: int  # riders (deliveries: cargo units)
    wheelchairs: int
    origin: tuple[float, float]  # (lon, lat)
    destination: tuple[float, float]
    direct_time_s: int  # shortest-path time origin -> destination
    direct_distance_m: int
    promised_start: int | None = None  # promised pickup window (None if rejected)
    promised_end: int | None = None
    pickup_time: int | None = None  # when service at the pickup began
    dropoff_time: int | None = None  # when service at the drop-off began
    vehicle_id: str | None = None
    shared: bool = False  # another rider's booking was on board at some moment of this ride
    fare_yen: int = 0  # fare (or delivery fee) paid; 0 unless served
    hand_over: str = ""  # deliveries: "door", "hall" (collected there) or "drone" (to a hall)
    hall: str | None = None  # the community hall a delivery went to
    # who served it and how the rider got there (the bus-line review). A fixed-route
    # or feeder trip's pickup_time is when the rider leaves the door (or the car picks
    # them up) and dropoff_time when they reach the destination's door, so
    # ride_time_s is door to door for every mode.
    mode: str = "drt"  # "drt" (on demand, door to door) | "fixed" (bus) | "feeder" (car + bus)
    walk_m: int = 0  # walked to, between and from stops
    walk_s: int = 0
    stop_wait_s: int = 0  # standing at stops and the hub (changes, the connection)
    transfers: int = 0  # changes between vehicles (car -> bus counts)
    connection: str = ""  # feeders: "kept" | "missed" (the bus the car was timed for)

    @property
    def counted(self) -> bool:
        """Counts in service-level shares: not ended by the rider (cancelled, absent)."""
        return self.status not in (TripStatus.CANCELLED, TripStatus.NO_SHOW)

    @property
    def promised_time(self) -> int | None:
        """The moment the promise is about: the pickup of a ride, the hand-over of a
        delivery (its promise is the hand-over slot), the start of a visit."""
        return self.pickup_time if self.kind == "ride" else self.dropoff_time

    @property
    def ride_time_s(self) -> int | None:
        """On-board time (pickup to drop-off), None unless served."""
        if self.pickup_time is None or self.dropoff_time is None:
            return None
        return self.dropoff_time - self.pickup_time

    @property
    def door_to_door_s(self) -> int | None:
        """From the door to the destination's door (None unless served)."""
        return self.ride_time_s

    @property
    def shift_from_asked_s(self) -> int | None:
        """How far the service was from the asked time: |pickup − asked departure|, or
        how early the rider arrived before the asked arrival (None unless served)."""
        if self.by_arrival:
            return None if self.dropoff_time is None else abs(self.asked_time - self.dropoff_time)
        return None if self.pickup_time is None else abs(self.pickup_time - self.asked_time)

    @property
    def wait_s(self) -> int | None:
        """Waiting, for every mode alike: the shift from the asked time (the rider waits
        at home for a bus, or for the car's window) plus waits at stops and the hub."""
        shift = self.shift_from_asked_s
        return None if shift is None else shift + self.stop_wait_s

    @property
    def on_board_s(self) -> int | None:
        """Time in vehicles: door to door less walking and waiting at stops."""
        d2d = self.ride_time_s
        return None if d2d is None else d2d - self.walk_s - self.stop_wait_s

    @property
    def wait_vs_promise_s(self) -> int | None:
        """`promised_time` minus the promised window's start (0: at the window start)."""
        t = self.promised_time
        if t is None or self.promised_start is None:
            return None
        return t - self.promised_start

    @property
    def within_promise(self) -> bool:
        """Served, and picked up (delivered) inside the promised window."""
        t = self.promised_time
        return (
            self.status is TripStatus.SERVED
            and t is not None
            and self.promised_start is not None
            and self.promised_end is not None
            and self.promised_start <= t <= self.promised_end
        )


@dataclass(frozen=True, slots=True)
class StopRecord:
    """A stop a vehicle made."""

    time: int  # service start
    kind: str  # "pickup" | "dropoff" | "no_show" | "break" | "depot"
    request_id: str | None
    position: tuple[float, float]  # (lon, lat)
    load_after: int  # people (or cargo units) on board after the stop


@dataclass(frozen=True, slots=True)
class LegRecord:
    """A drive between two consecutive stops (for km, empty km and the Gantt chart)."""

    depart: int
    arrive: int
    distance_m: int
    load: int  # people/cargo on board while driving; 0 = empty km


@dataclass(frozen=True, slots=True)
class VehicleRecord:
    """One vehicle's day as it was driven."""

    vehicle_id: str
    vehicle_type: str
    capacity: int
    shift_start: int
    shift_end: int
    stops: tuple[StopRecord, ...] = ()
    legs: tuple[LegRecord, ...] = ()
    path: tuple[tuple[float, float], ...] = ()  # road geometry driven, for the map

    @property
    def distance_m(self) -> int:
        return sum(leg.distance_m for leg in self.legs)

    @property
    def empty_distance_m(self) -> int:
        return sum(leg.distance_m for leg in self.legs if leg.load == 0)

    @property
    def hours(self) -> float:
        """Shift hours paid (the planners' vehicle hours)."""
        return (self.shift_end - self.shift_start) / 3600


@dataclass(slots=True)
class DayResult:
    """A simulated day: the scenario that made it, its records, its KPIs."""

    scenario: str
    variant: str
    seed: int
    trips: list[TripRecord] = field(default_factory=list)
    vehicles: list[VehicleRecord] = field(default_factory=list)
    kpis: dict[str, float] = field(default_factory=dict)
    districts: list[dict[str, Any]] = field(default_factory=list)  # per-district KPIs
    seconds: dict[str, float] = field(default_factory=dict)  # wall-clock per phase

    def to_plain(self) -> dict[str, Any]:
        """JSON-able data (for Dask, caching and the report's CSV)."""
        return asdict(self)

    @classmethod
    def from_plain(cls, d: dict[str, Any]) -> DayResult:
        """Rebuild from `to_plain` data."""

        def trip(t: dict[str, Any]) -> TripRecord:
            return TripRecord(
                **{
                    **t,
                    "status": TripStatus(t["status"]),
                    "origin": tuple(t["origin"]),
                    "destination": tuple(t["destination"]),
                }
            )

        def vehicle(v: dict[str, Any]) -> VehicleRecord:
            return VehicleRecord(
                **{
                    **v,
                    "stops": tuple(
                        StopRecord(**{**s, "position": tuple(s["position"])}) for s in v["stops"]
                    ),
                    "legs": tuple(LegRecord(**leg) for leg in v["legs"]),
                    "path": tuple(tuple(p) for p in v["path"]),
                }
            )

        return cls(
            scenario=d["scenario"],
            variant=d["variant"],
            seed=d["seed"],
            trips=[trip(t) for t in d["trips"]],
            vehicles=[vehicle(v) for v in d["vehicles"]],
            kpis=dict(d["kpis"]),
            districts=list(d["districts"]),
            seconds=dict(d["seconds"]),
        )
