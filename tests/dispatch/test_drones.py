"""Drone legs: the model, why an order cannot fly, the scheduler, re-plans and KPIs.

Numbers come from the hand-checkable town of `drone_fixtures` (a leg to kita is 394 s,
a flight keeps the drone busy 1 508 s). Every schedule is also run past the
independent checker.
"""

from __future__ import annotations

import dataclasses
from itertools import pairwise

import pytest

import dispatch.drones.schedule as drone_schedule
from dispatch.drones import (
    REASON_TEXT,
    DroneBase,
    DroneOrder,
    DroneProblem,
    DroneSchedule,
    DroneSearch,
    Flight,
    Grounded,
    GroundedCause,
    HallPad,
    NoFlightReason,
    assess_order,
    check_drone_schedule,
    drone_kpis,
    flight_distance_m,
    leg_seconds,
    moved_to_van,
    reschedule,
    schedule_flights,
)
from dispatch.errors import InputError
from dispatch.model import TimeWindow
from tests.dispatch.drone_fixtures import (
    AWAY_S,
    BASE,
    BUSY_S,
    D1,
    D2,
    KITA,
    KITA_M,
    LEG_S,
    MINAMI,
    YAMA,
    YAMA_M,
    H,
    M,
    hand_flight,
    order,
    problem,
)

FAST = DroneSearch(time_limit_s=2.0, workers=1, seed=0)


def solve(p: DroneProblem, search: DroneSearch = FAST) -> DroneSchedule:
    schedule = schedule_flights(p, search)
    report = check_drone_schedule(p, schedule)
    assert report.ok(), str(report)
    return schedule


# -- model ----------------------------------------------------------------------------


def test_distance_is_the_great_circle_rounded_up_to_a_metre() -> None:
    assert flight_distance_m(BASE, KITA) == KITA_M == 3336
    assert flight_distance_m(BASE, MINAMI) == 3336
    assert flight_distance_m(BASE, YAMA) == YAMA_M
    at_base = dataclasses.replace(KITA, lon=BASE.lon, lat=BASE.lat)
    assert flight_distance_m(BASE, at_base) == 0


def test_a_leg_is_climb_and_descent_plus_distance_at_cruise_speed_rounded_up() -> None:
    assert leg_seconds(D1, KITA_M) == LEG_S == 60 + 334
    assert leg_seconds(D1, 3330) == 60 + 333
    assert leg_seconds(dataclasses.replace(D1, cruise_kmh=72), 3336) == 60 + 167


def _bad(**changes):
    return lambda: dataclasses.replace(D1, **changes)


