"""Assign shop orders to drone flights: CP-SAT, with a greedy fallback; and re-plans.

`schedule_flights` reads the `FlightOption`s of `dispatch.drones.eligibility` (one
per order and drone that can fly it alone) and picks at most one per order so that
no drone is in two places at once. The CP-SAT model, one adapter:

- per option, a take-off variable whose domain is the option's allowed take-offs
  (slot, readiness, ``now``, flying hours and grounded periods are already in it),
  a presence literal, and an optional interval ``[take-off, take-off + flight +
  turnaround)``;
- per drone, NoOverlap over those intervals and fixed intervals for its locked
  flights (landing plus turnaround), so turnaround is respected across flights;
- per order, at most one present option;
- objective, lexicographic by weighting: most orders flown, then the least total
  hand-over delay (landing at the hall minus the slot start), so parcels reach the
  hall early in their slot and drones are free early for later changes.

The greedy schedule (orders by latest possible take-off, each on the drone that
lands soonest at the hall) is always built: it is CP-SAT's hint, and the answer when
CP-SAT finds no solution within its time limit or when ``DroneSearch(engine=
"greedy")`` asks for it. `DroneSchedule.engine` says which ran. With one worker and
a fixed seed CP-SAT is deterministic unless the time limit cuts it short.

`reschedule` re-plans from ``now`` (a drone grounded mid-day, an order added):
flights that took off before ``now`` are kept as they are; the rest is planned
again, and orders that no longer fit come back with their reason (GROUNDED when
the grounding leaves them no flight at all, NO_FREE_DRONE when it leaves too little
drone time for all of them) so the caller can move them to vans (`moved_to_van`).
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass, replace
from itertools import pairwise
from typing import Literal

from ortools.sat.python import cp_model

from dispatch.cpsat import solve_model
from dispatch.drones.eligibility import FlightOption, OrderAssessment, assess_orders
from dispatch.drones.model import DroneProblem, Flight
from dispatch.drones.result import DroneSchedule, NoFlightReason, NotFlown
from dispatch.errors import InputError

__all__ = ["DroneSearch", "moved_to_van", "reschedule", "schedule_flights"]

logger = logging.getLogger(__name__)

#: A choice: which option flies an order, and its take-off.
_Choice = dict[str, tuple[FlightOption, int]]


@dataclass(frozen=True, slots=True)
class DroneSearch:
    """How `schedule_flights` searches.

    ``engine`` "cp-sat" (default) or "greedy" (instant, e.g. for a quote);
    ``time_limit_s`` bounds CP-SAT's wall-clock search; ``workers`` 1 and a fixed
    ``seed`` keep it deterministic.
    """

    engine: Literal["cp-sat", "greedy"] = "cp-sat"
    time_limit_s: float = 2.0
    seed: int = 0
    workers: int = 1

    def __post_init__(self) -> None:
        obj = "drone search"
        if self.engine not in ("cp-sat", "greedy"):
            raise InputError(f"{obj}: engine must be 'cp-sat' or 'greedy', got {self.engine!r}")
        if isinstance(self.time_limit_s, bool) or not (
            isinstance(self.time_limit_s, int | float) and self.time_limit_s > 0
        ):
            raise InputError(f"{obj}: time_limit_s must be > 0, got {self.time_limit_s!r}")
        for name, minimum in (("seed", 0), ("workers", 1)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
                raise InputError(f"{obj}: {name} must be an int >= {minimum}, got {value!r}")


def schedule_flights(problem: DroneProblem, search: DroneSearch | None = None) -> DroneSchedule:
    """Plan the flights of `problem`: every order flown once or listed with its reason."""
    search = search or DroneSearch()
    assessments = assess_orders(problem)
    flyable = [a for a in assessments if a.can_fly]
    greedy = _greedy(problem, flyable)
    if not flyable:
        chosen, engine, status = greedy, "none", "optimal"
    elif search.engine == "greedy":
        chosen, engine, status = greedy, "greedy", "heuristic"
    else:
        solved = _cp_sat(problem, flyable, greedy, search)
        if solved is None:
            logger.warning(
                "drones: CP-SAT found no schedule in %.1f s; greedy used", search.time_limit_s
            )
            chosen, engine, status = greedy, "greedy", "heuristic"
        else:
            chosen, status = solved
            engine = "cp-sat"
    result = _build(problem, assessments, chosen, engine, status)
    logger.info(
        "drones: %d orders, %d flown (%d locked), %d by van; engine %s (%s)",
        len(problem.orders),
        len(result.flights),
        len(problem.locked),
        len(result.not_flown),
        engine,
        status,
    )
    return result


def reschedule(
    problem: DroneProblem,
    previous: DroneSchedule,
    now: int,
    search: DroneSearch | None = None,
) -> DroneSchedule:
    """Plan again from ``now``, keeping every flight of `previous` that took off before.

    `problem` is the day as it stands now, e.g. with a new `Grounded` period. Flights
    in ``problem.locked`` (as actually flown) win over `previous` for the same order.
    """
    already = problem.locked_order_ids
    kept = tuple(f for f in previous.flights if f.takeoff < now and f.order_id not in already)
    return schedule_flights(replace(problem, locked=problem.locked + kept, now=now), search)


def moved_to_van(before: DroneSchedule, after: DroneSchedule) -> tuple[NotFlown, ...]:
    """Orders that flew in `before` but not in `after`, with `after`'s reason."""
    flown_before = before.flown_order_ids
    return tuple(n for n in after.not_flown if n.order_id in flown_before)


