"""The independent drone checker, on schedules built by hand (never by the scheduler).

Each broken schedule breaks one rule by a known amount, and the checker must name
that kind with exactly that amount.
"""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

import pytest

import dispatch.drones.check
from dispatch.drones.check import KINDS, DroneCheckReport, check_drone_schedule
from dispatch.drones.model import DroneProblem, Flight, Grounded
from dispatch.drones.result import DroneSchedule, NoFlightReason, NotFlown
from tests.dispatch.drone_fixtures import (
    D1,
    D2,
    KITA_M,
    LEG_S,
    YAMA_M,
    H,
    M,
    hand_flight,
    order,
    problem,
)

T0 = 10 * H - LEG_S  # take-off that lands at kita at 10:00


def schedule(*flights: Flight, not_flown: tuple[NotFlown, ...] = ()) -> DroneSchedule:
    """A schedule as a caller would hand it in, its delay summed from the slot starts."""
    return DroneSchedule(flights, not_flown, "hand", "hand", _delay(flights))


def _delay(flights: tuple[Flight, ...]) -> int:
    """Every slot in these tests starts at 10:00 unless a test spells its delay out."""
    return sum(f.at_hall - 10 * H for f in flights)


def check(p: DroneProblem, s: DroneSchedule) -> DroneCheckReport:
    report = check_drone_schedule(p, s)
    assert {v.kind for v in report.violations} <= set(KINDS)
    return report


TWO = problem([order("a"), order("b")], drones=(D1, D2))


def test_a_valid_hand_built_schedule_passes() -> None:
    s = schedule(hand_flight("a", T0), hand_flight("b", T0 + 1508))
    report = check(TWO, s)
    assert report.ok(), str(report)
    assert str(report) == "drone schedule OK: no violations"


def test_overlapping_flights_of_one_drone_are_caught_by_the_seconds_they_share() -> None:
    s = schedule(hand_flight("a", T0), hand_flight("b", T0 + 500))
    report = check(TWO, s)
    assert report.by_kind() == {"overlap": 908 - 500}
    (v,) = report.of_kind("overlap")
    assert (v.drone_id, v.order_id) == ("d1", "b")


def test_the_same_flights_on_two_drones_are_fine() -> None:
    s = schedule(hand_flight("a", T0), hand_flight("b", T0 + 500, drone="d2"))
    assert check(TWO, s).ok()


def test_a_turnaround_cut_short_is_caught_by_the_missing_seconds() -> None:
    back = T0 + 908
    s = schedule(hand_flight("a", T0), hand_flight("b", back + 300))
    assert check(TWO, s).by_kind() == {"turnaround": 300}


def test_a_parcel_too_heavy_for_the_drone_is_caught_in_grams() -> None:
    p = problem([order("heavy", weight_g=6000)])
    assert check(p, schedule(hand_flight("heavy", T0))).by_kind() == {"payload": 1000}


def test_a_hall_out_of_range_is_caught_in_metres() -> None:
    p = problem([order("far", hall="yama")])
    leg = 60 + 779  # 7 784 m at 10 m/s, rounded up
    far = hand_flight("far", 10 * H - leg, hall="yama", leg_s=leg, one_way_m=YAMA_M)
    assert check(p, schedule(far)).by_kind() == {"range": 2 * YAMA_M - D1.range_m}


def test_a_flight_in_a_grounded_period_is_caught_by_the_seconds_it_overlaps() -> None:
    rain = Grounded(10 * H, 11 * H)
    p = problem([order("a")], grounded=(rain,))
    # Away from T0 = 09:53:26 to T0 + 908 = 10:08:34: 514 s inside the rain.
    assert check(p, schedule(hand_flight("a", T0))).by_kind() == {"grounded": 514}
    elsewhere = Grounded(10 * H, 11 * H, drone_ids=frozenset({"d2"}))
    p2 = problem([order("a")], drones=(D1, D2), grounded=(elsewhere,))
    assert check(p2, schedule(hand_flight("a", T0))).ok()


def test_a_flight_landing_exactly_when_grounding_starts_is_fine() -> None:
    p = problem([order("a")], grounded=(Grounded(T0 + 908, 11 * H),))
    assert check(p, schedule(hand_flight("a", T0))).ok()


def test_a_landing_outside_the_slot_is_caught_by_the_seconds_outside() -> None:
    p = problem([order("a")])
    late = hand_flight("a", 11 * H - LEG_S + 60)
    assert check(p, schedule(late)).by_kind() == {"slot": 60}
    early = hand_flight("a", T0 - 30)
    assert check(p, schedule(early)).by_kind() == {"slot": 30}


