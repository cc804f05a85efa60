"""KPIs by hand: a day small enough to compute every number on paper."""

from __future__ import annotations

import math

import pytest

from scenarios.metrics import (
    KPI_LABELS,
    LATENESS_BINS,
    TABLE_ONLY_PREFIXES,
    CostModel,
    VehicleCosts,
    day_kpis,
    district_rows,
    lateness_kpis,
)
from scenarios.results import (
    DayResult,
    LegRecord,
    StopRecord,
    TripRecord,
    TripStatus,
    VehicleRecord,
)
from tests.scenarios.days import make_day

H = 3600


def trip(rid, status, *, district="中心", pickup=None, ride=None, shared=False, kind="ride", **kw):
    base = dict(
        request_id=rid,
        kind=kind,
        district=district,
        status=status,
        reason=kw.pop("reason", None),
        booked_at=8 * H,
        asked_time=10 * H,
        by_arrival=False,
        party_size=kw.pop("party_size", 1),
        wheelchairs=0,
        origin=(139.0, 35.0),
        destination=(139.01, 35.0),
        direct_time_s=600,
        direct_distance_m=5000,
        promised_start=10 * H - 300,
        promised_end=10 * H + 600,
        pickup_time=pickup,
        dropoff_time=None if pickup is None else pickup + ride,
        shared=shared,
        fare_yen=kw.pop("fare_yen", 0),
    )
    base.update(kw)
    return TripRecord(**base)


def vehicle(vid, kind, legs):
    stops = (StopRecord(legs[0].depart, "depot", None, (139.0, 35.0), 0),) if legs else ()
    if legs:
        stops += (StopRecord(legs[-1].arrive, "depot", None, (139.0, 35.0), 0),)
    return VehicleRecord(vid, kind, 4, 9 * H, 15 * H, stops, tuple(legs))


@pytest.fixture
def day():
    trips = [
        trip(
            "a", TripStatus.SERVED, pickup=10 * H, ride=900, shared=True, party_size=2, fare_yen=750
        ),
        trip("b", TripStatus.SERVED, pickup=10 * H + 900, ride=600, fare_yen=500),  # late
        trip("c", TripStatus.REJECTED, reason="fully_booked"),
        trip("d", TripStatus.CANCELLED, reason="caller_cancelled"),
        trip("e", TripStatus.NO_SHOW, reason="rider_absent"),
        trip(
            "f",
            TripStatus.SERVED,
            district="北部",
            kind="delivery",
            pickup=10 * H - 3600,
            ride=1800,
        ),
    ]
    vans = [
        vehicle(
            "v1",
            "van",
            [LegRecord(9 * H, 9 * H + 600, 4000, 0), LegRecord(10 * H, 10 * H + 900, 6000, 3)],
        ),
        vehicle("t1", "taxi", []),
    ]
    return DayResult("s", "v", 0, trips=trips, vehicles=vans)


def test_kpis_by_hand(day):
    costs = CostModel({"van": VehicleCosts(3500, 40, 1000, 200)})
    k = day_kpis(day, costs)
    assert k["requests"] == 6 and k["ride_requests"] == 5 and k["delivery_orders"] == 1
    # counted: a, b, c, f (d cancelled, e absent)
    assert k["served_share"] == pytest.approx(3 / 4)
    # within: a (10:00 in 9:55-10:10); b late (10:15); f delivered 9:30 in 9:55..10:10? no
    assert k["within_promise_share"] == pytest.approx(1 / 4)
    assert k["rejected_share"] == pytest.approx(1 / 4) and k["rejected_fully_booked"] == 1
    assert (k["cancelled"], k["no_shows"], k["unserved"]) == (1, 1, 0)
    assert k["passengers"] == 3 and k["served_rides"] == 2 and k["served_deliveries"] == 1
    assert k["mean_ride_time_min"] == pytest.approx(12.5)
    assert k["mean_detour_ratio"] == pytest.approx((1.5 + 1.0) / 2)
    assert k["shared_ride_share"] == pytest.approx(0.5)
    assert k["mean_wait_vs_promise_min"] == pytest.approx((5 + 20) / 2)
    assert k["vehicle_hours"] == 12 and k["vehicles_used"] == 1
    assert k["vehicle_km"] == pytest.approx(10) and k["empty_km_share"] == pytest.approx(0.4)
    # van: 6 h x 3500 + 10 km x 40 + 1000; taxi (default costs): 6 h x 3000
    assert k["cost_yen"] == pytest.approx(21_000 + 400 + 1000 + 18_000)
    assert k["cost_per_trip_yen"] == pytest.approx(k["cost_yen"] / 3)
    assert k["fare_revenue_yen"] == 1250
    assert k["net_cost_per_trip_yen"] == pytest.approx((k["cost_yen"] - 1250) / 3)
    assert k["co2_kg"] == pytest.approx(10 * 200 / 1000)
    assert k["passengers_per_vehicle_hour"] == pytest.approx(3 / 12)
    assert set(k) <= set(KPI_LABELS)  # every KPI has its bilingual label


def test_districts_and_fairness(day):
    rows = {r["district"]: r for r in district_rows(day.trips)}
    assert rows["中心"]["requests"] == 5 and rows["中心"]["requests_counted"] == 3
    assert rows["中心"]["within_promise_share"] == pytest.approx(1 / 3)
    assert rows["北部"]["served_share"] == 1.0
    k = day_kpis(day)
    assert math.isnan(k["worst_district_within_promise_share"])  # too few requests anywhere


