"""Plans: summary -> routes -> steps, each step carrying what a client needs.

As in VROOM's output, every step states its arrival, service start, departure, the
load on board after it, and cumulative distance and duration, so that the API, the
dispatcher board and the simulator never recompute a schedule. Unassigned requests
carry a reason (`UnassignedReason`).

Times of a route: ``arrival`` of a stop is the previous departure plus the travel time
plus the duration of any breaks taken in between (a break lies in that gap, the driver
may take it before, during or after driving); ``service_start >= arrival`` (waiting is
allowed); ``departure = service_start + service time``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from dispatch.model import Problem, Task, Vehicle


class StepKind(StrEnum):
    START = "start"
    PICKUP = "pickup"
    DROPOFF = "dropoff"
    VISIT = "visit"  # a home visit (訪問診療): service at the patient's home, no load
    BREAK = "break"
    END = "end"


#: Step kinds that serve a request (the others are the depots and breaks).
REQUEST_STEPS: tuple[StepKind, ...] = (StepKind.PICKUP, StepKind.DROPOFF, StepKind.VISIT)


def load_sign(kind: StepKind) -> int:
    """+1 for a pickup (the load comes on board), -1 for a dropoff, 0 otherwise."""
    return 1 if kind is StepKind.PICKUP else -1 if kind is StepKind.DROPOFF else 0


class UnassignedReason(StrEnum):
    """Why a request is not in the plan. All but NOT_SELECTED are provable alone."""

    NO_COMPATIBLE_VEHICLE = "no_compatible_vehicle"
    MAX_RIDE_TOO_SHORT = "max_ride_too_short"
    WINDOW_UNREACHABLE = "window_unreachable"
    NOT_SELECTED = "not_selected"


REASON_TEXT: dict[UnassignedReason, tuple[str, str]] = {
    UnassignedReason.NO_COMPATIBLE_VEHICLE: (
        "条件に合う車両がありません（定員・車椅子・指定車両）",
        "no vehicle has the capacity, features or pin this request needs",
    ),
    UnassignedReason.MAX_RIDE_TOO_SHORT: (
        "最大乗車時間内に目的地へ着けません",
        "the dropoff cannot be reached from the pickup within the maximum ride time",
    ),
    UnassignedReason.WINDOW_UNREACHABLE: (
        "運行時間内にご希望の時間帯に伺えません",
        "no shift can reach the pickup and dropoff within their windows and return in time",
    ),
    UnassignedReason.NOT_SELECTED: (
        "他の予約で車両が埋まっています",
        "feasible alone, but the fleet is fully used by other requests",
    ),
}


@dataclass(frozen=True, slots=True)
class Step:
    kind: StepKind
    location: int | None
    arrival: int
    service_start: int
    departure: int
    load: tuple[int, ...]
    distance_m: int
    duration_s: int
    request_id: str | None = None
    break_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "type": self.kind.value,
            "location": self.location,
            "arrival": self.arrival,
            "service_start": self.service_start,
            "departure": self.departure,
            "load": list(self.load),
            "distance_m": self.distance_m,
            "duration_s": self.duration_s,
        }
        if self.request_id is not None:
            d["request"] = self.request_id
        if self.break_id is not None:
            d["break"] = self.break_id
        return d


@dataclass(frozen=True, slots=True)
class Route:
    vehicle_id: str
    steps: tuple[Step, ...]
    distance_m: int
    duration_s: int
    drive_s: int
    cost: float

    @property
    def request_ids(self) -> list[str]:
        seen: dict[str, None] = {}
        for s in self.steps:
            if s.request_id is not None:
                seen[s.request_id] = None
        return list(seen)

    @property
    def is_empty(self) -> bool:
        return not any(s.kind in REQUEST_STEPS for s in self.steps)

    def to_dict(self) -> dict[str, Any]:
        return {
            "vehicle": self.vehicle_id,
            "distance_m": self.distance_m,
            "duration_s": self.duration_s,
            "drive_s": self.drive_s,
            "cost": round(self.cost, 3),
            "steps": [s.to_dict() for s in self.steps],
        }


@dataclass(frozen=True, slots=True)
class Unassigned:
    request_id: str
    reason: UnassignedReason
    detail: str = ""

    def to_dict(self) -> dict[str, Any]:
        ja, en = REASON_TEXT[self.reason]
        return {
            "request": self.request_id,
            "reason": self.reason.value,
            "message_ja": ja,
            "message_en": en,
            "detail": self.detail,
        }


@dataclass(frozen=True, slots=True)
class Summary:
    cost: float
    served: int
    unassigned: int
    vehicles_used: int
    distance_m: int
    duration_s: int
    drive_s: int
    excess_ride_s: int
    mean_ride_ratio: float | None
    max_ride_ratio: float | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "cost": round(self.cost, 3),
            "served": self.served,
            "unassigned": self.unassigned,
            "vehicles_used": self.vehicles_used,
            "distance_m": self.distance_m,
            "duration_s": self.duration_s,
            "drive_s": self.drive_s,
            "excess_ride_s": self.excess_ride_s,
            "mean_ride_ratio": self.mean_ride_ratio,
            "max_ride_ratio": self.max_ride_ratio,
        }


@dataclass(frozen=True, slots=True)
class Plan:
    summary: Summary
    routes: tuple[Route, ...]
    unassigned: tuple[Unassigned, ...]
    stats: dict[str, Any] = field(default_factory=dict)

    def route(self, vehicle_id: str) -> Route | None:
        for r in self.routes:
            if r.vehicle_id == vehicle_id:
                return r
        return None

    def vehicle_of(self, request_id: str) -> str | None:
        for r in self.routes:
            if request_id in r.request_ids:
                return r.vehicle_id
        return None

    def to_dict(self) -> dict[str, Any]:
        return {
            "summary": self.summary.to_dict(),
            "routes": [r.to_dict() for r in self.routes],
            "unassigned": [u.to_dict() for u in self.unassigned],
            "stats": self.stats,
        }


# -- building plans from timed visits ---------------------------------------------


@dataclass(frozen=True, slots=True)
class Visit:
    """One entry of a vehicle's sequence, with its service start (or break start)."""

    kind: StepKind
    start: int
    task: Task | None = None
    break_id: str | None = None


