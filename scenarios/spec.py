"""The scenario spec: one TOML file describing a service day a planner wants to try.

Sections (every key has a default except where noted; unknown keys are errors, so a
typo never silently keeps a default):

- top level: ``name`` (required), ``title``, ``seed``, ``time_step_s``;
- ``[map]``: the road graph (relative to the data folder, ``NORIAI_DATA_DIR``), speed
  factor, snapping distance, and a note on what it stands in for;
- ``[area]``: the town centre (required), optional service radius, districts;
- ``[service]``: service hours and days; ``[booking]``: when phone lines open, minimum
  lead, the booking phone number; ``[agency]``: who runs the service, as a published
  feed names it (``noriai transit export-flex``);
- ``[dispatch]``: policies — pooling on/off, promised window width, ride-time limit,
  order cut-off, re-optimisation;
- ``[fleet]``: depots, vehicle groups (type, count, capacity, shift, breaks, costs,
  CO2) and ``size`` (how many of them run: taken group by group in the order listed);
- ``[fares]``; ``[demand]`` (generated or replayed); ``[deliveries]`` (door or
  community hall, parcel weights);
- ``[[halls]]``: community halls (公民館) taking orders for collection: opening hours,
  slots, capacity, reach, drone pad; ``[drones]``: drone bases, drones, grounded
  periods (weather); ``[visits]``: the clinic car's home visits (訪問診療);
- ``[transit]``: fixed bus lines (路線バス) from a GTFS / GTFS-JP feed, which of them
  run (kept, cut, retimed, hours), how riders walk and change, bus costs, and who
  serves the callers: the on-demand fleet (``serve = "drt"``, the default), the buses
  (``"fixed"``) or both by time of day and district with feeders (``"mix"``);
  ``[review]``: the options the bus-line review compares;
- ``[noise]``: days that do not go to plan (`dispatch.noise`: travel, boarding, late
  drivers, riders not ready), off unless ``enabled``; ``[callers]``: how a caller
  refused at the asked time takes an alternative, calls back or gives up;
  ``[standing]``: standing riders (定期予約, `scenarios.standing`) who ride by their
  weekly rule on the date ``standing.on``, besides the generated demand.

Clock times are ``"HH:MM"`` (``"-1 17:30"`` = the day before) and become int seconds
from the start of the service day; distances are metres, durations minutes unless the
key says ``_s``. Relative CSV paths are relative to the spec file. `load_spec` reads
and checks the CSVs too, so ``noriai scenario validate`` reports their bad rows, and a
spec carries its tables to Dask workers (only the road graph is read there).

Errors are pydantic `ValidationError`s whose locations are key paths
(``fleet.vehicles.0.shift``); checks across sections use the same form.
"""

from __future__ import annotations

import difflib
import math
import re
import tomllib
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from dispatch.errors import InputError as DispatchInputError
from dispatch.noise import NoiseConfig
from routing.errors import InputError
from scenarios.tables import NamedPoint, Poi, WeightedPoint, read_centres, read_pois
from scenarios.tables import read_population as read_population_csv

H = 3600
DAY = 24 * H
_CLOCK = re.compile(r"^(?:(-\d+)\s+)?(\d{1,2}):(\d{2})(?::(\d{2}))?$")


