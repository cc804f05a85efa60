"""Vehicles, their manifests (運行表) and what drivers report from the tablet.

A driver sees and reports for their own vehicle only (403 otherwise); dispatchers
for any. Driver events: ``arrived`` (到着), ``picked_up`` (乗車), ``dropped_off`` (降車),
``no_show`` (不在) — each about the vehicle's next stop (409 if it is another) —
``delayed`` (遅れ, with ``delay_min``) and ``breakdown`` (故障). A home visit's stop
(訪問診療) is reported ``arrived``, then ``visited`` (訪問完了) once the consultation is
over — not before its appointment window opens (409 ``visit_not_begun``) — or
``no_show`` (nobody at home). A position report is snapped to the road and re-times
the rest of the route from there.
"""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, status
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.db.models import Drone, Place, User, Vehicle
from api.deps import (
    DateQuery,
    FleetUser,
    FleetViewer,
    KeyPath,
    ReadSession,
    RuntimeDep,
    VehicleCrewUser,
    WriteSession,
    actor_of,
    today,
)
from api.live.store import OpenDay, running
from api.live.views import DayView, broken_public, risk_policy
from api.problems import conflict, forbidden, invalid_field, not_found
from api.routes.common import office_audit, problems
from api.routes.visits import complete_visit
from api.schemas import (
    DriverEvent,
    EventOutcome,
    ManifestPublic,
    PositionReport,
    PreviewPublic,
    VehicleCreate,
    VehiclePublic,
)
from api.vocab import PlaceKind, Role
from dispatch.events import EventResult
from dispatch.live import LiveDay
from dispatch.live.preview import preview
from dispatch.result import REQUEST_STEPS, StepKind

router = APIRouter(prefix="/vehicles", tags=["vehicles"])


def own_vehicle_only(user: User, vehicle_id: str) -> None:
    """403 for a driver asking about another vehicle."""
    if user.role == Role.DRIVER and user.vehicle_id != vehicle_id:
        raise forbidden("ほかの車両の運行表は見られません", "drivers see their own vehicle only")


def vehicle_or_404(session: Session, vehicle_id: str) -> Vehicle:
    vehicle = session.get(Vehicle, vehicle_id)
    if vehicle is None:
        raise not_found("車両", "vehicle", vehicle_id)
    return vehicle


@router.get("", response_model=list[VehiclePublic], responses=problems())
def list_vehicles(user: FleetViewer, session: ReadSession) -> list[VehiclePublic]:
    """The fleet (a driver: their own vehicle)."""
    q = select(Vehicle).order_by(Vehicle.id)
    if user.role == Role.DRIVER:
        q = q.where(Vehicle.id == (user.vehicle_id or ""))
    return [VehiclePublic.model_validate(v) for v in session.scalars(q)]


@router.post(
    "",
    response_model=VehiclePublic,
    status_code=status.HTTP_201_CREATED,
    responses=problems(409, 422),
)
def add_vehicle(body: VehicleCreate, user: FleetUser, session: WriteSession) -> VehiclePublic:
    """A vehicle of the fleet; it runs on the days it has a shift."""
    if session.get(Vehicle, body.id) is not None:
        raise conflict("vehicle_exists", f"車両「{body.id}」はすでにあります", "vehicle id taken")
    if session.get(Drone, body.id) is not None:  # a booking's vehicle_id names either
        raise conflict(
            "id_taken",
            f"「{body.id}」はドローンの番号に使われています",
            f"{body.id!r} is a drone's id; vehicles and drones need ids of their own",
        )
    depot = session.get(Place, body.depot_place_id)
    if depot is None or depot.kind == PlaceKind.HOME:
        raise invalid_field(
            "depot_place_id",
            f"登録されていない場所です（{body.depot_place_id}）",
            f"unknown place {body.depot_place_id}",
        )
    vehicle = Vehicle(**body.model_dump(), active=True, created_at=datetime.now(UTC))
    session.add(vehicle)
    office_audit(
        session,
        user,
        "vehicle_added",
        f"車両追加 {body.id}",
        f"vehicle {body.id}",
        vehicle_id=body.id,
    )
    session.commit()
    return VehiclePublic.model_validate(vehicle)


