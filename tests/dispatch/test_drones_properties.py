"""Properties of the drone scheduler on random towns.

Whatever the bases, drones, halls, orders and groundings: every schedule passes the
independent checker and never flies a parcel heavier than its drone's payload; on
small days CP-SAT's optimum equals a brute force over every assignment and order of
flights; a re-plan from any ``now`` keeps every flight that already took off.
"""

from __future__ import annotations

import dataclasses
import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from dispatch.drones import (
    Drone,
    DroneBase,
    DroneOrder,
    DroneProblem,
    DroneSearch,
    FlightOption,
    Grounded,
    GroundedCause,
    HallPad,
    assess_orders,
    check_drone_schedule,
    reschedule,
    schedule_flights,
)
from dispatch.model import TimeWindow

H = 3600
SEARCH = DroneSearch(time_limit_s=2.0, workers=1, seed=0)


@st.composite
def towns(draw: st.DrawFn, max_orders: int = 10, max_drones: int = 3) -> DroneProblem:
    """Days where most orders could fly and drones are short of time.

    Bases 3 km apart; halls within about 5 km; parcels mostly within payload; a tenth
    of the orders to a place without a pad. Orders, drones and groundings are random
    enough to hit every reason, with slots narrow enough for orders to compete.
    """
    n_bases = draw(st.integers(1, 2))
    bases = tuple(
        DroneBase(f"b{i}", f"拠点{i}", i, 137.95 + 0.03 * i, 35.83) for i in range(n_bases)
    )
    base_ids = [b.id for b in bases]
    drones = []
    for i in range(draw(st.integers(1, max_drones))):
        start = draw(st.integers(7, 9)) * H
        drones.append(
            Drone(
                f"d{i}",
                draw(st.sampled_from(base_ids)),
                payload_g=draw(st.integers(8, 12)) * 500,
                range_m=draw(st.integers(5, 20)) * 1000,
                cruise_kmh=draw(st.integers(30, 72)),
                flying_hours=TimeWindow(start, start + draw(st.integers(4, 10)) * H),
                turnaround_s=draw(st.sampled_from([0, 300, 600, 900])),
                handover_s=draw(st.integers(1, 240)),
                takeoff_landing_s=draw(st.integers(0, 90)),
            )
        )
    halls = []
    for i in range(draw(st.integers(1, 4))):
        opens = draw(st.integers(7, 10)) * H
        halls.append(
            HallPad(
                f"h{i}",
                f"公民館{i}",
                10 + i,
                137.95 + draw(st.floats(-0.03, 0.06)),
                35.83 + draw(st.floats(-0.04, 0.04)),
                TimeWindow(opens, opens + draw(st.integers(5, 12)) * H),
            )
        )
    orders = []
    for i in range(draw(st.integers(1, max_orders))):
        pick = draw(st.integers(0, 19))
        hall_id = "not-a-hall" if pick == 19 else halls[pick % len(halls)].id
        base_id = draw(st.sampled_from([d.base_id for d in drones] + ["b0"]))
        ready = draw(st.integers(9 * 60, 10 * 60)) * 60
        slot_start = ready + draw(st.integers(0, 60)) * 60
        heavy = draw(st.integers(0, 7)) == 7
        orders.append(
            DroneOrder(
                f"o{i}",
                base_id,
                hall_id,
                weight_g=draw(st.integers(10, 24) if heavy else st.integers(1, 8)) * 500,
                ready_at=ready,
                slot=TimeWindow(slot_start, slot_start + draw(st.integers(0, 60)) * 60),
            )
        )
    grounded = []
    for _ in range(draw(st.integers(0, 2))):
        start = draw(st.integers(8 * 12, 14 * 12)) * 300
        ids = None
        if draw(st.booleans()):
            ids = frozenset(draw(st.sets(st.sampled_from([d.id for d in drones]), min_size=1)))
        grounded.append(
            Grounded(
                start,
                start + draw(st.integers(1, 24)) * 300,
                ids,
                draw(st.sampled_from(list(GroundedCause))),
            )
        )
    return DroneProblem(bases, tuple(drones), tuple(halls), tuple(orders), tuple(grounded))


