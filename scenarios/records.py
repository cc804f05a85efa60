"""Turn a finished `LiveDay` into the plain records of a `DayResult`.

Trips come from the calls, their outcome and the stops the vehicles did
(`LiveDay.history`); vehicles from those same stops, with the drive between two stops
timed as the live loop drives it (leave as late as the next stop allows, then drive),
and the road geometry of every drive for the map (simplified to about 5 m).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import shapely

from dispatch.events import BookingStatus, DoneStop
from dispatch.live import LiveDay
from dispatch.model import TimeWindow
from routing.paths import path_geometry
from scenarios.calls import Call, LonLat
from scenarios.results import LegRecord, StopRecord, TripRecord, TripStatus, VehicleRecord
from scenarios.world import World

#: Tolerance of the simplified road paths on the map (degrees, about 5 m).
PATH_TOLERANCE_DEG = 0.00005


@dataclass(slots=True)
class Outcome:
    """What became of a call (the booking's own status lives in the `LiveDay`)."""

    rejected: str | None = None  # reason code when refused (or never called)
    promise: TimeWindow | None = None  # the window told to the caller
    booked: bool = False  # a booking exists in the live day
    cancel_reason: str = "caller_cancelled"
    callbacks: int = 0  # times the refused caller called back (``[callers]``)
    alternative: bool = False  # booked at an alternative time the caller took
    gave_up: bool = False  # refused, the caller gave up (``[callers]``)


_ENDED = {
    BookingStatus.DONE: (TripStatus.SERVED, None),
    BookingStatus.NO_SHOW: (TripStatus.NO_SHOW, "rider_absent"),
    BookingStatus.PROMISE_BROKEN: (TripStatus.UNSERVED, "promise_broken"),
    BookingStatus.EXPIRED: (TripStatus.UNSERVED, "hold_expired"),
}


def trip_records(
    calls: Sequence[Call], outcomes: Mapping[str, Outcome], live: LiveDay, world: World
) -> list[TripRecord]:
    """One record per call, in booking order, with exactly one final status."""
    done: dict[str, dict[str, DoneStop]] = {}
    for v in world.vehicles:
        for s in live.history(v.id):
            if s.request_id is not None:
                done.setdefault(s.request_id, {})[s.kind] = s
    drones = {d.id for d in world.drones.drones} if world.drones is not None else set()
    for s in live.drone_history():  # a landing at a hall: the drone's hand-over
        done.setdefault(s.request_id or "", {})["dropoff"] = s
    shared = shared_trips(calls, done)
    out = []
    for c in calls:
        o = outcomes[c.request_id]
        status, reason = _status(c.request_id, o, live)
        stops = done.get(c.request_id, {})
        pick, drop = stops.get("pickup"), stops.get("dropoff", stops.get("visit"))
        flown = drop is not None and drop.vehicle_id in drones
        booked = live.state.bookings.get(c.request_id)
        hall = getattr(booked.request, "hall_id", None) if booked is not None else c.hall
        promise = o.promise
        out.append(
            TripRecord(
                **call_fields(world, c),
                status=status,
                reason=reason,
                promised_start=None if promise is None else promise.start,
                promised_end=None if promise is None else promise.end,
                pickup_time=live.booking(c.request_id).picked_up_at
                if flown
                else (None if pick is None else pick.start),
                dropoff_time=None if drop is None else drop.start,
                vehicle_id=(pick or drop).vehicle_id if (pick or drop) else None,
                shared=c.request_id in shared,
                fare_yen=(c.fare_yen or 0) if status is TripStatus.SERVED else 0,
                hand_over="drone" if flown else _hand_over(c, hall),
                hall=hall,
            )
        )
    return out


def call_fields(world: World, c: Call) -> dict[str, Any]:
    """What a trip record takes from its call, whatever mode served it (the direct drive
    included): one list, so the on-demand and the bus records cannot drift apart."""
    direct_t, direct_d = direct(world, c.origin, c.destination)
    return dict(
        request_id=c.request_id,
        kind=c.kind,
        district=c.district,
        booked_at=c.booked_at,
        asked_time=c.asked_time,
        by_arrival=c.by_arrival,
        party_size=c.party_size if c.kind == "ride" else c.cargo_units,
        wheelchairs=c.wheelchairs,
        origin=c.origin,
        destination=c.destination,
        direct_time_s=direct_t,
        direct_distance_m=direct_d,
    )


def direct(world: World, origin: LonLat, destination: LonLat) -> tuple[int, int]:
    """(seconds, metres) of the direct drive, (0, 0) when a place is off the map."""
    a, b = world.location(origin), world.location(destination)
    if a is None or b is None:
        return 0, 0
    return int(world.time_s[a, b]), int(world.distance_m[a, b])


def _hand_over(c: Call, hall: str | None) -> str:
    """Where a delivery was handed over (booked: as booked, maybe an alternative the
    caller took; refused: as asked)."""
    if c.kind != "delivery":
        return ""
    return "door" if hall is None else "hall"


def _status(rid: str, o: Outcome, live: LiveDay) -> tuple[TripStatus, str | None]:
    if o.rejected == "outbound_no_show":
        return TripStatus.CANCELLED, o.rejected
    if o.rejected is not None:
        return TripStatus.REJECTED, o.rejected
    status = live.booking(rid).status
    if status is BookingStatus.CANCELLED:
        return TripStatus.CANCELLED, o.cancel_reason
    return _ENDED.get(status, (TripStatus.UNSERVED, "not_carried_out"))


def shared_trips(calls: Sequence[Call], done: Mapping[str, Mapping[str, DoneStop]]) -> set[str]:
    """Requests that had another one on board of the same vehicle at some moment
    (for rides: another *rider's* booking — shop goods in the boot do not count)."""
    kind = {c.request_id: c.kind for c in calls}
    spans: dict[str, list[tuple[int, int, str]]] = {}
    for rid, stops in done.items():
        if "pickup" in stops and "dropoff" in stops:
            p, d = stops["pickup"], stops["dropoff"]
            spans.setdefault(p.vehicle_id, []).append((p.start, d.start, rid))
    out: set[str] = set()
    for items in spans.values():
        items.sort()
        for i, (a0, a1, ra) in enumerate(items):
            for b0, b1, rb in items[i + 1 :]:
                if b0 >= a1:
                    break
                if b1 > a0:
                    if kind.get(rb) == "ride" or kind.get(ra) == "delivery":
                        out.add(ra)
                    if kind.get(ra) == "ride" or kind.get(rb) == "delivery":
                        out.add(rb)
    return out


def vehicle_records(
    live: LiveDay, world: World, calls: Sequence[Call], *, paths: bool = True
) -> list[VehicleRecord]:
    """What every vehicle did: its stops, the drives between them, the roads driven."""
    size = {c.request_id: c.party_size if c.kind == "ride" else c.cargo_units for c in calls}
    out = []
    for v in world.vehicles:
        g = world.groups[v.id]
        state = live.vehicle_state(v.id)
        history = live.history(v.id)
        trace = _Trace(world, paths)
        if state.departed_at is not None and history:
            trace.run(v.start, v.end, state.departed_at, history, size)
        out.append(
            VehicleRecord(
                vehicle_id=v.id,
                vehicle_type=g.type,
                capacity=g.seats + g.wheelchairs,
                shift_start=v.shift.start,
                shift_end=v.shift.end,
                stops=tuple(trace.stops),
                legs=tuple(trace.legs),
                path=tuple(trace.path),
            )
        )
    return out


class _Trace:
    """One vehicle's day rebuilt from its done stops."""

    def __init__(self, world: World, paths: bool) -> None:
        self.world, self.paths = world, paths
        self.stops: list[StopRecord] = []
        self.legs: list[LegRecord] = []
        self.path: list[tuple[float, float]] = []
        self.pos = self.free = self.load = 0

    def run(
        self,
        start: int,
        end: int,
        departed: int,
        history: Sequence[DoneStop],
        size: Mapping[str, int],
    ) -> None:
        w = self.world
        self.pos, self.free = start, departed
        self.stops.append(StopRecord(departed, "depot", None, w.points[start], 0))
        for s in history:
            if s.kind == "break" or s.location is None:
                self.stops.append(StopRecord(s.start, "break", None, w.points[self.pos], self.load))
                self.free = max(self.free, s.departure)
                continue
            if s.location != self.pos or w.time_s[self.pos, s.location] > 0:
                self.drive(s.location, s.start)
            if s.kind == "pickup":
                self.load += size.get(s.request_id or "", 1)
            elif s.kind == "dropoff":
                self.load -= size.get(s.request_id or "", 1)
            self.stops.append(
                StopRecord(s.start, s.kind, s.request_id, w.points[s.location], self.load)
            )
            self.pos, self.free = s.location, s.departure
        back = self.drive(end, self.free)
        self.stops.append(StopRecord(back, "depot", None, w.points[end], self.load))

    def drive(self, to: int, not_before: int) -> int:
        """Leave as late as arriving by ``not_before`` allows (not before free); arrival."""
        w = self.world
        travel = int(w.time_s[self.pos, to])
        depart = max(self.free, not_before - travel)
        self.legs.append(
            LegRecord(depart, depart + travel, int(w.distance_m[self.pos, to]), self.load)
        )
        if self.paths and to != self.pos:
            self.path.extend(_road(w, self.pos, to, first=not self.path))
        return depart + travel


def _road(world: World, a: int, b: int, *, first: bool) -> list[tuple[float, float]]:
    coords = path_geometry(world.graph, world.snapped[a], world.snapped[b])
    line = shapely.simplify(shapely.linestrings(coords), PATH_TOLERANCE_DEG)
    pts = [(round(x, 6), round(y, 6)) for x, y in shapely.get_coordinates(line)]
    return pts if first else pts[1:]
