"""Drafting a feed from a line description: by hand on the toy town, and bad files."""

from __future__ import annotations

import datetime as dt

import gtfs_kit as gk
import pytest

from routing.errors import InputError
from routing.transit.draft import draft_feed, read_draft, read_places, write_gtfs
from routing.transit.feed import read_feed, read_timetable
from tests.routing.conftest import toy_lonlat

A, C, D = toy_lonlat(0, 0), toy_lonlat(-300, 400), toy_lonlat(-300, 500)

TOY_LINE = f"""
places = "places.csv"

[agency]
name = "伊那市営バス"
url = "https://example.jp/"

[calendar]
start = 2026-12-01
end = 2026-12-31

[[lines]]
id = "L1"
short_name = "1"
long_name = "駅〜病院"
saturday = true
dwell_s = 30
speed_factor = 0.5

[[lines.stops]]
name = "駅"
at = [{A[0]}, {A[1]}]

[[lines.stops]]
name = "市役所"
place = "市役所"

[[lines.stops]]
name = "病院"
place = "病院"
dwell_s = 0

[[lines.periods]]
from = "07:00"
to = "08:00"
headway_min = 30

[[lines.periods]]
departures = ["23:59"]

[[lines]]
id = "L2"
short_name = "2"
loop = true
sunday = true
weekdays = false

[[lines.stops]]
name = "病院"

[[lines.stops]]
name = "駅"

[[lines.periods]]
departures = ["10:00"]
"""

PLACES = f"""# places beside the line file
name,category,lon,lat
市役所 city hall,city_hall,{C[0]},{C[1]}
病院,hospital,{D[0]},{D[1]}
"""


@pytest.fixture
def line_file(tmp_path):
    (tmp_path / "places.csv").write_text(PLACES, encoding="utf-8")
    path = tmp_path / "line.toml"
    path.write_text(TOY_LINE, encoding="utf-8")
    return path


def test_toy_line_by_hand(line_file, toy, tmp_path):
    draft = read_draft(line_file)
    assert draft.lines[0].departures_s == (25200, 27000, 28800, 86340)
    assert draft.timezone == "Asia/Tokyo" and draft.agency_phone == ""
    out = write_gtfs(draft_feed(draft, toy), tmp_path / "out" / "feed.zip")
    tt = read_timetable(out, dt.date(2026, 12, 1))  # a Tuesday
    first = next(t for t in tt.trips if t.trip_id == "L1_0_001")
    # A -> C by the 60 km/h bypass: 700 m, 42 s; C -> D 100 m at 20 km/h: 18 s; at half speed
    assert [(tt.stops[c.stop_id].name, c.arrival_s, c.departure_s) for c in first.stop_times] == [
        ("駅", 25200, 25200),
        ("市役所", 25284, 25314),
        ("病院", 25350, 25350),
    ]
    back = next(t for t in tt.trips if t.trip_id == "L1_1_004")
    assert [c.arrival_s for c in back.stop_times] == [86340, 86376, 86490]  # past midnight
    assert len([t for t in tt.trips if t.route_id == "L1"]) == 8  # 4 departures, both ways
    assert tt.shapes_m == {"L1_0": 800, "L1_1": 800, "L2_0": 1600}
    sunday = read_timetable(out, dt.date(2026, 12, 6))
    (loop,) = sunday.trips
    assert [sunday.stops[c.stop_id].name for c in loop.stop_times] == ["病院", "駅", "病院"]
    assert loop.last_arrival_s == 36000 + 75 + 20 + 75  # 60 s legs at 0.8, 20 s at 駅
    feed = gk.read_feed(out, dist_units="m")
    assert feed.assess_quality().set_index("indicator").at["assessment", "value"] == "good feed"
    st = feed.stop_times[feed.stop_times["trip_id"] == "L1_0_001"]
    assert st["shape_dist_traveled"].tolist() == [0.0, 700.0, 800.0]


def test_folder_output_replaces_old_files(line_file, toy, tmp_path):
    folder = tmp_path / "feed"
    folder.mkdir()
    (folder / "frequencies.txt").write_text("stale")
    (folder / "notes.txt").write_text("the planner's own notes")
    write_gtfs(draft_feed(read_draft(line_file), toy), folder)
    assert not (folder / "frequencies.txt").exists()
    assert (folder / "notes.txt").read_text() == "the planner's own notes"
    assert len(read_feed(folder).gtfs.stops) == 3


@pytest.mark.parametrize("rule", ["closed", "run"])
def test_public_holidays_are_closed_unless_the_calendar_runs_on_them(
    line_file, toy, tmp_path, rule
):
    text = line_file.read_text(encoding="utf-8").replace(
        "end = 2026-12-31", f'end = 2027-01-31\nholidays = "{rule}"'
    )
    line_file.write_text(text, encoding="utf-8")
    out = write_gtfs(draft_feed(read_draft(line_file), toy), tmp_path / f"{rule}.zip")
    new_year = read_timetable(out, dt.date(2027, 1, 1))  # 元日, a Friday
    coming_of_age = read_timetable(out, dt.date(2027, 1, 11))  # 成人の日, a Monday
    friday = read_timetable(out, dt.date(2027, 1, 8))
    assert len(friday.trips) == 8
    if rule == "run":
        assert len(new_year.trips) == len(coming_of_age.trips) == 8
    else:
        assert new_year.trips == coming_of_age.trips == ()
        # L2 runs on Sundays only: no holiday of January falls on one, so none is closed
        dates = gk.read_feed(out, dist_units="m").calendar_dates
        assert set(dates["service_id"]) == {"weekdays+saturday"}
        assert set(dates["date"]) == {"20270101", "20270111"}


