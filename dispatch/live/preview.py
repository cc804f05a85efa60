"""Dry runs of a live day (「適用前の確認」): what an event or override would do, on a copy.

`preview` applies an event (a delay, a breakdown, a no-show) or an override (a move)
to a *copy* of the day's state — rebuilt from its own snapshot, the path every
restart of the service takes — and reports the plan's difference: bookings moved
between vehicles, stops re-timed by more than ``retime_s``, bookings that leave the
plan (refused, unassigned, no-show), the promises the event would break and why,
and the checker's violations of a refused override. Nothing of the day itself
changes: its state, version and audit trail are as before. The dispatcher then
applies the same event through the normal path, and (the day being deterministic)
gets the outcome the preview predicted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from dispatch.audit import PlanChange, diff
from dispatch.events import BrokenPromise, EventResult, OverrideResult
from dispatch.live.day import LiveDay
from dispatch.live.routes import live_plan, timetable
from dispatch.live.snapshot import restore, snapshot

#: Stops moved in time by more than this count as re-timed (seconds).
RETIME_S = 300


@dataclass(frozen=True, slots=True)
class PlanTotals:
    """The remaining plan's size: bookings served, metres, seconds, cost (yen)."""

    served: int
    distance_m: int
    duration_s: int
    cost: float


@dataclass(frozen=True, slots=True)
class Preview:
    """What an event or override would do to the day (nothing of it is applied).

    ``applied`` is False for an override the checker refuses (``violations`` say
    why); ``moved`` are bookings that change vehicle, ``retimed`` bookings on the
    same vehicle whose pickup or drop-off moves by more than the threshold,
    ``dropped`` bookings that leave the plan (no vehicle serves them after it);
    ``broken`` the promises it breaks, each with its cause and by how much.
    """

    event: str
    applied: bool
    message: str
    moved: tuple[PlanChange, ...]
    retimed: tuple[PlanChange, ...]
    dropped: tuple[PlanChange, ...]
    broken: tuple[BrokenPromise, ...]
    violations: tuple[str, ...]
    before: PlanTotals
    after: PlanTotals
    day: LiveDay  # the copy after the event (read it; it is thrown away)


def copy_day(day: LiveDay) -> LiveDay:
    """An independent copy of `day` (its snapshot restored on the same matrices)."""
    s = day.state
    return LiveDay._of(restore(snapshot(s), s.base.time_s, s.base.distance_m))


def totals(day: LiveDay) -> PlanTotals:
    """The size of the day's remaining plan."""
    summary = live_plan(day.state).summary
    return PlanTotals(summary.served, summary.distance_m, summary.duration_s, summary.cost)


def preview(
    day: LiveDay,
    act: Callable[[LiveDay], EventResult | OverrideResult],
    *,
    retime_s: int = RETIME_S,
) -> Preview:
    """`act` applied to a copy of `day`: the plan's difference (see the module docstring).

    `act` is the very call the dispatcher would make, e.g.
    ``lambda d: d.vehicle_delayed("car-1", 600)``; its errors (an unknown vehicle, a
    booking that is not next) are raised as they would be.
    """
    copy = copy_day(day)
    before, before_totals = timetable(copy.state), totals(copy)
    result = act(copy)
    after = timetable(copy.state)
    moved, retimed, dropped = [], [], []
    for c in diff(before, after):
        if c.before_vehicle is None:
            continue  # a booking that enters the plan (a rescue, a re-inserted one)
        if c.after_vehicle is None:
            dropped.append(c)
        elif c.after_vehicle != c.before_vehicle:
            moved.append(c)
        elif _shift(c.before_pickup, c.after_pickup) > retime_s or (
            _shift(c.before_dropoff, c.after_dropoff) > retime_s
        ):
            retimed.append(c)
    if isinstance(result, OverrideResult):
        applied, message, violations, broken = (
            result.applied,
            result.message,
            result.violations,
            (),
        )
    else:
        applied, message, violations, broken = True, result.event, (), result.broken
    return Preview(
        event=result.event if isinstance(result, EventResult) else "override",
        applied=applied,
        message=message,
        moved=tuple(moved),
        retimed=tuple(retimed),
        dropped=tuple(dropped),
        broken=tuple(broken),
        violations=tuple(violations),
        before=before_totals,
        after=totals(copy),
        day=copy,
    )


def _shift(before: int | None, after: int | None) -> int:
    if before is None or after is None:
        return 0
    return abs(after - before)
