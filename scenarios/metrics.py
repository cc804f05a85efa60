"""KPIs of a simulated day, from its records only (so hand-made days work too).

Service-level shares (served, within the promise, rejected, per district) count every
request except those the rider ended (cancelled, absent): a cancellation is not the
service's failure, and counting it would make a 95 % target unreachable by design.
"Within the promise" means picked up inside the promised window (deliveries: handed
over inside the promised slot).

Vehicle hours are the paid shifts of every running vehicle (a car and driver on call
cost money whether or not they drive); cost = hours x hourly cost + km x per-km cost
+ the fixed daily cost, per vehicle type; cost per trip divides by the requests
served (rides and deliveries). CO2 is km x the type's grams per km.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from dispatch.quote import REJECTION_TEXT, QuoteRejection
from routing.transit.journeys import NO_JOURNEY_TEXT
from scenarios.forecasts import BINS, bin_key
from scenarios.results import DayResult, TripRecord, TripStatus, VehicleRecord

NAN = float("nan")
#: Districts with fewer counted requests than this are left out of the worst / gap KPIs.
MIN_DISTRICT_REQUESTS = 5

#: Refusals the simulation itself makes (before the engine is asked), with their texts.
SIM_REJECTIONS: dict[str, tuple[str, str]] = {
    "outside_service_area": ("運行区域外です", "outside the service area"),
    "invalid_request": ("予約内容に誤りがあります", "the request could not be read"),
    "no_on_demand_service": (
        "デマンド交通の運行がありません",
        "no on-demand service (buses only)",
    ),
    **{r.value: text for r, text in NO_JOURNEY_TEXT.items()},
}
#: How riders were carried (`scenarios.modes`).
MODES: dict[str, tuple[str, str]] = {
    "drt": ("デマンド交通（戸口から戸口）", "on demand, door to door"),
    "fixed": ("路線バス", "fixed-route bus"),
    "feeder": ("デマンド交通でバスに接続", "on-demand feeder to the bus"),
}
REJECTION_REASONS: dict[str, tuple[str, str]] = {
    **{r.value: REJECTION_TEXT[r] for r in QuoteRejection},
    **SIM_REJECTIONS,
}

#: The lateness histogram: (KPI, low, high, label) of pickup − promised window end, in
#: minutes (low excluded, high included; negative: before the window closed).
LATENESS_BINS: tuple[tuple[str, float, float, str], ...] = (
    ("pickup_margin_bin_early_10", -math.inf, -10.0, "≤ −10"),
    ("pickup_margin_bin_early_5", -10.0, -5.0, "−10〜−5"),
    ("pickup_margin_bin_early_0", -5.0, 0.0, "−5〜0"),
    ("pickup_margin_bin_late_2", 0.0, 2.0, "0〜2"),
    ("pickup_margin_bin_late_5", 2.0, 5.0, "2〜5"),
    ("pickup_margin_bin_late_10", 5.0, 10.0, "5〜10"),
    ("pickup_margin_bin_late_more", 10.0, math.inf, "> 10"),
)
#: KPIs that only feed a report table (histogram, reliability bins), not the summary.
TABLE_ONLY_PREFIXES = ("pickup_margin_bin_", "risk_bin")

KPI_LABELS: dict[str, tuple[str, str, str]] = {
    "requests": ("申込み", "requests", "件"),
    "ride_requests": ("乗車の申込み", "ride requests", "件"),
    "delivery_orders": ("宅配の注文", "delivery orders", "件"),
    "served_share": ("運んだ割合", "served", "%"),
    "within_promise_share": ("約束時間内の割合", "within the promised window", "%"),
    "rejected_share": ("お断りの割合", "rejected", "%"),
    "served_rides": ("運んだ乗車", "rides served", "件"),
    "served_deliveries": ("届けた宅配", "deliveries made", "件"),
    "passengers": ("乗客数（同乗者を含む）", "passengers (with companions)", "人"),
    "rejected": ("お断り", "rejected", "件"),
    **{
        f"rejected_{code}": (f"お断り：{ja}", f"rejected: {en}", "件")
        for code, (ja, en) in REJECTION_REASONS.items()
    },
    "cancelled": ("キャンセル", "cancelled by the rider", "件"),
    "no_shows": ("不在（無断キャンセル）", "no-shows", "件"),
    "unserved": ("約束したが運べず", "promised but not carried out", "件"),
    "mean_wait_vs_promise_min": ("お迎え − 約束開始（平均）", "mean pickup − window start", "分"),
    "mean_shift_from_asked_min": (
        "希望時刻とのずれ（平均）",
        "mean shift from the asked time",
        "分",
    ),
    "mean_ride_time_min": ("平均乗車時間", "mean ride time", "分"),
    "mean_detour_ratio": ("平均迂回率", "mean detour (ride / direct time)", "倍"),
    "p95_detour_ratio": ("迂回率（95パーセンタイル）", "detour, 95th percentile", "倍"),
    "shared_ride_share": ("相乗り率", "shared-ride rate", "%"),
    **{f"served_by_{m}": (f"運んだ：{ja}", f"served: {en}", "件") for m, (ja, en) in MODES.items()},
    "mean_door_to_door_min": ("平均所要時間（戸口から戸口）", "mean door-to-door time", "分"),
    "mean_wait_min": (
        "平均待ち時間（希望時刻とのずれ＋乗継ぎ待ち）",
        "mean waiting (shift from the asked time + waits at stops)",
        "分",
    ),
    "mean_walk_m": ("平均歩行距離", "mean walking distance", "m"),
    "feeder_connections_kept": ("接続できたフィーダー", "feeder connections kept", "件"),
    "feeder_connections_missed": ("接続できなかったフィーダー", "feeder connections missed", "件"),
    "feeder_stranded": (
        "乗り継げず運べなかった",
        "stranded after a missed connection (no later bus)",
        "件",
    ),
    "stop_coverage_300m_share": (
        "バス停300m圏の世帯（毎時運行）",
        "homes within 300 m of an hourly stop",
        "%",
    ),
    "stop_coverage_500m_share": (
        "バス停500m圏の世帯（毎時運行）",
        "homes within 500 m of an hourly stop",
        "%",
    ),
    "on_demand_coverage_share": (
        "デマンド交通で行ける世帯",
        "homes reached on demand",
        "%",
    ),
    "coverage_share": (
        "いずれかで行ける世帯（500m圏またはデマンド）",
        "homes covered (500 m of an hourly stop, or on demand)",
        "%",
    ),
    "worst_district_served_share": ("最も低い地区の運んだ割合", "worst district, served", "%"),
    "worst_district_door_to_door_min": (
        "最も時間がかかる地区の平均所要時間",
        "worst district, mean door-to-door time",
        "分",
    ),
    "vehicles": ("車両数", "vehicles", "台"),
    "vehicles_used": ("出動した車両", "vehicles used", "台"),
    "vehicle_hours": ("車両時間（勤務）", "vehicle hours (shifts)", "h"),
    "active_hours": ("稼働時間（車庫を出てから戻るまで）", "hours out of the depot", "h"),
    "vehicle_km": ("走行距離", "vehicle km", "km"),
    "empty_km": ("空車走行距離", "empty km", "km"),
    "empty_km_share": ("空車走行の割合", "empty km share", "%"),
    "passengers_per_vehicle_hour": ("1車両時間あたりの乗客", "passengers per vehicle hour", "人/h"),
    "cost_yen": ("運行費用", "operating cost", "円"),
    "fare_revenue_yen": ("運賃収入", "fare revenue", "円"),
    "cost_per_trip_yen": ("1回あたりの費用", "cost per trip", "円"),
    "net_cost_per_trip_yen": ("1回あたりの負担（運賃差引）", "net cost per trip after fares", "円"),
    "co2_kg": ("CO2排出量（推計）", "CO2 estimate", "kg"),
    "co2_per_passenger_g": ("乗客1人あたりのCO2", "CO2 per passenger", "g"),
    "worst_district_within_promise_share": (
        "最も低い地区の約束時間内割合",
        "worst district, within promise",
        "%",
    ),
    "district_gap": ("地区間の差（最高 − 最低）", "gap between districts (best − worst)", "%"),
    "orders_to_door": ("自宅へのお届け", "orders handed over at the door", "件"),
    "orders_to_halls_by_van": ("公民館へ車でお届け", "orders to community halls by van", "件"),
    "orders_flown": ("ドローンでお届け", "orders flown by drone", "件"),
    "visit_requests": ("訪問診療の申込み", "home visits asked", "件"),
    "visits_made": ("訪問した件数", "home visits made", "件"),
    "visits_within_window_share": (
        "予約時間帯内の訪問",
        "visits within the appointment window",
        "%",
    ),
    "nurse_car_utilisation": ("訪問看護車の稼働率", "clinic car time at patients' homes", "%"),
    "drone_flights": ("ドローン飛行", "drone flights", "回"),
    "drone_km": ("ドローン飛行距離", "drone km", "km"),
    "flights_per_drone": ("1機あたりの飛行", "flights per drone", "回"),
    "reoptimisations": ("再最適化", "re-optimisations", "回"),
    "reopt_accepted": ("採用された再最適化", "re-optimisations adopted", "回"),
    "plan_checks": ("計画の検査", "independent plan checks", "回"),
    "plan_violations": ("制約違反", "constraint violations found", "件"),
    "pickup_late_share": ("お迎えが約束より遅れた割合", "pickups after the promised window", "%"),
    "pickup_late_p50_min": ("お迎えの遅れ（中央値）", "pickup lateness, median", "分"),
    "pickup_late_p90_min": ("お迎えの遅れ（90パーセンタイル）", "pickup lateness, 90th pct", "分"),
    "pickup_late_max_min": ("お迎えの遅れ（最大）", "pickup lateness, worst", "分"),
    "promises_made": ("約束した予約", "promises made", "件"),
    "promises_broken": ("守れなかった約束", "promises reported broken", "件"),
    "promises_kept_share": ("約束を守れた割合", "promises kept (none reported broken)", "%"),
    "delay_reports": ("遅れの報告", "delay reports by cars", "件"),
    "position_reports": ("早着の報告", "early-arrival (position) reports", "件"),
    "dispatcher_interventions": (
        "配車担当の介入（別の車へ・配車不能）",
        "dispatcher interventions (a delay moved a booking to another car, or off every car)",
        "件",
    ),
    "risk_forecasts": ("遅延のおそれの予測", "lateness forecasts with an outcome", "件"),
    "risk_brier": ("予測の Brier スコア", "Brier score of the forecasts", ""),
    "risk_base_rate": ("遅れた停車の割合（予測時点）", "forecasts whose stop was late", "%"),
    "risk_brier_base_rate": (
        "Brier スコア（常に平均値を予測した場合）",
        "Brier score of always forecasting the base rate",
        "",
    ),
    **{
        key: (f"お迎え − 約束の終わり {label} 分", f"pickup − promise end, {label} min", "件")
        for key, _, _, label in LATENESS_BINS
    },
    **{
        bin_key(k, what): (f"予測 {k}/{BINS}：{ja}", f"forecast bin {k}/{BINS}: {en}", "")
        for k in range(BINS)
        for what, ja, en in (
            ("n", "件数", "count"),
            ("late", "遅れた件数", "late"),
            ("p_sum", "予測確率の合計", "sum of predictions"),
        )
    },
    "risk_forecasts_horizon": (
        "1時間以内の停車の予測",
        "forecasts of stops within the board's hour",
        "件",
    ),
    "risk_brier_horizon": ("Brier スコア（1時間以内）", "Brier score within the hour", ""),
    "risk_base_rate_horizon": ("遅れた割合（1時間以内）", "late share within the hour", "%"),
    "risk_flagged_stops": ("遅延のおそれと表示した停車", "stops the board flagged at risk", "件"),
    "risk_flagged_late": ("表示後に実際に遅れた停車", "flagged stops that were late", "件"),
    "risk_late_stops": ("遅れた停車（予測あり）", "late stops (forecast)", "件"),
    "callers_took_alternative": ("代わりの時間で予約", "took an alternative time", "件"),
    "callers_called_back": ("かけ直した人", "callers who called back", "件"),
    "callers_booked_on_call_back": ("かけ直して予約", "booked on calling back", "件"),
    "callers_served_on_call_back": ("かけ直して乗車", "served after calling back", "件"),
    "callers_gave_up": ("あきらめた人", "callers who gave up", "件"),
}


@dataclass(frozen=True, slots=True)
class VehicleCosts:
    per_hour_yen: float = 3000.0
    per_km_yen: float = 30.0
    fixed_yen: float = 0.0
    co2_g_per_km: float = 130.0


@dataclass(frozen=True, slots=True)
class CostModel:
    """Cost and CO2 parameters per vehicle type (unknown types get the defaults)."""

    by_type: Mapping[str, VehicleCosts] = field(default_factory=dict)
    default: VehicleCosts = VehicleCosts()

    @classmethod
    def of(cls, spec: Any) -> CostModel:
        """From a `scenarios.spec.ScenarioSpec`'s vehicle groups and its buses (per
        timetable hour, fuel and driver included: no per-km cost)."""
        from scenarios.buses import BUS_TYPE

        t = spec.transit
        return cls(
            {
                BUS_TYPE: VehicleCosts(t.bus_cost_yen_per_hour, 0.0, 0.0, t.bus_co2_g_per_km),
                **{
                    g.type: VehicleCosts(
                        g.cost_per_hour_yen, g.cost_per_km_yen, g.fixed_yen, g.co2_g_per_km
                    )
                    for g in spec.fleet.vehicles
                },
            }
        )

    def of_vehicle(self, v: VehicleRecord) -> VehicleCosts:
        return self.by_type.get(v.vehicle_type, self.default)


def _share(part: int, whole: int) -> float:
    return part / whole if whole else NAN


def _mean(xs: Iterable[float]) -> float:
    xs = list(xs)
    return statistics.fmean(xs) if xs else NAN


def _quantile(xs: Sequence[float], q: float) -> float:
    """The nearest-rank `q` quantile (NaN when empty)."""
    if not xs:
        return NAN
    ordered = sorted(xs)
    return ordered[max(0, min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1))]


def _p95(xs: Sequence[float]) -> float:
    return _quantile(xs, 0.95)


def lateness_kpis(rides: Sequence[TripRecord]) -> dict[str, float]:
    """How late rides served were picked up against the promised window's end: the share
    late, p50 / p90 / max of the minutes late (0 when on time) and the histogram of
    pickup − window end (`LATENESS_BINS`, counts)."""
    margins = [
        (t.pickup_time - t.promised_end) / 60
        for t in rides
        if t.pickup_time is not None and t.promised_end is not None
    ]
    late = [max(0.0, m) for m in margins]
    out = {
        "pickup_late_share": _share(sum(m > 0 for m in margins), len(margins)),
        "pickup_late_p50_min": _quantile(late, 0.5),
        "pickup_late_p90_min": _quantile(late, 0.9),
        "pickup_late_max_min": max(late, default=NAN),
    }
    for key, lo, hi, _ in LATENESS_BINS:
        out[key] = float(sum(lo < m <= hi for m in margins))
    return out


def day_kpis(day: DayResult, costs: CostModel | None = None) -> dict[str, float]:
    """Every KPI of a day (see the module docstring for the definitions)."""
    costs = costs or CostModel()
    trips = day.trips
    counted = [t for t in trips if t.counted]
    served = [t for t in trips if t.status is TripStatus.SERVED]
    rides = [t for t in served if t.kind == "ride"]
    rejected = [t for t in trips if t.status is TripStatus.REJECTED]
    out: dict[str, float] = {
        "requests": float(len(trips)),
        "ride_requests": float(sum(t.kind == "ride" for t in trips)),
        "delivery_orders": float(sum(t.kind == "delivery" for t in trips)),
        "served_share": _share(len(served), len(counted)),
        "within_promise_share": _share(sum(t.within_promise for t in counted), len(counted)),
        "rejected_share": _share(len(rejected), len(counted)),
        "served_rides": float(len(rides)),
        "served_deliveries": float(sum(t.kind == "delivery" for t in served)),
        "orders_to_door": float(sum(t.hand_over == "door" for t in served)),
        "orders_to_halls_by_van": float(sum(t.hand_over == "hall" for t in served)),
        "orders_flown": float(sum(t.hand_over == "drone" for t in served)),
        "passengers": float(sum(t.party_size for t in rides)),
        "rejected": float(len(rejected)),
    }
    visits = [t for t in counted if t.kind == "visit"]
    if visits:  # a day without clinic visits has no such figures (not NaN)
        out["visit_requests"] = float(sum(t.kind == "visit" for t in trips))
        out["visits_made"] = float(sum(t.kind == "visit" for t in served))
        out["visits_within_window_share"] = _share(
            sum(t.within_promise for t in visits), len(visits)
        )
    for code in REJECTION_REASONS:
        out[f"rejected_{code}"] = float(sum(t.reason == code for t in rejected))
    out["cancelled"] = float(sum(t.status is TripStatus.CANCELLED for t in trips))
    out["no_shows"] = float(sum(t.status is TripStatus.NO_SHOW for t in trips))
    out["unserved"] = float(sum(t.status is TripStatus.UNSERVED for t in trips))
    out["mean_wait_vs_promise_min"] = _mean(
        t.wait_vs_promise_s / 60 for t in rides if t.wait_vs_promise_s is not None
    )
    out["mean_shift_from_asked_min"] = _mean(
        t.shift_from_asked_s / 60 for t in rides if t.shift_from_asked_s is not None
    )
    out["mean_ride_time_min"] = _mean(t.on_board_s / 60 for t in rides if t.on_board_s is not None)
    out.update(lateness_kpis(rides))
    out.update(_journey_kpis(trips, rides))
    detours = [t.ride_time_s / t.direct_time_s for t in rides if t.ride_time_s and t.direct_time_s]
    out["mean_detour_ratio"] = _mean(detours)
    out["p95_detour_ratio"] = _p95(detours)
    out["shared_ride_share"] = _share(sum(t.shared for t in rides), len(rides))
    out.update(_fleet_kpis(day.vehicles, costs))
    hours, n_served = out["vehicle_hours"], len(served)
    revenue = float(sum(t.fare_yen for t in served))
    out["passengers_per_vehicle_hour"] = out["passengers"] / hours if hours else NAN
    out["fare_revenue_yen"] = revenue
    out["cost_per_trip_yen"] = out["cost_yen"] / n_served if n_served else NAN
    out["net_cost_per_trip_yen"] = (out["cost_yen"] - revenue) / n_served if n_served else NAN
    out["co2_per_passenger_g"] = (
        1000 * out["co2_kg"] / out["passengers"] if out["passengers"] else NAN
    )
    levels = [
        r["within_promise_share"]
        for r in district_rows(trips)
        if r["requests_counted"] >= MIN_DISTRICT_REQUESTS
    ]
    out["worst_district_within_promise_share"] = min(levels) if levels else NAN
    out["district_gap"] = max(levels) - min(levels) if levels else NAN
    rows = [r for r in district_rows(trips) if r["requests_counted"] >= MIN_DISTRICT_REQUESTS]
    out["worst_district_served_share"] = min((r["served_share"] for r in rows), default=NAN)
    times = [r["mean_door_to_door_min"] for r in rows if not math.isnan(r["mean_door_to_door_min"])]
    out["worst_district_door_to_door_min"] = max(times, default=NAN)
    return out


def _journey_kpis(trips: Sequence[TripRecord], rides: Sequence[TripRecord]) -> dict[str, float]:
    """Door to door, waiting, walking for every ride served, and how riders were
    carried; feeder connections kept and missed (never silent)."""
    out = {f"served_by_{m}": float(sum(t.mode == m for t in rides)) for m in MODES}
    out["mean_door_to_door_min"] = _mean(
        t.door_to_door_s / 60 for t in rides if t.door_to_door_s is not None
    )
    out["mean_wait_min"] = _mean(t.wait_s / 60 for t in rides if t.wait_s is not None)
    out["mean_walk_m"] = _mean(float(t.walk_m) for t in rides)
    feeders = [t for t in trips if t.mode == "feeder"]
    if feeders:
        out["feeder_connections_kept"] = float(sum(t.connection == "kept" for t in feeders))
        out["feeder_connections_missed"] = float(sum(t.connection == "missed" for t in feeders))
        out["feeder_stranded"] = float(sum(t.reason == "missed_connection" for t in feeders))
    return out


def _fleet_kpis(vehicles: Sequence[VehicleRecord], costs: CostModel) -> dict[str, float]:
    hours = km = empty = cost = co2 = active = 0.0
    used = 0
    for v in vehicles:
        c = costs.of_vehicle(v)
        v_km = v.distance_m / 1000
        hours += v.hours
        km += v_km
        empty += v.empty_distance_m / 1000
        cost += v.hours * c.per_hour_yen + v_km * c.per_km_yen + c.fixed_yen
        co2 += v_km * c.co2_g_per_km / 1000
        if v.stops:
            used += 1
            active += (v.stops[-1].time - v.stops[0].time) / 3600
    return {
        "vehicles": float(len(vehicles)),
        "vehicles_used": float(used),
        "vehicle_hours": hours,
        "active_hours": active,
        "vehicle_km": km,
        "empty_km": empty,
        "empty_km_share": empty / km if km else NAN,
        "cost_yen": cost,
        "co2_kg": co2,
    }


def district_level(trips: Sequence[TripRecord]) -> dict[str, Any]:
    """Service level of one district's requests (shares over the counted ones)."""
    counted = [t for t in trips if t.counted]
    waits = [t.wait_vs_promise_s / 60 for t in trips if t.wait_vs_promise_s is not None]
    d2d = [
        t.door_to_door_s / 60
        for t in trips
        if t.kind == "ride" and t.status is TripStatus.SERVED and t.door_to_door_s is not None
    ]
    return {
        "requests": len(trips),
        "requests_counted": len(counted),
        "served_share": _share(sum(t.status is TripStatus.SERVED for t in counted), len(counted)),
        "within_promise_share": _share(sum(t.within_promise for t in counted), len(counted)),
        "median_wait_vs_promise_min": statistics.median(waits) if waits else None,
        "mean_door_to_door_min": _mean(d2d),
    }


def district_rows(trips: Sequence[TripRecord]) -> list[dict[str, Any]]:
    """One row per district (sorted by name) of one day's requests."""
    by: dict[str, list[TripRecord]] = defaultdict(list)
    for t in trips:
        by[t.district].append(t)
    return [{"district": d, **district_level(by[d])} for d in sorted(by)]
