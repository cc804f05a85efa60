"""Stop coverage on a hand-checkable line: which stops are hourly, which homes are near."""

from __future__ import annotations

import math

import pytest

from routing.errors import InputError
from routing.transit.coverage import Coverage, hourly_stops, stop_coverage
from routing.transit.timetable import StopTime, Timetable, TransitRoute, TransitStop, TransitTrip

H = 3600
LAT, LON0 = 35.70, 139.40
M_PER_DEG_LON = 111_320.0 * math.cos(math.radians(LAT))


def at(east_m: float, north_m: float = 0.0) -> tuple[float, float]:
    return (LON0 + east_m / M_PER_DEG_LON, LAT + north_m / 110_574.0)


def line(departures: list[int]) -> Timetable:
    """A -> B (1 km east) every departure; C (2 km east) only at 9:00 and 10:00."""
    stops = {s: TransitStop(s, s, *at(x)) for s, x in (("A", 0), ("B", 1000), ("C", 2000))}
    trips = [
        TransitTrip(f"t{t}", "R", "d", (StopTime("A", t, t), StopTime("B", t + 300, t + 300)))
        for t in departures
    ]
    trips += [
        TransitTrip(f"c{t}", "R", "d", (StopTime("C", t, t), StopTime("B", t + 300, t + 300)))
        for t in (9 * H, 10 * H)
    ]
    return Timetable(stops, {"R": TransitRoute("R", "a", "1", "one")}, tuple(trips))


def test_hourly_means_a_departure_in_every_hour_of_the_span():
    tt = line([9 * H, 10 * H + 3500, 11 * H + 10])
    assert hourly_stops(tt, 9 * H, 12 * H) == {"A"}  # B is only ever alighted at
    assert hourly_stops(tt, 9 * H, 11 * H) == {"A", "C"}
    # two buses in the first hour do not make up for none in the second
    assert hourly_stops(line([9 * H, 9 * H + 1800, 11 * H]), 9 * H, 12 * H) == set()
    # a last, shorter piece of an hour counts as an hour
    assert hourly_stops(tt, 9 * H, 11 * H + 60) == {"A"}


def test_homes_within_300_and_500_m_of_hourly_stops():
    tt = line([9 * H, 10 * H, 11 * H])
    homes = [at(0, 250), at(0, -400), at(1000, 100), at(2000, 100), at(0, 600)]
    cov = stop_coverage(tt, homes, 9 * H, 12 * H)
    # only A is hourly from 9 to 12: 250 m and 400 m from A; B is never boarded; C stops at 10
    assert cov.hourly_stops == ("A",)
    assert cov.covered == (1, 2)
    assert cov.share(300) == pytest.approx(1 / 5)
    assert cov.share(500) == pytest.approx(2 / 5)


def test_no_homes_or_no_hourly_stop():
    tt = line([9 * H])
    assert stop_coverage(tt, [at(0)], 9 * H, 12 * H).covered == (0, 0)
    assert math.isnan(stop_coverage(tt, [], 9 * H, 10 * H).share(300))


def test_bad_inputs():
    tt = line([9 * H])
    with pytest.raises(InputError, match="empty"):
        hourly_stops(tt, 10 * H, 9 * H)
    with pytest.raises(InputError, match="radii"):
        stop_coverage(tt, [at(0)], 9 * H, 10 * H, radii_m=(0,))
    with pytest.raises(InputError, match="not computed"):
        stop_coverage(tt, [at(0)], 9 * H, 10 * H).share(400)
    with pytest.raises(InputError, match="outside"):
        Coverage(1, (300,), (2,), ())
