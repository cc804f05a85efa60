"""Settings of the lateness risk: the probability threshold, its horizon, the old slack refused."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from api.live.views import risk_policy
from api.settings import Settings
from dispatch.risk import RiskPolicy


def test_the_board_flags_by_probability_within_the_hour_by_default():
    assert risk_policy(Settings(_env_file=None)) == RiskPolicy(0.3, 3600)


def test_the_threshold_and_horizon_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("NORIAI_AT_RISK_PROBABILITY", "0.5")
    monkeypatch.setenv("NORIAI_AT_RISK_HORIZON_MIN", "30")
    assert risk_policy(Settings(_env_file=None)) == RiskPolicy(0.5, 1800)


@pytest.mark.parametrize("value", ["0", "1.5", "-0.1"])
def test_a_threshold_outside_the_probabilities_is_refused(monkeypatch, value):
    monkeypatch.setenv("NORIAI_AT_RISK_PROBABILITY", value)
    with pytest.raises(ValidationError, match="at_risk_probability"):
        Settings(_env_file=None)


def test_the_old_slack_threshold_is_refused_naming_its_replacement(monkeypatch):
    with pytest.raises(ValidationError, match="NORIAI_AT_RISK_PROBABILITY"):
        Settings(_env_file=None, at_risk_s=300)
    monkeypatch.setenv("NORIAI_AT_RISK_S", "300")
    with pytest.raises(ValidationError, match="at_risk_s"):
        Settings(_env_file=None)
