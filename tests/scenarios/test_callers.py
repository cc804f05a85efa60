"""Callers refused at the asked time: the chance of taking another time falls with the
shift, the choices come from the seed and the call alone, and on a crowded day every
refused caller ends exactly one way."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dispatch.model import TimeWindow
from dispatch.quote import Alternative
from scenarios.callers import Choice, choose, draws, nearest
from scenarios.spec import CallersSpec
from tests.scenarios.test_noisy import serve

MIN = 60


def alt(t: int) -> Alternative:
    return Alternative(t, TimeWindow(t, t + 900), t, t + 600, "v1")


@given(st.integers(0, 600), st.integers(0, 600))
def test_the_chance_to_accept_falls_with_the_shift(a, b):
    c = CallersSpec()
    lo, hi = sorted((a, b))
    assert c.accept_p(hi * MIN) <= c.accept_p(lo * MIN) <= c.accept_max
    assert c.accept_p(-a * MIN) == c.accept_p(a * MIN)  # earlier or later alike


def test_the_defaults_by_hand():
    c = CallersSpec()
    assert c.accept_p(30 * MIN) == pytest.approx(0.45)  # half of accept_max at the midpoint
    assert c.accept_p(15 * MIN) == pytest.approx(0.9 / (1 + 2.718281828 ** (-1.5)))
    assert c.accept_p(60 * MIN) < 0.05


def test_the_caller_considers_the_nearest_time_earlier_first_on_a_tie():
    asked = 10 * 3600
    assert nearest([alt(asked + 1800), alt(asked - 900), alt(asked + 900)], asked).time == (
        asked - 900
    )
    assert nearest([], asked) is None


def test_choices_come_from_the_seed_and_the_call_alone():
    assert draws(3, "R0001", 0) == draws(3, "R0001", 0)
    assert draws(3, "R0001", 0) != draws(3, "R0002", 0)
    assert draws(3, "R0001", 0) != draws(4, "R0001", 0)
    assert draws(3, "R0001", 0) != draws(3, "R0001", 1)


@pytest.mark.parametrize("rid", [f"R{k:04d}" for k in range(20)])
def test_the_rule_at_its_edges(rid):
    asked = 10 * 3600
    offered = [alt(asked + 900)]
    everyone = CallersSpec(accept_max=1.0, accept_half_min=600)
    assert choose(everyone, 0, rid, 0, asked, offered) == (Choice.ACCEPT, offered[0])
    stubborn = CallersSpec(accept_max=0.0, callback_p=1.0, max_callbacks=2)
    assert choose(stubborn, 0, rid, 0, asked, offered) == (Choice.CALL_BACK, None)
    assert choose(stubborn, 0, rid, 2, asked, offered) == (Choice.GIVE_UP, None)
    assert choose(everyone, 0, rid, 0, asked, [])[0] is not Choice.ACCEPT


CROWDED = {"fleet.size": 1, "demand.rides_per_day": 40, "callers.enabled": True}


@pytest.mark.parametrize(
    "rule",
    [
        {"callers.accept_max": 1.0, "callers.accept_half_min": 600},
        {"callers.accept_max": 0.0, "callers.callback_p": 1.0, "callers.max_callbacks": 1},
        {},
    ],
    ids=["everyone-accepts", "everyone-calls-back", "defaults"],
)
def test_every_refused_caller_ends_one_way(tiny, town, graph_cache, rule):
    run = serve(tiny.with_overrides({**CROWDED, **rule}), 0, town, graph_cache)
    ends = [
        (o.alternative, o.gave_up, o.callbacks > 0 and o.booked and not o.alternative)
        for o in run.outcomes.values()
    ]
    assert all(sum(e) <= 1 for e in ends)
    k = run.caller_kpis()
    assert k["callers_took_alternative"] == sum(e[0] for e in ends)
    assert k["callers_gave_up"] == sum(e[1] for e in ends)
    assert k["callers_served_on_call_back"] <= k["callers_booked_on_call_back"]
    for o in run.outcomes.values():
        if o.alternative:  # booked at another time than asked
            assert o.booked and o.promise is not None
        if o.gave_up:
            assert o.rejected is not None and not o.booked
    if rule.get("callers.accept_max") == 1.0:
        assert k["callers_took_alternative"] > 0  # (refused with nothing offered: call back)
    if rule.get("callers.accept_max") == 0.0:
        assert k["callers_took_alternative"] == 0 and k["callers_called_back"] > 0


def test_without_the_rule_refused_callers_just_go(tiny, town, graph_cache):
    run = serve(tiny.with_overrides({**CROWDED, "callers.enabled": False}), 0, town, graph_cache)
    assert run.caller_kpis() == {}
    assert not any(o.alternative or o.callbacks or o.gave_up for o in run.outcomes.values())
