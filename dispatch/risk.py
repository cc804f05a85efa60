"""Lateness risk of the live day: the chance each upcoming stop starts after its promise.

For every vehicle in service, its remaining route is read as a `Chain`: when the car
can leave, and per stop the travel, the earliest start (the window opens: the car
waits), the promised latest start (`deadline`, from the ledger) and the dwell — each
a distribution of `dispatch.noise`. The chain is driven as a driver drives a run
sheet: leave as soon as the last stop is done, start at ``max(arrival, window
start)``, no re-planning. A stop's start ``S`` is then propagated analytically:
sums by adding means and variances (moment matching: the sum is taken as normal),
the wait by Clark's (1961) moments of ``max(X, c)`` for a normal X and a constant c,
and ``P(S > deadline)`` from the normal tail. The same chain can be sampled
(`sample_starts`), which is how the approximation is checked
(`benchmarks/risk_refresh.py` measures both the cost and the agreement).

Why analytic and not a fixed-seed Monte Carlo (`noriai bench risk`, a busy day of
160 bookings on 8 cars, 230–330 upcoming stops, 2 shared cores): the analytic pass
costs 2–7 ms per refresh (chains included) and moves smoothly with the plan; 1000
sampled executions per vehicle cost 10–30 ms and a probability of 0.1–0.5 still
wobbles by about ±0.012 (sd) between seeds, a flag that would flicker at each
refresh. Against 2000 sampled executions per stop the analytic probabilities are off
by 0.010–0.021 on average (at most 0.14): the normal tail slightly over-states risks
above 0.3 (predicted 0.35, observed 0.32) and under-states the smallest ones, as a
right-skewed start time makes it do; the Brier score is 0.06–0.09.

Each stop carries its `RiskReason`: the vehicle is behind (a reported delay or
position pushed its stops back since its last stop, and without that push the risk
would be less than half), one long leg (a single drive holds at least half the
variance), else a tight chain (the lateness accumulates over the stops before it).

A reported delay or position re-times the route (`dispatch.live.routes.refresh`), so
the plan's times already carry it; how far behind the car is comes from the audit
trail (the forward shift of its stops by each delay or position report since its last
stop), and serves to name the reason. A car on its way is timed from when it left,
so a next stop whose planned start has passed unreported is behind by that much too:
its start is at least now.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from dispatch.audit import AuditEvent, AuditLog
from dispatch.errors import InputError
from dispatch.live import LiveDay
from dispatch.live.ledger import Promise
from dispatch.live.routes import ordered
from dispatch.model import RideRequest
from dispatch.noise import Delay, Lognormal, NoiseConfig, driver_late, rider_not_ready
from dispatch.noise import service as service_noise
from dispatch.noise import travel as travel_noise
from dispatch.result import StepKind

#: The share of a stop's variance one leg must hold to be named the reason.
LONG_LEG_SHARE = 0.5
_BEHIND_EVENTS = (AuditEvent.VEHICLE_DELAY, AuditEvent.VEHICLE_POSITION)
#: Stops that end a spell of being behind (leaving the depot or a break does not).
_SERVED = ("pickup", "dropoff", "visit", "no_show")


class RiskReason(StrEnum):
    """Why a stop may start late (the page shows 遅れている車両 / 余裕のない連続 / 長い区間)."""

    VEHICLE_BEHIND = "vehicle_behind"
    TIGHT_CHAIN = "tight_chain"
    LONG_LEG = "long_leg"


@dataclass(frozen=True, slots=True)
class Leg:
    """One upcoming stop of a chain: the drive to it (None: a break, no drive), its
    earliest start, its promised latest start (None: nothing promised) and the dwell
    (service, plus a rider who may not be ready)."""

    request_id: str | None
    kind: StepKind
    travel: Lognormal | None
    earliest: int
    deadline: int | None
    dwell: Lognormal
    not_ready: Delay | None
    planned_start: int


@dataclass(frozen=True, slots=True)
class Chain:
    """A vehicle's remaining route as the risk reads it: it can leave at ``ready_at``
    (later by ``start_delay`` when the driver has not started the day), ``behind_s``
    behind the plan, then its legs in order."""

    vehicle_id: str
    ready_at: int
    start_delay: Delay | None
    behind_s: int
    legs: tuple[Leg, ...]

    def __post_init__(self) -> None:
        if self.behind_s < 0:
            raise InputError(
                f"chain {self.vehicle_id!r}: behind_s must be >= 0, got {self.behind_s}"
            )


@dataclass(frozen=True, slots=True)
class StopRisk:
    """One upcoming stop's start: mean and sd (s), and the chance it breaks its promise."""

    vehicle_id: str
    request_id: str | None
    kind: StepKind
    planned_start: int
    deadline: int | None
    mean_start: float
    sd_start: float
    late_probability: float
    reason: RiskReason | None