def test_an_empty_day_has_no_shares_but_no_errors():
    k = day_kpis(DayResult("s", "v", 0))
    assert (
        k["requests"] == 0 and math.isnan(k["served_share"]) and math.isnan(k["cost_per_trip_yen"])
    )


def test_fixture_days_agree_with_their_own_figures():
    d = make_day(seed=2)
    k = day_kpis(d)
    assert k["vehicle_km"] == pytest.approx(d.kpis["vehicle_km"])
    assert k["vehicle_hours"] == pytest.approx(d.kpis["vehicle_hours"])


def test_journey_kpis_by_hand():
    """A car ride, a bus journey and a feeder trip, each checked on paper."""
    car = trip("c", TripStatus.SERVED, pickup=10 * H + 300, ride=900)  # 5 min after asked
    bus = trip(
        "b",
        TripStatus.SERVED,
        pickup=10 * H + 1200,  # leaves home 20 min after the asked time
        ride=2400,
        mode="fixed",
        walk_m=600,
        walk_s=720,
        stop_wait_s=300,
        transfers=1,
    )
    feeder = trip(
        "f",
        TripStatus.SERVED,
        pickup=10 * H,
        ride=1800,
        mode="feeder",
        walk_m=100,
        walk_s=120,
        stop_wait_s=480,
        connection="kept",
    )
    stranded = trip(
        "s", TripStatus.UNSERVED, reason="missed_connection", mode="feeder", connection="missed"
    )
    assert bus.door_to_door_s == 2400 and bus.on_board_s == 2400 - 720 - 300
    assert bus.wait_s == 1200 + 300 and car.wait_s == 300 and feeder.wait_s == 480
    assert stranded.wait_s is None and stranded.door_to_door_s is None
    k = day_kpis(DayResult("s", "v", 0, trips=[car, bus, feeder, stranded]))
    assert (k["served_by_drt"], k["served_by_fixed"], k["served_by_feeder"]) == (1, 1, 1)
    assert k["mean_door_to_door_min"] == pytest.approx((900 + 2400 + 1800) / 3 / 60)
    assert k["mean_wait_min"] == pytest.approx((300 + 1500 + 480) / 3 / 60)
    assert k["mean_walk_m"] == pytest.approx(700 / 3)
    assert k["mean_ride_time_min"] == pytest.approx((900 + 1380 + 1200) / 3 / 60)  # on board
    assert (k["feeder_connections_kept"], k["feeder_connections_missed"]) == (1, 1)
    assert k["feeder_stranded"] == 1
    assert "feeder_connections_kept" not in day_kpis(DayResult("s", "v", 0, trips=[car]))
    for key in ("mean_door_to_door_min", "mean_wait_min", "coverage_share", "feeder_stranded"):
        assert key in KPI_LABELS


def test_buses_cost_by_the_timetable_hour(tiny):
    from scenarios.buses import BUS_TYPE

    spec = tiny.with_overrides({"transit.bus_cost_yen_per_hour": 5000})
    model = CostModel.of(spec)
    assert model.by_type[BUS_TYPE] == VehicleCosts(5000, 0, 0, 650)
    bus = vehicle("bus-01", BUS_TYPE, [LegRecord(9 * H, 9 * H + 600, 10_000, 3)])
    k = day_kpis(DayResult("s", "v", 0, vehicles=[bus]), model)
    assert k["cost_yen"] == pytest.approx(6 * 5000) and k["co2_kg"] == pytest.approx(6.5)


def test_lateness_against_the_promise_end_by_hand():
    # promised window ends 10:10; pickups 10:05 (5 min early), 10:10 (on the edge),
    # 10:13 (3 min late), 10:22 (12 min late)
    end = 10 * H + 600
    rides = [
        trip(f"R{k}", TripStatus.SERVED, pickup=end + dt, ride=600)
        for k, dt in enumerate((-300, 0, 180, 720))
    ]
    k = lateness_kpis(rides)
    assert k["pickup_late_share"] == 0.5
    assert k["pickup_late_p50_min"] == 0.0  # nearest rank: the 2nd of 0, 0, 3, 12
    assert k["pickup_late_p90_min"] == 12.0
    assert k["pickup_late_max_min"] == 12.0
    counts = {key: k[key] for key, *_ in LATENESS_BINS}
    assert counts["pickup_margin_bin_early_5"] == 1  # -5 min: in (-10, -5]
    assert counts["pickup_margin_bin_early_0"] == 1  # exactly at the end: in (-5, 0]
    assert counts["pickup_margin_bin_late_5"] == 1
    assert counts["pickup_margin_bin_late_more"] == 1
    assert sum(counts.values()) == 4


def test_lateness_of_no_ride_is_nan_not_zero():
    k = lateness_kpis([])
    assert math.isnan(k["pickup_late_share"]) and math.isnan(k["pickup_late_max_min"])


def test_every_new_kpi_has_a_label_or_is_a_table_bin():
    for key in lateness_kpis([]):
        assert key in KPI_LABELS or key.startswith(TABLE_ONLY_PREFIXES)
