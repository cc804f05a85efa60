"""Plans and manifests as the pages read them: stops with places, names, promises, lateness.

A vehicle's stops are the ones it has done today (``history``) followed by its
remaining route in the plan, so the driver's tablet and the dispatcher's board show
the whole day. A pickup is late when its service starts after the promised window
(dropoffs: against the arrive-by time). Every planned stop with a promise carries
``late_probability``, the chance it starts after its promise (`dispatch.risk`: the
noise of `dispatch.noise` propagated along the route); it is at risk when that chance
reaches the policy's threshold and it is due within the policy's horizon
(`RiskPolicy`, from the settings ``at_risk_probability`` and ``at_risk_horizon_min``),
and then carries its ``risk_reason``. Personal data (rider names, homes) is left out
unless the viewer may see it: homes then show as 「自宅」 at a ~100 m rounded point.

Several orders for one community hall (公民館) become one stop: consecutive hand-overs
at the same hall (all done, or all still to do) are shown as ONE stop with the hall
and its ``parcels``, from the first arrival to the last departure.

A home visit (訪問診療) is one stop of kind ``visit``: the patient (``rider_name``), the
appointment (``promise``; late and at risk against its end) and the consultation's
length (``duration_min``). A no-show at a patient's home stays a ``visit`` stop.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from api import schemas
from api.convert import ServiceClock
from api.db import models
from api.live.halls import place_id_of
from api.live.locations import DayLocations
from api.live.store import ReadDay
from api.settings import Settings
from api.vocab import PlaceKind, Role
from dispatch.audit import PlanChange
from dispatch.events import Booking, BookingStatus, BrokenPromise, DoneStop
from dispatch.live import LiveDay, OffRouteBreak
from dispatch.live.preview import RETIME_S, Preview
from dispatch.live.summary import DaySummary, day_summary
from dispatch.model import DeliveryOrder, RideRequest, TimeWindow, VisitRequest
from dispatch.reassign import MoveOption
from dispatch.result import REASON_TEXT, Step, StepKind
from dispatch.risk import RiskPolicy, StopRisk, day_risks

if TYPE_CHECKING:
    from api.runtime import Runtime

HOME_JA = "自宅"


def risk_policy(settings: Settings) -> RiskPolicy:
    """When the board flags a stop at risk, from the service's settings."""
    return RiskPolicy(settings.at_risk_probability, settings.at_risk_horizon_min * 60)


def broken_public(
    clock: ServiceClock, day: date, broken: Iterable[BrokenPromise]
) -> list[schemas.BrokenPromisePublic]:
    """Broken promises as the API shows them: which, when, by how much, why."""
    return [
        schemas.BrokenPromisePublic(
            booking_id=bp.booking_id,
            what=bp.what.value,
            at=clock.at(bp.at, day),
            cause=bp.cause,
            promised=clock.window(bp.promised, day),  # type: ignore[arg-type]
            by_s=bp.by_s,
            vehicle_id=bp.vehicle_id,
            message_ja=bp.message_ja,
            message_en=bp.message_en,
        )
        for bp in broken
    ]


def _merge(
    stop: schemas.StopPublic, more: schemas.StopPublic, parcel: schemas.ParcelPublic
) -> schemas.StopPublic:
    """A hall stop with one more parcel handed over there."""
    latest = [t for t in (stop.latest_at, more.latest_at) if t is not None]
    late = max(stop.late_s, more.late_s)
    riskier = max((stop, more), key=lambda x: x.late_probability or 0.0)
    status = stop.status
    if "arrived" in (stop.status, more.status):
        status = "arrived"
    return stop.model_copy(
        update={
            "departure": max(stop.departure, more.departure),
            "latest_at": min(latest) if latest else None,
            "late_s": late,
            "at_risk": not late and (stop.at_risk or more.at_risk),
            "late_probability": riskier.late_probability,
            "risk_reason": riskier.risk_reason if not late else None,
            "status": status,
            "parcels": [*stop.parcels, parcel],
        }
    )