def parse_clock(value: Any) -> int:
    """``"09:30"`` -> 34200; ``"-1 17:00"`` -> the day before; ints pass through."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a clock time")
    if isinstance(value, int):
        return value
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not a clock time like '09:30'")
    m = _CLOCK.match(value.strip())
    if not m:
        raise ValueError(f"{value!r} is not a clock time like '09:30' (or '-1 17:00')")
    days, hh, mm, ss = m.groups()
    h, mi, s = int(hh), int(mm), int(ss or 0)
    if h > 47 or mi > 59 or s > 59:
        raise ValueError(f"{value!r} is not a clock time (hours 0..47, minutes 0..59)")
    return int(days or 0) * DAY + h * H + mi * 60 + s


def format_clock(t: int) -> str:
    """Seconds -> ``"HH:MM"`` (``"-1 17:00"`` before the day)."""
    days, rest = divmod(int(t), DAY)
    prefix = f"{days} " if days < 0 else ""
    return f"{prefix}{rest // H:02d}:{rest % H // 60:02d}"


def _lonlat(value: tuple[float, float]) -> tuple[float, float]:
    lon, lat = value
    if not -180 <= lon <= 180 or not -90 <= lat <= 90:
        raise ValueError(f"{list(value)} is not [lon, lat] in degrees")
    return value


Clock = Annotated[int, BeforeValidator(parse_clock)]
LonLat = Annotated[tuple[float, float], AfterValidator(_lonlat)]
Share = Annotated[float, Field(ge=0.0, le=1.0)]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class MapSpec(_Section):
    """The road network the day runs on."""

    graph: str = "osm/tachikawa_drive.graphml"  # relative to the data folder, or absolute
    speed_factor: float = Field(0.9, gt=0.1, le=1.5)  # < 1: elderly-friendly driving
    max_snap_m: float = Field(300.0, gt=0)
    note: str = ""  # e.g. which town this graph stands in for (shown in reports)


class AreaSpec(_Section):
    """The town: its centre, optional service radius, and how districts are cut."""

    centre: LonLat
    radius_m: float | None = Field(None, gt=0)  # homes / bookings beyond it are outside
    district_rings_m: tuple[float, ...] = (1500.0, 3000.0)
    district_sectors: int = Field(4, ge=1, le=16)
    districts_csv: str | None = None  # name,lon,lat of district centres (nearest wins)


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def _unique_days(days: tuple[str, ...]) -> tuple[str, ...]:
    if len(set(days)) != len(days):
        raise ValueError("each day may be listed once")
    return days


class ServiceSpec(_Section):
    """Service hours (運行時間): asked pickup / arrival times must lie inside."""

    start: Clock = 9 * H
    end: Clock = 15 * H
    # days of the week the service runs (what a published calendar says; a simulation
    # runs one day whatever these are)
    days: Annotated[tuple[Weekday, ...], AfterValidator(_unique_days)] = Field(
        WEEKDAYS[:5], min_length=1
    )
    # 祝日運休: a published calendar leaves out Japan's public holidays ("closed"), or
    # runs on them as on that weekday ("run")
    holidays: Literal["closed", "run"] = "closed"


class BookingSpec(_Section):
    """Booking rules (予約受付)."""

    opens: Clock = 8 * H + 1800  # same-day phone lines open
    min_lead_min: int = Field(30, ge=0, le=24 * 60)  # book at least this long before
    phone: str | None = Field(None, pattern=r"^\+?[0-9][0-9 ()-]{5,19}$")  # 予約電話


def _timezone(name: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{name!r} is not a time zone like 'Asia/Tokyo'") from None
    return name


class AgencySpec(_Section):
    """Who runs the service (運行事業者), as a published feed names it to trip planners."""

    name: str = ""  # default: the scenario's title
    url: str | None = Field(None, pattern=r"^https?://[^\s/]+\.[^\s]+$")  # required to publish
    timezone: Annotated[str, AfterValidator(_timezone)] = "Asia/Tokyo"


class DispatchSpec(_Section):
    """Policies of the dispatch engine."""

    pooling: bool = True  # 相乗り: riders of different bookings may share a car
    pickup_window_min: int = Field(15, ge=1, le=180)  # promised window width
    departure_early_min: int = Field(10, ge=0, le=180)
    departure_late_min: int = Field(30, ge=0, le=240)
    arrival_lead_min: int = Field(45, ge=0, le=240)  # by arrival: pickup at most this early
    max_ride_factor: float = Field(1.5, ge=1.0, le=5.0)  # max ride = factor x direct + plus
    max_ride_plus_min: int = Field(10, ge=0, le=240)
    max_ride_cap_min: int = Field(60, ge=1, le=600)
    order_cutoff: Clock | None = 11 * H  # 注文締切 of same-day shop orders (None: none)
    delivery_slot_min: int = Field(60, ge=0, le=600)  # hand-over slot promised
    reopt_every_min: int = Field(30, ge=0, le=600)  # 0: never re-optimise
    reopt_solutions: int = Field(20, ge=1, le=10_000)  # per re-optimisation (deterministic)
    # a car running late picks its rider up late (promise reported broken) rather than
    # leaving them without a car (`dispatch.live.LiveConfig.late_rather_than_never`)
    serve_late: bool = False


class BreakSpec(_Section):
    """A driver's break: ``minutes`` long, starting between ``start`` and ``end``."""

    start: Clock
    end: Clock
    minutes: int = Field(ge=1, le=240)


class VehicleGroup(_Section):
    """``count`` identical vehicles with one shift."""

    type: str = Field(min_length=1)
    count: int = Field(1, ge=1, le=500)
    seats: int = Field(4, ge=1, le=30)  # passenger seats
    wheelchairs: int = Field(0, ge=0, le=10)
    cargo: int = Field(2, ge=0, le=100)  # shop-delivery units
    depot: str | None = None  # a depot name; default the first depot
    shift: tuple[Clock, Clock] = (8 * H + 2700, 15 * H + 1800)
    breaks: tuple[BreakSpec, ...] = ()
    cost_per_hour_yen: int = Field(3000, ge=0)  # car + driver per shift hour
    cost_per_km_yen: int = Field(30, ge=0)
    fixed_yen: int = Field(0, ge=0)  # per vehicle per day
    co2_g_per_km: float = Field(130.0, ge=0)
    features: tuple[str, ...] = ()  # e.g. ("nurse",): a clinic car (訪問看護車)
    fixed: bool = False  # always runs, outside fleet.size (e.g. the clinic's own car)


class DepotSpec(_Section):
    name: str = Field(min_length=1)
    at: LonLat


class FleetSpec(_Section):
    """Depots and vehicle groups; ``size`` vehicles run (default: all listed)."""

    size: int | None = Field(None, ge=1, le=5000)
    depots: tuple[DepotSpec, ...] = Field(min_length=1)
    vehicles: tuple[VehicleGroup, ...] = Field(min_length=1)

    def chosen(self) -> list[VehicleGroup]:
        """One entry per running vehicle: groups in order, the first ``size`` of the
        groups not ``fixed``, then every ``fixed`` one."""
        sized = [g for g in self.vehicles if not g.fixed for _ in range(g.count)]
        fixed = [g for g in self.vehicles if g.fixed for _ in range(g.count)]
        return (sized if self.size is None else sized[: self.size]) + fixed


class FareSpec(_Section):
    """Fares (運賃), yen per ride; companions pay ``companion_yen`` each."""

    ride_yen: int = Field(500, ge=0)
    reduced_yen: int = Field(250, ge=0)
    reduced_share: Share = 0.0  # riders paying the reduced fare (disability, ...)
    companion_yen: int = Field(0, ge=0)
    delivery_fee_yen: int = Field(0, ge=0)  # to the door
    hall_fee_yen: int = Field(0, ge=0)  # to a community hall, collected there


