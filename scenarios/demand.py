"""Demand a planner can believe: who calls, when, from where, to where.

Generated days follow the way elderly residents use a shared taxi:

- **homes** of registered riders are drawn where people live: along residential
  streets (road length weighted by road class — few homes face a trunk road) or from
  a population grid CSV; outside ``area.radius_m`` nobody is registered;
- an **outing** goes from home to a point of interest (hospital, clinic, supermarket,
  city hall, station, ...) chosen by the purpose shares and, within a category, by
  the POI's weight and distance (a nearer supermarket draws more); most come back
  after a dwell time that depends on the purpose (``return_share``, ``dwell_min``);
- outbound times follow the time-of-day profile; appointments at hospitals and
  clinics are booked by arrival (``by_arrival_share``) on a 15-minute grid;
- parties: wheelchair users and companions at their shares;
- **calls** come ``lead_min`` before the asked time, never before the lines open
  (calls for the first rides pile up at opening, as they do); some are made on an
  earlier day (``advance_share``); a return is often booked in the same call;
- fates fixed in advance: cancellations and no-shows at their rates;
- **shop orders** come in from ``deliveries.order_from`` to the cut-off, a few after
  it (they are refused, as a phone operator would);
- with ``[standing]``, **standing riders** (定期予約: dialysis, day care) ride by their
  weekly rule on ``standing.on``, booked the evening before (`scenarios.standing`),
  besides the generated rides.

Everything is drawn from ``seed`` in independent streams (homes, rides, deliveries),
never from the fleet: every variant of a sweep sees the same callers.
Replayed days (``demand.source = "replay"``) turn recorded bookings into the same
`Call`s.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from routing.errors import InputError
from routing.graph import RoadGraph
from routing.snapping import Snapper, random_points_near_roads
from scenarios.calls import Call, LonLat
from scenarios.districts import Districts, distance_m
from scenarios.spec import ScenarioSpec, parse_clock
from scenarios.standing import standing_calls, standing_riders
from scenarios.tables import Poi

#: Relative density of homes along a road of each OSM class.
HOMES_BY_ROAD = {
    "residential": 1.0,
    "living_street": 1.0,
    "unclassified": 0.7,
    "service": 0.5,
    "road": 0.5,
    "tertiary": 0.4,
    "secondary": 0.25,
    "primary": 0.15,
    "trunk": 0.05,
}
#: Within a category, POI weight falls off with distance from home like exp(-d / this).
POI_DECAY_M = 4000.0
#: Rough door-to-door speed used only to time appointments and returns (m/s).
ESTIMATE_SPEED = 25 / 3.6
ROAD_FACTOR = 1.3
APPOINTMENT_GRID_S = 900
DEPARTURE_GRID_S = 300
#: Calls piling up at opening time spread over this mean (s), one operator at a time.
OPENING_RUSH_S = 900
APPOINTMENT_KINDS = ("hospital", "clinic")


@dataclass(frozen=True, slots=True)
class Demand:
    """The day's calls (in booking order) and the registered homes they came from."""

    calls: tuple[Call, ...]
    homes: tuple[LonLat, ...]

    def points(self) -> list[LonLat]:
        """Every place a call names, once each, in first-seen order."""
        seen: dict[LonLat, None] = {}
        for c in self.calls:
            seen.setdefault(c.origin)
            seen.setdefault(c.destination)
        return list(seen)


def districts_of(spec: ScenarioSpec) -> Districts:
    a = spec.area
    return Districts(a.centre, a.district_rings_m, a.district_sectors, spec.district_centres)


def make_demand(spec: ScenarioSpec, seed: int, graph: RoadGraph | None) -> Demand:
    """The day's calls: replayed from the spec's CSV, or generated from ``seed``."""
    if spec.demand.source == "replay":
        return replayed(spec)
    if graph is None:
        raise InputError("demand: generating homes needs the road graph")
    # streams added later come after the first three, so earlier days stay the same
    streams = np.random.SeedSequence([seed, 20_240_601]).spawn(5)
    rng_homes, rng_rides, rng_orders, rng_hand_over, rng_visits = (
        np.random.default_rng(s) for s in streams
    )
    homes = draw_homes(spec, graph, rng_homes)
    calls = [
        *ride_calls(spec, homes, rng_rides),
        *delivery_calls(spec, homes, rng_orders),
        *visit_calls(spec, homes, rng_visits),
        *standing_demand(spec, homes, seed),
    ]
    where = districts_of(spec)
    calls = [replace(c, district=where.of(c.home)) for c in calls]
    calls = hand_over(spec, calls, rng_hand_over)
    calls.sort(key=lambda c: (c.booked_at, c.request_id))
    return Demand(tuple(calls), tuple(homes))


