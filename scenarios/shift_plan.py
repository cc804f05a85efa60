"""Shift plans a town can trust: demand -> vehicles needed per slot -> CP-SAT shifts ->
simulated days -> a verified plan.

The question: *how few vehicles, on which shifts, keep the service level (share of
requests picked up within their promise) at the target, and what does that save
against the current roster?* `plan_and_verify` answers it in a loop:

1. **Requirement.** Vehicles needed per slot, from the simulation's own measurement:
   the current roster's days are simulated and, per slot, the vehicles *busy* are
   counted (driving, or waiting with someone on board; `busy_by_slot`); the
   requirement is that mean divided by a target ``utilisation`` (default 0.75: a car
   busy 45 minutes of every hour is as hard as dispatch can run it with promised
   windows), at least ``floor`` during service hours (someone answers every call).
   From the booking history instead (`booking_profile`): the mean bookings per slot
   over past days x the busy seconds one request costs, measured on the simulated
   roster (`RosterMeasure.busy_s_per_request`), divided by slot x utilisation.
2. **Plan** the shifts with `dispatch.shifts.plan_shifts` (rules and costs from the
   spec: the hourly and daily cost of the roster's most common vehicle type; at most
   as many vehicles as the roster lists).
3. **Verify** by simulating the same seeds with the planned shifts
   (`spec_with_shifts`): the planned vehicles take the roster's vehicles in order
   (the longest shift gets the first one, e.g. the wheelchair van); vehicles outside
   ``fleet.size`` (``fixed``, the clinic car) run as before.
4. If the worst seed's within-promise share is below the target, the requirement
   rises by one vehicle in the ``raise_slots`` slots where most requests failed
   (counted by the time the pickup was asked or promised), and the loop plans again,
   at most ``rounds`` times, and no longer once two rounds in a row have not raised
   the level (the requests lost are then lost for reasons more vehicles do not fix).
   The plan reported is the first that meets the target, else the best one reached.

The simulation is a parameter (``simulate``, by default the scenario's own): days are
as noisy as the spec's ``[noise]`` makes them (`dispatch.noise`), and ``noise`` names
that in the report.
"""

from __future__ import annotations

import logging
import math
import statistics
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from dispatch.errors import InputError
from dispatch.shifts import (
    PlannedShift,
    Requirement,
    ShiftCosts,
    ShiftPlan,
    ShiftRules,
    ShiftSearch,
    plan_shifts,
)
from scenarios.results import DayResult, TripRecord, TripStatus, VehicleRecord
from scenarios.spec import ScenarioSpec, VehicleGroup, format_clock

log = logging.getLogger(__name__)

#: ``simulate(spec, seed, variant) -> DayResult`` (the hook for a noisy simulation);
#: ``variant`` names the day in reports ("roster", "plan-1", ...).
Simulate = Callable[[ScenarioSpec, int, str], DayResult]

ROSTER = "roster"
WITHIN = "within_promise_share"
#: Rounds in a row without a better level after which more vehicles are not tried.
STALE_ROUNDS = 2
SERVED = "served_share"
#: What the planned vehicles carry (home visits are the clinic car's, which runs as before).
DEMAND_KINDS = ("ride", "delivery")
#: Bookings that needed a vehicle (held, expired and cancelled ones did not).
COUNTED_STATUSES = ("confirmed", "picked_up", "done", "no_show", "promise_broken")


