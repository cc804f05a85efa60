"""The journey planner on a hand-checkable timetable, and against brute force.

The toy line network (metres east / north of A, on one parallel)::

                    E (2000, 1000)        dest: 100 m east of E
                    |   L2: C2 -> E, 10 min
                    C2 (2000, 50)
    A ------ B ---- C (2000, 0)           L1: A -> B -> C, 5 + 5 min
    origin: 100 m west of A

Walking is straight line x 1.3 at 3 km/h: 100 m -> 130 m -> 156 s; C -> C2 50 m ->
65 m -> 78 s, and a change adds 180 s: off L1 at C at 08:10:00, ready at C2 08:14:18.
"""

from __future__ import annotations

import math
from dataclasses import replace
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from routing.errors import InputError
from routing.transit.journeys import (
    Journey,
    JourneyRules,
    Leg,
    LegKind,
    NoJourney,
    index_timetable,
    plan_journey,
    straight_m,
)
from routing.transit.timetable import StopTime, Timetable, TransitRoute, TransitStop, TransitTrip

H = 3600
LAT = 35.70
M_PER_DEG_LON = 111_320.0 * math.cos(math.radians(LAT))
M_PER_DEG_LAT = 110_574.0
LON0 = 139.40


def at(east_m: float, north_m: float = 0.0) -> tuple[float, float]:
    return (LON0 + east_m / M_PER_DEG_LON, LAT + north_m / M_PER_DEG_LAT)


def stop(sid: str, east: float, north: float = 0.0) -> TransitStop:
    lon, lat = at(east, north)
    return TransitStop(sid, sid, lon, lat)


def trip(tid: str, route: str, calls: list[tuple[str, int]]) -> TransitTrip:
    return TransitTrip(tid, route, "weekday", tuple(StopTime(s, t, t) for s, t in calls))


def toy() -> Timetable:
    stops = [
        stop("A", 0),
        stop("B", 1000),
        stop("C", 2000),
        stop("C2", 2000, 50),
        stop("E", 2000, 1000),
    ]
    routes = {r: TransitRoute(r, "town", r, f"line {r}") for r in ("L1", "L2")}
    trips = (
        trip("L1-08", "L1", [("A", 8 * H), ("B", 8 * H + 300), ("C", 8 * H + 600)]),
        trip("L1-09", "L1", [("A", 9 * H), ("B", 9 * H + 300), ("C", 9 * H + 600)]),
        trip("L2-0812", "L2", [("C2", 8 * H + 720), ("E", 8 * H + 1320)]),
        trip("L2-0820", "L2", [("C2", 8 * H + 1200), ("E", 8 * H + 1800)]),
        trip("L2-0920", "L2", [("C2", 9 * H + 1200), ("E", 9 * H + 1800)]),
    )
    return Timetable({s.stop_id: s for s in stops}, routes, trips)


ORIGIN = at(-100)
DEST = at(2100, 1000)


def test_walking_is_straight_line_times_detour_at_elderly_speed():
    rules = JourneyRules()
    assert round(straight_m(at(0), at(100))) == 100
    assert rules.walk_m(at(0), at(100)) == 130
    assert rules.walk_s(130) == 156  # 130 m at 3 km/h


def test_by_departure_walk_ride_change_ride_walk():
    j = plan_journey(index_timetable(toy()), ORIGIN, DEST, depart_at=7 * H + 50 * 60)
    assert isinstance(j, Journey)
    kinds = [leg.kind for leg in j.legs]
    assert kinds == [LegKind.WALK, LegKind.RIDE, LegKind.TRANSFER, LegKind.RIDE, LegKind.WALK]
    assert [leg.trip_id for leg in j.rides] == ["L1-08", "L2-0820"]  # 08:12 is missed
    assert (j.rides[0].from_stop, j.rides[0].to_stop) == ("A", "C")
    assert (j.rides[1].from_stop, j.rides[1].to_stop) == ("C2", "E")
    assert j.depart_s == 8 * H - 156  # leaves home in time for the 08:00, not at 07:50
    assert j.arrive_s == 8 * H + 1800 + 156
    assert j.walk_m == 130 + 65 + 130
    assert j.walk_s == 156 + 78 + 156
    assert j.in_vehicle_s == 600 + 600
    assert j.wait_s == (8 * H + 1200) - (8 * H + 600 + 78)  # at C2
    assert j.door_to_door_s == j.walk_s + j.in_vehicle_s + j.wait_s
    assert j.transfers == 1


def test_by_departure_too_late_for_the_first_bus_takes_the_next():
    j = plan_journey(index_timetable(toy()), ORIGIN, DEST, depart_at=8 * H - 155)
    assert isinstance(j, Journey)
    assert [leg.trip_id for leg in j.rides] == ["L1-09", "L2-0920"]


