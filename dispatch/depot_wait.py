"""車庫待機: a vehicle waits at its depot, not at the kerb, when its next stop is far off.

A driver with a long gap before the next stop drives back to the depot, waits there
and leaves again in time. One rule (`back_at_depot`) decides it, for the live day's
execution (`dispatch.live.driving`) and for measuring any timetable the same way
(`time_away`: an offline plan and an executed day are counted alike).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def back_at_depot(
    time_s: np.ndarray,
    here: int,
    depot: int,
    free_at: int,
    next_location: int,
    next_start: int,
    min_wait_s: int,
) -> int | None:
    """When the vehicle is back at `depot` if it waits there before its next stop.

    It does when it can drive home from `here` (free at `free_at`), stay at least
    `min_wait_s` and still start the next stop at `next_start`; None otherwise
    (already home, or the gap is too short).
    """
    if here == depot:
        return None
    back = free_at + int(time_s[here, depot])
    leave = next_start - int(time_s[depot, next_location])
    return back if leave - back >= min_wait_s else None


def time_away(
    time_s: np.ndarray,
    distance_m: np.ndarray,
    depot: int,
    stops: Sequence[tuple[int, int, int]],
    min_wait_s: int,
) -> tuple[int, int]:
    """(seconds away from the depot, metres driven) of one vehicle's day.

    `stops` are (location, start, departure) in order. The vehicle leaves the depot
    just in time for its first stop, waits at the depot whenever `back_at_depot` says
    so, and drives home after the last stop; waiting at stops counts, at the depot not.
    """
    if not stops:
        return 0, 0
    away = metres = 0
    here = depot
    left = stops[0][1] - int(time_s[depot, stops[0][0]])
    free_at = left
    for location, start, departure in stops:
        back = back_at_depot(time_s, here, depot, free_at, location, start, min_wait_s)
        if back is not None:
            away += back - left
            metres += int(distance_m[here, depot])
            here, left = depot, start - int(time_s[depot, location])
        metres += int(distance_m[here, location])
        here, free_at = location, departure
    away += free_at + int(time_s[here, depot]) - left
    metres += int(distance_m[here, depot])
    return away, metres
