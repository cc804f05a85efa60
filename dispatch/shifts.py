"""Shift plans (勤務計画): how many vehicles, and which shifts, cover a requirement at least cost.

The one place where shift-planning rules live. Input: vehicles needed per time slot
(`Requirement`), the shift rules (`ShiftRules`) and the costs (`ShiftCosts`); output:
a `ShiftPlan` of shifts (vehicle, start, end, break) covering every slot it can at
minimum cost, and the slots it cannot cover, with why (infeasibility is data).

Rules encoded (every figure is a `ShiftRules` field, so a town can set its own):

- 拘束時間 (restraint: shift start to end, breaks included) at most ``max_length_s``,
  default 13 h: 自動車運転者の労働時間等の改善のための基準（改善基準告示, 厚生労働省告示
  第367号, 2024年4月施行）, タクシー・ハイヤー日勤勤務者の1日の拘束時間 13時間以内;
- 休憩 (break) by 労働基準法 第34条: working time (the shift minus its break) over 6 h
  needs at least 45 min, over 8 h at least 60 min (``break_rules``);
- 連続運転 (continuous duty) at most ``max_drive_s`` before and after the break, default
  4 h, and a shift longer than that gets a break of at least ``drive_break_s`` (30 min)
  even when the law of breaks asks none — the rule 改善基準告示 sets for bus drivers
  (連続運転時間 4時間以内, 30分以上の中断); taxi rules have none, but a shared-ride (乗合)
  service is often run under the bus rules, so the stricter one is the default;
- one break per shift, starting at least ``min_before_break_s`` after the start. So a
  shift is at most ``2 * max_drive_s + break`` long (8 h 45 min by default); shifts
  needing two breaks are not generated;
- one shift per vehicle and day; shifts start and end on slot boundaries, within
  ``[earliest_start_s, latest_end_s]``; breaks start on slot boundaries too.

Coverage is counted in whole slots, conservatively: a shift covers a slot when it is
on duty for the whole slot and its break does not overlap it (a 45 min break thus
takes two 30 min slots). Cost per shift = ``per_vehicle_yen`` + ``per_hour_yen`` x its
length in hours, breaks included (the paid shift, as `scenarios.metrics` counts
vehicle hours).

The CP-SAT model, one adapter: every shift the rules allow is a template (start,
length, break start); an integer variable counts the vehicles on each template (no
symmetry between identical vehicles); per slot, covering vehicles + shortfall >=
requirement; the objective is lexicographic by weighting: least total shortfall,
then least cost. With one worker and a fixed seed the search is deterministic unless
the time limit cuts it short (`ShiftPlan.status` says "feasible" then).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from enum import StrEnum

from ortools.sat.python import cp_model

from dispatch.cpsat import solve_model
from dispatch.errors import InputError, SolverError

__all__ = [
    "PlannedShift",
    "Requirement",
    "ShiftCosts",
    "ShiftPlan",
    "ShiftRules",
    "ShiftSearch",
    "Shortfall",
    "ShortfallReason",
    "break_needed_s",
    "plan_shifts",
]

logger = logging.getLogger(__name__)

H = 3600
MIN = 60


def _int(obj: str, name: str, value: object, *, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputError(f"{obj}: {name} must be an int, got {value!r}")
    if value < minimum:
        raise InputError(f"{obj}: {name} must be >= {minimum}, got {value}")
    return value


@dataclass(frozen=True, slots=True)
class Requirement:
    """Vehicles needed in each slot ``[start_s + k * slot_s, start_s + (k + 1) * slot_s)``."""

    start_s: int
    slot_s: int
    vehicles: tuple[int, ...]

    def __post_init__(self) -> None:
        obj = "requirement"
        _int(obj, "start_s", self.start_s)
        _int(obj, "slot_s", self.slot_s, minimum=60)
        if not isinstance(self.vehicles, tuple) or not self.vehicles:
            raise InputError(f"{obj}: vehicles must be a non-empty tuple, got {self.vehicles!r}")
        for k, n in enumerate(self.vehicles):
            _int(obj, f"vehicles[{k}]", n)

    @property
    def end_s(self) -> int:
        return self.start_s + self.slot_s * len(self.vehicles)

    def slot_start(self, k: int) -> int:
        return self.start_s + k * self.slot_s


@dataclass(frozen=True, slots=True)
class ShiftRules:
    """What a shift may look like (see the module docstring for the legal sources).

    ``earliest_start_s`` / ``latest_end_s`` None: the requirement's first / last slot
    boundary. ``break_rules``: (working time above which, break length), seconds.
    """

    min_length_s: int = 4 * H
    max_length_s: int = 13 * H
    max_drive_s: int = 4 * H
    min_before_break_s: int = 1 * H
    drive_break_s: int = 30 * MIN
    break_rules: tuple[tuple[int, int], ...] = ((6 * H, 45 * MIN), (8 * H, 60 * MIN))
    earliest_start_s: int | None = None
    latest_end_s: int | None = None

    def __post_init__(self) -> None:
        obj = "shift rules"
        _int(obj, "min_length_s", self.min_length_s, minimum=1)
        _int(obj, "max_length_s", self.max_length_s, minimum=self.min_length_s)
        _int(obj, "max_drive_s", self.max_drive_s, minimum=1)
        _int(obj, "min_before_break_s", self.min_before_break_s)
        _int(obj, "drive_break_s", self.drive_break_s, minimum=1)
        if not isinstance(self.break_rules, tuple):
            raise InputError(f"{obj}: break_rules must be a tuple of (over_s, break_s)")
        for i, rule in enumerate(self.break_rules):
            if not (isinstance(rule, tuple) and len(rule) == 2):
                raise InputError(f"{obj}: break_rules[{i}] must be (over_s, break_s), got {rule!r}")
            _int(obj, f"break_rules[{i}].over_s", rule[0])
            _int(obj, f"break_rules[{i}].break_s", rule[1], minimum=1)
        for name in ("earliest_start_s", "latest_end_s"):
            if getattr(self, name) is not None:
                _int(obj, name, getattr(self, name))
        if (
            self.earliest_start_s is not None
            and self.latest_end_s is not None
            and self.latest_end_s <= self.earliest_start_s
        ):
            raise InputError(f"{obj}: latest_end_s must be after earliest_start_s")


def break_needed_s(length_s: int, rules: ShiftRules) -> int:
    """The shortest break a shift of ``length_s`` needs (0: none).

    The law counts working time, which is the shift minus the break: 8 h 45 min with
    45 min is 8 h of work, which 45 min satisfies; 9 h with 45 min is 8 h 15 min of
    work and needs 60 min.
    """
    for brk in sorted({0, *(b for _, b in rules.break_rules)}):
        work = length_s - brk
        if all(brk >= b for over, b in rules.break_rules if work > over):
            return brk
    return max(b for _, b in rules.break_rules)  # pragma: no cover - the largest always fits


@dataclass(frozen=True, slots=True)
class ShiftCosts:
    """Yen per vehicle-day used (car, insurance) and per shift hour (driver and car)."""

    per_vehicle_yen: int = 0
    per_hour_yen: int = 3000

    def __post_init__(self) -> None:
        _int("shift costs", "per_vehicle_yen", self.per_vehicle_yen)
        _int("shift costs", "per_hour_yen", self.per_hour_yen)

    def of(self, length_s: int) -> int:
        """Cost of one shift of ``length_s`` seconds, yen (rounded)."""
        return self.per_vehicle_yen + round(self.per_hour_yen * length_s / H)


@dataclass(frozen=True, slots=True)
class ShiftSearch:
    """CP-SAT's limits: wall-clock ``time_limit_s``; one worker and ``seed`` for determinism."""

    time_limit_s: float = 10.0
    seed: int = 0
    workers: int = 1

    def __post_init__(self) -> None:
        obj = "shift search"
        if isinstance(self.time_limit_s, bool) or not (
            isinstance(self.time_limit_s, int | float) and self.time_limit_s > 0
        ):
            raise InputError(f"{obj}: time_limit_s must be > 0, got {self.time_limit_s!r}")
        _int(obj, "seed", self.seed)
        _int(obj, "workers", self.workers, minimum=1)