@pytest.mark.parametrize(
    ("build", "words"),
    [
        (_bad(payload_g=0), "drone 'd1': payload_g"),
        (_bad(payload_g=2.5), "drone 'd1': payload_g"),
        (_bad(range_m=0), "drone 'd1': range_m"),
        (_bad(cruise_kmh=0), "drone 'd1': cruise_kmh"),
        (_bad(turnaround_s=-1), "drone 'd1': turnaround_s"),
        (_bad(handover_s=0), "drone 'd1': handover_s"),
        (_bad(takeoff_landing_s=-5), "drone 'd1': takeoff_landing_s"),
        (_bad(flying_hours=(9 * H, 17 * H)), "drone 'd1': flying_hours"),
        (_bad(base_id=""), "drone 'd1': base_id"),
        (_bad(id=""), "drone: id"),
        (lambda: DroneBase("b", "x", 0, 137.9, 95.0), "drone base 'b': lat"),
        (lambda: DroneBase("b", "x", 0, float("nan"), 35.0), "drone base 'b': lon"),
        (lambda: DroneBase("b", "x", -1, 137.9, 35.0), "drone base 'b': location"),
        (
            lambda: HallPad("h", "x", 1, 137.9, 35.8, None),  # type: ignore[arg-type]
            "hall pad 'h': opening_hours",
        ),
        (lambda: order("o", weight_g=0), "drone order 'o': weight_g"),
        (lambda: order("o", ready_at=-1), "drone order 'o': ready_at"),
        (lambda: order("o", ready_at=12 * H), "drone order 'o': slot"),
        (lambda: order("o", hall=""), "drone order 'o': hall_id"),
        (lambda: Grounded(10 * H, 10 * H), "grounded period: end"),
        (lambda: Grounded(10 * H, 11 * H, drone_ids=frozenset()), "grounded period: drone_ids"),
        (lambda: Grounded(10 * H, 11 * H, cause="rain"), "grounded period: cause"),
        (
            lambda: dataclasses.replace(hand_flight("o", 10 * H), back=10 * H),
            "flight of order 'o': back",
        ),
        (lambda: problem([], drones=(_bad(base_id="nowhere")(),)), "drone 'd1': base_id"),
        (lambda: problem([], drones=(D1, D1)), "drone problem: drones have a duplicate id 'd1'"),
        (lambda: problem([order("o"), order("o")]), "drone problem: orders"),
        (lambda: problem([order("o", base="elsewhere")]), "drone order 'o': base_id"),
        (
            lambda: problem([], grounded=(Grounded(H, 2 * H, drone_ids=frozenset({"d9"})),)),
            "grounded period: drone_ids",
        ),
        (lambda: problem([], locked=(hand_flight("o", 10 * H),)), "order_id"),
        (
            lambda: problem([order("o")], locked=(hand_flight("o", 10 * H, drone="d9"),)),
            "drone_id",
        ),
        (
            lambda: problem(
                [order("o")], locked=(hand_flight("o", 10 * H), hand_flight("o", 12 * H))
            ),
            "locked twice",
        ),
        (lambda: problem([], now=-1), "drone problem: now"),
        (lambda: DroneSearch(time_limit_s=0), "drone search: time_limit_s"),
        (lambda: DroneSearch(engine="mip"), "drone search: engine"),  # type: ignore[arg-type]
        (lambda: DroneSearch(workers=0), "drone search: workers"),
    ],
)
def test_bad_input_is_refused_naming_the_object_and_the_field(build, words: str) -> None:
    with pytest.raises(InputError) as caught:
        build()
    assert words in str(caught.value)
    assert isinstance(caught.value, ValueError)


def test_a_grounded_period_names_its_drones_or_all() -> None:
    weather = Grounded(10 * H, 11 * H)
    switch = Grounded(10 * H, 11 * H, drone_ids=frozenset({"d2"}), cause=GroundedCause.DISPATCHER)
    assert weather.applies_to("d1") and weather.applies_to("d2")
    assert switch.applies_to("d2") and not switch.applies_to("d1")


# -- why an order cannot fly -------------------------------------------------------------


def reason_of(o: DroneOrder, **kw) -> NoFlightReason | None:
    return assess_order(problem([o], **kw), o).reason


def test_every_reason_has_japanese_then_english_text() -> None:
    assert set(REASON_TEXT) == set(NoFlightReason)
    for ja, en in REASON_TEXT.values():
        assert any(ord(c) > 0x3000 for c in ja)
        assert en.isascii() and en


def test_a_parcel_within_every_limit_can_fly() -> None:
    a = assess_order(problem([order("o")]), order("o"))
    assert a.can_fly and a.reason is None
    (option,) = a.options
    assert (option.drone_id, option.distance_m, option.leg_s, option.away_s) == (
        "d1",
        KITA_M,
        LEG_S,
        AWAY_S,
    )
    # Lands at 10:00..11:00: take off 10:00 - 394 s .. 11:00 - 394 s.
    assert option.takeoffs == (TimeWindow(10 * H - LEG_S, 11 * H - LEG_S),)


def test_destination_without_a_pad() -> None:
    assert reason_of(order("o", hall="tanaka-house")) is NoFlightReason.NOT_A_HALL_PAD


def test_no_drone_at_the_base() -> None:
    assert reason_of(order("o", base="depot")) is NoFlightReason.NO_DRONE_AT_BASE


