"""Standing demand (定期予約) for a simulated day: the riders who go to the same place every
week, and the rides they ask for on a date.

A share of a town's rides are standing bookings: dialysis on Tuesdays and Fridays
(arrive by 09:00 at the hospital, home four hours later), day care (デイサービス) on
Mondays, Wednesdays and Fridays at a community hall. `standing_riders` draws the
town's standing riders once from the seed (who, from which home, for which purpose, to
which place); `standing_calls` gives their `Call`s on a date, booked the evening before
(as the service makes them: `api.routes.standing_bookings`). Which dates a rider rides is
`dispatch.standing.StandingBooking`'s rule, public holidays (祝日) included.

The same seed gives the same riders on every date and in every variant of a sweep, so a
Tuesday's dialysis rides are the same people at the same times every week.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date

import numpy as np

from dispatch.standing import WEEKDAY_NAMES, StandingBooking
from routing.errors import InputError
from scenarios.calls import Call, LonLat
from scenarios.spec import DEFAULT_STANDING, StandingPurpose, StandingSpec
from scenarios.tables import Poi

__all__ = [
    "DEFAULT_STANDING",
    "StandingPurpose",
    "StandingRider",
    "StandingSpec",
    "standing_calls",
    "standing_riders",
]

#: Any date before the simulated ones: standing riders are registered already.
REGISTERED = date(2000, 1, 3)
#: Weekdays of a service week, to spread a rider's rides over (Mon-Fri service).
SERVICE_DAYS_A_WEEK = 5
_STREAM = 20_261_205


@dataclass(frozen=True, slots=True)
class StandingRider:
    """A resident with a standing booking: their home, purpose, place and weekly rule."""

    rider: str
    purpose: str
    home: LonLat
    place: LonLat
    wheelchair: bool
    rule: StandingBooking


def standing_riders(
    spec: StandingSpec,
    homes: Sequence[LonLat],
    pois: Sequence[Poi],
    *,
    rides_per_day: float,
    seed: int,
) -> list[StandingRider]:
    """The town's standing riders, drawn from `seed` alone (the same on every date).

    As many as make ``share × rides_per_day`` standing rides on an average service day
    (Mon-Fri): riders = that / Σ_p (weight share × rides a date × days a week / 5).
    """
    if not homes:
        raise InputError("standing riders: no homes to draw from")
    names = sorted(spec.purposes)
    weights = np.array([spec.purposes[n].weight for n in names], dtype=float)
    weights /= weights.sum()
    by_category: dict[str, list[Poi]] = {}
    for p in pois:
        by_category.setdefault(p.category, []).append(p)
    for n in names:
        if not by_category.get(spec.purposes[n].category):
            raise InputError(
                f"standing purpose {n!r}: no place of category {spec.purposes[n].category!r}"
            )
    per_rider = sum(
        w * len(_rule(spec, spec.purposes[n]).legs()) * len(set(spec.purposes[n].weekdays))
        for n, w in zip(names, weights, strict=True)
    )
    count = round(spec.share * rides_per_day * SERVICE_DAYS_A_WEEK / per_rider)
    rng = np.random.default_rng(np.random.SeedSequence([seed, _STREAM]))
    riders = []
    for i in range(count):
        name = names[int(rng.choice(len(names), p=weights))]
        purpose = spec.purposes[name]
        places = by_category[purpose.category]
        pw = np.array([p.weight for p in places], dtype=float)
        poi = places[int(rng.choice(len(places), p=pw / pw.sum()))]
        riders.append(
            StandingRider(
                rider=f"S{i + 1:03d}",
                purpose=name,
                home=homes[int(rng.integers(len(homes)))],
                place=(poi.lon, poi.lat),
                wheelchair=bool(rng.random() < spec.wheelchair_share),
                rule=_rule(spec, purpose),
            )
        )
    return riders


def _rule(spec: StandingSpec, purpose: StandingPurpose) -> StandingBooking:
    by_arrival = purpose.arrive_by is not None
    at = purpose.arrive_by if purpose.arrive_by is not None else purpose.depart_at
    assert at is not None  # one of them is given (StandingPurpose checks)
    return StandingBooking(
        weekdays=frozenset(WEEKDAY_NAMES.index(d) for d in purpose.weekdays),
        start=REGISTERED,
        outbound_s=at,
        by_arrival=by_arrival,
        skip_holidays=spec.skip_holidays,
        return_after_s=None if purpose.return_after_min is None else purpose.return_after_min * 60,
    )


def standing_calls(spec: StandingSpec, riders: Sequence[StandingRider], day: date) -> list[Call]:
    """The calls of `day`: each standing rider's outbound and return, if they ride that
    date; booked at ``spec.booked_at``, no cancellations or no-shows (regular riders).
    Request ids ``S0001``... by asked time; ``outing`` links a rider's two legs."""
    calls = []
    for r in riders:
        for leg in r.rule.legs_on(day):
            there = leg.name == "outbound"
            calls.append(
                Call(
                    request_id="",
                    kind="ride",
                    booked_at=spec.booked_at,
                    origin=r.home if there else r.place,
                    destination=r.place if there else r.home,
                    home=r.home,
                    depart_at=None if leg.by_arrival else leg.at_s,
                    arrive_by=leg.at_s if leg.by_arrival else None,
                    wheelchairs=int(r.wheelchair),
                    outing=f"{r.rider}-{day:%Y%m%d}",
                    purpose=r.purpose,
                )
            )
    calls.sort(key=lambda c: (c.asked_time, c.outing or "", c.arrive_by is None))
    return [replace(c, request_id=f"S{i + 1:04d}") for i, c in enumerate(calls)]
