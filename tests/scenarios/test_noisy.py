"""Noisy days on the tiny town: cars start every stop when they really get there and say
so through the live day's events, every promise broken is reported, the callers are the
same with and without noise, the same seed gives the same day."""

from __future__ import annotations

import pytest

from dispatch.events import BookingStatus
from scenarios.demand import make_demand
from scenarios.simulate import serve_day, simulate_day
from scenarios.world import build_world, road_graph

BUSY = {"noise.enabled": True, "demand.rides_per_day": 30, "dispatch.serve_late": True}


def serve(spec, seed, town, cache):
    graph = road_graph(spec, town.parent, cache)
    demand = make_demand(spec, seed, graph)
    world = build_world(spec, graph, demand.points(), pooling=spec.dispatch.pooling)
    return serve_day(spec, world, demand, None, seed).run


@pytest.fixture(scope="module")
def noisy(tiny):
    return tiny.with_overrides(BUSY)


@pytest.fixture(scope="module", params=[0, 1])
def run(request, noisy, town, graph_cache):
    return serve(noisy, request.param, town, graph_cache)


def test_cars_start_every_stop_when_they_really_get_there(run):
    n = run.noisy
    assert n is not None and len(n.arrived) >= 20
    assert n.delay_reports > 0 and n.position_reports > 0  # late and early, both told
    done = {}
    for v in run.live.fleet:
        for d in run.live.history(v.id):
            if d.request_id is not None:
                done.setdefault((v.id, d.request_id, d.kind), d.start)
    legs = [key for key in n.arrived if key in done]
    assert len(legs) >= 20
    assert all(done[key] == n.arrived[key] for key in legs)


def test_every_stop_after_its_promise_is_a_reported_broken_promise(run):
    live = run.live
    broken = {bp.booking_id for bp in live.broken_promises}
    late = set()
    for v in live.fleet:
        for d in live.history(v.id):
            promise = live.promise(d.request_id) if d.request_id else None
            if promise is None:
                continue
            if d.kind == "pickup" and promise.pickup_breach(d.start):
                late.add(d.request_id)
            if d.kind in ("dropoff", "visit") and promise.arrival_breach(d.start):
                late.add(d.request_id)
    assert late <= broken
    kpis = run.noise_kpis()
    made = len(list(live.ledger))
    assert kpis["promises_made"] == made
    assert kpis["promises_kept_share"] == pytest.approx(1 - kpis["promises_broken"] / made)
    assert live.check().ok()


def test_a_day_without_noise_keeps_every_promise_and_has_no_noise_figures(tiny, town, graph_cache):
    run = serve(tiny.with_overrides({**BUSY, "noise.enabled": False}), 0, town, graph_cache)
    assert run.noisy is None and run.noise_kpis() == {}
    assert not run.live.broken_promises


def test_noise_changes_the_driving_not_the_callers(tiny, town, graph_cache):
    days = [
        simulate_day(
            tiny.with_overrides({**BUSY, "noise.enabled": on}),
            3,
            data_dir=town.parent,
            cache_dir=graph_cache,
        )
        for on in (False, True)
    ]
    calls = [[(t.request_id, t.booked_at, t.asked_time, t.origin) for t in d.trips] for d in days]
    assert calls[0] == calls[1]
    pickups = [[t.pickup_time for t in d.trips] for d in days]
    assert pickups[0] != pickups[1]
    assert "delay_reports" not in days[0].kpis and days[1].kpis["delay_reports"] > 0


def test_same_seed_same_noisy_day(noisy, town, graph_cache):
    a, b = (serve(noisy, 2, town, graph_cache) for _ in range(2))
    assert a.noisy.arrived == b.noisy.arrived
    assert a.noise_kpis() == pytest.approx(b.noise_kpis(), nan_ok=True)
    statuses = [[x.status for x in r.live.bookings()] for r in (a, b)]
    assert statuses[0] == statuses[1]
    assert BookingStatus.DONE in statuses[0]