def test_overweight_by_one_gram_never_flies_but_the_payload_itself_does() -> None:
    assert reason_of(order("o", weight_g=5000)) is None
    heavy = order("heavy", weight_g=5001)
    assert reason_of(heavy) is NoFlightReason.OVERWEIGHT
    schedule = solve(problem([heavy, order("light")]))
    assert schedule.reason_for("heavy") is NoFlightReason.OVERWEIGHT
    assert schedule.flown_order_ids == {"light"}


def test_hall_beyond_the_round_trip_range() -> None:
    assert reason_of(order("o", hall="yama")) is NoFlightReason.OUT_OF_RANGE
    long_range = dataclasses.replace(D1, range_m=2 * YAMA_M)
    assert reason_of(order("o", hall="yama"), drones=(long_range,)) is None
    short = dataclasses.replace(D1, range_m=2 * YAMA_M - 1)
    assert reason_of(order("o", hall="yama"), drones=(short,)) is NoFlightReason.OUT_OF_RANGE


def test_the_reason_is_that_of_the_drone_that_came_closest() -> None:
    small_far = dataclasses.replace(D1, id="small", payload_g=5000, range_m=20000)
    big_near = dataclasses.replace(D1, id="big", payload_g=10000, range_m=10000)
    drones = (small_far, big_near)
    six_kg_far = order("o", hall="yama", weight_g=6000)
    assert reason_of(six_kg_far, drones=drones) is NoFlightReason.OUT_OF_RANGE
    eleven_kg = order("o", hall="yama", weight_g=11000)
    assert reason_of(eleven_kg, drones=drones) is NoFlightReason.OVERWEIGHT
    six_kg_near = order("o", hall="kita", weight_g=6000)
    (option,) = assess_order(problem([six_kg_near], drones=drones), six_kg_near).options
    assert option.drone_id == "big"


def test_hall_closed_during_the_slot() -> None:
    # minami opens at 13:00; the slot is 10:00-11:00.
    assert reason_of(order("o", hall="minami")) is NoFlightReason.HALL_CLOSED
    assert reason_of(order("o", hall="minami", slot=(12 * H, 13 * H))) is None


def test_ready_too_late_for_the_slot() -> None:
    assert reason_of(order("o", ready_at=11 * H - LEG_S)) is None
    assert reason_of(order("o", ready_at=11 * H - LEG_S + 1)) is NoFlightReason.TOO_LATE
    # ... and so is an order whose slot can no longer be reached from now.
    assert reason_of(order("o"), now=11 * H - LEG_S + 1) is NoFlightReason.TOO_LATE


def test_outside_flying_hours() -> None:
    early = order("o", ready_at=7 * H, slot=(8 * H, 8 * H + 30 * M))
    assert reason_of(early) is NoFlightReason.OUTSIDE_FLYING_HOURS
    # Back by 17:00 means landing at the hall by 17:00 - 394 - 120 s.
    last = 17 * H - LEG_S - 120
    assert reason_of(order("o", slot=(last, 17 * H))) is None
    assert reason_of(order("o", slot=(last + 1, 17 * H))) is NoFlightReason.OUTSIDE_FLYING_HOURS
    # The first take-off is at 09:00, so no landing at the hall before 09:06:34.
    assert reason_of(order("o", ready_at=8 * H, slot=(8 * H, 9 * H + LEG_S))) is None
    assert reason_of(order("o", ready_at=8 * H, slot=(8 * H, 9 * H + LEG_S - 1))) is (
        NoFlightReason.OUTSIDE_FLYING_HOURS
    )


def test_grounded_for_the_whole_slot() -> None:
    rain = Grounded(9 * H + 30 * M, 11 * H + 30 * M)
    assert reason_of(order("o"), grounded=(rain,)) is NoFlightReason.GROUNDED
    other_drone = Grounded(9 * H, 12 * H, drone_ids=frozenset({"d2"}))
    assert reason_of(order("o"), drones=(D1, D2), grounded=(other_drone,)) is None


