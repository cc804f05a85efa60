"""Replay of recorded bookings: the documented columns, every bad row by line number,
and a recorded day run through today's rules."""

from __future__ import annotations

import pytest

from routing.errors import InputError
from scenarios.replay import read_bookings
from scenarios.results import TripStatus
from scenarios.simulate import simulate_day
from tests.scenarios.tiny import TINY, write_tiny

HEADER = (
    "request_id,kind,booked_at,origin_lon,origin_lat,destination_lon,destination_lat,"
    "depart_at,arrive_by,party_size,wheelchairs,cancelled_at,no_show\n"
)
HOME, HOSPITAL, SHOP = "139.4050,35.7000", "139.4105,35.7085", "139.4175,35.6945"
GOOD = HEADER + "\n".join(
    [
        f"r1,ride,08:40,{HOME},{HOSPITAL},09:20,,1,0,,",
        f"r2,ride,08:35,{HOME},{HOSPITAL},,10:00,2,1,,",
        f"r3,ride,08:45,{HOSPITAL},{HOME},09:40,,1,0,09:00,",
        f"r4,ride,08:50,{HOME},{SHOP},09:30,,1,0,,true",
        f"r5,ride,08:50,139.3650,35.7230,{HOSPITAL},09:50,,1,0,,",  # beyond the radius
        f"r6,ride,08:55,{HOME},{SHOP},12:00,,1,0,,",  # after service hours
        f"d1,delivery,09:00,{SHOP},{HOME},,,1,0,,",
        f"d2,delivery,11:30,{SHOP},{HOME},,,1,0,,",  # after the 11:00 cut-off
        f"r7,ride,-1 18:00,139.2000,35.7000,{HOSPITAL},10:20,,1,0,,",  # off the map
    ]
)


def test_a_recorded_day_through_todays_rules(tmp_path, town, graph_cache):
    spec_text = TINY.replace(
        "rides_per_day = 12", 'source = "replay"\nreplay_csv = "day.csv"\nrides_per_day = 12'
    )
    path = write_tiny(tmp_path, town, spec_text)
    (tmp_path / "day.csv").write_text(GOOD, encoding="utf-8")
    from scenarios.spec import load_spec

    spec = load_spec(path)
    assert [b.request_id for b in spec.replay][:2] == ["r1", "r2"]
    assert spec.replay[8].booked_at == -6 * 3600  # 18:00 the day before
    day = simulate_day(spec, 0, data_dir=town.parent, cache_dir=graph_cache)
    by = {t.request_id: t for t in day.trips}
    assert set(by) == {"r1", "r2", "r3", "r4", "r5", "r6", "r7", "d1", "d2"}
    assert by["r1"].status is TripStatus.SERVED and by["r1"].within_promise
    assert by["r2"].status is TripStatus.SERVED and by["r2"].by_arrival
    assert by["r2"].dropoff_time <= 10 * 3600
    assert by["r3"].status is TripStatus.CANCELLED
    assert by["r4"].status is TripStatus.NO_SHOW
    assert (by["r5"].status, by["r5"].reason) == (TripStatus.REJECTED, "outside_service_area")
    assert (by["r6"].status, by["r6"].reason) == (TripStatus.REJECTED, "outside_service_hours")
    assert by["d1"].status is TripStatus.SERVED and by["d1"].kind == "delivery"
    assert (by["d2"].status, by["d2"].reason) == (TripStatus.REJECTED, "after_cutoff")
    assert (by["r7"].status, by["r7"].reason) == (TripStatus.REJECTED, "outside_service_area")
    assert day.kpis["fare_revenue_yen"] == 500 + 500  # r1, r2 (its companion rides free here)


def test_every_bad_row_is_reported_with_its_line(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(
        HEADER
        + f"a,ride,08:40,{HOME},{HOSPITAL},9h,,1,0,,\n"  # line 2
        + f"b,bus,08:40,{HOME},{HOSPITAL},09:00,,1,0,,\n"  # line 3
        + "# a comment line\n"  # line 4
        + f"c,ride,08:40,{HOME},{HOSPITAL},09:00,,1,2,,\n"  # line 5
        + f"d,ride,08:40,{HOME},{HOSPITAL},,,1,0,,\n"  # line 6
        + f"e,ride,10:00,{HOME},{HOSPITAL},09:00,,1,0,,\n"  # line 7
        + f"f,ride,08:40,{HOME},{HOSPITAL},09:00,,1,0,,maybe\n"  # line 8
        + f"g,ride,08:40,200,35.7,{HOSPITAL},09:00,,1,0,,\n",  # line 9
        encoding="utf-8",
    )
    with pytest.raises(InputError) as err:
        read_bookings(path)
    text = str(err.value)
    for expected in (
        "line 2: depart_at '9h' is not a time",
        "line 3: kind 'bus' is not 'ride' or 'delivery'",
        "line 5: wheelchairs (2) exceeds party_size (1)",
        "line 6: a ride needs exactly one of depart_at and arrive_by",
        "line 7: booked_at 10:00 is after the asked time",
        "line 8: no_show 'maybe' is not true/false",
        "line 9: origin_lon 200 is not a longitude",
    ):
        assert expected in text, expected
    assert "line 4" not in text


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty file"),
        ("request_id,kind\n", "missing column(s) booked_at"),
        (HEADER.replace("no_show", "noshow"), "unknown column(s) noshow"),
        (HEADER, "no rows below the header"),
        (HEADER + f"a,ride,08:40,{HOME},{HOSPITAL},09:00\n", "line 2: 8 cells, the header has 13"),
        (
            HEADER + f"a,ride,08:40,{HOME},{HOSPITAL},09:00,,1,0,,\n" * 2,
            "line 3: request_id 'a' already on line 2",
        ),
    ],
)
def test_bad_tables(tmp_path, text, message):
    path = tmp_path / "b.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        read_bookings(path)
