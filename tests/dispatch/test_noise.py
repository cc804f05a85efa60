"""The noise model: hand-checkable moments, peaks, road classes, parties, validation."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dispatch.errors import InputError
from dispatch.noise import (
    Delay,
    Lognormal,
    NoiseConfig,
    arterial_share,
    driver_late,
    is_peak,
    rider_not_ready,
    service,
    travel,
)

HOUR = 3600
CFG = NoiseConfig()


def test_a_lognormal_without_spread_is_its_median():
    x = Lognormal(100.0, 0.0)
    assert x.mean == 100.0 and x.var == 0.0
    assert np.all(x.sample(np.random.default_rng(0), 5) == 100.0)


def test_lognormal_moments_are_the_closed_forms_and_match_samples():
    x = Lognormal(600.0, 0.5)
    assert x.mean == pytest.approx(600 * math.exp(0.125))
    assert x.var == pytest.approx(600**2 * math.exp(0.25) * (math.exp(0.25) - 1))
    s = x.sample(np.random.default_rng(1), 200_000)
    assert s.mean() == pytest.approx(x.mean, rel=0.01)
    assert s.var() == pytest.approx(x.var, rel=0.03)
    assert np.median(s) == pytest.approx(600, rel=0.01)


def test_a_delay_that_may_not_happen_has_mixture_moments():
    d = Delay(0.5, Lognormal(60.0, 0.0))  # half the time one minute
    assert d.mean == 30.0
    assert d.var == 900.0  # 0.5 * 3600 - 30**2
    s = d.sample(np.random.default_rng(2), 100_000)
    assert set(np.unique(s)) == {0.0, 60.0}
    assert s.mean() == pytest.approx(30, rel=0.02)
    assert Delay(0.0, Lognormal(60.0, 1.0)).sample(np.random.default_rng(0), 10).sum() == 0


@given(
    p=st.floats(0, 1),
    median=st.floats(0, 3600),
    sigma=st.floats(0, 2),
)
def test_a_delay_never_has_negative_variance_nor_exceeds_its_amount(p, median, sigma):
    d = Delay(p, Lognormal(median, sigma))
    assert d.var >= -1e-6 * max(1.0, d.amount.mean**2)
    assert 0 <= d.mean <= d.amount.mean + 1e-9


def test_peaks_are_the_morning_and_evening_hours_end_excluded():
    assert is_peak(CFG, 7 * HOUR) and is_peak(CFG, 8 * HOUR + 3599)
    assert not is_peak(CFG, 9 * HOUR) and not is_peak(CFG, 12 * HOUR)
    assert is_peak(CFG, 16 * HOUR) and not is_peak(CFG, 19 * HOUR)


def test_the_road_class_share_follows_the_legs_average_speed():
    assert arterial_share(CFG, 400, 3000) == 0.0  # 27 km/h: residential streets
    assert arterial_share(CFG, 270, 3000) == 1.0  # 40 km/h: a 国道
    assert arterial_share(CFG, 360, 3350) == pytest.approx(0.5)  # 33.5 km/h, halfway
    assert arterial_share(CFG, 0, 0) == 0.0


def test_travel_spreads_more_at_peaks_and_on_arterials():
    residential_noon = travel(CFG, 12 * HOUR, 400, 3000)
    arterial_noon = travel(CFG, 12 * HOUR, 270, 3000)
    arterial_peak = travel(CFG, 8 * HOUR, 270, 3000)
    assert residential_noon == Lognormal(400.0, 0.12)
    assert arterial_noon == Lognormal(270.0, 0.15)
    assert arterial_peak == Lognormal(270 * 1.05, 0.30)
    assert travel(CFG, 8 * HOUR, 400, 3000).sigma == 0.18


def test_boarding_spreads_more_with_companions_and_most_with_a_wheelchair():
    alone, party, chair = service(CFG, 60), service(CFG, 60, 2), service(CFG, 180, 2, 1)
    assert (alone.sigma, party.sigma, chair.sigma) == (0.30, 0.40, 0.50)
    assert chair.median == 180.0


def test_late_drivers_and_riders_not_ready_come_from_the_config():
    cfg = NoiseConfig(driver_late_p=0.2, driver_late_median_s=300, rider_late_p=0.0)
    assert driver_late(cfg) == Delay(0.2, Lognormal(300, 0.7))
    assert rider_not_ready(cfg).mean == 0.0


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"driver_late_p": 1.5}, "driver_late_p"),
        ({"arterial_sigma_peak": -0.1}, "arterial_sigma_peak"),
        ({"travel_median": 0}, "travel_median"),
        ({"arterial_kmh": 20.0}, "arterial_kmh"),
        ({"peak_hours": ((9, 7),)}, "peak_hours"),
        ({"rider_late_median_s": True}, "rider_late_median_s"),
    ],
)
def test_a_bad_config_names_its_field(changes, field):
    with pytest.raises(InputError, match=field):
        NoiseConfig(**changes)


def test_a_scenario_spec_can_store_and_fill_the_config():
    cfg = NoiseConfig(peak_hours=((6, 8),), rider_late_p=0.3)
    plain = cfg.to_plain()
    assert plain["peak_hours"] == [[6, 8]]
    assert NoiseConfig.from_plain(plain) == cfg
    assert NoiseConfig.from_plain({"driver_late_p": 0.0}) == NoiseConfig(driver_late_p=0.0)


def test_a_simulated_day_draws_whole_seconds_from_its_seeded_generator():
    leg = travel(CFG, 8 * HOUR, 600, 6000)
    a = [leg.draw_s(np.random.default_rng(11)) for _ in range(2)]
    assert a[0] == a[1] and isinstance(a[0], int) and a[0] > 0
    rng = np.random.default_rng(12)
    draws = [leg.draw_s(rng) for _ in range(2000)]
    assert np.median(draws) == pytest.approx(leg.median, rel=0.02)
    late = Delay(0.25, Lognormal(120.0, 0.0))
    rng = np.random.default_rng(13)
    got = [late.draw_s(rng) for _ in range(2000)]
    assert set(got) == {0, 120} and 0.2 < got.count(120) / 2000 < 0.3
