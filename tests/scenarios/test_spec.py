"""The scenario spec: the shipped Ina weekday, clock times, and every way a planner's
file can be wrong (each reported with its key path, all at once)."""

from __future__ import annotations

import pickle
import tomllib

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from api.cli import app
from dispatch.noise import NoiseConfig
from routing.errors import InputError
from scenarios.cli import spec_errors
from scenarios.spec import build_spec, error_lines, format_clock, load_spec, parse_clock
from scenarios.study import INA
from tests.scenarios.tiny import TINY, write_tiny

runner = CliRunner()


def test_the_shipped_ina_weekday():
    spec = load_spec(INA.spec_path)
    assert spec.name == "ina-weekday"
    assert (spec.service.start, spec.service.end) == (9 * 3600, 15 * 3600)
    assert spec.booking.opens == 8 * 3600 + 1800
    assert spec.dispatch.order_cutoff == 11 * 3600 and spec.dispatch.pooling
    assert spec.fleet.size == 12 and len(spec.fleet.chosen()) == 13  # + the clinic car
    assert spec.fleet.chosen()[-1].type == "clinic_car" and len(spec.halls) == 3
    assert sum(g.wheelchairs > 0 for g in spec.fleet.chosen()) == 1
    assert (spec.fares.ride_yen, spec.fares.reduced_yen) == (500, 250)
    assert 85 <= spec.demand.rides_per_day <= 90
    assert {p.category for p in spec.pois} >= set(spec.demand.purposes) | {"supermarket"}
    assert "Tachikawa" in spec.map.note


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("09:30", 34200), ("9:05", 32700), ("08:30:15", 30615), ("-1 17:00", -25200), (600, 600)],
)
def test_parse_clock(text, seconds):
    assert parse_clock(text) == seconds


@pytest.mark.parametrize("text", ["9.30", "25:61", "nine", "", True, 9.5])
def test_parse_clock_refuses(text):
    with pytest.raises(ValueError, match="clock time"):
        parse_clock(text)


def test_format_clock_round_trips():
    for t in (0, 34200, -25200, 86399):
        assert parse_clock(format_clock(t)) == t // 60 * 60


def _errors(tmp_path, town, old: str, new: str) -> list[str]:
    assert old in TINY, old
    path = write_tiny(tmp_path, town, TINY.replace(old, new))
    spec, errors = spec_errors(path)
    assert spec is None
    return errors


def _one(errors: list[str], key: str) -> str:
    hits = [e for e in errors if e.startswith(f"{key}:")]
    assert hits, f"no error at {key}: {errors}"
    return hits[0]


def test_unknown_keys_are_named_with_a_hint(tmp_path, town):
    errors = _errors(
        tmp_path,
        town,
        'seed = 0\ntime_step_s = 120\n\n[map]\ngraph = "{graph}"\n',
        'seed = 0\ntime_step = 120\n\n[map]\ngraph = "{graph}"\nspeed = 1.0\n',
    )
    assert "did you mean 'time_step_s'" in _one(errors, "time_step")
    assert "unknown key" in _one(errors, "map.speed")
    errors = _errors(tmp_path, town, "seats = 3\n", "seets = 3\n")
    assert "did you mean 'seats'" in _one(errors, "fleet.vehicles.0.seets")


def test_every_field_problem_is_listed_at_once(tmp_path, town):
    errors = _errors(
        tmp_path,
        town,
        'name = "tiny"\nseed = 0\n',
        'name = "two words"\nseed = -3\n',
    )
    _one(errors, "name")
    assert _one(errors, "seed") == "seed: Input should be greater than or equal to 0 (got -3)"
    errors = _errors(
        tmp_path, town, 'start = "09:00"\nend = "11:00"', 'start = "9h"\nend = "11:00"'
    )
    assert "clock time" in _one(errors, "service.start")


