"""Background re-optimisation of a live day, in a worker process.

OR-Tools keeps the GIL while it searches (a solve in a thread stalls the caller's
thread for up to a second at a time), so the full solve runs in another process:
`Reoptimizer.start` takes a snapshot (`LiveDay.reopt_job`: the live problem with
executed stops removed, under-way stops locked and riders on board as ``onboard``,
plus the current plan as the warm start) and submits `run_reopt`; quotes go on
meanwhile. `Reoptimizer.poll` never blocks, and kills a worker that overruns its
time limit (OR-Tools does not always honour it). When the worker is done it hands the
candidate to `LiveDay.offer`, which re-inserts bookings taken since the snapshot,
re-checks everything against the state *now*, and accepts the candidate only if it
passes the checker, keeps every promise, serves every booking the plan serves and
costs less.
"""

from __future__ import annotations

import logging
import multiprocessing
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import TYPE_CHECKING

from dispatch.audit import AuditEvent, diff
from dispatch.check import check_plan
from dispatch.errors import SolverError
from dispatch.events import ROUTED, BookingStatus
from dispatch.insertion import WorkingRoute, to_plan
from dispatch.model import Problem
from dispatch.quote import find_insertion, route_view
from dispatch.result import Plan, StepKind, Unassigned, UnassignedReason
from dispatch.schedule import Node, break_nodes, dropoff_node, pickup_node, schedule
from dispatch.solver import solve
from dispatch.stop import MaxRuntime

if TYPE_CHECKING:
    from dispatch.live import LiveDay

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ReoptJob:
    """A snapshot to re-optimise: the live problem, the plan then, and the state version."""

    version: int
    at: int
    problem: Problem
    initial: Plan


@dataclass(frozen=True, slots=True)
class ReoptOutcome:
    """What became of a candidate plan: accepted, or discarded and why."""

    accepted: bool
    reason: str
    cost_before: float
    cost_after: float | None = None
    moved: int = 0
    reinserted: int = 0
    audit_seq: int | None = None


def run_reopt(problem: Problem, initial: Plan, time_limit_s: float, seed: int = 0) -> Plan:
    """The full solve from the current plan (runs in the worker process)."""
    return solve(problem, MaxRuntime(time_limit_s), seed=seed, initial=initial)


def _ref(node: Node) -> tuple[str, StepKind]:
    assert node.task is not None
    return node.task.id, node.kind