@dataclass(frozen=True, slots=True)
class Lookup:
    """What the views need from the office tables, loaded once per request."""

    bookings: dict[str, models.Booking]
    rider_names: dict[int, str]
    places: dict[int, models.Place]
    vehicles: dict[str, models.Vehicle]
    personal: bool

    @classmethod
    def load(
        cls, session: Session, day: date, locations: DayLocations, *, personal: bool
    ) -> Lookup:
        bookings = {
            b.id: b
            for b in session.scalars(
                select(models.Booking).where(models.Booking.service_date == day)
            )
        }
        rider_ids = {b.rider_id for b in bookings.values() if b.rider_id is not None}
        names = (
            dict(
                session.execute(
                    select(models.Rider.id, models.Rider.name).where(models.Rider.id.in_(rider_ids))
                ).all()
            )
            if personal and rider_ids
            else {}
        )
        place_ids = {locations[i].place_id for i in range(len(locations))} - {None}
        places = (
            {
                p.id: p
                for p in session.scalars(select(models.Place).where(models.Place.id.in_(place_ids)))
            }
            if place_ids
            else {}
        )
        vehicles = {v.id: v for v in session.scalars(select(models.Vehicle))}
        return cls(bookings, names, places, vehicles, personal)

    def vehicle_name(self, vehicle_id: str) -> str:
        v = self.vehicles.get(vehicle_id)
        return v.name if v is not None else vehicle_id

    def rider_name(self, booking_id: str | None) -> str | None:
        if not self.personal or booking_id is None:
            return None
        row = self.bookings.get(booking_id)
        return self.rider_names.get(row.rider_id) if row and row.rider_id else None


def _visit_minutes(b: Booking | None) -> int | None:
    """A home visit's consultation length in minutes (None for other stops)."""
    if b is None or not isinstance(b.request, VisitRequest):
        return None
    return b.request.service_s // 60


