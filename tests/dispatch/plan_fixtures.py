"""Hand-made problems and plans for the checker tests — no solver code involved.

The town has four places, 10 m per second of driving everywhere::

          0 depot   1 clinic   2 shop   3 homes
    0         0       600       900      1200     (seconds; metres are x10)
    1       600         0       300       600
    2       900       300         0       300
    3      1200       600       300         0

``v1`` (wheelchair lift, 3 seats / 1 wheelchair / 4 cargo, lunch break) serves ride
``r1`` (a wheelchair user and a companion, promised 08:20-08:30) and delivery ``d1``;
``v2`` (sedan) serves ride ``r3``; ride ``r2`` (two wheelchairs) fits no vehicle.
`valid_plan` spells every step out so that each number can be checked on paper;
`timed_route` and `assemble_plan` rebuild steps and summaries from service starts, so a
test can move one service start and get an otherwise self-consistent plan.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from dispatch.model import (
    Break,
    CostWeights,
    DeliveryOrder,
    Problem,
    RideRequest,
    TimeWindow,
    Vehicle,
)
from dispatch.result import Plan, Route, Step, StepKind, Summary, Unassigned, UnassignedReason

TIME_S = np.array(
    [
        [0, 600, 900, 1200],
        [600, 0, 300, 600],
        [900, 300, 0, 300],
        [1200, 600, 300, 0],
    ]
)
DISTANCE_M = TIME_S * 10

LIFT = "wheelchair_lift"
LUNCH = Break("lunch", TimeWindow(30900, 31800), 300)

V1 = Vehicle(
    "v1",
    start=0,
    end=0,
    shift=TimeWindow(28800, 43200),  # 08:00-12:00
    capacity=(3, 1, 4),
    kind="van",
    breaks=(LUNCH,),
    features=frozenset({LIFT}),
    cost_per_hour=3000,
    cost_per_km=30,
    fixed_cost=1000,
)
V2 = Vehicle(
    "v2",
    start=0,
    end=0,
    shift=TimeWindow(28800, 34000),  # 08:00-09:26:40
    capacity=(4, 0, 2),
    cost_per_hour=1800,
    cost_per_km=20,
)

R1 = RideRequest(
    "r1",
    pickup=1,
    dropoff=3,
    party_size=2,
    wheelchairs=1,
    pickup_window=TimeWindow(30000, 31200),
    promise=TimeWindow(30000, 30600),
    required_features=frozenset({LIFT}),
)  # direct 600 s -> max ride min(3600, 1.5 * 600 + 600) = 1500 s
D1 = DeliveryOrder("d1", shop=2, customer=1, ready_at=30000, due_by=36000, cargo_units=2)
R2 = RideRequest(
    "r2",
    pickup=3,
    dropoff=0,
    party_size=2,
    wheelchairs=2,
    pickup_window=TimeWindow(33000, 34000),
    priority=2,
    required_features=frozenset({LIFT}),
)
R3 = RideRequest("r3", pickup=2, dropoff=0, pickup_window=TimeWindow(32400, 33000))
# direct 900 s -> max ride 1950 s

WEIGHTS = CostWeights(unassigned_penalty=100_000, excess_ride_per_hour=3600)


def town_problem(**changes: object) -> Problem:
    """The four-place town with v1, v2 and requests r1, d1, r2, r3."""
    problem = Problem(
        time_s=TIME_S,
        distance_m=DISTANCE_M,
        requests=(R1, D1, R2, R3),
        vehicles=(V1, V2),
        weights=WEIGHTS,
    )
    return problem.with_changes(**changes) if changes else problem


P, D, B, S, E = StepKind.PICKUP, StepKind.DROPOFF, StepKind.BREAK, StepKind.START, StepKind.END

#: v1 visits as (kind, request or break id, service start); leaves the depot at 29400.
V1_DEPARTURE = 29400
V1_VISITS = [
    ("pickup", "r1", 30000),
    ("pickup", "d1", 30360),
    ("dropoff", "r1", 30780),
    ("break", "lunch", 30900),
    ("dropoff", "d1", 31740),
]
V2_DEPARTURE = 31500
V2_VISITS = [("pickup", "r3", 32400), ("dropoff", "r3", 33360)]

#: The valid plan's cost, by hand:
#:   v1: 1000 fixed + 3000 yen/h * 3060 s + 30 yen/km * 24 km = 1000 + 2550 + 720 = 4270
#:   v2:    0 fixed + 1800 yen/h * 1920 s + 20 yen/km * 18 km =    0 +  960 + 360 = 1320
#:   r2 unassigned: 100000 * priority 2                                          = 200000
#:   excess ride: r1 rides 30780 - 30060 = 720 s for a 600 s direct trip, 120 s
#:                at 3600 yen/h                                                  =    120
VALID_COST = 205_710.0


def valid_plan() -> Plan:
    """Every number spelled out (see the module docstring and `VALID_COST`)."""
    z = (0, 0, 0)
    v1 = Route(
        "v1",
        (
            Step(S, 0, 29400, 29400, 29400, z, 0, 0),
            Step(P, 1, 30000, 30000, 30060, (1, 1, 0), 6000, 660, request_id="r1"),
            Step(P, 2, 30360, 30360, 30480, (1, 1, 2), 9000, 1080, request_id="d1"),
            Step(D, 3, 30780, 30780, 30840, (0, 0, 2), 12000, 1440, request_id="r1"),
            Step(B, None, 30900, 30900, 31200, (0, 0, 2), 12000, 1800, break_id="lunch"),
            Step(D, 1, 31740, 31740, 31860, z, 18000, 2460, request_id="d1"),
            Step(E, 0, 32460, 32460, 32460, z, 24000, 3060),
        ),
        distance_m=24000,
        duration_s=3060,
        drive_s=2400,
        cost=4270.0,
    )
    v2 = Route(
        "v2",
        (
            Step(S, 0, 31500, 31500, 31500, z, 0, 0),
            Step(P, 2, 32400, 32400, 32460, (1, 0, 0), 9000, 960, request_id="r3"),
            Step(D, 0, 33360, 33360, 33420, z, 18000, 1920, request_id="r3"),
            Step(E, 0, 33420, 33420, 33420, z, 18000, 1920),
        ),
        distance_m=18000,
        duration_s=1920,
        drive_s=1800,
        cost=1320.0,
    )
    summary = Summary(
        cost=VALID_COST,
        served=3,
        unassigned=1,
        vehicles_used=2,
        distance_m=42000,
        duration_s=4980,
        drive_s=4200,
        excess_ride_s=120,
        mean_ride_ratio=1.1,  # r1 720/600, r3 900/900
        max_ride_ratio=1.2,
    )
    unassigned = (Unassigned("r2", UnassignedReason.NO_COMPATIBLE_VEHICLE),)
    return Plan(summary, (v1, v2), unassigned)


# -- a tiny, test-only plan builder ---------------------------------------------------

Visit = tuple[str, str, int]  # (kind, request or break id, service start)


def timed_route(
    problem: Problem, vehicle_id: str, departure: int, visits: Sequence[Visit]
) -> Route:
    """Steps for `vehicle_id` leaving at `departure` and starting service as told.

    Arrivals, departures, loads and cumulative figures follow `dispatch.result`'s
    rules; nothing is checked or repaired (a service start before the arrival stays).
    """
    vehicle = next(v for v in problem.vehicles if v.id == vehicle_id)
    tasks = {t.id: t for t in problem.tasks}
    breaks = {b.id: b for b in vehicle.breaks}
    load = [0, 0, 0]
    for t in problem.tasks:
        if t.onboard is not None and t.onboard.vehicle_id == vehicle_id:
            load = [a + b for a, b in zip(load, t.load, strict=True)]
    steps = [Step(S, vehicle.start, departure, departure, departure, tuple(load), 0, 0)]
    loc, free_at, dist, drive, resting, used = vehicle.start, departure, 0, 0, 0, False
    for kind, ident, start in visits:
        if kind == "break":
            end = start + breaks[ident].duration_s
            steps.append(
                Step(B, None, start, start, end, tuple(load), dist, end - departure, break_id=ident)
            )
            resting += breaks[ident].duration_s
            continue
        used = True
        task = tasks[ident]
        spec = task.pickup if kind == "pickup" else task.dropoff
        assert spec is not None
        arrival = free_at + int(problem.time_s[loc, spec.location]) + resting
        drive += int(problem.time_s[loc, spec.location])
        dist += int(problem.distance_m[loc, spec.location])
        sign = 1 if kind == "pickup" else -1
        load = [a + sign * b for a, b in zip(load, task.load, strict=True)]
        free_at, loc, resting = start + spec.service_s, spec.location, 0
        steps.append(
            Step(
                StepKind(kind),
                loc,
                arrival,
                start,
                free_at,
                tuple(load),
                dist,
                free_at - departure,
                request_id=ident,
            )
        )
    arrival = free_at + int(problem.time_s[loc, vehicle.end]) + resting
    drive += int(problem.time_s[loc, vehicle.end])
    dist += int(problem.distance_m[loc, vehicle.end])
    steps.append(
        Step(E, vehicle.end, arrival, arrival, arrival, tuple(load), dist, arrival - departure)
    )
    duration = arrival - departure
    cost = (
        vehicle.fixed_cost
        + vehicle.cost_per_hour * duration / 3600
        + vehicle.cost_per_km * dist / 1000
        if used
        else 0.0
    )
    return Route(vehicle_id, tuple(steps), dist, duration, drive, cost)


def assemble_plan(
    problem: Problem, routes: Sequence[Route], unassigned: Sequence[Unassigned] = ()
) -> Plan:
    """A plan whose summary states the true figures of `routes` (cost as `CostWeights`)."""
    tasks = {t.id: t for t in problem.tasks}
    skipped = {u.request_id for u in unassigned}
    picked_up: dict[str, int] = {}
    excess, ratios, served = 0, [], set()
    for route in routes:
        for s in route.steps:
            if s.kind is P:
                picked_up[s.request_id] = s.departure  # type: ignore[index]
            elif s.kind is D and s.request_id not in skipped:
                task = tasks[s.request_id]  # type: ignore[index]
                served.add(task.id)
                left = (
                    task.onboard.pickup_departed_at
                    if task.onboard is not None
                    else picked_up.get(task.id)
                )
                if task.kind == "ride" and left is not None:
                    ride = s.service_start - left
                    excess += max(0, ride - task.direct_s)
                    if task.direct_s > 0:
                        ratios.append(ride / task.direct_s)
    used = [r for r in routes if any(s.kind in (P, D) for s in r.steps)]
    w = problem.weights
    cost = (
        sum(r.cost for r in used)
        + sum(w.unassigned_penalty * tasks[rid].priority for rid in skipped if rid in tasks)
        + w.excess_ride_per_hour * excess / 3600
    )
    summary = Summary(
        cost=cost,
        served=len(served),
        unassigned=len(unassigned),
        vehicles_used=len(used),
        distance_m=sum(r.distance_m for r in used),
        duration_s=sum(r.duration_s for r in used),
        drive_s=sum(r.drive_s for r in used),
        excess_ride_s=excess,
        mean_ride_ratio=sum(ratios) / len(ratios) if ratios else None,
        max_ride_ratio=max(ratios) if ratios else None,
    )
    return Plan(summary, tuple(routes), tuple(unassigned))


def town_plan(
    problem: Problem | None = None,
    *,
    v1: tuple[int, Sequence[Visit]] | None = (V1_DEPARTURE, V1_VISITS),
    v2: tuple[int, Sequence[Visit]] | None = (V2_DEPARTURE, V2_VISITS),
    unassigned: Sequence[Unassigned] = (Unassigned("r2", UnassignedReason.NO_COMPATIBLE_VEHICLE),),
) -> Plan:
    """The valid plan rebuilt from service starts; pass other visits to mutate it."""
    problem = problem or town_problem()
    routes = [
        timed_route(problem, vid, dep, visits)
        for vid, spec in (("v1", v1), ("v2", v2))
        if spec is not None
        for dep, visits in [spec]
    ]
    return assemble_plan(problem, routes, unassigned)
