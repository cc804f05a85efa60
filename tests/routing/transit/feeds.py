"""A hand-checkable GTFS-JP feed for the transit tests, as text, and writers for it.

Two routes of one agency: the loop 1 (A -> B -> C, two trips on weekdays, the second
past midnight: 24:50 to 25:10) and the branch 2 (C -> D, one trip on Saturdays, with
an untimed middle call interpolated). calendar_dates adds the loop on a Sunday holiday
(2026-12-06) and removes it on 2026-12-08.
"""

from __future__ import annotations

import zipfile
from collections.abc import Mapping
from pathlib import Path

TINY: dict[str, str] = {
    "agency.txt": (
        "agency_id,agency_name,agency_url,agency_timezone,agency_phone\n"
        "tachi,立川コミュニティバス,https://example.jp,Asia/Tokyo,042-000-0000\n"
    ),
    "agency_jp.txt": "agency_id,agency_official_name,agency_zip_number\n"
    "tachi,立川市コミュニティバス運営協議会,1900000\n",
    "office_jp.txt": "office_id,office_name\no1,立川営業所\n",
    "routes_jp.txt": "route_id,route_update_date,origin_stop,via_stop,destination_stop\n"
    "r1,20261201,立川駅,市役所,立川駅\n",
    "translations.txt": "table_name,field_name,language,translation,field_value\n"
    "stops,stop_name,en,Tachikawa Sta.,立川駅\n",
    "stops.txt": (
        "stop_id,stop_name,stop_lat,stop_lon,location_type\n"
        "A,立川駅,35.6980,139.4137,0\n"
        "B,市役所,35.7141,139.4076,0\n"
        "C,高松駅,35.7098,139.4135,0\n"
        "D,砂川,35.7250,139.4035,\n"
        "E,終点,35.7300,139.4000,0\n"
        "ST,立川駅 (station),35.6981,139.4138,1\n"
    ),
    "routes.txt": (
        "route_id,agency_id,route_short_name,route_long_name,route_type\n"
        "r1,tachi,1,くるりん循環,3\n"
        "r2,tachi,2,砂川線,3\n"
    ),
    "trips.txt": (
        "route_id,service_id,trip_id,shape_id,jp_office_id\n"
        "r1,wk,t1,s1,o1\n"
        "r1,wk,t2,s1,o1\n"
        "r2,sat,t3,,o1\n"
    ),
    "stop_times.txt": (
        "trip_id,arrival_time,departure_time,stop_id,stop_sequence\n"
        "t1,07:00:00,07:00:00,A,1\n"
        "t1,07:10:00,07:11:00,B,2\n"
        "t1,07:20:00,07:20:00,C,3\n"
        "t2,24:50:00,24:50:00,A,1\n"
        "t2,25:00:00,25:00:00,B,2\n"
        "t2,25:10:00,25:10:00,C,3\n"
        "t3,08:00:00,08:00:00,C,1\n"
        "t3,,,D,2\n"
        "t3,08:20:00,08:20:00,E,3\n"
    ),
    "calendar.txt": (
        "service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,start_date,end_date\n"
        "wk,1,1,1,1,1,0,0,20261201,20261231\n"
        "sat,0,0,0,0,0,1,0,20261201,20261231\n"
    ),
    "calendar_dates.txt": "service_id,date,exception_type\nwk,20261206,1\nwk,20261208,2\n",
    "shapes.txt": (
        "shape_id,shape_pt_lat,shape_pt_lon,shape_pt_sequence\n"
        "s1,35.6980,139.4137,1\n"
        "s1,35.7080,139.4137,2\n"
    ),
}


def write_feed(
    folder: Path, changes: Mapping[str, str | None] | None = None, *, zipped: bool = False
) -> Path:
    """Write `TINY` with `changes` (file -> new text, or None to leave the file out)."""
    files = {**TINY, **(changes or {})}
    files = {name: text for name, text in files.items() if text is not None}
    if zipped:
        path = folder / "feed.zip"
        with zipfile.ZipFile(path, "w") as zf:
            for name, text in files.items():
                zf.writestr(name, text)
        return path
    path = folder / "feed"
    path.mkdir()
    for name, text in files.items():
        (path / name).write_text(text, encoding="utf-8")
    return path


def replace_line(name: str, old: str, new: str) -> dict[str, str]:
    """A change to `TINY` that replaces one line of one file."""
    assert old in TINY[name], (name, old)
    return {name: TINY[name].replace(old, new)}
