"""Properties of the live loop over random event sequences.

Books (rides by departure or arrival, deliveries; confirmed or left held), cancels,
no-shows, delays, breakdowns, position reports, drivers' stop reports, dispatcher
moves, re-optimisations and the passing of time, in any order: after every event the
plan passes the independent checker, no booking is silently dropped, and every
promise given is either kept (the pickup lies in it) or reported broken.
"""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dispatch.errors import InputError
from dispatch.events import BookingStatus
from dispatch.live import ROUTED, LiveConfig, LiveDay
from dispatch.model import Break, TimeWindow, Vehicle
from dispatch.quote import DeliveryAsk, RideAsk
from dispatch.solver import solve
from dispatch.stop import MaxRuntime, SolutionLimit
from tests.dispatch.instances import HOUR, metric_closure

H8 = 8 * HOUR


def town(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    pts = rng.uniform(0, 4000, (n, 2))
    dist = metric_closure(np.rint(np.linalg.norm(pts[:, None] - pts[None], axis=2)).astype(int))
    return metric_closure(np.ceil(dist / 8).astype(np.int64)), dist


def fleet(n: int) -> list[Vehicle]:
    out = []
    for i in range(n):
        lunch = Break("lunch", TimeWindow(10 * HOUR + 1800, 11 * HOUR + 1800), 900)
        out.append(
            Vehicle(
                f"v{i}",
                i % 3,
                i % 3,
                TimeWindow(H8 + 1800 * (i % 2), 13 * HOUR),
                (2 + i % 2, i % 2, 2),
                breaks=(lunch,) if i % 2 else (),
                features=frozenset({"lift"}) if i % 2 else frozenset(),
                fixed_cost=1000,
            )
        )
    return out


ride = st.tuples(
    st.just("ride"),
    st.integers(0, 7),
    st.integers(0, 7),
    st.integers(0, 180),
    st.booleans(),
    st.sampled_from([1, 1, 2]),
    st.booleans(),
)
event = st.one_of(
    ride,  # bookings are weighted up: without them most events have nothing to act on
    ride,
    ride,
    st.tuples(st.just("delivery"), st.integers(0, 7), st.integers(0, 7), st.integers(0, 120)),
    st.tuples(st.just("cancel"), st.integers(0, 50)),
    st.tuples(st.just("no_show"), st.integers(0, 50)),
    st.tuples(st.just("delay"), st.integers(0, 2), st.sampled_from([60, 600, 1800, 3600])),
    st.tuples(st.just("advance"), st.sampled_from([60, 300, 900, 1800])),
    st.tuples(st.just("advance"), st.sampled_from([60, 300, 900, 1800])),
    st.tuples(st.just("breakdown"), st.integers(0, 2)),
    st.tuples(st.just("position"), st.integers(0, 2), st.integers(0, 7)),
    st.tuples(st.just("complete"), st.integers(0, 2)),
    st.tuples(st.just("move"), st.integers(0, 50), st.integers(0, 2)),
    st.tuples(st.just("reopt"), st.booleans()),
    st.tuples(st.just("depart"), st.integers(0, 2)),
)


def check_invariants(day: LiveDay, promised: dict[str, TimeWindow]) -> None:
    report = day.check()
    assert report.ok(), str(report)
    broken = {bp.booking_id for bp in day.broken_promises}
    for b in day.bookings():
        if b.status in ROUTED:
            assert day.route_of(b.id) is not None, f"{b.id} silently dropped"
        if b.status is BookingStatus.PROMISE_BROKEN:
            assert b.id in broken, f"{b.id} broken without a report"
    assert {p.booking_id: p.window for p in day.ledger} == {
        bid: w for bid, w in promised.items() if bid in day.ledger
    }, "the ledger lost or rewrote a promise"
    for bid, promise in promised.items():
        b = day.booking(bid)
        rescued = b.note.startswith("rescue")
        if b.status in (BookingStatus.HELD, BookingStatus.CONFIRMED) and not rescued:
            assert b.promise == promise, f"{bid}: promise changed"
        done = [s for vid in day.fleet for s in day.history(vid.id) if s.request_id == bid]
        picks = sorted((s for s in done if s.kind == "pickup"), key=lambda s: s.start)
        for s in picks[:1] if b.request.kind == "ride" else ():  # a rescue picks up again
            assert promise.contains(s.start) or bid in broken, f"{bid}: picked up off-promise"


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    seed=st.integers(0, 3),
    vehicles=st.integers(1, 3),
    auto=st.booleans(),
    events=st.lists(event, min_size=8, max_size=40),
)
def test_random_event_sequences_keep_the_plan_valid_and_promises_kept(seed, vehicles, auto, events):
    t, d = town(8, seed)
    day = LiveDay(
        t,
        d,
        fleet(vehicles),
        now=H8 - 1800,
        config=LiveConfig(auto_complete=auto, rescue_window_s=2 * HOUR),
    )
    promised: dict[str, TimeWindow] = {}
    for ev in events:
        kind = ev[0]
        active = [b.id for b in day.bookings() if b.status.is_active]
        movable = [
            b.id for b in day.bookings(BookingStatus.HELD, BookingStatus.CONFIRMED)
            if day.route_of(b.id) is not None
        ]  # fmt: skip
        in_service = [v.id for v in day.problem().vehicles]
        try:
            if kind == "ride":
                _, a, b, offset, by_arrival, party, confirm = ev
                when = day.now + 600 + 60 * offset
                ask = (
                    RideAsk(a, b, arrive_by=when + 1800, party_size=party)
                    if by_arrival
                    else RideAsk(a, b, depart_at=when, party_size=party)
                )
                q = day.quote(ask)
                if q.ok and confirm:
                    day.confirm(q.booking_id)
                    promised[q.booking_id] = q.promise
            elif kind == "delivery":
                _, a, b, offset = ev
                ready = max(day.now, H8) + 60 * offset
                q = day.quote(DeliveryAsk(a, b, ready_at=ready, due_by=ready + 2 * HOUR))
                if q.ok:
                    day.confirm(q.booking_id)
                    promised[q.booking_id] = q.promise
            elif kind == "cancel" and active:
                bid = active[ev[1] % len(active)]
                if day.booking(bid).status is not BookingStatus.PICKED_UP:
                    day.cancel(bid)
            elif kind == "no_show" and movable:
                day.no_show(movable[ev[1] % len(movable)])
            elif kind == "delay" and in_service:
                day.vehicle_delayed(in_service[ev[1] % len(in_service)], ev[2])
            elif kind == "advance":
                day.advance_to(day.now + ev[1])
            elif kind == "breakdown" and len(in_service) > 1:
                day.vehicle_breakdown(in_service[ev[1] % len(in_service)])
            elif kind == "position" and in_service:
                day.vehicle_position(in_service[ev[1] % len(in_service)], ev[2])
            elif kind == "complete" and in_service:
                vid = in_service[ev[1] % len(in_service)]
                if day.plan.route(vid) is not None:
                    day.complete_next_stop(vid)
            elif kind == "depart" and in_service:
                day.depart(in_service[ev[1] % len(in_service)])
            elif kind == "move" and movable and in_service:
                day.move(movable[ev[1] % len(movable)], in_service[ev[2] % len(in_service)])
            elif kind == "reopt":
                job = day.reopt_job()
                if ev[1]:  # something happens while the worker searches
                    day.quote(RideAsk(1, 2, depart_at=day.now + 3600))
                    day.advance_to(day.now + 300)
                candidate = solve(
                    job.problem, SolutionLimit(5) | MaxRuntime(0.5), initial=job.initial
                )
                day.offer(job, candidate)
        except InputError as exc:  # only for asks the state makes meaningless
            meaningless = ("not in service", "under way", "shift starts", "has not begun")
            assert any(k in str(exc) for k in meaningless), exc
        check_invariants(day, promised)
    day.advance_to(max(day.now, 14 * HOUR))
    check_invariants(day, promised)
