"""A day that does not go to plan: vehicles driven as `dispatch.noise` draws it, reported
to the live day as drivers and the cars' positions would report it.

The live day executes its plan (`LiveDay.advance_to`); this module is the road and the
kerb. For each leg a vehicle sets out on, it draws what really happens, with the one
noise model (`dispatch.noise`) the board's lateness risk also reads: the driver of the
day's first departure may start late; the car leaves when the last stop is really done,
but not before the run sheet says (the live day's departure); the leg takes its nominal
time x a lognormal factor; the dwell is the nominal one x a lognormal factor, plus a
rider not ready at the door (pickups). A car early at a stop starts it when the plan,
re-timed from its arrival, says: at once, or, at a pickup the plan keeps for later so
that nobody waits on board, then (never after the promise: the plan keeps it).

The one difference from the risk's reading: there a car leaves as soon as the stop is
done, here not before the run sheet's time, so a dwell shorter than nominal gains
nothing. The bias is small (about 7 s a stop for a 60 s boarding at sigma 0.3) against
promises of minutes.

What the live day is told, through its public events only:

- a car that is not at the stop when the plan has it start there reports, at that
  moment, how late it is (`LiveDay.vehicle_delayed`: the rest of its route is re-timed,
  re-planned if a promise can no longer be kept, and any promise broken is reported);
- a car that arrives before the planned start reports its position on arrival
  (`LiveDay.vehicle_position`: the route is re-timed from there).

Either way the stop then starts, in the live day, exactly when it really starts, so the
promises the ledger reports broken are the ones the noisy day broke.

A *dispatcher intervention* is a booking that a delay report had to move to another car
or could not keep in any car: what the office would otherwise have had to phone a
driver or a rider about.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np

from dispatch.audit import AuditEvent
from dispatch.events import DoneStop, EventResult
from dispatch.live import LiveDay
from dispatch.model import RideRequest
from dispatch.noise import NoiseConfig, driver_late, rider_not_ready, service, travel
from dispatch.result import StepKind

log = logging.getLogger(__name__)

#: Stops a car serves (its dwell is drawn); a depot return or a departure is not one.
_SERVED = ("pickup", "dropoff", "visit")
#: The clock's longest step on a noisy day: the shortest dwell of the simulation (a
#: rider's boarding or alighting), so a car cannot set out and finish a stop within one
#: step, and every report is made before the live day executes the stop.
STEP_S = 60
#: A report that does not bring the plan to the true start in this many tries is dropped.
_TRIES = 3


@dataclass(slots=True)
class _Leg:
    """The leg a car is on: the stop it heads to (booking, kind), when it really starts
    there, and whether the live day has been told."""

    stop: tuple[str, str]
    start: int
    reported: bool = False


@dataclass(slots=True)
class NoisyDriving:
    """The true course of every vehicle, reported to `live` (see the module docstring).

    ``rng`` is the day's own noise stream; draws happen in event order, so the same
    spec and seed give the same day.
    """

    cfg: NoiseConfig
    rng: np.random.Generator
    live: LiveDay
    _legs: dict[str, _Leg] = field(default_factory=dict)
    _dwells: dict[tuple[str, str, str], int] = field(default_factory=dict)
    #: (vehicle, booking, stop kind) -> the true start of the last leg that ended there
    arrived: dict[tuple[str, str, str], int] = field(default_factory=dict)
    delay_reports: int = 0
    position_reports: int = 0
    interventions: int = 0

    def next_report(self, until: int) -> tuple[int, str] | None:
        """The earliest moment at or before `until` the clock must stop for a car, as
        (when, vehicle): a report is due, or a car sets out or finishes its stop (and may
        set out at once) — its leg is drawn the moment the live day has it leave, so its
        report is never late."""
        best: tuple[int, str] | None = None
        now = self.live.now
        for vid, wr in self.live.state.routes.items():
            if not self.live.state.vehicles[vid].en_route and vid in self._legs:
                leg = self._legs.pop(vid)  # done, or diverted
                self.arrived[vid, *leg.stop] = leg.start
            due = self._due(vid)
            if due is not None:
                at = max(now, due[0])
            elif wr.sched is None or not any(not n.is_break for n in wr.nodes):
                continue
            elif self.live.state.vehicles[vid].en_route:  # done there, it may set out again
                k = self._first(vid)
                at = wr.sched.starts[k] + wr.nodes[k].service_s
            else:
                at = wr.sched.departure
            if at <= now and due is None:
                continue
            if at <= until and (best is None or (at, vid) < best):
                best = (at, vid)
        return best

    def report(self, vid: str) -> None:
        """Tell the live day where `vid` really is, once its report is due (the clock
        also stops for a car setting out, long before it is late or there)."""
        due = self._due(vid)
        if due is None or due[0] > self.live.now:
            return
        key, true = self._head(vid)  # type: ignore[misc]
        live = self.live
        for _ in range(_TRIES):
            head = self._head(vid)
            if head is None or head[0] != key:
                break  # re-planned: the car is heading elsewhere now
            planned = self._planned(vid)
            if planned is None or planned == true:
                break
            if true > planned:
                result = live.vehicle_delayed(vid, self._delay(vid, true))
                self.delay_reports += 1
                self.interventions += moved(live, result, vid)
                continue
            node = live.state.routes[vid].nodes[self._first(vid)]
            result = live.vehicle_position(vid, node.location)
            self.position_reports += 1
            self.interventions += moved(live, result, vid)
            later = self._planned(vid)  # a pickup kept for later: the car waits
            if later is not None and later > true and self._head(vid) == (key, true):
                true = self._legs[vid].start = later
        planned = self._planned(vid)
        head = self._head(vid)
        if head is not None and head[0] == key and planned is not None and planned != true:
            log.warning("vehicle %s: the plan keeps %d, the car starts at %d", vid, planned, true)
        if vid in self._legs:
            self._legs[vid].reported = True

    # -- the truth ---------------------------------------------------------------------
    def _first(self, vid: str) -> int:
        nodes = self.live.state.routes[vid].nodes
        return next(k for k, n in enumerate(nodes) if not n.is_break)

    def _planned(self, vid: str) -> int | None:
        wr = self.live.state.routes.get(vid)
        if wr is None or wr.sched is None or not any(not n.is_break for n in wr.nodes):
            return None
        return wr.sched.starts[self._first(vid)]

    def _head(self, vid: str) -> tuple[tuple[str, str], int] | None:
        """The stop `vid` is on its way to and its true start (drawn when first asked)."""
        s = self.live.state
        st = s.vehicles[vid]
        wr = s.routes.get(vid)
        if not st.en_route or wr is None or wr.sched is None:
            return None
        if not any(not n.is_break for n in wr.nodes):
            return None
        node = wr.nodes[self._first(vid)]
        assert node.task is not None
        key = (node.task.id, node.kind.value)
        leg = self._legs.get(vid)
        if leg is not None and leg.stop != key:
            self.arrived[vid, *leg.stop] = leg.start
        if leg is None or leg.stop != key:
            assert st.free_at is not None
            leave = self._leave(vid, st.free_at)
            here = st.position
            nominal = int(s.base.time_s[here, node.location])
            drive = travel(self.cfg, leave, nominal, int(s.base.distance_m[here, node.location]))
            leg = _Leg(key, max(leave + drive.draw_s(self.rng), node.earliest))
            self._legs[vid] = leg
        return leg.stop, leg.start

    def _due(self, vid: str) -> tuple[int, int] | None:
        """(when the report is due, the true start) for a car whose plan is off."""
        head = self._head(vid)
        if head is None:
            return None
        planned = self._planned(vid)
        true = head[1]
        if planned is None or planned == true:
            return None
        leg = self._legs[vid]
        if leg.reported:
            if planned > true:  # re-planned since: the car waits there for the plan's start
                leg.start = planned
            return None
        return min(planned, true), true

    def _leave(self, vid: str, planned: int) -> int:
        """When the car really sets out on a leg the live day has it leave at `planned`."""
        history = self.live.history(vid)
        served = [d for d in history if d.kind in _SERVED or d.kind == "no_show"]
        if not served:  # the day's first departure: the driver may start late
            return planned + driver_late(self.cfg).draw_s(self.rng)
        last = served[-1]
        if history[-1] is not last or last.kind == "no_show":
            return planned  # from the depot, a break or a no-show: as the plan has it
        return max(last.start + self._dwell(vid, last), planned)

    def _dwell(self, vid: str, done: DoneStop) -> int:
        """The true time spent at a stop (boarding or alighting, a rider not ready)."""
        rid, kind = done.request_id or "", done.kind
        key = (vid, rid, kind)
        if key not in self._dwells:
            nominal = done.departure - done.start
            r = self.live.booking(rid).request
            party, chairs = (r.party_size, r.wheelchairs) if isinstance(r, RideRequest) else (1, 0)
            dwell = service(self.cfg, nominal, party, chairs).draw_s(self.rng)
            if kind == StepKind.PICKUP.value and isinstance(r, RideRequest):
                dwell += rider_not_ready(self.cfg).draw_s(self.rng)
            self._dwells[key] = dwell
        return self._dwells[key]

    def _delay(self, vid: str, true: int) -> int:
        """The delay to report so that the stop starts at `true`: the car arrives then."""
        s = self.live.state
        st = s.vehicles[vid]
        node = s.routes[vid].nodes[self._first(vid)]
        assert st.free_at is not None
        return max(1, true - st.free_at - int(s.base.time_s[st.position, node.location]))


def moved(live: LiveDay, result: EventResult, vid: str) -> int:
    """Bookings an event moved off `vid` to another car or out of every car."""
    if result.audit_seq is None:
        return 0
    entry = next((e for e in reversed(live.audit) if e.seq == result.audit_seq), None)
    if entry is None or entry.event not in (AuditEvent.VEHICLE_DELAY, AuditEvent.VEHICLE_POSITION):
        return 0
    return sum(1 for c in entry.changes if c.before_vehicle == vid and c.after_vehicle != vid)
