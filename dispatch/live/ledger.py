"""The promise ledger: what each caller was told at confirmation, written once.

A `Promise` is made when a booking is confirmed (予約確定) and never edited: a ride's
promised pickup window (お迎え予定時間帯) and the latest arrival the rules guarantee
(the arrive-by time, or promise end + boarding + maximum ride time), a delivery's
hand-over slot (お届け予定時間帯), a home visit's appointment window (訪問予定時間帯:
the visit starts inside it), with the words the caller heard. Later events may
rewrite a booking's *request* (a rescue after a breakdown picks the rider up where
the car stopped); the ledger keeps what was promised, so the checker and the day
compare plans and executed stops with it, not with a request that moved.

A booking quoted again after its promise broke gets a new promise (``version`` 2,
3, ...); earlier ones stay in the ledger.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from dispatch.errors import InputError
from dispatch.events import BrokenWhat
from dispatch.model import TimeWindow


@dataclass(frozen=True, slots=True)
class Promise:
    """One confirmed promise (immutable; see the module docstring).

    ``window``: a ride's pickup window, a delivery's hand-over slot, a visit's
    appointment window. ``latest_arrival``: the latest drop-off a ride's promise
    implies (a delivery: the slot end; a visit: the latest start, the window end).
    """

    booking_id: str
    kind: str  # "ride" | "delivery" | "visit"
    made_at: int
    window: TimeWindow
    latest_arrival: int
    words_ja: str
    words_en: str
    version: int = 1

    def __post_init__(self) -> None:
        if self.kind not in ("ride", "delivery", "visit"):
            raise InputError(
                f"promise {self.booking_id!r}: kind must be ride, delivery or visit,"
                f" got {self.kind!r}"
            )
        if self.latest_arrival < self.window.start:
            raise InputError(
                f"promise {self.booking_id!r}: latest_arrival is before the window opens"
            )

    def pickup_breach(self, start: int) -> int:
        """Seconds a ride's pickup at `start` lies outside the promised window (0: kept)."""
        if self.kind != "ride":
            return 0
        return max(0, self.window.start - start, start - self.window.end)

    def arrival_breach(self, start: int) -> int:
        """Seconds a drop-off (or visit) at `start` breaks the promise (0: kept).

        A ride may arrive any time up to ``latest_arrival``; a delivery is handed over
        inside its slot, never before it (nobody would be home); a visit starts inside
        its appointment window, neither before (the patient is not ready, the doctor
        not online) nor after.
        """
        if self.kind == "ride":
            return max(0, start - self.latest_arrival)
        return max(0, self.window.start - start, start - self.window.end)

    @property
    def arrival_what(self) -> BrokenWhat:
        """Which promise a late (or early) drop-off or visit breaks."""
        if self.kind == "visit":
            return BrokenWhat.APPOINTMENT
        return BrokenWhat.ARRIVAL if self.kind == "ride" else BrokenWhat.HANDOVER

    def to_plain(self) -> dict[str, Any]:
        """JSON-able data, for storage."""
        return {
            "booking_id": self.booking_id,
            "kind": self.kind,
            "made_at": self.made_at,
            "window": [self.window.start, self.window.end],
            "latest_arrival": self.latest_arrival,
            "words_ja": self.words_ja,
            "words_en": self.words_en,
            "version": self.version,
        }

    @classmethod
    def from_plain(cls, d: Mapping[str, Any]) -> Promise:
        """Rebuild from `to_plain` data."""
        w = d["window"]
        return cls(
            d["booking_id"],
            d["kind"],
            int(d["made_at"]),
            TimeWindow(int(w[0]), int(w[1])),
            int(d["latest_arrival"]),
            d["words_ja"],
            d["words_en"],
            int(d.get("version", 1)),
        )


class Ledger:
    """Append-only list of promises; the newest per booking is the one in force."""

    def __init__(self, promises: Iterable[Promise] = ()) -> None:
        self._all: list[Promise] = []
        self._current: dict[str, Promise] = {}
        for p in promises:
            self._append(p)

    def _append(self, promise: Promise) -> None:
        self._all.append(promise)
        self._current[promise.booking_id] = promise

    def make(
        self,
        booking_id: str,
        kind: str,
        at: int,
        window: TimeWindow,
        latest_arrival: int,
        words_ja: str,
        words_en: str,
    ) -> Promise:
        """Record a new promise for a booking (a new version if it had one)."""
        old = self._current.get(booking_id)
        promise = Promise(
            booking_id,
            kind,
            at,
            window,
            latest_arrival,
            words_ja,
            words_en,
            1 if old is None else old.version + 1,
        )
        self._append(promise)
        return promise

    def get(self, booking_id: str) -> Promise | None:
        """The promise in force for a booking, or None (never confirmed)."""
        return self._current.get(booking_id)

    def __contains__(self, booking_id: object) -> bool:
        return booking_id in self._current

    def __iter__(self) -> Iterator[Promise]:
        """Every promise in force, in the order they were made."""
        return iter(p for p in self._all if self._current[p.booking_id] is p)

    def __len__(self) -> int:
        return len(self._current)

    def every(self) -> tuple[Promise, ...]:
        """All promises ever made, superseded ones included."""
        return tuple(self._all)

    def to_plain(self) -> list[dict[str, Any]]:
        """JSON-able data, for storage."""
        return [p.to_plain() for p in self._all]

    @classmethod
    def from_plain(cls, data: Iterable[Mapping[str, Any]]) -> Ledger:
        """Rebuild from `to_plain` data."""
        return cls(Promise.from_plain(d) for d in data)
