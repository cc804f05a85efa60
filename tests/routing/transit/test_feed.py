"""Reading feeds: the tiny GTFS-JP feed by hand, service days, and broken feeds."""

from __future__ import annotations

import datetime as dt
import pickle

import pytest

from routing.errors import FeedError, InputError
from routing.transit.feed import (
    busiest_date,
    format_hhmm,
    parse_time,
    read_feed,
    read_timetable,
    service_dates,
)
from tests.routing.transit.feeds import replace_line, write_feed

TUESDAY = dt.date(2026, 12, 1)
SATURDAY = dt.date(2026, 12, 5)


@pytest.mark.parametrize("zipped", [False, True])
def test_weekday_timetable(tmp_path, zipped):
    tt = read_timetable(write_feed(tmp_path, zipped=zipped), TUESDAY)
    assert [t.trip_id for t in tt.trips] == ["t1", "t2"]
    t1, t2 = tt.trips
    assert [(c.stop_id, c.arrival_s, c.departure_s) for c in t1.stop_times] == [
        ("A", 25200, 25200),
        ("B", 25800, 25860),
        ("C", 26400, 26400),
    ]
    assert t2.first_departure_s == 24 * 3600 + 50 * 60  # 24:50, past midnight
    assert t2.last_arrival_s == 25 * 3600 + 10 * 60
    assert t1.shape_id == "s1" and t1.service_id == "wk" and t1.route_id == "r1"
    assert tt.shapes_m == {"s1": 1112}  # 0.01° of latitude
    assert tt.routes["r1"].short_name == "1" and tt.routes["r1"].long_name == "くるりん循環"
    assert tt.routes["r2"].agency_id == "tachi"
    assert set(tt.stops) == {"A", "B", "C", "D", "E"}  # the station (location_type 1) is not
    assert (tt.stops["A"].lon, tt.stops["A"].lat) == (139.4137, 35.698)


def test_saturday_interpolates_untimed_call(tmp_path):
    tt = read_timetable(write_feed(tmp_path), SATURDAY)
    (t3,) = tt.trips
    assert [c.arrival_s for c in t3.stop_times] == [28800, 29400, 30000]  # D halfway
    assert t3.shape_id is None


def test_calendar_dates_add_and_remove(tmp_path):
    feed = read_feed(write_feed(tmp_path))
    assert [t.trip_id for t in read_timetable(feed, dt.date(2026, 12, 6)).trips] == ["t1", "t2"]
    assert read_timetable(feed, dt.date(2026, 12, 8)).trips == ()  # removed that Tuesday
    assert read_timetable(feed, dt.date(2027, 1, 4)).trips == ()  # after the calendar
    dates = service_dates(feed)
    assert dates[0] == TUESDAY and dt.date(2026, 12, 6) in dates
    assert dt.date(2026, 12, 8) not in dates and dt.date(2026, 12, 13) not in dates
    assert busiest_date(feed) == TUESDAY


def test_calendar_dates_alone(tmp_path):
    dates = "service_id,date,exception_type\nwk,20261206,1\nsat,20261205,1\n"
    feed = read_feed(write_feed(tmp_path, {"calendar.txt": None, "calendar_dates.txt": dates}))
    assert service_dates(feed) == [SATURDAY, dt.date(2026, 12, 6)]
    assert len(read_timetable(feed, dt.date(2026, 12, 6)).trips) == 2
    with pytest.raises(FeedError, match="unknown service_id 'sat'") as info:
        read_feed(write_feed(tmp_path, {"calendar.txt": None}, zipped=True))
    assert (info.value.file, info.value.row, info.value.field) == ("trips.txt", 3, "service_id")


def test_calendar_alone(tmp_path):
    (tmp_path / "x").mkdir()
    feed = read_feed(write_feed(tmp_path / "x", {"calendar_dates.txt": None}))
    assert len(read_timetable(feed, dt.date(2026, 12, 8)).trips) == 2


