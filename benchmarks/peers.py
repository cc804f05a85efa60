"""The peer solvers of ``noriai bench quality``: VROOM and PyVRP beside our own.

One adapter per engine (`benchmarks.vroom_runner`, `benchmarks.pyvrp_runner`), each
translating a `BenchInstance` once into what that engine reads, on exactly the
integers our solver sees (the same scaled matrices, windows, service times, fleet and
fixed cost per vehicle), and handing its routes back as node-id lists. This module
turns those routes into our `Plan` (`plan_from_task_routes`), so that every peer's
answer goes through the same plan builder, the same checker and the same
double-precision re-check as ours.

A peer is *seeded* when its search takes a seed (PyVRP): it then runs once per
instance and seed, like ours. An unseeded, deterministic peer (VROOM) runs once per
instance and is counted once per instance.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from benchmarks.instances import BenchInstance, plan_from_task_routes
from dispatch.errors import InputError
from dispatch.result import Plan

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Peer:
    """A peer solver: its name (the column prefix), whether it takes a seed, the
    formats its model covers, and its pip package (for the error when it is missing)."""

    name: str
    seeded: bool
    formats: tuple[str, ...]
    package: str


#: The peers, in column order. Neither models DARP ride-time limits, so both compare
#: on the PDPTW sets only.
PEERS: dict[str, Peer] = {
    "vroom": Peer("vroom", seeded=False, formats=("lilim", "sartori"), package="pyvroom"),
    "pyvrp": Peer("pyvrp", seeded=True, formats=("lilim", "sartori"), package="pyvrp"),
}


@dataclass(frozen=True, slots=True)
class PeerRun:
    """One peer solve: node-id routes, the plan built from them, wall-clock seconds,
    the peer's own objective value (its integers) and requests it left out."""

    routes: list[list[int]]
    plan: Plan
    seconds: float
    peer_cost: int
    unassigned: int


def default_peers(fmt: str) -> tuple[str, ...]:
    """Every peer that models `fmt` (both for the PDPTW sets, none for the DARP)."""
    return tuple(name for name, peer in PEERS.items() if fmt in peer.formats)


def parse_peers(text: str, fmt: str) -> tuple[str, ...]:
    """``--peers``: a comma list of peer names ("" or "none" for none), each known and
    modelling `fmt`; order follows `PEERS`."""
    names = [n.strip().lower() for n in text.split(",") if n.strip()]
    if names == ["none"]:
        return ()
    unknown = sorted(set(names) - set(PEERS))
    if unknown:
        raise InputError(f"--peers: unknown peer(s) {unknown}; known: {sorted(PEERS)}")
    for name in names:
        if fmt not in PEERS[name].formats:
            raise InputError(
                f"--peers: {name} is compared on {', '.join(PEERS[name].formats)} only, "
                f"not {fmt} (it does not model the DARP's ride-time limits)"
            )
    return tuple(n for n in PEERS if n in names)


def peer_plan(
    instance: BenchInstance,
    peer: str,
    routes: Sequence[Sequence[int]],
    *,
    seconds: float,
    peer_cost: int,
    stats: dict | None = None,
) -> PeerRun:
    """A peer's node-id `routes` as a `PeerRun`: empty routes dropped, the plan re-timed
    by `plan_from_task_routes` (the checker judges it, not the peer)."""
    kept = [list(r) for r in routes if len(r)]
    plan = plan_from_task_routes(
        instance, kept, stats={"solver": peer, "solve_seconds": round(seconds, 3), **(stats or {})}
    )
    logger.info(
        "%s %s: %d routes, %d unassigned, cost %s, %.2f s",
        peer,
        instance.name,
        len(kept),
        len(plan.unassigned),
        peer_cost,
        seconds,
    )
    return PeerRun(
        routes=kept,
        plan=plan,
        seconds=seconds,
        peer_cost=peer_cost,
        unassigned=len(plan.unassigned),
    )


def solver_of(peer: str) -> Callable[[BenchInstance, float, int], PeerRun]:
    """``solve(instance, time_limit_s, seed) -> PeerRun`` of `peer` (imported lazily:
    the peers are the optional ``bench`` extra)."""
    if peer == "vroom":
        from benchmarks.vroom_runner import solve_vroom

        return lambda instance, limit, seed: solve_vroom(instance, limit)
    if peer == "pyvrp":
        from benchmarks.pyvrp_runner import solve_pyvrp

        return lambda instance, limit, seed: solve_pyvrp(instance, limit, seed=seed)
    raise InputError(f"unknown peer {peer!r}; known: {sorted(PEERS)}")