DEFAULT_PURPOSES = {
    "hospital": 0.3,
    "clinic": 0.25,
    "supermarket": 0.25,
    "city_hall": 0.08,
    "station": 0.07,
    "community_hall": 0.05,
}
DEFAULT_DWELL = {
    "hospital": 120.0,
    "clinic": 60.0,
    "supermarket": 45.0,
    "city_hall": 40.0,
    "station": 180.0,
    "community_hall": 120.0,
}
DEFAULT_PROFILE = {"09:00": 3.0, "10:00": 3.0, "11:00": 2.0, "12:00": 0.8, "13:00": 1.5}


class DemandSpec(_Section):
    """Who rides where and when: generated from shares, or replayed from a CSV."""

    source: Literal["generate", "replay"] = "generate"
    replay_csv: str | None = None  # recorded bookings (see scenarios.replay)
    rides_per_day: float = Field(88.0, ge=0, le=100_000)  # expected ride requests (Poisson)
    deliveries_per_day: float = Field(12.0, ge=0, le=100_000)
    scale: float = Field(1.0, gt=0, le=100)  # multiplies both
    homes: int = Field(600, ge=1, le=200_000)  # registered riders' homes
    homes_from: Literal["roads", "population"] = "roads"
    population_csv: str | None = None
    population_cell_m: float = Field(500.0, gt=0)
    pois_csv: str | None = None
    purposes: dict[str, float] = Field(default_factory=lambda: dict(DEFAULT_PURPOSES))
    dwell_min: dict[str, float] = Field(default_factory=lambda: dict(DEFAULT_DWELL))
    profile: dict[str, float] = Field(default_factory=lambda: dict(DEFAULT_PROFILE))
    wheelchair_share: Share = 0.05
    companion_share: Share = 0.15
    by_arrival_share: Share = 0.5  # of trips to hospitals and clinics (appointments)
    return_share: Share = 0.8  # outings that come back home by the service
    return_with_outbound_share: Share = 0.6  # the return booked in the same call
    lead_min: tuple[int, int] = (30, 180)  # same-day calls this long before the asked time
    advance_share: Share = 0.0  # calls made on an earlier day
    advance_calls: tuple[Clock, Clock] = (-DAY + 9 * H, -DAY + 17 * H)
    cancel_share: Share = 0.03  # confirmed bookings the rider cancels (キャンセル)
    no_show_share: Share = 0.02  # riders absent at pickup (不在)


class DeliverySpec(_Section):
    """Same-day shop deliveries (買い物支援・宅配)."""

    order_from: Clock | None = None  # default: booking.opens
    ready_at: Clock | None = 12 * H  # goods packed at the shop (None: order + 30 min)
    due_by: Clock | None = None  # default: service.end
    cargo_units: tuple[int, int] = (1, 3)
    late_order_share: Share = 0.05  # orders phoned in after the cut-off
    weight_kg: tuple[float, float] = (0.5, 8.0)  # parcel weight, uniform in [min, max]
    hall_share: Share = 0.0  # callers who ask for a hall within reach (公民館受け取り)
    hall_districts: tuple[str, ...] = ()  # the town's rule: these districts go to a hall


class HallSpec(_Section):
    """A community hall (公民館) taking shop orders for residents to collect."""

    name: str = Field(min_length=1)
    at: LonLat
    opening: tuple[tuple[Clock, Clock], ...] = ((10 * H, 16 * H),)
    slot_min: int = Field(60, ge=1, le=600)
    capacity: int = Field(10, ge=1, le=1000)  # parcels per collection slot
    reach_m: float = Field(3000.0, gt=0)  # customers living this far (by road) may use it
    drone_pad: bool = False


class DroneBaseSpec(_Section):
    """Where drones take off (a shop or depot): orders from shops near it may fly."""

    name: str = Field(min_length=1)
    at: LonLat


class DroneGroup(_Section):
    """``count`` identical drones at one base."""

    base: str = Field(min_length=1)
    count: int = Field(1, ge=1, le=100)
    payload_kg: float = Field(5.0, gt=0, le=100)
    range_km: float = Field(14.0, gt=0, le=200)  # round trip
    speed_kmh: float = Field(50.0, gt=0, le=300)
    turnaround_min: int = Field(10, ge=0, le=240)  # landing, battery swap, loading
    hours: tuple[Clock, Clock] = (9 * H, 16 * H)


class DroneSpec(_Section):
    """Drone deliveries to community halls: bases, drones, and grounded periods."""

    bases: tuple[DroneBaseSpec, ...] = ()
    fleet: tuple[DroneGroup, ...] = ()
    grounded: tuple[tuple[Clock, Clock], ...] = ()  # weather: no drone flies then
    shop_reach_m: float = Field(500.0, ge=0)  # shops this close (by road) hand parcels to a base


class VisitSpec(_Section):
    """Home visits of the clinic car (訪問診療, INA ヘルスモビリティ)."""

    per_day: float = Field(0.0, ge=0, le=10_000)  # expected visits (Poisson)
    hours: tuple[Clock, Clock] = (9 * H + 1800, 15 * H)  # appointment starts
    window_min: int = Field(60, ge=1, le=600)  # appointment window
    duration_min: tuple[int, int] = (30, 45)
    feature: str = Field("nurse", min_length=1)  # what the vehicle must offer
    booked_at: Clock = -DAY + 15 * H  # booked the day before


class StandingPurpose(_Section):
    """One kind of standing trip: where to (a POI category), which days, what times."""

    category: str = Field(min_length=1)
    weekdays: tuple[Weekday, ...] = Field(min_length=1)
    arrive_by: Clock | None = None
    depart_at: Clock | None = None
    return_after_min: Annotated[int, Field(ge=1, le=24 * 60 - 1)] | None = None
    weight: Annotated[float, Field(gt=0)] = 1.0

    @model_validator(mode="after")
    def _one_time(self) -> StandingPurpose:
        if (self.arrive_by is None) == (self.depart_at is None):
            raise ValueError("give exactly one of arrive_by and depart_at")
        return self


