"""Who serves each caller: on demand, the bus, or an on-demand feeder to the bus.

``transit.serve`` picks the day's rule:

- ``"drt"``: every call is booked with the on-demand fleet (no bus runs);
- ``"fixed"``: every ride goes by bus (`scenarios.fixed`);
- ``"mix"`` (by time and area, ``[transit.mix]``): a ride asked inside the on-demand
  hours goes by **feeder** when the resident lives in a feeder district and the trip
  starts or ends at home, else **on demand** when they live in an on-demand district
  (empty list: every district); everything else goes **by bus**. Shop orders and
  visits go on demand (on a buses-only day they are refused, `scenarios.fixed`).

A **feeder** trip is one trip for the rider, two bookings behind it: outbound, a car
booked *by arrival* at the hub for the bus chosen (arrive-by = the bus departure −
``feeder_margin_min``), then the bus journey from the hub; homeward, the bus to the hub,
then a car booked *by departure* once the bus is in (depart-at = its arrival + the
margin + the engine's early-departure allowance, so the car never comes before the
bus). The car's promise covers the connection; after the day the connection is marked
``kept`` or ``missed`` and a missed one is counted (`scenarios.metrics`) — the rider
takes the next bus, or is stranded (``missed_connection``). A bus *suits* a feeder trip
when it keeps the time rules an on-demand promise keeps: the rider is under way no later
than ``dispatch.departure_late_min`` after the asked departure, and arrives no earlier
than ``dispatch.arrival_lead_min`` before the asked arrival. When no bus suits, the
operator books the car door to door instead (on demand).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import StrEnum

from routing.transit.journeys import Journey, NoJourney, plan_journey
from scenarios.calls import Call
from scenarios.fixed import TransitService, fare
from scenarios.records import direct
from scenarios.results import TripRecord, TripStatus
from scenarios.spec import ScenarioSpec
from scenarios.world import World


class Mode(StrEnum):
    DRT = "drt"
    FIXED = "fixed"
    FEEDER = "feeder"


def on_demand_time(spec: ScenarioSpec, t: int) -> bool:
    """Inside the on-demand hours of a mix (always, on an on-demand day)."""
    if spec.transit.serve != "mix":
        return spec.transit.serve == "drt"
    return any(a <= t < b for a, b in spec.transit.mix.on_demand_hours)


def on_demand_district(spec: ScenarioSpec, district: str) -> bool:
    """A district the on-demand service reaches (door to door or by feeder)."""
    t = spec.transit
    if t.serve != "mix":
        return t.serve == "drt"
    m = t.mix
    return not m.on_demand_districts or district in {*m.on_demand_districts, *m.feeder_districts}


def mode_of(spec: ScenarioSpec, call: Call) -> Mode:
    """The mode the day's rule gives a call (see the module docstring)."""
    serve = spec.transit.serve
    if serve == "drt" or (serve == "mix" and call.kind != "ride"):
        return Mode.DRT
    if serve == "fixed" or not on_demand_time(spec, call.asked_time):
        return Mode.FIXED
    m = spec.transit.mix
    if call.district in m.feeder_districts and call.home in (call.origin, call.destination):
        return Mode.FEEDER
    if not m.on_demand_districts or call.district in m.on_demand_districts:
        return Mode.DRT
    return Mode.FIXED


@dataclass(frozen=True, slots=True)
class Feeder:
    """A feeder trip as booked: the car's call (same request id) and the bus journey."""

    call: Call  # as the rider asked
    car: Call  # the car leg: home -> hub by arrival, or hub -> home by departure
    bus: Journey
    outbound: bool  # car first, then the bus


