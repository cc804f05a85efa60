"""A feed's day in figures: hours and kilometres by hand on the tiny feed and the toy town."""

from __future__ import annotations

import datetime as dt

import pytest

from routing.errors import InputError
from routing.osm_parse import great_circle_m
from routing.transit.feed import read_feed
from routing.transit.info import ROAD, SHAPES, STRAIGHT, summarise, trip_km
from routing.transit.timetable import StopTime, Timetable, TransitRoute, TransitStop, TransitTrip
from tests.routing.conftest import toy_lonlat
from tests.routing.transit.feeds import write_feed


def test_weekday_by_hand(tmp_path):
    s = summarise(read_feed(write_feed(tmp_path)), dt.date(2026, 12, 1))
    assert (s.date_rule, s.trips, s.stops) == ("given", 2, 5)
    assert (s.first_departure_s, s.last_arrival_s) == (25200, 90600)  # 07:00 .. 25:10
    assert s.vehicle_hours == pytest.approx(40 / 60)  # two trips of 20 minutes
    assert s.vehicle_km == pytest.approx(2.224) and s.km_methods == {SHAPES: 2}
    assert s.bbox == (139.4, 35.698, 139.4137, 35.73)
    loop, branch = s.routes
    assert (loop.short_name, loop.trips, branch.trips) == ("1", 2, 0)
    assert loop.jp_name == "立川駅 → 市役所 → 立川駅" and loop.offices == ("立川営業所",)
    assert branch.jp_name == "" and branch.first_departure_s is None
    (agency,) = s.agencies
    assert agency["official_name"] == "立川市コミュニティバス運営協議会"
    data = s.as_dict()
    assert data["first_departure"] == "07:00" and data["last_arrival"] == "25:10"
    assert data["routes"][0]["first_departure"] == "07:00"
    assert data["vehicle_km_method"] == {SHAPES: 2}


def test_default_date_is_the_busiest(tmp_path):
    s = summarise(read_feed(write_feed(tmp_path)))
    assert (s.service_date, s.date_rule, s.trips) == (dt.date(2026, 12, 1), "busiest", 2)


def test_straight_line_without_shapes_or_map(tmp_path):
    s = summarise(read_feed(write_feed(tmp_path)), dt.date(2026, 12, 5))  # Saturday: t3
    c, d, e = (139.4135, 35.7098), (139.4035, 35.725), (139.4, 35.73)
    metres = great_circle_m(*c, *d) + great_circle_m(*d, *e)
    assert s.vehicle_km == pytest.approx(metres / 1000) and s.km_methods == {STRAIGHT: 1}


def test_no_service_date(tmp_path):
    none = (
        "service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,start_date,end_date\n"
    )
    changes = {
        "calendar.txt": none
        + "wk,0,0,0,0,0,0,0,20261201,20261231\nsat,0,0,0,0,0,0,0,20261201,20261201\n",
        "calendar_dates.txt": None,
    }
    with pytest.raises(InputError, match="no service runs on any date"):
        summarise(read_feed(write_feed(tmp_path, changes)))


def test_road_km_on_the_toy_town(toy):
    stops = {
        "a": TransitStop("a", "A", *toy_lonlat(0, 0)),
        "d": TransitStop("d", "D", *toy_lonlat(-300, 500)),
    }
    trip = TransitTrip("t", "r", "s", (StopTime("a", 0, 0), StopTime("d", 60, 60)))
    tt = Timetable(stops, {"r": TransitRoute("r", "x", "1", "")}, (trip,))
    km, how = trip_km(tt, toy)
    assert km == {"t": pytest.approx(0.8)} and how == {"t": ROAD}  # the fast bypass: 700 + 100 m
    km, how = trip_km(tt)
    assert km["t"] == pytest.approx(583.1 / 1000, abs=1e-3) and how == {"t": STRAIGHT}