DEFAULT_STANDING = {
    "dialysis": StandingPurpose(
        category="hospital",
        weekdays=("tue", "fri"),
        arrive_by=9 * H,
        return_after_min=240,
        weight=1.0,
    ),
    "day_care": StandingPurpose(
        category="community_hall",
        weekdays=("mon", "wed", "fri"),
        arrive_by=9 * H + 1800,
        return_after_min=360,
        weight=1.5,
    ),
}


class StandingSpec(_Section):
    """Standing demand: ``share`` of a service day's rides (on average over Mon-Fri)."""

    share: Share = 0.15
    purposes: dict[str, StandingPurpose] = Field(
        default_factory=lambda: dict(DEFAULT_STANDING), min_length=1
    )
    skip_holidays: bool = True
    wheelchair_share: Share = 0.1
    booked_at: Clock = -DAY + 18 * H  # made the evening before
    # the date simulated: who rides is their weekly rule on it (a scenario needs it)
    on: date | None = None


class NoiseSpec(_Section):
    """Days that do not go to plan (`dispatch.noise`); off unless ``enabled``.

    Off by default so that a spec written before keeps its figures: every study's
    numbers stay comparable with what was published, and a planner turns the noise
    on to ask how well the promises hold. A key left out takes the default of
    `dispatch.noise.NoiseConfig` (the one statement of the defaults and their grounds);
    the draws come from their own stream of the scenario's seed, so the callers are
    the same with and without noise.
    """

    enabled: bool = False
    travel_median: float | None = None
    travel_median_peak: float | None = None
    residential_sigma: float | None = None
    residential_sigma_peak: float | None = None
    arterial_sigma: float | None = None
    arterial_sigma_peak: float | None = None
    peak_hours: tuple[tuple[int, int], ...] | None = None
    residential_kmh: float | None = None
    arterial_kmh: float | None = None
    service_sigma: float | None = None
    companion_sigma: float | None = None
    wheelchair_sigma: float | None = None
    driver_late_p: float | None = None
    driver_late_median_s: float | None = None
    driver_late_sigma: float | None = None
    rider_late_p: float | None = None
    rider_late_median_s: float | None = None
    rider_late_sigma: float | None = None
    # how often the lateness risk of every upcoming stop is recorded (its calibration)
    forecast_every_min: int = Field(15, ge=1, le=600)

    @model_validator(mode="after")
    def _model(self) -> NoiseSpec:
        try:
            self.config()
        except (DispatchInputError, TypeError) as exc:
            raise ValueError(str(exc)) from None
        return self

    def config(self) -> NoiseConfig:
        """The noise model: the keys given, `NoiseConfig`'s defaults for the rest."""
        keep = {"enabled", "forecast_every_min"}
        given = {k: v for k, v in self.model_dump().items() if k not in keep and v is not None}
        return NoiseConfig.from_plain(given)


class CallersSpec(_Section):
    """How a caller refused at the asked time behaves (off: every refused caller gives up).

    Offered alternatives (代わりの時間), the caller takes the nearest with probability
    ``accept_max / (1 + exp((shift - accept_half_min) / accept_scale_min))`` of its
    shift from the asked time in minutes: a logistic fall, because a small shift hardly
    matters to a shopping trip while a large one misses the appointment or the bus.
    The defaults (assumptions, to be fitted to a town's call logs): 5 in 6 take a time
    5 minutes off, 3 in 4 at 15, 45 % at 30, 1 in 6 at 45, 4 % an hour off. A caller
    who does not take it calls back ``callback_after_min`` later with probability
    ``callback_p``, asking the same time again, at most ``max_callbacks`` times; else
    gives up. Each caller's draws come from the seed and the call, so every fleet
    variant meets the same callers.
    """

    enabled: bool = False
    accept_max: Share = 0.9
    accept_half_min: float = Field(30.0, ge=0, le=600)
    accept_scale_min: float = Field(10.0, gt=0, le=600)
    callback_p: Share = 0.5
    callback_after_min: int = Field(20, ge=1, le=600)
    max_callbacks: int = Field(2, ge=0, le=10)

    def accept_p(self, shift_s: int) -> float:
        """The chance a caller takes a time `shift_s` seconds off the asked one."""
        z = (abs(shift_s) / 60 - self.accept_half_min) / self.accept_scale_min
        return self.accept_max / (1 + math.exp(min(z, 700.0)))


class LinesSpec(_Section):
    """Which of the feed's lines run (route ids or the numbers on the buses)."""

    keep: tuple[str, ...] = ()  # only these run (empty: every line not cut)
    cut: tuple[str, ...] = ()


class MixSpec(_Section):
    """How a mix shares the day: on demand in these hours (and districts), fixed lines
    otherwise, and on-demand feeders from remote districts to a hub on a trunk line."""

    on_demand_hours: tuple[tuple[Clock, Clock], ...] = ((9 * H, 15 * H),)
    on_demand_districts: tuple[str, ...] = ()  # empty: every district
    feeder_districts: tuple[str, ...] = ()  # residents here ride to the hub, then the bus
    hub: str | None = None  # stop_id where feeders meet the buses
    feeder_margin_min: int = Field(5, ge=0, le=60)  # the car arrives this long before the bus