def test_a_grounded_period_must_miss_the_whole_flight_not_just_the_take_off() -> None:
    # Lands back at 10:00 + 394 + 120 at the latest when landing at the hall at 10:00.
    first_landing_back = 10 * H - LEG_S + AWAY_S
    rain = Grounded(10 * H - LEG_S + AWAY_S, 11 * H + 30 * M)
    a = assess_order(problem([order("o")], grounded=(rain,)), order("o"))
    assert a.options[0].takeoffs == (TimeWindow(10 * H - LEG_S, 10 * H - LEG_S),)
    one_second_earlier = Grounded(first_landing_back - 1, 11 * H + 30 * M)
    assert reason_of(order("o"), grounded=(one_second_earlier,)) is NoFlightReason.GROUNDED


def test_no_free_drone_when_the_slot_holds_fewer_flights_than_orders() -> None:
    orders = [order(f"o{i}") for i in range(5)]
    schedule = solve(problem(orders))
    # 10:00 to 11:00 holds landings at 10:00, +1508 s and +3016 s: three flights.
    assert len(schedule.flights) == 3
    assert [n.reason for n in schedule.not_flown] == [NoFlightReason.NO_FREE_DRONE] * 2
    assert all(assess_order(problem(orders), o).can_fly for o in orders)


# -- the scheduler --------------------------------------------------------------------------


def test_three_flights_land_at_the_start_of_their_slot_then_one_turnaround_apart() -> None:
    schedule = solve(problem([order("a"), order("b"), order("c")]))
    assert schedule.engine == "cp-sat" and schedule.status == "optimal"
    assert [f.at_hall for f in schedule.flights] == [10 * H, 10 * H + BUSY_S, 10 * H + 2 * BUSY_S]
    first = schedule.flights[0]
    assert (first.takeoff, first.leaves_hall, first.back, first.ready) == (
        10 * H - LEG_S,
        10 * H + 120,
        10 * H + 120 + LEG_S,
        10 * H + 120 + LEG_S + 600,
    )
    assert first.distance_m == 2 * KITA_M
    assert schedule.handover_delay_s == 0 + BUSY_S + 2 * BUSY_S


def test_flights_of_one_drone_never_overlap_and_keep_the_turnaround() -> None:
    orders = [order(f"o{i}", slot=(10 * H, 13 * H)) for i in range(8)]
    schedule = solve(problem(orders, drones=(D1, D2)))
    assert len(schedule.flights) == 8
    for drone in (D1, D2):
        flights = schedule.flights_of(drone.id)
        assert len(flights) == 4
        for a, b in pairwise(flights):
            assert b.takeoff >= a.back + drone.turnaround_s


def test_flights_stay_in_flying_hours_slots_and_after_ready() -> None:
    orders = [
        order("late", slot=(16 * H + 30 * M, 17 * H)),
        order("early", slot=(8 * H, 9 * H + 30 * M), ready_at=8 * H),
        order("ready-late", ready_at=12 * H, slot=(11 * H, 13 * H)),
    ]
    schedule = solve(problem(orders))
    assert schedule.flown_order_ids == {"late", "early", "ready-late"}
    for f in schedule.flights:
        o = next(o for o in orders if o.id == f.order_id)
        assert D1.flying_hours.start <= f.takeoff and f.back <= D1.flying_hours.end
        assert o.slot.contains(f.at_hall)
        assert f.takeoff >= o.ready_at
        assert f.at_hall >= o.ready_at + LEG_S
    assert schedule.flight_of("early").takeoff == 9 * H
    assert schedule.flight_of("ready-late").takeoff == 12 * H


def test_flights_wait_out_a_grounded_period() -> None:
    rain = Grounded(10 * H + 15 * M, 10 * H + 45 * M)
    schedule = solve(problem([order("a"), order("b")], grounded=(rain,)))
    assert [f.at_hall for f in schedule.flights] == [10 * H, 10 * H + 45 * M + LEG_S]
    for f in schedule.flights:
        assert f.back <= rain.start or f.takeoff >= rain.end


def test_a_drone_switched_off_leaves_its_orders_to_the_other() -> None:
    off = Grounded(0, 24 * H, drone_ids=frozenset({"d1"}), cause=GroundedCause.DISPATCHER)
    schedule = solve(problem([order("a"), order("b")], drones=(D1, D2), grounded=(off,)))
    assert {f.drone_id for f in schedule.flights} == {"d2"}
    assert len(schedule.flights) == 2