# -- greedy ----------------------------------------------------------------------------


def _greedy(problem: DroneProblem, flyable: list[OrderAssessment]) -> _Choice:
    busy: dict[str, list[tuple[int, int]]] = {d.id: [] for d in problem.drones}
    for f in problem.locked:
        busy[f.drone_id].append((f.takeoff, f.back + problem.drone(f.drone_id).turnaround_s))

    def latest_takeoff(a: OrderAssessment) -> int:
        return max(o.takeoffs[-1].end for o in a.options)

    chosen: _Choice = {}
    for a in sorted(flyable, key=lambda a: (latest_takeoff(a), a.order_id)):
        best: tuple[int, str, FlightOption, int] | None = None
        for option in a.options:
            t = _earliest_fit(option, busy[option.drone_id])
            if t is None:
                continue
            key = (t + option.leg_s, option.drone_id, option, t)
            if best is None or key[:2] < best[:2]:
                best = key
        if best is not None:
            _, _, option, t = best
            chosen[a.order_id] = (option, t)
            busy[option.drone_id].append((t, t + option.busy_s))
    return chosen


def _earliest_fit(option: FlightOption, busy: list[tuple[int, int]]) -> int | None:
    """The earliest allowed take-off whose ``[t, t + busy_s)`` misses every busy span."""
    for window in option.takeoffs:
        t = window.start
        while t <= window.end:
            clash = [end for start, end in busy if start < t + option.busy_s and t < end]
            if not clash:
                return t
            t = max(clash)
    return None


# -- CP-SAT ----------------------------------------------------------------------------


def _cp_sat(
    problem: DroneProblem,
    flyable: list[OrderAssessment],
    hint: _Choice,
    search: DroneSearch,
) -> tuple[_Choice, str] | None:
    model = cp_model.CpModel()
    intervals: dict[str, list[cp_model.IntervalVar]] = {d.id: [] for d in problem.drones}
    picks: list[tuple[FlightOption, cp_model.IntVar, cp_model.IntVar]] = []
    on_drone: dict[str, dict[str, cp_model.IntVar]] = {d.id: {} for d in problem.drones}
    flies: dict[str, cp_model.IntVar] = {}
    arrival: dict[str, cp_model.IntVar] = {}
    delays: list[cp_model.IntVar] = []
    weight = 1
    for a in flyable:
        slot_start = a.options[0].slot_start
        earliest = min(o.takeoffs[0].start + o.leg_s for o in a.options)
        latest = max(o.takeoffs[-1].end + o.leg_s for o in a.options)
        arrive = model.new_int_var(earliest, latest, f"arrival {a.order_id}")
        fly = model.new_bool_var(f"flies {a.order_id}")
        picked = hint.get(a.order_id)
        lits = []
        for k, option in enumerate(a.options):
            name = f"{a.order_id}@{option.drone_id}#{k}"
            domain = cp_model.Domain.from_intervals([[w.start, w.end] for w in option.takeoffs])
            takeoff = model.new_int_var_from_domain(domain, f"takeoff {name}")
            present = model.new_bool_var(f"flies {name}")
            intervals[option.drone_id].append(
                model.new_optional_fixed_size_interval_var(
                    takeoff, option.busy_s, present, f"busy {name}"
                )
            )
            model.add(arrive == takeoff + option.leg_s).only_enforce_if(present)
            lits.append(present)
            picks.append((option, takeoff, present))
            on_drone[option.drone_id][a.order_id] = present
            chosen_here = picked is not None and picked[0] is option
            model.add_hint(present, chosen_here)
            model.add_hint(takeoff, picked[1] if chosen_here else option.takeoffs[0].start)
        model.add(sum(lits) == fly)
        delay = model.new_int_var(0, max(0, latest - slot_start), f"delay {a.order_id}")
        model.add(delay >= arrive - slot_start).only_enforce_if(fly)
        flies[a.order_id] = fly
        arrival[a.order_id] = arrive
        delays.append(delay)
        weight += max(0, latest - slot_start)
    for drone_id, spans in _locked_busy(problem).items():
        for start, end in spans:
            intervals[drone_id].append(
                model.new_fixed_size_interval_var(start, end - start, f"locked {drone_id}@{start}")
            )
    for drone_intervals in intervals.values():
        if len(drone_intervals) > 1:
            model.add_no_overlap(drone_intervals)
    _break_order_symmetry(model, flyable, flies, arrival)
    _break_drone_symmetry(model, problem, [a.order_id for a in flyable], on_drone)
    model.maximize(weight * sum(flies.values()) - sum(delays))

    solver, status = solve_model(model, search, "drones")
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    chosen: _Choice = {}
    for option, takeoff, present in picks:
        if solver.boolean_value(present):
            chosen[option.order_id] = (option, solver.value(takeoff))
    return chosen, "optimal" if status == cp_model.OPTIMAL else "feasible"