class TransitSpec(_Section):
    """Fixed bus lines and who serves the callers (see the module docstring)."""

    serve: Literal["drt", "fixed", "mix"] = "drt"
    feed: str | None = None  # GTFS / GTFS-JP zip or folder, relative to the spec file
    service_date: date | None = None  # the day of the feed to run
    weekday: Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"] | None = None
    walk_kmh: float = Field(3.0, ge=0.5, le=10)  # elderly walking speed
    max_walk_m: int = Field(500, ge=0, le=5000)  # to the first stop, from the last
    transfer_walk_m: int = Field(200, ge=0, le=2000)  # between two stops at a change
    min_transfer_min: int = Field(3, ge=0, le=60)
    max_transfers: int = Field(2, ge=0, le=5)
    fare_yen: int = Field(200, ge=0)  # per boarding
    bus_cost_yen_per_hour: int = Field(6000, ge=0)  # bus and driver, per timetable hour
    bus_co2_g_per_km: float = Field(650.0, ge=0)
    lines: LinesSpec = Field(default_factory=LinesSpec)
    retime: dict[str, int] = Field(default_factory=dict)  # line -> headway, minutes
    # line -> periods: its trips leaving outside them are cut (lines not named: all day)
    run_hours: dict[str, tuple[tuple[Clock, Clock], ...]] = Field(default_factory=dict)
    mix: MixSpec = Field(default_factory=MixSpec)


class ReviewOption(_Section):
    """One option of the bus-line review: a name, words, and the settings it changes."""

    name: str = Field(pattern=r"^[\w.-]+$", max_length=40)
    title_ja: str = ""
    title_en: str = ""
    set: dict[str, Any] = Field(default_factory=dict)  # dotted key -> value


class ReviewSpec(_Section):
    """The options `noriai scenario review` compares (default: today's lines, on demand
    only, and the mix of ``[transit.mix]``)."""

    options: tuple[ReviewOption, ...] = ()


class ScenarioSpec(_Section):
    """A whole scenario (see the module docstring)."""

    name: str = Field(pattern=r"^[\w.-]+$", max_length=80)
    title: str = ""
    seed: int = Field(0, ge=0)
    time_step_s: int = Field(60, ge=1, le=3600)  # how often vehicles move between events
    map: MapSpec = Field(default_factory=MapSpec)
    area: AreaSpec
    service: ServiceSpec = Field(default_factory=ServiceSpec)
    booking: BookingSpec = Field(default_factory=BookingSpec)
    agency: AgencySpec = Field(default_factory=AgencySpec)
    dispatch: DispatchSpec = Field(default_factory=DispatchSpec)
    fleet: FleetSpec
    fares: FareSpec = Field(default_factory=FareSpec)
    demand: DemandSpec = Field(default_factory=DemandSpec)
    deliveries: DeliverySpec = Field(default_factory=DeliverySpec)
    halls: tuple[HallSpec, ...] = ()
    drones: DroneSpec = Field(default_factory=DroneSpec)
    visits: VisitSpec = Field(default_factory=VisitSpec)
    transit: TransitSpec = Field(default_factory=TransitSpec)
    review: ReviewSpec = Field(default_factory=ReviewSpec)
    noise: NoiseSpec = Field(default_factory=NoiseSpec)
    callers: CallersSpec = Field(default_factory=CallersSpec)
    standing: StandingSpec | None = None  # standing riders (定期予約) besides demand

    _base_dir: Path = PrivateAttr(default=Path("."))
    _pois: tuple[Poi, ...] = PrivateAttr(default=())
    _population: tuple[WeightedPoint, ...] = PrivateAttr(default=())
    _centres: tuple[NamedPoint, ...] = PrivateAttr(default=())
    _replay: tuple[Any, ...] = PrivateAttr(default=())

    # -- what the simulation reads ------------------------------------------------
    @property
    def base_dir(self) -> Path:
        """The spec file's folder (relative CSV paths start here)."""
        return self._base_dir

    @property
    def pois(self) -> tuple[Poi, ...]:
        return self._pois

    @property
    def population(self) -> tuple[WeightedPoint, ...]:
        return self._population

    @property
    def district_centres(self) -> tuple[NamedPoint, ...]:
        return self._centres

    @property
    def replay(self) -> tuple[Any, ...]:
        """Recorded bookings (`scenarios.calls.Call`) when ``demand.source = "replay"``."""
        return self._replay

    def feed_path(self) -> Path | None:
        """The transit feed (relative paths start at the spec's folder), if any."""
        if self.transit.feed is None:
            return None
        return _resolve(self, self.transit.feed)

    def graph_path(self, data_dir: Path) -> Path:
        path = Path(self.map.graph)
        return path if path.is_absolute() else Path(data_dir) / path

    def with_overrides(self, overrides: Mapping[str, Any]) -> ScenarioSpec:
        """A copy with dotted keys replaced (``{"fleet.size": 6}``), checked like a file.

        Raises `InputError` naming every bad key.
        """
        data = self.model_dump(mode="python")
        errors = []
        for key, value in overrides.items():
            problem = _set_dotted(data, key, value)
            if problem:
                errors.append(f"{key}: {problem}")
        if errors:
            raise InputError("; ".join(errors))
        try:
            return build_spec(data, self._base_dir)
        except ValidationError as exc:
            raise InputError("; ".join(error_lines(exc))) from None


