"""The buses a timetable needs, as the vehicle records every KPI reads.

Trips are chained into buses (運用) greedily in order of departure: a trip goes to the
bus that has waited longest at its first stop (it arrived there by the departure) —
one of its own line if there is one — else a new bus starts. A bus's paid hours are
its first departure to its last arrival (layovers between trips included, the run
from and back to the garage not: the feed does not say where that is), so cost per
trip is read from timetable vehicle-hours with the same cost model as the on-demand
cars (`scenarios.metrics.CostModel`, type `BUS_TYPE`). Kilometres are road distances
between consecutive stops; the load on each leg is the riders the journeys put on
that trip, so empty bus km show too.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from routing.transit.journeys import Journey
from routing.transit.timetable import Timetable, TransitTrip
from scenarios.results import LegRecord, StopRecord, VehicleRecord

#: The vehicle type of fixed-route buses in records and the cost model.
BUS_TYPE = "fixed_route_bus"
#: Seats counted for a bus on the Gantt chart (a community minibus).
BUS_CAPACITY = 28

#: (trip_id, position of the call the leg leaves) -> riders on board.
Loads = dict[tuple[str, int], int]


def blocks(timetable: Timetable) -> list[list[TransitTrip]]:
    """The timetable's trips chained into buses (see the module docstring)."""
    buses: list[list[TransitTrip]] = []
    for trip in sorted(timetable.trips, key=lambda t: (t.first_departure_s, t.trip_id)):
        here = trip.stop_times[0].stop_id
        waiting = [
            b
            for b in buses
            if b[-1].stop_times[-1].stop_id == here
            and b[-1].last_arrival_s <= trip.first_departure_s
        ]
        if waiting:
            same_line = [b for b in waiting if b[-1].route_id == trip.route_id] or waiting
            min(same_line, key=lambda b: (b[-1].last_arrival_s, b[0].trip_id)).append(trip)
        else:
            buses.append([trip])
    return buses


def ride_loads(timetable: Timetable, rides: Sequence[tuple[Journey, int]]) -> Loads:
    """Riders on each leg of each trip, from (journey, party size) pairs."""
    trips = {t.trip_id: t for t in timetable.trips}
    loads: Loads = {}
    for journey, party in rides:
        for leg in journey.rides:
            assert leg.trip_id is not None
            calls = trips[leg.trip_id].stop_times
            on = next(
                i
                for i, c in enumerate(calls)
                if c.stop_id == leg.from_stop and c.departure_s == leg.start_s
            )
            off = next(
                i
                for i, c in enumerate(calls)
                if i > on and c.stop_id == leg.to_stop and c.arrival_s == leg.end_s
            )
            for i in range(on, off):
                loads[(leg.trip_id, i)] = loads.get((leg.trip_id, i), 0) + party
    return loads


def bus_records(
    timetable: Timetable,
    distance_m: Callable[[str, str], int],
    loads: Mapping[tuple[str, int], int],
) -> list[VehicleRecord]:
    """One `VehicleRecord` per bus: every call a stop, every hop a leg with its load."""
    stops = timetable.stops
    out = []
    for n, chain in enumerate(blocks(timetable), start=1):
        records: list[StopRecord] = []
        legs: list[LegRecord] = []
        path: list[tuple[float, float]] = []
        for trip in chain:
            calls = trip.stop_times
            for i, call in enumerate(calls):
                at = (stops[call.stop_id].lon, stops[call.stop_id].lat)
                load = loads.get((trip.trip_id, i), 0) if i + 1 < len(calls) else 0
                records.append(StopRecord(call.arrival_s, "bus_stop", None, at, load))
                if not path or path[-1] != at:
                    path.append(at)
                if i + 1 < len(calls):
                    nxt = calls[i + 1]
                    legs.append(
                        LegRecord(
                            call.departure_s,
                            nxt.arrival_s,
                            distance_m(call.stop_id, nxt.stop_id),
                            load,
                        )
                    )
        out.append(
            VehicleRecord(
                vehicle_id=f"bus-{n:02d}",
                vehicle_type=BUS_TYPE,
                capacity=BUS_CAPACITY,
                shift_start=chain[0].first_departure_s,
                shift_end=chain[-1].last_arrival_s,
                stops=tuple(records),
                legs=tuple(legs),
                path=tuple(path),
            )
        )
    return out


def bus_of_trip(timetable: Timetable) -> dict[str, str]:
    """trip_id -> the bus (`bus_records`' vehicle id) that runs it."""
    return {
        t.trip_id: f"bus-{n:02d}"
        for n, chain in enumerate(blocks(timetable), start=1)
        for t in chain
    }