@router.get("/{vehicle_id}", response_model=VehiclePublic, responses=problems(404))
def read_vehicle(vehicle_id: KeyPath, user: FleetViewer, session: ReadSession) -> VehiclePublic:
    own_vehicle_only(user, vehicle_id)
    return VehiclePublic.model_validate(vehicle_or_404(session, vehicle_id))


@router.get("/{vehicle_id}/manifest", response_model=ManifestPublic, responses=problems(404, 422))
def manifest(
    vehicle_id: KeyPath,
    user: VehicleCrewUser,
    session: ReadSession,
    rt: RuntimeDep,
    service_date: DateQuery = None,
) -> ManifestPublic:
    """The vehicle's stops of the day in order: done ones, then the plan."""
    own_vehicle_only(user, vehicle_id)
    vehicle = vehicle_or_404(session, vehicle_id)
    day = service_date or today(rt)
    read = rt.days.read(session, day)
    if read.live is None or vehicle_id not in {v.id for v in read.live.fleet}:
        return ManifestPublic(
            service_date=day,
            vehicle_id=vehicle_id,
            vehicle_name=vehicle.name,
            locked=False,
            in_service=False,
            position=None,
            stops=[],
        )
    view = DayView.of(session, read, rt.clock, personal=True, risk_policy=risk_policy(rt.settings))
    return view.manifest(vehicle_id)


# -- driver events ---------------------------------------------------------------------


def next_stop(live: LiveDay, vehicle_id: str) -> tuple[str, StepKind] | None:
    """(booking id, pickup/dropoff/visit) of the vehicle's next stop, or None."""
    route = live.plan.route(vehicle_id)
    for step in route.steps if route is not None else ():
        if step.kind in REQUEST_STEPS and step.request_id:
            return step.request_id, step.kind
    return None


def _require_next(live: LiveDay, vehicle_id: str, event: DriverEvent, kind: StepKind) -> str:
    if not event.booking_id:
        raise invalid_field("booking_id", "予約番号を指定してください", "booking_id is required")
    nxt = next_stop(live, vehicle_id)
    if nxt is None or nxt[0] != event.booking_id or nxt[1] is not kind:
        expected = f"{nxt[0]} ({nxt[1].value})" if nxt else "none"
        raise conflict(
            "not_next_stop",
            f"次の停車ではありません（次は {expected}）",
            f"{event.booking_id} {kind.value} is not the next stop of {vehicle_id} "
            f"(next: {expected})",
        )
    return event.booking_id


def _in_fleet(live: LiveDay, vehicle_id: str) -> None:
    if vehicle_id not in {v.id for v in live.fleet}:
        raise invalid_field(
            "vehicle_id",
            "この車両はこの日は運行していません",
            f"vehicle {vehicle_id} has no shift that day",
        )


def apply_event(od: OpenDay, vehicle_id: str, event: DriverEvent) -> EventResult:
    """Do what the driver reported to the live day."""
    live = od.day()
    _in_fleet(live, vehicle_id)
    if event.type in DISPATCHER_EVENTS:
        return vehicle_event(live, vehicle_id, event)
    if event.type == "arrived":
        bid = event.booking_id or ""
        nxt = next_stop(live, vehicle_id)
        kind = nxt[1] if nxt and nxt[0] == bid else StepKind.PICKUP
        bid = _require_next(live, vehicle_id, event, kind)
        od.arrivals[f"{bid}:{kind.value}"] = od.now.isoformat()
        task = live.problem().task(bid)
        spec = task.pickup if kind is StepKind.PICKUP else task.dropoff
        assert spec is not None
        return live.vehicle_position(vehicle_id, spec.location)
    if event.type == "picked_up":
        _require_next(live, vehicle_id, event, StepKind.PICKUP)
        return live.complete_next_stop(vehicle_id)
    if event.type == "dropped_off":
        _require_next(live, vehicle_id, event, StepKind.DROPOFF)
        return live.complete_next_stop(vehicle_id)
    bid = _require_next(live, vehicle_id, event, StepKind.VISIT)  # visited
    return complete_visit(live, vehicle_id, bid)


