"""Re-optimisation of a live day: adopted only when valid now, promise-keeping and better."""

from __future__ import annotations

import time

import pytest

from benchmarks.live_latency import demand, fleet, synthetic_town
from dispatch.audit import AuditEvent
from dispatch.events import BookingStatus
from dispatch.live import LiveDay
from dispatch.model import TimeWindow, Vehicle
from dispatch.quote import RideAsk
from dispatch.reopt import Reoptimizer
from dispatch.result import StepKind, Visit, build_plan, build_route
from dispatch.solver import solve
from dispatch.stop import MaxRuntime, SolutionLimit
from tests.dispatch.instances import HOUR, line_matrix

STOP = SolutionLimit(20) | MaxRuntime(5)


def busy_day() -> LiveDay:
    """14 bookings quoted one by one on 3 vehicles: a plan the solver can improve."""
    town = synthetic_town(0, homes=30, places=4, shops=2)
    day = LiveDay(town.time_s, town.distance_m, fleet(town, 3, seed=0), now=6 * HOUR)
    for ask in demand(town, 14, seed=0):
        q = day.quote(ask)
        if q.ok:
            day.confirm(q.booking_id)
    return day


def promises(day: LiveDay) -> dict[str, TimeWindow | None]:
    return {b.id: b.promise for b in day.bookings()}


def test_better_plan_is_adopted_and_keeps_every_promise():
    day = busy_day()
    given = promises(day)
    served = {rid for r in day.plan.routes for rid in r.request_ids}
    job = day.reopt_job()
    outcome = day.offer(job, solve(job.problem, STOP, initial=job.initial))
    assert outcome.accepted, outcome.reason
    assert outcome.cost_after < outcome.cost_before
    assert day.plan.summary.cost == pytest.approx(outcome.cost_after)
    assert promises(day) == given
    assert {rid for r in day.plan.routes for rid in r.request_ids} == served
    entry = list(day.audit)[-1]
    assert entry.event is AuditEvent.REOPTIMISED and entry.seq == outcome.audit_seq
    assert sum(1 for c in entry.changes if c.before_vehicle != c.after_vehicle) == outcome.moved
    assert day.check().ok()


def test_bookings_made_meanwhile_are_reinserted():
    day = busy_day()
    job = day.reopt_job()
    candidate = solve(job.problem, STOP, initial=job.initial)
    late = day.quote(RideAsk(20, 3, depart_at=13 * HOUR))  # while the worker searched
    assert late.ok
    day.confirm(late.booking_id)
    day.advance_to(7 * HOUR)
    outcome = day.offer(job, candidate)
    assert outcome.accepted, outcome.reason
    assert outcome.reinserted == 1
    assert day.route_of(late.booking_id) is not None
    assert day.booking(late.booking_id).promise == late.promise
    assert day.check().ok()


def test_candidate_breaking_a_promise_is_discarded():
    t, d = line_matrix([0, 600, 1200, 1800])
    v = Vehicle("v1", 0, 0, TimeWindow(8 * HOUR, 14 * HOUR), (2, 0, 0))
    day = LiveDay(t, d, [v], now=8 * HOUR)
    q = day.quote(RideAsk(1, 3, depart_at=9 * HOUR))
    day.confirm(q.booking_id)
    job = day.reopt_job()
    task = job.problem.task(q.booking_id)
    late = q.promise.end + 600  # a cheaper-looking plan that picks up 10 minutes late
    live_v = job.problem.vehicle("v1")
    route = build_route(
        job.problem,
        live_v,
        late - 600,
        [Visit(StepKind.PICKUP, late, task), Visit(StepKind.DROPOFF, late + 60 + 1200, task)],
    )
    outcome = day.offer(job, build_plan(job.problem, [route], []))
    assert not outcome.accepted
    assert "promise" in outcome.reason
    assert list(day.audit)[-1].event is AuditEvent.REOPT_DISCARDED
    assert day.booking(q.booking_id).promise == q.promise
    assert day.check().ok()


def test_stale_candidate_is_reconciled_with_what_happened_since():
    day = busy_day()
    job = day.reopt_job()
    candidate = solve(job.problem, STOP, initial=job.initial)
    day.advance_to(10 * HOUR)  # stops were done, vehicles are under way
    cancelled = next(b.id for b in day.bookings(BookingStatus.CONFIRMED))
    day.cancel(cancelled)
    outcome = day.offer(job, candidate)
    if not outcome.accepted:  # e.g. the candidate ordered a now-executed stop differently
        assert outcome.reason
    assert day.route_of(cancelled) is None
    assert day.check().ok()


def test_background_reoptimiser_never_blocks_quotes():
    day = busy_day()
    with Reoptimizer(day, time_limit_s=1.0) as reopt:
        assert reopt.start()
        assert not reopt.start()  # one job at a time
        started = time.perf_counter()
        q = day.quote(RideAsk(20, 3, depart_at=13 * HOUR))
        assert time.perf_counter() - started < 0.5
        assert q.ok
        day.confirm(q.booking_id)
        outcome = reopt.wait(timeout=60)
    assert outcome is not None
    assert outcome.accepted or outcome.reason
    assert day.route_of(q.booking_id) is not None
    assert day.check().ok()


def test_overrunning_worker_is_killed_and_discarded():
    day = busy_day()
    reopt = Reoptimizer(day, time_limit_s=30.0)
    assert reopt.start()
    reopt._deadline = 0.0  # as if the solve had overrun its limit
    outcome = reopt.poll()
    assert outcome is not None and not outcome.accepted
    assert "overran" in outcome.reason
    assert not reopt.running
    assert list(day.audit)[-1].event is AuditEvent.REOPT_DISCARDED
    reopt.close()