@pytest.mark.parametrize(
    ("old", "new", "key", "words"),
    [
        ("size = 2\n", "size = 9\n", "fleet.size", "lists only 3"),
        ('end = "11:00"\n\n[booking]', 'end = "08:00"\n\n[booking]', "service.end", "after"),
        (
            'shift = ["08:45", "11:45"]\nbreaks',
            'shift = ["06:00", "08:00"]\nbreaks',
            "fleet.vehicles.0.shift",
            "does not overlap",
        ),
        (
            'start = "09:45", end = "10:30"',
            'start = "07:00", end = "07:30"',
            "fleet.vehicles.0.breaks.0",
            "fit",
        ),
        (
            "count = 1\nseats = 3\nwheelchairs = 1",
            "count = 1\nseats = 3\nwheelchairs = 0",
            "fleet.vehicles",
            "wheelchair place",
        ),
        (
            'type = "van"\n',
            'type = "van"\ndepot = "garage"\n',
            "fleet.vehicles.0.depot",
            "no depot",
        ),
        (
            "hospital = 0.4\n",
            "hospital = 0.4\nmuseum = 0.1\n",
            "demand.purposes.museum",
            "no point",
        ),
        ('"10:00" = 1.0', '"13:00" = 1.0', "demand.profile.13:00", "outside the service"),
        ('opens = "08:30"\nmin', 'opens = "09:30"\nmin', "booking.opens", "open by"),
    ],
)
def test_checks_across_sections_name_the_key(tmp_path, town, old, new, key, words):
    assert words in _one(_errors(tmp_path, town, old, new), key)


def test_empty_demand_is_refused(tmp_path, town):
    errors = _errors(
        tmp_path,
        town,
        "rides_per_day = 12\ndeliveries_per_day = 2\n",
        "rides_per_day = 0\ndeliveries_per_day = 0\n",
    )
    assert "nothing to simulate" in _one(errors, "demand")


def test_bad_toml_and_bad_poi_rows(tmp_path, town):
    path = write_tiny(tmp_path, town, TINY.replace("[service]", "[service"))
    _, errors = spec_errors(path)
    assert errors[0].startswith(f"{path}: not valid TOML")
    path = write_tiny(tmp_path, town)
    (tmp_path / "pois.csv").write_text(
        "name,category,lon,lat\nok,hospital,139.41,35.70\nbad,clinic,east,35.70\n"
        "far,clinic,139.41,95\n",
        encoding="utf-8",
    )
    _, errors = spec_errors(path)
    text = "\n".join(errors)
    assert "pois.csv line 3: lon 'east' is not a number" in text
    assert "pois.csv line 4: lat 95 is not a latitude" in text


def test_validate_command_exit_2_lists_every_problem(tmp_path, town):
    path = write_tiny(
        tmp_path, town, TINY.replace("size = 2\n", "size = 9\n").replace("seats = 3", "seets = 3")
    )
    result = runner.invoke(app, ["scenario", "validate", str(path)])
    assert result.exit_code == 2
    assert "fleet.vehicles.0.seets" in result.output and "Traceback" not in result.output
    good = write_tiny(tmp_path / "ok", town)
    result = runner.invoke(app, ["scenario", "validate", str(good)])
    assert result.exit_code == 0 and "OK" in result.output


def test_with_overrides_checks_like_a_file(tiny):
    six = tiny.with_overrides({"fleet.size": 3, "dispatch.pooling": False})
    assert (six.fleet.size, six.dispatch.pooling) == (3, False)
    assert six.pois == tiny.pois and six.base_dir == tiny.base_dir  # tables carried over
    assert tiny.fleet.size == 2  # the base is unchanged
    with pytest.raises(
        InputError, match=r"fleet\.sise: no such setting in fleet \(did you mean fleet\.size\?\)"
    ):
        tiny.with_overrides({"fleet.sise": 3})
    with pytest.raises(InputError, match=r"fleet\.size: 9 vehicles asked for"):
        tiny.with_overrides({"fleet.size": 9})
    with pytest.raises(InputError, match=r"dispatch\.pickup_window_min"):
        tiny.with_overrides({"dispatch.pickup_window_min": 0})
    assert tiny.with_overrides({"demand.purposes.hospital": 0.9}).demand.purposes["hospital"] == 0.9
    with pytest.raises(InputError, match="single value"):
        tiny.with_overrides({"seed.x": 1})


def test_a_spec_travels_to_workers_with_its_tables(tiny):
    copy = pickle.loads(pickle.dumps(tiny))
    assert copy == tiny and copy.pois == tiny.pois and copy.base_dir == tiny.base_dir


# a format string (tiny.write_tiny): braces doubled
TRANSIT_BAD = """
[transit]
serve = "mix"
feed = "no-such-feed.zip"
retime = {{ "1" = 0 }}
run_hours = {{ "1" = [["10:00", "09:00"]] }}
lines = {{ keep = ["1", "2"], cut = ["2"] }}

[transit.mix]
on_demand_hours = [["15:00", "09:00"]]
feeder_districts = ["山奥"]

[[review.options]]
name = "a"
set = {{ "review.options" = [] }}

[[review.options]]
name = "a"
"""


