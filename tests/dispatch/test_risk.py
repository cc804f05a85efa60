"""Lateness risk: Clark's max, propagation along a chain, reasons, the live day, the policy.

Hand-built chains use the noise model's distributions directly; the live day is the
straight road of `tests.dispatch.test_live` (location i at ``POS[i]`` seconds from
the depot).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dispatch.errors import InputError
from dispatch.live.ledger import Promise
from dispatch.model import TimeWindow
from dispatch.noise import Delay, Lognormal, NoiseConfig
from dispatch.quote import RideAsk
from dispatch.result import StepKind
from dispatch.risk import (
    Chain,
    Leg,
    RiskPolicy,
    RiskReason,
    behind,
    chain_risks,
    chains,
    clark_max,
    day_risks,
    deadline,
    flagged,
    observed_late,
    sample_starts,
)
from tests.dispatch.test_live import H9, book, new_day

QUIET = NoiseConfig(driver_late_p=0.0, rider_late_p=0.0)


def leg(
    travel_s: float, sigma: float, deadline_s: int | None, *, earliest: int = 0, rid: str = "r"
) -> Leg:
    return Leg(
        rid,
        StepKind.PICKUP,
        Lognormal(travel_s, sigma),
        earliest,
        deadline_s,
        Lognormal(60.0, 0.0),
        None,
        0,
    )


def chain(*legs: Leg, ready: int = 0, behind: int = 0, start: Delay | None = None) -> Chain:
    return Chain("v1", ready, start, behind, legs)


# -- Clark's max -------------------------------------------------------------------------


def test_clark_max_of_a_standard_normal_and_its_mean():
    m, v = clark_max(0.0, 1.0, 0.0)
    assert m == pytest.approx(1 / math.sqrt(2 * math.pi))  # phi(0)
    assert v == pytest.approx(0.5 - 1 / (2 * math.pi))  # E[max²] = 1/2


def test_clark_max_far_from_the_constant_is_one_side():
    assert clark_max(1000.0, 100.0, 0.0) == pytest.approx((1000.0, 100.0))
    assert clark_max(0.0, 100.0, 1000.0) == pytest.approx((1000.0, 0.0), abs=1e-9)
    assert clark_max(5.0, 0.0, 3.0) == (5.0, 0.0)


@given(m=st.floats(-1e4, 1e4), sd=st.floats(0.1, 1e3), c=st.floats(-1e4, 1e4))
def test_clark_max_is_at_least_both_and_spreads_less(m, sd, c):
    mean, var = clark_max(m, sd * sd, c)
    assert mean >= max(m, c) - 1e-6 * max(1.0, abs(m), abs(c))
    assert 0 <= var <= sd * sd


# -- one chain ---------------------------------------------------------------------------


def test_without_noise_a_stop_is_late_or_not():
    risks = chain_risks(chain(leg(600, 0.0, 599), leg(600, 0.0, 1261)))
    assert [r.late_probability for r in risks] == [1.0, 0.0]
    assert [r.mean_start for r in risks] == [600.0, 1260.0]  # 600 + 60 + 600


def test_waiting_for_the_window_absorbs_an_early_arrival():
    # arrives about 600 s, waits until 3000: the spread of the drive is gone
    [r] = chain_risks(chain(leg(600, 0.3, 3100, earliest=3000)))
    assert r.mean_start == pytest.approx(3000) and r.sd_start < 1e-6
    assert r.late_probability == pytest.approx(0.0, abs=1e-12)


def test_the_probability_is_the_normal_tail_at_the_promise():
    x = Lognormal(600.0, 0.2)
    [r] = chain_risks(chain(leg(600, 0.2, 700)))
    assert r.mean_start == pytest.approx(x.mean) and r.sd_start == pytest.approx(math.sqrt(x.var))
    z = (700 - x.mean) / math.sqrt(x.var)
    assert r.late_probability == pytest.approx(0.5 * math.erfc(z / math.sqrt(2)))


def test_a_late_driver_moves_the_whole_chain():
    late = Delay(1.0, Lognormal(300.0, 0.0))  # always five minutes late
    [on_time] = chain_risks(chain(leg(600, 0.0, 800)))
    [behind] = chain_risks(chain(leg(600, 0.0, 800), start=late))
    assert (on_time.late_probability, behind.late_probability) == (0.0, 1.0)


def test_the_analytic_probabilities_agree_with_sampled_executions():
    legs = [
        leg(900, 0.25, 900 + 120, rid="a"),
        leg(300, 0.15, 900 + 60 + 300 + 200, rid="b"),
        leg(400, 0.15, 2400, earliest=2200, rid="c"),
        leg(600, 0.2, 2400 + 60 + 600 + 60, rid="d"),
    ]
    c = chain(*legs, start=Delay(0.1, Lognormal(120.0, 0.5)))
    predicted = np.array([r.late_probability for r in chain_risks(c)])
    starts = sample_starts(c, np.random.default_rng(7), 40_000)
    observed = observed_late(c, starts).mean(axis=0)
    assert np.abs(predicted - observed).max() < 0.05  # the normal tail on skewed legs
    assert ((predicted > 0.05) & (predicted < 0.95)).sum() >= 2  # not trivially 0 or 1


def test_sampling_the_same_seed_gives_the_same_day():
    c = chain(leg(600, 0.3, 700), leg(300, 0.3, 1000))
    a = sample_starts(c, np.random.default_rng(3), 100)
    b = sample_starts(c, np.random.default_rng(3), 100)
    assert a.shape == (100, 2) and np.array_equal(a, b)
    with pytest.raises(InputError, match="n must be"):
        sample_starts(c, np.random.default_rng(3), 0)


@settings(max_examples=60)
@given(
    travels=st.lists(st.tuples(st.integers(0, 3600), st.floats(0, 0.6)), min_size=1, max_size=8),
    slack=st.integers(-600, 1800),
)
def test_a_later_promise_is_never_riskier(travels, slack):
    def risks(extra: int) -> list[float]:
        legs, t = [], 0
        for k, (secs, sigma) in enumerate(travels):
            t += secs + 60
            legs.append(leg(secs, sigma, t + slack + extra, rid=str(k)))
        return [r.late_probability for r in chain_risks(chain(*legs))]

    tight, loose = risks(0), risks(300)
    assert all(0 <= p <= 1 for p in tight)
    assert all(b <= a + 1e-12 for a, b in zip(tight, loose, strict=True))


# -- reasons -----------------------------------------------------------------------------


def test_a_car_behind_is_named_when_the_push_makes_the_risk():
    [r] = chain_risks(chain(leg(600, 0.2, 650), behind=600))
    assert r.late_probability > 0.3 and r.reason is RiskReason.VEHICLE_BEHIND
    [r] = chain_risks(chain(leg(600, 0.2, 650), behind=0))
    assert r.reason is RiskReason.LONG_LEG  # the one drive holds all the variance


def test_one_long_drive_or_a_tight_chain():
    # a 40-minute drive at the end of short hops: its spread dominates
    hops = [leg(180, 0.15, None, rid=f"h{k}") for k in range(5)]
    long_tail = chain(*hops, leg(2400, 0.3, 5 * 240 + 2400 + 60, rid="far"))
    assert chain_risks(long_tail)[-1].reason is RiskReason.LONG_LEG
    # ten alike hops: the lateness builds up over the chain
    even = [leg(300, 0.2, None, rid=f"e{k}") for k in range(9)]
    tight = chain(*even, leg(300, 0.2, 10 * 360, rid="last"))
    last = chain_risks(tight)[-1]
    assert last.late_probability > 0.3 and last.reason is RiskReason.TIGHT_CHAIN
    assert all(r.reason is None for r in chain_risks(tight)[:-1])  # nothing promised


def test_a_negative_behind_is_refused():
    with pytest.raises(InputError, match="behind_s"):
        chain(leg(600, 0.2, 650), behind=-1)


# -- promises ----------------------------------------------------------------------------


def test_the_deadline_of_each_stop_is_what_its_promise_says():
    ride = Promise("b1", "ride", 0, TimeWindow(100, 200), 900, "", "")
    parcel = Promise("b2", "delivery", 0, TimeWindow(300, 400), 400, "", "")
    visit = Promise("b3", "visit", 0, TimeWindow(500, 600), 600, "", "")
    assert deadline(ride, StepKind.PICKUP) == 200
    assert deadline(ride, StepKind.DROPOFF) == 900
    assert deadline(parcel, StepKind.PICKUP) is None  # nothing promised at the shop
    assert deadline(parcel, StepKind.DROPOFF) == 400
    assert deadline(visit, StepKind.VISIT) == 600
    assert deadline(None, StepKind.PICKUP) is None


# -- the live day --------------------------------------------------------------------------


def test_a_live_day_with_room_to_spare_is_not_at_risk():
    day = new_day()
    bid = book(day, RideAsk(1, 3, depart_at=H9))  # promised 08:50-09:05
    risks = day_risks(day)
    assert [(r.request_id, r.kind) for r in risks] == [
        (bid, StepKind.PICKUP),
        (bid, StepKind.DROPOFF),
    ]
    pickup, dropoff = risks
    # leaves at 08:00, at the door about 08:10, waits for 08:50
    assert pickup.deadline == H9 + 300 and pickup.mean_start == pytest.approx(H9 - 600, abs=1)
    assert pickup.late_probability < 1e-6 and dropoff.late_probability < 1e-6
    assert day_risks(day) == risks  # the same day, the same answer
    assert flagged(risks, RiskPolicy(), day.now) == []


def test_a_delayed_car_puts_its_next_pickup_at_risk_and_says_why():
    day = new_day()
    bid = book(day, RideAsk(1, 3, depart_at=H9))
    day.vehicle_delayed("v1", 14 * 60)  # leaves 08:54, at the door 09:04 for 09:05
    assert behind(day.audit, {"v1": 0}) == {"v1": 14 * 60}
    assert behind(day.audit, {"v1": day.now + 1}) == {"v1": 0}  # reported before that
    [chain_v1] = chains(day, NoiseConfig())
    assert chain_v1.behind_s == 14 * 60 and chain_v1.start_delay is not None
    pickup = day_risks(day)[0]
    assert pickup.request_id == bid and pickup.planned_start == H9 + 240
    assert 0.3 < pickup.late_probability < 0.8
    assert pickup.reason is RiskReason.VEHICLE_BEHIND
    assert flagged(day_risks(day), RiskPolicy(0.3, 2 * 3600), day.now) == [pickup]
    assert flagged(day_risks(day), RiskPolicy(0.3, 3600), day.now) == []  # 64 min ahead


def test_once_the_car_has_served_a_stop_it_is_no_longer_behind():
    day = new_day()
    book(day, RideAsk(1, 3, depart_at=H9))
    day.vehicle_delayed("v1", 10 * 60)
    day.advance_to(H9 - 5 * 60)  # it left the depot at 08:50, ten minutes late
    assert [d.kind for d in day.history("v1")] == ["depart"]
    [c] = chains(day, NoiseConfig())
    assert c.behind_s == 10 * 60 and c.start_delay is None  # still behind, on its way
    day.advance_to(H9 + 120)  # the plan executes: the pickup is done at 09:00
    [c] = chains(day, NoiseConfig())
    assert c.behind_s == 0 and c.start_delay is None and len(c.legs) == 1


def test_a_policy_is_refused_by_name():
    with pytest.raises(InputError, match="threshold"):
        RiskPolicy(0.0)
    with pytest.raises(InputError, match="horizon_s"):
        RiskPolicy(0.3, -1)


def test_the_board_lists_the_most_likely_late_first():
    risks = chain_risks(chain(leg(600, 0.3, 650, rid="a"), leg(300, 0.3, 1000, rid="b")))
    assert [r.request_id for r in flagged(risks, RiskPolicy(0.01, 3600), 0)] == sorted(
        ["a", "b"], key=lambda rid: -next(r.late_probability for r in risks if r.request_id == rid)
    )


def test_a_stop_overdue_and_unreported_is_late_because_the_car_is_behind():
    day = new_day(auto_complete=False)
    bid = book(day, RideAsk(1, 3, depart_at=H9))  # promised 08:50-09:05
    day.depart("v1")  # on its way at 08:00, nothing reported since
    day.advance_to(H9 + 10 * 60)
    pickup = day_risks(day)[0]
    assert pickup.request_id == bid and pickup.planned_start < H9
    assert pickup.late_probability == 1.0 and pickup.mean_start == H9 + 600
    assert pickup.reason is RiskReason.VEHICLE_BEHIND