@dataclass(frozen=True, slots=True)
class PlanSettings:
    """How the loop plans and verifies (see the module docstring)."""

    target: float = 0.95
    slot_s: int = 1800
    utilisation: float = 0.75
    floor: int = 1
    rounds: int = 5
    raise_slots: int = 3
    max_vehicles: int | None = None  # None: the vehicles the roster lists (`listed_groups`)
    rules: ShiftRules = field(default_factory=ShiftRules)
    search: ShiftSearch = field(default_factory=ShiftSearch)
    noise: str = "none"  # what the simulator adds (shown in the report)

    def __post_init__(self) -> None:
        obj = "plan settings"
        if not 0 < self.target <= 1:
            raise InputError(f"{obj}: target must be in (0, 1], got {self.target!r}")
        if not 0 < self.utilisation <= 1:
            raise InputError(f"{obj}: utilisation must be in (0, 1], got {self.utilisation!r}")
        for name, lo in (("slot_s", 300), ("floor", 0), ("rounds", 1), ("raise_slots", 1)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < lo:
                raise InputError(f"{obj}: {name} must be an int >= {lo}, got {value!r}")
        if self.slot_s % 300:
            raise InputError(f"{obj}: slot_s must be a whole number of 5 minutes")
        if self.max_vehicles is not None and self.max_vehicles < 1:
            raise InputError(f"{obj}: max_vehicles must be >= 1, got {self.max_vehicles}")


# -- the roster and its measurement ---------------------------------------------------------


def sized_groups(spec: ScenarioSpec) -> list[VehicleGroup]:
    """The roster's vehicles a plan replaces (one entry each): `FleetSpec.chosen` without
    the ``fixed`` ones."""
    return [g for g in spec.fleet.chosen() if not g.fixed]


def listed_groups(spec: ScenarioSpec) -> list[VehicleGroup]:
    """Every vehicle the roster lists outside ``fixed`` groups, ``fleet.size`` aside (one
    entry each, in order): the vehicles a plan may put on the road."""
    return [g for g in spec.fleet.vehicles if not g.fixed for _ in range(g.count)]


def plan_window(spec: ScenarioSpec, slot_s: int) -> tuple[int, int]:
    """The slots planned: the roster's shifts and the service hours, widened to the slot grid."""
    groups = sized_groups(spec)
    start = min([spec.service.start, *(g.shift[0] for g in groups)])
    end = max([spec.service.end, *(g.shift[1] for g in groups)])
    return start // slot_s * slot_s, -(-end // slot_s) * slot_s


def busy_spans(v: VehicleRecord) -> list[tuple[int, int]]:
    """When a vehicle is busy: driving (loaded or not), or stopped with someone on board."""
    spans = [(leg.depart, leg.arrive) for leg in v.legs if leg.arrive > leg.depart]
    for a, b in zip(v.stops, v.stops[1:], strict=False):
        if a.load_after > 0 and b.time > a.time:
            spans.append((a.time, b.time))
    merged: list[tuple[int, int]] = []
    for s, e in sorted(spans):
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], e))
        else:
            merged.append((s, e))
    return merged


