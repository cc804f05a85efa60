"""Reliability tables and Brier scores on hand-checkable numbers."""

from __future__ import annotations

import pytest

from dispatch.calibration import ReliabilityBin, reliability
from dispatch.errors import InputError


def test_the_table_bins_predictions_and_counts_what_happened():
    r = reliability([0.05, 0.15, 0.15, 0.85, 0.95], [False, False, True, True, True])
    assert r.bins == (
        ReliabilityBin(0.0, 0.1, 0.05, 0.0, 1),
        ReliabilityBin(0.1, 0.2, 0.15, 0.5, 2),
        ReliabilityBin(0.8, 0.9, 0.85, 1.0, 1),
        ReliabilityBin(0.9, 1.0, 0.95, 1.0, 1),
    )
    # (0.05² + 0.15² + 0.85² + 0.15² + 0.05²) / 5
    assert r.brier == pytest.approx(0.1545)
    assert r.base_rate == 0.6 and r.count == 5
    assert r.rows()[1] == {"bin": "0.1–0.2", "predicted": 0.15, "observed": 0.5, "count": 2}


def test_a_certain_prediction_falls_in_the_last_bin_and_scores_nothing():
    r = reliability([1.0, 0.0], [1, 0], bins=4)
    assert [(b.low, b.high, b.count) for b in r.bins] == [(0.0, 0.25, 1), (0.75, 1.0, 1)]
    assert r.brier == 0.0


def test_always_predicting_the_base_rate_scores_its_variance():
    r = reliability([0.25] * 4, [1, 0, 0, 0], bins=1)
    assert r.brier == pytest.approx(0.25 * 0.75)
    assert r.bins == (ReliabilityBin(0.0, 1.0, 0.25, 0.25, 4),)


@pytest.mark.parametrize(
    ("predicted", "observed", "kw", "words"),
    [
        ([0.5], [1, 0], {}, "one length"),
        ([], [], {}, "empty"),
        ([1.2], [1], {}, "probabilities"),
        ([0.5], [2], {}, "booleans"),
        ([0.5], [1], {"bins": 0}, "bins"),
    ],
)
def test_bad_input_is_refused_by_name(predicted, observed, kw, words):
    with pytest.raises(InputError, match=words):
        reliability(predicted, observed, **kw)
