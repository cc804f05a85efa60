"""Community halls, drones and clinic visits in scenario days: the spec's sections,
their checks, and whole days that hand orders over at halls."""

from __future__ import annotations

import pytest

from routing.errors import InputError
from scenarios.demand import make_demand
from scenarios.results import TripStatus
from scenarios.simulate import simulate_day
from scenarios.world import road_graph

HALL = {"name": "錦町公民館", "at": [139.4150, 35.6960], "opening": [["09:00", "11:30"]]}


def with_halls(tiny, **more):
    return tiny.with_overrides({"halls": [HALL], "demand.deliveries_per_day": 6, **more})


def test_orders_by_the_town_rule_or_the_callers_choice_go_to_the_nearest_hall(
    tiny, town, graph_cache
):
    graph = road_graph(tiny, town.parent, graph_cache)
    base = make_demand(tiny, 3, graph)
    spec = with_halls(tiny, **{"deliveries.hall_share": 1.0, "fares.hall_fee_yen": 100})
    calls = make_demand(spec, 3, graph).calls
    orders = [c for c in calls if c.kind == "delivery"]
    assert orders and all(c.hall == "錦町公民館" and c.fare_yen == 100 for c in orders)
    assert all(0.5 <= c.weight_kg <= 8.0 for c in orders)
    # adding halls leaves the rides of a seed as they were
    rides = [c for c in calls if c.kind == "ride"]
    assert rides == [c for c in base.calls if c.kind == "ride"]
    districts = sorted({c.district for c in orders})
    by_rule = with_halls(tiny, **{"deliveries.hall_districts": districts[:1]})
    ruled = [c for c in make_demand(by_rule, 3, graph).calls if c.kind == "delivery"]
    assert {c.hall is not None for c in ruled if c.district == districts[0]} == {True}
    assert {c.hall for c in ruled if c.district not in districts[:1]} <= {None}


def test_a_day_with_a_hall_hands_orders_over_there_within_the_slot(tiny, town, graph_cache):
    spec = with_halls(tiny, **{"deliveries.hall_share": 1.0, "deliveries.ready_at": "09:00"})
    day = simulate_day(spec, 2, data_dir=town.parent, cache_dir=graph_cache, variant="halls")
    orders = [t for t in day.trips if t.kind == "delivery"]
    served = [t for t in orders if t.status is TripStatus.SERVED]
    assert served, [t.reason for t in orders]
    at_hall = [t for t in served if t.hand_over == "hall"]
    assert at_hall  # the rest took the door, the alternative offered for a full hall
    for t in served:
        assert t.within_promise
    for t in at_hall:
        assert t.hall == "錦町公民館" and 9 * 3600 <= t.dropoff_time <= 11 * 3600 + 1800
    assert {t.hand_over for t in served} <= {"hall", "door"}
    assert day.kpis["plan_violations"] == 0


SHOP = [139.4175, 35.6945]  # the tiny town's supermarket
PAD = {**HALL, "name": "柴崎公民館", "at": [139.4075, 35.6935], "drone_pad": True}
DRONES = {
    "bases": [{"name": "錦町", "at": SHOP}],
    "fleet": [{"base": "錦町", "count": 1, "payload_kg": 5.0, "range_km": 14.0}],
}


def drone_day(tiny, town, graph_cache, **more):
    spec = tiny.with_overrides(
        {
            "halls": [PAD],
            "drones": DRONES,
            "demand.deliveries_per_day": 6,
            "deliveries.hall_share": 1.0,
            "deliveries.ready_at": "09:00",
            "deliveries.weight_kg": [0.5, 3.0],
            **more,
        }
    )
    return simulate_day(spec, 2, data_dir=town.parent, cache_dir=graph_cache, variant="drones")


