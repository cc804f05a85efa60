"""A day's locations: append-only, one index per place or road point, nearest within metres."""

from __future__ import annotations

from api.live.locations import DayLocation, DayLocations, ground_m


def loc(
    edge: int, fraction: float, lon: float, lat: float, place_id: int | None = None
) -> DayLocation:
    return DayLocation(edge, fraction, lon, lat, 1.0, place_id, "")


def test_places_and_points_get_one_index_each():
    day = DayLocations()
    assert day.add(loc(3, 0.5, 139.41, 35.70, place_id=7)) == 0
    assert day.add(loc(3, 0.5, 139.41, 35.70, place_id=7)) == 0  # the same place
    assert day.add(loc(3, 0.5, 139.41, 35.70)) == 0  # a point where the place is
    assert day.add(loc(3, 0.5, 139.41, 35.70, place_id=8)) == 1  # another place there: its own row
    assert day.add(loc(4, 0.1, 139.42, 35.71)) == 2
    assert day.of_place(7) == 0 and day.of_place(8) == 1 and day.of_place(9) is None
    assert len(day) == 3


def test_round_trip_keeps_order_and_floats():
    day = DayLocations([loc(1, 0.123456789012345, 139.4, 35.7, 2), loc(2, 1.0, 139.5, 35.8)])
    again = DayLocations.from_plain(day.to_plain())
    assert again.to_plain() == day.to_plain() and again.points() == day.points()


def test_nearest_within_metres():
    day = DayLocations([loc(1, 0.5, 139.4000, 35.7000), loc(2, 0.5, 139.4100, 35.7000)])
    assert day.nearest(139.40001, 35.70001, 30) == 0
    assert day.nearest(139.4050, 35.7000, 30) is None
    assert 890 < ground_m(139.40, 35.70, 139.41, 35.70) < 920
