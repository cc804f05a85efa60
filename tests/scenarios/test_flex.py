"""GTFS-Flex export: the Ina feed passes the canonical validator and reads back with
gtfs-kit; zones, booking rule, windows and calendar say what the spec says; bad input
gets a clear error."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import tomllib
import zipfile
from datetime import date
from pathlib import Path
from typing import Any

import gtfs_kit
import pytest
import shapely
from pydantic import ValidationError
from shapely.geometry import Point, shape
from typer.testing import CliRunner

from api.cli import app
from routing.errors import InputError
from scenarios.districts import Districts
from scenarios.flex import flex_files, write_flex
from scenarios.spec import ScenarioSpec, build_spec, load_spec
from scenarios.study import INA

MONDAY = date(2027, 4, 5)
SUNDAY = date(2028, 4, 2)
FILES = {
    "agency.txt",
    "routes.txt",
    "trips.txt",
    "stop_times.txt",
    "locations.geojson",
    "booking_rules.txt",
    "calendar.txt",
    "calendar_dates.txt",  # 祝日運休: the Ina service is closed on public holidays
    "feed_info.txt",
}
runner = CliRunner()


@pytest.fixture(scope="module")
def ina() -> ScenarioSpec:
    return load_spec(INA.spec_path)


@pytest.fixture(scope="module")
def ina_zip(ina, tmp_path_factory) -> Path:
    return write_flex(ina, tmp_path_factory.mktemp("flex") / "ina.zip", MONDAY, SUNDAY)


def _ina_data() -> dict[str, Any]:
    return tomllib.loads(INA.spec_path.read_text(encoding="utf-8"))


def _spec(**sections: dict[str, Any] | None) -> ScenarioSpec:
    """The Ina spec with whole sections replaced (None: the section left out)."""
    data = _ina_data()
    for key, value in sections.items():
        if value is None:
            data.pop(key)
        else:
            data[key] = value
    return build_spec(data, INA.spec_path.parent)


def _rows(files: dict[str, str], name: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(files[name])))


def validate(feed: Path, on: date, out: Path) -> tuple[dict[str, Any], list[str]]:
    """Run the canonical GTFS validator (MobilityData's rules, pure Python) on ``feed`` as of
    ``on``; its report and the codes of its system errors."""
    cli = Path(sys.executable).with_name("gtfs-validator")
    done = subprocess.run(
        [str(cli), "-i", str(feed), "-o", str(out), "-c", "JP", "-d", on.isoformat()],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    system = json.loads((out / "system_errors.json").read_text(encoding="utf-8"))
    return report, [n["code"] for n in system["notices"]]


# -- validation ---------------------------------------------------------------------------


def test_the_ina_feed_passes_the_canonical_validator_without_a_notice(ina_zip, tmp_path):
    report, system = validate(ina_zip, MONDAY, tmp_path / "report")
    assert system == []
    assert set(report["summary"]["files"]) == FILES  # the Flex files were read, not skipped
    assert report["summary"]["counts"]["Trips"] == 9
    assert [(n["code"], n["severity"]) for n in report["notices"]] == []


def test_the_validator_knows_flex(ina_zip, tmp_path):
    """The same feed with reversed windows, a pickup without phone booking and a zone that is
    not closed: the validator must see all three, or the passing test above proves nothing."""
    bad = tmp_path / "bad.zip"
    with zipfile.ZipFile(ina_zip) as src, zipfile.ZipFile(bad, "w") as dst:
        for name in src.namelist():
            text = src.read(name).decode("utf-8")
            if name == "stop_times.txt":
                text = text.replace("09:00:00,15:00:00", "15:00:00,09:00:00", 1)
                text = text.replace(",2,1,phone,", ",0,1,phone,", 1)
            if name == "locations.geojson":
                zones = json.loads(text)
                zones["features"][1]["geometry"]["coordinates"][0].pop()
                text = json.dumps(zones)
            dst.writestr(name, text)
    report, _ = validate(bad, MONDAY, tmp_path / "report")
    errors = {n["code"] for n in report["notices"] if n["severity"] == "ERROR"}
    assert errors == {"invalid_pickup_drop_off_window", "forbidden_pickup_type", "invalid_geometry"}


def test_named_districts_weekends_and_booking_the_day_before_also_validate(tmp_path):
    centres = tmp_path / "centres.csv"
    centres.write_text(
        "name,lon,lat\n北 North,139.41,35.72\n南 South,139.42,35.68\n西,139.38,35.70\n"
    )
    data = _ina_data()
    data["area"]["districts_csv"] = str(centres)
    data["service"]["days"] = ["sat", "sun"]
    data["booking"]["opens"] = "-1 17:00"
    spec = build_spec(data, INA.spec_path.parent)
    feed = write_flex(spec, tmp_path / "weekend.zip", date(2027, 4, 3), SUNDAY)
    report, system = validate(feed, date(2027, 4, 3), tmp_path / "report")
    assert system == [] and report["notices"] == []
    with zipfile.ZipFile(feed) as z:
        names = [
            f["properties"]["stop_name"]
            for f in json.loads(z.read("locations.geojson"))["features"]
        ]
    assert sorted(names[1:]) == sorted(["北 North", "南 South", "西"])


# -- reading it back ----------------------------------------------------------------------


def test_gtfs_kit_reads_the_feed_back(ina_zip, ina):
    feed = gtfs_kit.read_feed(ina_zip, dist_units="km")
    assert feed.agency.loc[0, "agency_url"] == ina.agency.url
    assert feed.agency.loc[0, "agency_timezone"] == "Asia/Tokyo"
    assert feed.routes.loc[0, "route_type"] == 3
    assert len(feed.trips) == 9 and len(feed.stop_times) == 18
    assert set(feed.stop_times["location_id"]) == {"area"} | {
        f"district-{i:02d}" for i in range(1, 10)
    }
    assert feed.stops is None  # zones only: stops.txt is optional beside locations.geojson
    dates = feed.get_dates()
    assert (dates[0], dates[-1]) == ("20270405", "20280402")
    assert feed.feed_info.loc[0, "feed_lang"] == "ja"


def test_the_zip_holds_the_flex_files_in_utf8(ina_zip):
    with zipfile.ZipFile(ina_zip) as z:
        assert set(z.namelist()) == FILES
        assert "中心市街地" in z.read("locations.geojson").decode("utf-8")


# -- what the spec says ------------------------------------------------------------------


def test_zones_are_valid_polygons_that_tile_the_service_area(ina):
    features = json.loads(flex_files(ina, MONDAY, SUNDAY)["locations.geojson"])["features"]
    centre = Point(ina.area.centre)
    polygons = {f["id"]: shape(f["geometry"]) for f in features}
    for f in features:
        ring = f["geometry"]["coordinates"][0]
        assert ring[0] == ring[-1] and len(ring) >= 4
        assert all(-180 <= lon <= 180 and -90 <= lat <= 90 for lon, lat in ring)
        assert polygons[f["id"]].is_valid, f["id"]
        assert polygons[f["id"]].exterior.is_ccw, f["id"]  # RFC 7946: exterior counter-clockwise
    area = polygons.pop("area")
    assert area.contains(centre)
    lon_span_m = (area.bounds[2] - area.bounds[0]) / 2 * 111_320 * 0.8118  # cos 35.7°
    assert lon_span_m == pytest.approx(ina.area.radius_m, rel=0.01)
    districts = shapely.union_all(list(polygons.values()))
    assert districts.symmetric_difference(area).area < 1e-9 * area.area + 1e-12
    assert sum(p.area for p in polygons.values()) == pytest.approx(area.area, rel=1e-6)
    names = {f["id"]: f["properties"]["stop_name"] for f in features}
    d = Districts(ina.area.centre, ina.area.district_rings_m, ina.area.district_sectors)
    assert sorted(names[k] for k in polygons) == sorted(d.names())
    centre_zone = next(k for k, p in polygons.items() if p.contains(centre))
    assert names[centre_zone] == "中心市街地"
    for k, p in polygons.items():  # each zone is where the fairness tables put its points
        assert d.of(p.representative_point().coords[0]) == names[k]


def test_the_booking_rule_is_the_spec_s(ina):
    (rule,) = _rows(flex_files(ina, MONDAY, SUNDAY), "booking_rules.txt")
    assert rule["booking_rule_id"] == "phone"
    assert rule["booking_type"] == "1"  # same day, with notice
    assert rule["prior_notice_duration_min"] == str(ina.booking.min_lead_min) == "30"
    assert (rule["prior_notice_start_day"], rule["prior_notice_start_time"]) == ("0", "08:30:00")
    assert rule["phone_number"] == ina.booking.phone
    assert rule["message"].index("電話") < rule["message"].index("Book by phone")
    assert "30分前" in rule["message"] and "30 minutes" in rule["message"]


def test_stop_times_pick_up_in_a_district_and_set_down_in_the_area(ina):
    files = flex_files(ina, MONDAY, SUNDAY)
    rows = _rows(files, "stop_times.txt")
    assert {(r["start_pickup_drop_off_window"], r["end_pickup_drop_off_window"]) for r in rows} == {
        ("09:00:00", "15:00:00")
    }
    assert "arrival_time" not in rows[0] and "stop_id" not in rows[0]
    pickups = [r for r in rows if r["stop_sequence"] == "1"]
    drop_offs = [r for r in rows if r["stop_sequence"] == "2"]
    assert {
        (r["pickup_type"], r["drop_off_type"], r["pickup_booking_rule_id"]) for r in pickups
    } == {("2", "1", "phone")}
    assert {(r["location_id"], r["pickup_type"], r["drop_off_type"]) for r in drop_offs} == {
        ("area", "1", "2")
    }
    assert {r["drop_off_booking_rule_id"] for r in drop_offs} == {"phone"}
    assert sorted(r["trip_id"] for r in pickups) == sorted(
        t["trip_id"] for t in _rows(files, "trips.txt")
    )


def test_service_after_midnight_and_the_calendar_follow_the_spec():
    spec = _spec(service={"start": "09:00", "end": "25:30", "days": ["fri", "sat"]})
    files = flex_files(spec, date(2027, 4, 2), date(2027, 4, 30))
    windows = {
        (r["start_pickup_drop_off_window"], r["end_pickup_drop_off_window"])
        for r in _rows(files, "stop_times.txt")
    }
    assert windows == {("09:00:00", "25:30:00")}
    (cal,) = _rows(files, "calendar.txt")
    days = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
    assert [cal[d] for d in days] == ["0", "0", "0", "0", "1", "1", "0"]
    assert (cal["start_date"], cal["end_date"]) == ("20270402", "20270430")


def test_public_holidays_are_closed_unless_the_spec_runs_on_them():
    service = {"start": "09:00", "end": "15:00", "days": ["mon", "tue", "wed", "thu", "fri"]}
    files = flex_files(_spec(service=service), date(2027, 4, 26), date(2027, 5, 9))
    closed = [
        (r["service_id"], r["date"], r["exception_type"])
        for r in _rows(files, "calendar_dates.txt")
    ]
    # 昭和の日 (Thu), 憲法記念日, みどりの日, こどもの日 (Mon-Wed)
    assert closed == [("service", d, "2") for d in ("20270429", "20270503", "20270504", "20270505")]
    files = flex_files(
        _spec(service={**service, "holidays": "run"}), date(2027, 4, 26), date(2027, 5, 9)
    )
    assert "calendar_dates.txt" not in files
    # a weekend-only service has no holiday to close in that fortnight
    weekend = {**service, "days": ["sat", "sun"]}
    assert "calendar_dates.txt" not in flex_files(
        _spec(service=weekend), date(2027, 4, 26), date(2027, 5, 9)
    )
    assert flex_files(  # Golden Week alone has a service day when holidays run
        _spec(service={**service, "holidays": "run"}), date(2027, 5, 3), date(2027, 5, 5)
    )


def test_an_unknown_holiday_rule_is_refused():
    with pytest.raises(ValidationError, match=r"service\.holidays"):
        _spec(service={"start": "09:00", "end": "15:00", "holidays": "sometimes"})


# -- bad input ----------------------------------------------------------------------------


def test_a_spec_without_service_hours_is_refused():
    with pytest.raises(InputError, match=r"service\.start, service\.end: a published feed"):
        flex_files(_spec(service=None), MONDAY, SUNDAY)
    with pytest.raises(InputError, match=r"service\.start"):
        flex_files(_spec(service={"end": "15:00"}), MONDAY, SUNDAY)


def test_everything_missing_for_a_public_feed_is_listed_at_once():
    data = _ina_data()
    data["area"].pop("radius_m")
    data["booking"].pop("phone")
    data.pop("agency")
    with pytest.raises(InputError) as info:
        flex_files(build_spec(data, INA.spec_path.parent), MONDAY, SUNDAY)
    for key in ("area.radius_m", "booking.phone", "agency.url"):
        assert key in str(info.value)


@pytest.mark.parametrize(
    ("start", "end", "words"),
    [
        (SUNDAY, MONDAY, "end date 2027-04-05 is before start date 2028-04-02"),
        (
            date(2027, 4, 3),
            date(2027, 4, 4),
            "no service day (mon, tue, wed, thu, fri, 祝日運休 closed on public holidays)",
        ),
        (date(2027, 5, 3), date(2027, 5, 5), "no service day"),  # Golden Week
    ],
)
def test_dates_without_service_are_refused(ina, start, end, words):
    with pytest.raises(InputError) as info:
        flex_files(ina, start, end)
    assert words in str(info.value)


def test_the_output_must_be_a_writable_zip(ina, tmp_path):
    with pytest.raises(InputError, match=r"name it ….zip$"):
        write_flex(ina, tmp_path / "feed.txt", MONDAY, SUNDAY)
    with pytest.raises(InputError, match="does not exist"):
        write_flex(ina, tmp_path / "nowhere" / "feed.zip", MONDAY, SUNDAY)
    a_file = tmp_path / "file"
    a_file.write_text("")
    with pytest.raises(InputError, match="is not a folder"):
        write_flex(ina, a_file / "feed.zip", MONDAY, SUNDAY)
    with pytest.raises(InputError, match="cannot write the feed in /proc"):
        write_flex(ina, Path("/proc/noriai-flex.zip"), MONDAY, SUNDAY)  # even root cannot
    assert list(tmp_path.iterdir()) == [a_file]  # nothing half-written left behind


# -- the command --------------------------------------------------------------------------


def test_the_command_writes_the_feed(tmp_path):
    out = tmp_path / "ina.zip"
    result = runner.invoke(
        app,
        [
            "transit",
            "export-flex",
            str(INA.spec_path),
            str(out),
            "--start",
            "2027-04-05",
            "--end",
            "2028-04-02",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "2027-04-05" in result.output and out.is_file()
    with zipfile.ZipFile(out) as z:
        assert "20280402" in z.read("calendar.txt").decode()


def test_the_command_defaults_to_a_year_from_today(tmp_path):
    out = tmp_path / "ina.zip"
    result = runner.invoke(app, ["transit", "export-flex", str(INA.spec_path), str(out)])
    assert result.exit_code == 0, result.output
    (cal,) = csv.DictReader(io.StringIO(zipfile.ZipFile(out).read("calendar.txt").decode()))
    first, last = date.fromisoformat(cal["start_date"]), date.fromisoformat(cal["end_date"])
    assert (last - first).days == 364


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--start", "2027-04-05", "--end", "2027-04-01"], "is before start date"),
        (["--start", "2027-02-30"], "--start: '2027-02-30' is not a date"),
        (["--end", "soon"], "--end: 'soon' is not a date"),
    ],
)
def test_the_command_refuses_bad_dates_with_exit_2(tmp_path, args, words):
    result = runner.invoke(
        app, ["transit", "export-flex", str(INA.spec_path), str(tmp_path / "x.zip"), *args]
    )
    assert result.exit_code == 2
    assert words in " ".join(result.output.split()) and "Traceback" not in result.output


def test_the_command_help_is_bilingual():
    result = runner.invoke(app, ["transit", "export-flex", "--help"])
    text = " ".join(result.output.split())
    for phrase in ("GTFS-Flex", "乗換案内", "--start", "--end", "掲載開始日"):
        assert phrase in text, phrase
