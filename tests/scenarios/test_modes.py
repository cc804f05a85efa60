"""Who serves each caller (by time and district), and feeder trips put together from the
car's record and the bus journey: connections kept, missed and re-planned, stranded."""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace

import numpy as np
import pytest

from routing.transit.journeys import Journey, JourneyRules, index_timetable, plan_journey
from scenarios.calls import Call
from scenarios.fixed import TransitService
from scenarios.modes import Mode, feeder_record, mode_of, on_demand_district, plan_feeder
from scenarios.results import TripRecord, TripStatus
from tests.scenarios.tiny import tiny_spec
from tests.scenarios.transit import loop_timetable

H = 3600
HOME = (139.4110, 35.7240)  # up north, near the trunk's terminus 砂川 (T2)
STATION = (139.4137, 35.6980)  # the hub S0
HOSPITAL = (139.4105, 35.7085)


@pytest.fixture(scope="module")
def mix(tmp_path_factory, town):
    return tiny_spec(
        tmp_path_factory.mktemp("mix"),
        town,
        transit__feed=".",
        transit__service_date="2026-12-07",
        transit__serve="mix",
        **{
            "transit.mix.on_demand_hours": [["09:30", "11:00"]],
            "transit.mix.on_demand_districts": ["中心市街地", "北部"],
            "transit.mix.feeder_districts": ["北部"],
            "transit.mix.hub": "S0",
        },
    )


def ride(t: int, district: str, *, home=HOME, origin=HOME, destination=HOSPITAL) -> Call:
    return Call("R1", "ride", t - H, origin, destination, home, district, depart_at=t)


def test_modes_by_time_and_district(mix):
    assert mode_of(mix, ride(9 * H, "北部")) is Mode.FIXED  # before the on-demand hours
    assert mode_of(mix, ride(10 * H, "北部")) is Mode.FEEDER
    away = ride(10 * H, "北部", origin=HOSPITAL, destination=STATION)  # not from or to home
    assert mode_of(mix, away) is Mode.DRT
    assert mode_of(mix, ride(10 * H, "中心市街地")) is Mode.DRT
    assert mode_of(mix, ride(10 * H, "南部")) is Mode.FIXED  # not an on-demand district
    order = Call("D1", "delivery", 9 * H, HOSPITAL, HOME, HOME, "南部", ready_at=10 * H)
    assert mode_of(mix, order) is Mode.DRT
    fixed = mix.with_overrides({"transit.serve": "fixed"})
    drt = mix.with_overrides({"transit.serve": "drt"})
    assert mode_of(fixed, ride(10 * H, "中心市街地")) is Mode.FIXED
    assert mode_of(fixed, order) is Mode.FIXED  # refused later: no on-demand service
    assert mode_of(drt, ride(7 * H, "南部")) is Mode.DRT
    assert on_demand_district(mix, "北部") and not on_demand_district(mix, "南部")
    assert on_demand_district(drt, "南部") and not on_demand_district(fixed, "中心市街地")


def service() -> TransitService:
    tt = loop_timetable()
    return TransitService(tt, index_timetable(tt, JourneyRules()), STATION)


def world():
    """Driving takes 600 s between home and the hub; nothing else is on the map."""
    return SimpleNamespace(
        location=lambda p: {HOME: 0, STATION: 1}.get(p),
        time_s=np.array([[0, 600], [600, 0]]),
        distance_m=np.array([[0, 5000], [5000, 0]]),
    )


def car_record(car: Call, pickup: int, dropoff: int, status=TripStatus.SERVED) -> TripRecord:
    served = status is TripStatus.SERVED
    return TripRecord(
        request_id=car.request_id,
        kind="ride",
        district=car.district,
        status=status,
        reason=None if served else "fully_booked",
        booked_at=car.booked_at,
        asked_time=car.asked_time,
        by_arrival=car.by_arrival,
        party_size=1,
        wheelchairs=0,
        origin=car.origin,
        destination=car.destination,
        direct_time_s=600,
        direct_distance_m=5000,
        promised_start=pickup - 300 if served else None,
        promised_end=pickup + 600 if served else None,
        pickup_time=pickup if served else None,
        dropoff_time=dropoff if served else None,
        vehicle_id="taxi-01" if served else None,
        fare_yen=500 if served else 0,
    )


