"""Forecasts of lateness meet their outcomes: by hand on the test line, and on a noisy day."""

from __future__ import annotations

import pytest

from dispatch.calibration import reliability
from dispatch.live import LiveConfig, LiveDay
from dispatch.model import TimeWindow, Vehicle
from dispatch.noise import NoiseConfig
from dispatch.quote import RideAsk
from scenarios.forecasts import BINS, Forecasts, bin_key, bin_kpis
from tests.dispatch.instances import HOUR, line_matrix
from tests.scenarios.test_noisy import BUSY, serve

T, D = line_matrix([0, 600, 1200, 1800, 2400, 3000, 6000])
H8, H9 = 8 * HOUR, 9 * HOUR


def line_day() -> LiveDay:
    car = Vehicle("v1", 0, 0, TimeWindow(H8, 14 * HOUR), (2, 0, 2), fixed_cost=1000)
    return LiveDay(T, D, [car], now=H8, config=LiveConfig())


def book(day: LiveDay, ask: RideAsk) -> str:
    q = day.quote(ask)
    assert q.ok
    day.confirm(q.booking_id)
    return q.booking_id


def test_bins_pool_as_sums():
    table = reliability([0.05, 0.15, 0.95], [False, True, True], bins=BINS)
    k = bin_kpis(table)
    assert k[bin_key(0, "n")] == 2 and k[bin_key(0, "late")] == 1
    assert k[bin_key(0, "p_sum")] == pytest.approx(0.2)
    assert k[bin_key(4, "n")] == 1 and k[bin_key(4, "late")] == 1
    assert sum(k[bin_key(b, "n")] for b in range(BINS)) == 3


def test_a_stop_done_in_time_is_on_time_and_a_cancelled_one_has_no_outcome():
    day = line_day()
    kept = book(day, RideAsk(1, 3, depart_at=H9))
    gone = book(day, RideAsk(2, 4, depart_at=H9 + 1800))
    f = Forecasts(NoiseConfig())
    f.record(day)
    assert {x.booking_id for x in f.made} == {kept, gone}
    assert {x.kind for x in f.made} == {"pickup", "dropoff"}
    assert all(0 <= x.probability <= 1 and x.at == H8 for x in f.made)
    day.cancel(gone)
    day.advance_to(14 * HOUR)  # driven exactly as planned: on time
    pairs = f.outcomes(day)
    assert {x.booking_id for x, _ in pairs} == {kept}
    assert not any(late for _, late in pairs)
    k = f.kpis(day)
    assert k["risk_forecasts"] == 2 and k["risk_base_rate"] == 0
    assert k["risk_brier"] == pytest.approx(sum(x.probability**2 for x, _ in pairs) / 2)


def test_forecasts_of_a_noisy_day_meet_the_stops_as_done(tiny, town, graph_cache):
    run = serve(tiny.with_overrides(BUSY), 1, town, graph_cache)
    f = run.forecasts
    assert f is not None and f.made
    starts = {}
    for v in run.live.fleet:
        for d in run.live.history(v.id):
            if d.request_id is not None:
                starts.setdefault((d.request_id, d.kind), d.start)
    pairs = f.outcomes(run.live)
    for x, late in pairs:
        start = starts.get((x.booking_id, x.kind))
        assert late == (start is None or start > x.deadline)
    k = run.noise_kpis()
    assert k["risk_forecasts"] == len(pairs)
    assert sum(k[bin_key(b, "n")] for b in range(BINS)) == len(pairs)
    assert sum(k[bin_key(b, "late")] for b in range(BINS)) == pytest.approx(
        sum(late for _, late in pairs)
    )
    assert k["risk_flagged_late"] <= k["risk_flagged_stops"]