@dataclass(frozen=True, slots=True)
class PlannedShift:
    """One vehicle's shift ``[start, end)`` with its break ``[break_start, break_end)``."""

    vehicle: str
    start: int
    end: int
    break_start: int | None = None
    break_end: int | None = None

    def __post_init__(self) -> None:
        obj = f"shift {self.vehicle!r}"
        if not isinstance(self.vehicle, str) or not self.vehicle:
            raise InputError(f"shift: vehicle must be a non-empty string, got {self.vehicle!r}")
        _int(obj, "start", self.start)
        _int(obj, "end", self.end, minimum=self.start + 1)
        if (self.break_start is None) != (self.break_end is None):
            raise InputError(f"{obj}: break_start and break_end go together")
        if self.break_start is not None and self.break_end is not None:
            _int(obj, "break_start", self.break_start, minimum=self.start)
            _int(obj, "break_end", self.break_end, minimum=self.break_start + 1)
            if self.break_end > self.end:
                raise InputError(f"{obj}: break_end {self.break_end} is after end {self.end}")

    @property
    def length_s(self) -> int:
        return self.end - self.start

    @property
    def hours(self) -> float:
        return self.length_s / H


class ShortfallReason(StrEnum):
    """Why a slot is not fully covered."""

    NO_SHIFT = "no_shift"  # no shift the rules allow is on duty for this whole slot
    FLEET_LIMIT = "fleet_limit"  # more vehicles than ``max_vehicles`` would be needed
    TIME_LIMIT = "time_limit"  # CP-SAT stopped at its time limit before covering it


