"""Times for a fixed stop sequence: exact feasibility and a rider-friendly schedule.

Given one vehicle's sequence, the service starts form a simple temporal problem:
``t[k+1] >= t[k] + service[k] + travel`` (breaks are nodes with zero travel that
hold the vehicle for their duration, optionally anywhere on their leg: see
`schedule`), windows ``a[k] <= t[k] <= b[k]``, max ride time
``t[drop] - t[pick] <= service[pick] + L`` and a route-duration limit. Every lower
bound is a difference constraint, so raising times to their least fixed point gives
the earliest schedule, or proves that none exists (an upper bound is crossed).

The earliest schedule is then relaxed backwards: pickups (and the departure) move
as late as the following stops allow, so riders do not wait on board for a window
to open further down the route.

Breaks before the first stop and after the last are taken off the route when they fit
there (before the start, after the end), as the plan, the checker and the native
engine have them; a route's duration (its cost) then leaves them out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from dispatch.model import Problem, StopKind, Task, Vehicle
from dispatch.result import StepKind, load_sign

_MAX_ROUNDS = 200


@dataclass(frozen=True, slots=True)
class Node:
    """One entry of a sequence: a request's pickup, dropoff or visit, or a driver's break."""

    kind: StepKind
    location: int
    earliest: int
    latest: int
    service_s: int
    task: Task | None = None
    break_id: str | None = None
    # a field, not a property: schedule() asks it of every node, a quote asks it
    # millions of times
    is_break: bool = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "is_break", self.kind is StepKind.BREAK)


def pickup_node(task: Task) -> Node:
    spec = task.pickup
    assert spec is not None
    return Node(
        StepKind.PICKUP, spec.location, spec.window.start, spec.window.end, spec.service_s, task
    )


def dropoff_node(task: Task) -> Node:
    assert not task.is_visit, f"visit {task.id!r} has no dropoff: use visit_node or last_node"
    spec = task.dropoff
    return Node(
        StepKind.DROPOFF, spec.location, spec.window.start, spec.window.end, spec.service_s, task
    )


def visit_node(task: Task) -> Node:
    """The single stop of a visit (the task's ``dropoff`` spec)."""
    assert task.is_visit, f"{task.kind} {task.id!r} is not a visit"
    spec = task.dropoff
    return Node(
        StepKind.VISIT, spec.location, spec.window.start, spec.window.end, spec.service_s, task
    )


def last_node(task: Task) -> Node:
    """The stop that completes `task`: its dropoff, or its visit."""
    return visit_node(task) if task.is_visit else dropoff_node(task)


def node_for(task: Task, kind: StepKind | StopKind) -> Node:
    """The node of `task`'s stop of this kind (pickup, dropoff or visit)."""
    if kind == StepKind.PICKUP:
        return pickup_node(task)
    if kind == StepKind.VISIT:
        return visit_node(task)
    return dropoff_node(task)


def break_nodes(vehicle: Vehicle) -> list[Node]:
    return [
        Node(StepKind.BREAK, -1, b.window.start, b.window.end, b.duration_s, break_id=b.id)
        for b in vehicle.breaks
    ]


@dataclass(frozen=True, slots=True)
class Schedule:
    departure: int
    starts: tuple[int, ...]
    end_arrival: int
    earliest: tuple[int, ...]  # earliest feasible service starts (before relaxing)


def loads_fit(vehicle: Vehicle, initial: Sequence[int], nodes: Sequence[Node]) -> bool:
    """Every capacity dimension holds after every stop."""
    load = list(initial)
    cap = vehicle.capacity
    for node in nodes:
        if node.task is None:
            continue
        sign = load_sign(node.kind)
        for d, amount in enumerate(node.task.load):
            load[d] += sign * amount
            if load[d] > cap[d] or load[d] < 0:
                return False
    return True


def schedule(
    problem: Problem,
    vehicle: Vehicle,
    nodes: Sequence[Node],
    *,
    legs: bool = False,
    off_route: bool = True,
) -> Schedule | None:
    """The rider-friendly feasible schedule of `nodes` on `vehicle`, or None.

    A break rests the vehicle where it served, then it drives on (the live day's rule).
    With ``legs`` a break lies anywhere on its leg, as the plan (`dispatch.result.
    build_route`), `dispatch.check` and OR-Tools have it: it starts once the node before
    it ends, the node after it starts once it ends, and the next stop once the last
    stop's departure plus the travel plus the breaks between have passed (the vehicle
    may drive first and rest where it arrives); the native engine times so. Breaks are
    still relaxed to where the vehicle served whenever their windows allow.

    With ``off_route`` (the plan's rule, as `dispatch.check` and the native engine have
    it) breaks before the first stop are taken before the start: the departure waits for
    their end and the route's duration leaves them out; breaks after the last stop are
    taken after the end, one after the other from the arrival home, when they all fit
    there (each within its window, the last ending by the shift's end), else on the
    route. `dispatch.insertion.to_plan` leaves such breaks out of the plan's route.
    Without it (the native engine's own choice, `dispatch.native.native_route`) every
    break is on the route.
    """
    n = len(nodes)
    t0 = vehicle.earliest_departure
    first, last = 0, n - 1  # the first and the last stop
    while first < n and nodes[first].is_break:
        first += 1
    while last > first and nodes[last].is_break:
        last -= 1
    if not off_route or first == n or (first == 0 and last == n - 1):
        return _timed(problem, vehicle, nodes, legs, t0)
    lead_early: list[int] = []
    at = t0
    for node in nodes[:first]:
        start = max(node.earliest, at)
        if start > node.latest:
            break
        lead_early.append(start)
        at = start + node.service_s
    if len(lead_early) < first:  # they cannot all be taken before the start
        return _timed(problem, vehicle, nodes, legs, t0)
    # trailing breaks that must start before some stop's window opens are on the route
    home_after = max(node.earliest + node.service_s for node in nodes[first : last + 1])
    off = last == n - 1 or all(node.latest >= home_after for node in nodes[last + 1 :])
    sched = _timed(problem, vehicle, nodes[first : last + 1] if off else nodes[first:], legs, at)
    if sched is None:  # with legs, leading breaks may still be taken on the way out
        return _timed(problem, vehicle, nodes, legs, t0) if legs and first else None
    tail = _after_end(problem, vehicle, nodes[last + 1 :], sched.end_arrival) if off else []
    if tail is None:
        sched = _timed(problem, vehicle, nodes[first:], legs, at)
        if sched is None:
            return None
        tail = []
    lead: list[int] = []
    nxt = sched.departure  # leading breaks as late as the departure allows
    for node, early in zip(reversed(nodes[:first]), reversed(lead_early), strict=True):
        nxt = max(early, min(node.latest, nxt - node.service_s))
        lead.append(nxt)
    lead.reverse()
    return Schedule(
        sched.departure,
        (*lead, *sched.starts, *tail),
        sched.end_arrival,
        (*lead_early, *sched.earliest, *tail),
    )


def _after_end(
    problem: Problem, vehicle: Vehicle, breaks: Sequence[Node], home: int
) -> list[int] | None:
    """Starts of `breaks` taken one after the other from `home` (the arrival at the end),
    or None if one misses its window or the last ends after the shift."""
    starts: list[int] = []
    at = home
    for node in breaks:
        start = max(node.earliest, at)
        if start > node.latest:
            return None
        starts.append(start)
        at = start + node.service_s
    return starts if at <= min(vehicle.shift.end, problem.horizon_s) else None


def _timed(
    problem: Problem, vehicle: Vehicle, nodes: Sequence[Node], legs: bool, t0: int
) -> Schedule | None:
    """`schedule` with every break of `nodes` on the route, leaving no earlier than `t0`."""
    n = len(nodes)
    t_mat = problem.time_s
    shift_end = min(vehicle.shift.end, problem.horizon_s)
    # into node k (k = n: the end): `gap`, the least time from the start of node k - 1
    # (or the departure); with legs, for a stop right after breaks, `skips[k]`: the stop
    # before them (-1: the departure) and the least time from its start (its service,
    # the drive, the breaks between), and `drive[k]` the drive into it
    gap = [0] * (n + 1)
    drive = [0] * (n + 1)
    skips: dict[int, tuple[int, int]] = {}
    last_loc, last_real, real_service, prev_service, rest = vehicle.start, -1, 0, 0, 0
    prev_real = True  # the start counts as a stop: the drive follows it
    for k in range(n + 1):
        node = nodes[k] if k < n else None
        if node is not None and node.is_break:
            gap[k] = prev_service
            prev_service, prev_real = node.service_s, False
            rest += node.service_s
            continue
        loc = vehicle.end if node is None else node.location
        travel = int(t_mat[last_loc, loc])
        drive[k] = travel
        gap[k] = prev_service + (travel if prev_real or not legs else 0)
        if legs and not prev_real:
            skips[k] = (last_real, real_service + travel + rest)
        if node is None:
            break
        prev_service = real_service = node.service_s
        prev_real, rest, last_loc, last_real = True, 0, loc, k
    lo = [node.earliest for node in nodes]
    hi = [node.latest for node in nodes]
    # ride-time pairs (index of pickup, index of dropoff, limit on t_d - t_p)
    pos_pick: dict[str, int] = {}
    pairs: list[tuple[int, int, int]] = []
    for k, node in enumerate(nodes):
        task = node.task
        if task is None:
            continue
        if node.kind is StepKind.PICKUP:
            pos_pick[task.id] = k
        elif task.max_ride_s is not None:
            if task.id in pos_pick:
                p = pos_pick[task.id]
                pairs.append((p, k, nodes[p].service_s + task.max_ride_s))
            elif task.onboard is not None:
                hi[k] = min(hi[k], task.onboard.pickup_departed_at + task.max_ride_s)
    max_dur = vehicle.max_duration_s
    t = [0] * n
    end = t0
    for _ in range(_MAX_ROUNDS):
        at = t0
        for k in range(n):
            at += gap[k]
            if skips and k in skips:
                f, least = skips[k]
                at = max(at, (t0 if f < 0 else t[f]) + least)
            at = max(lo[k], at)
            if at > hi[k]:
                return None
            t[k] = at
        end = at + gap[n]
        if skips and n in skips:
            f, least = skips[n]
            end = max(end, (t0 if f < 0 else t[f]) + least)
        if end > shift_end:
            return None
        changed = False
        for p, d, limit in pairs:
            if t[d] - t[p] > limit:
                lo[p] = max(lo[p], t[d] - limit)
                changed = True
        if max_dur is not None and end - t0 > max_dur:
            t0 = end - max_dur
            changed = True
        if not changed:
            break
    else:
        return None
    earliest = tuple(t)
    # relax backwards: pickups (and the departure) as late as what follows allows;
    # breaks too, but where the vehicle served, before the drive on, when they can be
    times = [*t, end]
    next_real = n
    for k in range(n - 1, -1, -1):
        node = nodes[k]
        if node.is_break:
            latest = times[k + 1] - gap[k + 1]
            if skips and k + 1 in skips:
                latest -= drive[k + 1]
            t[k] = times[k] = max(t[k], min(hi[k], latest))
            continue
        if node.kind is StepKind.PICKUP:
            latest = times[k + 1] - gap[k + 1]
            if skips and next_real in skips and skips[next_real][0] == k:
                latest = min(latest, times[next_real] - skips[next_real][1])
            t[k] = times[k] = max(t[k], min(hi[k], latest))
        next_real = k
    latest = times[0] - gap[0]
    if skips and next_real in skips and skips[next_real][0] == -1:
        latest = min(latest, times[next_real] - skips[next_real][1])
    t0 = max(t0, latest)
    return Schedule(t0, tuple(t), end, earliest)
