"""Callers served by the timetable: each trip a journey (walk, wait, ride, change, walk)
or a refusal with the journey planner's reason, and the buses that carried them.

The same callers as an on-demand day (`scenarios.demand`, same seed): a caller asks to
leave at, or arrive by, a time; the bus journey answers it (`routing.transit.journeys`).
Buses run to the timetable (no delays are simulated), so a bus journey is "within the
promise" when served: the timetable is the promise. The rider's own fate is kept:
a caller who would cancel an on-demand booking cancels the bus trip too, one who would
not be there does not ride (and their return is off), so every option of a review
counts the same requests. Shop orders and home visits need the on-demand fleet; on a
day served by buses only they are refused (``no_on_demand_service``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from routing.transit.coverage import RADII_M, nearest_hourly_stop_m
from routing.transit.journeys import (
    Journey,
    JourneyRules,
    NoJourney,
    TransitIndex,
    index_timetable,
)
from routing.transit.timetable import Timetable
from scenarios.buses import bus_records, ride_loads
from scenarios.calls import Call, LonLat
from scenarios.districts import distance_m as straight_m
from scenarios.lines import feed_timetable, line_plan
from scenarios.records import call_fields
from scenarios.results import TripRecord, TripStatus, VehicleRecord
from scenarios.spec import ScenarioSpec
from scenarios.world import World

#: A bus drives the road between stops; off the map, the straight line × this.
ROAD_FACTOR = 1.3


@dataclass(frozen=True, slots=True, eq=False)
class TransitService:
    """The lines that run today, indexed for journeys, and where feeders meet them."""

    plan: Timetable
    index: TransitIndex
    hub: LonLat | None

    def stop_points(self) -> list[LonLat]:
        """Every stop of the running lines (the world puts them on the road map)."""
        used = {c.stop_id for t in self.plan.trips for c in t.stop_times}
        return [(self.plan.stops[s].lon, self.plan.stops[s].lat) for s in sorted(used)]


def feed_problems(spec: ScenarioSpec) -> list[str]:
    """What the feed says against the spec (`noriai scenario validate`): unreadable,
    lines or a hub it does not have — for the spec and each of its review options."""
    from routing.errors import NoriaiError

    try:
        full = feed_timetable(spec)
    except NoriaiError as exc:
        return [f"transit.feed: {exc}"]
    out = []
    checks = [("", {}), *((f"review option {o.name}: ", o.set) for o in spec.review.options)]
    for prefix, changes in checks:
        try:
            day = spec.with_overrides(changes) if changes else spec
            line_plan(full, day.transit)
        except NoriaiError as exc:
            out.append(f"{prefix}{exc}")
            continue
        hub = day.transit.mix.hub
        own = not prefix or hub != spec.transit.mix.hub  # said once unless an option moves it
        if own and hub is not None and hub not in full.stops:
            out.append(f"{prefix}transit.mix.hub: no stop {hub!r} in the feed")
    return out


def journey_rules(spec: ScenarioSpec) -> JourneyRules:
    t = spec.transit
    return JourneyRules(
        walk_kmh=t.walk_kmh,
        max_walk_m=t.max_walk_m,
        min_transfer_s=t.min_transfer_min * 60,
        transfer_walk_m=t.transfer_walk_m,
        max_transfers=t.max_transfers,
    )


def transit_service(
    spec: ScenarioSpec, timetable: Timetable | None = None
) -> TransitService | None:
    """The running lines of the spec (None without ``transit.feed``). On demand only
    (``serve = "drt"``), no bus runs. ``timetable`` replaces reading the feed."""
    from routing.errors import InputError

    t = spec.transit
    if t.feed is None and timetable is None:
        return None
    full = timetable if timetable is not None else feed_timetable(spec)
    plan = line_plan(full, t)
    if t.serve == "drt":
        plan = Timetable(plan.stops, plan.routes, (), dict(plan.shapes_m))
    hub = None
    if t.serve == "mix" and t.mix.hub is not None:
        stop = full.stops.get(t.mix.hub)
        if stop is None:
            raise InputError(f"transit.mix.hub: no stop {t.mix.hub!r} in the feed")
        hub = (stop.lon, stop.lat)
    return TransitService(plan, index_timetable(plan, journey_rules(spec)), hub)


def bus_journey(service: TransitService, call: Call) -> Journey | NoJourney:
    """The journey answering a ride call as asked."""
    from routing.transit.journeys import plan_journey

    return plan_journey(
        service.index,
        call.origin,
        call.destination,
        depart_at=call.depart_at,
        arrive_by=call.arrive_by,
    )


def fare(spec: ScenarioSpec, journey: Journey, party: int) -> int:
    """A flat fare per boarding and rider."""
    return spec.transit.fare_yen * len(journey.rides) * party


def absent_outings(calls: Sequence[Call]) -> set[str]:
    """Outings whose outbound rider is not there (their return is off too)."""
    first: dict[str, Call] = {}
    for c in sorted(calls, key=lambda c: c.asked_time):
        if c.outing is not None:
            first.setdefault(c.outing, c)
    return {o for o, c in first.items() if c.no_show}


def fixed_record(
    spec: ScenarioSpec,
    call: Call,
    answer: Journey | NoJourney | None,
    world: World,
    bus_of: Mapping[str, str],
    absent: set[str],
) -> TripRecord:
    """The record of a call served (or not) by the buses; ``answer`` None: not a ride."""
    base = dict(call_fields(world, call), mode="fixed")
    if answer is None:
        return TripRecord(status=TripStatus.REJECTED, reason="no_on_demand_service", **base)
    if isinstance(answer, NoJourney):
        return TripRecord(status=TripStatus.REJECTED, reason=answer.value, **base)
    first = answer.rides[0].trip_id
    assert first is not None
    planned = dict(
        promised_start=answer.depart_s,
        promised_end=answer.depart_s,
        vehicle_id=bus_of.get(first),
        walk_m=answer.walk_m,
        walk_s=answer.walk_s,
        stop_wait_s=answer.wait_s,
        transfers=answer.transfers,
    )
    if call.outing in absent and not call.no_show:
        return TripRecord(status=TripStatus.CANCELLED, reason="outbound_no_show", **base, **planned)
    if call.cancel_u is not None or call.cancel_at is not None:
        return TripRecord(status=TripStatus.CANCELLED, reason="caller_cancelled", **base, **planned)
    if call.no_show:
        return TripRecord(status=TripStatus.NO_SHOW, reason="rider_absent", **base, **planned)
    return TripRecord(
        status=TripStatus.SERVED,
        reason=None,
        pickup_time=answer.depart_s,
        dropoff_time=answer.arrive_s,
        fare_yen=fare(spec, answer, call.party_size),
        **base,
        **planned,
    )


def buses(
    service: TransitService, world: World, rides: Sequence[tuple[Journey, int]]
) -> list[VehicleRecord]:
    """The buses of the running lines, loaded with the journeys ridden."""
    stops = service.plan.stops

    def road_m(a: str, b: str) -> int:
        pa, pb = (stops[a].lon, stops[a].lat), (stops[b].lon, stops[b].lat)
        i, j = world.location(pa), world.location(pb)
        if i is not None and j is not None:
            return int(world.distance_m[i, j])
        return round(straight_m(pa, pb) * ROAD_FACTOR)

    return bus_records(service.plan, road_m, ride_loads(service.plan, rides))


def coverage_kpis(
    spec: ScenarioSpec,
    service: TransitService,
    homes: Sequence[LonLat],
    on_demand: Callable[[LonLat], bool],
) -> dict[str, float]:
    """Shares of homes: within 300 m / 500 m of a stop served hourly by the running
    lines over the service hours; reached by an on-demand service (``on_demand(home)``,
    during its hours); either (500 m or on demand)."""
    s = spec.service
    nearest, _ = nearest_hourly_stop_m(service.plan, homes, s.start, s.end)
    if not len(homes):
        return {}
    door = np.array([on_demand(h) for h in homes], dtype=bool)
    near, far = RADII_M
    return {
        "stop_coverage_300m_share": float((nearest <= near).mean()),
        "stop_coverage_500m_share": float((nearest <= far).mean()),
        "on_demand_coverage_share": float(door.mean()),
        "coverage_share": float(((nearest <= far) | door).mean()),
    }