def standing_demand(spec: ScenarioSpec, homes: Sequence[LonLat], seed: int) -> list[Call]:
    """The standing riders' calls on ``standing.on`` (none without ``[standing]``): the
    riders come from the seed's own stream, so the other callers stay the same."""
    st = spec.standing
    if st is None:
        return []
    assert st.on is not None  # the spec's checks ask for it
    rides = spec.demand.rides_per_day * spec.demand.scale
    riders = standing_riders(st, homes, spec.pois, rides_per_day=rides, seed=seed)
    return standing_calls(st, riders, st.on)


# -- homes --------------------------------------------------------------------------------


def draw_homes(spec: ScenarioSpec, graph: RoadGraph, rng: np.random.Generator) -> list[LonLat]:
    """``demand.homes`` registered homes (on the road in front of the door)."""
    n = spec.demand.homes
    if spec.demand.homes_from == "population":
        return _population_homes(spec, graph, n, rng)
    snapper = Snapper(graph, max_snap_m=spec.map.max_snap_m)
    keep = np.array([HOMES_BY_ROAD.get(str(h).split(",")[0], 0.0) for h in graph.edge_highway])
    homes: list[LonLat] = []
    for _ in range(30):
        batch = random_points_near_roads(
            graph, 3 * n, seed=int(rng.integers(2**31)), max_offset_m=10.0
        )
        snapped = snapper.snap(batch)
        accept = rng.random(len(batch)) < keep[[p.edge for p in snapped]]
        for (lon, lat), ok in zip(batch, accept, strict=True):
            if ok and _inside(spec, (float(lon), float(lat))):
                homes.append((round(float(lon), 6), round(float(lat), 6)))
        if len(homes) >= n:
            return homes[:n]
    raise InputError(
        f"demand.homes: found only {len(homes)} of {n} homes along residential roads within "
        f"area.radius_m={spec.area.radius_m} of area.centre {list(spec.area.centre)}; "
        "is the centre inside the map?"
    )


def _population_homes(
    spec: ScenarioSpec, graph: RoadGraph, n: int, rng: np.random.Generator
) -> list[LonLat]:
    cells = [c for c in spec.population if c.weight > 0 and _inside(spec, (c.lon, c.lat))]
    if not cells:
        raise InputError(
            f"demand.population_csv: no populated cell within area.radius_m={spec.area.radius_m}"
        )
    w = np.array([c.weight for c in cells], dtype=float)
    pick = rng.choice(len(cells), size=n, p=w / w.sum())
    half = spec.demand.population_cell_m / 2
    snapper = Snapper(graph, max_snap_m=max(spec.map.max_snap_m, 3 * half))
    points = []
    for k in pick:
        c = cells[int(k)]
        dx, dy = rng.uniform(-half, half, size=2)
        lat = c.lat + dy / 110_574.0
        lon = c.lon + dx / (111_320.0 * math.cos(math.radians(c.lat)))
        points.append((lon, lat))
    try:
        snapped = snapper.snap(points)
    except InputError as exc:
        raise InputError(f"demand.population_csv: a cell has no road nearby: {exc}") from None
    return [(round(p.lon, 6), round(p.lat, 6)) for p in snapped]


def _inside(spec: ScenarioSpec, point: LonLat) -> bool:
    r = spec.area.radius_m
    return r is None or distance_m(spec.area.centre, point) <= r


# -- rides --------------------------------------------------------------------------------


def _profile_bins(spec: ScenarioSpec) -> tuple[list[tuple[int, int]], np.ndarray]:
    """(start, end) of each profile bin and its probability (weight x width)."""
    starts = sorted((parse_clock(k), w) for k, w in spec.demand.profile.items())
    bins, weights = [], []
    for i, (t, w) in enumerate(starts):
        end = starts[i + 1][0] if i + 1 < len(starts) else spec.service.end
        bins.append((t, end))
        weights.append(w * (end - t))
    p = np.array(weights, dtype=float)
    return bins, p / p.sum()


def _estimate_s(a: LonLat, b: LonLat) -> int:
    return int(distance_m(a, b) * ROAD_FACTOR / ESTIMATE_SPEED) + 120


def _pick_poi(pois: list[Poi], home: LonLat, rng: np.random.Generator) -> Poi:
    w = np.array(
        [p.weight * math.exp(-distance_m(home, (p.lon, p.lat)) / POI_DECAY_M) for p in pois]
    )
    if w.sum() <= 0:
        w = np.ones(len(pois))
    return pois[int(rng.choice(len(pois), p=w / w.sum()))]


