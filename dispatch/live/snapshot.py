"""A live day as JSON-able data, and back; older snapshots are migrated.

The matrix is large and derivable from the map, so it is left out unless asked.
Format 2 (``noriai.liveday/2``) adds the promise ledger. A format-1 snapshot (before
the ledger) is migrated: each confirmed booking's promise is rebuilt from its request
as stored, dated at its booking time and marked as migrated in its words; anything
else is refused with a message that names the format.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, replace
from typing import Any

import numpy as np

from dispatch.audit import AuditLog
from dispatch.errors import InputError
from dispatch.events import (
    Booking,
    BookingStatus,
    BrokenPromise,
    DoneStop,
    VehicleState,
    vehicle_from_plain,
    vehicle_to_plain,
)
from dispatch.halls import Hall, check_halls
from dispatch.insertion import WorkingRoute
from dispatch.live import air
from dispatch.live.ledger import Ledger
from dispatch.live.quotes import promise_terms
from dispatch.live.routes import ordered, refresh
from dispatch.live.state import DayState, LiveConfig
from dispatch.model import CostWeights, Problem, RideRequest, RideTimePolicy
from dispatch.quote import resolve_task, span
from dispatch.result import StepKind
from dispatch.schedule import break_nodes, node_for

SNAPSHOT_FORMAT = "noriai.liveday/2"
_ID = re.compile(r"(.*?)(\d+)")
_FORMAT_1 = "noriai.liveday/1"

#: Statuses of bookings that were confirmed at some point (format-1 migration).
_PROMISED = frozenset(
    {
        BookingStatus.CONFIRMED,
        BookingStatus.PICKED_UP,
        BookingStatus.DONE,
        BookingStatus.PROMISE_BROKEN,
    }
)


def snapshot(s: DayState, *, include_matrix: bool = False) -> dict[str, Any]:
    """The whole state as JSON-able data (`restore` rebuilds it)."""
    routes = {
        vid: [
            {"kind": "break", "id": n.break_id}
            if n.is_break
            else {"kind": n.kind.value, "id": n.task.id}  # type: ignore[union-attr]
            for n in wr.nodes
        ]
        for vid, wr in ordered(s)
    }
    data: dict[str, Any] = {
        "format": SNAPSHOT_FORMAT,
        "now": s.now,
        "version": s.version,
        "next_id": s.next_id,
        "n_locations": s.n_locations,
        "horizon_s": s.horizon_s,
        "ride_policy": asdict(s.base.ride_policy),
        "weights": asdict(s.base.weights),
        "config": s.config.to_plain(),
        "fleet": [vehicle_to_plain(v) for v in s.fleet.values()],
        "vehicles": [st.to_plain() for st in s.vehicles.values()],
        "bookings": [b.to_plain() for b in s.bookings.values()],
        "ledger": s.ledger.to_plain(),
        "routes": routes,
        "history": {vid: [d.to_plain() for d in h] for vid, h in s.history.items()},
        "broken": [bp.to_plain() for bp in s.broken],
        "audit": s.audit.to_plain(),
        "halls": [h.to_plain() for h in s.halls.values()],
        "air": air.to_plain(s.air),
    }
    if include_matrix:
        data["matrix"] = {
            "time_s": s.base.time_s.tolist(),
            "distance_m": s.base.distance_m.tolist(),
        }
    return data


def restore(
    data: Mapping[str, Any],
    time_s: np.ndarray | None = None,
    distance_m: np.ndarray | None = None,
) -> DayState:
    """Rebuild a day's state from `snapshot` data (and the matrix, if it was left out)."""
    fmt = data.get("format")
    if fmt not in (SNAPSHOT_FORMAT, _FORMAT_1):
        raise InputError(
            f"snapshot: format must be {SNAPSHOT_FORMAT!r} (or {_FORMAT_1!r}, migrated), "
            f"got {fmt!r}"
        )
    if time_s is None or distance_m is None:
        if "matrix" not in data:
            raise InputError("snapshot: has no matrix; pass time_s and distance_m")
        time_s = np.asarray(data["matrix"]["time_s"], dtype=np.int64)
        distance_m = np.asarray(data["matrix"]["distance_m"], dtype=np.int64)
    if np.asarray(time_s).shape[0] < data["n_locations"]:
        raise InputError(f"snapshot: needs a matrix of at least {data['n_locations']} locations")
    config = LiveConfig.from_plain(data["config"])
    if fmt == _FORMAT_1:
        config = _id_form(config, [d["id"] for d in data["bookings"]])
    fleet = tuple(vehicle_from_plain(v) for v in data["fleet"])
    base = Problem(
        time_s,
        distance_m,
        (),
        fleet,
        horizon_s=data["horizon_s"],
        ride_policy=RideTimePolicy(**data["ride_policy"]),
        weights=CostWeights(**data["weights"]),
    )
    bookings = {d["id"]: Booking.from_plain(d) for d in data["bookings"]}
    s = DayState(
        config=config,
        base=base,
        halls=check_halls((Hall.from_plain(h) for h in data.get("halls", ())), base.n_locations),
        air=air.from_plain(data.get("air")),
        fleet={v.id: v for v in fleet},
        now=data["now"],
        vehicles={d["vehicle_id"]: VehicleState.from_plain(d) for d in data["vehicles"]},
        bookings=bookings,
        tasks={
            b.id: resolve_task(base, b.request) for b in bookings.values() if b.status.is_active
        },
        history={
            v.id: [DoneStop.from_plain(d) for d in data["history"].get(v.id, [])] for v in fleet
        },
        broken=[BrokenPromise.from_plain(d) for d in data["broken"]],
        audit=AuditLog.from_plain(data["audit"]),
        version=data["version"],
        next_id=data["next_id"],
    )
    s.ledger = Ledger.from_plain(data["ledger"]) if fmt == SNAPSHOT_FORMAT else _migrated(s)
    for vid, refs in data["routes"].items():
        v = s.fleet[vid]
        brk = {n.break_id: n for n in break_nodes(v)}
        nodes = []
        for ref in refs:
            if ref["kind"] == "break":
                nodes.append(brk[ref["id"]])
            else:  # a pickup, dropoff or visit
                nodes.append(node_for(s.tasks[ref["id"]], StepKind(ref["kind"])))
        s.routes[vid] = WorkingRoute(v, nodes)
        if not refresh(s, vid):
            raise InputError(f"snapshot: the route of vehicle {vid!r} is infeasible")
    return s


def _id_form(config: LiveConfig, ids: list[str]) -> LiveConfig:
    """Format 1 had no id settings: keep handing out ids of the form the day used."""
    forms = {(m.group(1), len(m.group(2))) for i in ids if (m := _ID.fullmatch(i))}
    if len(forms) != 1:
        return config
    prefix, digits = forms.pop()
    return replace(config, id_prefix=prefix, id_digits=digits)


def _migrated(s: DayState) -> Ledger:
    """A ledger for a format-1 snapshot: promises rebuilt from the stored requests."""
    ledger = Ledger()
    for b in s.bookings.values():
        if b.status not in _PROMISED:
            continue
        r = b.request
        if isinstance(r, RideRequest) and r.promise is None:
            continue  # a rescue request of format 1: its promise was not kept
        window, latest = promise_terms(r, resolve_task(s.base, r))
        ledger.make(
            b.id,
            r.kind,
            b.created_at,
            window,
            latest,
            f"{span(window)}（移行した記録）",
            f"{span(window)} (migrated record)",
        )
    return ledger
