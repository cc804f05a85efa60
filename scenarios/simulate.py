"""A whole service day, simulated through the live dispatch loop that runs the real service.

`simulate_day` builds the day's callers (`scenarios.demand`) and world
(`scenarios.world`), then plays events in time order on a `dispatch.live.LiveDay`,
exactly as phone operators and drivers would:

- a **call** at its booking time: a quote (instant insertion, held seat, promised
  window); the caller accepts at once (`LiveDay.confirm`) or is refused with the
  engine's reason. Asks outside the service hours or area, or for a party no vehicle
  can seat, are refused before quoting, as an operator would;
- a **cancellation** (`LiveDay.cancel`) at the rider's chosen moment before pickup;
- a **no-show** (`LiveDay.no_show`) when the vehicle reaches a rider who is not there;
  their return ride is cancelled then too;
- **weather** grounds the drones (`LiveDay.ground_drones`) for each of
  ``drones.grounded`` from its start: pending flights move to vans or their promise is
  reported;
- **re-optimisation** every ``dispatch.reopt_every_min``: a full solve of the live
  problem warm-started from the plan, offered to the day (`LiveDay.offer`: kept only if
  it keeps every promise and costs less). It runs synchronously with a solution limit
  (``dispatch.reopt_solutions``), never a time limit, so the day is reproducible;
- between events the clock moves in ``time_step_s`` steps (`LiveDay.advance_to`),
  which drives the vehicles along the plan: stops whose time has come are done;
- with ``[noise]`` the day does not go to plan (`scenarios.noisy`): cars report their
  delays (`LiveDay.vehicle_delayed`) and early arrivals (`LiveDay.vehicle_position`)
  as they happen, and every ``noise.forecast_every_min`` the lateness risk of each
  upcoming stop is recorded to meet its outcome (`scenarios.forecasts`);
- with ``[callers]`` a refused caller takes an alternative time, calls back later or
  gives up (`scenarios.callers`).

With ``[transit]`` the same calls are first shared out by mode (`scenarios.modes`):
on-demand calls and the car legs of feeder trips play through this loop, bus trips are
journeys on the day's timetable (`scenarios.fixed`), and the buses join the vehicles.

Same (spec, seed) -> same `DayResult`, on any machine or worker.
"""

from __future__ import annotations

import heapq
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from dispatch.errors import InputError as DispatchInputError
from dispatch.errors import SolverError
from dispatch.events import BookingStatus
from dispatch.live import LiveConfig, LiveDay, solve_job
from dispatch.model import RideTimePolicy, TimeWindow
from dispatch.quote import Ask, DeliveryAsk, Quote, QuoteConfig, RideAsk, VisitAsk
from dispatch.result import StepKind
from dispatch.stop import MaxRuntime, SolutionLimit
from routing.transit.journeys import Journey
from routing.transit.timetable import Timetable
from scenarios import metrics, records
from scenarios.buses import bus_of_trip
from scenarios.callers import Choice, choose
from scenarios.calls import Call
from scenarios.demand import Demand, districts_of, make_demand, radius_ok
from scenarios.fixed import (
    TransitService,
    absent_outings,
    bus_journey,
    buses,
    coverage_kpis,
    fixed_record,
    transit_service,
)
from scenarios.forecasts import Forecasts
from scenarios.modes import Feeder, Mode, feeder_record, mode_of, on_demand_district, plan_feeder
from scenarios.noisy import STEP_S, NoisyDriving
from scenarios.records import Outcome
from scenarios.results import DayResult, TripRecord, TripStatus, VehicleRecord
from scenarios.spec import ScenarioSpec
from scenarios.world import World, build_world, fits, ride_load, road_graph

log = logging.getLogger(__name__)

#: ``progress(simulated_seconds_done, simulated_seconds_total)``.
Progress = Callable[..., None]

H = 3600
NAN = float("nan")
#: A cancellation lands at least this long before the promised pickup window opens.
CANCEL_BEFORE_S = 300
#: Re-optimisation runs the engine from the live plan under a solution-count stop, so
#: the day is reproducible; a search that hits the time guard instead is discarded, so
#: the day never depends on the clock.
REOPT_GUARD_S = 3.0
#: After the last shift the clock runs this much longer (late riders are delivered);
#: the engine's horizon lies beyond it.
OVERTIME_S = 3 * H
#: The stream of the seed the noise draws from (demand keeps its own, so the callers are
#: the same with and without noise).
NOISE_STREAM = 5
# event kinds, in the order they are handled at one moment
_GROUND, _CANCEL, _CALL, _FORECAST, _REOPT = -1, 0, 1, 2, 3