def test_gtfs_jp_tables_kept(tmp_path):
    feed = read_feed(write_feed(tmp_path, zipped=True))
    assert set(feed.jp) == {"agency_jp", "office_jp", "routes_jp"}
    assert feed.jp["office_jp"]["office_name"].tolist() == ["立川営業所"]
    plain = {f"{name}.txt": None for name in feed.jp} | {"translations.txt": None}
    assert read_feed(write_feed(tmp_path, plain)).jp == {}


def test_frequencies_expand(tmp_path):
    (tmp_path / "bad").mkdir()
    (tmp_path / "late").mkdir()
    freq = "trip_id,start_time,end_time,headway_secs\nt1,07:00:00,08:00:00,1200\n"
    tt = read_timetable(write_feed(tmp_path, {"frequencies.txt": freq}), TUESDAY)
    starts = sorted(t.first_departure_s for t in tt.trips if t.route_id == "r1")
    assert starts == [25200, 26400, 27600, 89400]  # 07:00, 07:20, 07:40 and t2 at 24:50
    bad = replace_line("stop_times.txt", "t1,07:20:00,07:20:00", "t1,07:20,07:20:00")
    with pytest.raises(FeedError) as info:
        read_feed(write_feed(tmp_path / "bad", {"frequencies.txt": freq, **bad}))
    assert (info.value.file, info.value.row, info.value.field) == (
        "stop_times.txt",
        3,
        "arrival_time",
    )
    late = freq.replace("08:00:00", "8 o'clock")
    with pytest.raises(FeedError, match=r"frequencies\.txt row 1 field end_time"):
        read_feed(write_feed(tmp_path / "late", {"frequencies.txt": late}))


def test_times():
    assert parse_time("25:10:00") == 90600 and parse_time(" 7:05:09") == 25509
    assert format_hhmm(90600) == "25:10" and format_hhmm(25509) == "07:05"
    for bad in ("7:5:00", "07:60:00", "0700", ""):
        with pytest.raises(ValueError):
            parse_time(bad)


BROKEN = [
    ({"agency.txt": None}, "agency.txt", None, None, "missing"),
    ({"stops.txt": None}, "stops.txt", None, None, "missing"),
    ({"routes.txt": None}, "routes.txt", None, None, "missing"),
    ({"trips.txt": None}, "trips.txt", None, None, "missing"),
    ({"stop_times.txt": None}, "stop_times.txt", None, None, "missing"),
    ({"calendar.txt": None, "calendar_dates.txt": None}, "calendar.txt", None, None, "neither"),
    (
        replace_line("stop_times.txt", "t1,07:10:00,07:11:00,B,2", "t1,07:10:00,07:11:00,Z,2"),
        "stop_times.txt",
        2,
        "stop_id",
        "unknown stop_id 'Z'",
    ),
    (
        replace_line("stop_times.txt", "t3,08:20:00,08:20:00,E,3", "t9,08:20:00,08:20:00,E,3"),
        "stop_times.txt",
        9,
        "trip_id",
        "unknown trip_id 't9'",
    ),
    (
        replace_line("stop_times.txt", "t1,07:20:00,07:20:00,C,3", "t1,07:20:00,07:20:00,ST,3"),
        "stop_times.txt",
        3,
        "stop_id",
        "'ST' is a station",
    ),
    (
        replace_line("calendar_dates.txt", "wk,20261208,2", "wk,20261232,2"),
        "calendar_dates.txt",
        2,
        "date",
        "'20261232' is not a calendar date",
    ),
    (
        replace_line("trips.txt", "r2,sat,t3", "r7,sat,t3"),
        "trips.txt",
        3,
        "route_id",
        "unknown route_id 'r7'",
    ),
    (
        replace_line("routes.txt", "r2,tachi", "r2,other"),
        "routes.txt",
        2,
        "agency_id",
        "unknown agency_id 'other'",
    ),
    (
        replace_line("trips.txt", "r1,wk,t2,s1", "r1,wk,t2,s9"),
        "trips.txt",
        2,
        "shape_id",
        "unknown shape_id",
    ),
    (
        replace_line("stop_times.txt", "t2,25:00:00,25:00:00", "t2,25h00,25:00:00"),
        "stop_times.txt",
        5,
        "arrival_time",
        "'25h00' is not a time",
    ),
    (
        replace_line("stop_times.txt", "t1,07:20:00,07:20:00", "t1,07:05:00,07:05:00"),
        "stop_times.txt",
        3,
        "arrival_time",
        "before the previous",
    ),
    (
        replace_line("stop_times.txt", "t3,08:00:00,08:00:00,C", "t3,,,C"),
        "stop_times.txt",
        7,
        "departure_time",
        "first stop time",
    ),
    (
        replace_line("stop_times.txt", "t1,07:00:00,07:00:00,A,1\n", ""),
        None,
        None,
        None,
        None,
    ),
    (
        {"stop_times.txt": "trip_id,arrival_time,stop_id,stop_sequence\nt1,07:00:00,A,1\n"},
        "stop_times.txt",
        None,
        "departure_time",
        "required column",
    ),
    (
        replace_line("stops.txt", "B,市役所,35.7141,139.4076", "B,市役所,35.7141,東経139"),
        "stops.txt",
        2,
        "stop_lon",
        "'東経139' is not a number",
    ),
    (
        replace_line("stops.txt", "C,高松駅,35.7098,", "C,高松駅,,"),
        "stops.txt",
        3,
        "stop_lat",
        "not a coordinate",
    ),
    (
        replace_line("stops.txt", "E,終点,35.7300,139.4000", "E,終点,135.7,139.4"),
        "stops.txt",
        5,
        "stop_lat",
        "not a coordinate",
    ),
    (
        replace_line("stop_times.txt", "t1,07:10:00,07:11:00,B,2", "t1,07:10:00,07:11:00,B,2.5"),
        "stop_times.txt",
        2,
        "stop_sequence",
        "not a whole number",
    ),
    (
        replace_line("calendar.txt", "20261231\nsat", "2026-12-31\nsat"),
        "calendar.txt",
        1,
        "end_date",
        "not a date",
    ),
    (
        replace_line("stops.txt", "D,砂川", "A,砂川"),
        "stops.txt",
        4,
        "stop_id",
        "appears twice",
    ),
]