def plan_feeder(
    spec: ScenarioSpec, call: Call, service: TransitService, world: World
) -> Feeder | None:
    """The feeder booking for a call (None: no bus suits it, or no hub)."""
    hub = service.hub
    if hub is None:
        return None
    margin = spec.transit.mix.feeder_margin_min * 60
    late, lead = spec.dispatch.departure_late_min * 60, spec.dispatch.arrival_lead_min * 60
    home = world.location(call.home)
    at_hub = world.location(hub)
    if home is None or at_hub is None:
        return None
    bus: Journey | NoJourney
    if call.origin == call.home:
        drive = int(world.time_s[home, at_hub])
        if call.arrive_by is not None:
            bus = plan_journey(service.index, hub, call.destination, arrive_by=call.arrive_by)
        else:
            assert call.depart_at is not None
            start = call.depart_at + drive + margin
            bus = plan_journey(service.index, hub, call.destination, depart_at=start)
        if isinstance(bus, NoJourney) or not _suits(call, bus.depart_s - margin - drive,
                                                   bus.arrive_s, late, lead):  # fmt: skip
            return None
        car = replace(call, destination=hub, depart_at=None, arrive_by=bus.depart_s - margin)
        return Feeder(call, car, bus, outbound=True)
    drive = int(world.time_s[at_hub, home])
    if call.arrive_by is not None:
        bus = plan_journey(service.index, call.origin, hub, arrive_by=call.arrive_by - drive)
    else:
        bus = plan_journey(service.index, call.origin, hub, depart_at=call.depart_at)
    if isinstance(bus, NoJourney) or not _suits(
        call, bus.depart_s, bus.arrive_s + margin + drive, late, lead
    ):
        return None
    early = spec.dispatch.departure_early_min * 60
    car = replace(call, origin=hub, depart_at=bus.arrive_s + margin + early, arrive_by=None)
    return Feeder(call, car, bus, outbound=False)


def _suits(call: Call, leave: int, arrive: int, late: int, lead: int) -> bool:
    """Under way (``leave``) by the asked departure + ``late``, or there (``arrive``) no
    earlier than the asked arrival − ``lead``."""
    if call.depart_at is not None:
        return leave <= call.depart_at + late
    assert call.arrive_by is not None
    return arrive >= call.arrive_by - lead


def feeder_record(
    spec: ScenarioSpec,
    feeder: Feeder,
    car: TripRecord,
    service: TransitService,
    bus_of: Mapping[str, str],
    world: World,
) -> tuple[TripRecord, Journey | None]:
    """The rider's one trip from the car's record and the bus (and the bus journey
    actually ridden: the next one after a missed connection; None: no bus ridden)."""
    call, bus = feeder.call, feeder.bus
    direct_t, direct_d = direct(world, call.origin, call.destination)
    whole = dict(
        origin=call.origin,
        destination=call.destination,
        direct_time_s=direct_t,
        direct_distance_m=direct_d,
        asked_time=call.asked_time,
        by_arrival=call.by_arrival,
        mode=Mode.FEEDER.value,
    )
    if car.status is not TripStatus.SERVED:
        return replace(car, **whole), None
    assert car.pickup_time is not None and car.dropoff_time is not None
    margin = spec.transit.mix.feeder_margin_min * 60
    car_s = car.dropoff_time - car.pickup_time
    if feeder.outbound:
        kept = car.dropoff_time + margin <= bus.depart_s
        ridden: Journey | NoJourney = bus
        if not kept:
            ridden = plan_journey(
                service.index, service.hub or call.origin, call.destination,
                depart_at=car.dropoff_time + margin,
            )  # fmt: skip
        connection = "kept" if kept else "missed"
        if isinstance(ridden, NoJourney):
            return replace(
                car, **whole, status=TripStatus.UNSERVED, reason="missed_connection",
                connection=connection,
            ), None  # fmt: skip
        start, end = car.pickup_time, ridden.arrive_s
        promise = (car.promised_start, car.promised_end)
    else:
        ridden = bus
        kept = car.pickup_time >= bus.arrive_s
        connection = "kept" if kept else "missed"
        if not kept:  # the car left before the rider was there
            return replace(
                car, **whole, status=TripStatus.UNSERVED, reason="missed_connection",
                connection=connection,
            ), None  # fmt: skip
        start, end = bus.depart_s, car.dropoff_time
        promise = (bus.depart_s, bus.depart_s)  # the timetable; the car's is the connection
    on_board = car_s + ridden.in_vehicle_s
    first = ridden.rides[0].trip_id
    record = replace(
        car,
        **whole,
        pickup_time=start,
        dropoff_time=end,
        promised_start=promise[0],
        promised_end=promise[1],
        walk_m=ridden.walk_m,
        walk_s=ridden.walk_s,
        stop_wait_s=(end - start) - on_board - ridden.walk_s,
        transfers=ridden.transfers + 1,
        connection=connection,
        fare_yen=car.fare_yen + fare(spec, ridden, call.party_size),
        vehicle_id=car.vehicle_id if feeder.outbound else bus_of.get(first or ""),
    )
    return record, ridden