def _call_time(
    spec: ScenarioSpec, pickup_estimate: int, rng: np.random.Generator, *, advance: bool
) -> int:
    """When the caller phones for a pickup around ``pickup_estimate``."""
    d = spec.demand
    if advance:
        lo, hi = d.advance_calls
        return int(rng.integers(lo, hi + 1))
    lead = int(rng.integers(d.lead_min[0] * 60, d.lead_min[1] * 60 + 1))
    opens = spec.booking.opens
    at = pickup_estimate - lead
    if at < opens:  # the morning queue at opening time
        at = opens + int(rng.exponential(OPENING_RUSH_S))
        at = max(opens, min(at, pickup_estimate - spec.booking.min_lead_min * 60))
    return at


def _party(spec: ScenarioSpec, rng: np.random.Generator) -> tuple[int, int]:
    d = spec.demand
    wheel = int(rng.random() < d.wheelchair_share)
    companion = int(rng.random() < d.companion_share)
    return 1 + companion, wheel


def _fare(spec: ScenarioSpec, party: int, rng: np.random.Generator) -> int:
    f = spec.fares
    rider = f.reduced_yen if rng.random() < f.reduced_share else f.ride_yen
    return rider + (party - 1) * f.companion_yen


def ride_calls(spec: ScenarioSpec, homes: list[LonLat], rng: np.random.Generator) -> list[Call]:
    """Outings until the day's ride count (Poisson) is reached, as calls."""
    d = spec.demand
    target = int(rng.poisson(d.rides_per_day * d.scale))
    if target == 0:
        return []
    purposes = [(k, w) for k, w in d.purposes.items() if w > 0]
    by_category: dict[str, list[Poi]] = {}
    for p in spec.pois:
        by_category.setdefault(p.category, []).append(p)
    pw = np.array([w for _, w in purposes], dtype=float)
    bins, bin_p = _profile_bins(spec)
    s = spec.service
    calls: list[Call] = []
    n_outings = 0
    while len(calls) < target:
        n_outings += 1
        outing = f"O{n_outings:04d}"
        home = homes[int(rng.integers(len(homes)))]
        purpose = purposes[int(rng.choice(len(purposes), p=pw / pw.sum()))][0]
        poi = _pick_poi(by_category[purpose], home, rng)
        place = (poi.lon, poi.lat)
        lo, hi = bins[int(rng.choice(len(bins), p=bin_p))]
        t = int(rng.integers(lo, hi))
        party, wheel = _party(spec, rng)
        fare = _fare(spec, party, rng)
        direct = _estimate_s(home, place)
        common = dict(party_size=party, wheelchairs=wheel, fare_yen=fare, outing=outing)
        by_arrival = purpose in APPOINTMENT_KINDS and rng.random() < d.by_arrival_share
        if by_arrival:
            arrive = _ceil(max(t, s.start + 1800), APPOINTMENT_GRID_S)
            if arrive > s.end:
                arrive = s.end // APPOINTMENT_GRID_S * APPOINTMENT_GRID_S
            pickup_est, there = arrive - direct, arrive
            times: dict = {"arrive_by": arrive}
        else:
            depart = min(_ceil(t, DEPARTURE_GRID_S), s.end)
            pickup_est, there = depart, depart + direct
            times = {"depart_at": depart}
        advance = rng.random() < d.advance_share
        booked = _call_time(spec, pickup_est, rng, advance=advance)
        out = Call(
            request_id="",
            kind="ride",
            booked_at=booked,
            origin=home,
            destination=place,
            home=home,
            purpose=purpose,
            cancel_u=_fate(rng, d.cancel_share),
            no_show=bool(rng.random() < d.no_show_share),
            **times,
            **common,
        )
        calls.append(out)
        dwell = d.dwell_min.get(purpose, 60.0) * 60 * rng.uniform(0.5, 1.5)
        back_at = _ceil(int(there + dwell), DEPARTURE_GRID_S)
        wants_back = rng.random() < d.return_share
        same_call = rng.random() < d.return_with_outbound_share
        back_call = _call_time(spec, back_at, rng, advance=advance)
        cancel_back, no_show_back = _fate(rng, d.cancel_share), rng.random() < d.no_show_share
        if wants_back and back_at <= s.end and len(calls) < target:
            calls.append(
                Call(
                    request_id="",
                    kind="ride",
                    booked_at=booked + 1 if same_call else max(booked + 1, back_call),
                    origin=place,
                    destination=home,
                    home=home,
                    purpose=purpose,
                    depart_at=back_at,
                    cancel_u=cancel_back,
                    no_show=bool(no_show_back),
                    **common,
                )
            )
    calls.sort(key=lambda c: (c.asked_time, c.booked_at, c.outing or ""))
    return [replace(c, request_id=f"R{i + 1:04d}") for i, c in enumerate(calls)]


def _fate(rng: np.random.Generator, share: float) -> float | None:
    """A cancellation point in [0, 1) with probability ``share``, else None."""
    u, v = rng.random(), rng.random()
    return float(v) if u < share else None