#: What a dispatcher may preview before applying it (the board's buttons).
DISPATCHER_EVENTS = ("no_show", "delayed", "breakdown")


def vehicle_event(live: LiveDay, vehicle_id: str, event: DriverEvent) -> EventResult:
    """A no-show, delay or breakdown on `live`: the one path for applying and previewing."""
    if event.type == "no_show":  # at a pickup, or nobody at home for a visit
        nxt = next_stop(live, vehicle_id)
        at_home = nxt is not None and nxt[0] == event.booking_id and nxt[1] is StepKind.VISIT
        kind = StepKind.VISIT if at_home else StepKind.PICKUP
        return live.no_show(_require_next(live, vehicle_id, event, kind))
    if event.type == "delayed":
        if event.delay_min is None:
            raise invalid_field(
                "delay_min", "遅れ（分）を指定してください", "delay_min is required"
            )
        return live.vehicle_delayed(vehicle_id, event.delay_min * 60)
    return live.vehicle_breakdown(vehicle_id)


@router.post("/{vehicle_id}/events", response_model=EventOutcome, responses=problems(404, 409, 422))
def report_event(
    vehicle_id: KeyPath,
    body: DriverEvent,
    user: VehicleCrewUser,
    session: WriteSession,
    rt: RuntimeDep,
) -> EventOutcome:
    """A driver's report: arrived, picked up, dropped off, no-show, delayed, breakdown."""
    own_vehicle_only(user, vehicle_id)
    vehicle_or_404(session, vehicle_id)
    day = today(rt)
    with rt.days.locked(session, day, actor_of(user)) as od:
        result = apply_event(od, vehicle_id, body)
        broken = broken_public(od.clock, day, result.broken)
    return EventOutcome(event=body.type, changed=list(result.changed), broken=broken)


@router.post("/{vehicle_id}/position", response_model=EventOutcome, responses=problems(404, 422))
def report_position(
    vehicle_id: KeyPath,
    body: PositionReport,
    user: VehicleCrewUser,
    session: WriteSession,
    rt: RuntimeDep,
) -> EventOutcome:
    """Where the vehicle is now (snapped to the road; 422 if off the network)."""
    own_vehicle_only(user, vehicle_id)
    vehicle_or_404(session, vehicle_id)
    day = today(rt)
    with rt.days.locked(session, day, actor_of(user)) as od:
        _in_fleet(od.day(), vehicle_id)
        index = od.locate_point(
            body.lon,
            body.lat,
            field_name="lon",
            label="現在地",
            merge_m=rt.settings.position_merge_m,
        )
        result = od.day().vehicle_position(vehicle_id, index)
        broken = broken_public(od.clock, day, result.broken)
    return EventOutcome(event="position", changed=list(result.changed), broken=broken)


@router.post(
    "/{vehicle_id}/events/preview",
    response_model=PreviewPublic,
    responses=problems(404, 409, 422),
)
def preview_event(
    vehicle_id: KeyPath,
    body: DriverEvent,
    user: VehicleCrewUser,
    session: ReadSession,
    rt: RuntimeDep,
) -> PreviewPublic:
    """What a no-show, delay or breakdown would do, before it is reported: bookings
    moved between vehicles, stops re-timed, bookings left without a vehicle, promises
    broken and why — found on a copy of the day; nothing is stored or audited. The
    same body posted to ``/events`` then applies it."""
    own_vehicle_only(user, vehicle_id)
    vehicle_or_404(session, vehicle_id)
    if body.type not in DISPATCHER_EVENTS:
        raise invalid_field(
            "type",
            "確認できるのは 不在・遅れ・故障 だけです",
            f"only {', '.join(DISPATCHER_EVENTS)} can be previewed, got {body.type!r}",
        )
    read = rt.days.read(session, today(rt))
    live = running(read.live, read.service_date)
    _in_fleet(live, vehicle_id)
    outcome = preview(live, lambda d: vehicle_event(d, vehicle_id, body))
    view = DayView.for_user(session, read, rt, user)
    return view.preview(outcome)
