"""The day so far (本日の実績): bookings by outcome, kilometres and vehicle hours.

Distance done is each vehicle's drive through the stops it has done (from its depot,
by the matrix); planned adds what its remaining route still drives, which starts
where the vehicle is. A vehicle's hours run from when it first left until it came
back for good (or broke down), or until now while it is out; planned runs to the
end of its remaining route. A vehicle that has not left yet counts its planned
route only.
"""

from __future__ import annotations

from dataclasses import dataclass

from dispatch.events import BookingStatus
from dispatch.live.day import LiveDay


@dataclass(frozen=True, slots=True)
class DaySummary:
    """Counts of bookings and the fleet's metres and seconds, done and planned."""

    served: int
    cancelled: int
    no_shows: int
    late: int
    distance_m_done: int
    distance_m_planned: int
    vehicle_s_done: int
    vehicle_s_planned: int


def day_summary(day: LiveDay) -> DaySummary:
    """The day so far (see the module docstring)."""
    s = day.state
    D = s.base.distance_m
    plan = day.plan
    dist_done = dist_left = secs_done = secs_planned = 0
    for vid, vehicle in s.fleet.items():
        here = vehicle.start
        for d in s.history.get(vid, ()):
            if d.location is not None:
                dist_done += int(D[here, d.location])
                here = d.location
        route = plan.route(vid)
        if route is not None and route.is_empty:
            route = None
        st = s.vehicles[vid]
        if route is not None:
            dist_left += route.distance_m
        if st.departed_at is None:
            secs_planned += route.duration_s if route is not None else 0
            continue
        history = s.history.get(vid, ())
        if route is not None:
            until_now = s.now
            until_end = route.steps[-1].arrival
        elif not st.in_service:
            until_now = until_end = st.free_at if st.free_at is not None else s.now
        else:
            back = [d.start for d in history if d.kind == "depot"]
            until_now = until_end = min(s.now, back[-1]) if back else s.now
        secs_done += max(0, min(until_now, s.now) - st.departed_at)
        secs_planned += max(0, until_end - st.departed_at)
    statuses = [b.status for b in s.bookings.values()]
    return DaySummary(
        served=statuses.count(BookingStatus.DONE),
        cancelled=statuses.count(BookingStatus.CANCELLED),
        no_shows=statuses.count(BookingStatus.NO_SHOW),
        late=len({bp.booking_id for bp in s.broken}),
        distance_m_done=dist_done,
        distance_m_planned=dist_done + dist_left,
        vehicle_s_done=secs_done,
        vehicle_s_planned=secs_planned,
    )
