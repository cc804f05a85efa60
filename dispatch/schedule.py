"""Times for a fixed stop sequence: exact feasibility and a rider-friendly schedule.

Given one vehicle's sequence, the service starts form a simple temporal problem:
``t[k+1] >= t[k] + service[k] + travel`` (breaks are nodes with zero travel that
hold the vehicle for their duration), windows ``a[k] <= t[k] <= b[k]``, max ride time
``t[drop] - t[pick] <= service[pick] + L`` and a route-duration limit. Every lower
bound is a difference constraint, so raising times to their least fixed point gives
the earliest schedule, or proves that none exists (an upper bound is crossed).

The earliest schedule is then relaxed backwards: pickups (and the departure) move
as late as the following stops allow, so riders do not wait on board for a window
to open further down the route.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

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

    @property
    def is_break(self) -> bool:
        return self.kind is StepKind.BREAK


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


def schedule(problem: Problem, vehicle: Vehicle, nodes: Sequence[Node]) -> Schedule | None:
    """The rider-friendly feasible schedule of `nodes` on `vehicle`, or None."""
    n = len(nodes)
    t_mat = problem.time_s
    shift_end = min(vehicle.shift.end, problem.horizon_s)
    # gap[k]: minimum time between service start of k-1 (or departure) and of k
    locs = [vehicle.start]
    gap = [0] * (n + 1)  # index n is the end depot
    last_loc = vehicle.start
    prev_service = 0
    for k, node in enumerate(nodes):
        if node.is_break:
            gap[k] = prev_service
        else:
            gap[k] = prev_service + int(t_mat[last_loc, node.location])
            last_loc = node.location
        prev_service = node.service_s
        locs.append(last_loc)
    gap[n] = prev_service + int(t_mat[last_loc, vehicle.end])
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
    t0 = vehicle.earliest_departure
    t = [0] * n
    for _ in range(_MAX_ROUNDS):
        prev = t0
        for k in range(n):
            v = max(lo[k], prev + gap[k])
            if v > hi[k]:
                return None
            t[k] = v
            prev = v
        end = prev + gap[n]
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
    # relax backwards: pickups and the departure as late as the next stop allows
    nxt = end
    for k in range(n - 1, -1, -1):
        latest_here = nxt - gap[k + 1]
        node = nodes[k]
        if node.kind is StepKind.PICKUP or node.is_break:
            t[k] = max(t[k], min(hi[k], latest_here))
        nxt = t[k]
    t0 = max(t0, nxt - gap[0])
    return Schedule(t0, tuple(t), end, earliest)
