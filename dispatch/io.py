"""The JSON problem format read by ``noriai solve`` (schema: ``problem.schema.json``).

`problem_from_dict` / `load_problem` read it, `problem_to_dict` / `save_problem` write
it (reading what was written gives the same problem, requests grouped by kind).
Requests come in three lists: ``rides``, ``deliveries`` and ``visits`` (home visits of
a nurse car, 訪問診療: one stop at ``location``, the appointment ``window`` its start
must lie in, ``service_s`` of consultation, and usually ``required_features:
["nurse"]``).

Units are stated up front and never vary: times are **integer seconds from the start
of the service day** (00:00 local time; 9:00 is 32400), distances **integer metres**,
locations **indices into the matrices**, time windows ``[start, end]`` inclusive and
apply to the *start of service*. Capacities and loads are objects over the
dimensions ``seats``, ``wheelchair`` and ``cargo``.

Every error names the JSON path of the offending field, e.g.
``rides[3].pickup_window: end 100 is before start 200``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from dispatch.errors import InputError
from dispatch.model import (
    DIMENSIONS,
    Break,
    CostWeights,
    DeliveryOrder,
    Onboard,
    Problem,
    RideRequest,
    RideTimePolicy,
    StopKind,
    StopRef,
    TimeWindow,
    Vehicle,
    VisitRequest,
)

SCHEMA_PATH = Path(__file__).with_name("problem.schema.json")


def _known(obj: dict[str, Any], path: str, allowed: set[str]) -> None:
    extra = set(obj) - allowed
    if extra:
        raise InputError(f"{path}: unknown field(s) {sorted(extra)}; allowed: {sorted(allowed)}")


def _get(
    obj: dict[str, Any], key: str, path: str, *, required: bool = True, default: Any = None
) -> Any:
    if key not in obj:
        if required:
            raise InputError(f"{path}.{key}: required field is missing")
        return default
    return obj[key]


def _int(value: Any, path: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputError(f"{path}: must be an integer, got {value!r}")
    return value


def _window(value: Any, path: str) -> TimeWindow | None:
    if value is None:
        return None
    if not isinstance(value, list) or len(value) != 2:
        raise InputError(f"{path}: must be [start, end] in seconds, got {value!r}")
    return _wrap(
        path, lambda: TimeWindow(_int(value[0], path + "[0]"), _int(value[1], path + "[1]"))
    )


def _vector(value: Any, path: str) -> tuple[int, ...]:
    if not isinstance(value, dict):
        raise InputError(f"{path}: must be an object over {list(DIMENSIONS)}, got {value!r}")
    _known(value, path, set(DIMENSIONS))
    return tuple(_int(value.get(d, 0), f"{path}.{d}") for d in DIMENSIONS)


def _wrap(path: str, build: Callable[[], Any]) -> Any:
    """Run a constructor, prefixing its InputError with the JSON path."""
    try:
        return build()
    except InputError as exc:
        raise InputError(f"{path}: {exc}") from None


def _features(value: Any, path: str) -> frozenset[str]:
    if value is None:
        return frozenset()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InputError(f"{path}: must be a list of strings")
    return frozenset(value)


def _pins(value: Any, path: str) -> frozenset[str] | None:
    return None if value is None else _features(value, path) or None


def _onboard(value: Any, path: str) -> Onboard | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise InputError(f"{path}: must be an object")
    _known(value, path, {"vehicle", "pickup_departed_at"})
    return _wrap(
        path,
        lambda: Onboard(
            str(_get(value, "vehicle", path)),
            _int(_get(value, "pickup_departed_at", path), path + ".pickup_departed_at"),
        ),
    )


def _vehicle(obj: Any, path: str) -> Vehicle:
    if not isinstance(obj, dict):
        raise InputError(f"{path}: must be an object")
    allowed = {
        "id",
        "kind",
        "start",
        "end",
        "shift",
        "capacity",
        "breaks",
        "features",
        "cost_per_hour",
        "cost_per_km",
        "fixed_cost",
        "max_duration_s",
        "start_time",
    }
    _known(obj, path, allowed)
    breaks = []
    for i, b in enumerate(obj.get("breaks", []) or []):
        bp = f"{path}.breaks[{i}]"
        if not isinstance(b, dict):
            raise InputError(f"{bp}: must be an object")
        _known(b, bp, {"id", "window", "duration_s"})
        breaks.append(
            _wrap(
                bp,
                lambda b=b, bp=bp: Break(
                    str(_get(b, "id", bp)),
                    _window(_get(b, "window", bp), bp + ".window"),
                    _int(_get(b, "duration_s", bp), bp + ".duration_s"),
                ),
            )
        )
    shift = _window(_get(obj, "shift", path), path + ".shift")
    opt = {
        k: _int(obj[k], f"{path}.{k}")
        for k in ("cost_per_hour", "cost_per_km", "fixed_cost")
        if k in obj
    }
    return _wrap(
        path,
        lambda: Vehicle(
            id=str(_get(obj, "id", path)),
            kind=str(obj.get("kind", "sedan")),
            start=_int(_get(obj, "start", path), path + ".start"),
            end=_int(obj.get("end", obj.get("start")), path + ".end"),
            shift=shift,
            capacity=_vector(_get(obj, "capacity", path), path + ".capacity"),
            breaks=tuple(breaks),
            features=_features(obj.get("features"), path + ".features"),
            max_duration_s=None
            if obj.get("max_duration_s") is None
            else _int(obj["max_duration_s"], path + ".max_duration_s"),
            start_time=None
            if obj.get("start_time") is None
            else _int(obj["start_time"], path + ".start_time"),
            **opt,
        ),
    )


def _opt_int(obj: dict[str, Any], key: str, path: str) -> int | None:
    return None if obj.get(key) is None else _int(obj[key], f"{path}.{key}")


def _ride(obj: Any, path: str) -> RideRequest:
    if not isinstance(obj, dict):
        raise InputError(f"{path}: must be an object")
    allowed = {
        "id",
        "rider",
        "pickup",
        "dropoff",
        "party_size",
        "wheelchairs",
        "board_s",
        "alight_s",
        "pickup_window",
        "arrive_by",
        "arrive_earliest",
        "max_ride_s",
        "promise",
        "priority",
        "required_features",
        "vehicles",
        "onboard",
    }
    _known(obj, path, allowed)
    ints = {
        k: _int(obj[k], f"{path}.{k}")
        for k in ("party_size", "wheelchairs", "board_s", "alight_s", "priority")
        if k in obj
    }
    return _wrap(
        path,
        lambda: RideRequest(
            id=str(_get(obj, "id", path)),
            rider_id=str(obj.get("rider", "")),
            pickup=_int(_get(obj, "pickup", path), path + ".pickup"),
            dropoff=_int(_get(obj, "dropoff", path), path + ".dropoff"),
            pickup_window=_window(obj.get("pickup_window"), path + ".pickup_window"),
            arrive_by=_opt_int(obj, "arrive_by", path),
            arrive_earliest=_opt_int(obj, "arrive_earliest", path),
            max_ride_s=_opt_int(obj, "max_ride_s", path),
            promise=_window(obj.get("promise"), path + ".promise"),
            required_features=_features(obj.get("required_features"), path + ".required_features"),
            vehicle_ids=_pins(obj.get("vehicles"), path + ".vehicles"),
            onboard=_onboard(obj.get("onboard"), path + ".onboard"),
            **ints,
        ),
    )


def _delivery(obj: Any, path: str) -> DeliveryOrder:
    if not isinstance(obj, dict):
        raise InputError(f"{path}: must be an object")
    allowed = {
        "id",
        "shop",
        "customer",
        "ready_at",
        "due_by",
        "cargo_units",
        "deliver_from",
        "pickup_service_s",
        "dropoff_service_s",
        "max_ride_s",
        "priority",
        "required_features",
        "vehicles",
        "onboard",
    }
    _known(obj, path, allowed)
    ints = {
        k: _int(obj[k], f"{path}.{k}")
        for k in ("cargo_units", "pickup_service_s", "dropoff_service_s", "priority")
        if k in obj
    }
    return _wrap(
        path,
        lambda: DeliveryOrder(
            id=str(_get(obj, "id", path)),
            shop=_int(_get(obj, "shop", path), path + ".shop"),
            customer=_int(_get(obj, "customer", path), path + ".customer"),
            ready_at=_int(_get(obj, "ready_at", path), path + ".ready_at"),
            due_by=_int(_get(obj, "due_by", path), path + ".due_by"),
            deliver_from=_opt_int(obj, "deliver_from", path),
            max_ride_s=_opt_int(obj, "max_ride_s", path),
            required_features=_features(obj.get("required_features"), path + ".required_features"),
            vehicle_ids=_pins(obj.get("vehicles"), path + ".vehicles"),
            onboard=_onboard(obj.get("onboard"), path + ".onboard"),
            **ints,
        ),
    )


def _visit(obj: Any, path: str) -> VisitRequest:
    if not isinstance(obj, dict):
        raise InputError(f"{path}: must be an object")
    allowed = {
        "id",
        "rider",
        "location",
        "window",
        "service_s",
        "promise",
        "priority",
        "required_features",
        "vehicles",
    }
    _known(obj, path, allowed)
    ints = {k: _int(obj[k], f"{path}.{k}") for k in ("service_s", "priority") if k in obj}
    window = _window(_get(obj, "window", path), path + ".window")
    if window is None:
        raise InputError(f"{path}.window: must be [start, end] in seconds, got null")
    return _wrap(
        path,
        lambda: VisitRequest(
            id=str(_get(obj, "id", path)),
            rider_id=str(obj.get("rider", "")),
            location=_int(_get(obj, "location", path), path + ".location"),
            window=window,
            promise=_window(obj.get("promise"), path + ".promise"),
            required_features=_features(obj.get("required_features"), path + ".required_features"),
            vehicle_ids=_pins(obj.get("vehicles"), path + ".vehicles"),
            **ints,
        ),
    )


def _matrix(value: Any, path: str) -> np.ndarray:
    if not isinstance(value, list) or not value or not all(isinstance(r, list) for r in value):
        raise InputError(f"{path}: must be a non-empty list of rows")
    n = len(value)
    for i, row in enumerate(value):
        if len(row) != n:
            raise InputError(f"{path}[{i}]: has {len(row)} entries, expected {n} (square matrix)")
        for j, x in enumerate(row):
            if isinstance(x, bool) or not isinstance(x, int) or x < 0:
                raise InputError(f"{path}[{i}][{j}]: must be a non-negative integer, got {x!r}")
    return np.asarray(value, dtype=np.int64)


def problem_from_dict(data: Any) -> Problem:
    """Build a validated `Problem` from the JSON format (see module docstring)."""
    if not isinstance(data, dict):
        raise InputError("problem: the document must be a JSON object")
    _known(
        data,
        "problem",
        {
            "units",
            "matrix",
            "horizon_s",
            "ride_policy",
            "weights",
            "vehicles",
            "rides",
            "deliveries",
            "visits",
            "locked",
            "closed_vehicles",
        },
    )
    matrix = _get(data, "matrix", "problem")
    if not isinstance(matrix, dict):
        raise InputError("problem.matrix: must be an object with time_s and distance_m")
    _known(matrix, "matrix", {"time_s", "distance_m"})
    time_s = _matrix(_get(matrix, "time_s", "matrix"), "matrix.time_s")
    dist = _matrix(_get(matrix, "distance_m", "matrix"), "matrix.distance_m")
    policy = data.get("ride_policy") or {}
    _known(policy, "ride_policy", {"alpha", "beta_s", "cap_s"})
    weights = data.get("weights") or {}
    _known(weights, "weights", {"unassigned_penalty", "excess_ride_per_hour"})
    vehicles = [
        _vehicle(v, f"vehicles[{i}]") for i, v in enumerate(_get(data, "vehicles", "problem"))
    ]
    rides = [_ride(r, f"rides[{i}]") for i, r in enumerate(data.get("rides", []) or [])]
    deliveries = [
        _delivery(d, f"deliveries[{i}]") for i, d in enumerate(data.get("deliveries", []) or [])
    ]
    visits = [_visit(v, f"visits[{i}]") for i, v in enumerate(data.get("visits", []) or [])]
    locked: dict[str, tuple[StopRef, ...]] = {}
    kinds = [k.value for k in StopKind]
    for vid, refs in (data.get("locked") or {}).items():
        lp = f"locked.{vid}"
        if not isinstance(refs, list):
            raise InputError(f"{lp}: must be a list of {{request, kind}}")
        out = []
        for i, ref in enumerate(refs):
            if not isinstance(ref, dict) or ref.get("kind") not in kinds:
                raise InputError(
                    f'{lp}[{i}]: must be {{"request": id, "kind": "pickup"|"dropoff"|"visit"}}'
                )
            out.append(StopRef(str(ref.get("request")), StopKind(ref["kind"])))
        locked[vid] = tuple(out)
    return Problem(
        time_s=time_s,
        distance_m=dist,
        requests=tuple(rides + deliveries + visits),
        vehicles=tuple(vehicles),
        horizon_s=_int(data.get("horizon_s", 24 * 3600), "horizon_s"),
        ride_policy=_wrap("ride_policy", lambda: RideTimePolicy(**policy)),
        weights=_wrap("weights", lambda: CostWeights(**weights)),
        locked=locked,
        closed_vehicles=frozenset(data.get("closed_vehicles") or []),
    )


def load_problem(path: Path) -> Problem:
    """Read a problem JSON file; unreadable or invalid files raise InputError."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror}") from None
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{path}: not valid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from None
    try:
        return problem_from_dict(data)
    except InputError as exc:
        raise InputError(f"{path}: {exc}") from None