def _set_dotted(data: dict[str, Any], key: str, value: Any) -> str | None:
    """Set ``data[a][b]... = value``; a message if the key names no setting."""
    parts = key.split(".")
    node: Any = data
    model: type[BaseModel] | None = ScenarioSpec
    for i, part in enumerate(parts):
        fields = model.model_fields if model is not None else None
        if not isinstance(node, dict) or (fields is not None and part not in fields):
            here = ".".join(parts[:i]) or "(top)"
            known = sorted(fields) if fields else []
            hint = difflib.get_close_matches(part, known, n=1)
            suggest = f" (did you mean {'.'.join([*parts[:i], hint[0]])}?)" if hint else ""
            return f"no such setting in {here}{suggest}"
        if i == len(parts) - 1:
            node[part] = value
            return None
        annotation = fields[part].annotation if fields is not None else None
        model = _section_model(annotation)
        if model is None and not isinstance(node.get(part), dict):
            return f"{'.'.join(parts[: i + 1])} is a single value, not a table"
        node = node.setdefault(part, {}) if node.get(part) is None else node[part]
    return None  # pragma: no cover - the loop always returns


def _section_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return None


# -- loading ----------------------------------------------------------------------------


def load_spec(path: Path) -> ScenarioSpec:
    """Read, validate and resolve a scenario file (with its CSV tables).

    Raises
    ------
    tomllib.TOMLDecodeError
        Not TOML.
    pydantic.ValidationError
        Every problem, located by key path.
    InputError
        A CSV table it names is missing or has bad rows (all of them listed).
    """
    path = Path(path)
    try:
        with path.open("rb") as f:
            data = tomllib.load(f)
    except FileNotFoundError:
        raise InputError(f"{path}: file does not exist") from None
    return build_spec(data, path.resolve().parent)


def build_spec(data: Mapping[str, Any], base_dir: Path) -> ScenarioSpec:
    """Validate ``data`` (parsed TOML) as a spec whose relative paths start at ``base_dir``."""
    try:
        spec = ScenarioSpec.model_validate(data)
    except ValidationError as exc:
        raise _friendlier(exc) from None
    spec._base_dir = Path(base_dir)
    _read_tables(spec)
    problems = cross_checks(spec)
    if problems:
        raise ValidationError.from_exception_data(
            "ScenarioSpec",
            [
                InitErrorDetails(
                    type=PydanticCustomError("scenario", msg),  # type: ignore[typeddict-item]
                    loc=loc,
                    input=_value_at(data, loc),
                )
                for loc, msg in problems
            ],
        )
    return spec


def error_lines(exc: ValidationError) -> list[str]:
    """``key.path: message`` for every error (the CLI's format)."""
    return [f"{'.'.join(str(p) for p in e['loc']) or '(top)'}: {e['msg']}" for e in exc.errors()]


def _friendlier(exc: ValidationError) -> ValidationError:
    """Unknown keys get a "did you mean" hint."""
    details: list[InitErrorDetails] = []
    for e in exc.errors():
        if e["type"] == "extra_forbidden":
            msg = "unknown key" + _hint(e["loc"])
            details.append(
                InitErrorDetails(
                    type=PydanticCustomError("extra_forbidden", msg),  # type: ignore[typeddict-item]
                    loc=e["loc"],
                    input=e["input"],
                )
            )
        else:
            details.append(
                InitErrorDetails(
                    type=PydanticCustomError(
                        e["type"], e["msg"].replace("{", "(").replace("}", ")")
                    ),  # type: ignore[typeddict-item]
                    loc=e["loc"],
                    input=e.get("input"),
                )
            )
    return ValidationError.from_exception_data(exc.title, details)


def _hint(loc: tuple[Any, ...]) -> str:
    model: Any = ScenarioSpec
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part) if model is not None else None
        if field is None:
            return ""
        model = _inner_model(field.annotation)
    if model is None:
        return ""
    close = difflib.get_close_matches(str(loc[-1]), list(model.model_fields), n=1)
    return (
        f" (did you mean {close[0]!r}?)" if close else f" (known: {', '.join(model.model_fields)})"
    )


def _inner_model(annotation: Any) -> type[BaseModel] | None:
    model = _section_model(annotation)
    if model is not None:
        return model
    for arg in getattr(annotation, "__args__", ()):  # tuple[VehicleGroup, ...]
        model = _section_model(arg)
        if model is not None:
            return model
    return None


def _value_at(data: Mapping[str, Any], loc: tuple[Any, ...]) -> Any:
    node: Any = data
    for part in loc:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return None
    return node


def _resolve(spec: ScenarioSpec, rel: str) -> Path:
    path = Path(rel)
    return path if path.is_absolute() else spec.base_dir / path


def _read_tables(spec: ScenarioSpec) -> None:
    from scenarios.replay import read_bookings

    d = spec.demand
    if d.pois_csv is not None:
        spec._pois = read_pois(_resolve(spec, d.pois_csv))
    if d.homes_from == "population" and d.population_csv is not None:
        spec._population = read_population_csv(_resolve(spec, d.population_csv))
    if spec.area.districts_csv is not None:
        spec._centres = read_centres(_resolve(spec, spec.area.districts_csv))
    if d.source == "replay" and d.replay_csv is not None:
        spec._replay = read_bookings(_resolve(spec, d.replay_csv))


# -- checks across sections -------------------------------------------------------------

Problem = tuple[tuple[Any, ...], str]


def cross_checks(spec: ScenarioSpec) -> list[Problem]:
    """Every inconsistency between sections, as (key path, message)."""
    return [
        *_time_checks(spec),
        *_fleet_checks(spec),
        *_demand_checks(spec),
        *_service_point_checks(spec),
        *_transit_checks(spec),
        *_standing_checks(spec),
    ]


def _standing_checks(spec: ScenarioSpec) -> list[Problem]:
    """Standing riders ride on a date, to places of the POI table (generated demand)."""
    st = spec.standing
    if st is None:
        return []
    out: list[Problem] = []
    if st.on is None:
        out.append((("standing", "on"), "needed: the date simulated (e.g. 2026-12-08)"))
    if spec.demand.source != "generate":
        out.append((("standing",), "standing riders come with generated demand only"))
    have = {p.category for p in spec.pois}
    for name, purpose in st.purposes.items():
        if spec.pois and purpose.category not in have:
            out.append(
                (
                    ("standing", "purposes", name, "category"),
                    f"no place of category {purpose.category!r} in demand.pois_csv",
                )
            )
    return out


