"""Shift plans: hand-checkable instances, shortfalls as data, and the rules checked
by a small checker written here (not the model's own code)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dispatch.errors import InputError
from dispatch.shifts import (
    PlannedShift,
    Requirement,
    ShiftCosts,
    ShiftPlan,
    ShiftRules,
    ShortfallReason,
    break_needed_s,
    plan_shifts,
)

H = 3600
M = 60
SLOT = 30 * M


def law_violations(s: PlannedShift, rules: ShiftRules) -> list[str]:
    """The rules of the module docstring, restated independently."""
    out = []
    length = s.end - s.start
    if not rules.min_length_s <= length <= rules.max_length_s:
        out.append("length")
    brk = 0 if s.break_start is None else s.break_end - s.break_start
    work = length - brk
    if work > 8 * H and brk < 60 * M:
        out.append("8 h of work need 60 min")
    elif work > 6 * H and brk < 45 * M:
        out.append("6 h of work need 45 min")
    if s.break_start is None:
        if length > rules.max_drive_s:
            out.append("continuous duty without a break")
    else:
        if not s.start + rules.min_before_break_s <= s.break_start:
            out.append("break too early")
        if s.break_start - s.start > rules.max_drive_s:
            out.append("duty before the break")
        if s.end - s.break_end > rules.max_drive_s:
            out.append("duty after the break")
        if brk < rules.drive_break_s:
            out.append("break shorter than the 中断")
        if s.break_end > s.end:
            out.append("break after the end")
    return out


def on_duty(plan: ShiftPlan) -> list[int]:
    """Vehicles on duty and not on break for each whole slot."""
    req = plan.requirement
    out = []
    for k in range(len(req.vehicles)):
        a = req.start_s + k * req.slot_s
        z = a + req.slot_s
        out.append(
            sum(
                s.start <= a
                and z <= s.end
                and not (s.break_start is not None and s.break_start < z and a < s.break_end)
                for s in plan.shifts
            )
        )
    return out


def test_a_peak_needs_two_overlapping_shifts() -> None:
    # 09:00-15:00, one car all day and a second one 11:00-13:00; shifts of 2-4 h (no
    # break needed): 09:00-13:00 and 11:00-15:00 overlap on the peak, 8 h in all (three
    # shifts could do 8 h too, but each vehicle costs ¥500 a day).
    req = Requirement(9 * H, SLOT, (1,) * 4 + (2,) * 4 + (1,) * 4)
    rules = ShiftRules(min_length_s=2 * H, max_length_s=4 * H)
    plan = plan_shifts(req, rules, ShiftCosts(per_vehicle_yen=500, per_hour_yen=1000))
    assert plan.status == "optimal"
    assert plan.covered
    assert on_duty(plan) == [1, 1, 1, 1, 2, 2, 2, 2, 1, 1, 1, 1]
    assert plan.vehicle_hours == 8.0  # 6 h of one car + 2 h of the second
    assert plan.cost_yen == 9000
    assert sorted((s.start, s.end) for s in plan.shifts) == [(9 * H, 13 * H), (11 * H, 15 * H)]


def test_fixed_cost_per_vehicle_prefers_fewer_longer_shifts() -> None:
    req = Requirement(9 * H, SLOT, (1,) * 8)  # 09:00-13:00, one car
    rules = ShiftRules(min_length_s=2 * H, max_length_s=4 * H)
    cheap_cars = plan_shifts(req, rules, ShiftCosts(per_vehicle_yen=0, per_hour_yen=1000))
    dear_cars = plan_shifts(req, rules, ShiftCosts(per_vehicle_yen=50_000, per_hour_yen=1000))
    assert [(s.start, s.end) for s in dear_cars.shifts] == [(9 * H, 13 * H)]
    assert dear_cars.cost_yen == 54_000
    assert cheap_cars.cost_yen == 4000


def test_a_break_takes_its_slots_out_of_coverage() -> None:
    # 08:00-15:00 (7 h) needs one car throughout: one 7 h shift must break (45 min,
    # two slots), so a second shift covers the break; it is cheaper than two 3.5 h
    # shifts only if a vehicle costs enough.
    req = Requirement(8 * H, SLOT, (1,) * 14)
    plan = plan_shifts(req, costs=ShiftCosts(per_vehicle_yen=0, per_hour_yen=3000))
    assert plan.covered
    assert all(n >= 1 for n in on_duty(plan))
    for s in plan.shifts:
        assert law_violations(s, ShiftRules()) == []
    # no shift covers the whole day alone: a 7 h shift breaks for 45 min
    assert len(plan.shifts) >= 2


def test_break_lengths_follow_the_working_time() -> None:
    rules = ShiftRules()
    assert break_needed_s(4 * H, rules) == 0
    assert break_needed_s(6 * H, rules) == 0  # 6 h of work is not over 6 h
    assert break_needed_s(6 * H + SLOT, rules) == 45 * M
    assert break_needed_s(8 * H + 45 * M, rules) == 45 * M  # 8 h of work
    assert break_needed_s(9 * H, rules) == 60 * M  # 8 h 15 min with 45 min: needs 60


def test_a_slot_no_shift_may_cover_is_reported() -> None:
    # shifts may end by 12:00 only, but a car is needed 12:00-12:30
    req = Requirement(8 * H, SLOT, (1,) * 9)
    rules = ShiftRules(min_length_s=2 * H, latest_end_s=12 * H)
    plan = plan_shifts(req, rules)
    assert not plan.covered
    [short] = plan.shortfalls
    assert (short.slot_start, short.slot_end) == (12 * H, 12 * H + SLOT)
    assert (short.required, short.planned) == (1, 0)
    assert short.reason is ShortfallReason.NO_SHIFT
    assert on_duty(plan)[:8] == [1] * 8


def test_a_fleet_limit_reports_the_slots_left_short() -> None:
    req = Requirement(9 * H, SLOT, (1, 1, 3, 3, 1, 1, 1, 1))
    rules = ShiftRules(min_length_s=1 * H, max_length_s=4 * H)
    plan = plan_shifts(req, rules, max_vehicles=2)
    assert plan.vehicles <= 2
    shorts = {(s.slot_start, s.required, s.planned, s.reason) for s in plan.shortfalls}
    assert shorts == {
        (10 * H, 3, 2, ShortfallReason.FLEET_LIMIT),
        (10 * H + SLOT, 3, 2, ShortfallReason.FLEET_LIMIT),
    }


def test_nothing_required_plans_nothing() -> None:
    plan = plan_shifts(Requirement(9 * H, SLOT, (0, 0, 0, 0)), ShiftRules(min_length_s=H))
    assert plan.shifts == () and plan.cost_yen == 0 and plan.status == "empty"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"start_s": 9 * H, "slot_s": 0, "vehicles": (1,)}, "slot_s"),
        ({"start_s": 9 * H, "slot_s": SLOT, "vehicles": ()}, "vehicles"),
        ({"start_s": 9 * H, "slot_s": SLOT, "vehicles": (1, -1)}, "vehicles[1]"),
        ({"start_s": -1, "slot_s": SLOT, "vehicles": (1,)}, "start_s"),
    ],
)
def test_bad_requirements_name_the_field(kwargs: dict, field: str) -> None:
    with pytest.raises(InputError, match="requirement: " + re.escape(field)):
        Requirement(**kwargs)


def test_bad_rules_name_the_field() -> None:
    with pytest.raises(InputError, match="max_length_s"):
        ShiftRules(min_length_s=6 * H, max_length_s=5 * H)
    with pytest.raises(InputError, match=r"break_rules\[0\]"):
        ShiftRules(break_rules=((6 * H,),))  # type: ignore[arg-type]
    with pytest.raises(InputError, match="latest_end_s"):
        ShiftRules(earliest_start_s=10 * H, latest_end_s=9 * H)
    with pytest.raises(InputError, match="per_hour_yen"):
        ShiftCosts(per_hour_yen=-1)
    with pytest.raises(InputError, match="shift 's1': end"):
        PlannedShift("s1", 10 * H, 9 * H)
    with pytest.raises(InputError, match="go together"):
        PlannedShift("s1", 9 * H, 12 * H, break_start=10 * H)
    with pytest.raises(InputError, match="after end"):
        PlannedShift("s1", 9 * H, 12 * H, 11 * H + SLOT, 12 * H + SLOT)
    with pytest.raises(InputError, match="max_vehicles"):
        plan_shifts(Requirement(9 * H, SLOT, (1,)), max_vehicles=-1)


@settings(max_examples=25, deadline=None)
@given(
    st.lists(st.integers(0, 3), min_size=8, max_size=20),
    st.sampled_from([SLOT, 15 * M]),
)
def test_every_plan_keeps_the_rules_and_covers_what_it_claims(need: list[int], slot: int) -> None:
    req = Requirement(8 * H, slot, tuple(need))
    rules = ShiftRules(min_length_s=2 * H)
    plan = plan_shifts(req, rules)
    for s in plan.shifts:
        assert law_violations(s, rules) == [], s
        assert req.start_s <= s.start and s.end <= req.end_s
    assert list(plan.coverage) == on_duty(plan)
    short = {s.slot_start for s in plan.shortfalls}
    for k, n in enumerate(need):
        assert (on_duty(plan)[k] >= n) == (req.start_s + k * slot not in short)
    # every slot can be covered (shifts of 2 h fit anywhere in an 4 h+ day)
    assert plan.covered