class ReoptMixin:
    """`LiveDay`'s side of re-optimisation: snapshots out, candidates in."""

    def reopt_job(self) -> ReoptJob:
        """A snapshot for a background full solve (`dispatch.reopt`)."""
        return ReoptJob(self._version, self.now, self.problem(), self.plan)

    def discard(self, job: ReoptJob, reason: str) -> ReoptOutcome:
        """Record that a re-optimisation result was not used, and why."""
        entry = self.audit.record(
            self.now, AuditEvent.REOPT_DISCARDED, f"{reason} (snapshot v{job.version})"
        )
        return ReoptOutcome(False, reason, self.plan.summary.cost, audit_seq=entry.seq)

    def offer(self, job: ReoptJob, candidate: Plan) -> ReoptOutcome:
        """Adopt a re-optimised plan if it is valid now, keeps every promise, serves
        every booking the plan serves and costs less; otherwise discard it.

        Bookings taken since the snapshot are re-inserted into the candidate; stops
        done since are dropped from it; locks and closed routes must agree.
        """
        report = check_plan(job.problem, candidate)
        if not report.ok():
            return self.discard(job, f"candidate fails the checker: {report.violations[0]}")
        served_then = {rid for r in job.initial.routes for rid in r.request_ids}
        served_cand = {rid for r in candidate.routes for rid in r.request_ids}
        if not served_then <= served_cand:
            lost = sorted(served_then - served_cand)
            return self.discard(job, f"candidate drops bookings {lost[:5]}")
        trial = self._reconcile(candidate)
        if isinstance(trial, str):
            return self.discard(job, trial)
        new_routes, reinserted = trial
        problem = self.problem()
        live = dict(self._ordered())
        routed_new = {n.task.id for wr in new_routes.values() for n in wr.nodes if n.task}
        restored = [
            b.id
            for b in self._bookings.values()
            if self._open_broken(b, live) and b.id in routed_new
        ]
        ids = {t.id for t in problem.tasks}
        unassigned = sorted(
            (
                Unassigned(bid, UnassignedReason.NOT_SELECTED, self._broken_detail(bid))
                for bid in ids - routed_new
            ),
            key=lambda u: u.request_id,
        )
        ordered = [new_routes[vid] for vid in live]
        new_plan = to_plan(problem, ordered, unassigned, {"solver": "reopt"})
        report = check_plan(problem, new_plan)
        if not report.ok():
            return self.discard(job, f"reconciled plan fails the checker: {report.violations[0]}")
        before_cost = self.plan.summary.cost
        after_cost = new_plan.summary.cost
        if after_cost >= before_cost - 1e-6:
            return self.discard(job, f"not better: cost {after_cost:.0f} >= {before_cost:.0f}")
        before = self._timetable()
        self._routes = {vid: new_routes[vid] for vid in live}
        self._views.clear()
        for bid in restored:
            self._bookings[bid].status = BookingStatus.CONFIRMED
            self.audit.record(
                self.now,
                AuditEvent.PROMISE_RESTORED,
                "re-optimisation found room within the promise again",
                booking_id=bid,
                vehicle_id=self.route_of(bid),
            )
        self._touch()
        changes = diff(before, self._timetable())
        moved = sum(1 for c in changes if c.before_vehicle != c.after_vehicle)
        entry = self.audit.record(
            self.now,
            AuditEvent.REOPTIMISED,
            f"re-optimised (snapshot v{job.version}): cost {before_cost:.0f} -> {after_cost:.0f}, "
            f"{moved} booking(s) moved, {reinserted} re-inserted",
            changes=changes,
        )
        return ReoptOutcome(True, "accepted", before_cost, after_cost, moved, reinserted, entry.seq)

    def _reconcile(self, candidate: Plan) -> tuple[dict[str, WorkingRoute], int] | str:
        """The candidate's sequences applied to the state now, or why they cannot be."""
        routed_now = {b.id for b in self._bookings.values() if b.status in ROUTED}
        live = dict(self._ordered())
        open_broken = {b.id for b in self._bookings.values() if self._open_broken(b, live)}
        cand = {r.vehicle_id: r for r in candidate.routes}
        seqs: dict[str, list[Node]] = {}
        breaks_at: dict[str, list[tuple[int, str]]] = {}
        where: dict[str, set[str]] = {}
        count: dict[str, int] = {}
        for vid, wr in live.items():
            seq: list[Node] = []
            brk: list[tuple[int, str]] = []
            r = cand.get(vid)
            untaken = {b.id for b in wr.vehicle.breaks}
            for s in r.steps if r is not None else ():
                if s.kind is StepKind.BREAK and s.break_id in untaken:
                    brk.append((len(seq), s.break_id))
                    continue
                bid = s.request_id
                if s.kind not in (StepKind.PICKUP, StepKind.DROPOFF) or bid is None:
                    continue
                if bid not in routed_now and bid not in open_broken:
                    continue  # done, cancelled or expired since the snapshot
                task = self._tasks[bid]
                if s.kind is StepKind.PICKUP:
                    if task.pickup is None:
                        continue  # picked up since the snapshot
                    seq.append(pickup_node(task))
                else:
                    seq.append(dropoff_node(task))
                where.setdefault(bid, set()).add(vid)
                count[bid] = count.get(bid, 0) + 1
            locked = [_ref(n) for n in wr.nodes[: wr.locked] if not n.is_break]
            if [_ref(n) for n in seq[: len(locked)]] != locked:
                return f"vehicle {vid}: candidate does not begin with its locked stops"
            if wr.closed and [_ref(n) for n in seq] != [
                _ref(n) for n in wr.nodes if not n.is_break
            ]:
                return f"vehicle {vid}: its route is locked by the dispatcher"
            seqs[vid] = seq
            breaks_at[vid] = brk
        for bid, vids in where.items():
            task = self._tasks[bid]
            want = 1 if task.pickup is None else 2
            if len(vids) != 1 or count[bid] != want:
                return f"booking {bid}: candidate splits it across vehicles or lost a stop"
            if task.onboard is not None and vids != {task.onboard.vehicle_id}:
                return f"booking {bid}: on board {task.onboard.vehicle_id}, not on {sorted(vids)}"
        missing = [bid for bid in routed_now if bid not in where]
        if any(self._tasks[bid].pickup is None for bid in missing):
            return "candidate leaves a rider on board undelivered"
        new_routes: dict[str, WorkingRoute] = {}
        for vid, wr in live.items():
            n_locked = sum(1 for n in wr.nodes[: wr.locked] if not n.is_break)
            nodes = self._with_breaks(wr, seqs[vid], breaks_at[vid], n_locked)
            if nodes is None:
                return f"vehicle {vid}: candidate sequence is infeasible now"
            real = [k for k, n in enumerate(nodes) if not n.is_break]
            locked = real[n_locked - 1] + 1 if n_locked else 0
            new = WorkingRoute(wr.vehicle, nodes, locked, wr.closed, wr.initial_load)
            new.sched = schedule(self._base, wr.vehicle, nodes)
            new_routes[vid] = new
        missing.sort(key=lambda bid: self._tasks[bid].pickup.window.start)  # type: ignore[union-attr]
        routes = list(new_routes.values())
        views = [route_view(self._base, r) for r in routes] if missing else []
        for bid in missing:
            ins = find_insertion(self._base, routes, views, self._tasks[bid])
            if ins is None:
                return f"booking {bid} taken since the snapshot does not fit the candidate"
            r = routes[ins.vehicle_index]
            r.nodes, r.sched = list(ins.nodes), ins.sched
            views[ins.vehicle_index] = route_view(self._base, r)
        return new_routes, len(missing)

    def _with_breaks(
        self, wr: WorkingRoute, seq: list[Node], breaks_at: list[tuple[int, str]], n_locked: int
    ) -> list[Node] | None:
        """`seq` with the vehicle's untaken breaks (where the candidate had them if that
        is feasible, else placed after the `n_locked` leading stops), or None."""
        vehicle = wr.vehicle
        by_id = {n.break_id: n for n in break_nodes(vehicle)}
        nodes = list(seq)
        for pos, brk_id in sorted(breaks_at, reverse=True):
            nodes.insert(pos, by_id[brk_id])
        if schedule(self._base, vehicle, nodes) is None:
            nodes = list(seq)
        real = [k for k, n in enumerate(nodes) if not n.is_break]
        first = real[n_locked - 1] + 1 if n_locked else 0
        present = {n.break_id for n in nodes if n.is_break}
        missing = [n for b, n in by_id.items() if b not in present]
        placed = self._place_breaks(vehicle, nodes, missing, first)
        if placed is None or schedule(self._base, vehicle, placed) is None:
            return None
        return placed


