"""Buses from a timetable: trips chained into vehicle blocks, loads from journeys."""

from __future__ import annotations

from routing.transit.journeys import Journey, Leg, LegKind
from scenarios.buses import BUS_TYPE, blocks, bus_of_trip, bus_records, ride_loads
from tests.scenarios.transit import LOOP, loop_timetable

H = 3600


def test_a_24_minute_loop_every_30_minutes_needs_one_bus_every_20_two():
    tt = loop_timetable(1800)
    loops = [b for b in blocks(tt) if b[0].route_id == "loop"]
    assert len(loops) == 1 and len(loops[0]) == 9  # 8:00 .. 12:00
    tt20 = loop_timetable(1200)
    assert len([b for b in blocks(tt20) if b[0].route_id == "loop"]) == 2
    # the trunk: out 8:00-8:16 at T2, back from T2 at 8:30: one bus shuttles all day
    trunk = [b for b in blocks(tt) if b[0].route_id == "trunk"]
    assert len(trunk) == 1 and len(trunk[0]) == 10


def test_bus_records_time_km_and_load():
    tt = loop_timetable(1800)
    first = next(t for t in tt.trips if t.trip_id == "loop-00")
    ride = Leg(
        LegKind.RIDE,
        8 * H + 240,
        8 * H + 720,
        "S1",
        "S3",
        route_id="loop",
        trip_id="loop-00",
    )
    journey = Journey(
        (Leg(LegKind.WALK, 8 * H, 8 * H + 240, None, "S1", 100), ride,
         Leg(LegKind.WALK, 8 * H + 720, 8 * H + 800, "S3", None, 50))
    )  # fmt: skip
    loads = ride_loads(tt, [(journey, 2)])
    assert loads == {("loop-00", 1): 2, ("loop-00", 2): 2}
    records = bus_records(tt, lambda a, b: 1000, loads)
    owner = bus_of_trip(tt)
    bus = next(v for v in records if v.vehicle_id == owner["loop-00"])
    assert bus.vehicle_type == BUS_TYPE
    assert bus.shift_start == 8 * H and bus.shift_end == 12 * H + 240 * len(LOOP)
    assert len(bus.legs) == 9 * len(LOOP)  # every hop of every loop, 1 km each
    assert bus.distance_m == 9 * len(LOOP) * 1000
    assert bus.empty_distance_m == bus.distance_m - 2000  # two hops carried the riders
    assert [leg.load for leg in bus.legs[:3]] == [0, 2, 2]
    assert first.stop_times[1].stop_id == "S1"