BAD = [
    ('url = "https://example.jp/"', 'url = "example.jp"', "agency.url"),
    ("[agency]\n", '[agency]\ntimezone = "Tokyo"\n', "agency.timezone 'Tokyo' is not a time zone"),
    ('name = "伊那市営バス"\n', "", "agency.name: required"),
    ("start = 2026-12-01", 'start = "2026-12-01"', "calendar.start must be a TOML date"),
    ("end = 2026-12-31", "end = 2026-11-01", "calendar.end 2026-11-01 is before"),
    ("end = 2026-12-31", 'end = 2026-12-31\nholidays = "no"', "calendar.holidays must be one of"),
    ('place = "市役所"', 'place = "町役場"', "lines[0].stops[1].place (市役所): no place named"),
    ("dwell_s = 0", "dwell_s = -5", "lines[0].stops[2].dwell_s must be a whole number"),
    ('from = "07:00"', 'from = "7h"', "lines[0].periods[0].from must be a time"),
    ("headway_min = 30", "headway_min = 0", "lines[0].periods[0].headway_min"),
    ('departures = ["23:59"]', 'departures = ["23:59"]\nheadway_min = 5', "either headway_min"),
    ('to = "08:00"', 'to = "06:00"', "lines[0].periods[0].to 06:00 is before"),
    ("speed_factor = 0.5", "speed_factor = 9", "lines[0].speed_factor"),
    ("saturday = true", "saturdays = true", "lines[0].saturdays: unknown key"),
    ("saturday = true", 'saturday = "yes"', "lines[0].saturday must be true or false"),
    ('id = "L2"', 'id = "L1"', "a line id appears twice"),
    ('id = "L2"', 'id = "L 2"', "lines[1].id 'L 2'"),
    ("sunday = true", "sunday = false", "runs on no day"),
    ('short_name = "2"', "", "lines[1].short_name / long_name: give at least one"),
    (
        f'at = [{A[0]}, {A[1]}]\n\n[[lines.stops]]\nname = "市役所"',
        f'at = [{A[0]}, {A[1]}]\nplace = "病院"\n\n[[lines.stops]]\nname = "市役所"',
        "either at = [lon, lat] or place",
    ),
    (f"at = [{A[0]}, {A[1]}]", "at = [35.8, 137.9, 1]", "lines[0].stops[0].at (駅) must be"),
    ('places = "places.csv"', 'places = "nowhere.csv"', "nowhere.csv: file does not exist"),
    ('[[lines.periods]]\ndepartures = ["10:00"]', "", "lines[1].periods: give at least one"),
]


@pytest.mark.parametrize(("old", "new", "message"), BAD)
def test_bad_line_files_name_the_field(line_file, old, new, message):
    text = line_file.read_text(encoding="utf-8")
    assert old in text, old
    line_file.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_draft(line_file)
    assert message in str(info.value)
    assert str(info.value).startswith(str(line_file))


def test_not_toml(tmp_path):
    path = tmp_path / "x.toml"
    path.write_text("[agency\n")
    with pytest.raises(InputError, match="not a TOML file"):
        read_draft(path)
    with pytest.raises(InputError, match="does not exist"):
        read_draft(tmp_path / "nowhere.toml")


def test_stop_names_are_places(line_file, toy):
    text = line_file.read_text(encoding="utf-8")
    # L2 names 駅 again, 580 m from L1's 駅: one name, one place
    again = '[[lines.stops]]\nname = "駅"\n\n[[lines.periods]]'
    assert again in text
    moved = again.replace('"駅"\n', f'"駅"\nat = [{D[0]}, {D[1]}]\n')
    line_file.write_text(text.replace(again, moved), encoding="utf-8")
    with pytest.raises(InputError, match="m from the earlier stop of that name"):
        draft_feed(read_draft(line_file), toy)
    line_file.write_text(text.replace('name = "駅"\nat', 'name = "駅前"\nat'), encoding="utf-8")
    with pytest.raises(InputError, match="stop '駅': give at or place"):
        draft_feed(read_draft(line_file), toy)


def test_stop_off_the_map(line_file, toy):
    text = line_file.read_text(encoding="utf-8")
    line_file.write_text(text.replace(f"at = [{A[0]}, {A[1]}]", "at = [138.5, 36.5]"))
    with pytest.raises(InputError, match=r"stop '駅'.*from the nearest drivable road"):
        draft_feed(read_draft(line_file), toy)


def test_read_places(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("# c\nname,lat\nx,1\n")
    with pytest.raises(InputError, match="missing column"):
        read_places(path)
    path.write_text("name,lon,lat\nx,east,1\n")
    with pytest.raises(InputError, match=r"row 1 \('x'\): lon/lat are not numbers"):
        read_places(path)
    path.write_text("\ufeffname,lon,lat\n病院 hospital,137.9,35.8\n")
    assert read_places(path) == {"病院 hospital": (137.9, 35.8)}
