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
        if drones and draw(st.booleans()):  # a second drone of the same make
            drones.append(dataclasses.replace(drones[-1], id=f"d{i}"))
            continue
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
    """(most new orders flown, least hand-over delay of the new flights) over every
    assignment and sequence.

    For a fixed sequence of flights on a drone, taking off as early as allowed is best
    for every later flight and for each landing time, so trying every sequence with
    earliest take-offs finds the optimum. Locked flights keep their drone busy until
    they land back plus turnaround.
    """
    locked: dict[str, list[tuple[int, int]]] = {}
    for f in p.locked:
        end = f.back + p.drone(f.drone_id).turnaround_s
        locked.setdefault(f.drone_id, []).append((f.takeoff, end))
    choices = [(None, *a.options) for a in assess_orders(p) if a.can_fly]
    best = (0, 0)
    for pick in itertools.product(*choices):
        flown = [o for o in pick if o is not None]
        if len(flown) < best[0]:
            continue
        delay = 0
        for drone in {o.drone_id for o in flown}:
            mine = [o for o in flown if o.drone_id == drone]
            busy = locked.get(drone, [])
            sequences = (_earliest_delay(seq, busy) for seq in itertools.permutations(mine))
            least = min((d for d in sequences if d is not None), default=None)
            if least is None:
                break
            delay += least
        else:
            if (len(flown), -delay) > (best[0], -best[1]):
                best = (len(flown), delay)
    return best


def _earliest_delay(sequence: tuple[FlightOption, ...], busy: list[tuple[int, int]]) -> int | None:
    free_from, delay = 0, 0
    for option in sequence:
        start = _earliest_start(option, free_from, busy)
        if start is None:
            return None
        free_from = start + option.busy_s
        delay += start + option.leg_s - option.slot_start
    return delay


def _earliest_start(option: FlightOption, free_from: int, busy: list[tuple[int, int]]):
    for w in option.takeoffs:
        t = max(w.start, free_from)
        while t <= w.end:
            blocking = [e for s, e in busy if s < t + option.busy_s and t < e]
            if not blocking:
                return t
            t = max(blocking)
    return None


@settings(max_examples=80, deadline=None)
@given(towns(max_orders=5, max_drones=2), st.data())
def test_cp_sat_finds_the_brute_force_optimum_on_small_days(
    p: DroneProblem, data: st.DataObject
) -> None:
    schedule = schedule_flights(p, SEARCH)
    assert schedule.status == "optimal"
    assert (len(schedule.flights), schedule.handover_delay_s) == brute_force_best(p)
    # ... and again from a later "now", with what took off by then locked.
    now = data.draw(st.integers(9 * H, 12 * H), label="now")
    kept = tuple(f for f in schedule.flights if f.takeoff < now)
    later = dataclasses.replace(p, locked=kept, now=now)
    replan = schedule_flights(later, SEARCH)
    assert replan.status == "optimal"
    kept_delay = sum(f.at_hall - p.order(f.order_id).slot.start for f in kept)
    new = (len(replan.flights) - len(kept), replan.handover_delay_s - kept_delay)
    assert new == brute_force_best(later)


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
