"""Shift plans from demand: busy vehicles per slot, the booking history, plans as specs,
and the plan-simulate-raise loop (with a stand-in simulator, then the real one)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from api.db.engine import make_engine
from api.db.models import Base, Booking
from dispatch.errors import InputError
from dispatch.shifts import PlannedShift, Requirement, ShiftPlan, ShiftRules, plan_shifts
from scenarios.results import (
    DayResult,
    LegRecord,
    StopRecord,
    TripRecord,
    TripStatus,
    VehicleRecord,
)
from scenarios.shift_plan import (
    BookingProfile,
    PlanSettings,
    Stop,
    assign_groups,
    booking_profile,
    busy_by_slot,
    busy_spans,
    failures_by_slot,
    plan_and_verify,
    plan_window,
    raised,
    requirement_from_busy,
    spec_with_shifts,
)
from scenarios.simulate import simulate_day
from scenarios.spec import ScenarioSpec

H = 3600
SLOT = 1800
P = (139.41, 35.70)


def stop(t: int, kind: str, load: int) -> StopRecord:
    return StopRecord(t, kind, None, P, load)


def vehicle(legs: list[tuple[int, int, int]], stops: list[tuple[int, str, int]], kind="taxi"):
    return VehicleRecord(
        "v1",
        kind,
        4,
        8 * H,
        16 * H,
        stops=tuple(stop(*s) for s in stops),
        legs=tuple(LegRecord(a, b, 1000, load) for a, b, load in legs),
    )


def test_busy_is_driving_or_waiting_with_someone_on_board() -> None:
    v = vehicle(
        legs=[(9 * H, 9 * H + 600, 0), (9 * H + 900, 9 * H + 1500, 1), (10 * H, 10 * H + 600, 0)],
        stops=[
            (9 * H + 600, "pickup", 1),
            (9 * H + 900, "pickup", 2),
            (9 * H + 1500, "dropoff", 0),
        ],
    )
    # 09:00-09:10 empty, 09:10-09:15 waiting loaded, 09:15-09:25 loaded, then 10:00-10:10
    assert busy_spans(v) == [(9 * H, 9 * H + 1500), (10 * H, 10 * H + 600)]


def test_busy_by_slot_splits_time_across_slots_and_averages_days() -> None:
    v = vehicle(legs=[(9 * H, 9 * H + 2700, 1)], stops=[])  # 09:00-09:45
    other = vehicle(legs=[(9 * H, 10 * H, 1)], stops=[], kind="clinic_car")
    day = DayResult("s", "base", 0, vehicles=[v, other])
    empty = DayResult("s", "base", 1, vehicles=[])
    assert busy_by_slot([day], {"taxi"}, 9 * H, SLOT, 3) == [1.0, 0.5, 0.0]
    assert busy_by_slot([day, empty], {"taxi"}, 9 * H, SLOT, 2) == [0.5, 0.25]


def test_requirement_divides_by_utilisation_with_a_floor_in_service_hours(tiny) -> None:
    # tiny: service 09:00-11:00
    settings = PlanSettings(utilisation=0.5, floor=1)
    req = requirement_from_busy(tiny, [0.0, 0.0, 0.5, 1.2, 0.0, 0.0, 0.0], 8 * H, settings)
    assert req.vehicles == (0, 0, 1, 3, 1, 1, 0)


def test_plan_window_spans_the_roster_and_the_service_on_the_slot_grid(tiny) -> None:
    assert plan_window(tiny, SLOT) == (8 * H + 1800, 12 * H)  # shifts 08:45-11:45


def test_raise_adds_one_vehicle_where_most_requests_failed() -> None:
    req = Requirement(9 * H, SLOT, (1, 2, 2, 1))
    assert raised(req, [0, 3, 1, 5], 2, cap=10).vehicles == (1, 3, 2, 2)
    assert raised(req, [0, 3, 1, 5], 2, cap=2).vehicles == (1, 2, 2, 2)  # the rest at the cap
    assert raised(req, [0, 0, 0, 0], 2, cap=10) is None


def trip(rid: str, asked: int, status=TripStatus.SERVED, promise=None, pickup=None) -> TripRecord:
    return TripRecord(
        rid, "ride", "d", status, None, asked - 3600, asked, False, 1, 0, P, P, 600, 3000,
        promised_start=promise, promised_end=None if promise is None else promise + 900,
        pickup_time=pickup, dropoff_time=None if pickup is None else pickup + 600,
        vehicle_id=None if pickup is None else "v1",
    )  # fmt: skip


def test_failures_are_counted_where_the_pickup_was_needed() -> None:
    trips = [
        trip("ok", 9 * H, promise=9 * H, pickup=9 * H + 60),
        trip("late", 9 * H, promise=9 * H + SLOT, pickup=10 * H + 600),  # promised 09:30
        trip("refused", 10 * H + 60, status=TripStatus.REJECTED),
        trip("cancelled", 9 * H, status=TripStatus.CANCELLED),
    ]
    day = DayResult("s", "base", 0, trips=trips)
    assert failures_by_slot([day], 9 * H, SLOT, 3) == [0, 1, 1]


def tiny_plan(shifts: list[PlannedShift]) -> ShiftPlan:
    req = Requirement(8 * H + 1800, SLOT, (1,) * 7)
    return ShiftPlan(req, tuple(shifts), (1,) * 7, (), 0, "optimal", 0.0, 0)


def test_a_plan_becomes_the_fleet_of_a_spec(tiny: ScenarioSpec) -> None:
    plan = tiny_plan(
        [
            PlannedShift("shift-01", 9 * H, 11 * H),
            PlannedShift("shift-02", 8 * H + 1800, 12 * H, 10 * H, 10 * H + 1800),
            PlannedShift("shift-03", 9 * H, 11 * H),
        ]
    )
    # the longest shift runs on the roster's first vehicle, the wheelchair van
    assert [(s.vehicle, g.type) for s, g in assign_groups(tiny, plan)] == [
        ("shift-02", "van"),
        ("shift-01", "taxi"),
        ("shift-03", "taxi"),
    ]
    spec = spec_with_shifts(tiny, plan)
    groups = {g.type: g for g in spec.fleet.vehicles}
    assert set(groups) == {"van-0830-1200-b1000", "taxi-0900-1100"}
    van = groups["van-0830-1200-b1000"]
    assert (van.count, van.shift, van.wheelchairs) == (1, (8 * H + 1800, 12 * H), 1)
    assert [(b.start, b.end, b.minutes) for b in van.breaks] == [(10 * H, 10 * H, 30)]
    assert groups["taxi-0900-1100"].count == 2
    assert spec.fleet.size is None and len(spec.fleet.chosen()) == 3


def test_a_plan_without_vehicles_cannot_be_simulated(tiny: ScenarioSpec) -> None:
    with pytest.raises(InputError, match="no vehicle planned"):
        spec_with_shifts(tiny, tiny_plan([]))


# -- the booking history ------------------------------------------------------------------


def at(day: date, hh: int, mm: int) -> datetime:
    """Local (JST) clock time as the aware UTC datetime the database stores."""
    return datetime(day.year, day.month, day.day, hh - 9, mm, tzinfo=UTC)


def test_the_booking_history_gives_bookings_per_slot(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'h.db'}")
    Base.metadata.create_all(engine)
    d1, d2, old = date(2026, 4, 2), date(2026, 4, 3), date(2026, 3, 1)
    now = datetime(2026, 4, 4, tzinfo=UTC)

    def booking(i: int, day: date, status: str, promised=None, asked=None, kind="ride"):
        return Booking(
            id=f"b{i}", service_date=day, kind=kind, status=status,
            pickup_lon=P[0], pickup_lat=P[1], dropoff_lon=P[0], dropoff_lat=P[1],
            promise_start=promised, requested_at=asked, created_at=now, updated_at=now,
        )  # fmt: skip

    with Session(engine) as s:
        s.add_all(
            [
                booking(1, d1, "done", promised=at(d1, 9, 10), asked=at(d1, 11, 0)),
                booking(2, d1, "no_show", asked=at(d1, 9, 40)),
                booking(3, d1, "cancelled", promised=at(d1, 9, 10)),  # needed no vehicle
                booking(4, d2, "confirmed", promised=at(d2, 9, 20)),
                booking(5, d2, "done"),  # no time: skipped
                booking(6, old, "done", promised=at(old, 9, 0)),  # beyond --days 2
                booking(7, d2, "done", promised=at(d2, 9, 0), kind="visit"),  # the clinic car's
            ]
        )
        s.commit()
        profile = booking_profile(
            s, days=2, start_s=9 * H, slot_s=SLOT, n_slots=2, timezone="Asia/Tokyo"
        )
    engine.dispose()
    assert profile.dates == (d1, d2)
    assert profile.per_slot == (1.0, 0.5)  # 09:10 and 09:20 on two days; 09:40 on one
    assert profile.per_day == 2.0 and profile.skipped == 1
    # one booking keeps a vehicle busy 30 min: 1 vehicle at 100 %, 2 at 50 %
    req = profile.requirement(_service_9_10(), 1800.0, PlanSettings(utilisation=0.5, floor=0))
    assert req.vehicles == (2, 1)


def _service_9_10() -> ScenarioSpec:
    from scenarios.spec import ScenarioSpec as Spec

    return Spec.model_validate(
        {
            "name": "h",
            "area": {"centre": [139.41, 35.7]},
            "service": {"start": "09:00", "end": "10:00"},
            "fleet": {"depots": [{"name": "d", "at": [139.41, 35.7]}], "vehicles": [{"type": "t"}]},
        }
    )


def test_an_empty_history_is_an_input_error(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'e.db'}")
    Base.metadata.create_all(engine)
    with Session(engine) as s, pytest.raises(InputError, match="no bookings"):
        booking_profile(s, days=5, start_s=9 * H, slot_s=SLOT, n_slots=4, timezone="Asia/Tokyo")
    engine.dispose()


# -- the loop -------------------------------------------------------------------------------


def fake_simulate(spec: ScenarioSpec, seed: int, variant: str) -> DayResult:
    """A day whose service level grows with the vehicles on duty 09:30-10:00: every
    vehicle short of three there costs a late pickup at 09:40 (of ten requests)."""
    on = sum(
        1
        for g in spec.fleet.chosen()
        if g.shift[0] <= 9 * H + 1800 and g.shift[1] >= 10 * H
        and not any(b.start < 10 * H and b.start + b.minutes * 60 > 9 * H + 1800 for b in g.breaks)
    )  # fmt: skip
    late = max(0, 3 - on)
    trips = [trip(f"ok{i}", 9 * H, promise=9 * H, pickup=9 * H) for i in range(10 - late)]
    trips += [
        trip(f"late{i}", 9 * H + 2400, promise=9 * H + 2400, pickup=11 * H) for i in range(late)
    ]
    vehicles = [vehicle(legs=[(9 * H, 9 * H + 1800, 1)], stops=[], kind="taxi")]
    kpis = {
        "within_promise_share": (10 - late) / 10,
        "served_share": 1.0,
        "served_rides": 10.0,
        "vehicles": float(len(spec.fleet.chosen())),
        "vehicle_hours": 1.0,
        "cost_yen": 1.0,
    }
    return DayResult(spec.name, variant, seed, trips=trips, vehicles=vehicles, kpis=kpis)


def test_the_loop_raises_the_requirement_where_requests_fail(tiny: ScenarioSpec) -> None:
    settings = PlanSettings(
        target=1.0, utilisation=1.0, floor=1, raise_slots=1, rules=ShiftRules(min_length_s=H)
    )
    study = plan_and_verify(tiny, [0], fake_simulate, settings)
    levels = [r.level for r in study.rounds]
    assert levels == [0.8, 0.9, 1.0] and study.met  # one more vehicle at 09:30 each round
    assert [r.requirement.vehicles[2] for r in study.rounds] == [1, 2, 3]  # slot 09:30
    assert study.source == "simulation"


def test_the_loop_stops_at_its_round_limit_and_says_the_target_is_missed(tiny) -> None:
    settings = PlanSettings(target=1.0, utilisation=1.0, rounds=2, rules=ShiftRules(min_length_s=H))
    study = plan_and_verify(tiny, [0], fake_simulate, settings)
    assert len(study.rounds) == 2 and not study.met and study.stop is Stop.ROUNDS
    assert study.final is study.rounds[1]  # the better of the two


def test_the_loop_stops_when_more_vehicles_do_not_help(tiny) -> None:
    def hopeless(spec: ScenarioSpec, seed: int, variant: str) -> DayResult:
        day = fake_simulate(spec, seed, variant)
        lost = [trip(f"wheelchair{i}", 9 * H + 2400, status=TripStatus.REJECTED) for i in range(2)]
        day.trips = [*day.trips[:8], *lost]  # the same two refused whatever the fleet
        day.kpis["within_promise_share"] = 0.8
        return day

    settings = PlanSettings(target=0.95, utilisation=1.0, rules=ShiftRules(min_length_s=H))
    study = plan_and_verify(tiny, [0], hopeless, settings)
    assert study.stop is Stop.STALLED and len(study.rounds) == 3  # two rounds without gain
    assert study.final is study.rounds[0]  # the same level for the least cost
    assert study.final.plan.cost_yen < study.rounds[-1].plan.cost_yen


def test_a_plan_from_the_history_is_verified_on_days_scaled_to_it(tiny) -> None:
    scales: list[tuple[str, float]] = []

    def simulate(spec: ScenarioSpec, seed: int, variant: str) -> DayResult:
        scales.append((variant, spec.demand.scale))
        return fake_simulate(spec, seed, variant)

    # the fake roster day has 10 requests; the history 25 a day, all at 09:00-09:30
    history = BookingProfile((date(2026, 4, 1),), 8 * H + 1800, SLOT, (0, 25) + (0,) * 5, 25.0, 0)
    settings = PlanSettings(utilisation=1.0, floor=0, rounds=1, rules=ShiftRules(min_length_s=H))
    study = plan_and_verify(tiny, [0], simulate, settings, bookings=history)
    assert study.source == "database (1 days)"
    assert scales == [("roster", 1.0), ("roster", 2.5), ("plan-1", 2.5)]
    # the roster's taxi was busy 30 min for 10 requests: 180 s each, 25 x 180 s = 2.5 slots
    assert study.measure.busy_s_per_request == 180.0
    assert study.rounds[0].requirement.vehicles == (0, 3, 0, 0, 0, 0, 0)


def test_the_cap_is_the_roster_size(tiny: ScenarioSpec) -> None:
    # tiny lists 3 vehicles: the requirement never asks more than that
    settings = PlanSettings(target=1.0, utilisation=0.1, rules=ShiftRules(min_length_s=H))
    study = plan_and_verify(tiny, [0], fake_simulate, settings)
    assert max(study.rounds[0].requirement.vehicles) == 3
    assert study.final.plan.vehicles <= 3


def test_a_real_day_with_planned_shifts(tiny: ScenarioSpec, data_dir: Path, graph_cache) -> None:
    def simulate(spec: ScenarioSpec, seed: int, variant: str) -> DayResult:
        return simulate_day(spec, seed, data_dir=data_dir, cache_dir=graph_cache, variant=variant)

    settings = PlanSettings(rounds=1, rules=ShiftRules(min_length_s=2 * H))
    study = plan_and_verify(tiny, [1], simulate, settings)
    final = study.final
    assert final.plan.covered and final.plan.vehicles >= 1
    [day] = final.days
    assert day.variant == "plan-1" and study.roster_days[0].variant == "roster"
    planned = sorted((v.shift_start, v.shift_end) for v in day.vehicles)
    assert planned == sorted((s.start, s.end) for s in final.plan.shifts)
    assert 0.0 <= final.level <= 1.0


def test_settings_name_the_bad_field() -> None:
    with pytest.raises(InputError, match="target"):
        PlanSettings(target=1.5)
    with pytest.raises(InputError, match="slot_s"):
        PlanSettings(slot_s=1000)
    with pytest.raises(InputError, match="utilisation"):
        PlanSettings(utilisation=0)


def test_plan_shifts_meets_a_requirement_from_busy_vehicles(tiny: ScenarioSpec) -> None:
    req = requirement_from_busy(
        tiny, [0.2, 1.5, 1.5, 0.4, 0.1, 0.0, 0.0], 8 * H + 1800, PlanSettings()
    )
    plan = plan_shifts(req, ShiftRules(min_length_s=2 * H))
    assert plan.covered and all(c >= n for c, n in zip(plan.coverage, req.vehicles, strict=True))
