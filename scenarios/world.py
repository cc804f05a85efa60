"""The fixed world of a simulated day: road graph, places on it, travel matrix, fleet.

Every place the day names (depots, then every call's origin and destination) is
snapped to the road graph once, and one travel-time/distance matrix covers them all,
so the live loop never waits for a search. Places farther than ``map.max_snap_m`` from
any road (a recorded booking outside the map) are left out; their calls are refused.

Pooling off (相乗りなし) is modelled with capacities, not a switch in the engine: each
vehicle offers one *booking place* (seats dimension 1, wheelchair dimension 1 if it has
any) and every booking fills it, so no two bookings ever share a car; whether the
party really fits is a feature the vehicle offers (``seats3``, ``wheelchairs1``).
Shop goods still ride in the boot (cargo is unchanged).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from dispatch.drones import Drone, DroneBase
from dispatch.halls import Hall
from dispatch.live.air import DroneService
from dispatch.model import Break, TimeWindow, Vehicle
from routing.errors import InputError
from routing.graph import RoadGraph, load_graph
from routing.matrix import build_matrix
from routing.snapping import SnappedPoint, Snapper
from routing.speeds import SpeedTable
from scenarios.calls import LonLat
from scenarios.spec import ScenarioSpec, VehicleGroup

log = logging.getLogger(__name__)


@lru_cache(maxsize=4)
def _graph(path: str, speed_factor: float, cache_dir: str | None) -> RoadGraph:
    return load_graph(path, SpeedTable(factor=speed_factor), cache_dir=cache_dir)


def road_graph(spec: ScenarioSpec, data_dir: Path, cache_dir: Path | None) -> RoadGraph:
    """The spec's road graph (kept in memory per process: sweeps reuse it per worker)."""
    path = spec.graph_path(data_dir)
    if not path.is_file():
        raise InputError(
            f"map.graph: {path} does not exist (set NORIAI_DATA_DIR to the folder holding "
            f"{spec.map.graph})"
        )
    return _graph(str(path), spec.map.speed_factor, None if cache_dir is None else str(cache_dir))


@dataclass(frozen=True, slots=True, eq=False)
class World:
    """Places (matrix order: depots first), their snapped points, matrices and fleet."""

    graph: RoadGraph
    points: tuple[LonLat, ...]
    snapped: tuple[SnappedPoint, ...]
    time_s: np.ndarray
    distance_m: np.ndarray
    vehicles: tuple[Vehicle, ...]
    groups: Mapping[str, VehicleGroup]  # vehicle id -> its group
    index: Mapping[LonLat, int]
    halls: tuple[Hall, ...] = ()
    drones: DroneService | None = None

    def location(self, point: LonLat) -> int | None:
        """Matrix index of a place, None if it could not be put on the map."""
        return self.index.get(point)


def build_world(
    spec: ScenarioSpec, graph: RoadGraph, places: list[LonLat], *, pooling: bool
) -> World:
    """Snap depots and ``places``, build the matrix, and the running vehicles."""
    snapper = Snapper(graph, max_snap_m=spec.map.max_snap_m)
    depots: list[SnappedPoint] = []
    for i, d in enumerate(spec.fleet.depots):
        try:
            depots.extend(snapper.snap([d.at]))
        except InputError as exc:
            raise InputError(f"fleet.depots.{i} ({d.name}): {exc}") from None
    for p in spec.pois:  # a planner's own list: every place must be on the map
        try:
            snapper.snap([(p.lon, p.lat)])
        except InputError as exc:
            raise InputError(f"{spec.demand.pois_csv}: {p.name} ({p.category}): {exc}") from None
    fixed = [h.at for h in spec.halls] + [b.at for b in spec.drones.bases]
    for i, at in enumerate(fixed):  # a planner's own service points: on the map or an error
        try:
            snapper.snap([at])
        except InputError as exc:
            what = f"halls.{i}" if i < len(spec.halls) else f"drones.bases.{i - len(spec.halls)}"
            raise InputError(f"{what}: {exc}") from None
    kept, snapped = _snap_places(snapper, list(dict.fromkeys([*fixed, *places])))
    points = tuple([d.at for d in spec.fleet.depots] + kept)
    matrix = build_matrix(graph, [*depots, *snapped])
    index: dict[LonLat, int] = {}
    for i, p in enumerate(points):
        index.setdefault(p, i)
    vehicles, groups = fleet(spec, pooling=pooling)
    return World(
        graph,
        points,
        tuple([*depots, *snapped]),
        matrix.time_s.astype(np.int64),
        matrix.distance_m.astype(np.int64),
        vehicles,
        groups,
        index,
        halls(spec, index),
        drone_service(spec, index),
    )


