"""Instance builders shared by dispatch tests: tiny hand-checkable ones and random ones."""

from __future__ import annotations

import random

import numpy as np
from hypothesis import strategies as st

from dispatch.model import (
    Break,
    CostWeights,
    DeliveryOrder,
    Problem,
    RideRequest,
    RideTimePolicy,
    TimeWindow,
    Vehicle,
    VisitRequest,
)

HOUR = 3600
NURSE = frozenset({"nurse"})


def line_matrix(positions: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """Locations on a straight road: time = |a - b| seconds, distance = 10 m per second."""
    p = np.asarray(positions)
    t = np.abs(p[:, None] - p[None, :]).astype(np.int64)
    return t, t * 10


def metric_closure(t: np.ndarray) -> np.ndarray:
    """Shortest-path closure, so that the triangle inequality holds exactly."""
    t = t.copy()
    for k in range(len(t)):
        t = np.minimum(t, t[:, k : k + 1] + t[k : k + 1, :])
    return t


def sedan(vid: str = "v1", *, depot: int = 0, shift=(0, 10 * HOUR), **kw) -> Vehicle:
    kw.setdefault("capacity", (3, 0, 2))
    return Vehicle(vid, depot, depot, TimeWindow(*shift), **kw)


@st.composite
def random_problems(
    draw,
    *,
    max_locations: int = 8,
    max_requests: int = 6,
    max_vehicles: int = 3,
    visits: bool = False,
):
    """Random small mixed instances: Euclidean-like metric matrices, rides and deliveries,
    tight and loose windows, wheelchair riders, breaks and route-duration limits; with
    ``visits``, home visits too (most needing a nurse car, some pinned) and some cars
    with a nurse."""
    n = draw(st.integers(3, max_locations))
    xs = draw(st.lists(st.integers(0, 3000), min_size=n, max_size=n))
    ys = draw(st.lists(st.integers(0, 3000), min_size=n, max_size=n))
    pts = np.stack([xs, ys], axis=1).astype(float)
    dist = np.rint(np.linalg.norm(pts[:, None] - pts[None, :], axis=2)).astype(np.int64)
    dist = metric_closure(dist)
    speed = draw(st.sampled_from([5, 8, 11]))  # m/s
    time_s = metric_closure(np.ceil(dist / speed).astype(np.int64))
    horizon = 6 * HOUR
    requests = []
    for i in range(draw(st.integers(1, max_requests))):
        a = draw(st.integers(0, n - 1))
        b = draw(st.integers(0, n - 1))
        start = draw(st.integers(0, 4 * HOUR))
        width = draw(st.sampled_from([0, 300, 900, 3600]))
        if visits and draw(st.integers(0, 2)) == 0:
            requests.append(
                VisitRequest(
                    f"h{i}",
                    a,
                    TimeWindow(start, start + width),
                    service_s=draw(st.sampled_from([600, 1800, 2700])),
                    required_features=draw(st.sampled_from([NURSE, NURSE, frozenset()])),
                    vehicle_ids=draw(st.sampled_from([None, None, frozenset({"v0"})])),
                    priority=draw(st.integers(1, 3)),
                )
            )
        elif draw(st.booleans()):
            by_arrival = draw(st.booleans())
            wheel = draw(st.sampled_from([0, 0, 0, 1]))
            party = draw(st.integers(max(1, wheel), 3))
            kw = (
                {"arrive_by": start + width + 1800}
                if by_arrival
                else {"pickup_window": TimeWindow(start, start + width)}
            )
            requests.append(
                RideRequest(
                    f"r{i}",
                    a,
                    b,
                    party_size=party,
                    wheelchairs=wheel,
                    board_s=draw(st.sampled_from([30, 60, 180])),
                    alight_s=draw(st.sampled_from([30, 60, 120])),
                    priority=draw(st.integers(1, 3)),
                    **kw,
                )
            )
        else:
            requests.append(
                DeliveryOrder(
                    f"d{i}",
                    a,
                    b,
                    ready_at=start,
                    due_by=start + width + 1200,
                    cargo_units=draw(st.integers(1, 3)),
                )
            )
    vehicles = []
    for k in range(draw(st.integers(1, max_vehicles))):
        depot = draw(st.integers(0, n - 1))
        s = draw(st.integers(0, 2 * HOUR))
        e = draw(st.integers(s + HOUR, horizon))
        breaks = ()
        if draw(st.booleans()) and e - s > 2 * HOUR:
            bs = s + HOUR
            breaks = (Break("rest", TimeWindow(bs, bs + 1800), 600),)
        wheel_cap = draw(st.sampled_from([0, 1]))
        vehicles.append(
            Vehicle(
                f"v{k}",
                depot,
                depot,
                TimeWindow(s, e),
                capacity=(draw(st.integers(1, 4)), wheel_cap, draw(st.integers(0, 4))),
                breaks=breaks,
                max_duration_s=draw(st.sampled_from([None, None, 2 * HOUR])),
                fixed_cost=draw(st.sampled_from([0, 1000])),
                features=draw(st.sampled_from([frozenset(), NURSE])) if visits else frozenset(),
            )
        )
    policy = RideTimePolicy(alpha=draw(st.sampled_from([1.2, 1.5, 2.0])), beta_s=300, cap_s=HOUR)
    return Problem(
        time_s,
        dist,
        tuple(requests),
        tuple(vehicles),
        horizon_s=horizon,
        ride_policy=policy,
        weights=CostWeights(),
    )


def random_sequence(rng: random.Random, tasks, chosen) -> list[int]:
    """Native node numbers of `chosen` tasks at random positions: a pair's pickup
    before its dropoff, a visit's one node (2r + 1) anywhere."""
    seq: list[int] = []
    for r in chosen:
        if tasks[r].is_visit:
            seq.insert(rng.randint(0, len(seq)), 2 * r + 1)
            continue
        i = rng.randint(0, len(seq))
        seq.insert(i, 2 * r)
        seq.insert(rng.randint(i + 1, len(seq)), 2 * r + 1)
    return seq