@pytest.mark.parametrize(("changes", "file", "row", "field", "text"), BROKEN)
def test_broken_feeds_name_file_row_field(tmp_path, changes, file, row, field, text):
    path = write_feed(tmp_path, changes)
    if file is None:  # t1 keeps two calls: still a trip; the feed reads
        assert len(read_timetable(path, TUESDAY).trips) == 2
        return
    with pytest.raises(FeedError) as info:
        read_feed(path)
    err = info.value
    assert (err.file, err.row, err.field) == (file, row, field), str(err)
    assert text in str(err) and str(err).startswith(file)
    assert isinstance(err, InputError) and isinstance(err, ValueError)
    again = pickle.loads(pickle.dumps(err))
    assert (again.file, again.row, again.field, str(again)) == (file, row, field, str(err))


def test_single_call_trip(tmp_path):
    changes = replace_line("stop_times.txt", "t3,,,D,2\nt3,08:20:00,08:20:00,E,3\n", "")
    with pytest.raises(FeedError, match="single stop time") as info:
        read_feed(write_feed(tmp_path, changes))
    assert (info.value.row, info.value.field) == (7, "trip_id")


def test_not_a_feed(tmp_path):
    with pytest.raises(FeedError, match="no such file"):
        read_feed(tmp_path / "nowhere.zip")
    junk = tmp_path / "junk.zip"
    junk.write_text("not a zip")
    with pytest.raises(FeedError, match="not a zip"):
        read_feed(junk)
    (tmp_path / "empty").mkdir()
    with pytest.raises(FeedError, match=r"agency\.txt: required file"):
        read_feed(tmp_path / "empty")


def test_gtfs_jp_extra_file_unreadable_is_ignored(tmp_path, caplog):
    path = write_feed(tmp_path, {"office_jp.txt": 'office_id,office_name\n"o1,broken\n'})
    feed = read_feed(path)
    assert "office_jp" not in feed.jp
    assert "office_jp.txt ignored" in caplog.text