def test_transit_problems_are_named_by_key(tmp_path, town):
    path = write_tiny(tmp_path, town, TINY + TRANSIT_BAD)
    _spec, errors = spec_errors(path)
    text = "\n".join(errors)
    for words in (
        "transit.feed: ",
        "does not exist",
        "transit: give exactly one of service_date and weekday",
        "transit.lines: lines both kept and cut: 2",
        "transit.retime.1: headway must be 1..600 minutes",
        "transit.run_hours.1.0: must end after it starts",
        "transit.mix.on_demand_hours.0: must end after it starts",
        "transit.mix.feeder_districts.0: no district '山奥'",
        "transit.mix.hub: feeders need a hub stop",
        "review.options.0.set: an option cannot change the review",
        "review.options: option names must be unique",
    ):
        assert words in text, (words, text)


def test_buses_need_a_feed_and_a_good_spec_loads(tmp_path, town):
    path = write_tiny(tmp_path, town, TINY + '\n[transit]\nserve = "fixed"\n')
    _spec, errors = spec_errors(path)
    assert errors == ["transit.feed: needed when transit.serve is 'fixed'"]
    good = TINY + (
        '\n[transit]\nserve = "mix"\nfeed = "."\nweekday = "mon"\n'
        '[transit.mix]\nfeeder_districts = ["北部"]\nhub = "S0"\n'
    )
    spec = load_spec(write_tiny(tmp_path, town, good))
    assert spec.feed_path() == tmp_path.resolve()
    assert spec.transit.walk_kmh == 3.0 and spec.transit.max_walk_m == 500
    assert spec.with_overrides({"transit.serve": "drt"}).transit.serve == "drt"


def test_the_ina_weekday_says_how_it_is_published():
    spec = load_spec(INA.spec_path)
    assert spec.service.days == ("mon", "tue", "wed", "thu", "fri")
    assert spec.booking.phone and spec.agency.url.startswith("https://")
    assert spec.agency.timezone == "Asia/Tokyo"


@pytest.mark.parametrize(
    ("section", "key", "value", "loc", "words"),
    [
        ("service", "days", ["mon", "mon"], "service.days", "listed once"),
        ("service", "days", ["monday"], "service.days.0", "'mon'"),
        ("service", "days", [], "service.days", "at least 1"),
        ("booking", "phone", "call the office", "booking.phone", "should match pattern"),
        ("agency", "url", "www.inacity.jp", "agency.url", "should match pattern"),
        ("agency", "timezone", "Asia/Ina", "agency.timezone", "not a time zone"),
    ],
)
def test_publishing_fields_are_checked(section, key, value, loc, words):
    data = tomllib.loads(INA.spec_path.read_text(encoding="utf-8"))
    data[section][key] = value
    with pytest.raises(ValidationError) as info:
        build_spec(data, INA.spec_path.parent)
    assert words in _one(error_lines(info.value), loc)


def test_noise_is_off_unless_asked_and_fills_the_model_defaults(tiny):
    assert not tiny.noise.enabled and not tiny.callers.enabled  # old specs keep their figures
    on = tiny.with_overrides({"noise.enabled": True, "noise.rider_late_p": 0.3})
    cfg = on.noise.config()
    assert cfg.rider_late_p == 0.3
    assert cfg == NoiseConfig(rider_late_p=0.3)  # every other key: the model's default
    peaks = tiny.with_overrides({"noise.peak_hours": [[8, 10]]}).noise.config()
    assert peaks.peak_hours == ((8, 10),)


@pytest.mark.parametrize(
    ("key", "value", "words"),
    [
        ("noise.driver_late_p", 1.5, "driver_late_p must be in"),
        ("noise.arterial_kmh", 10, "arterial_kmh"),
        ("noise.forecast_every_min", 0, "noise.forecast_every_min"),
        ("callers.accept_max", 2, "callers.accept_max"),
        ("callers.accept_scale_min", 0, "callers.accept_scale_min"),
    ],
)
def test_noise_and_callers_problems_name_the_key(tiny, key, value, words):
    with pytest.raises(InputError, match=words):
        tiny.with_overrides({key: value})


def test_the_ina_weekday_runs_noisy_days_with_callers():
    spec = load_spec(INA.spec_path)
    assert spec.noise.enabled and spec.callers.enabled and spec.dispatch.serve_late
    assert spec.noise.config() == NoiseConfig()  # the model's defaults, as documented


def test_standing_needs_its_date():
    ina = load_spec(INA.spec_path)
    with pytest.raises(InputError, match=r"standing\.on: needed"):
        ina.with_overrides({"standing": {"share": 0.1}})
