"""Speed table, maxspeed parsing and travel-time rounding."""

from __future__ import annotations

import pytest

from routing.errors import InputError
from routing.speeds import DEFAULT_KMH, SpeedTable, parse_maxspeed, round_half_up, whole_seconds


@pytest.mark.parametrize(
    ("value", "kmh"),
    [
        ("40", 40.0),
        ("40 km/h", 40.0),
        ("40km/h", 40.0),
        (" 50 kph ", 50.0),
        ("30 mph", pytest.approx(48.28032)),
        (60, 60.0),
        (45.5, 45.5),
        ("40;50", 40.0),
        ("50;30", 30.0),
        (["40", "50"], 40.0),
        ("['40', '50']", 40.0),
        ("['none', '30']", 30.0),
        ("JP:urban", None),
        ("JP:nsl", None),
        ("none", None),
        ("walk", None),
        ("signals", None),
        ("", None),
        ("fast", None),
        ("0", None),
        ("-20", None),
        ("999", None),
        (float("nan"), None),
        (None, None),
        (True, None),
        ("[broken", None),
    ],
)
def test_parse_maxspeed(value, kmh):
    assert parse_maxspeed(value) == kmh


def test_defaults_are_japanese_urban_speeds():
    table = SpeedTable()
    assert table.factor == 0.9
    assert DEFAULT_KMH["residential"] == 30 and DEFAULT_KMH["motorway"] == 80
    assert table.class_kmh("living_street") == 20
    assert table.class_kmh("bridleway") == table.fallback_kmh == 30


def test_maxspeed_wins_over_class_and_factor_applies():
    table = SpeedTable(factor=0.5)
    assert table.edge_kmh("residential") == 15.0
    assert table.edge_kmh("residential", "60") == 30.0
    assert table.edge_kmh("residential", "JP:zone30") == 15.0


def test_lists_of_classes_take_the_slowest():
    table = SpeedTable(factor=1.0)
    assert table.class_kmh(["primary", "residential"]) == 30.0
    assert table.class_kmh("['tertiary', 'living_street']") == 20.0
    assert table.slowest_class(["primary", "service"]) == "service"


def test_travel_time_seconds():
    table = SpeedTable(factor=1.0)
    assert table.travel_time_s(300.0, "residential") == pytest.approx(36.0)  # 300 m at 30 km/h
    assert table.travel_time_s(700.0, "tertiary", "60") == pytest.approx(42.0)


def test_with_overrides_returns_a_new_table():
    base = SpeedTable()
    slow = base.with_overrides({"residential": 20}, factor=0.8)
    assert slow.class_kmh("residential") == 20.0 and slow.factor == 0.8
    assert base.class_kmh("residential") == 30.0 and base.factor == 0.9
    with pytest.raises(TypeError):
        slow.kmh["residential"] = 10  # read-only mapping


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"factor": 0}, "factor"),
        ({"factor": 3.0}, "factor"),
        ({"kmh": {"residential": -5}}, "kmh['residential']"),
        ({"kmh": {"residential": "fast"}}, "kmh['residential']"),
        ({"fallback_kmh": 0}, "fallback_kmh"),
    ],
)
def test_invalid_tables_name_the_field(kwargs, field):
    with pytest.raises(InputError, match=field.replace("[", r"\[")):
        SpeedTable(**kwargs)


def test_rounding_is_half_up_and_at_least_one_second():
    assert [round_half_up(x) for x in (0.5, 1.5, 2.5, 2.49)] == [1, 2, 3, 2]
    assert whole_seconds(0.2) == 1
    assert whole_seconds(35.5) == 36
