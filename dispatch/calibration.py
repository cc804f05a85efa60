"""Whether predicted probabilities mean what they say: a reliability table and the Brier score.

Given predicted probabilities (the lateness risk of `dispatch.risk`) and what then
happened (late or not), the predictions are grouped into equal-width bins of
probability; a calibrated predictor's observed share in each bin is close to the
bin's mean prediction. The Brier score is the mean squared difference between
prediction and outcome (0 is perfect; always predicting the base rate b scores
b(1 - b)). The simulation reports both for its noisy days.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from dispatch.errors import InputError


@dataclass(frozen=True, slots=True)
class ReliabilityBin:
    """Predictions in ``[low, high)`` (the last bin includes 1): their mean, the share
    observed, and how many."""

    low: float
    high: float
    predicted: float
    observed: float
    count: int


@dataclass(frozen=True, slots=True)
class Reliability:
    """The non-empty bins, the Brier score and the base rate of the outcomes."""

    bins: tuple[ReliabilityBin, ...]
    brier: float
    base_rate: float
    count: int

    def rows(self) -> list[dict[str, float | int]]:
        """Plain rows (for a JSON or markdown report)."""
        return [
            {
                "bin": f"{b.low:.1f}–{b.high:.1f}",
                "predicted": round(b.predicted, 4),
                "observed": round(b.observed, 4),
                "count": b.count,
            }
            for b in self.bins
        ]


def reliability(
    predicted: Sequence[float] | np.ndarray,
    observed: Sequence[bool] | np.ndarray,
    *,
    bins: int = 10,
) -> Reliability:
    """The reliability table of `predicted` probabilities against `observed` outcomes."""
    p = np.asarray(predicted, dtype=float)
    o = np.asarray(observed)
    if p.ndim != 1 or o.shape != p.shape:
        raise InputError(
            f"reliability: predicted and observed must be flat and of one length, "
            f"got shapes {p.shape} and {o.shape}"
        )
    if p.size == 0:
        raise InputError("reliability: predicted is empty")
    if not np.all((p >= 0) & (p <= 1)):
        raise InputError("reliability: predicted must be probabilities in [0, 1]")
    if not np.all((o == 0) | (o == 1)):
        raise InputError("reliability: observed must be booleans (or 0 and 1)")
    if isinstance(bins, bool) or not isinstance(bins, int) or bins < 1:
        raise InputError(f"reliability: bins must be an int >= 1, got {bins!r}")
    o = o.astype(float)
    which = np.minimum((p * bins).astype(int), bins - 1)
    out = []
    for k in range(bins):
        mask = which == k
        n = int(mask.sum())
        if n:
            out.append(
                ReliabilityBin(
                    k / bins, (k + 1) / bins, float(p[mask].mean()), float(o[mask].mean()), n
                )
            )
    return Reliability(tuple(out), float(np.mean((p - o) ** 2)), float(o.mean()), int(p.size))