def deadline(promise: Promise | None, kind: StepKind) -> int | None:
    """The latest start a promise allows at a stop of this kind (None: none promised)."""
    if promise is None:
        return None
    if kind is StepKind.PICKUP:
        return promise.window.end if promise.kind == "ride" else None  # a shop: no promise
    if kind is StepKind.DROPOFF:
        return promise.latest_arrival if promise.kind == "ride" else promise.window.end
    if kind is StepKind.VISIT:
        return promise.window.end
    return None


def behind(audit: AuditLog, since: Mapping[str, int]) -> dict[str, int]:
    """Per vehicle, how far its delay and position reports pushed its stops back since
    ``since[vehicle]`` (one pass over the newest end of the audit trail)."""
    out = dict.fromkeys(since, 0)
    oldest = min(since.values(), default=0)
    for entry in reversed(audit):
        if entry.at < oldest:
            break
        vid = entry.vehicle_id
        if vid not in since or entry.event not in _BEHIND_EVENTS or entry.at < since[vid]:
            continue
        shift = 0
        for c in entry.changes:
            if c.before_vehicle != vid or c.after_vehicle != vid:
                continue
            for before, after in (
                (c.before_pickup, c.after_pickup),
                (c.before_dropoff, c.after_dropoff),
            ):
                if before is not None and after is not None:
                    shift = max(shift, after - before)
        out[vid] += shift
    return out


def chains(day: LiveDay, cfg: NoiseConfig) -> list[Chain]:
    """Every vehicle in service with a timed route, as a `Chain`, in fleet order."""
    s = day.state
    out: list[Chain] = []
    T, D = s.base.time_s, s.base.distance_m
    routes = [(vid, wr) for vid, wr in ordered(s) if wr.sched is not None and wr.used]
    since = {}
    for vid, _ in routes:
        served = [d for d in s.history.get(vid, ()) if d.kind in _SERVED]
        since[vid] = served[-1].departure if served else 0
    reported = behind(s.audit, since)
    for vid, wr in routes:
        sched = wr.sched
        assert sched is not None
        st = s.vehicles[vid]
        legs: list[Leg] = []
        here = wr.vehicle.start
        leave = sched.departure
        for k, (node, start) in enumerate(zip(wr.nodes, sched.starts, strict=True)):
            earliest = max(node.earliest, s.now) if k == 0 else node.earliest
            if node.is_break:
                legs.append(
                    Leg(
                        None,
                        node.kind,
                        None,
                        earliest,
                        None,
                        Lognormal(node.service_s, 0.0),
                        None,
                        start,
                    )
                )
                leave = start + node.service_s
                continue
            task = node.task
            assert task is not None
            b = s.bookings.get(task.id)
            r = b.request if b is not None else None
            party, chairs = (r.party_size, r.wheelchairs) if isinstance(r, RideRequest) else (1, 0)
            loc = node.location
            legs.append(
                Leg(
                    task.id,
                    node.kind,
                    travel_noise(cfg, leave, int(T[here, loc]), int(D[here, loc])),
                    earliest,
                    deadline(s.ledger.get(task.id), node.kind),
                    service_noise(cfg, node.service_s, party, chairs),
                    rider_not_ready(cfg)
                    if node.kind is StepKind.PICKUP and isinstance(r, RideRequest)
                    else None,
                    start,
                )
            )
            here, leave = loc, start + node.service_s
        late_start = st.departed_at is None and not st.en_route
        out.append(
            Chain(
                vid,
                wr.vehicle.earliest_departure,
                driver_late(cfg) if late_start else None,
                max(reported[vid], s.now - sched.starts[0], 0),
                tuple(legs),
            )
        )
    return out


def _tail(mean: float, var: float, at: float) -> float:
    """P(X > at) for X normal (a point mass when var is 0)."""
    if var <= 0:
        return 1.0 if mean > at else 0.0
    return 0.5 * math.erfc((at - mean) / math.sqrt(2 * var))


def clark_max(mean: float, var: float, c: float) -> tuple[float, float]:
    """Mean and variance of ``max(X, c)`` for X normal (Clark 1961), the car waiting for c."""
    if var <= 0:
        return max(mean, c), 0.0
    sd = math.sqrt(var)
    mu = mean - c  # max(X, c) = c + max(X - c, 0): no cancellation of large times
    beta = mu / sd
    cdf = 0.5 * math.erfc(-beta / math.sqrt(2))
    pdf = math.exp(-beta * beta / 2) / math.sqrt(2 * math.pi)
    first = mu * cdf + sd * pdf
    second = (mu * mu + var) * cdf + mu * sd * pdf
    return c + first, min(var, max(0.0, second - first * first))


