"""Hand-built, seeded `DayResult`s for the report, sweep and CLI tests.

Each day is a believable Ina weekday in miniature: rides from five districts to the
hospital, the supermarket and the station, a few shop deliveries, rejections with
reasons, a no-show, shared rides when pooling is on, lunch breaks and empty legs. The
schedule is built leg by leg so every vehicle's stops, legs and path agree, and the
KPIs are computed from the trips, so tests can check the report against them.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, replace

from routing.errors import InputError
from scenarios.results import (
    DayResult,
    LegRecord,
    StopRecord,
    TripRecord,
    TripStatus,
    VehicleRecord,
)

H = 3600
CENTRE = (137.9540, 35.8275)  # Ina city hall, (lon, lat)
DISTRICTS = {
    "中心市街地": (137.953, 35.828),
    "西箕輪": (137.915, 35.850),
    "東春近": (137.975, 35.800),
    "手良": (137.995, 35.860),
    "高遠": (138.055, 35.835),
}
PLACES = [(137.958, 35.831), (137.947, 35.822), (137.961, 35.825)]  # hospital, shop, station
SPEED_M_S = 8.0  # ~29 km/h on rural roads


def _dist_m(a: tuple[float, float], b: tuple[float, float]) -> int:
    dx = (a[0] - b[0]) * 111_320 * math.cos(math.radians(a[1]))
    dy = (a[1] - b[1]) * 110_540
    return int(1.3 * math.hypot(dx, dy))  # road factor


def _travel_s(a: tuple[float, float], b: tuple[float, float]) -> int:
    return max(60, int(_dist_m(a, b) / SPEED_M_S))


def make_day(
    variant: str = "base",
    seed: int = 0,
    *,
    vehicles: int = 4,
    pooling: bool = True,
    rides: int = 40,
    deliveries: int = 6,
    scenario: str = "tiny",
) -> DayResult:
    """A seeded day; more vehicles serve more requests and more of them on time."""
    rng = random.Random(seed * 1009 + vehicles * 17 + int(pooling))
    names = list(DISTRICTS)
    trips: list[TripRecord] = []
    requests = []
    for i in range(rides + deliveries):
        kind = "ride" if i < rides else "delivery"
        district = rng.choice(names)
        home = (
            DISTRICTS[district][0] + rng.uniform(-0.01, 0.01),
            DISTRICTS[district][1] + rng.uniform(-0.008, 0.008),
        )
        place = rng.choice(PLACES)
        outbound = kind == "delivery" or rng.random() < 0.6
        o, d = (place, home) if (kind == "delivery") == outbound else (home, place)
        asked = rng.randrange(9 * H, 14 * H + 1800, 300) if kind == "ride" else 12 * H
        requests.append(
            (f"{'R' if kind == 'ride' else 'D'}{i + 1:03d}", kind, district, o, d, asked)
        )
    requests.sort(key=lambda r: r[5])
    clocks = [9 * H - 1800 + 60 * k for k in range(vehicles)]
    positions = [CENTRE] * vehicles
    stops: list[list[StopRecord]] = [
        [StopRecord(clocks[k], "depot", None, CENTRE, 0)] for k in range(vehicles)
    ]
    legs: list[list[LegRecord]] = [[] for _ in range(vehicles)]
    paths: list[list[tuple[float, float]]] = [[CENTRE] for _ in range(vehicles)]
    on_break = [False] * vehicles

    def drive(k: int, to: tuple[float, float], load: int) -> int:
        t = _travel_s(positions[k], to)
        mid = (
            (positions[k][0] + to[0]) / 2 + rng.uniform(-0.002, 0.002),
            (positions[k][1] + to[1]) / 2,
        )
        legs[k].append(LegRecord(clocks[k], clocks[k] + t, _dist_m(positions[k], to), load))
        paths[k].extend([mid, to])
        clocks[k] += t
        positions[k] = to
        return clocks[k]

    pending = list(requests)
    while pending:
        rid, kind, district, o, d, asked = pending.pop(0)
        party = 1 if kind == "delivery" or rng.random() < 0.85 else 2
        wheel = 1 if kind == "ride" and rng.random() < 0.06 else 0
        common = dict(
            request_id=rid,
            kind=kind,
            district=district,
            booked_at=max(8 * H + 1800, asked - rng.randrange(1800, 3 * H, 60)),
            asked_time=asked,
            by_arrival=kind == "ride" and rng.random() < 0.2,
            party_size=party,
            wheelchairs=wheel,
            origin=o,
            destination=d,
            direct_time_s=_travel_s(o, d),
            direct_distance_m=_dist_m(o, d),
        )
        k = min(range(vehicles), key=lambda j: clocks[j] + _travel_s(positions[j], o))
        if clocks[k] + _travel_s(positions[k], o) > asked + 3 * H:
            trips.append(
                TripRecord(status=TripStatus.REJECTED, reason="no_vehicle_in_window", **common)
            )
            continue
        if rng.random() < 0.03:
            trips.append(
                TripRecord(status=TripStatus.CANCELLED, reason="caller_cancelled", **common)
            )
            continue
        if clocks[k] >= 12 * H and not on_break[k]:
            on_break[k] = True
            stops[k].append(StopRecord(clocks[k], "break", None, positions[k], 0))
            clocks[k] += 2700
        arrive = clocks[k] + _travel_s(positions[k], o)
        promised_start = max(asked, min(arrive, asked + 2 * H) // 300 * 300)
        promised_end = promised_start + 1800
        drive(k, o, 0)
        clocks[k] = max(clocks[k], asked)
        pickup = clocks[k]
        if rng.random() < 0.03:
            stops[k].append(StopRecord(pickup, "pickup", rid, o, 0))
            clocks[k] += 300
            trips.append(
                TripRecord(
                    status=TripStatus.NO_SHOW,
                    reason="rider_absent",
                    promised_start=promised_start,
                    promised_end=promised_end,
                    vehicle_id=f"taxi-{k + 1}",
                    **common,
                )
            )
            continue
        stops[k].append(StopRecord(pickup, "pickup", rid, o, party))
        clocks[k] += 90
        partner = None
        if pooling and pending and pending[0][1] == "ride" and pending[0][5] - asked <= 900:
            partner = pending.pop(0)
        if partner is not None:
            pid, _, pdistrict, po, pd, pasked = partner
            drive(k, po, party)
            ppick = max(clocks[k], pasked)
            clocks[k] = ppick
            stops[k].append(StopRecord(ppick, "pickup", pid, po, party + 1))
            clocks[k] += 90
            drive(k, d, party + 1)
            drop = clocks[k]
            stops[k].append(StopRecord(drop, "dropoff", rid, d, 1))
            clocks[k] += 60
            drive(k, pd, 1)
            pdrop = clocks[k]
            stops[k].append(StopRecord(pdrop, "dropoff", pid, pd, 0))
            clocks[k] += 60
            pstart = max(pasked, ppick // 300 * 300 - 600)
            trips.append(
                TripRecord(
                    request_id=pid,
                    kind="ride",
                    district=pdistrict,
                    status=TripStatus.SERVED,
                    reason=None,
                    booked_at=pasked - 3600,
                    asked_time=pasked,
                    by_arrival=False,
                    party_size=1,
                    wheelchairs=0,
                    origin=po,
                    destination=pd,
                    direct_time_s=_travel_s(po, pd),
                    direct_distance_m=_dist_m(po, pd),
                    promised_start=pstart,
                    promised_end=pstart + 1800,
                    pickup_time=ppick,
                    dropoff_time=pdrop,
                    vehicle_id=f"taxi-{k + 1}",
                    shared=True,
                )
            )
        else:
            drive(k, d, party)
            drop = clocks[k]
            stops[k].append(StopRecord(drop, "dropoff", rid, d, 0))
            clocks[k] += 60
        trips.append(
            TripRecord(
                status=TripStatus.SERVED,
                reason=None,
                promised_start=promised_start,
                promised_end=promised_end,
                pickup_time=pickup,
                dropoff_time=drop,
                vehicle_id=f"taxi-{k + 1}",
                shared=partner is not None,
                **common,
            )
        )
    records = []
    for k in range(vehicles):
        drive(k, CENTRE, 0)
        stops[k].append(StopRecord(clocks[k], "depot", None, CENTRE, 0))
        records.append(
            VehicleRecord(
                vehicle_id=f"taxi-{k + 1}",
                vehicle_type="wheelchair_van" if k == 0 else "sedan",
                capacity=4,
                shift_start=8 * H + 1800,
                shift_end=max(16 * H, clocks[k]),
                stops=tuple(stops[k]),
                legs=tuple(legs[k]),
                path=tuple(paths[k]),
            )
        )
    day = DayResult(scenario=scenario, variant=variant, seed=seed, trips=trips, vehicles=records)
    day.kpis = day_kpis(day)
    return day


def day_kpis(day: DayResult) -> dict[str, float]:
    """The KPIs the fixtures carry (what `scenarios.kpis` would compute, in miniature)."""
    n = len(day.trips)
    served = [t for t in day.trips if t.status is TripStatus.SERVED]
    km = sum(v.distance_m for v in day.vehicles) / 1000
    hours = sum(v.hours for v in day.vehicles)
    return {
        "requests": float(n),
        "served_share": len(served) / n,
        "within_promise_share": sum(t.within_promise for t in day.trips) / n,
        "vehicle_hours": hours,
        "vehicle_km": km,
        "cost_per_trip_yen": (hours * 3000 + km * 30) / max(1, len(served)),
    }


@dataclass(frozen=True)
class TinySpec:
    """A stand-in spec for sweep tests: two overridable keys, like the real one's
    ``with_overrides`` (unknown keys and bad values raise `InputError` naming the key)."""

    name: str = "tiny"
    vehicles: int = 3
    pooling: bool = True

    def with_overrides(self, overrides: dict) -> TinySpec:
        changes = {}
        for key, value in overrides.items():
            field_name = {"fleet.vehicles": "vehicles", "dispatch.pooling": "pooling"}.get(key)
            if field_name is None:
                raise InputError(f"{key}: no such setting")
            if field_name == "vehicles" and (not isinstance(value, int) or value < 0):
                raise InputError(f"{key}: must be a whole number >= 0, got {value!r}")
            changes[field_name] = value
        return replace(self, **changes)


def simulate_tiny(spec, seed, *, data_dir, cache_dir=None, variant="base", progress=None):
    """A cheap `simulate_day` for sweep tests: `make_day` from the spec; fails like a
    real simulation would when there is no vehicle."""
    if spec.vehicles == 0:
        raise RuntimeError("the fleet is empty")
    return make_day(variant, seed, vehicles=spec.vehicles, pooling=spec.pooling, scenario=spec.name)
