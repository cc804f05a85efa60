"""The reassign assistant (乗せ替えの候補): which vehicles could take a booking, best first.

For a booking the dispatcher wants to move, every other vehicle in service is tried
with the very override the dispatcher would apply (`LiveDay.move` on a copy of the
day, `dispatch.live.preview`): the insertion the engine computes
(`dispatch.insertion.find_insertion`), checked by the independent checker against the
promise ledger. Each `MoveOption` says whether the move keeps every promise (else the
checker's violations), what it adds to the day's plan (metres, seconds, yen: the
whole plan after minus before, so what the old vehicle saves counts), when the
booking would be picked up and dropped off, and the chance its stops on the receiving
route start after their promise (`dispatch.risk`).

Options are ranked: moves that keep every promise first; among those, the ones whose
lateness risk stays under the board's at-risk threshold; then by added cost, then by
risk.
"""

from __future__ import annotations

from dataclasses import dataclass

from dispatch.errors import InputError
from dispatch.events import BookingStatus
from dispatch.live import LiveDay
from dispatch.live.preview import preview
from dispatch.risk import day_risks


@dataclass(frozen=True, slots=True)
class MoveOption:
    """Moving a booking to one vehicle: allowed or not, its cost and its risk."""

    vehicle_id: str
    keeps_promise: bool
    violations: tuple[str, ...]
    added_distance_m: int
    added_duration_s: int
    added_cost: float
    pickup_at: int | None
    dropoff_at: int | None
    late_probability: float | None


def move_options(
    day: LiveDay, booking_id: str, *, at_risk_probability: float = 0.3
) -> list[MoveOption]:
    """Every other vehicle in service as a `MoveOption` for `booking_id`, best first.

    Raises `InputError` when the booking cannot be moved at all (unknown, on board,
    done, cancelled, or under way on its vehicle), as `LiveDay.move` does.
    """
    b = day.booking(booking_id)
    if b.status not in (BookingStatus.HELD, BookingStatus.CONFIRMED):
        raise InputError(f"booking {booking_id!r} is {b.status.value}; only booked rides move")
    current = day.route_of(booking_id)
    out = []
    for vid in day.state.routes:
        if vid == current:
            continue
        p = preview(day, lambda d, v=vid: d.move(booking_id, v))
        copy = p.day
        risk = [
            r.late_probability
            for r in day_risks(copy)
            if r.request_id == booking_id and r.vehicle_id == vid and r.deadline is not None
        ]
        where = copy.state.routes.get(vid)
        pickup = dropoff = None
        if p.applied and where is not None and where.sched is not None:
            for node, start in zip(where.nodes, where.sched.starts, strict=True):
                if node.task is not None and node.task.id == booking_id:
                    if node.kind.value == "pickup":
                        pickup = start
                    else:
                        dropoff = start
        out.append(
            MoveOption(
                vehicle_id=vid,
                keeps_promise=p.applied,
                violations=p.violations,
                added_distance_m=p.after.distance_m - p.before.distance_m,
                added_duration_s=p.after.duration_s - p.before.duration_s,
                added_cost=round(p.after.cost - p.before.cost, 1),
                pickup_at=pickup,
                dropoff_at=dropoff,
                late_probability=max(risk) if p.applied and risk else None,
            )
        )
    return sorted(
        out,
        key=lambda o: (
            not o.keeps_promise,
            (o.late_probability or 0.0) >= at_risk_probability,
            o.added_cost,
            o.late_probability or 0.0,
            o.vehicle_id,
        ),
    )