def test_a_drone_busy_with_a_flown_flight_is_no_twin_of_an_idle_one() -> None:
    # d1 is out with "early" until 10:08:34 and turns around until 10:18:34; "next"
    # must land at 10:10, so only d2 can take it, although d1 and d2 are the same make.
    flown = hand_flight("early", 10 * H - LEG_S)
    p = problem(
        [order("early"), order("next", slot=(10 * H + 10 * M, 10 * H + 10 * M))],
        drones=(D1, D2),
        locked=(flown,),
        now=10 * H,
    )
    schedule = solve(p)
    assert schedule.flight_of("early") == flown
    assert schedule.flight_of("next").drone_id == "d2"


def test_cp_sat_flies_what_a_greedy_that_books_the_tightest_order_first_cannot() -> None:
    # The greedy places "narrow" first, as early as it can (landing 10:35), which leaves
    # "wide" no room before it and none after. CP-SAT flies "wide" first.
    wide = order("wide", slot=(10 * H + 15 * M, 10 * H + 50 * M))
    narrow = order("narrow", slot=(10 * H + 35 * M, 10 * H + 45 * M))
    p = problem([wide, narrow])
    greedy = solve(p, DroneSearch(engine="greedy"))
    assert greedy.engine == "greedy" and greedy.status == "heuristic"
    assert greedy.flight_of("narrow").at_hall == 10 * H + 35 * M
    assert greedy.reason_for("wide") is NoFlightReason.NO_FREE_DRONE
    exact = solve(p)
    assert exact.flight_of("wide").at_hall == 10 * H + 15 * M
    assert exact.flight_of("narrow").at_hall == 10 * H + 15 * M + BUSY_S
    assert exact.handover_delay_s == BUSY_S - 20 * M


def test_the_greedy_answers_when_cp_sat_finds_nothing(monkeypatch) -> None:
    monkeypatch.setattr(drone_schedule, "_cp_sat", lambda *args: None)
    schedule = solve(problem([order("a"), order("b"), order("heavy", weight_g=9000)]))
    assert schedule.engine == "greedy"
    assert schedule.flown_order_ids == {"a", "b"}
    assert schedule.reason_for("heavy") is NoFlightReason.OVERWEIGHT


def test_nothing_to_fly() -> None:
    schedule = solve(problem([order("heavy", weight_g=9000)]))
    assert (schedule.engine, schedule.status, schedule.flights) == ("none", "optimal", ())
    assert schedule.van_order_ids == ("heavy",)


def test_the_same_problem_gives_the_same_schedule() -> None:
    orders = [order(f"o{i}", slot=(10 * H, 12 * H)) for i in range(7)]
    p = problem(orders, drones=(D1, D2), grounded=(Grounded(11 * H, 11 * H + 10 * M),))
    assert solve(p) == solve(p)


def test_schedule_to_plain_names_reasons_in_both_languages() -> None:
    plain = solve(problem([order("a"), order("far", hall="yama")])).to_plain()
    assert plain["flights"][0]["order"] == "a"
    (far,) = plain["not_flown"]
    assert far["reason"] == "out_of_range"
    assert far["ja"] == REASON_TEXT[NoFlightReason.OUT_OF_RANGE][0]


# -- grounded mid-day: re-plan from now ------------------------------------------------------


def _day() -> list[DroneOrder]:
    return [
        order("o10", slot=(10 * H, 11 * H)),
        order("o11", slot=(11 * H, 12 * H)),
        order("o12", slot=(12 * H, 13 * H)),
        order("o14", slot=(14 * H, 15 * H)),
    ]


