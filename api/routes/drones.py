"""Drones (ドローン) and the dispatcher's switch to ground them (運航停止).

A drone is stationed at a base (`api.routes.drone_bases`) and flies shop orders to the
pads of community halls (公民館) within its flying hours: payload (kg), range (km,
round trip), cruise speed (km/h), turnaround (minutes on the ground between flights).
Retire one with ``active: false``; a drone is deleted only while no booking names it
(409). The day under way takes the office's drones at its next shop order or
grounding; a drone that flew today stays in it, grounded for the rest of the day once
retired.

``POST /drones/grounded`` grounds every drone, or those named, from ``start`` to
``end`` (the weather, or the dispatcher's switch): the day's flights are planned
again; orders that no longer fly go by van within their slot, and those no van can
take are broken promises (call the residents). The answer lists both; the audit
trail (変更履歴) records it with who did it. ``POST /drones/grounded/{id}/lift`` ends a
grounding now (one not yet begun is dropped): orders quoted from then on may fly
again. Only dispatchers ground and lift; dispatchers and administrators change the
fleet; planners read it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Response, status
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.convert import ServiceClock
from api.db.models import Booking, Drone, DroneBase, Vehicle
from api.deps import (
    DateQuery,
    DispatcherUser,
    FleetUser,
    KeyPath,
    PlanUser,
    ReadSession,
    RuntimeDep,
    WriteSession,
    actor_of,
    check_service_date,
    today,
)
from api.live.drones import grounding_id as period_id
from api.live.drones import sync_drones, van_reason
from api.live.store import OpenDay
from api.live.views import broken_public
from api.problems import FieldProblem, conflict, invalid, invalid_field, not_found
from api.routes.common import office_audit, patched, problems
from api.runtime import Runtime
from api.schemas import (
    DroneCreate,
    DronePublic,
    DroneUpdate,
    GroundDrones,
    GroundedPublic,
    GroundOutcome,
    MovedToVan,
    Reason,
)
from dispatch.drones import REASON_TEXT, Grounded, GroundedCause, NoFlightReason
from dispatch.live import LiveDay

router = APIRouter(prefix="/drones", tags=["drones"])

#: Path words under /drones that no drone id may take.
RESERVED_IDS = frozenset({"grounded"})

CAUSE_TEXT: dict[GroundedCause, tuple[str, str]] = {
    GroundedCause.WEATHER: ("天候", "weather"),
    GroundedCause.DISPATCHER: ("配車担当の指示", "dispatcher"),
}
#: The note of a retired drone's rest-of-day grounding, in Japanese.
NOTE_JA = {"out of service": "運用停止"}

GroundingPath = Annotated[
    str,
    Path(pattern=r"^[0-9a-f]{12}$", description="A grounded period's id (GET /drones/grounded)."),
]


def drone_public(session: Session, drone: Drone) -> DronePublic:
    base = session.get(DroneBase, drone.base_id)
    assert base is not None  # a foreign key
    return DronePublic(
        id=drone.id,
        name=drone.name,
        base_id=drone.base_id,
        base_name=base.name,
        payload_kg=drone.payload_kg,
        range_km=drone.range_km,
        cruise_kmh=drone.cruise_kmh,
        turnaround_min=drone.turnaround_min,
        flying_hours=drone.flying_hours,
        active=drone.active,
    )


def drone_or_404(session: Session, drone_id: str) -> Drone:
    drone = session.get(Drone, drone_id)
    if drone is None:
        raise not_found("ドローン", "drone", drone_id)
    return drone


def _known_base(session: Session, base_id: int) -> None:
    if session.get(DroneBase, base_id) is None:
        raise invalid_field(
            "base_id",
            f"登録されていないドローン拠点です（{base_id}）",
            f"unknown drone base {base_id}",
            code="unknown_base",
        )


def no_flight_reason(reason: NoFlightReason) -> Reason:
    ja, en = REASON_TEXT[reason]
    return Reason(code=reason.value, message_ja=ja, message_en=en)


def grounded_public(g: Grounded, clock: ServiceClock, day: date, now_s: int) -> GroundedPublic:
    ja, en = CAUSE_TEXT[g.cause]
    note = NOTE_JA.get(g.note, g.note)
    return GroundedPublic(
        id=period_id(g),
        start=clock.at(g.start, day),
        end=clock.at(g.end, day),
        drone_ids=None if g.drone_ids is None else sorted(g.drone_ids),
        cause=g.cause.value,  # type: ignore[arg-type]
        cause_ja=ja if not note else f"{ja}（{note}）",
        cause_en=en if not g.note else f"{en} ({g.note})",
        note=g.note,
        in_force=g.start <= now_s < g.end,
    )


def _periods(live: LiveDay | None, clock: ServiceClock, day: date) -> list[GroundedPublic]:
    if live is None:
        return []
    return [grounded_public(g, clock, day, live.now) for g in live.grounded]


# -- the dispatcher's switch (before /{drone_id}: "grounded" is no drone) ----------------


def _grounding_day(rt: Runtime, body: GroundDrones) -> tuple[date, int, int]:
    """The service day and the period in its seconds; 422 naming the field."""
    clock = rt.clock
    start_day = clock.service_date(body.start)
    day = check_service_date(
        rt, body.service_date or start_day, "service_date" if body.service_date else "start"
    )
    if start_day != day:
        raise invalid_field(
            "start",
            f"開始は運行日（{day:%Y-%m-%d}）の時刻で指定してください",
            f"start must fall on the service date {day.isoformat()}",
        )
    start_s, end_s = clock.seconds(body.start, day), clock.seconds(body.end, day)
    if end_s <= start_s:
        raise invalid_field(
            "end", "終了は開始より後にしてください", "end must be after start", code="end_first"
        )
    if end_s > 2 * 86400:
        raise invalid_field(
            "end", "運航停止は翌日までに終えてください", "a grounding ends by the next day"
        )
    now = rt.now()
    if body.end <= now:
        raise invalid_field(
            "end",
            f"終了が過去の時刻です（現在 {now.astimezone(clock.zone):%H:%M}）",
            f"end {body.end.isoformat()} is in the past (now {now.isoformat(timespec='minutes')})",
            code="time_in_past",
        )
    return day, start_s, end_s


def _day_drones(od: OpenDay, rt: Runtime, session: Session) -> LiveDay:
    """The live day with the office's drones; 422 when none flies that day."""
    live = od.day()
    sync_drones(od, session, rt.settings)
    if live.drone_service is None:
        raise invalid_field(
            "service_date",
            f"{od.service_date:%Y-%m-%d} に飛べるドローンがありません",
            f"no drone flies on {od.service_date.isoformat()}",
            code="no_drones",
        )
    return live