def test_by_arrival_latest_departure():
    index = index_timetable(toy())
    j = plan_journey(index, ORIGIN, DEST, arrive_by=9 * H + 1799 + 156)  # 1 s short of 09:30
    assert isinstance(j, Journey)
    assert [leg.trip_id for leg in j.rides] == ["L1-08", "L2-0820"]
    assert plan_journey(index, ORIGIN, DEST, arrive_by=8 * H + 1800 + 155) is (
        NoJourney.NO_TRIP_IN_TIME
    )


def test_refusals_name_the_reason():
    index = index_timetable(toy())
    far = at(-5000)
    assert plan_journey(index, far, DEST, depart_at=7 * H) is NoJourney.NO_STOP_NEAR_ORIGIN
    assert plan_journey(index, ORIGIN, far, depart_at=7 * H) is NoJourney.NO_STOP_NEAR_DESTINATION
    assert plan_journey(index, ORIGIN, DEST, depart_at=10 * H) is NoJourney.NO_TRIP_IN_TIME


def test_changes_are_capped_and_limited_to_nearby_stops():
    no_change = index_timetable(toy(), JourneyRules(max_transfers=0))
    assert plan_journey(no_change, ORIGIN, DEST, depart_at=7 * H) is NoJourney.NO_TRIP_IN_TIME
    short_walk = index_timetable(toy(), JourneyRules(transfer_walk_m=64))  # C -> C2 is 65 m
    assert plan_journey(short_walk, ORIGIN, DEST, depart_at=7 * H) is NoJourney.NO_TRIP_IN_TIME
    quick = index_timetable(toy(), JourneyRules(min_transfer_s=30))  # 08:11:48: makes 08:12
    j = plan_journey(quick, ORIGIN, DEST, depart_at=7 * H)
    assert isinstance(j, Journey) and j.rides[1].trip_id == "L2-0812"


@pytest.mark.parametrize(("margin", "trip"), [(42, "L2-0812"), (43, "L2-0820")])
def test_a_change_is_made_to_the_second(margin, trip):
    # off at C 08:10:00, 78 s to C2, then the margin: 42 s makes the 08:12 exactly
    index = index_timetable(toy(), JourneyRules(min_transfer_s=margin))
    j = plan_journey(index, ORIGIN, DEST, depart_at=7 * H)
    assert isinstance(j, Journey) and j.rides[1].trip_id == trip
    by_arrival = plan_journey(index, ORIGIN, DEST, arrive_by=j.arrive_s)
    assert isinstance(by_arrival, Journey) and by_arrival.rides[1].trip_id == trip


def test_max_walk_bounds_each_walk():
    index = index_timetable(toy(), JourneyRules(max_walk_m=129))
    assert plan_journey(index, ORIGIN, DEST, depart_at=7 * H) is NoJourney.NO_STOP_NEAR_ORIGIN


@pytest.mark.parametrize(
    ("field", "value"),
    [("walk_kmh", 0.0), ("max_walk_m", -1), ("min_transfer_s", 1.5), ("max_transfers", -1)],
)
def test_bad_rules_name_the_field(field, value):
    with pytest.raises(InputError, match=field):
        JourneyRules(**{field: value})


def test_bad_requests_and_journeys():
    index = index_timetable(toy())
    with pytest.raises(InputError, match="exactly one"):
        plan_journey(index, ORIGIN, DEST, depart_at=1, arrive_by=2)
    with pytest.raises(InputError, match="exactly one"):
        plan_journey(index, ORIGIN, DEST)
    with pytest.raises(InputError, match="before it starts"):
        Leg(LegKind.WALK, 10, 5, None, "A")
    with pytest.raises(InputError, match="route_id"):
        Leg(LegKind.RIDE, 0, 5, "A", "B")
    with pytest.raises(InputError, match="at least one ride"):
        Journey((Leg(LegKind.WALK, 0, 5, None, None),))
    ride = Leg(LegKind.RIDE, 0, 50, "A", "B", route_id="L1", trip_id="t")
    with pytest.raises(InputError, match="starts before"):
        Journey((Leg(LegKind.WALK, 0, 10, None, "A"), ride))


# -- against brute force ----------------------------------------------------------------

RULES = JourneyRules(max_walk_m=450, transfer_walk_m=600, min_transfer_s=60)


@st.composite
def small_day(draw):
    """Stops about 400 m apart along a street, trips along short stretches of it, the
    origin near the first stop, the destination near the last: most journeys need a
    change. Times on a half-minute grid, so changes are often just made or missed."""
    n = draw(st.integers(2, 6))
    stops = [
        stop(f"S{i}", 400 * i + draw(st.integers(0, 100)), draw(st.integers(0, 100)))
        for i in range(n)
    ]
    trips = []
    for k in range(draw(st.integers(1, 12))):
        first = draw(st.integers(0, n - 2))
        seq = list(range(first, draw(st.integers(first + 1, min(n - 1, first + 3))) + 1))
        if draw(st.booleans()) and draw(st.booleans()):
            seq.reverse()  # a quarter of the trips run back towards the first stop
        t = 240 * min(seq) + 30 * draw(st.integers(0, 40))  # later farther along
        calls = []
        for s in seq:
            arr = t
            dep = arr + 30 * draw(st.integers(0, 2))
            calls.append(StopTime(f"S{s}", arr, dep))
            t = dep + 30 * draw(st.integers(0, 20))
        trips.append(TransitTrip(f"T{k}", "R", "day", tuple(calls)))
    tt = Timetable(
        {s.stop_id: s for s in stops}, {"R": TransitRoute("R", "a", "1", "one")}, tuple(trips)
    )
    origin = at(draw(st.integers(-300, 300)), draw(st.integers(-200, 300)))
    dest = at(400 * (n - 1) + draw(st.integers(-300, 300)), draw(st.integers(-200, 300)))
    transfers = draw(st.integers(0, 2))
    return tt, origin, dest, transfers


