"""What a caller does when the asked time is refused: takes another time, calls back, or
gives up (``[callers]`` of the spec; the formula and its defaults are there).

Each caller's choices are drawn from the scenario's seed and the call's id alone, so
every fleet variant of a study meets the same callers: a caller who would accept a
time 20 minutes off accepts it whatever fleet offers it.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from enum import StrEnum

import numpy as np

from dispatch.quote import Alternative
from scenarios.spec import CallersSpec

#: The stream of the seed the callers draw from (demand and noise have their own).
CALLERS_STREAM = 7


class Choice(StrEnum):
    """What a refused caller does."""

    ACCEPT = "accept"  # takes the nearest alternative time
    CALL_BACK = "call_back"  # tries the asked time again later
    GIVE_UP = "give_up"


def nearest(alternatives: Sequence[Alternative], asked: int) -> Alternative | None:
    """The alternative closest to the asked time (earlier first on a tie), or None."""
    if not alternatives:
        return None
    return min(alternatives, key=lambda a: (abs(a.time - asked), a.time))


def draws(seed: int, request_id: str, attempt: int) -> tuple[float, float]:
    """Two uniforms for one refusal of one caller (accept?, call back?)."""
    key = zlib.crc32(request_id.encode("utf-8"))
    u = np.random.default_rng([seed, CALLERS_STREAM, key, attempt]).random(2)
    return float(u[0]), float(u[1])


def choose(
    model: CallersSpec,
    seed: int,
    request_id: str,
    attempt: int,
    asked: int,
    alternatives: Sequence[Alternative],
) -> tuple[Choice, Alternative | None]:
    """What the caller does at refusal number `attempt` (0: the first call)."""
    u_accept, u_back = draws(seed, request_id, attempt)
    best = nearest(alternatives, asked)
    if best is not None and u_accept < model.accept_p(best.time - asked):
        return Choice.ACCEPT, best
    if attempt < model.max_callbacks and u_back < model.callback_p:
        return Choice.CALL_BACK, None
    return Choice.GIVE_UP, None