@settings(max_examples=60, deadline=None)
@given(towns())
def test_every_schedule_passes_the_checker_and_no_parcel_is_overweight(p: DroneProblem) -> None:
    for search in (SEARCH, DroneSearch(engine="greedy")):
        schedule = schedule_flights(p, search)
        report = check_drone_schedule(p, schedule)
        assert report.ok(), str(report)
        for f in schedule.flights:
            assert p.order(f.order_id).weight_g <= p.drone(f.drone_id).payload_g


@settings(max_examples=60, deadline=None)
@given(towns(), st.data())
def test_a_replan_from_any_now_keeps_what_took_off_and_passes_the_checker(
    p: DroneProblem, data: st.DataObject
) -> None:
    before = schedule_flights(p, SEARCH)
    now = data.draw(st.integers(6 * H, 18 * H), label="now")
    storm = Grounded(now, now + data.draw(st.integers(1, 4 * H)), note="mid-day")
    today = dataclasses.replace(p, grounded=(*p.grounded, storm))
    after = reschedule(today, before, now, SEARCH)
    kept = tuple(f for f in before.flights if f.takeoff < now)
    report = check_drone_schedule(dataclasses.replace(today, locked=kept, now=now), after)
    assert report.ok(), str(report)
    assert set(kept) <= set(after.flights)
    assert all(f.takeoff >= now for f in set(after.flights) - set(kept))


def brute_force_best(p: DroneProblem) -> tuple[int, int]:
    """(most orders flown, least hand-over delay) over every assignment and sequence.

    For a fixed sequence of flights on a drone, taking off as early as allowed is best
    for every later flight and for each landing time, so trying every sequence with
    earliest take-offs finds the optimum.
    """
    choices = [(None, *a.options) for a in assess_orders(p) if a.can_fly]
    best = (0, 0)
    for pick in itertools.product(*choices):
        flown = [o for o in pick if o is not None]
        if len(flown) < best[0]:
            continue
        delay = 0
        for drone in {o.drone_id for o in flown}:
            mine = [o for o in flown if o.drone_id == drone]
            sequences = (_earliest_delay(seq) for seq in itertools.permutations(mine))
            least = min((d for d in sequences if d is not None), default=None)
            if least is None:
                break
            delay += least
        else:
            if (len(flown), -delay) > (best[0], -best[1]):
                best = (len(flown), delay)
    return best


def _earliest_delay(sequence: tuple[FlightOption, ...]) -> int | None:
    free_from, delay = 0, 0
    for option in sequence:
        start = next((max(w.start, free_from) for w in option.takeoffs if w.end >= free_from), None)
        if start is None:
            return None
        free_from = start + option.busy_s
        delay += start + option.leg_s - option.slot_start
    return delay


@settings(max_examples=60, deadline=None)
@given(towns(max_orders=5, max_drones=2))
def test_cp_sat_finds_the_brute_force_optimum_on_small_days(p: DroneProblem) -> None:
    schedule = schedule_flights(p, SEARCH)
    if schedule.status != "optimal":
        return
    assert (len(schedule.flights), schedule.handover_delay_s) == brute_force_best(p)


@settings(max_examples=40, deadline=None)
@given(st.integers(2, 6), st.integers(1, 3))
def test_identical_orders_and_drones_are_all_flown_when_the_slot_allows(
    n_orders: int, n_drones: int
) -> None:
    """The symmetry breaking must not cut off a schedule: n identical drones and orders
    with a slot wide enough for every flight fly them all, the k-th order of a drone
    landing k turnarounds after the slot opens."""
    base = DroneBase("b", "拠点", 0, 137.95, 35.83)
    hall = HallPad("h", "公民館", 1, 137.95, 35.86, TimeWindow(8 * H, 18 * H))
    drones = tuple(
        Drone(f"d{i}", "b", 5000, 14000, 36, TimeWindow(9 * H, 17 * H)) for i in range(n_drones)
    )
    orders = tuple(
        DroneOrder(f"o{i}", "b", "h", 1000, 9 * H, TimeWindow(10 * H, 14 * H))
        for i in range(n_orders)
    )
    schedule = schedule_flights(DroneProblem((base,), drones, (hall,), orders), SEARCH)
    assert len(schedule.flights) == n_orders
    rounds = [k // n_drones for k in range(n_orders)]
    assert schedule.handover_delay_s == 1508 * sum(rounds)
