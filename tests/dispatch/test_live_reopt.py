"""Re-optimisation of a live day: adopted only when valid now, promise-keeping and better."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from benchmarks.live_latency import demand, fleet, synthetic_town
from dispatch.audit import AuditEvent
from dispatch.events import BookingStatus
from dispatch.live import ROUTED, LiveDay, OffRouteBreak, solve_in_worker, solve_job
from dispatch.model import Break, TimeWindow, Vehicle
from dispatch.quote import RideAsk
from dispatch.result import Plan, StepKind, Visit, build_plan, build_route
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
    outcome = day.offer(job, solve_job(job, STOP))
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
    candidate = solve_job(job, STOP)
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
    candidate = solve_job(job, STOP)
    day.advance_to(10 * HOUR)  # stops were done, vehicles are under way
    cancelled = next(b.id for b in day.bookings(BookingStatus.CONFIRMED))
    day.cancel(cancelled)
    before = day.plan.summary.cost
    outcome = day.offer(job, candidate)
    last = list(day.audit)[-1]
    assert last.seq == outcome.audit_seq
    if outcome.accepted:  # adopted: cheaper, and what happened since is respected
        assert last.event is AuditEvent.REOPTIMISED
        assert outcome.cost_after < before
    else:  # discarded with its reason on record, the plan untouched
        assert last.event is AuditEvent.REOPT_DISCARDED and outcome.reason in last.reason
        assert day.plan.summary.cost == pytest.approx(before)
    assert day.route_of(cancelled) is None
    routed = {rid for r in day.plan.routes for rid in r.request_ids}
    assert {b.id for b in day.bookings(*ROUTED)} <= routed
    assert day.check().ok()


def test_worker_solves_while_quotes_go_on_and_the_candidate_is_adopted():
    day = busy_day()
    job = day.reopt_job()
    with ThreadPoolExecutor(1) as pool:  # the worker process runs while we quote
        running = pool.submit(solve_in_worker, job, 1.0)
        q = day.quote(RideAsk(20, 3, depart_at=13 * HOUR))
        assert q.ok
        day.confirm(q.booking_id)
        candidate = running.result(timeout=120)
    assert isinstance(candidate, Plan), candidate
    assert candidate.stats["engine"] in ("native", "initial")
    assert candidate.summary.cost <= job.initial.summary.cost + 1e-6  # never worse
    outcome = day.offer(job, candidate)
    assert outcome.accepted, outcome.reason
    assert outcome.reinserted == 1
    assert day.route_of(q.booking_id) is not None
    assert day.check().ok()


def test_overrunning_worker_is_killed_and_reported():
    day = busy_day()
    job = day.reopt_job()
    answer = solve_in_worker(job, 0.001, overrun_s=0.0)  # no process starts that fast
    assert answer == "the solver overran its time limit"
    outcome = day.discard(job, answer)
    assert not outcome.accepted
    assert list(day.audit)[-1].event is AuditEvent.REOPT_DISCARDED


def test_better_plan_with_a_break_after_the_end_is_adopted():
    """v1 (a 45-minute lunch to start from 9:00 to 9:30) serves a ride at 9:00 and, as
    the dispatcher placed it, one at noon too (its lunch in the idle time between):
    12 180 yen. Giving the noon ride to v2 (on from 10:00, 5 000 yen a day) ends v1 at
    9:22 (2 820 yen), its lunch then taken back home after the end, off the clock, as
    the engine and the checker have it; v2 costs 7 820: 10 640 in all, adopted. Timed
    with the lunch on the route where v1 last served, v1 would work until 10:07
    (5 070 yen) and the better plan would look worse (12 890)."""
    t, d = line_matrix([0, 600, 1200])
    lunch = Break("lunch", TimeWindow(9 * HOUR, 9 * HOUR + 1800), 2700)
    v1 = Vehicle("v1", 0, 0, TimeWindow(8 * HOUR, 16 * HOUR), (2, 0, 0), breaks=(lunch,))
    v2 = Vehicle("v2", 0, 0, TimeWindow(10 * HOUR, 16 * HOUR), (2, 0, 0), fixed_cost=5000)
    day = LiveDay(t, d, [v1, v2], now=8 * HOUR)
    ids = []
    for at in (9 * HOUR, 12 * HOUR):
        q = day.quote(RideAsk(1, 2, depart_at=at))
        assert q.ok
        day.confirm(q.booking_id)
        ids.append(q.booking_id)
    morning, noon = ids
    if day.route_of(noon) != "v1":
        assert day.move(noon, "v1").applied
    assert day.plan.summary.cost == pytest.approx(12180)
    given = promises(day)
    job = day.reopt_job()
    outcome = day.offer(job, solve_job(job, STOP))
    assert outcome.accepted, outcome.reason
    assert outcome.cost_after == pytest.approx(10640)
    assert day.route_of(morning) == "v1" and day.route_of(noon) == "v2"
    (route,) = [r for r in day.plan.routes if r.vehicle_id == "v1"]
    assert all(s.kind is not StepKind.BREAK for s in route.steps)  # after the end
    home = route.steps[-1].arrival
    assert home == 9 * HOUR + 22 * 60
    assert day.breaks_off_route("v1") == (OffRouteBreak("lunch", home, 2700, 0, before=False),)
    assert promises(day) == given
    assert day.check().ok()
    day.advance_to(16 * HOUR)  # back home first, then the lunch
    done = [(h.kind, h.start) for h in day.history("v1")]
    assert done[-2:] == [("depot", home), ("break", home)]
    assert day.check().ok()


def test_a_break_not_taken_by_now_is_not_taken_in_the_past():
    """At 10:00 v1 has not had its lunch (to start from 9:00 to 10:30). The live problem
    says it starts from now, so a candidate that leaves it out of the route as if taken
    before the start (9:00-9:45, before leaving at 10:40 for the pickup promised from
    10:50) fails the checker: the lunch, from 10:00, would end after 10:40."""
    t, d = line_matrix([0, 600, 1200])
    lunch = Break("lunch", TimeWindow(9 * HOUR, 10 * HOUR + 1800), 2700)
    v1 = Vehicle("v1", 0, 0, TimeWindow(8 * HOUR, 16 * HOUR), (2, 0, 0), breaks=(lunch,))
    day = LiveDay(t, d, [v1], now=10 * HOUR)
    q = day.quote(RideAsk(1, 2, depart_at=11 * HOUR))
    assert q.ok
    day.confirm(q.booking_id)
    job = day.reopt_job()
    (live_lunch,) = job.problem.vehicle("v1").breaks
    assert live_lunch.window == TimeWindow(10 * HOUR, lunch.window.end)
    task = job.problem.task(q.booking_id)
    pick = 10 * HOUR + 50 * 60
    route = build_route(
        job.problem,
        job.problem.vehicle("v1"),
        pick - 600,
        [Visit(StepKind.PICKUP, pick, task), Visit(StepKind.DROPOFF, pick + 660, task)],
    )
    outcome = day.offer(job, build_plan(job.problem, [route], []))
    assert not outcome.accepted
    assert outcome.reason.startswith("candidate fails the checker") and "lunch" in outcome.reason
    assert day.check().ok()
