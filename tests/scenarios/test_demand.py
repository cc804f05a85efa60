"""Generated demand: believable shapes, reproducible per seed, the same for every fleet."""

from __future__ import annotations

from collections import Counter

import pytest

from routing.graph import load_graph
from routing.speeds import SpeedTable
from scenarios.demand import APPOINTMENT_KINDS, make_demand
from scenarios.districts import distance_m
from scenarios.spec import load_spec
from scenarios.study import INA


@pytest.fixture(scope="module")
def graph(town, graph_cache):
    return load_graph(town, SpeedTable(factor=0.9), cache_dir=graph_cache)


@pytest.fixture(scope="module")
def ina():
    return load_spec(INA.spec_path)


def test_same_seed_same_calls_and_fleet_does_not_matter(ina, graph):
    a = make_demand(ina, 3, graph)
    assert make_demand(ina, 3, graph) == a
    other = ina.with_overrides({"fleet.size": 4, "dispatch.pooling": False})
    assert make_demand(other, 3, graph) == a
    assert make_demand(ina, 4, graph).calls != a.calls


def test_an_ina_weekday_looks_like_one(ina, graph):
    days = [make_demand(ina, seed, graph) for seed in range(4)]
    rides = [[c for c in d.calls if c.kind == "ride"] for d in days]
    orders = [[c for c in d.calls if c.kind == "delivery"] for d in days]
    assert 70 <= sum(map(len, rides)) / 4 <= 105  # ~88 a weekday
    assert 6 <= sum(map(len, orders)) / 4 <= 18
    s = ina.service
    for d in days:
        for c in d.calls:
            if c.kind == "visit":  # the clinic books its visits the day before
                assert c.booked_at == ina.visits.booked_at < 0
                continue
            assert c.booked_at >= ina.booking.opens  # Ina: same-day calls only
            assert c.booked_at < c.asked_time or c.kind == "delivery"
            if c.kind == "ride":
                assert s.start <= c.asked_time <= s.end
                assert c.wheelchairs <= c.party_size <= 2
                assert c.fare_yen in (500, 250, 750, 1000)
                assert c.home in (c.origin, c.destination)
                assert distance_m(ina.area.centre, c.home) <= ina.area.radius_m
                if c.by_arrival:
                    assert c.purpose in APPOINTMENT_KINDS and c.arrive_by % 900 == 0
            else:
                assert c.ready_at == max(12 * 3600, c.booked_at) and 1 <= c.cargo_units <= 3
    all_rides = [c for r in rides for c in r]
    purposes = Counter(c.purpose for c in all_rides)
    assert purposes.most_common(1)[0][0] in ("hospital", "clinic", "supermarket")
    outbound = [c for c in all_rides if c.origin == c.home]
    assert 0.4 < len(outbound) / len(all_rides) < 0.7  # most outings come back
    # the morning queue: the first rides of the day are phoned in at opening time
    first = min(all_rides, key=lambda c: c.asked_time)
    assert first.booked_at - ina.booking.opens < 3 * 3600
    late = [c for o in orders for c in o if c.booked_at > ina.dispatch.order_cutoff]
    assert len(late) <= 0.3 * sum(map(len, orders))
    districts = Counter(c.district for c in all_rides)
    assert "中心市街地" in districts and len(districts) >= 4


def test_shares_follow_the_spec(ina, graph):
    spec = ina.with_overrides(
        {
            "demand.wheelchair_share": 1.0,
            "demand.companion_share": 0.0,
            "demand.by_arrival_share": 1.0,
            "demand.purposes": {"hospital": 1.0},
            "demand.return_share": 0.0,
            "demand.cancel_share": 1.0,
            "demand.advance_share": 1.0,
        }
    )
    calls = [c for c in make_demand(spec, 0, graph).calls if c.kind == "ride"]
    assert calls and all(c.wheelchairs == 1 and c.party_size == 1 for c in calls)
    assert all(c.by_arrival and c.purpose == "hospital" for c in calls)
    assert all(c.cancel_u is not None for c in calls)
    lo, hi = spec.demand.advance_calls
    assert all(lo <= c.booked_at <= hi for c in calls)  # the day before


def test_homes_from_a_population_grid(ina, graph, tmp_path):
    (tmp_path / "pop.csv").write_text(
        "lon,lat,weight\n139.4137,35.6980,100\n139.40,35.72,0\n", encoding="utf-8"
    )
    (tmp_path / "tachikawa_pois.csv").write_text(
        (INA.spec_path.parent / "tachikawa_pois.csv").read_text(encoding="utf-8"), encoding="utf-8"
    )
    data = ina.model_dump()
    data["demand"].update(homes_from="population", population_csv="pop.csv", homes=50)
    from scenarios.spec import build_spec

    spec = build_spec(data, tmp_path)
    demand = make_demand(spec, 0, graph)
    assert len(demand.homes) == 50
    assert all(distance_m((139.4137, 35.6980), h) < 700 for h in demand.homes)


def test_standing_riders_come_on_their_weekdays_besides_the_other_callers(ina, graph):
    tue = ina.with_overrides({"standing": {"on": "2026-12-08"}})  # a Tuesday
    wed = ina.with_overrides({"standing": {"on": "2026-12-09"}})
    plain = make_demand(ina, 3, graph).calls
    days = {name: make_demand(spec, 3, graph).calls for name, spec in (("tue", tue), ("wed", wed))}
    for calls in days.values():
        assert [c for c in calls if not c.request_id.startswith("S")] == list(plain)
    purposes = {
        name: {c.purpose for c in calls if c.request_id.startswith("S")}
        for name, calls in days.items()
    }
    assert purposes["tue"] == {"dialysis"}  # dialysis Tue/Fri, day care Mon/Wed/Fri
    assert purposes["wed"] == {"day_care"}
    standing = [c for c in days["tue"] if c.request_id.startswith("S")]
    assert standing and all(c.booked_at < 0 and c.district for c in standing)  # the evening before
    assert make_demand(tue, 3, graph).calls == days["tue"]  # the same riders again
