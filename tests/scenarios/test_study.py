"""The Ina study: reading the answer from a sweep (hand-checkable tables), the report
sections, and the shipped variants table."""

from __future__ import annotations

import re

import pytest

from routing.errors import InputError
from scenarios.report import write_report
from scenarios.study import (
    INA,
    SAVINGS_KPIS,
    WITHIN_PROMISE,
    answer,
    comparison_table,
    report_answer,
    sections,
)
from scenarios.sweep import SweepRow, SweepTable, read_variants
from tests.scenarios.days import make_day

FLEET, POOL = INA.fleet_key, INA.pooling_key


def table(pooled: dict[int, float], unpooled: dict[int, float], spread: float = 0.01) -> SweepTable:
    """Two seeds per (fleet, pooling), their mean share as given (± spread); vehicle
    hours 7.5 per vehicle, km 60 per vehicle (pooled) or 70 (unpooled), ¥ per trip."""
    rows = []
    for pooling, shares in ((True, pooled), (False, unpooled)):
        for n, share in shares.items():
            name = f"fleet-{n:02d}-{'pool' if pooling else 'solo'}"
            for seed, d in ((0, -spread), (1, spread)):
                kpis = {
                    WITHIN_PROMISE: share + d,
                    "served_share": min(1.0, share + 0.03),
                    "vehicle_hours": 7.5 * n,
                    "vehicle_km": (60.0 if pooling else 70.0) * n,
                    "cost_per_trip_yen": 300.0 * n,
                }
                rows.append(SweepRow(name, seed, {FLEET: n, POOL: pooling}, kpis))
    return SweepTable("ina", (FLEET, POOL), rows)


POOLED = {4: 0.80, 5: 0.93, 6: 0.96, 7: 0.95, 8: 0.99}
UNPOOLED = {4: 0.70, 5: 0.85, 6: 0.90, 7: 0.94, 8: 0.97}


def test_fleet_needed_and_savings_at_the_same_service_level():
    ans = answer(table(POOLED, UNPOOLED))
    assert (ans.pooled.vehicles, ans.unpooled.vehicles) == (6, 8)
    assert ans.pooled.share == pytest.approx(0.96)
    assert ans.pooled.worst_seed == pytest.approx(0.95)
    assert ans.seeds == (0, 1)
    assert ans.compared == ("fleet-06-pool", "fleet-08-solo") and ans.same_level
    saved = {s.kpi: s for s in ans.savings}
    assert set(saved) == set(SAVINGS_KPIS)
    assert saved["vehicle_hours"].saved == pytest.approx(15.0)  # 60 h - 45 h
    assert saved["vehicle_hours"].saved_share == pytest.approx(0.25)
    assert saved["vehicle_km"].saved == pytest.approx(560 - 360)
    ja, en = ans.sentence()
    assert ja == "95%以上を約束時間内に運ぶには 6台必要（相乗りあり）、相乗りなしでは 8台。"
    assert en.startswith("6 vehicles keep 95% or more")


def test_a_lucky_small_fleet_does_not_decide():
    """5 vehicles meet the target but 6 do not: the answer is 7, not 5."""
    ans = answer(table({4: 0.9, 5: 0.96, 6: 0.94, 7: 0.97, 8: 0.98}, UNPOOLED))
    assert ans.pooled.vehicles == 7


def test_unpooled_never_meets_the_target_compare_at_the_same_fleet():
    ans = answer(table(POOLED, {n: 0.6 + n / 100 for n in POOLED}))
    assert ans.unpooled.vehicles is None and ans.unpooled.best_share == pytest.approx(0.68)
    assert ans.compared == ("fleet-06-pool", "fleet-06-solo") and not ans.same_level
    assert {s.kpi: s.saved for s in ans.savings}["vehicle_hours"] == pytest.approx(0.0)
    ja, _ = ans.sentence()
    assert "相乗りなしでは 8台でも68.0%に留まります" in ja


def test_pooled_never_meets_the_target():
    ans = answer(table({n: 0.5 for n in POOLED}, {n: 0.4 for n in POOLED}))
    assert ans.pooled.vehicles is None and ans.compared is None and ans.savings == ()
    ja, en = ans.sentence()
    assert "8台（相乗りあり）でも約束時間内は50.0%で、95%に届きません" in ja
    assert "Even 8 vehicles" in en