def chain_risks(chain: Chain) -> list[StopRisk]:
    """Every leg's start distribution, lateness probability and reason (analytic)."""
    delay = chain.start_delay
    mean = chain.ready_at + (delay.mean if delay else 0.0)
    var = delay.var if delay else 0.0
    top = 0.0  # the largest variance of one drive still in `var`
    out: list[StopRisk] = []
    for leg in chain.legs:
        if leg.travel is not None:
            tv = leg.travel.var
            mean, var, top = mean + leg.travel.mean, var + tv, max(top, tv)
        m, v = clark_max(mean, var, leg.earliest)
        top = top * v / var if var > 0 else 0.0
        p = 0.0 if leg.deadline is None else _tail(m, v, leg.deadline)
        reason = None
        if leg.deadline is not None and p > 0:
            if chain.behind_s > 0 and _tail(m - chain.behind_s, v, leg.deadline) < p / 2:
                reason = RiskReason.VEHICLE_BEHIND
            elif v > 0 and top / v >= LONG_LEG_SHARE:
                reason = RiskReason.LONG_LEG
            else:
                reason = RiskReason.TIGHT_CHAIN
        out.append(
            StopRisk(
                chain.vehicle_id,
                leg.request_id,
                leg.kind,
                leg.planned_start,
                leg.deadline,
                m,
                math.sqrt(v),
                p,
                reason,
            )
        )
        nr = leg.not_ready
        mean = m + leg.dwell.mean + (nr.mean if nr else 0.0)
        var = v + leg.dwell.var + (nr.var if nr else 0.0)
    return out


def day_risks(day: LiveDay, cfg: NoiseConfig | None = None) -> list[StopRisk]:
    """Every upcoming stop of the day with its lateness risk, vehicle by vehicle."""
    cfg = cfg or NoiseConfig()
    return [r for chain in chains(day, cfg) for r in chain_risks(chain)]


def sample_starts(chain: Chain, rng: np.random.Generator, n: int) -> np.ndarray:
    """`n` noisy executions of the chain: service starts, shape ``(n, legs)``."""
    if n < 1:
        raise InputError(f"sample_starts: n must be >= 1, got {n}")
    out = np.empty((n, len(chain.legs)))
    t = np.full(n, float(chain.ready_at))
    if chain.start_delay is not None:
        t += chain.start_delay.sample(rng, n)
    for k, leg in enumerate(chain.legs):
        if leg.travel is not None:
            t = t + leg.travel.sample(rng, n)
        t = np.maximum(t, leg.earliest)
        out[:, k] = t
        t = t + leg.dwell.sample(rng, n)
        if leg.not_ready is not None:
            t = t + leg.not_ready.sample(rng, n)
    return out


def observed_late(chain: Chain, starts: np.ndarray) -> np.ndarray:
    """Which sampled starts break their promise, shape of `starts` (False: no promise)."""
    limits = np.array([np.inf if leg.deadline is None else leg.deadline for leg in chain.legs])
    return starts > limits


@dataclass(frozen=True, slots=True)
class RiskPolicy:
    """When the board flags a stop (遅延のおそれ): a late probability of at least
    ``threshold``, planned to start within ``horizon_s`` of now.

    The horizon is there because a probability hours ahead is mostly the drift of a
    long chain that the day's reports and re-planning will resolve first: a van packed
    from 09:00 to 16:00 without idle time drifts about ten minutes late by the
    afternoon under the default noise, true but not something to call a rider about
    at 07:40. The probability itself is reported for every stop.

    Why 0.3: a flag should mean "more likely than not to need a call soon", but a
    dispatcher needs the lead time to move a stop or phone the rider, so the flag
    comes a little before even odds; there the analytic probability is calibrated
    (`noriai bench risk`: stops predicted 0.2–0.4 were late 0.22–0.34 of the time).
    At 0.2 the list would hold stops four times likelier on time than late; on the
    benchmark's busy day 0.2, 0.3 and 0.5 flag 1–4 stops within the hour at 11:00, so
    the choice is about lead time more than about the length of the list.
    """

    threshold: float = 0.3
    horizon_s: int = 3600

    def __post_init__(self) -> None:
        t = self.threshold
        if isinstance(t, bool) or not isinstance(t, int | float) or not 0 < t <= 1:
            raise InputError(f"risk policy: threshold must be in (0, 1], got {t!r}")
        h = self.horizon_s
        if isinstance(h, bool) or not isinstance(h, int) or h < 0:
            raise InputError(f"risk policy: horizon_s must be an int >= 0, got {h!r}")

    def flags(self, risk: StopRisk, now: int) -> bool:
        """Whether the board shows this stop at risk at `now`."""
        return (
            risk.late_probability >= self.threshold and risk.planned_start <= now + self.horizon_s
        )


def flagged(risks: Sequence[StopRisk], policy: RiskPolicy, now: int) -> list[StopRisk]:
    """The stops the policy flags at `now`, most likely late first (the board's list)."""
    hits = [r for r in risks if policy.flags(r, now)]
    return sorted(hits, key=lambda r: (-r.late_probability, r.planned_start, r.vehicle_id))
