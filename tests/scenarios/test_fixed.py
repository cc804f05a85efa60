"""Whole days on the tiny town served by bus, on demand, and by a mix — the same callers.

The buses run `tests.scenarios.transit.loop_timetable` (a loop every 30 min and an
hourly trunk line from the station, the hub).
"""

from __future__ import annotations

import math

import pytest

from routing.transit.journeys import NoJourney
from scenarios.buses import BUS_TYPE
from scenarios.results import TripStatus
from scenarios.simulate import simulate_day
from tests.scenarios.tiny import tiny_spec
from tests.scenarios.transit import loop_timetable

H = 3600
MIX = {
    "transit.mix.on_demand_hours": [["09:30", "11:00"]],
    "transit.mix.feeder_districts": ["北部"],
    "transit.mix.hub": "S0",
}


@pytest.fixture(scope="module")
def days(tmp_path_factory, town, graph_cache):
    folder = tmp_path_factory.mktemp("fixed")
    out = {}
    for serve in ("fixed", "drt", "mix"):
        spec = tiny_spec(
            folder,
            town,
            transit__feed=".",
            transit__service_date="2026-12-07",
            transit__serve=serve,
            demand__rides_per_day=30,
            **MIX,
        )
        out[serve] = simulate_day(
            spec, 3, data_dir=town.parent, cache_dir=graph_cache, timetable=loop_timetable()
        )
    return out


def test_every_option_counts_the_same_callers(days):
    ids = {serve: [t.request_id for t in d.trips] for serve, d in days.items()}
    assert ids["fixed"] == ids["drt"] == ids["mix"] and len(ids["fixed"]) > 20
    kinds = {serve: [(t.kind, t.district) for t in d.trips] for serve, d in days.items()}
    assert kinds["fixed"] == kinds["drt"] == kinds["mix"]


def test_a_bus_day_walks_waits_and_rides_or_says_why_not(days):
    day = days["fixed"]
    reasons = {r.value for r in NoJourney} | {"no_on_demand_service"}
    assert all(v.vehicle_type == BUS_TYPE for v in day.vehicles)  # no car runs
    assert day.kpis["served_by_fixed"] > 0 and day.kpis["served_by_drt"] == 0
    for t in day.trips:
        assert t.mode == "fixed"
        if t.kind != "ride":
            assert t.status is TripStatus.REJECTED and t.reason == "no_on_demand_service"
        elif t.status is TripStatus.SERVED:
            assert t.walk_m <= 2 * 500 + 2 * 200  # two walks to stops, up to two changes
            assert t.door_to_door_s == t.walk_s + t.on_board_s + t.stop_wait_s
            assert t.on_board_s > 0 and t.vehicle_id.startswith("bus-")
            assert t.within_promise  # buses run to the timetable
            if t.by_arrival:
                assert t.dropoff_time <= t.asked_time
            else:
                assert t.pickup_time >= t.asked_time
        elif t.status is TripStatus.REJECTED:
            assert t.reason in reasons
    hours = sum(v.hours for v in day.vehicles)
    assert day.kpis["cost_yen"] == pytest.approx(hours * 6000)
    assert day.kpis["co2_kg"] == pytest.approx(day.kpis["vehicle_km"] * 0.65)
    for key in ("stop_coverage_300m_share", "stop_coverage_500m_share", "coverage_share"):
        assert 0 <= day.kpis[key] <= 1
    assert day.kpis["stop_coverage_300m_share"] <= day.kpis["stop_coverage_500m_share"]
    assert day.kpis["on_demand_coverage_share"] == 0


def test_on_demand_only_runs_no_bus(days):
    day = days["drt"]
    assert not any(v.vehicle_type == BUS_TYPE for v in day.vehicles)
    assert day.kpis["stop_coverage_500m_share"] == 0 and day.kpis["coverage_share"] == 1
    assert all(t.mode == "drt" and t.walk_m == 0 for t in day.trips)
    assert day.kpis["plan_violations"] == 0


def test_a_mix_splits_by_hour_and_district_and_feeders_connect(days):
    day = days["mix"]
    assert {v.vehicle_type for v in day.vehicles} >= {BUS_TYPE, "taxi"}
    for t in day.trips:
        if t.kind == "ride" and not 9 * H + 1800 <= t.asked_time < 11 * H:
            assert t.mode == "fixed"
        if t.mode == "feeder":
            assert t.district == "北部"
            if t.status is TripStatus.SERVED:
                assert t.connection == "kept" and t.transfers >= 1
    kept = day.kpis.get("feeder_connections_kept", 0)
    assert kept == sum(t.connection == "kept" for t in day.trips)
    assert day.kpis["feeder_connections_missed"] == 0
    assert day.kpis["plan_violations"] == 0
    assert not math.isnan(day.kpis["mean_door_to_door_min"])