def test_failed_rows_are_ignored_and_a_missing_side_is_an_error():
    t = table(POOLED, UNPOOLED)
    t.rows.append(SweepRow("fleet-09-pool", 0, {FLEET: 9, POOL: True}, error="boom"))
    assert answer(t).pooled.vehicles == 6  # 9 never ran: not counted as failing the target
    with pytest.raises(InputError, match=r"dispatch\.pooling=False"):
        answer(table(POOLED, {}))


def test_sections_in_the_report(tmp_path):
    t = table(POOLED, UNPOOLED)
    t.results.extend(
        [make_day("fleet-06-pool", 0, vehicles=3), make_day("fleet-08-solo", 0, vehicles=4)]
    )
    ans = answer(t)
    secs = sections(t, ans)
    assert [s.title_en for s in secs] == [
        "How the answer was read",
        "What pooling saves",
        "By fleet size",
    ]
    opening = report_answer(t, ans)
    assert opening.figures[0].png[:4] == b"\x89PNG"
    hours = next(s for s in ans.savings if s.kpi == "vehicle_hours")
    assert opening.answer[0] == (
        f"{ans.sentence()[0]}相乗りで車両時間は {hours.saved_share:.0%} 減ります。"
    )
    html = write_report(
        tmp_path, t.results, t, title="ina", sections=secs, answer=opening
    ).read_text(encoding="utf-8")
    assert 'class="answer">95%以上を約束時間内に運ぶには 6台必要' in html
    assert html.index('class="answer"') < html.index("study_fleet_within_promise.png")
    assert html.index("study_fleet_within_promise.png") < html.index("答えの根拠")
    assert "fleet_within_promise_share.png" not in html  # the study's curve stands for it
    assert "同じサービス水準" in html
    assert (tmp_path / "figures" / "study_fleet_within_promise.png").stat().st_size > 15_000
    rows = comparison_table(t).rows
    assert [r[0] for r in rows] == ["4", "5", "6", "7", "8"]
    assert rows[2][1:3] == ("96.0 %", "90.0 %")  # within promise at 6 vehicles: pooled, not
    assert re.search(r"削減率 %</th>", html)


def test_shipped_ina_variants_sweep_fleet_and_pooling():
    variants = read_variants(INA.variants_path)
    combos = {(v.overrides[FLEET], v.overrides[POOL]) for v in variants}
    sizes = sorted({n for n, _ in combos})
    assert sizes[0] <= 4 and sizes[-1] >= 12
    assert combos == {(n, p) for n in sizes for p in (True, False)}
    assert all(set(v.overrides) == {FLEET, POOL} for v in variants)


def test_the_hand_over_section_compares_door_halls_and_drones():
    from scenarios.study import HAND_OVER_KPIS, hand_over_section

    rows = []
    for name, km, flown in (("door", 400.0, 0.0), ("halls", 390.0, 0.0), ("drones", 380.0, 2.0)):
        for seed, d in ((0, -1.0), (1, 1.0)):
            kpis = dict.fromkeys(HAND_OVER_KPIS, 1.0)
            kpis |= {"vehicle_km": km + d, "co2_kg": km / 10, "orders_flown": flown}
            rows.append(SweepRow(name, seed, {"deliveries.hall_share": 0.1}, kpis))
    section = hand_over_section(SweepTable("ina", ("deliveries.hall_share",), rows), 7)
    (tbl,) = section.tables
    assert tbl.header[2:] == ("door", "halls", "drones")
    km_row = next(r for r in tbl.rows if r[1] == "vehicle km")
    assert km_row[2:] == ("400", "390", "380")
    (ja, en), _ = section.paragraphs
    assert "20.0 km（5.0%）" in ja and "by 20.0 km (5.0%)" in en and "7 vehicles" in en


def test_shipped_hand_over_variants_parse_and_apply():
    from scenarios.spec import load_spec

    base = load_spec(INA.spec_path)
    variants = read_variants(INA.hand_over_path)
    assert [v.name for v in variants] == ["door", "halls", "halls-drones"]
    specs = {v.name: base.with_overrides(v.overrides) for v in variants}
    assert not specs["door"].drones.fleet and not specs["door"].deliveries.hall_districts
    assert not specs["halls"].drones.fleet and specs["halls"].deliveries.hall_districts
    assert specs["halls-drones"].drones.fleet == base.drones.fleet