@dataclass(slots=True)
class Counters:
    reopts: int = 0
    reopt_accepted: int = 0
    quotes: int = 0
    quote_s: float = 0.0
    reopt_s: float = 0.0
    checks: int = 0  # independent checks of the live plan (dispatch.check)
    violations: int = 0


def simulate_day(
    spec: ScenarioSpec,
    seed: int | None = None,
    *,
    data_dir: Path,
    cache_dir: Path | None = None,
    variant: str = "base",
    progress: Progress | None = None,
    timetable: Timetable | None = None,
) -> DayResult:
    """Simulate one service day of ``spec`` with random ``seed`` (default: the spec's).

    With ``[transit]``, callers are served as ``transit.serve`` says (`scenarios.modes`);
    ``timetable`` replaces reading ``transit.feed`` (tests, a timetable built in code).

    Raises `InputError` for problems a planner must fix (missing map, a depot or
    point of interest off the map).
    """
    seed = spec.seed if seed is None else seed
    seconds: dict[str, float] = {}
    t0 = time.perf_counter()
    graph = road_graph(spec, Path(data_dir), cache_dir)
    seconds["graph"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    demand = make_demand(spec, seed, graph)
    seconds["demand"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    service = transit_service(spec, timetable)
    seconds["transit"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    pooling = spec.dispatch.pooling
    extra = [] if service is None else service.stop_points()
    if service is not None and service.hub is not None:
        extra.append(service.hub)
    world = build_world(spec, graph, [*demand.points(), *extra], pooling=pooling)
    seconds["matrix"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    served = serve_day(spec, world, demand, service, seed, progress)
    seconds["simulate"] = time.perf_counter() - t0
    run = served.run
    t0 = time.perf_counter()
    day = DayResult(
        scenario=spec.name,
        variant=variant,
        seed=seed,
        trips=served.trips,
        vehicles=served.vehicles,
    )
    day.kpis = metrics.day_kpis(day, metrics.CostModel.of(spec))
    counters = run.counters if run is not None else Counters()
    day.kpis.update(
        {
            "reoptimisations": float(counters.reopts),
            "reopt_accepted": float(counters.reopt_accepted),
            "plan_checks": float(counters.checks),
            "plan_violations": float(counters.violations),
        }
    )
    if run is not None:
        day.kpis.update(run.noise_kpis())
        day.kpis.update(run.caller_kpis())
        day.kpis.update(drone_kpis(run.live))
        day.kpis.update(nurse_kpis(run.live, world, spec.visits.feature))
    if service is not None:
        where = districts_of(spec)
        day.kpis.update(
            coverage_kpis(
                spec,
                service,
                demand.homes,
                lambda h: radius_ok(spec, h) and on_demand_district(spec, where.of(h)),
            )
        )
    day.districts = metrics.district_rows(day.trips)
    seconds["records"] = time.perf_counter() - t0
    seconds["quotes"] = counters.quote_s
    seconds["reopt"] = counters.reopt_s
    day.seconds = {k: round(v, 3) for k, v in seconds.items()}
    log.info(
        "day %s/%s seed %d: %d requests, served %.1f %%, within promise %.1f %% in %.1f s",
        spec.name,
        variant,
        seed,
        len(day.trips),
        100 * day.kpis.get("served_share", float("nan")),
        100 * day.kpis.get("within_promise_share", float("nan")),
        sum(seconds.values()) - seconds["quotes"] - seconds["reopt"],
    )
    return day


@dataclass(slots=True)
class Served:
    """What a day's service produced: one record per call (in call order), vehicles
    (on-demand cars, then buses), and the live loop if the on-demand fleet ran."""

    trips: list[TripRecord]
    vehicles: list[VehicleRecord]
    run: DayRun | None


def serve_day(
    spec: ScenarioSpec,
    world: World,
    demand: Demand,
    service: TransitService | None,
    seed: int,
    progress: Progress | None = None,
) -> Served:
    """Serve every call by its mode (`scenarios.modes`): on-demand calls and feeders'
    car legs through the live loop, bus trips by journeys, then one record per call."""
    car_calls: list[Call] = []
    bus_calls: list[Call] = []
    feeders: dict[str, Feeder] = {}
    for c in demand.calls:
        mode = mode_of(spec, c) if service is not None else Mode.DRT
        feeder = None
        if mode is Mode.FEEDER:
            assert service is not None
            feeder = plan_feeder(spec, c, service, world)
        if feeder is not None:
            feeders[c.request_id] = feeder
            car_calls.append(feeder.car)
        elif mode is Mode.FIXED:
            bus_calls.append(c)
        else:
            car_calls.append(c)
    trips: dict[str, TripRecord] = {}
    vehicles: list[VehicleRecord] = []
    run = None
    if spec.transit.serve != "fixed":
        run = DayRun(spec, world, replace(demand, calls=tuple(car_calls)), seed)
        run.play(progress)
        for t in records.trip_records(car_calls, run.outcomes, run.live, world):
            trips[t.request_id] = t
        vehicles += records.vehicle_records(run.live, world, car_calls)
    if service is not None:
        bus_of = bus_of_trip(service.plan)
        absent = absent_outings(demand.calls)
        ridden = []
        for c in bus_calls:
            answer = bus_journey(service, c) if c.kind == "ride" else None
            rec = trips[c.request_id] = fixed_record(spec, c, answer, world, bus_of, absent)
            if rec.status is TripStatus.SERVED and isinstance(answer, Journey):
                ridden.append((answer, c.party_size))
        for rid, feeder in feeders.items():
            rec, journey = feeder_record(spec, feeder, trips[rid], service, bus_of, world)
            trips[rid] = rec
            if journey is not None:
                ridden.append((journey, feeder.call.party_size))
        vehicles += buses(service, world, ridden)
    return Served([trips[c.request_id] for c in demand.calls], vehicles, run)


def ask_hall(ask: Ask) -> bool:
    """An order asked to a community hall."""
    return isinstance(ask, DeliveryAsk) and ask.hall_id is not None


def drone_kpis(live: LiveDay) -> dict[str, float]:
    """Flights that landed today, their kilometres, and flights per drone (none: {})."""
    service = live.drone_service
    if service is None:
        return {}
    landed = {s.request_id for s in live.drone_history()}
    flights = [f for f in live.flights if f.order_id in landed]
    return {
        "drone_flights": float(len(flights)),
        "drone_km": sum(f.distance_m for f in flights) / 1000,
        "flights_per_drone": len(flights) / len(service.drones),
    }


def nurse_kpis(live: LiveDay, world: World, feature: str) -> dict[str, float]:
    """Share of the clinic cars' shift hours spent at patients' homes (none: {})."""
    cars = [v for v in world.vehicles if feature in v.features]
    if not cars:
        return {}
    visiting = sum(
        s.departure - s.start for v in cars for s in live.history(v.id) if s.kind == "visit"
    )
    shifts = sum(v.shift.end - v.shift.start for v in cars)
    return {"nurse_car_utilisation": visiting / shifts if shifts else float("nan")}


def live_config(spec: ScenarioSpec) -> tuple[LiveConfig, RideTimePolicy]:
    """The engine's quote settings and ride-time policy for the spec's policies."""
    d = spec.dispatch
    quote = QuoteConfig(
        promise_width_s=d.pickup_window_min * 60,
        departure_early_s=d.departure_early_min * 60,
        departure_late_s=d.departure_late_min * 60,
        arrival_lead_s=d.arrival_lead_min * 60,
        min_lead_s=spec.booking.min_lead_min * 60,
        delivery_cutoff_s=d.order_cutoff,
        delivery_slot_s=d.delivery_slot_min * 60,
    )
    policy = RideTimePolicy(
        alpha=d.max_ride_factor, beta_s=d.max_ride_plus_min * 60, cap_s=d.max_ride_cap_min * 60
    )
    return LiveConfig(quote=quote, late_rather_than_never=d.serve_late), policy


@dataclass(slots=True)
class DayRun:
    """The event loop of one day (see the module docstring)."""

    spec: ScenarioSpec
    world: World
    demand: Demand
    seed: int
    live: LiveDay = field(init=False)
    outcomes: dict[str, Outcome] = field(default_factory=dict)
    counters: Counters = field(default_factory=Counters)
    _events: list[tuple[int, int, int, Any]] = field(default_factory=list)
    _seq: int = 0
    _no_shows: set[str] = field(default_factory=set)
    _calls: dict[str, Call] = field(default_factory=dict)
    _clock: tuple[int, int] = (0, 1)
    _progress: Progress | None = None
    noisy: NoisyDriving | None = None
    forecasts: Forecasts | None = None

    def __post_init__(self) -> None:
        config, policy = live_config(self.spec)
        calls = self.demand.calls
        start = min([self.spec.booking.opens, *(c.booked_at for c in calls)])
        shift_end = max(v.shift.end for v in self.world.vehicles)
        horizon = max(24 * H, shift_end + 2 * OVERTIME_S)
        self.live = LiveDay(
            self.world.time_s,
            self.world.distance_m,
            self.world.vehicles,
            now=start,
            config=config,
            horizon_s=horizon,
            ride_policy=policy,
            halls=self.world.halls,
            drones=self.world.drones,
        )
        self._clock = (self.spec.booking.opens, max(shift_end, self.spec.service.end))
        for c in calls:
            self._calls[c.request_id] = c
            self.outcomes[c.request_id] = Outcome()
            self._push(c.booked_at, _CALL, c.request_id)
        if self.world.drones is not None:
            for start, end in self.spec.drones.grounded:  # the weather turns at its start
                self._push(max(start, self.live.now), _GROUND, (start, end))
        noise = self.spec.noise
        if noise.enabled:
            cfg = noise.config()
            rng = np.random.default_rng([self.seed, NOISE_STREAM])
            self.noisy = NoisyDriving(cfg, rng, self.live)
            self.forecasts = Forecasts(cfg)
            t = self.spec.booking.opens
            while t <= self._clock[1]:
                self._push(t, _FORECAST, None)
                t += noise.forecast_every_min * 60
        every = self.spec.dispatch.reopt_every_min * 60
        if every:
            t = self.spec.booking.opens + every
            while t <= self.spec.service.end:
                self._push(t, _REOPT, None)
                t += every

    # -- what the day adds to the KPIs ---------------------------------------------
    def noise_kpis(self) -> dict[str, float]:
        """Promises kept, the cars' reports, interventions and the risk's calibration
        on a noisy day (exact days: {})."""
        if self.noisy is None or self.forecasts is None:
            return {}
        promised = {p.booking_id for p in self.live.ledger}
        broken = {bp.booking_id for bp in self.live.broken_promises} & promised
        n = self.noisy
        return {
            "promises_made": float(len(promised)),
            "promises_broken": float(len(broken)),
            "promises_kept_share": 1 - len(broken) / len(promised) if promised else NAN,
            "delay_reports": float(n.delay_reports),
            "position_reports": float(n.position_reports),
            "dispatcher_interventions": float(n.interventions),
            **self.forecasts.kpis(self.live),
        }

    def caller_kpis(self) -> dict[str, float]:
        """What refused callers did (without ``[callers]``: {})."""
        if not self.spec.callers.enabled:
            return {}
        outs = self.outcomes.values()
        back = [(rid, o) for rid, o in self.outcomes.items() if o.callbacks]
        done = BookingStatus.DONE
        return {
            "callers_took_alternative": float(sum(o.alternative for o in outs)),
            "callers_called_back": float(len(back)),
            "callers_booked_on_call_back": float(sum(o.booked for _, o in back)),
            "callers_served_on_call_back": float(
                sum(o.booked and self.live.booking(rid).status is done for rid, o in back)
            ),
            "callers_gave_up": float(sum(o.gave_up for o in outs)),
        }

    # -- the loop -------------------------------------------------------------------
    def play(self, progress: Progress | None = None) -> None:
        self._progress = progress
        while self._events:
            t, kind, _, payload = heapq.heappop(self._events)
            self._move_to(t)
            if kind == _CALL:
                self._call(self._calls[payload])
            elif kind == _CANCEL:
                self._cancel(payload)
            elif kind == _GROUND:
                self.live.ground_drones(*payload, cause="weather", note="scenario weather")
            elif kind == _FORECAST:
                assert self.forecasts is not None
                self.forecasts.record(self.live)
            else:
                self._reoptimise()
        self._move_to(self._clock[1])
        self._move_to(self._clock[1] + OVERTIME_S)  # riders still on board are delivered
        self._report(self.live.now)

    def _push(self, t: int, kind: int, payload: Any) -> None:
        self._seq += 1
        heapq.heappush(self._events, (t, kind, self._seq, payload))

    def _report(self, now: int) -> None:
        if self._progress is None:
            return
        lo, hi = self._clock
        self._progress(min(max(now - lo, 0), hi - lo), hi - lo)

    def _move_to(self, t: int) -> None:
        """Advance the clock to ``t`` in time steps, stopping for the cars' reports of a
        noisy day and for no-shows on the way."""
        live = self.live
        step = self.spec.time_step_s
        if self.noisy is not None:
            step = min(step, STEP_S)
        while live.now < t:
            target = min(t, live.now + step)
            report = self.noisy.next_report(target) if self.noisy is not None else None
            if report is not None:
                at, vid = report
                live.advance_to(max(live.now, at))
                self.noisy.report(vid)  # type: ignore[union-attr]
                continue
            due = self._next_no_show(target)
            if due is not None:
                at, bid = due
                live.advance_to(max(live.now, at))
                self._absent(bid)
                continue
            live.advance_to(target)
            self._report(target)

    def _next_no_show(self, until: int) -> tuple[int, str] | None:
        """The earliest planned pickup (at or before ``until``) of a rider who is not there."""
        if not self._no_shows:
            return None
        best: tuple[int, str] | None = None
        for route in self.live.plan.routes:
            for step in route.steps:
                if (
                    step.kind is StepKind.PICKUP
                    and step.request_id in self._no_shows
                    and step.service_start <= until
                    and (best is None or (step.service_start, step.request_id) < best)
                ):
                    best = (step.service_start, step.request_id)
        return best

    # -- events ---------------------------------------------------------------------
    def _call(self, call: Call) -> None:
        out = self.outcomes[call.request_id]
        if out.rejected is not None:  # its outing ended before the call (no-show)
            return
        reason = self._screen(call)
        if reason is not None:
            out.rejected = reason
            return
        ask = self._ask(call)
        t0 = time.perf_counter()
        try:
            quote = self.live.quote(ask, booking_id=call.request_id)
        except DispatchInputError as exc:
            log.info("call %s refused as invalid: %s", call.request_id, exc)
            out.rejected = "invalid_request"
            return
        finally:
            self.counters.quotes += 1
            self.counters.quote_s += time.perf_counter() - t0
        if not quote.ok and ask_hall(ask) and quote.alternatives:
            # the operator offers the door or another hall; the caller takes the first
            other = quote.alternatives[0].hall_id
            quote = self.live.quote(replace(ask, hall_id=other), booking_id=call.request_id)
        if not quote.ok and self.spec.callers.enabled and isinstance(ask, RideAsk):
            answer = self._caller_choice(call, ask, quote)
            if answer is None:
                return  # calls back later
            quote = answer
        if not quote.ok:
            assert quote.reason is not None
            out.rejected = quote.reason.value
            return
        self.live.confirm(call.request_id)
        out.booked, out.promise = True, quote.promise
        if call.no_show and call.kind == "ride":
            self._no_shows.add(call.request_id)
        cancel_at = self._cancel_time(call, quote.promise)
        if cancel_at is not None:
            self._push(max(cancel_at, self.live.now), _CANCEL, call.request_id)

    def _caller_choice(self, call: Call, ask: RideAsk, quote: Quote) -> Quote | None:
        """A refused caller's choice (`scenarios.callers`): the quote of the alternative
        taken, the refusal when they give up, None when they call back later."""
        out = self.outcomes[call.request_id]
        choice, alt = choose(
            self.spec.callers,
            self.seed,
            call.request_id,
            out.callbacks,
            call.asked_time,
            quote.alternatives,
        )
        if choice is Choice.CALL_BACK:
            out.callbacks += 1
            later = self.live.now + self.spec.callers.callback_after_min * 60
            self._push(later, _CALL, call.request_id)
            return None
        if choice is Choice.ACCEPT:
            assert alt is not None
            if ask.depart_at is not None:
                moved = replace(ask, depart_at=alt.time)
            else:
                moved = replace(ask, arrive_by=alt.time)
            taken = self.live.quote(moved, booking_id=call.request_id)
            if taken.ok:
                out.alternative = True
                return taken
        out.gave_up = True
        return quote

    def _screen(self, call: Call) -> str | None:
        return screen_call(self.spec, self.world, call)

    def _ask(self, call: Call) -> Ask:
        return call_ask(self.spec, self.world, call)

    def _cancel_time(self, call: Call, promise: TimeWindow | None) -> int | None:
        if call.cancel_at is not None:
            return call.cancel_at
        if call.cancel_u is None or promise is None or call.kind != "ride":
            return None
        room = promise.start - CANCEL_BEFORE_S - call.booked_at
        return call.booked_at + max(60, int(call.cancel_u * room))

    def _cancel(self, bid: str, reason: str = "caller_cancelled") -> None:
        b = self.live.booking(bid)
        if b.status is BookingStatus.CONFIRMED:
            self.live.cancel(bid)
            self.outcomes[bid].cancel_reason = reason
            self._no_shows.discard(bid)

    def _absent(self, bid: str) -> None:
        """The driver finds nobody: a no-show, and the same outing's return is off."""
        self._no_shows.discard(bid)
        self.live.no_show(bid)
        outing = self._calls[bid].outing
        if outing is None:
            return
        for other in self._calls.values():
            if other.outing == outing and other.request_id != bid:
                out = self.outcomes[other.request_id]
                if out.booked:
                    self._cancel(other.request_id, "outbound_no_show")
                elif out.rejected is None and other.booked_at > self.live.now:
                    out.rejected = "outbound_no_show"  # never calls: recorded as cancelled

    def _check(self) -> None:
        report = self.live.check()
        self.counters.checks += 1
        self.counters.violations += len(report.violations)
        if not report.ok():
            log.error("live plan fails the checker at %d: %s", self.live.now, report)

    def _reoptimise(self) -> None:
        self._check()
        job = self.live.reopt_job()
        if not job.problem.tasks:
            return
        t0 = time.perf_counter()
        self.counters.reopts += 1
        try:
            plan = solve_job(
                job,
                SolutionLimit(self.spec.dispatch.reopt_solutions) | MaxRuntime(REOPT_GUARD_S),
                seed=self.seed,
            )
        except SolverError as exc:
            self.live.discard(job, f"solver failed: {exc}")
        else:
            if time.perf_counter() - t0 >= REOPT_GUARD_S:
                self.live.discard(job, "the search hit the time guard (not reproducible)")
            else:
                self.counters.reopt_accepted += self.live.offer(job, plan).accepted
        self.counters.reopt_s += time.perf_counter() - t0


def screen_call(spec: ScenarioSpec, world: World, call: Call) -> str | None:
    """Refusals an operator makes before asking the engine (None: ask it)."""
    w = world
    if call.kind == "ride":
        s = spec.service
        if not s.start <= call.asked_time <= s.end:
            return "outside_service_hours"
        if not fits(w.groups, call.party_size, call.wheelchairs):
            return "no_vehicle"
    if not (radius_ok(spec, call.origin) and radius_ok(spec, call.destination)):
        return "outside_service_area"
    if w.location(call.origin) is None or w.location(call.destination) is None:
        return "outside_service_area"
    return None


def call_ask(spec: ScenarioSpec, world: World, call: Call) -> Ask:
    """What the operator takes down for a call (the same for every fleet variant)."""
    o, d = world.location(call.origin), world.location(call.destination)
    assert o is not None and d is not None
    if call.kind == "visit":
        assert call.window is not None
        return VisitAsk(
            o,
            window=TimeWindow(*call.window),
            service_s=call.duration_s,
            rider_id=call.request_id,
            required_features=frozenset({spec.visits.feature}),
        )
    if call.kind == "delivery":
        return DeliveryAsk(
            o,
            d,
            ready_at=call.ready_at,
            due_by=call.due_by,
            cargo_units=max(1, call.cargo_units),
            hall_id=call.hall,
            weight_kg=call.weight_kg,
        )
    party, wheel, need = ride_load(call.party_size, call.wheelchairs, pooling=spec.dispatch.pooling)
    slow = call.wheelchairs > 0
    return RideAsk(
        o,
        d,
        depart_at=call.depart_at,
        arrive_by=call.arrive_by,
        rider_id=call.outing or call.request_id,
        party_size=party,
        wheelchairs=wheel,
        board_s=300 if slow else 60 + 30 * (call.party_size - 1),
        alight_s=240 if slow else 60,
        required_features=need,
    )