def test_outbound_feeder_is_timed_to_the_bus_and_keeps_the_connection(mix):
    svc = service()
    call = ride(10 * H, "北部", destination=HOSPITAL)
    f = plan_feeder(mix, call, svc, world())
    assert f is not None and f.outbound
    # leave 10:00, 10 min to the hub, 5 min margin: the first bus from S0 after 10:15
    # is the 10:30 loop (S1 at 10:34); the car must be there by 10:25
    assert f.bus.rides[0].trip_id == "loop-05" and f.bus.depart_s == 10 * H + 1800
    assert f.car.destination == STATION and f.car.arrive_by == 10 * H + 1500
    assert f.car.depart_at is None
    rec, ridden = feeder_record(
        mix, f, car_record(f.car, 10 * H + 700, 10 * H + 1400), svc, {}, world()
    )
    assert rec.status is TripStatus.SERVED and rec.connection == "kept" and ridden == f.bus
    assert (rec.origin, rec.destination, rec.mode) == (HOME, HOSPITAL, "feeder")
    assert rec.pickup_time == 10 * H + 700 and rec.dropoff_time == f.bus.arrive_s
    assert rec.stop_wait_s == (10 * H + 1800) - (10 * H + 1400) + f.bus.wait_s
    assert rec.on_board_s == 700 + f.bus.in_vehicle_s
    assert rec.transfers == 1 and rec.fare_yen == 500 + 200


def test_a_late_car_misses_the_bus_and_the_rider_takes_the_next(mix):
    svc = service()
    f = plan_feeder(mix, ride(10 * H, "北部"), svc, world())
    assert f is not None
    late = car_record(f.car, 10 * H + 1200, 10 * H + 1600)  # 10:26:40: 10:30 - 5 min missed
    rec, ridden = feeder_record(mix, f, late, svc, {}, world())
    assert rec.connection == "missed" and rec.status is TripStatus.SERVED
    assert isinstance(ridden, Journey) and ridden.rides[0].trip_id == "loop-06"
    last = car_record(f.car, 12 * H + 1200, 12 * H + 1600)  # after the last bus
    rec, ridden = feeder_record(mix, f, last, svc, {}, world())
    assert rec.status is TripStatus.UNSERVED and rec.reason == "missed_connection"
    assert rec.connection == "missed" and ridden is None


def test_homeward_feeder_waits_for_the_bus_and_refusals_carry_over(mix):
    svc = service()
    back = replace(ride(10 * H, "北部", origin=HOSPITAL, destination=HOME), request_id="R2")
    f = plan_feeder(mix, back, svc, world())
    assert f is not None and not f.outbound
    bus = plan_journey(svc.index, HOSPITAL, STATION, depart_at=10 * H)
    assert f.bus == bus
    early = mix.dispatch.departure_early_min * 60
    assert f.car.origin == STATION and f.car.depart_at == bus.arrive_s + 300 + early
    rec, _ = feeder_record(
        mix, f, car_record(f.car, bus.arrive_s + 400, bus.arrive_s + 1000), svc, {}, world()
    )
    assert rec.connection == "kept" and rec.pickup_time == bus.depart_s
    assert rec.dropoff_time == bus.arrive_s + 1000
    refused = car_record(f.car, 0, 0, status=TripStatus.REJECTED)
    rec, ridden = feeder_record(mix, f, refused, svc, {}, world())
    assert rec.status is TripStatus.REJECTED and rec.reason == "fully_booked" and ridden is None
    assert rec.mode == "feeder" and rec.connection == ""


def test_no_feeder_without_a_bus_that_suits_or_a_hub(mix):
    svc = service()
    rare = loop_timetable(3 * H)  # the loop at 8:00 and 11:00 only
    sparse = TransitService(rare, index_timetable(rare, JourneyRules()), STATION)
    # leave 10:00 -> the 11:00 bus: the car would come at 10:45, later than 10:00 + 30 min
    assert plan_feeder(mix, ride(10 * H, "北部"), sparse, world()) is None
    assert plan_feeder(mix, ride(10 * H + 1800, "北部"), sparse, world()) is not None
    # arrive by 11:55: the 11:00 bus is there 11:04, more than 45 min early
    early = replace(ride(0, "北部"), depart_at=None, arrive_by=11 * H + 3300)
    assert plan_feeder(mix, early, sparse, world()) is None
    assert plan_feeder(mix, ride(13 * H, "北部"), svc, world()) is None  # no bus after 12:24
    no_hub = TransitService(svc.plan, svc.index, None)
    assert plan_feeder(mix, ride(10 * H, "北部"), no_hub, world()) is None
