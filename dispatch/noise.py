"""How a day really goes: the one noise model of travel, boarding, late drivers and riders.

A plan is drawn with nominal travel times (`routing.matrix`) and nominal boarding
times (``board_s``, ``alight_s``). The day as driven differs; this module is the one
statement of how, read both by the simulation (sampling with a seeded
`numpy.random.Generator`) and by the lateness risk of the live board
(`dispatch.risk`, reading means and variances). Every duration is in seconds; the
distributions sample arrays (``sample``) or one whole second (``draw_s``).

Travel time of a leg = nominal x a lognormal factor. Lognormal, because travel times
are positive and right-skewed (a queue or a level crossing makes a leg much longer,
nothing makes it much shorter), and because it is the usual model of link and trip
travel times in the travel-time-reliability literature. Defaults (assumptions, to be
calibrated with a town's own trip logs):

- median 1.00 off-peak and 1.05 at the peaks (07–09, 16–19 h): the nominal speeds of
  `routing.speeds` are already gentle (x 0.9), and small-town peak congestion is mild
  (school runs, a few signals on the 国道);
- spread (sigma of the log): residential streets 0.12 off-peak / 0.18 at peaks,
  arterials (trunk, primary: 国道, 主要地方道) 0.15 / 0.30 — arterials carry the
  through traffic, the signals and the queues, so their times vary more at peaks; a
  coefficient of variation of 0.1–0.3 is the range commonly reported for urban trips.

Road class per leg: the matrices are node-to-node and the road graph is not kept in
a live day, so the class is *estimated from the leg's average speed*
(distance / nominal time, both from the matrices): at or below ``residential_kmh``
(30 km/h x 0.9) the leg is all residential, at or above ``arterial_kmh`` all
arterial, linearly in between; the leg's sigma is interpolated the same way. Exact
per-leg shares would need a path per leg (`routing.paths`), too costly on every
board refresh.

Boarding and alighting (service) = nominal x a lognormal factor of median 1 and
sigma 0.30 for a rider alone, 0.40 with companions (同乗者), 0.50 with a wheelchair
(車椅子: the lift, the belts; the planned ``board_s`` is already longer for them).

Drivers starting late: with probability 0.08 the first departure of the day is late
by a lognormal delay of median 3 min (sigma 0.7). Riders not ready at the door: with
probability 0.15 the rider comes out late by a lognormal delay of median 1 min
(sigma 0.8); the car waits, so the delay lengthens the pickup's dwell (the stops
after it) but not the pickup's own start — the promise is that the car is at the
door in time.

Sources and what they ground: the lognormal travel time and the spread measures
(planning time, buffer index) the sigmas are meant to reproduce follow the travel-
time-reliability practice summarised in FHWA, *Travel Time Reliability: Making It
There On Time, All The Time* (2006); the peak periods are the morning and evening
peaks of MLIT's road traffic census (全国道路・街路交通情勢調査), which reports peak
and off-peak speeds by road class. The numbers themselves are assumptions for a
small Japanese town, not measurements: a town calibrates them from its own days —
the drivers' reports (arrived, picked up, dropped off) give every leg's time and
every stop's dwell — and `dispatch.calibration` says whether the result holds.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from dispatch.errors import InputError

HOUR = 3600


@dataclass(frozen=True, slots=True)
class Lognormal:
    """A positive quantity whose log is normal: ``median`` (seconds, or a factor) and
    ``sigma`` (of the log; 0 means the quantity is exactly the median)."""

    median: float
    sigma: float

    def __post_init__(self) -> None:
        if not self.median >= 0 or not math.isfinite(self.median):
            raise InputError(f"lognormal: median must be >= 0, got {self.median!r}")
        if not self.sigma >= 0 or not math.isfinite(self.sigma):
            raise InputError(f"lognormal: sigma must be >= 0, got {self.sigma!r}")

    @property
    def mean(self) -> float:
        return self.median * math.exp(self.sigma**2 / 2)

    @property
    def var(self) -> float:
        return self.median**2 * math.exp(self.sigma**2) * math.expm1(self.sigma**2)

    def scaled(self, by: float) -> Lognormal:
        """The same spread around ``by`` times the median (a factor applied to a time)."""
        return Lognormal(self.median * by, self.sigma)

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        if self.median == 0:
            return np.zeros(size)
        return self.median * np.exp(self.sigma * rng.standard_normal(size))

    def draw_s(self, rng: np.random.Generator) -> int:
        """One draw in whole seconds (a simulated day keeps ints inside)."""
        return round(float(self.sample(rng, 1)[0]))


@dataclass(frozen=True, slots=True)
class Delay:
    """A delay that may not happen: with probability ``p``, ``amount`` seconds."""

    p: float
    amount: Lognormal

    def __post_init__(self) -> None:
        if not 0 <= self.p <= 1:
            raise InputError(f"delay: p must be a probability in [0, 1], got {self.p!r}")

    @property
    def mean(self) -> float:
        return self.p * self.amount.mean

    @property
    def var(self) -> float:
        second = self.amount.var + self.amount.mean**2
        return self.p * second - self.mean**2

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        happens = rng.random(size) < self.p
        return np.where(happens, self.amount.sample(rng, size), 0.0)

    def draw_s(self, rng: np.random.Generator) -> int:
        """One draw in whole seconds (0 when the delay does not happen)."""
        return round(float(self.sample(rng, 1)[0]))


def _check_positive(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise InputError(f"noise config: {name} must be a number > 0, got {value!r}")


def _check_spread(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 2:
        raise InputError(f"noise config: {name} must be a sigma in [0, 2], got {value!r}")


@dataclass(frozen=True, slots=True)
class NoiseConfig:
    """The noise model's parameters (see the module docstring for the defaults' grounds).

    Medians are factors of the nominal time; sigmas are of the log; ``*_p`` are
    probabilities; ``*_median_s`` seconds. ``peak_hours`` are ``(from, to)`` hours of
    the service day, ``to`` excluded.
    """

    travel_median: float = 1.0
    travel_median_peak: float = 1.05
    residential_sigma: float = 0.12
    residential_sigma_peak: float = 0.18
    arterial_sigma: float = 0.15
    arterial_sigma_peak: float = 0.30
    peak_hours: tuple[tuple[int, int], ...] = ((7, 9), (16, 19))
    residential_kmh: float = 27.0
    arterial_kmh: float = 40.0
    service_sigma: float = 0.30
    companion_sigma: float = 0.40
    wheelchair_sigma: float = 0.50
    driver_late_p: float = 0.08
    driver_late_median_s: float = 180.0
    driver_late_sigma: float = 0.7
    rider_late_p: float = 0.15
    rider_late_median_s: float = 60.0
    rider_late_sigma: float = 0.8

    def __post_init__(self) -> None:
        for name in ("travel_median", "travel_median_peak", "residential_kmh", "arterial_kmh"):
            _check_positive(name, getattr(self, name))
        for name in ("driver_late_median_s", "rider_late_median_s"):
            _check_positive(name, getattr(self, name))
        for name in (
            "residential_sigma",
            "residential_sigma_peak",
            "arterial_sigma",
            "arterial_sigma_peak",
            "service_sigma",
            "companion_sigma",
            "wheelchair_sigma",
            "driver_late_sigma",
            "rider_late_sigma",
        ):
            _check_spread(name, getattr(self, name))
        for name in ("driver_late_p", "rider_late_p"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
                raise InputError(f"noise config: {name} must be in [0, 1], got {value!r}")
        if self.arterial_kmh <= self.residential_kmh:
            raise InputError(
                f"noise config: arterial_kmh ({self.arterial_kmh}) must exceed "
                f"residential_kmh ({self.residential_kmh})"
            )
        for pair in self.peak_hours:
            if (
                not isinstance(pair, tuple)
                or len(pair) != 2
                or not all(isinstance(h, int) and not isinstance(h, bool) for h in pair)
                or not 0 <= pair[0] < pair[1] <= 48
            ):
                raise InputError(
                    f"noise config: peak_hours must be (from, to) hours with "
                    f"0 <= from < to <= 48, got {pair!r}"
                )

    def to_plain(self) -> dict[str, Any]:
        """JSON-able data (a scenario spec stores it)."""
        d = asdict(self)
        d["peak_hours"] = [list(p) for p in self.peak_hours]
        return d

    @classmethod
    def from_plain(cls, d: Mapping[str, Any]) -> NoiseConfig:
        """Rebuild from `to_plain` data (or a scenario spec's fields; missing: defaults)."""
        d = dict(d)
        if "peak_hours" in d:
            d["peak_hours"] = tuple(tuple(p) for p in d["peak_hours"])
        return cls(**d)


def is_peak(cfg: NoiseConfig, t: int) -> bool:
    """Whether a leg leaving at `t` (seconds of the service day) leaves in a peak."""
    hour = t // HOUR
    return any(a <= hour < b for a, b in cfg.peak_hours)


def arterial_share(cfg: NoiseConfig, time_s: int, distance_m: int) -> float:
    """The estimated share of a leg driven on arterials, from its average speed."""
    if time_s <= 0:
        return 0.0
    kmh = distance_m / time_s * 3.6
    share = (kmh - cfg.residential_kmh) / (cfg.arterial_kmh - cfg.residential_kmh)
    return min(1.0, max(0.0, share))


def travel(cfg: NoiseConfig, depart: int, time_s: int, distance_m: int) -> Lognormal:
    """The travel time of a leg of nominal `time_s` and `distance_m` leaving at `depart`."""
    peak = is_peak(cfg, depart)
    a = arterial_share(cfg, time_s, distance_m)
    if peak:
        sigma = (1 - a) * cfg.residential_sigma_peak + a * cfg.arterial_sigma_peak
        median = cfg.travel_median_peak
    else:
        sigma = (1 - a) * cfg.residential_sigma + a * cfg.arterial_sigma
        median = cfg.travel_median
    return Lognormal(median * max(0, time_s), sigma)


def service(
    cfg: NoiseConfig, service_s: int, party_size: int = 1, wheelchairs: int = 0
) -> Lognormal:
    """Boarding or alighting of nominal `service_s` for a party (companions, wheelchairs)."""
    if wheelchairs > 0:
        sigma = cfg.wheelchair_sigma
    elif party_size > 1:
        sigma = cfg.companion_sigma
    else:
        sigma = cfg.service_sigma
    return Lognormal(float(max(0, service_s)), sigma)


def driver_late(cfg: NoiseConfig) -> Delay:
    """How late a driver starts the day's first departure."""
    return Delay(cfg.driver_late_p, Lognormal(cfg.driver_late_median_s, cfg.driver_late_sigma))


def rider_not_ready(cfg: NoiseConfig) -> Delay:
    """How long the car waits at the door for a rider who is not ready."""
    return Delay(cfg.rider_late_p, Lognormal(cfg.rider_late_median_s, cfg.rider_late_sigma))