def every_journey(tt: Timetable, rules: JourneyRules, origin, dest) -> list[tuple[int, int]]:
    """(leave home, arrive) of every journey with at most max_transfers changes."""
    pos = {s.stop_id: (s.lon, s.lat) for s in tt.stops.values()}
    out: list[tuple[int, int]] = []

    def walk(a, b) -> int | None:
        m = rules.walk_m(a, b)
        return rules.walk_s(m) if m <= rules.max_walk_m else None

    def change(a: str, b: str) -> int | None:
        m = 0 if a == b else rules.walk_m(pos[a], pos[b])
        if m > rules.transfer_walk_m:
            return None
        return max(1, rules.walk_s(m) + rules.min_transfer_s)

    def ride(tr: TransitTrip, i: int, leave: int, rides: int) -> None:
        for off in tr.stop_times[i + 1 :]:
            egress = walk(pos[off.stop_id], dest)
            if egress is not None:
                out.append((leave, off.arrival_s + egress))
            if rides > rules.max_transfers:
                continue
            for nxt in tt.trips:
                for k, on in enumerate(nxt.stop_times):
                    c = change(off.stop_id, on.stop_id)
                    if c is not None and off.arrival_s + c <= on.departure_s:
                        ride(nxt, k, leave, rides + 1)

    for tr in tt.trips:  # the first ride fixes when the rider leaves home
        for i, on in enumerate(tr.stop_times):
            access = walk(origin, pos[on.stop_id])
            if access is not None:
                ride(tr, i, on.departure_s - access, 1)
    return out


def check_consistent(j: Journey, tt: Timetable, rules: JourneyRules) -> None:
    trips = {t.trip_id: t for t in tt.trips}
    for a, b in pairwise(j.legs):
        assert a.end_s <= b.start_s
    for leg in j.legs:
        if leg.kind is LegKind.RIDE:
            calls = trips[leg.trip_id].stop_times
            i = next(
                k
                for k, c in enumerate(calls)
                if c.stop_id == leg.from_stop and c.departure_s == leg.start_s
            )
            assert any(
                c.stop_id == leg.to_stop and c.arrival_s == leg.end_s for c in calls[i + 1 :]
            )
        elif leg.kind is LegKind.WALK:
            assert leg.distance_m <= rules.max_walk_m
        else:
            assert leg.distance_m <= rules.transfer_walk_m
    for before, change, after in zip(j.legs, j.legs[1:], j.legs[2:], strict=False):
        if change.kind is LegKind.TRANSFER:  # off, walk, the margin, on
            assert after.start_s >= before.end_s + max(
                1, change.end_s - change.start_s + rules.min_transfer_s
            )
    assert j.transfers <= rules.max_transfers


@settings(max_examples=300, deadline=None)
@given(small_day(), st.integers(0, 1200))
def test_by_departure_agrees_with_brute_force(day, depart_at):
    tt, origin, dest, transfers = day
    rules = replace(RULES, max_transfers=transfers)
    found = plan_journey(index_timetable(tt, rules), origin, dest, depart_at=depart_at)
    options = [
        (leave, arr) for leave, arr in every_journey(tt, rules, origin, dest) if leave >= depart_at
    ]
    if not options:
        assert isinstance(found, NoJourney)
        return
    assert isinstance(found, Journey)
    check_consistent(found, tt, rules)
    best = min(arr for _, arr in options)
    assert found.arrive_s == best
    assert found.depart_s >= depart_at
    assert found.depart_s == max(
        leave for leave, arr in every_journey(tt, rules, origin, dest) if arr <= best
    )


@settings(max_examples=300, deadline=None)
@given(small_day(), st.integers(0, 4000))
def test_by_arrival_agrees_with_brute_force(day, arrive_by):
    tt, origin, dest, transfers = day
    rules = replace(RULES, max_transfers=transfers)
    found = plan_journey(index_timetable(tt, rules), origin, dest, arrive_by=arrive_by)
    options = [
        (leave, arr) for leave, arr in every_journey(tt, rules, origin, dest) if arr <= arrive_by
    ]
    if not options:
        assert isinstance(found, NoJourney)
        return
    assert isinstance(found, Journey)
    check_consistent(found, tt, rules)
    assert found.arrive_s <= arrive_by
    assert found.depart_s == max(leave for leave, _ in options)
