"""A full re-optimisation for the service, in a worker process with a hard deadline.

The day is not locked while OR-Tools searches: the request snapshots the day
(`LiveDay.reopt_job`) under lock, solves in a spawned process (OR-Tools keeps the GIL,
so a thread would stall this worker's other requests), then locks the day again and
offers the candidate (`LiveDay.offer` re-checks it against the day *then*: bookings
taken meanwhile are re-inserted, and it is accepted only if it passes the checker,
keeps every promise and costs less).
"""

from __future__ import annotations

import logging
import multiprocessing
from multiprocessing.connection import Connection

from dispatch.errors import SolverError
from dispatch.reopt import ReoptJob, run_reopt
from dispatch.result import Plan

log = logging.getLogger(__name__)

OVERRUN_S = 20.0
"""Extra seconds the worker gets beyond its time limit before it is killed."""


def _solve(conn: Connection, job: ReoptJob, time_limit_s: float, seed: int) -> None:
    try:
        conn.send(("ok", run_reopt(job.problem, job.initial, time_limit_s, seed)))
    except SolverError as exc:
        conn.send(("error", str(exc)))
    finally:
        conn.close()


def solve_job(job: ReoptJob, time_limit_s: float, *, seed: int = 0) -> Plan | str:
    """The candidate plan of `job`, or why there is none (timeout, solver failure)."""
    ctx = multiprocessing.get_context("spawn")
    ours, theirs = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_solve, args=(theirs, job, time_limit_s, seed), daemon=True)
    proc.start()
    theirs.close()
    try:
        if not ours.poll(time_limit_s + OVERRUN_S):
            log.warning("re-optimisation overran %.0f s; killed", time_limit_s + OVERRUN_S)
            return "the solver overran its time limit"
        try:
            status, payload = ours.recv()
        except EOFError:
            return "the solver process died without an answer"
        return payload if status == "ok" else f"solver failed: {payload}"
    finally:
        ours.close()
        if proc.is_alive():
            proc.terminate()
        proc.join(5)
