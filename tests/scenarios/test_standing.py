"""Standing demand (定期予約) in the simulation: the same riders every week, from the seed."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from pydantic import ValidationError

from routing.errors import InputError
from scenarios.standing import StandingPurpose, StandingSpec, standing_calls, standing_riders
from scenarios.tables import Poi

H = 3600
POIS = [
    Poi("中央病院", "hospital", 139.420, 35.705),
    Poi("東公民館", "community_hall", 139.430, 35.710, 2.0),
    Poi("西公民館", "community_hall", 139.400, 35.700),
    Poi("スーパー", "supermarket", 139.403, 35.701),
]
HOMES = [(139.40 + 0.001 * i, 35.69 + 0.0005 * i) for i in range(40)]
MON = date(2025, 6, 2)  # a week with no public holiday
WEEK = [MON + timedelta(days=i) for i in range(7)]


def riders(spec: StandingSpec | None = None, *, seed: int = 7, rides: float = 80):
    return standing_riders(spec or StandingSpec(), HOMES, POIS, rides_per_day=rides, seed=seed)


def test_the_same_seed_gives_the_same_riders_and_calls():
    assert riders() == riders()
    assert standing_calls(StandingSpec(), riders(), WEEK[1]) == standing_calls(
        StandingSpec(), riders(), WEEK[1]
    )
    assert riders(seed=8) != riders()


def test_dialysis_on_tuesdays_and_fridays_there_by_nine_home_four_hours_later():
    spec = StandingSpec(purposes={"dialysis": StandingSpec().purposes["dialysis"]})
    town = riders(spec)
    tuesday = standing_calls(spec, town, WEEK[1])
    assert len(tuesday) == 2 * len(town) > 0
    out = [c for c in tuesday if c.arrive_by is not None]
    back = [c for c in tuesday if c.depart_at is not None]
    assert {c.arrive_by for c in out} == {9 * H} and {c.depart_at for c in back} == {13 * H}
    assert {c.destination for c in out} == {(139.420, 35.705)}
    assert all(c.origin == c.home for c in out) and all(c.destination == c.home for c in back)
    assert sorted(c.outing for c in out) == sorted(c.outing for c in back)
    assert all(c.booked_at == -24 * H + 18 * H for c in tuesday)  # the evening before
    assert [c.request_id for c in tuesday] == [f"S{i + 1:04d}" for i in range(len(tuesday))]
    assert [c.asked_time for c in tuesday] == sorted(c.asked_time for c in tuesday)
    for day in (WEEK[0], WEEK[2], WEEK[3], WEEK[5], WEEK[6]):
        assert standing_calls(spec, town, day) == []
    assert len(standing_calls(spec, town, WEEK[4])) == len(tuesday)


def test_the_share_of_a_service_day_is_kept_on_average():
    spec = StandingSpec(share=0.2)
    week = sum(len(standing_calls(spec, riders(spec, rides=400), d)) for d in WEEK[:5])
    assert 0.75 * 80 <= week / 5 <= 1.25 * 80  # 0.2 x 400 rides a day
    assert riders(StandingSpec(share=0.0)) == []


def test_public_holidays_are_skipped_when_asked():
    holiday = date(2025, 9, 15)  # Monday, 敬老の日: no day care
    assert standing_calls(StandingSpec(), riders(), holiday) == []
    keep = StandingSpec(skip_holidays=False)
    assert standing_calls(keep, riders(keep), holiday) != []


def test_bad_specs_name_the_problem():
    with pytest.raises(ValidationError, match="exactly one of arrive_by and depart_at"):
        StandingPurpose(category="hospital", weekdays=("tue",), arrive_by="09:00", depart_at=0)
    with pytest.raises(ValidationError):
        StandingPurpose(category="hospital", weekdays=(), arrive_by="09:00")
    with pytest.raises(ValidationError):
        StandingSpec(share=1.5)
    odd = StandingSpec(
        purposes={"gym": StandingPurpose(category="gym", weekdays=("mon",), depart_at="10:00")}
    )
    with pytest.raises(InputError, match="no place of category 'gym'"):
        riders(odd)
    with pytest.raises(InputError, match="no homes"):
        standing_riders(StandingSpec(), [], POIS, rides_per_day=80, seed=1)
