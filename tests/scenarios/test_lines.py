"""Which lines run: kept, cut, retimed, by hours — on a two-line hand-made timetable."""

from __future__ import annotations

import pytest

from routing.errors import InputError
from routing.transit.timetable import StopTime, Timetable, TransitRoute, TransitStop, TransitTrip
from scenarios.lines import line_ids, line_plan, retimed
from scenarios.spec import LinesSpec, TransitSpec

H = 3600


def two_lines() -> Timetable:
    """Line "1" (A -> B, 10 min) at 7:00, 8:00, 9:00 and back B -> A at 7:30; line "2"
    (A -> C) at 8:15."""
    stops = {s: TransitStop(s, s, 139.40 + i / 100, 35.70) for i, s in enumerate("ABC")}
    routes = {
        "r1": TransitRoute("r1", "town", "1", "一番"),
        "r2": TransitRoute("r2", "town", "2", "二番"),
    }

    def trip(tid, route, a, b, t):
        return TransitTrip(tid, route, "d", (StopTime(a, t, t), StopTime(b, t + 600, t + 600)))

    trips = (
        trip("1-07", "r1", "A", "B", 7 * H),
        trip("1-08", "r1", "A", "B", 8 * H),
        trip("1-09", "r1", "A", "B", 9 * H),
        trip("1-back", "r1", "B", "A", 7 * H + 1800),
        trip("2-08", "r2", "A", "C", 8 * H + 900),
    )
    return Timetable(stops, routes, trips)


def ids(tt: Timetable) -> list[str]:
    return sorted(t.trip_id for t in tt.trips)


def test_lines_are_named_by_route_id_or_number():
    tt = two_lines()
    assert line_ids(tt, ["r1", "2"], "here") == {"r1", "r2"}
    with pytest.raises(InputError, match=r"transit.lines.cut: no line '3' \(lines: 1, 2, r1, r2\)"):
        line_ids(tt, ["3"], "transit.lines.cut")


def test_keep_cut_and_run_hours():
    tt = two_lines()
    assert ids(line_plan(tt, TransitSpec())) == ids(tt)
    assert ids(line_plan(tt, TransitSpec(lines=LinesSpec(keep=("2",))))) == ["2-08"]
    cut = line_plan(tt, TransitSpec(lines=LinesSpec(cut=("r2",))))
    assert ids(cut) == ["1-07", "1-08", "1-09", "1-back"] and set(cut.routes) == {"r1"}
    peak = line_plan(tt, TransitSpec(run_hours={"1": ((7 * H, 8 * H),)}))
    assert ids(peak) == ["1-07", "1-back", "2-08"]  # 8:00 is outside [7:00, 8:00); 2 all day
    with pytest.raises(InputError, match=r"transit\.retime\.9"):
        line_plan(tt, TransitSpec(retime={"9": 30}))


def test_retime_runs_each_pattern_at_the_new_headway():
    tt = two_lines()
    plan = line_plan(tt, TransitSpec(retime={"1": 40}))
    out = sorted(
        (t.stop_times[0].stop_id, t.first_departure_s, t.last_arrival_s)
        for t in plan.trips
        if t.route_id == "r1"
    )
    # A -> B from 7:00 to 9:00 every 40 min (7:00, 7:40, 8:20, 9:00); B -> A once
    assert out == [
        ("A", 7 * H, 7 * H + 600),
        ("A", 7 * H + 2400, 7 * H + 3000),
        ("A", 8 * H + 1200, 8 * H + 1800),
        ("A", 9 * H, 9 * H + 600),
        ("B", 7 * H + 1800, 7 * H + 2400),
    ]
    assert ids(line_plan(tt, TransitSpec(retime={"1": 40}, lines=LinesSpec(cut=("1",))))) == [
        "2-08"
    ]
    with pytest.raises(InputError, match="positive"):
        retimed(list(tt.trips), 0)