def _ceil(t: int, grid: int) -> int:
    return -(-t // grid) * grid


# -- shop deliveries ----------------------------------------------------------------------


def delivery_calls(spec: ScenarioSpec, homes: list[LonLat], rng: np.random.Generator) -> list[Call]:
    """Same-day shop orders: ordered by the cut-off (a few after), delivered that day."""
    d, dv = spec.demand, spec.deliveries
    n = int(rng.poisson(d.deliveries_per_day * d.scale))
    shops = [p for p in spec.pois if p.category == "supermarket"]
    if n == 0 or not shops:
        return []
    opens = dv.order_from if dv.order_from is not None else spec.booking.opens
    cutoff = spec.dispatch.order_cutoff
    last = cutoff if cutoff is not None else spec.service.end - 3600
    calls = []
    for i in range(n):
        home = homes[int(rng.integers(len(homes)))]
        shop = _pick_poi(shops, home, rng)
        late = cutoff is not None and rng.random() < dv.late_order_share
        at = (
            int(rng.integers(last + 60, last + 7200))
            if late
            else int(rng.integers(opens, last + 1))
        )
        ready = dv.ready_at if dv.ready_at is not None else at + 1800
        calls.append(
            Call(
                request_id=f"D{i + 1:04d}",
                kind="delivery",
                booked_at=at,
                origin=(shop.lon, shop.lat),
                destination=home,
                home=home,
                purpose="shopping",
                ready_at=max(ready, at),
                due_by=dv.due_by if dv.due_by is not None else spec.service.end,
                cargo_units=int(rng.integers(dv.cargo_units[0], dv.cargo_units[1] + 1)),
                fare_yen=spec.fares.delivery_fee_yen,
            )
        )
    return calls


def hand_over(spec: ScenarioSpec, calls: list[Call], rng: np.random.Generator) -> list[Call]:
    """Each shop order's parcel weight, and where it is handed over: at the nearest
    community hall when the home's district is one of ``deliveries.hall_districts``
    (the town's rule) or the caller asks for one (``hall_share``); else at the door.
    Whether the hall is within reach is the engine's answer, at the quote."""
    dv = spec.deliveries
    out = []
    for c in calls:
        if c.kind != "delivery":
            out.append(c)
            continue
        weight = round(float(rng.uniform(*dv.weight_kg)), 1)
        asks_hall = rng.random() < dv.hall_share or c.district in dv.hall_districts
        hall = None
        if asks_hall and spec.halls:
            hall = min(spec.halls, key=lambda h: (distance_m(c.home, h.at), h.name)).name
        fee = spec.fares.hall_fee_yen if hall is not None else spec.fares.delivery_fee_yen
        out.append(replace(c, hall=hall, weight_kg=weight, fare_yen=fee))
    return out


# -- clinic visits ----------------------------------------------------------------------


def visit_calls(spec: ScenarioSpec, homes: list[LonLat], rng: np.random.Generator) -> list[Call]:
    """Home visits of the clinic car (訪問診療): booked the day before, an appointment
    window of ``window_min`` starting on the quarter hour within ``visits.hours``."""
    v = spec.visits
    n = int(rng.poisson(v.per_day)) if v.per_day else 0
    out = []
    lo, hi = v.hours
    width = v.window_min * 60
    for i in range(n):
        home = homes[int(rng.integers(len(homes)))]
        start = lo + 900 * int(rng.integers(0, max(1, (hi - lo) // 900 + 1)))
        minutes = int(rng.integers(v.duration_min[0], v.duration_min[1] + 1))
        out.append(
            Call(
                request_id=f"V{i + 1:04d}",
                kind="visit",
                booked_at=v.booked_at,
                origin=home,
                destination=home,
                home=home,
                purpose="visit",
                window=(start, start + width),
                duration_s=minutes * 60,
            )
        )
    return out


# -- replay ---------------------------------------------------------------------------------


def replayed(spec: ScenarioSpec) -> Demand:
    """The recorded bookings of ``demand.replay_csv`` as calls (districts and fares the
    file leaves out come from the scenario)."""
    where = districts_of(spec)
    f = spec.fares
    calls = []
    for c in spec.replay:
        fare = c.fare_yen
        if fare is None:
            ride = f.ride_yen + (c.party_size - 1) * f.companion_yen
            fare = ride if c.kind == "ride" else f.delivery_fee_yen
        calls.append(replace(c, district=c.district or where.of(c.home), fare_yen=fare))
    calls.sort(key=lambda c: (c.booked_at, c.request_id))
    homes = list(dict.fromkeys(c.home for c in calls))
    return Demand(tuple(calls), tuple(homes))


def radius_ok(spec: ScenarioSpec, point: LonLat) -> bool:
    """Inside the service area (always, without ``area.radius_m``)."""
    return _inside(spec, point)