def test_grounded_mid_day_keeps_what_flew_and_sends_the_blocked_orders_to_vans() -> None:
    morning = solve(problem(_day()))
    assert len(morning.flights) == 4
    in_the_air = morning.flight_of("o11")
    assert in_the_air.takeoff == 11 * H - LEG_S
    now = 11 * H + 5 * M  # o11 is at the hall or on its way back
    storm = Grounded(now, 13 * H + 30 * M, note="強風")
    p = dataclasses.replace(problem(_day()), grounded=(storm,))
    after = reschedule(p, morning, now, FAST)

    replanned = dataclasses.replace(p, locked=(morning.flight_of("o10"), in_the_air), now=now)
    assert check_drone_schedule(replanned, after).ok()
    assert after.flight_of("o10") == morning.flight_of("o10")
    assert after.flight_of("o11") == in_the_air
    assert after.reason_for("o12") is NoFlightReason.GROUNDED
    assert after.flight_of("o14").at_hall == 14 * H
    assert moved_to_van(morning, after) == after.not_flown
    assert [n.order_id for n in moved_to_van(morning, after)] == ["o12"]


def test_grounding_one_of_two_drones_moves_what_the_other_cannot_take_to_vans() -> None:
    orders = [order(f"o{i}", slot=(10 * H, 11 * H)) for i in range(6)]
    morning = solve(problem(orders, drones=(D1, D2)))
    assert len(morning.flights) == 6
    now = 10 * H - LEG_S + 1  # both drones just took off with their first order
    off = Grounded(now, 24 * H, drone_ids=frozenset({"d2"}), cause=GroundedCause.DISPATCHER)
    p = problem(orders, drones=(D1, D2), grounded=(off,))
    after = reschedule(p, morning, now, FAST)
    report = check_drone_schedule(
        dataclasses.replace(p, now=now, locked=_first_two(morning)), after
    )
    assert report.ok(), str(report)
    assert len(after.flights) == 4  # two in the air, then two more on d1
    assert {f.drone_id for f in after.flights if f.takeoff >= now} == {"d1"}
    moved = moved_to_van(morning, after)
    assert len(moved) == 2
    assert {n.reason for n in moved} == {NoFlightReason.NO_FREE_DRONE}


def _first_two(schedule: DroneSchedule) -> tuple[Flight, ...]:
    return tuple(sorted(schedule.flights, key=lambda f: f.takeoff)[:2])


def test_a_replan_never_takes_off_before_now_and_honours_flights_as_flown() -> None:
    morning = solve(problem(_day()))
    as_flown = dataclasses.replace(
        morning.flight_of("o10"),
        takeoff=10 * H - LEG_S + 600,
        at_hall=10 * H + 600,
        leaves_hall=10 * H + 720,
        back=10 * H + 720 + LEG_S,
        ready=10 * H + 1320 + LEG_S,
    )
    now = 10 * H + 30 * M
    p = problem(_day(), locked=(as_flown,))
    after = reschedule(p, morning, now, FAST)
    assert after.flight_of("o10") == as_flown
    assert all(f.takeoff >= now for f in after.flights if f.order_id != "o10")
    assert check_drone_schedule(dataclasses.replace(p, now=now), after).ok()


# -- KPIs ------------------------------------------------------------------------------------


def test_kpis_count_flights_metres_and_airborne_time_per_drone() -> None:
    p = problem(
        [order("a"), order("b"), order("far", hall="yama"), order("heavy", weight_g=6000)],
        drones=(D1, D2),
    )
    kpis = drone_kpis(p, solve(p))
    assert (kpis.orders, kpis.orders_flown) == (4, 2)
    assert kpis.not_flown_by_reason == {
        NoFlightReason.OUT_OF_RANGE: 1,
        NoFlightReason.OVERWEIGHT: 1,
    }
    assert sum(kpis.flights_per_drone.values()) == 2
    assert set(kpis.flights_per_drone) == {"d1", "d2"}
    assert kpis.flight_m == {"a": 2 * KITA_M, "b": 2 * KITA_M}
    assert kpis.drone_m == 4 * KITA_M
    assert sum(kpis.airborne_s_per_drone.values()) == 2 * AWAY_S
    assert kpis.share_flown == 0.5
    assert kpis.to_plain()["not_flown_by_reason"] == {"out_of_range": 1, "overweight": 1}