class DayView:
    """Renders one day (a `LiveDay` and its locations) for one viewer."""

    def __init__(
        self,
        service_date: date,
        live: LiveDay | None,
        locations: DayLocations,
        arrivals: dict[str, object],
        lookup: Lookup,
        clock: ServiceClock,
        *,
        risk_policy: RiskPolicy,
    ) -> None:
        self.day = service_date
        self.live = live
        self.locations = locations
        self.arrivals = arrivals
        self.lookup = lookup
        self.clock = clock
        self.risk_policy = risk_policy
        self._risks: dict[tuple[str, str], StopRisk] | None = None

    @classmethod
    def of(
        cls,
        session: Session,
        read: ReadDay,
        clock: ServiceClock,
        *,
        personal: bool,
        risk_policy: RiskPolicy,
    ) -> DayView:
        """The view of a day read as of now, for a viewer who may (not) see personal data."""
        lookup = Lookup.load(session, read.service_date, read.locations, personal=personal)
        return cls(
            read.service_date,
            read.live,
            read.locations,
            read.arrivals,
            lookup,
            clock,
            risk_policy=risk_policy,
        )

    @classmethod
    def for_user(cls, session: Session, read: ReadDay, rt: Runtime, user: models.User) -> DayView:
        """`of` for a signed-in user: personal data as their role allows, the service's
        risk policy."""
        return cls.of(
            session,
            read,
            rt.clock,
            personal=Role(user.role).sees_personal_data,
            risk_policy=risk_policy(rt.settings),
        )

    def at(self, seconds: int) -> datetime:
        return self.clock.at(seconds, self.day)

    def window(self, w: TimeWindow | None) -> schemas.Window | None:
        return None if w is None else schemas.Window(start=self.at(w.start), end=self.at(w.end))

    # -- places ---------------------------------------------------------------------
    def place(self, index: int | None) -> schemas.StopPlace | None:
        if index is None or not 0 <= index < len(self.locations):
            return None
        loc = self.locations[index]
        place = self.lookup.places.get(loc.place_id) if loc.place_id else None
        if place is not None and place.kind == PlaceKind.HOME and not self.lookup.personal:
            return schemas.StopPlace(
                place_id=None, name=HOME_JA, lon=round(loc.lon, 3), lat=round(loc.lat, 3)
            )
        name = place.name if place is not None else (loc.label or "指定地点")
        return schemas.StopPlace(place_id=loc.place_id, name=name, lon=loc.lon, lat=loc.lat)

    def position(self, vehicle_id: str) -> schemas.LonLat | None:
        assert self.live is not None
        where = self.place(self.live.vehicle_state(vehicle_id).position)
        return None if where is None else schemas.LonLat(lon=where.lon, lat=where.lat)

    # -- stops ----------------------------------------------------------------------
    def risk(self, booking_id: str | None, kind: str) -> StopRisk | None:
        """The lateness risk of a planned stop (computed once per view, for every vehicle)."""
        if self.live is None or booking_id is None:
            return None
        if self._risks is None:
            self._risks = {
                (r.request_id, r.kind.value): r
                for r in day_risks(self.live)
                if r.request_id is not None
            }
        return self._risks.get((booking_id, kind))

    def _booking(self, booking_id: str | None) -> Booking | None:
        if booking_id is None or self.live is None:
            return None
        try:
            return self.live.booking(booking_id)
        except ValueError:
            return None

    def _stop(
        self,
        seq: int,
        kind: str,
        booking_id: str | None,
        location: int | None,
        arrival: int,
        start: int,
        departure: int,
        status: str,
    ) -> schemas.StopPublic:
        b = self._booking(booking_id)
        is_delivery = b is not None and b.request.kind == "delivery"
        shown_kind = f"delivery_{kind}" if is_delivery and kind != "break" else kind
        promise: TimeWindow | None = None
        latest: int | None = None
        if b is not None and kind == "pickup" and isinstance(b.request, RideRequest):
            promise = b.request.promise
            latest = promise.end if promise else None
        elif b is not None and kind == "visit" and isinstance(b.request, VisitRequest):
            promise = b.request.promise  # the appointment (訪問予定時間帯)
            latest = promise.end if promise else None
        elif b is not None and kind == "dropoff":
            if isinstance(b.request, RideRequest):
                latest = b.request.arrive_by
            else:
                promise = b.promise
                latest = promise.end if promise else None
        late = max(0, start - latest) if latest is not None else 0
        if b is not None and b.status is BookingStatus.PROMISE_BROKEN:
            late = max(late, 1)
        risk = self.risk(booking_id, kind) if status == "planned" else None
        if risk is not None and risk.deadline is None:
            risk = None  # nothing promised at this stop (a shop's collection)
        now = self.live.now if self.live is not None else 0
        at_risk = not late and risk is not None and self.risk_policy.flags(risk, now)
        reason = None
        if at_risk and risk is not None and risk.reason is not None:
            reason = risk.reason.value
        if status == "planned" and booking_id and f"{booking_id}:{kind}" in self.arrivals:
            status = "arrived"
        party = None
        wheelchair = False
        if b is not None and isinstance(b.request, RideRequest):
            party, wheelchair = b.request.party_size, b.request.wheelchairs > 0
        return schemas.StopPublic(
            seq=seq,
            kind=shown_kind,  # type: ignore[arg-type]
            booking_id=booking_id,
            booking_status=b.status.value if b is not None else None,
            rider_name=self.lookup.rider_name(booking_id),
            party_size=party,
            wheelchair=wheelchair,
            place=self.place(location),
            arrival=self.at(arrival),
            service_start=self.at(start),
            departure=self.at(departure),
            promise=self.window(promise),
            latest_at=self.at(latest) if latest is not None else None,
            status=status,  # type: ignore[arg-type]
            late_s=late,
            at_risk=at_risk,
            late_probability=None if risk is None else round(risk.late_probability, 3),
            risk_reason=reason,  # type: ignore[arg-type]
            duration_min=_visit_minutes(b),
        )

    def _done(self, seq: int, d: DoneStop) -> schemas.StopPublic:
        kind = d.kind
        if d.kind == "no_show":  # nobody there: a missed pickup, or nobody at home for a visit
            b = self._booking(d.request_id)
            kind = "visit" if b is not None and isinstance(b.request, VisitRequest) else "pickup"
        status = "no_show" if d.kind == "no_show" else "done"
        return self._stop(
            seq, kind, d.request_id, d.location, d.start, d.start, d.departure, status
        )

    def _planned(self, seq: int, s: Step) -> schemas.StopPublic:
        return self._stop(
            seq,
            s.kind.value,
            s.request_id,
            s.location,
            s.arrival,
            s.service_start,
            s.departure,
            "planned",
        )

    def stops(self, vehicle_id: str) -> list[schemas.StopPublic]:
        """Done stops, then the planned ones (start and end of the route left out);
        consecutive hand-overs at one hall as one stop."""
        assert self.live is not None
        out: list[schemas.StopPublic] = []
        for d in self.live.history(vehicle_id):
            if d.kind in ("depart", "depot"):
                continue  # leaving and coming back to the depot: not stops of the manifest
            out.append(self._done(len(out) + 1, d))
        off = self.live.breaks_off_route(vehicle_id)
        for b in (b for b in off if b.before):
            out.append(self._off_route(len(out) + 1, b))
        route = self.live.plan.route(vehicle_id)
        for s in route.steps if route is not None else ():
            if s.kind in (StepKind.START, StepKind.END):
                continue
            out.append(self._planned(len(out) + 1, s))
        for b in (b for b in off if not b.before):
            out.append(self._off_route(len(out) + 1, b))
        return self._group_halls(out)

    def _off_route(self, seq: int, b: OffRouteBreak) -> schemas.StopPublic:
        """A break taken before the departure or after the end, as a planned stop."""
        end = b.start + b.duration_s
        return self._stop(seq, "break", None, b.location, b.start, b.start, end, "planned")

    # -- community halls ------------------------------------------------------------------
    def _hall_parcel(self, stop: schemas.StopPublic) -> schemas.ParcelPublic | None:
        """The parcel a hand-over at a hall is (None: not one)."""
        b = self._booking(stop.booking_id)
        if (
            stop.kind != "delivery_dropoff"
            or b is None
            or not isinstance(b.request, DeliveryOrder)
            or place_id_of(b.request.hall_id) is None
        ):
            return None
        return schemas.ParcelPublic(
            booking_id=b.id,
            booking_status=b.status.value,
            rider_name=stop.rider_name,
            cargo_units=b.request.cargo_units,
            weight_kg=b.request.weight_kg,
            status=stop.status,
        )

    def _group_halls(self, stops: list[schemas.StopPublic]) -> list[schemas.StopPublic]:
        """Consecutive hand-overs at one hall (all done, or all to do) as one stop."""
        out: list[schemas.StopPublic] = []
        for stop in stops:
            parcel = self._hall_parcel(stop)
            if parcel is None:
                out.append(stop)
                continue
            b = self._booking(stop.booking_id)
            assert b is not None and isinstance(b.request, DeliveryOrder)
            hall_place = place_id_of(b.request.hall_id)
            assert hall_place is not None
            prev = out[-1] if out else None
            if (
                prev is not None
                and prev.hall is not None
                and prev.hall.place_id == hall_place
                and (prev.status == "done") == (stop.status == "done")
            ):
                out[-1] = _merge(prev, stop, parcel)
                continue
            name = stop.place.name if stop.place is not None else b.request.hall_id
            hall = schemas.HallRef(place_id=hall_place, name=name or "")
            out.append(stop.model_copy(update={"hall": hall, "parcels": [parcel]}))
        return [s.model_copy(update={"seq": i}) for i, s in enumerate(out, 1)]

    # -- whole answers -------------------------------------------------------------------
    def route(self, vehicle_id: str) -> schemas.RoutePublic:
        assert self.live is not None
        state = self.live.vehicle_state(vehicle_id)
        planned = self.live.plan.route(vehicle_id)
        return schemas.RoutePublic(
            vehicle_id=vehicle_id,
            vehicle_name=self.lookup.vehicle_name(vehicle_id),
            locked=state.closed,
            in_service=state.in_service,
            position=self.position(vehicle_id),
            distance_m=planned.distance_m if planned is not None else 0,
            duration_s=planned.duration_s if planned is not None else 0,
            stops=self.stops(vehicle_id),
        )

    def manifest(self, vehicle_id: str) -> schemas.ManifestPublic:
        r = self.route(vehicle_id)
        return schemas.ManifestPublic(
            service_date=self.day,
            vehicle_id=r.vehicle_id,
            vehicle_name=r.vehicle_name,
            locked=r.locked,
            in_service=r.in_service,
            position=r.position,
            stops=r.stops,
        )

    def broken(self) -> list[schemas.BrokenPromisePublic]:
        if self.live is None:
            return []
        return broken_public(self.clock, self.day, self.live.broken_promises)

    def plan(self, version: int, now: datetime) -> schemas.PlanPublic:
        if self.live is None:
            summary = schemas.PlanSummary(
                served=0, unassigned=0, vehicles_used=0, distance_m=0, duration_s=0, cost=0.0
            )
            return schemas.PlanPublic(
                service_date=self.day,
                version=version,
                now=now,
                summary=summary,
                routes=[],
                unassigned=[],
                broken_promises=[],
            )
        plan = self.live.plan
        s = plan.summary
        return schemas.PlanPublic(
            service_date=self.day,
            version=version,
            now=now,
            summary=schemas.PlanSummary(
                served=s.served,
                unassigned=s.unassigned,
                vehicles_used=s.vehicles_used,
                distance_m=s.distance_m,
                duration_s=s.duration_s,
                cost=round(s.cost, 1),
            ),
            routes=[self.route(v.id) for v in self.live.fleet],
            unassigned=[
                schemas.UnassignedPublic(
                    booking_id=u.request_id,
                    reason=u.reason.value,
                    reason_ja=REASON_TEXT[u.reason][0],
                    reason_en=u.detail or REASON_TEXT[u.reason][1],
                    rider_name=self.lookup.rider_name(u.request_id),
                )
                for u in plan.unassigned
            ],
            broken_promises=self.broken(),
        )

    # -- the dispatcher's tools -------------------------------------------------------------
    def change(self, c: PlanChange) -> schemas.PlanChangePublic:
        """One booking's place before and after a previewed event."""

        def at(t: int | None) -> datetime | None:
            return None if t is None else self.at(t)

        return schemas.PlanChangePublic(
            booking_id=c.booking_id,
            rider_name=self.lookup.rider_name(c.booking_id),
            before_vehicle=c.before_vehicle,
            after_vehicle=c.after_vehicle,
            before_pickup=at(c.before_pickup),
            after_pickup=at(c.after_pickup),
            before_dropoff=at(c.before_dropoff),
            after_dropoff=at(c.after_dropoff),
        )

    def preview(self, p: Preview, retime_s: int = RETIME_S) -> schemas.PreviewPublic:
        """A dry run as the board shows it (see `dispatch.live.preview`)."""
        return schemas.PreviewPublic(
            event=p.event,
            applies=p.applied,
            message=p.message,
            retime_min=retime_s // 60,
            moved=[self.change(c) for c in p.moved],
            retimed=[self.change(c) for c in p.retimed],
            dropped=[self.change(c) for c in p.dropped],
            broken=broken_public(self.clock, self.day, p.broken),
            violations=list(p.violations),
            before=schemas.PlanTotalsPublic(**asdict(p.before)),
            after=schemas.PlanTotalsPublic(**asdict(p.after)),
        )

    def move_options(
        self, booking_id: str, options: Iterable[MoveOption]
    ) -> schemas.MoveOptionsPublic:
        """The reassign assistant's options (see `dispatch.reassign`)."""
        assert self.live is not None
        threshold = self.risk_policy.threshold
        return schemas.MoveOptionsPublic(
            booking_id=booking_id,
            current_vehicle_id=self.live.route_of(booking_id),
            options=[
                schemas.MoveOptionPublic(
                    vehicle_id=o.vehicle_id,
                    vehicle_name=self.lookup.vehicle_name(o.vehicle_id),
                    keeps_promise=o.keeps_promise,
                    violations=list(o.violations),
                    added_distance_m=o.added_distance_m,
                    added_duration_s=o.added_duration_s,
                    added_cost=o.added_cost,
                    pickup_at=None if o.pickup_at is None else self.at(o.pickup_at),
                    dropoff_at=None if o.dropoff_at is None else self.at(o.dropoff_at),
                    late_probability=None
                    if o.late_probability is None
                    else round(o.late_probability, 3),
                    at_risk=(o.late_probability or 0.0) >= threshold,
                )
                for o in options
            ],
        )

    def summary(self, now: datetime, refused: int) -> schemas.DaySummaryPublic:
        """The day so far (see `dispatch.live.summary`); `refused` asks come from the
        office's records."""
        s = day_summary(self.live) if self.live is not None else DaySummary(0, 0, 0, 0, 0, 0, 0, 0)
        return schemas.DaySummaryPublic(
            service_date=self.day, now=now, refused=refused, **asdict(s)
        )
