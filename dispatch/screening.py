"""Find requests that no plan can serve, and say why, before any search.

A request is screened out when it is infeasible *alone* on every empty vehicle
(ignoring breaks and other requests, which can only make things worse), so each
reason is a proof that `check.py` can verify on its own. The solver then spends no
search on it and reports it with that reason instead of a vague "not selected".
"""

from __future__ import annotations

from dispatch.model import Problem, Task, Vehicle
from dispatch.result import UnassignedReason


def compatible(vehicle: Vehicle, task: Task) -> bool:
    """Features, pins, onboard vehicle and every capacity dimension."""
    if not task.required_features <= vehicle.features:
        return False
    if task.vehicle_ids is not None and vehicle.id not in task.vehicle_ids:
        return False
    if task.onboard is not None and task.onboard.vehicle_id != vehicle.id:
        return False
    return all(need <= cap for need, cap in zip(task.load, vehicle.capacity, strict=True))


def fits_alone(problem: Problem, task: Task, vehicle: Vehicle) -> bool:
    """Can `vehicle`, empty, serve `task` alone within every window and limit?

    Closed form: with the departure as late as possible, the pickup start t1 must lie
    in an interval and the dropoff start t2 in ``[t1 + c1, t1 + c2]`` clipped to its
    window; both intervals are computed exactly.
    """
    t = problem.time_s
    drop = task.dropoff
    shift_end = min(vehicle.shift.end, problem.horizon_s)
    back = int(t[drop.location, vehicle.end])
    latest_drop = min(drop.window.end, shift_end - drop.service_s - back)
    duration = vehicle.max_duration_s if vehicle.max_duration_s is not None else 10**12
    ride = task.max_ride_s if task.max_ride_s is not None else 10**12
    if task.pickup is None:  # on board (only the dropoff remains) or a visit (one stop)
        to_drop = int(t[vehicle.start, drop.location])
        earliest = max(drop.window.start, vehicle.earliest_departure + to_drop)
        latest = latest_drop
        if task.onboard is not None:
            latest = min(latest, task.onboard.pickup_departed_at + ride)
        # leaving as late as possible, the route lasts exactly to_drop + service + back
        return earliest <= latest and to_drop + drop.service_s + back <= duration
    pick = task.pickup
    to_pick = int(t[vehicle.start, pick.location])
    direct = int(t[pick.location, drop.location])
    c1 = pick.service_s + direct
    c2 = min(pick.service_s + ride, duration - drop.service_s - back - to_pick)
    if c1 > c2 or drop.window.start > latest_drop:
        return False
    lo = max(pick.window.start, vehicle.earliest_departure + to_pick, drop.window.start - c2)
    hi = min(pick.window.end, latest_drop - c1)
    return lo <= hi


def screen(problem: Problem) -> dict[str, tuple[UnassignedReason, str]]:
    """Requests provably unservable, with the reason and a detail for the log."""
    found: dict[str, tuple[UnassignedReason, str]] = {}
    for task in problem.tasks:
        vehicles = [v for v in problem.vehicles if compatible(v, task)]
        if not vehicles:
            found[task.id] = (
                UnassignedReason.NO_COMPATIBLE_VEHICLE,
                f"load {task.load}, features {sorted(task.required_features)}",
            )
            continue
        if task.pickup is not None and task.max_ride_s is not None:
            direct = int(problem.time_s[task.pickup.location, task.dropoff.location])
            if direct > task.max_ride_s:
                found[task.id] = (
                    UnassignedReason.MAX_RIDE_TOO_SHORT,
                    f"direct {direct} s > max ride {task.max_ride_s} s",
                )
                continue
        if not any(fits_alone(problem, task, v) for v in vehicles):
            found[task.id] = (
                UnassignedReason.WINDOW_UNREACHABLE,
                f"no shift of {len(vehicles)} compatible vehicle(s) fits its windows",
            )
    return found