def _break_order_symmetry(
    model: cp_model.CpModel,
    flyable: list[OrderAssessment],
    flies: dict[str, cp_model.IntVar],
    arrival: dict[str, cp_model.IntVar],
) -> None:
    """Orders with the same options are interchangeable: fly the first ones, in order.

    Without this, CP-SAT spends its time proving that swapping two parcels for the same
    hall and slot changes nothing.
    """
    groups: dict[tuple, list[str]] = {}
    for a in flyable:
        key = tuple((o.drone_id, o.takeoffs, o.leg_s, o.busy_s, o.slot_start) for o in a.options)
        groups.setdefault(key, []).append(a.order_id)
    for ids in groups.values():
        for first, second in pairwise(ids):
            model.add(flies[first] >= flies[second])
            model.add(arrival[first] <= arrival[second]).only_enforce_if(flies[second])


def _break_drone_symmetry(
    model: cp_model.CpModel,
    problem: DroneProblem,
    order_ids: list[str],
    on_drone: dict[str, dict[str, cp_model.IntVar]],
) -> None:
    """Identical drones (same base, figures and groundings, nothing locked) are
    interchangeable: the first order a later one flies must come after the first order
    the earlier one flies.

    Sound together with `_break_order_symmetry`: relabelling identical drones changes
    no order's presence or landing time.
    """
    locked = {f.drone_id for f in problem.locked}
    groups: dict[tuple, list[str]] = {}
    for d in problem.drones:
        if d.id in locked:
            continue
        grounding = tuple(g.applies_to(d.id) for g in problem.grounded)
        figures = tuple(getattr(d, f.name) for f in dataclasses.fields(d) if f.name != "id")
        key = (*figures, grounding)
        groups.setdefault(key, []).append(d.id)
    for ids in groups.values():
        for earlier, later in pairwise(ids):
            before: list[cp_model.IntVar] = []
            for order_id in order_ids:
                here = on_drone[later].get(order_id)
                if here is not None and before:
                    model.add_bool_or(before).only_enforce_if(here)
                elif here is not None:
                    model.add(here == 0)
                there = on_drone[earlier].get(order_id)
                if there is not None:
                    before.append(there)


def _locked_busy(problem: DroneProblem) -> dict[str, list[tuple[int, int]]]:
    """Per drone, the union of its locked flights plus turnaround, as disjoint spans.

    Merged because locked flights are facts that may touch or overlap (a turnaround cut
    short), and fixed intervals that overlap would make NoOverlap infeasible.
    """
    spans: dict[str, list[tuple[int, int]]] = {}
    for f in problem.locked:
        end = f.back + problem.drone(f.drone_id).turnaround_s
        spans.setdefault(f.drone_id, []).append((f.takeoff, max(end, f.takeoff + 1)))
    merged: dict[str, list[tuple[int, int]]] = {}
    for drone_id, items in spans.items():
        out: list[tuple[int, int]] = []
        for start, end in sorted(items):
            if out and start <= out[-1][1]:
                out[-1] = (out[-1][0], max(out[-1][1], end))
            else:
                out.append((start, end))
        merged[drone_id] = out
    return merged


# -- result ----------------------------------------------------------------------------


def _build(
    problem: DroneProblem,
    assessments: tuple[OrderAssessment, ...],
    chosen: _Choice,
    engine: str,
    status: str,
) -> DroneSchedule:
    flights: list[Flight] = list(problem.locked)
    not_flown: list[NotFlown] = []
    for a in assessments:
        if a.reason is not None:
            not_flown.append(NotFlown(a.order_id, a.reason))
        elif a.order_id in chosen:
            option, takeoff = chosen[a.order_id]
            flights.append(option.flight(takeoff))
        else:
            not_flown.append(NotFlown(a.order_id, NoFlightReason.NO_FREE_DRONE))
    flights.sort(key=lambda f: (f.drone_id, f.takeoff, f.order_id))
    delay = sum(f.at_hall - problem.order(f.order_id).slot.start for f in flights)
    return DroneSchedule(
        flights=tuple(flights),
        not_flown=tuple(not_flown),
        engine=engine,
        status=status,
        handover_delay_s=delay,
    )