def _transit_checks(spec: ScenarioSpec) -> list[Problem]:
    """A feed when buses serve; lines kept and cut apart; mix districts that exist."""
    from scenarios.demand import districts_of

    out: list[Problem] = []
    t = spec.transit
    if t.serve != "drt" and t.feed is None:
        out.append((("transit", "feed"), f"needed when transit.serve is {t.serve!r}"))
    if t.feed is not None:
        path = spec.feed_path()
        assert path is not None
        if not path.exists():
            out.append((("transit", "feed"), f"{path} does not exist"))
        if (t.service_date is None) == (t.weekday is None):
            out.append((("transit",), "give exactly one of service_date and weekday"))
    both = sorted(set(t.lines.keep) & set(t.lines.cut))
    if both:
        out.append((("transit", "lines"), f"lines both kept and cut: {', '.join(both)}"))
    for line, headway in t.retime.items():
        if not 1 <= headway <= 600:
            out.append((("transit", "retime", line), "headway must be 1..600 minutes"))
    for line, periods in t.run_hours.items():
        out += _periods(("transit", "run_hours", line), periods)
    m = t.mix
    out += _periods(("transit", "mix", "on_demand_hours"), m.on_demand_hours)
    names = set(districts_of(spec).names())
    for key in ("on_demand_districts", "feeder_districts"):
        for i, name in enumerate(getattr(m, key)):
            if name not in names:
                out.append(
                    (
                        ("transit", "mix", key, i),
                        f"no district {name!r} ({', '.join(sorted(names))})",
                    )
                )
    if m.feeder_districts and m.hub is None:
        out.append((("transit", "mix", "hub"), "feeders need a hub stop"))
    for i, option in enumerate(spec.review.options):
        for key in option.set:
            if key.split(".")[0] == "review":
                out.append((("review", "options", i, "set"), "an option cannot change the review"))
    names_ = [o.name for o in spec.review.options]
    if len(set(names_)) != len(names_):
        out.append((("review", "options"), "option names must be unique"))
    return out


def _periods(loc: tuple[Any, ...], periods: tuple[tuple[int, int], ...]) -> list[Problem]:
    out: list[Problem] = []
    for i, (a, b) in enumerate(periods):
        if b <= a:
            out.append(((*loc, i), "must end after it starts"))
        elif i and a < periods[i - 1][1]:
            out.append(((*loc, i), "overlaps or comes before the previous period"))
    return out


def _service_point_checks(spec: ScenarioSpec) -> list[Problem]:
    """Halls, drone bases and fleet, visits."""
    out: list[Problem] = []
    names = [h.name for h in spec.halls]
    if len(set(names)) != len(names):
        out.append((("halls",), "hall names must be unique"))
    for i, h in enumerate(spec.halls):
        out += _periods(("halls", i, "opening"), h.opening)
    lo, hi = spec.deliveries.weight_kg
    if not 0 <= lo <= hi:
        out.append((("deliveries", "weight_kg"), "must be [min, max] with 0 <= min <= max"))
    if (spec.deliveries.hall_share or spec.deliveries.hall_districts) and not spec.halls:
        out.append((("deliveries",), "orders to halls need [[halls]]"))
    d = spec.drones
    bases = [b.name for b in d.bases]
    if len(set(bases)) != len(bases):
        out.append((("drones", "bases"), "drone base names must be unique"))
    for i, g in enumerate(d.fleet):
        if g.base not in bases:
            out.append((("drones", "fleet", i, "base"), f"no drone base {g.base!r} ({bases})"))
        if g.hours[1] <= g.hours[0]:
            out.append((("drones", "fleet", i, "hours"), "must end after they start"))
    if d.fleet and not any(h.drone_pad for h in spec.halls):
        out.append((("drones",), "drones need a hall with drone_pad = true"))
    out += _periods(("drones", "grounded"), d.grounded)
    v = spec.visits
    if v.hours[1] <= v.hours[0]:
        out.append((("visits", "hours"), "must end after they start"))
    if not 1 <= v.duration_min[0] <= v.duration_min[1]:
        out.append((("visits", "duration_min"), "must be [min, max] with 1 <= min <= max"))
    if v.per_day and not any(v.feature in g.features for g in spec.fleet.vehicles):
        out.append(
            (("visits", "feature"), f"no vehicle group offers {v.feature!r} (fleet.vehicles)")
        )
    return out


def _time_checks(spec: ScenarioSpec) -> list[Problem]:
    out: list[Problem] = []
    s, b, disp = spec.service, spec.booking, spec.dispatch
    if s.end <= s.start:
        out.append((("service", "end"), f"must be after service.start {format_clock(s.start)}"))
    if not 0 <= s.start < DAY or not 0 < s.end <= 2 * DAY:
        out.append((("service",), "service hours must lie within the day (00:00..24:00)"))
    if b.opens > s.start:
        out.append((("booking", "opens"), f"phone lines must open by {format_clock(s.start)}"))
    rings = spec.area.district_rings_m
    if any(r <= 0 for r in rings) or list(rings) != sorted(set(rings)):
        out.append((("area", "district_rings_m"), "radii must be positive and increasing"))
    if disp.order_cutoff is not None:
        first = spec.deliveries.order_from if spec.deliveries.order_from is not None else b.opens
        if disp.order_cutoff < first:
            out.append(
                (("dispatch", "order_cutoff"), f"is before orders open ({format_clock(first)})")
            )
    dv = spec.deliveries
    ready = dv.ready_at if dv.ready_at is not None else s.start
    due = dv.due_by if dv.due_by is not None else s.end
    if due <= ready:
        out.append((("deliveries", "due_by"), f"must be after ready_at {format_clock(ready)}"))
    lo, hi = dv.cargo_units
    if not 1 <= lo <= hi:
        out.append((("deliveries", "cargo_units"), "must be [min, max] with 1 <= min <= max"))
    return out