def busy_by_slot(
    days: Sequence[DayResult], types: set[str], start: int, slot_s: int, n: int
) -> list[float]:
    """Mean over ``days`` of the vehicles of ``types`` busy in each slot (busy s / slot s)."""
    total = [0.0] * n
    for day in days:
        for v in day.vehicles:
            if v.vehicle_type not in types:
                continue
            for s, e in busy_spans(v):
                for k in range(max(0, (s - start) // slot_s), min(n, -(-(e - start) // slot_s))):
                    a = start + k * slot_s
                    total[k] += max(0, min(e, a + slot_s) - max(s, a))
    return [t / slot_s / max(1, len(days)) for t in total]


@dataclass(frozen=True, slots=True)
class RosterMeasure:
    """What the simulated roster shows: busy vehicles per slot, busy time per request."""

    start_s: int
    slot_s: int
    busy: tuple[float, ...]  # mean vehicles busy per slot
    requests_per_day: float  # mean requests the planned vehicles carry (`DEMAND_KINDS`)
    busy_s_per_request: float  # busy vehicle-seconds per request served


def measure_roster(spec: ScenarioSpec, days: Sequence[DayResult], slot_s: int) -> RosterMeasure:
    """Busy vehicles per slot and busy time per request, of the vehicles a plan replaces
    (the clinic car and its visits are left out: they run as before)."""
    start, end = plan_window(spec, slot_s)
    n = (end - start) // slot_s
    types = {g.type for g in sized_groups(spec)}
    busy = busy_by_slot(days, types, start, slot_s, n)
    served = statistics.fmean(
        sum(t.status is TripStatus.SERVED and t.vehicle_id in planned for t in d.trips)
        for d in days
        for planned in [{v.vehicle_id for v in d.vehicles if v.vehicle_type in types}]
    )
    return RosterMeasure(
        start,
        slot_s,
        tuple(busy),
        statistics.fmean(sum(t.kind in DEMAND_KINDS for t in d.trips) for d in days),
        sum(busy) * slot_s / served if served else float("nan"),
    )


def requirement_from_busy(
    spec: ScenarioSpec, busy: Sequence[float], start: int, settings: PlanSettings
) -> Requirement:
    """Vehicles per slot: busy / utilisation, rounded up, at least ``floor`` in service hours."""
    vehicles = []
    for k, b in enumerate(busy):
        a = start + k * settings.slot_s
        in_service = a < spec.service.end and a + settings.slot_s > spec.service.start
        need = math.ceil(round(b / settings.utilisation, 6))
        vehicles.append(max(need, settings.floor if in_service else 0))
    return Requirement(start, settings.slot_s, tuple(vehicles))


# -- the booking history ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BookingProfile:
    """Bookings per slot, averaged over past service days read from the database."""

    dates: tuple[date, ...]
    start_s: int
    slot_s: int
    per_slot: tuple[float, ...]  # mean bookings whose pickup falls in the slot
    per_day: float  # mean bookings a day (all of them, also outside the slots)
    skipped: int  # bookings without a time to place them

    def requirement(
        self, spec: ScenarioSpec, busy_s_per_request: float, settings: PlanSettings
    ) -> Requirement:
        """Vehicles per slot: bookings x busy seconds each / (slot x utilisation)."""
        busy = [n * busy_s_per_request / self.slot_s for n in self.per_slot]
        return requirement_from_busy(spec, busy, self.start_s, settings)


def booking_profile(
    session: Any, *, days: int, start_s: int, slot_s: int, n_slots: int, timezone: str
) -> BookingProfile:
    """Bookings per slot over the last ``days`` service dates that have any.

    A ride or delivery counts when it needed a vehicle (`COUNTED_STATUSES`); it is placed at its
    promised pickup window's start, else at the time asked (local time, ``timezone``).
    ``session`` is a SQLAlchemy session on the service's database (`api.db`).
    """
    from sqlalchemy import select

    from api.db.models import Booking

    if days < 1:
        raise InputError(f"booking history: days must be >= 1, got {days}")
    dates = list(
        session.scalars(
            select(Booking.service_date)
            .where(Booking.status.in_(COUNTED_STATUSES), Booking.kind.in_(DEMAND_KINDS))
            .distinct()
            .order_by(Booking.service_date.desc())
            .limit(days)
        )
    )
    if not dates:
        raise InputError("booking history: the database holds no bookings to plan from")
    rows = session.execute(
        select(Booking.service_date, Booking.promise_start, Booking.requested_at).where(
            Booking.service_date.in_(dates),
            Booking.status.in_(COUNTED_STATUSES),
            Booking.kind.in_(DEMAND_KINDS),
        )
    ).all()
    tz = ZoneInfo(timezone)
    counts = [0] * n_slots
    skipped = 0
    for service_date, promised, asked in rows:
        at = promised or asked
        if at is None:
            skipped += 1
            continue
        k = (_seconds_into(service_date, at, tz) - start_s) // slot_s
        if 0 <= k < n_slots:
            counts[k] += 1
    return BookingProfile(
        tuple(sorted(dates)),
        start_s,
        slot_s,
        tuple(c / len(dates) for c in counts),
        len(rows) / len(dates),
        skipped,
    )


def _seconds_into(day: date, at: datetime, tz: ZoneInfo) -> int:
    local = at.astimezone(tz)
    midnight = datetime(day.year, day.month, day.day, tzinfo=tz)
    return int((local - midnight).total_seconds())


# -- plans as specs ---------------------------------------------------------------------------


def shift_costs(spec: ScenarioSpec) -> ShiftCosts:
    """Costs of a planned vehicle: those of the roster's most common vehicle type."""
    groups = sized_groups(spec)
    common = Counter(g.type for g in groups).most_common(1)[0][0]
    g = next(g for g in groups if g.type == common)
    return ShiftCosts(per_vehicle_yen=g.fixed_yen, per_hour_yen=g.cost_per_hour_yen)


def assign_groups(spec: ScenarioSpec, plan: ShiftPlan) -> list[tuple[PlannedShift, VehicleGroup]]:
    """Each planned shift with the roster vehicle it runs on: the longest shift takes the
    roster's first listed vehicle (beyond the list: its last vehicle type)."""
    groups = listed_groups(spec)
    by_length = sorted(plan.shifts, key=lambda s: (-s.length_s, s.start, s.vehicle))
    return [(s, groups[min(i, len(groups) - 1)]) for i, s in enumerate(by_length)]


def _hhmm(t: int) -> str:
    return format_clock(t).replace(":", "")


def spec_with_shifts(spec: ScenarioSpec, plan: ShiftPlan) -> ScenarioSpec:
    """The spec with its sized vehicles replaced by the planned shifts (fixed ones kept).

    Planned vehicles with the same roster vehicle, shift and break form one group named
    ``<type>-<start>-<end>[-b<break>]`` (e.g. ``taxi-0900-1500-b1200``).
    """
    merged: dict[str, dict[str, Any]] = {}
    for s, g in assign_groups(spec, plan):
        name = f"{g.type}-{_hhmm(s.start)}-{_hhmm(s.end)}"
        breaks: list[dict[str, int]] = []
        if s.break_start is not None and s.break_end is not None:
            name += f"-b{_hhmm(s.break_start)}"
            minutes = -(-(s.break_end - s.break_start) // 60)
            breaks.append({"start": s.break_start, "end": s.break_start, "minutes": minutes})
        if name in merged:
            merged[name]["count"] += 1
            continue
        data = g.model_dump(mode="python")
        data.update(type=name, count=1, shift=(s.start, s.end), breaks=breaks)
        merged[name] = data
    fixed = [g.model_dump(mode="python") for g in spec.fleet.vehicles if g.fixed]
    if not merged:
        raise InputError("shift plan: no vehicle planned (nothing to simulate)")
    return spec.with_overrides({"fleet.vehicles": [*merged.values(), *fixed], "fleet.size": None})


# -- the loop ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Round:
    """One plan and its simulated days."""

    requirement: Requirement
    plan: ShiftPlan
    days: tuple[DayResult, ...]

    @property
    def level(self) -> float:
        """The worst seed's within-promise share (the figure held against the target)."""
        return min(d.kpis[WITHIN] for d in self.days)


class Stop(StrEnum):
    """Why the loop stopped."""

    MET = "met"  # a plan met the target
    ROUNDS = "rounds"  # ``rounds`` plans were tried
    STALLED = "stalled"  # `STALE_ROUNDS` rounds in a row did not raise the level
    NOTHING_TO_RAISE = "nothing_to_raise"  # the failing slots are at the cap, or none is planned


STOP_TEXT: dict[Stop, tuple[str, str]] = {
    Stop.MET: ("目標に達した時点で止めました", "it stopped at the first plan meeting the target"),
    Stop.ROUNDS: ("繰り返しの上限に達しました", "it stopped at its limit of rounds"),
    Stop.STALLED: (
        "車両を足しても約束時間内の割合が上がらなくなりました（残りは台数では解決しない理由で断られています）",
        "more vehicles where requests failed stopped raising the level: the requests still "
        "lost are lost for reasons more vehicles do not fix",
    ),
    Stop.NOTHING_TO_RAISE: (
        "失敗した時間帯はすでに車両数の上限です",
        "the slots where requests failed are already at the vehicle limit",
    ),
}


@dataclass(frozen=True, slots=True)
class ShiftStudy:
    """The roster's days, every round, and what was measured on the way."""

    spec: ScenarioSpec
    settings: PlanSettings
    seeds: tuple[int, ...]
    roster_days: tuple[DayResult, ...]
    measure: RosterMeasure
    rounds: tuple[Round, ...]
    source: str  # "simulation" | "database (N days)"
    stop: Stop = Stop.MET

    @property
    def final(self) -> Round:
        """The plan reported: the first that met the target (the loop stops there), else
        the best level reached, the cheapest among equals."""
        last = self.rounds[-1]
        if last.level >= self.settings.target:
            return last
        return max(self.rounds, key=lambda r: (r.level, -r.plan.cost_yen))

    @property
    def met(self) -> bool:
        return self.final.level >= self.settings.target and self.final.plan.covered


def failures_by_slot(days: Sequence[DayResult], start: int, slot_s: int, n: int) -> list[int]:
    """Counted requests not served within their promise, per slot of the pickup they needed."""
    out = [0] * n
    for day in days:
        for t in day.trips:
            if t.counted and not t.within_promise:
                k = (_needed_at(t) - start) // slot_s
                if 0 <= k < n:
                    out[k] += 1
    return out


def _needed_at(t: TripRecord) -> int:
    """When the request needed a vehicle: its promise, else the pickup it asked."""
    if t.promised_start is not None:
        return t.promised_start
    return t.asked_time - t.direct_time_s if t.by_arrival else t.asked_time


def raised(req: Requirement, failures: Sequence[int], k: int, cap: int) -> Requirement | None:
    """The requirement plus one vehicle in the ``k`` slots with most failures (None: none)."""
    order = sorted(
        (i for i, f in enumerate(failures) if f > 0 and req.vehicles[i] < cap),
        key=lambda i: (-failures[i], i),
    )[:k]
    if not order:
        return None
    return Requirement(
        req.start_s,
        req.slot_s,
        tuple(n + (i in order) for i, n in enumerate(req.vehicles)),
    )


def plan_and_verify(
    spec: ScenarioSpec,
    seeds: Sequence[int],
    simulate: Simulate,
    settings: PlanSettings | None = None,
    *,
    bookings: BookingProfile | None = None,
) -> ShiftStudy:
    """Plan shifts for ``spec`` and verify them by simulation (see the module docstring).

    ``bookings``: plan from the booking history; the days verified are then the spec's
    generated days with ``demand.scale`` set so they carry as many requests as the
    history's mean day.
    """
    settings = settings or PlanSettings()
    seeds = tuple(seeds)
    if not seeds:
        raise InputError("shift plan: at least one seed is needed")
    roster_days = tuple(simulate(spec, s, ROSTER) for s in seeds)
    measure = measure_roster(spec, roster_days, settings.slot_s)
    start = measure.start_s
    window = plan_window(spec, settings.slot_s)
    rules = _rules_within(settings.rules, window)
    cap = settings.max_vehicles or len(listed_groups(spec))
    verify_spec = spec
    if bookings is None:
        req = requirement_from_busy(spec, measure.busy, start, settings)
        source = "simulation"
    else:
        req = bookings.requirement(spec, measure.busy_s_per_request, settings)
        scale = spec.demand.scale * bookings.per_day / measure.requests_per_day
        verify_spec = spec.with_overrides({"demand.scale": round(scale, 4)})
        roster_days = tuple(simulate(verify_spec, s, ROSTER) for s in seeds)
        source = f"database ({len(bookings.dates)} days)"
    req = Requirement(req.start_s, req.slot_s, tuple(min(n, cap) for n in req.vehicles))
    costs = shift_costs(spec)
    rounds: list[Round] = []
    stale = 0
    stop = Stop.ROUNDS
    for i in range(settings.rounds):
        plan = plan_shifts(req, rules, costs, max_vehicles=cap, search=settings.search)
        if not plan.shifts:
            raise InputError(
                f"shift plan: no shift the rules allow fits between "
                f"{format_clock(window[0])} and {format_clock(window[1])} "
                f"(shifts of {rules.min_length_s / 3600:g} h or more): "
                f"{len(plan.shortfalls)} slots cannot be covered"
            )
        planned = spec_with_shifts(verify_spec, plan)
        days = tuple(simulate(planned, s, f"plan-{i + 1}") for s in seeds)
        rounds.append(Round(req, plan, days))
        level = rounds[-1].level
        log.info(
            "shift plan round %d: %d vehicles, %.1f h, worst seed within promise %.1f %%",
            i + 1,
            plan.vehicles,
            plan.vehicle_hours,
            100 * level,
        )
        if level >= settings.target:
            stop = Stop.MET
            break
        best = max(r.level for r in rounds[:-1]) if len(rounds) > 1 else -1.0
        stale = stale + 1 if level <= best else 0
        if stale >= STALE_ROUNDS:
            stop = Stop.STALLED
            break
        n = len(req.vehicles)
        more = raised(
            req, failures_by_slot(days, start, settings.slot_s, n), settings.raise_slots, cap
        )
        if more is None:
            stop = Stop.NOTHING_TO_RAISE
            break
        req = more
    return ShiftStudy(spec, settings, seeds, roster_days, measure, tuple(rounds), source, stop)


def _rules_within(rules: ShiftRules, window: tuple[int, int]) -> ShiftRules:
    """The rules, with shifts kept inside the planned window unless they say otherwise."""
    from dataclasses import replace

    return replace(
        rules,
        earliest_start_s=window[0] if rules.earliest_start_s is None else rules.earliest_start_s,
        latest_end_s=window[1] if rules.latest_end_s is None else rules.latest_end_s,
    )