def route_cost(vehicle: Vehicle, duration_s: int, distance_m: int) -> float:
    """Yen for one used vehicle: fixed + hourly operating time + per km."""
    return (
        vehicle.fixed_cost
        + vehicle.cost_per_hour * duration_s / 3600.0
        + vehicle.cost_per_km * distance_m / 1000.0
    )


def build_route(problem: Problem, vehicle: Vehicle, departure: int, visits: list[Visit]) -> Route:
    """Timed steps for `vehicle` leaving its start at `departure` and serving `visits`.

    Service starts come from the caller (the solver or the insertion schedule); this
    function only derives arrivals, departures, loads and cumulative figures, so a
    wrong schedule shows up in the checker instead of being silently repaired.
    """
    load = list(problem.initial_load(vehicle.id))
    steps = [
        Step(StepKind.START, vehicle.start, departure, departure, departure, tuple(load), 0, 0)
    ]
    loc, t_dep, dist, drive, pending_break = vehicle.start, departure, 0, 0, 0
    breaks = {b.id: b for b in vehicle.breaks}
    for v in visits:
        if v.kind is StepKind.BREAK:
            dur = breaks[v.break_id].duration_s  # type: ignore[index]
            steps.append(
                Step(
                    StepKind.BREAK,
                    None,
                    v.start,
                    v.start,
                    v.start + dur,
                    tuple(load),
                    dist,
                    v.start + dur - departure,
                    break_id=v.break_id,
                )
            )
            pending_break += dur
            continue
        task = v.task
        assert task is not None
        spec = task.pickup if v.kind is StepKind.PICKUP else task.dropoff
        assert spec is not None
        travel = int(problem.time_s[loc, spec.location])
        dist += int(problem.distance_m[loc, spec.location])
        drive += travel
        arrival = t_dep + travel + pending_break
        pending_break = 0
        sign = load_sign(v.kind)
        load = [a + sign * b for a, b in zip(load, task.load, strict=True)]
        t_dep = v.start + spec.service_s
        loc = spec.location
        steps.append(
            Step(
                v.kind,
                loc,
                arrival,
                v.start,
                t_dep,
                tuple(load),
                dist,
                t_dep - departure,
                request_id=task.id,
            )
        )
    travel = int(problem.time_s[loc, vehicle.end])
    dist += int(problem.distance_m[loc, vehicle.end])
    drive += travel
    end_t = t_dep + travel + pending_break
    steps.append(
        Step(StepKind.END, vehicle.end, end_t, end_t, end_t, tuple(load), dist, end_t - departure)
    )
    duration = end_t - departure
    used = any(v.kind is not StepKind.BREAK for v in visits)
    cost = route_cost(vehicle, duration, dist) if used else 0.0
    return Route(vehicle.id, tuple(steps), dist, duration, drive, cost)


def build_plan(
    problem: Problem,
    routes: list[Route],
    unassigned: list[Unassigned],
    stats: dict[str, Any] | None = None,
) -> Plan:
    """Assemble a plan and its summary (cost as defined in `CostWeights`)."""
    by_id = {t.id: t for t in problem.tasks}
    ratios: list[float] = []
    excess_total = 0
    for r in routes:
        picked: dict[str, int] = {}
        for s in r.steps:
            if s.kind is StepKind.PICKUP:
                picked[s.request_id] = s.departure  # type: ignore[index]
            elif s.kind is StepKind.DROPOFF:
                task = by_id[s.request_id]  # type: ignore[index]
                start = picked.get(task.id)
                if start is None and task.onboard is not None:
                    start = task.onboard.pickup_departed_at
                if start is None or task.kind != "ride":
                    continue
                ride = s.service_start - start
                excess_total += max(0, ride - task.direct_s)
                if task.direct_s > 0:
                    ratios.append(ride / task.direct_s)
    w = problem.weights
    penalty = sum(w.unassigned_penalty * by_id[u.request_id].priority for u in unassigned)
    cost = sum(r.cost for r in routes) + penalty + w.excess_ride_per_hour * excess_total / 3600.0
    used = [r for r in routes if not r.is_empty]
    summary = Summary(
        cost=cost,
        served=len({rid for r in routes for rid in r.request_ids}),
        unassigned=len(unassigned),
        vehicles_used=len(used),
        distance_m=sum(r.distance_m for r in used),
        duration_s=sum(r.duration_s for r in used),
        drive_s=sum(r.drive_s for r in used),
        excess_ride_s=excess_total,
        mean_ride_ratio=(sum(ratios) / len(ratios)) if ratios else None,
        max_ride_ratio=max(ratios) if ratios else None,
    )
    return Plan(summary, tuple(routes), tuple(unassigned), dict(stats or {}))