# -- writing ----------------------------------------------------------------------------


def _w(window: TimeWindow | None) -> list[int] | None:
    return None if window is None else [int(window.start), int(window.end)]


def _dropped_none(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None}


def _common_out(r: RideRequest | DeliveryOrder | VisitRequest) -> dict[str, Any]:
    return {
        "priority": r.priority,
        "required_features": sorted(r.required_features) or None,
        "vehicles": None if r.vehicle_ids is None else sorted(r.vehicle_ids),
    }


def _onboard_out(o: Onboard | None) -> dict[str, Any] | None:
    if o is None:
        return None
    return {"vehicle": o.vehicle_id, "pickup_departed_at": int(o.pickup_departed_at)}


def _request_out(r: RideRequest | DeliveryOrder | VisitRequest) -> dict[str, Any]:
    if isinstance(r, VisitRequest):
        fields: dict[str, Any] = {
            "id": r.id,
            "rider": r.rider_id or None,
            "location": r.location,
            "window": _w(r.window),
            "service_s": r.service_s,
            "promise": _w(r.promise),
        }
    elif isinstance(r, RideRequest):
        fields = {
            "id": r.id,
            "rider": r.rider_id or None,
            "pickup": r.pickup,
            "dropoff": r.dropoff,
            "party_size": r.party_size,
            "wheelchairs": r.wheelchairs,
            "board_s": r.board_s,
            "alight_s": r.alight_s,
            "pickup_window": _w(r.pickup_window),
            "arrive_by": r.arrive_by,
            "arrive_earliest": r.arrive_earliest,
            "max_ride_s": r.max_ride_s,
            "promise": _w(r.promise),
            "onboard": _onboard_out(r.onboard),
        }
    else:
        fields = {
            "id": r.id,
            "shop": r.shop,
            "customer": r.customer,
            "ready_at": r.ready_at,
            "due_by": r.due_by,
            "cargo_units": r.cargo_units,
            "deliver_from": r.deliver_from,
            "pickup_service_s": r.pickup_service_s,
            "dropoff_service_s": r.dropoff_service_s,
            "max_ride_s": r.max_ride_s,
            "onboard": _onboard_out(r.onboard),
        }
    return _dropped_none({**fields, **_common_out(r)})