@router.post(
    "/grounded",
    response_model=GroundOutcome,
    status_code=status.HTTP_201_CREATED,
    responses=problems(422),
)
def ground_drones(
    body: GroundDrones, user: DispatcherUser, session: WriteSession, rt: RuntimeDep
) -> GroundOutcome:
    """Ground every drone, or those named, from ``start`` to ``end`` (運航停止): orders
    that no longer fly go by van within their slot (``moved_to_vans``), or their
    promise is broken (``broken``: no van can take them; call the residents)."""
    day, start_s, end_s = _grounding_day(rt, body)
    with rt.days.locked(session, day, actor_of(user)) as od:
        live = _day_drones(od, rt, session)
        assert live.drone_service is not None
        flying = {d.id for d in live.drone_service.drones}
        unknown = [
            FieldProblem(
                f"drone_ids.{i}",
                f"この日に飛ぶドローンではありません（{d}）",
                f"drone {d!r} does not fly on {day.isoformat()}",
            )
            for i, d in enumerate(body.drone_ids or ())
            if d not in flying
        ]
        if unknown:
            raise invalid(*unknown, code="unknown_drone")
        ids = None if body.drone_ids is None else sorted(set(body.drone_ids))
        result = live.ground_drones(start_s, end_s, drone_ids=ids, cause=body.cause, note=body.note)
        period = live.grounded[-1]
        broken_ids = {bp.booking_id for bp in result.broken}
        moved = []
        for bid in result.changed:
            if bid in broken_ids:
                continue
            reason = van_reason(live.booking(bid).note) or NoFlightReason.GROUNDED
            moved.append(
                MovedToVan(
                    booking_id=bid, vehicle_id=live.route_of(bid), reason=no_flight_reason(reason)
                )
            )
        out = GroundOutcome(
            grounded=grounded_public(period, od.clock, day, live.now),
            moved_to_vans=moved,
            broken=broken_public(od.clock, day, result.broken),
        )
    return out


@router.get("/grounded", response_model=list[GroundedPublic], responses=problems(422))
def list_grounded(
    _user: PlanUser, session: ReadSession, rt: RuntimeDep, service_date: DateQuery = None
) -> list[GroundedPublic]:
    """The day's grounded periods (default today), in the order they were declared."""
    day = service_date or today(rt)
    read = rt.days.read(session, day)
    return _periods(read.live, rt.clock, day)