def _worker(
    conn: Connection, problem: Problem, initial: Plan, time_limit_s: float, seed: int
) -> None:
    """Body of the worker process: solve, send ("ok", plan) or ("error", text) back."""
    try:
        conn.send(("ok", run_reopt(problem, initial, time_limit_s, seed)))
    except SolverError as exc:
        conn.send(("error", str(exc)))
    finally:
        conn.close()


class Reoptimizer:
    """Runs `run_reopt` for a `LiveDay` in a worker process; never blocks quotes.

    Use ``start()`` whenever the day should be improved (e.g. every few minutes or
    after a burst of bookings) and ``poll()`` from the thread that serves quotes; a
    new job starts only when the previous one has been offered. Each job gets its own
    process (spawned: OR-Tools is imported there, ~1 s of the other core), so a solve
    that overruns ``time_limit_s`` by more than ``overrun_s`` is killed and discarded.
    """

    def __init__(
        self,
        day: LiveDay,
        *,
        time_limit_s: float = 10.0,
        seed: int = 0,
        overrun_s: float = 30.0,
    ) -> None:
        self.day = day
        self.time_limit_s = time_limit_s
        self.seed = seed
        self.overrun_s = overrun_s
        self._ctx = multiprocessing.get_context("spawn")
        self._job: ReoptJob | None = None
        self._proc: BaseProcess | None = None
        self._conn: Connection | None = None
        self._deadline = 0.0

    @property
    def running(self) -> bool:
        """A job is in the worker now."""
        return self._job is not None

    def start(self) -> bool:
        """Submit a job from the day as it is now; False if one is still running."""
        if self._job is not None:
            return False
        job = self.day.reopt_job()
        ours, theirs = self._ctx.Pipe(duplex=False)
        proc = self._ctx.Process(
            target=_worker,
            args=(theirs, job.problem, job.initial, self.time_limit_s, self.seed),
            daemon=True,
        )
        proc.start()
        theirs.close()
        self._job, self._proc, self._conn = job, proc, ours
        self._deadline = time.monotonic() + self.time_limit_s + self.overrun_s
        return True

    def poll(self) -> ReoptOutcome | None:
        """Offer the finished candidate to the day; None while the worker is busy."""
        if self._job is None:
            return None
        assert self._conn is not None
        if self._conn.poll():
            try:
                status, payload = self._conn.recv()
            except EOFError:
                status, payload = "error", "worker died without an answer"
            job = self._stop()
            if status == "ok":
                return self.day.offer(job, payload)
            return self.day.discard(job, f"solver failed: {payload}")
        alive = self._proc is not None and self._proc.is_alive()
        if not alive or time.monotonic() > self._deadline:
            job = self._stop()
            why = "overran its time limit" if alive else "worker died without an answer"
            logger.warning("re-optimisation %s; discarded", why)
            return self.day.discard(job, f"solver {why}")
        return None

    def wait(self, timeout: float | None = None) -> ReoptOutcome | None:
        """Block until the running job ends and offer it (batch replays, tests)."""
        end = None if timeout is None else time.monotonic() + timeout
        while self._job is not None:
            outcome = self.poll()
            if outcome is not None:
                return outcome
            if end is not None and time.monotonic() > end:
                return None
            assert self._conn is not None
            self._conn.poll(0.05)
        return None

    def _stop(self) -> ReoptJob:
        job = self._job
        assert job is not None
        if self._proc is not None:
            if self._proc.is_alive():
                self._proc.terminate()
            self._proc.join(5)
        if self._conn is not None:
            self._conn.close()
        self._job, self._proc, self._conn = None, None, None
        return job

    def close(self) -> None:
        """Stop the worker (a running job is abandoned)."""
        if self._job is not None:
            self._stop()

    def __enter__(self) -> Reoptimizer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