def drone_service(spec: ScenarioSpec, index: Mapping[LonLat, int]) -> DroneService | None:
    """The spec's drone bases and drones (None without drones). Drones are named after
    their base: ``<base>-drone-1``, ...; the search is deterministic (one worker, seed 0)."""
    d = spec.drones
    if not d.fleet:
        return None
    bases = tuple(DroneBase(b.name, b.name, index[b.at], b.at[0], b.at[1]) for b in d.bases)
    numbers: dict[str, int] = {}
    drones = []
    for g in d.fleet:
        for _ in range(g.count):
            numbers[g.base] = numbers.get(g.base, 0) + 1
            drones.append(
                Drone(
                    f"{g.base}-drone-{numbers[g.base]}",
                    g.base,
                    payload_g=round(g.payload_kg * 1000),
                    range_m=round(g.range_km * 1000),
                    cruise_kmh=max(1, round(g.speed_kmh)),
                    flying_hours=TimeWindow(*g.hours),
                    turnaround_s=g.turnaround_min * 60,
                )
            )
    return DroneService(bases, tuple(drones), shop_reach_m=round(d.shop_reach_m))


def halls(spec: ScenarioSpec, index: Mapping[LonLat, int]) -> tuple[Hall, ...]:
    """The spec's community halls as the engine's `Hall`s (id: the hall's name)."""
    return tuple(
        Hall(
            h.name,
            h.name,
            index[h.at],
            tuple(TimeWindow(a, b) for a, b in h.opening),
            slot_s=h.slot_min * 60,
            capacity=h.capacity,
            reach_m=int(h.reach_m),
            drone_pad=h.drone_pad,
            lon=h.at[0],
            lat=h.at[1],
        )
        for h in spec.halls
    )


def _snap_places(snapper: Snapper, places: list[LonLat]) -> tuple[list[LonLat], list]:
    """Snap all places; if some are off the map, snap one by one and drop those."""
    try:
        return list(places), snapper.snap(places)
    except InputError:
        pass
    kept, snapped = [], []
    for p in places:
        try:
            snapped.extend(snapper.snap([p]))
        except InputError:
            log.info("place %s is off the map; its calls will be refused", p)
            continue
        kept.append(p)
    return kept, snapped


def fleet(spec: ScenarioSpec, *, pooling: bool) -> tuple[tuple[Vehicle, ...], dict]:
    """The running vehicles (`FleetSpec.chosen`), as the engine's `Vehicle`s."""
    depot_index = {d.name: i for i, d in enumerate(spec.fleet.depots)}
    numbers: dict[str, int] = {}
    vehicles, groups = [], {}
    for g in spec.fleet.chosen():
        numbers[g.type] = numbers.get(g.type, 0) + 1
        vid = f"{g.type}-{numbers[g.type]:02d}"
        depot = depot_index[g.depot] if g.depot is not None else 0
        start, end = g.shift
        breaks = tuple(
            Break(f"break-{j + 1}", TimeWindow(b.start, b.end), b.minutes * 60)
            for j, b in enumerate(g.breaks)
        )
        if pooling:
            capacity, features = (g.seats, g.wheelchairs, g.cargo), frozenset()
        else:
            capacity = (1, min(1, g.wheelchairs), g.cargo)
            features = frozenset(
                [f"seats{n}" for n in range(1, g.seats + 1)]
                + [f"wheelchairs{n}" for n in range(1, g.wheelchairs + 1)]
            )
        features |= frozenset(g.features)
        vehicles.append(
            Vehicle(
                vid,
                depot,
                depot,
                TimeWindow(start, end),
                capacity,
                kind=g.type,
                breaks=breaks,
                features=features,
                cost_per_hour=g.cost_per_hour_yen,
                cost_per_km=g.cost_per_km_yen,
                fixed_cost=g.fixed_yen,
            )
        )
        groups[vid] = g
    return tuple(vehicles), groups


def fits(groups: Mapping[str, VehicleGroup], party: int, wheelchairs: int) -> bool:
    """Some running vehicle can carry this party at all (seats and wheelchair places)."""
    return any(
        g.seats >= party - wheelchairs and g.wheelchairs >= wheelchairs for g in groups.values()
    )


def ride_load(party: int, wheelchairs: int, *, pooling: bool) -> tuple[int, int, frozenset[str]]:
    """(party_size, wheelchairs, required_features) of the engine's ask for a party."""
    if pooling:
        return party, wheelchairs, frozenset()
    need = set()
    if party - wheelchairs > 0:
        need.add(f"seats{party - wheelchairs}")
    if wheelchairs:
        need.add(f"wheelchairs{wheelchairs}")
    return (2, 1, frozenset(need)) if wheelchairs else (1, 0, frozenset(need))
