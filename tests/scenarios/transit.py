"""A hand-made timetable on the bundled Tachikawa roads, for days served by bus.

A community-bus loop around the station (six stops, 4 min apart, every 30 min from
08:00 to 12:00) and a trunk line from the station north to Sunagawa and back (hourly).
The station stop ``S0`` is the hub where feeders meet the buses.
"""

from __future__ import annotations

from routing.transit.timetable import StopTime, Timetable, TransitRoute, TransitStop, TransitTrip

H = 3600
LOOP = [
    ("S0", "立川駅", 139.4137, 35.6980),
    ("S1", "災害医療センター", 139.4105, 35.7080),
    ("S2", "高松町", 139.4000, 35.7040),
    ("S3", "富士見町", 139.3965, 35.6990),
    ("S4", "柴崎町", 139.4050, 35.6930),
    ("S5", "錦町", 139.4170, 35.6950),
]
TRUNK = [("S0", 0), ("T1", 8 * 60), ("T2", 16 * 60)]
TRUNK_STOPS = [("T1", "幸町", 139.4110, 35.7150), ("T2", "砂川", 139.4100, 35.7250)]


def loop_timetable(every_s: int = 1800) -> Timetable:
    stops = {s: TransitStop(s, name, lon, lat) for s, name, lon, lat in [*LOOP, *TRUNK_STOPS]}
    routes = {
        "loop": TransitRoute("loop", "city", "循環", "くるりん 循環"),
        "trunk": TransitRoute("trunk", "bus", "立12", "立川駅〜砂川"),
    }
    trips = []
    for k, start in enumerate(range(8 * H, 12 * H + 1, every_s)):
        calls = [StopTime(s, start + 240 * i, start + 240 * i) for i, (s, *_) in enumerate(LOOP)]
        end = start + 240 * len(LOOP)
        calls.append(StopTime("S0", end, end))
        trips.append(TransitTrip(f"loop-{k:02d}", "loop", "weekday", tuple(calls)))
    for k, start in enumerate(range(8 * H, 12 * H + 1, H)):
        out = tuple(StopTime(s, start + dt, start + dt) for s, dt in TRUNK)
        back_start = start + 1800
        back = tuple(
            StopTime(s, back_start + TRUNK[-1][1] - dt, back_start + TRUNK[-1][1] - dt)
            for s, dt in reversed(TRUNK)
        )
        trips.append(TransitTrip(f"trunk-out-{k:02d}", "trunk", "weekday", out))
        trips.append(TransitTrip(f"trunk-back-{k:02d}", "trunk", "weekday", back))
    return Timetable(stops, routes, tuple(trips))


def simulate_on_loop(spec, seed, **kwargs):
    """`simulate_day` with `loop_timetable` instead of a feed (for sweeps on Dask)."""
    from scenarios.simulate import simulate_day

    return simulate_day(spec, seed, timetable=loop_timetable(), **kwargs)