SHORTFALL_TEXT: dict[ShortfallReason, tuple[str, str]] = {
    ShortfallReason.NO_SHIFT: (
        "勤務規則に合う勤務ではこの時間帯を覆えません",
        "no shift the rules allow covers this slot",
    ),
    ShortfallReason.FLEET_LIMIT: ("車両数の上限を超えます", "it needs more than the fleet limit"),
    ShortfallReason.TIME_LIMIT: (
        "計算時間内に覆う勤務が見つかりませんでした",
        "the search stopped at its time limit first",
    ),
}


@dataclass(frozen=True, slots=True)
class Shortfall:
    """A slot covered by fewer vehicles than required, and why."""

    slot_start: int
    slot_end: int
    required: int
    planned: int
    reason: ShortfallReason


@dataclass(frozen=True, slots=True)
class ShiftPlan:
    """The shifts, the vehicles they put on the road per slot, and what they cost."""

    requirement: Requirement
    shifts: tuple[PlannedShift, ...]
    coverage: tuple[int, ...]  # vehicles on duty and not on break, per slot
    shortfalls: tuple[Shortfall, ...]
    cost_yen: int
    status: str  # "optimal" | "feasible" (time limit) | "empty" (nothing required)
    solve_s: float  # CP-SAT's wall-clock time (a measurement, not part of the answer)
    templates: int  # shifts the rules allow (the model's size)

    @property
    def vehicles(self) -> int:
        return len(self.shifts)

    @property
    def vehicle_hours(self) -> float:
        return sum(s.hours for s in self.shifts)

    @property
    def covered(self) -> bool:
        return not self.shortfalls


@dataclass(frozen=True, slots=True)
class _Template:
    start: int
    end: int
    break_start: int | None
    break_end: int | None
    slots: tuple[int, ...]  # slot indices it covers
    cost: int


def plan_shifts(
    requirement: Requirement,
    rules: ShiftRules | None = None,
    costs: ShiftCosts | None = None,
    *,
    max_vehicles: int | None = None,
    search: ShiftSearch | None = None,
) -> ShiftPlan:
    """The least-cost shifts covering ``requirement`` (slots it cannot: `ShiftPlan.shortfalls`).

    ``max_vehicles`` caps the shifts (one per vehicle); None: no cap.

    Raises `InputError` for inconsistent input, `SolverError` if CP-SAT fails.
    """
    rules, costs, search = rules or ShiftRules(), costs or ShiftCosts(), search or ShiftSearch()
    if max_vehicles is not None:
        _int("plan_shifts", "max_vehicles", max_vehicles)
    templates = _templates(requirement, rules, costs)
    t0 = time.perf_counter()
    if not any(requirement.vehicles):
        counts, status = [0] * len(templates), "empty"
    else:
        counts, status = _cp_sat(requirement, templates, max_vehicles, search)
    solve_s = time.perf_counter() - t0
    plan = _build(requirement, templates, counts, status, solve_s, max_vehicles)
    logger.info(
        "shifts: %d slots of %d min, %d templates; %d vehicles, %.1f h, ¥%d, %d short slots; "
        "%s in %.2f s",
        len(requirement.vehicles),
        requirement.slot_s // MIN,
        len(templates),
        plan.vehicles,
        plan.vehicle_hours,
        plan.cost_yen,
        len(plan.shortfalls),
        status,
        solve_s,
    )
    return plan


