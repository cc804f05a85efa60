"""Whether the board's lateness risk holds on a noisy day: forecasts, then what happened.

Every ``noise.forecast_every_min`` the simulation records `dispatch.risk.day_risks` for
each upcoming stop with a promise (a ride's pickup by the window end and drop-off by the
latest arrival, a hand-over by the slot end, a visit by the appointment end): the
predicted chance that the stop starts late, and whether the board flags it
(`dispatch.risk.RiskPolicy`). At the end of the day each forecast meets its outcome: the
stop as done started after its deadline, or not. A stop never done because its promise
was reported broken (the re-plan dropped it) counts as late; a stop never done because
the rider cancelled or was absent has no outcome and is left out. `dispatch.calibration`
turns the pairs into the reliability table and the Brier score, for every forecast and
for those within the board's horizon (`RiskPolicy.horizon_s`: the stops it may flag).

What it measures: the risk reads a car's remaining route as a run sheet driven without
re-planning, while the simulated day re-plans (delay reports move bookings, the periodic
re-optimisation re-orders routes); a forecast hours ahead is partly resolved by that
re-planning before it comes true, so the table says how far the board's chance holds on
a day run by this dispatch loop, not how good the noise model is.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from dispatch.calibration import Reliability, reliability
from dispatch.events import BookingStatus
from dispatch.live import LiveDay
from dispatch.noise import NoiseConfig
from dispatch.risk import RiskPolicy, day_risks

NAN = float("nan")
#: Bins of the reliability table the KPIs carry (equal widths of probability).
BINS = 5


@dataclass(frozen=True, slots=True)
class Forecast:
    """One stop's predicted lateness at ``at`` (seconds), and whether the board flagged it."""

    at: int
    booking_id: str
    kind: str
    deadline: int
    probability: float
    flagged: bool
    planned_start: int


@dataclass(slots=True)
class Forecasts:
    """The day's forecasts (see the module docstring)."""

    cfg: NoiseConfig
    policy: RiskPolicy = field(default_factory=RiskPolicy)
    made: list[Forecast] = field(default_factory=list)

    def record(self, live: LiveDay) -> None:
        """Every upcoming promised stop's lateness risk, now."""
        now = live.now
        for r in day_risks(live, self.cfg):
            if r.deadline is None or r.request_id is None:
                continue
            self.made.append(
                Forecast(
                    now,
                    r.request_id,
                    r.kind.value,
                    r.deadline,
                    r.late_probability,
                    self.policy.flags(r, now),
                    r.planned_start,
                )
            )

    def outcomes(self, live: LiveDay) -> list[tuple[Forecast, bool]]:
        """Each forecast with whether its stop was late (no outcome: left out)."""
        starts: dict[tuple[str, str], int] = {}
        for v in live.fleet:
            for d in live.history(v.id):
                if d.request_id is not None:
                    starts.setdefault((d.request_id, d.kind), d.start)
        for d in live.drone_history():
            starts.setdefault((d.request_id or "", d.kind), d.start)
        out = []
        for f in self.made:
            start = starts.get((f.booking_id, f.kind))
            if start is not None:
                out.append((f, start > f.deadline))
            elif live.booking(f.booking_id).status is BookingStatus.PROMISE_BROKEN:
                out.append((f, True))
        return out

    def kpis(self, live: LiveDay) -> dict[str, float]:
        """Calibration (Brier, base rate, reliability bins) and the flags' hits (none: {})."""
        pairs = self.outcomes(live)
        if not pairs:
            return {}
        predicted = [f.probability for f, _ in pairs]
        table = reliability(predicted, [late for _, late in pairs], bins=BINS)
        flagged = {(f.booking_id, f.kind) for f, _ in pairs if f.flagged}
        late = {(f.booking_id, f.kind) for f, was in pairs if was}
        soon = [(f, was) for f, was in pairs if f.planned_start <= f.at + self.policy.horizon_s]
        near = reliability([f.probability for f, _ in soon], [w for _, w in soon]) if soon else None
        return {
            "risk_forecasts": float(table.count),
            "risk_brier": table.brier,
            "risk_base_rate": table.base_rate,
            "risk_brier_base_rate": table.base_rate * (1 - table.base_rate),
            "risk_forecasts_horizon": float(len(soon)),
            "risk_brier_horizon": near.brier if near else NAN,
            "risk_base_rate_horizon": near.base_rate if near else NAN,
            "risk_flagged_stops": float(len(flagged)),
            "risk_flagged_late": float(len(flagged & late)),
            "risk_late_stops": float(len(late)),
            **bin_kpis(table),
        }


def bin_key(k: int, what: str) -> str:
    """The KPI of the reliability table's bin `k` (of `BINS`): ``n``, ``late`` or ``p_sum``."""
    return f"risk_bin{k}_{what}"


def bin_kpis(table: Reliability) -> dict[str, float]:
    """The reliability table as sums (counts, late, predicted) so that seeds pool."""
    out = {bin_key(k, w): 0.0 for k in range(BINS) for w in ("n", "late", "p_sum")}
    for b in table.bins:
        k = min(BINS - 1, round(b.low * BINS))
        out[bin_key(k, "n")] = float(b.count)
        out[bin_key(k, "late")] = b.observed * b.count
        out[bin_key(k, "p_sum")] = b.predicted * b.count
    return out