def test_a_take_off_before_the_parcel_is_ready() -> None:
    p = problem([order("a", ready_at=10 * H)])
    s = DroneSchedule((hand_flight("a", T0),), (), "hand", "hand", 0)
    assert check(p, s).by_kind() == {"ready": LEG_S}


def test_flying_hours_and_hall_hours() -> None:
    p = problem([order("late", slot=(16 * H + 50 * M, 17 * H))])
    f = hand_flight("late", 17 * H - LEG_S)
    s = DroneSchedule((f,), (), "hand", "hand", f.at_hall - (16 * H + 50 * M))
    assert check(p, s).by_kind() == {"flying_hours": 120 + LEG_S}
    p2 = problem([order("m", hall="minami", slot=(12 * H, 13 * H))])
    g = hand_flight("m", 12 * H - LEG_S, hall="minami")
    s2 = DroneSchedule((g,), (), "hand", "hand", 0)
    assert check(p2, s2).by_kind() == {"hall_hours": H}


def test_times_off_the_flight_arithmetic_and_misreported_distance() -> None:
    p = problem([order("a")])
    f = dataclasses.replace(hand_flight("a", T0), ready=T0 + 908 + 599, distance_m=2 * KITA_M - 7)
    assert check(p, schedule(f)).by_kind() == {"duration": 1, "distance": 7}
    slow = hand_flight("a", T0 - 5, leg_s=LEG_S + 5)
    # at hall and leaves hall 5 s late, back and ready 10 s late
    assert check(p, schedule(slow)).by_kind() == {"duration": 5 + 5 + 10 + 10}


def test_a_flight_from_the_wrong_base_or_to_the_wrong_hall() -> None:
    p = problem([order("o", base="depot")])
    assert check(p, schedule(hand_flight("o", T0))).by_kind() == {"base": 1}
    p2 = problem([order("x", hall="tanaka-house")])
    assert check(p2, schedule(hand_flight("x", T0))).by_kind() == {"structure": 1, "hall": 1}


def test_coverage_missing_duplicated_and_unknown_orders() -> None:
    report = check(TWO, schedule(hand_flight("a", T0)))
    assert report.by_kind() == {"coverage": 1}
    twice = schedule(hand_flight("a", T0), hand_flight("a", T0, drone="d2"))
    assert check(TWO, twice).by_kind() == {"coverage": 1 + 1}  # a twice, b missing
    flights = (hand_flight("a", T0), hand_flight("b", T0, drone="d2"))
    ghost = DroneSchedule((*flights, hand_flight("ghost", T0 + 1508)), (), "h", "h", 0)
    assert check(TWO, ghost).by_kind() == {"coverage": 1}
    unknown_drone = schedule(hand_flight("a", T0), hand_flight("b", T0, drone="d7"))
    assert check(TWO, unknown_drone).by_kind() == {"coverage": 1}


def test_locked_flights_must_stay_as_they_were() -> None:
    flown = hand_flight("a", T0)
    p = dataclasses.replace(TWO, locked=(flown,), now=10 * H)
    moved = hand_flight("a", T0 + 60)
    s = schedule(moved, hand_flight("b", 10 * H + 600, drone="d2"))
    assert check(p, s).by_kind() == {"lock": 1, "now": 10 * H - (T0 + 60)}


def test_new_flights_take_off_no_earlier_than_now_but_locked_ones_may() -> None:
    flown = hand_flight("a", T0)
    p = dataclasses.replace(TWO, locked=(flown,), now=10 * H)
    ok = schedule(flown, hand_flight("b", 10 * H, drone="d2"))
    assert check(p, ok).ok()
    early = schedule(flown, hand_flight("b", T0, drone="d2"))
    assert check(p, early).by_kind() == {"now": 10 * H - T0}


def test_a_locked_flight_is_not_blamed_for_a_later_grounding_but_others_must_respect_it() -> None:
    in_the_air = hand_flight("a", T0)
    storm = Grounded(10 * H, 12 * H)
    p = dataclasses.replace(TWO, locked=(in_the_air,), grounded=(storm,), now=10 * H)
    s = schedule(in_the_air, not_flown=(NotFlown("b", NoFlightReason.GROUNDED),))
    assert check(p, s).ok()
    after_landing = schedule(in_the_air, hand_flight("b", T0 + 1000, drone="d2"))
    assert check(p, after_landing).by_kind() == {"grounded": 908}
    after_the_storm = schedule(in_the_air, hand_flight("b", 12 * H, drone="d1"))
    p_late = dataclasses.replace(p, orders=(order("a"), order("b", slot=(10 * H, 13 * H))))
    assert check(p_late, after_the_storm).ok()