def _vehicle_out(v: Vehicle) -> dict[str, Any]:
    return _dropped_none(
        {
            "id": v.id,
            "kind": v.kind,
            "start": v.start,
            "end": v.end,
            "shift": _w(v.shift),
            "capacity": dict(zip(DIMENSIONS, (int(c) for c in v.capacity), strict=True)),
            "breaks": [
                {"id": b.id, "window": _w(b.window), "duration_s": b.duration_s} for b in v.breaks
            ]
            or None,
            "features": sorted(v.features) or None,
            "cost_per_hour": v.cost_per_hour,
            "cost_per_km": v.cost_per_km,
            "fixed_cost": v.fixed_cost,
            "max_duration_s": v.max_duration_s,
            "start_time": v.start_time,
        }
    )


def problem_to_dict(problem: Problem) -> dict[str, Any]:
    """The JSON format of `problem`: `problem_from_dict` reads it back as the same
    problem, its requests ordered rides, deliveries, visits."""
    requests = problem.requests
    doc: dict[str, Any] = {
        "units": {
            "time": "seconds from 00:00 of the service day",
            "distance": "metres",
            "locations": "indices into the matrices",
        },
        "matrix": {
            "time_s": problem.time_s.tolist(),
            "distance_m": problem.distance_m.tolist(),
        },
        "horizon_s": problem.horizon_s,
        "ride_policy": {
            "alpha": problem.ride_policy.alpha,
            "beta_s": problem.ride_policy.beta_s,
            "cap_s": problem.ride_policy.cap_s,
        },
        "weights": {
            "unassigned_penalty": problem.weights.unassigned_penalty,
            "excess_ride_per_hour": problem.weights.excess_ride_per_hour,
        },
        "vehicles": [_vehicle_out(v) for v in problem.vehicles],
        "rides": [_request_out(r) for r in requests if isinstance(r, RideRequest)],
        "deliveries": [_request_out(r) for r in requests if isinstance(r, DeliveryOrder)],
        "visits": [_request_out(r) for r in requests if isinstance(r, VisitRequest)],
    }
    if any(problem.locked.values()):
        doc["locked"] = {
            vid: [{"request": ref.request_id, "kind": ref.kind.value} for ref in refs]
            for vid, refs in problem.locked.items()
        }
    if problem.closed_vehicles:
        doc["closed_vehicles"] = sorted(problem.closed_vehicles)
    return doc


def save_problem(problem: Problem, path: Path) -> None:
    """Write `problem` as a JSON file (`load_problem` reads it back)."""
    Path(path).write_text(
        json.dumps(problem_to_dict(problem), ensure_ascii=False, indent=1), encoding="utf-8"
    )