def _fleet_checks(spec: ScenarioSpec) -> list[Problem]:
    out: list[Problem] = []
    f = spec.fleet
    listed = sum(g.count for g in f.vehicles if not g.fixed)
    if f.size is not None and f.size > listed:
        out.append(
            (
                ("fleet", "size"),
                f"{f.size} vehicles asked for, but fleet.vehicles lists only {listed} "
                "(raise a group's count)",
            )
        )
    names = [d.name for d in f.depots]
    if len(set(names)) != len(names):
        out.append((("fleet", "depots"), "depot names must be unique"))
    types = [g.type for g in f.vehicles]
    if len(set(types)) != len(types):
        out.append((("fleet", "vehicles"), "vehicle group types must be unique"))
    s = spec.service
    for i, g in enumerate(f.vehicles):
        loc = ("fleet", "vehicles", i)
        if g.depot is not None and g.depot not in names:
            out.append(((*loc, "depot"), f"no depot named {g.depot!r} (known: {names})"))
        start, end = g.shift
        if end <= start:
            out.append(((*loc, "shift"), "the shift must end after it starts"))
        elif end <= s.start or start >= s.end:
            out.append(((*loc, "shift"), "the shift does not overlap the service hours"))
        for j, brk in enumerate(g.breaks):
            if brk.end < brk.start:
                out.append(((*loc, "breaks", j), "end is before start"))
            elif brk.start < start or brk.end + brk.minutes * 60 > end:
                out.append(((*loc, "breaks", j), "the break does not fit inside the shift"))
    chosen = f.chosen()
    d = spec.demand
    if d.source == "generate" and chosen:
        if d.wheelchair_share > 0 and not any(g.wheelchairs > 0 for g in chosen):
            out.append(
                (
                    ("fleet", "vehicles"),
                    f"demand.wheelchair_share is {d.wheelchair_share:g} but none of the "
                    f"{len(chosen)} running vehicles has a wheelchair place",
                )
            )
        companions = 1 if d.companion_share > 0 else 0
        if not any(g.seats >= 1 + companions for g in chosen) and not any(
            g.wheelchairs >= 1 and g.seats >= companions for g in chosen
        ):
            out.append((("fleet", "vehicles"), "no running vehicle seats a rider and a companion"))
        if d.deliveries_per_day > 0 and not any(
            g.cargo >= spec.deliveries.cargo_units[1] for g in chosen
        ):
            out.append(
                (
                    ("fleet", "vehicles"),
                    f"deliveries of up to {spec.deliveries.cargo_units[1]} units fit no "
                    "running vehicle (cargo)",
                )
            )
    return out


def _demand_checks(spec: ScenarioSpec) -> list[Problem]:
    out: list[Problem] = []
    d = spec.demand
    if d.source == "replay":
        if d.replay_csv is None:
            out.append((("demand", "replay_csv"), "needed when demand.source is 'replay'"))
        return out
    if d.rides_per_day == 0 and d.deliveries_per_day == 0:
        out.append((("demand",), "no rides and no deliveries: nothing to simulate"))
    if d.homes_from == "population" and d.population_csv is None:
        out.append((("demand", "population_csv"), "needed when demand.homes_from is 'population'"))
    lo, hi = d.lead_min
    if not 0 <= lo <= hi:
        out.append((("demand", "lead_min"), "must be [min, max] minutes with 0 <= min <= max"))
    a0, a1 = d.advance_calls
    if not a0 <= a1 < spec.service.start:
        out.append((("demand", "advance_calls"), "must be [from, to] before the service starts"))
    for key in d.profile:
        try:
            t = parse_clock(key)
        except ValueError as exc:
            out.append((("demand", "profile", key), str(exc)))
            continue
        if not spec.service.start <= t < spec.service.end:
            out.append((("demand", "profile", key), "lies outside the service hours"))
    if not any(w > 0 for w in d.profile.values()):
        out.append((("demand", "profile"), "needs at least one hour with a weight > 0"))
    if any(w < 0 for w in [*d.profile.values(), *d.purposes.values(), *d.dwell_min.values()]):
        out.append((("demand",), "profile, purposes and dwell_min weights must be >= 0"))
    if d.rides_per_day > 0:
        if d.pois_csv is None:
            out.append(
                (
                    ("demand", "pois_csv"),
                    "needed: the road graph has no points of interest (name,category,lon,lat)",
                )
            )
        else:
            have = {p.category for p in spec.pois}
            for category, w in d.purposes.items():
                if w > 0 and category not in have:
                    out.append(
                        (
                            ("demand", "purposes", category),
                            f"no point of interest of this category in {d.pois_csv} "
                            f"(categories there: {', '.join(sorted(have))})",
                        )
                    )
            if not any(w > 0 for w in d.purposes.values()):
                out.append((("demand", "purposes"), "needs at least one purpose with a weight > 0"))
    shops = any(p.category == "supermarket" for p in spec.pois)
    if d.deliveries_per_day > 0 and d.pois_csv is not None and not shops:
        out.append(
            (("demand", "pois_csv"), "shop deliveries need a 'supermarket' point of interest")
        )
    return out