@pytest.mark.parametrize(
    ("the_order", "claimed", "holds"),
    [
        (order("o", hall="nowhere"), NoFlightReason.NOT_A_HALL_PAD, True),
        (order("o"), NoFlightReason.NOT_A_HALL_PAD, False),
        (order("o", base="depot"), NoFlightReason.NO_DRONE_AT_BASE, True),
        (order("o"), NoFlightReason.NO_DRONE_AT_BASE, False),
        (order("o", weight_g=5001), NoFlightReason.OVERWEIGHT, True),
        (order("o", weight_g=5000), NoFlightReason.OVERWEIGHT, False),
        (order("o", hall="yama"), NoFlightReason.OUT_OF_RANGE, True),
        (order("o"), NoFlightReason.OUT_OF_RANGE, False),
        (order("o", hall="minami"), NoFlightReason.HALL_CLOSED, True),
        (order("o", hall="minami", slot=(13 * H, 14 * H)), NoFlightReason.HALL_CLOSED, False),
        (order("o", ready_at=11 * H - LEG_S + 1), NoFlightReason.TOO_LATE, True),
        (order("o", ready_at=11 * H - LEG_S), NoFlightReason.TOO_LATE, False),
        (order("o", slot=(17 * H, 17 * H + 30 * M)), NoFlightReason.OUTSIDE_FLYING_HOURS, True),
        (order("o"), NoFlightReason.OUTSIDE_FLYING_HOURS, False),
        (order("o"), NoFlightReason.NO_FREE_DRONE, True),
        (order("o", weight_g=9000), NoFlightReason.NO_FREE_DRONE, False),
    ],
)
def test_claimed_reasons_are_proved_or_refuted(the_order, claimed, holds: bool) -> None:
    p = problem([the_order])
    s = DroneSchedule((), (NotFlown("o", claimed),), "hand", "hand", 0)
    assert check(p, s).ok() is holds


def test_grounded_is_true_only_when_the_grounding_is_what_stops_the_flight() -> None:
    claim = DroneSchedule((), (NotFlown("o", NoFlightReason.GROUNDED),), "hand", "hand", 0)
    rain = Grounded(9 * H, 12 * H)
    assert check(problem([order("o")], grounded=(rain,)), claim).ok()
    # The last take-off (10:53:26) lands back at 11:08:34: a storm from then is harmless.
    storm_after = Grounded(11 * H - LEG_S + 908, 12 * H)
    assert not check(problem([order("o")], grounded=(storm_after,)), claim).ok()
    # A grounding ending at 10:30 leaves the take-off at 10:30 itself.
    short = Grounded(9 * H, 10 * H + 30 * M)
    assert not check(problem([order("o")], grounded=(short,)), claim).ok()
    no_free = DroneSchedule((), (NotFlown("o", NoFlightReason.NO_FREE_DRONE),), "h", "h", 0)
    assert check(problem([order("o")], grounded=(short,)), no_free).ok()
    # Grounded while no drone could fly it anyway: the reason is not the grounding.
    closed = order("o", hall="minami")
    assert not check(problem([closed], grounded=(rain,)), claim).ok()


def test_a_wrong_delay_total_is_caught() -> None:
    s = DroneSchedule(
        (hand_flight("a", T0 + 60),), (NotFlown("b", NoFlightReason.NO_FREE_DRONE),), "h", "h", 0
    )
    assert check(TWO, s).by_kind() == {"summary": 60}


def test_the_report_lists_each_violation() -> None:
    s = schedule(hand_flight("a", T0), hand_flight("b", T0 + 500))
    text = str(check(TWO, s))
    assert "1 violation" in text and "overlap [408]" in text and "'a' and 'b'" in text


def test_the_checker_shares_no_code_with_the_scheduler() -> None:
    tree = ast.parse(Path(dispatch.drones.check.__file__).read_text(encoding="utf-8"))
    imported: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            imported.add(node.module or "")
    project = {m for m in imported if m.split(".")[0] in ("dispatch", "routing", "ortools")}
    assert project == {"dispatch.drones.model", "dispatch.drones.result"}