def _templates(req: Requirement, rules: ShiftRules, costs: ShiftCosts) -> list[_Template]:
    """Every shift the rules allow on the slot grid."""
    slot = req.slot_s
    lo = req.start_s if rules.earliest_start_s is None else rules.earliest_start_s
    hi = req.end_s if rules.latest_end_s is None else rules.latest_end_s
    # starts on the requirement's slot grid (possibly before or after it)
    first = req.start_s + -((req.start_s - lo) // slot) * slot
    out: list[_Template] = []
    start = first
    while start + rules.min_length_s <= hi:
        length = -(-rules.min_length_s // slot) * slot
        while length <= rules.max_length_s and start + length <= hi:
            out.extend(_with_breaks(req, rules, costs, start, length))
            length += slot
        start += slot
    return out


def _with_breaks(
    req: Requirement, rules: ShiftRules, costs: ShiftCosts, start: int, length: int
) -> list[_Template]:
    end = start + length
    need = break_needed_s(length, rules)
    if not need and length <= rules.max_drive_s:
        return [_template(req, start, end, None, None, costs)]
    need = max(need, rules.drive_break_s)  # the duty is too long without one
    out = []
    b = start + max(req.slot_s, -(-rules.min_before_break_s // req.slot_s) * req.slot_s)
    while b - start <= rules.max_drive_s and b + need <= end:
        if end - (b + need) <= rules.max_drive_s:
            out.append(_template(req, start, end, b, b + need, costs))
        b += req.slot_s
    return out


def _template(
    req: Requirement, start: int, end: int, bs: int | None, be: int | None, costs: ShiftCosts
) -> _Template:
    slots = []
    for k in range(len(req.vehicles)):
        a, z = req.slot_start(k), req.slot_start(k) + req.slot_s
        on_duty = start <= a and z <= end
        on_break = bs is not None and be is not None and bs < z and a < be
        if on_duty and not on_break:
            slots.append(k)
    return _Template(start, end, bs, be, tuple(slots), costs.of(end - start))


def _cp_sat(
    req: Requirement,
    templates: list[_Template],
    max_vehicles: int | None,
    search: ShiftSearch,
) -> tuple[list[int], str]:
    model = cp_model.CpModel()
    peak = max(req.vehicles)
    cap = peak if max_vehicles is None else min(peak, max_vehicles)
    x = [model.new_int_var(0, cap, f"shift {i}") for i in range(len(templates))]
    covering: list[list[int]] = [[] for _ in req.vehicles]
    for i, t in enumerate(templates):
        for k in t.slots:
            covering[k].append(i)
    short = []
    for k, need in enumerate(req.vehicles):
        s = model.new_int_var(0, need, f"short {k}")
        model.add(sum(x[i] for i in covering[k]) + s >= need)
        short.append(s)
    if max_vehicles is not None:
        model.add(sum(x) <= max_vehicles)
    # one vehicle more costs at most the dearest template, and the whole requirement is
    # met with at most sum(requirement) shifts: this weight puts coverage first
    weight = 1 + max((t.cost for t in templates), default=0) * sum(req.vehicles)
    model.minimize(
        weight * sum(short) + sum(t.cost * xi for t, xi in zip(templates, x, strict=True))
    )
    solver, status = solve_model(model, search, "shifts")
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        raise SolverError(f"shifts: CP-SAT found no plan ({solver.status_name(status)})")
    counts = [solver.value(v) for v in x]
    return counts, "optimal" if status == cp_model.OPTIMAL else "feasible"


def _build(
    req: Requirement,
    templates: list[_Template],
    counts: list[int],
    status: str,
    solve_s: float,
    max_vehicles: int | None,
) -> ShiftPlan:
    chosen = sorted(
        (t for t, c in zip(templates, counts, strict=True) for _ in range(c)),
        key=lambda t: (t.start, t.end, t.break_start or 0),
    )
    shifts = tuple(
        PlannedShift(f"shift-{i + 1:02d}", t.start, t.end, t.break_start, t.break_end)
        for i, t in enumerate(chosen)
    )
    coverage = [0] * len(req.vehicles)
    for t in chosen:
        for k in t.slots:
            coverage[k] += 1
    coverable = {k for t in templates for k in t.slots}

    def why(k: int) -> ShortfallReason:
        if k not in coverable:
            return ShortfallReason.NO_SHIFT
        # proven only at the optimum: shortfall outweighs any cost, so only the cap binds
        if status == "optimal" and max_vehicles is not None:
            return ShortfallReason.FLEET_LIMIT
        return ShortfallReason.TIME_LIMIT

    shortfalls = tuple(
        Shortfall(req.slot_start(k), req.slot_start(k) + req.slot_s, need, coverage[k], why(k))
        for k, need in enumerate(req.vehicles)
        if coverage[k] < need
    )
    return ShiftPlan(
        requirement=req,
        shifts=shifts,
        coverage=tuple(coverage),
        shortfalls=shortfalls,
        cost_yen=sum(t.cost for t in chosen),
        status=status,
        solve_s=solve_s,
        templates=len(templates),
    )