@router.post(
    "/grounded/{grounding_id}/lift",
    response_model=list[GroundedPublic],
    responses=problems(404, 409, 422),
)
def lift_grounding(
    grounding_id: GroundingPath,
    user: DispatcherUser,
    session: WriteSession,
    rt: RuntimeDep,
    service_date: DateQuery = None,
) -> list[GroundedPublic]:
    """End a grounding now (運航停止の解除; one not yet begun is dropped): orders quoted
    from now on may fly again. Answers the day's periods as they are then."""
    day = service_date or today(rt)
    with rt.days.locked(session, day, actor_of(user)) as od:
        live = od.day()
        period = next((g for g in live.grounded if period_id(g) == grounding_id), None)
        if period is None:
            raise not_found("運航停止", "grounded period", grounding_id)
        if period.end <= live.now:
            raise conflict(
                "grounding_over",
                "この運航停止はすでに終わっています",
                "the grounded period is over already",
            )
        live.lift_grounding(period)
        out = _periods(live, od.clock, day)
    return out


# -- the fleet ------------------------------------------------------------------------


@router.get("", response_model=list[DronePublic], responses=problems())
def list_drones(_user: PlanUser, session: ReadSession) -> list[DronePublic]:
    """Every drone, retired ones too, by id."""
    return [drone_public(session, d) for d in session.scalars(select(Drone).order_by(Drone.id))]


@router.post(
    "",
    response_model=DronePublic,
    status_code=status.HTTP_201_CREATED,
    responses=problems(409, 422),
)
def add_drone(body: DroneCreate, user: FleetUser, session: WriteSession) -> DronePublic:
    """A drone at a base; it flies from the next shop order on (today too)."""
    if body.id in RESERVED_IDS:
        raise invalid_field(
            "id", f"「{body.id}」はドローンの番号に使えません", f"{body.id!r} is reserved"
        )
    if session.get(Drone, body.id) is not None:
        raise conflict("drone_exists", f"ドローン「{body.id}」はすでにあります", "drone id taken")
    if session.get(Vehicle, body.id) is not None:  # a booking's vehicle_id names either
        raise conflict(
            "id_taken",
            f"「{body.id}」は車両の番号に使われています",
            f"{body.id!r} is a vehicle's id; drones and vehicles need ids of their own",
        )
    _known_base(session, body.base_id)
    drone = Drone(**body.model_dump(), active=True, created_at=datetime.now(UTC))
    session.add(drone)
    office_audit(
        session,
        user,
        "drone_added",
        f"ドローン追加 {body.id}",
        f"drone {body.id} ({body.name}) added",
        vehicle_id=body.id,
    )
    session.commit()
    return drone_public(session, drone)


@router.get("/{drone_id}", response_model=DronePublic, responses=problems(404))
def read_drone(drone_id: KeyPath, _user: PlanUser, session: ReadSession) -> DronePublic:
    return drone_public(session, drone_or_404(session, drone_id))


@router.patch("/{drone_id}", response_model=DronePublic, responses=problems(404, 422))
def update_drone(
    drone_id: KeyPath, body: DroneUpdate, user: FleetUser, session: WriteSession
) -> DronePublic:
    """Change a drone (only the fields given) or retire it (``active: false``)."""
    drone = drone_or_404(session, drone_id)
    given = patched(body)
    if "base_id" in given:
        _known_base(session, given["base_id"])
    for name, value in given.items():
        setattr(drone, name, value)
    office_audit(
        session,
        user,
        "drone_changed",
        f"ドローン変更 {drone.id}",
        f"drone {drone.id}: {', '.join(sorted(given)) or 'nothing'} changed",
        vehicle_id=drone.id,
    )
    session.commit()
    return drone_public(session, drone)


@router.delete("/{drone_id}", status_code=status.HTTP_204_NO_CONTENT, responses=problems(404, 409))
def delete_drone(drone_id: KeyPath, user: FleetUser, session: WriteSession) -> Response:
    """Delete a drone no booking names (409 otherwise: retire it with ``active: false``)."""
    drone = drone_or_404(session, drone_id)
    flown = session.scalar(select(Booking.id).where(Booking.drone_id == drone_id).limit(1))
    if flown is not None:
        raise conflict(
            "drone_in_use",
            "このドローンで運んだ予約があります（運用停止にしてください）",
            f"booking {flown} is flown by drone {drone_id!r}; retire it (active: false)",
        )
    session.delete(drone)
    office_audit(
        session,
        user,
        "drone_removed",
        f"ドローン削除 {drone_id}",
        f"drone {drone_id} removed",
        vehicle_id=drone_id,
    )
    session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)