def test_light_orders_to_a_pad_fly_and_are_counted(tiny, town, graph_cache):
    day = drone_day(tiny, town, graph_cache)
    flown = [t for t in day.trips if t.hand_over == "drone"]
    assert flown, [(t.status, t.reason, t.hand_over) for t in day.trips if t.kind == "delivery"]
    for t in flown:
        assert t.status is TripStatus.SERVED and t.within_promise
        assert t.vehicle_id == "錦町-drone-1" and t.pickup_time < t.dropoff_time
    assert day.kpis["orders_flown"] == len(flown) == day.kpis["drone_flights"]
    assert day.kpis["drone_km"] > 0 and day.kpis["plan_violations"] == 0


def test_weather_all_day_sends_every_order_by_van(tiny, town, graph_cache):
    day = drone_day(tiny, town, graph_cache, **{"drones.grounded": [["08:30", "12:00"]]})
    orders = [t for t in day.trips if t.kind == "delivery" and t.status is TripStatus.SERVED]
    assert orders and "hall" in {t.hand_over for t in orders}
    assert {t.hand_over for t in orders} <= {"hall", "door"}
    assert day.kpis["orders_flown"] == 0 == day.kpis["drone_flights"]
    assert all(t.within_promise for t in orders) and day.kpis["plan_violations"] == 0


@pytest.mark.parametrize(
    ("changes", "key", "words"),
    [
        ({"deliveries.hall_share": 0.5}, "deliveries", "need [[halls]]"),
        (
            {"halls": [{**HALL, "opening": [["10:00", "12:00"], ["11:00", "13:00"]]}]},
            "halls.0.opening.1",
            "overlaps",
        ),
        (
            {"drones": {"bases": [{"name": "b", "at": [139.41, 35.70]}], "fleet": [{"base": "x"}]}},
            "drones.fleet.0.base",
            "no drone base",
        ),
        ({"visits.per_day": 3}, "visits.feature", "no vehicle group offers 'nurse'"),
    ],
)
def test_bad_service_points_name_the_key(tiny, changes, key, words):
    with pytest.raises(InputError) as err:
        tiny.with_overrides(changes)
    assert key in str(err.value) and words in str(err.value)


def test_a_hall_off_the_map_is_named(tiny, town, graph_cache):
    spec = tiny.with_overrides({"halls": [{**HALL, "at": [140.5, 36.5]}]})
    with pytest.raises(InputError, match=r"halls\.0"):
        simulate_day(spec, 1, data_dir=town.parent, cache_dir=graph_cache)


def test_clinic_visits_are_made_in_their_window_by_the_nurse_car(tiny, town, graph_cache):
    groups = [dict(g) for g in tiny.model_dump()["fleet"]["vehicles"]]
    groups[0]["features"] = ["nurse"]
    spec = tiny.with_overrides(
        {
            "fleet.vehicles": groups,
            "visits.per_day": 3,
            "visits.hours": ["09:15", "10:00"],
            "visits.duration_min": [30, 30],
        }
    )
    day = simulate_day(spec, 4, data_dir=town.parent, cache_dir=graph_cache, variant="visits")
    visits = [t for t in day.trips if t.kind == "visit"]
    assert visits and day.kpis["visit_requests"] == len(visits)
    made = [t for t in visits if t.status is TripStatus.SERVED]
    assert made and all(t.within_promise and t.vehicle_id.startswith("van") for t in made)
    assert day.kpis["visits_made"] == len(made)
    assert day.kpis["visits_within_window_share"] == 1.0
    assert 0 < day.kpis["nurse_car_utilisation"] <= 1
    assert day.kpis["plan_violations"] == 0


def test_a_fixed_group_runs_outside_the_fleet_size(tiny):
    groups = [dict(g) for g in tiny.model_dump()["fleet"]["vehicles"]]
    clinic = {**groups[0], "type": "clinic_car", "count": 1, "features": ["nurse"], "fixed": True}
    spec = tiny.with_overrides({"fleet.vehicles": [clinic, *groups], "fleet.size": 1})
    assert [g.type for g in spec.fleet.chosen()] == [groups[0]["type"], "clinic_car"]
    with pytest.raises(InputError, match=r"fleet\.size"):
        tiny.with_overrides({"fleet.vehicles": [clinic, *groups], "fleet.size": 4})
