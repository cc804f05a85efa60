"""Bookings (予約): list them, read one, cancel (キャンセル).

A booking's row mirrors the live day (status, promise, planned times); cancelling
goes through the day under lock, so the freed seat is at once bookable again.
Planners see bookings without rider ids or names, and homes as 「自宅」 ~100 m rounded.
A shop order to a community hall (公民館) shows the hall (its dropoff) and when the
resident may collect it (``collect_from``: the end of its collection slot); one flown
there shows its ``drone`` (ドローン便), one to a drone pad that goes by van why
(``van_reason``), with the words to read out (``carrier_ja``/``carrier_en``).
A home visit (訪問診療, kind ``visit``: pickup and dropoff both the patient's home) shows
its terms in ``visit``: the appointment, the planned start, the consultation's length
and the feature its car needs (`api.routes.visits`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, tzinfo
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from api import idempotency, schemas
from api.db.models import Booking, Place, Rider, User
from api.deps import (
    BookingUser,
    DateQuery,
    IdempotencyKeyHeader,
    KeyPath,
    ReadSession,
    RuntimeDep,
    WriteSession,
    actor_of,
    allow,
    today,
)
from api.live.drones import carrier_words, drone_names
from api.live.store import Actor, OpenDay
from api.problems import conflict, invalid_field, not_found
from api.routes.common import problems
from api.runtime import Runtime
from api.schemas import (
    BookingPublic,
    CancelRequest,
    DroneRef,
    HallRef,
    Reason,
    StopPlace,
    Window,
)
from api.vocab import BookingKind, CancelReason, PlaceKind, Role
from dispatch.drones import REASON_TEXT, NoFlightReason
from dispatch.events import BookingStatus

router = APIRouter(prefix="/bookings", tags=["bookings"])

BookingReader = Annotated[User, Depends(allow(Role.OPERATOR, Role.DISPATCHER, Role.PLANNER))]
HOME_JA = "自宅"


def _stop(
    place_id: int | None, name: str, lon: float, lat: float, home: bool, personal: bool
) -> StopPlace:
    if home and not personal:
        return StopPlace(place_id=None, name=HOME_JA, lon=round(lon, 3), lat=round(lat, 3))
    return StopPlace(place_id=place_id, name=name, lon=lon, lat=lat)


def booking_public(
    session: Session,
    row: Booking,
    *,
    personal: bool,
    rt: Runtime,
    rider_name: str | None = None,
) -> BookingPublic:
    """A booking row as the viewer may see it."""
    homes = _home_ids(session, [row])
    if personal and rider_name is None and row.rider_id is not None:
        rider_name = session.scalar(select(Rider.name).where(Rider.id == row.rider_id))
    drones = drone_names(session, [row.drone_id] if row.drone_id else [])
    return _public(row, homes, personal, rider_name, rt.clock.zone, rt.now(), drones)


def _home_ids(session: Session, rows: list[Booking]) -> set[int]:
    ids = {i for r in rows for i in (r.pickup_place_id, r.dropoff_place_id) if i is not None}
    if not ids:
        return set()
    return set(
        session.scalars(
            select(Place.id).where(Place.id.in_(ids), Place.kind == PlaceKind.HOME.value)
        )
    )


def _visit_terms(
    row: Booking, promise: Window | None, local: Callable[[datetime | None], datetime | None]
) -> schemas.VisitTerms | None:
    """A home visit's terms (None for rides and deliveries)."""
    if row.kind != BookingKind.VISIT:
        return None
    return schemas.VisitTerms(
        appointment=promise,
        planned_start=local(row.planned_dropoff_at or row.planned_pickup_at),
        duration_min=row.visit_min or 0,
        required_feature=row.visit_feature or "",
        wanted_at=local(row.visit_wanted_at),
    )


def _public(
    row: Booking,
    homes: set[int],
    personal: bool,
    rider_name: str | None,
    zone: tzinfo,
    now: datetime,
    drones: dict[str, str],
) -> BookingPublic:
    def local(t: datetime | None) -> datetime | None:
        return None if t is None else t.astimezone(zone)

    promise = (
        Window(start=local(row.promise_start), end=local(row.promise_end))
        if row.promise_start is not None and row.promise_end is not None
        else None
    )
    held = row.status == BookingStatus.HELD
    expired = held and row.hold_expires_at is not None and row.hold_expires_at <= now
    visit = _visit_terms(row, promise, local)
    hand_over = row.hand_over
    if hand_over is None and row.kind == BookingKind.DELIVERY:
        hand_over = "door"  # booked before halls existed (migration 0003)
    at_hall = hand_over == "hall" and row.dropoff_place_id is not None
    drone = None
    if row.drone_id is not None:
        drone = DroneRef(id=row.drone_id, name=drones.get(row.drone_id, row.drone_id))
    by_van = NoFlightReason(row.van_reason) if row.van_reason in _REASONS else None
    carrier_ja, carrier_en = carrier_words(
        None if drone is None else (drone.id, drone.name), by_van
    )
    van = None
    if by_van is not None:
        ja, en = REASON_TEXT[by_van]
        van = Reason(code=by_van.value, message_ja=ja, message_en=en)
    return BookingPublic(
        id=row.id,
        kind=row.kind,  # type: ignore[arg-type]
        status=BookingStatus.EXPIRED.value if expired else row.status,
        service_date=row.service_date,
        rider_id=row.rider_id if personal else None,
        rider_name=rider_name if personal else None,
        pickup=_stop(
            row.pickup_place_id,
            row.pickup_name,
            row.pickup_lon,
            row.pickup_lat,
            row.pickup_place_id in homes,
            personal,
        ),
        dropoff=_stop(
            row.dropoff_place_id,
            row.dropoff_name,
            row.dropoff_lon,
            row.dropoff_lat,
            row.dropoff_place_id in homes,
            personal,
        ),
        depart_at=None if row.by_arrival or visit is not None else local(row.requested_at),
        arrive_by=local(row.requested_at) if row.by_arrival else None,
        party_size=row.party_size,
        wheelchairs=row.wheelchairs,
        cargo_units=row.cargo_units,
        promise=promise,
        expected_pickup=local(row.planned_pickup_at),
        expected_arrival=local(row.planned_dropoff_at),
        vehicle_id=row.vehicle_id,
        hold_expires_at=local(row.hold_expires_at) if held and not expired else None,
        created_at=local(row.created_at),
        note=row.note if personal else "",
        visit=visit,
        hand_over=hand_over,  # type: ignore[arg-type]
        hall=HallRef(place_id=row.dropoff_place_id, name=row.dropoff_name) if at_hall else None,
        collect_from=local(row.promise_end) if at_hall else None,
        fee_yen=row.fee_yen,
        drone=drone,
        van_reason=van,
        carrier_ja=carrier_ja,
        carrier_en=carrier_en,
        standing_booking_id=row.standing_booking_id if personal else None,
        cancel_reason=_cancel_reason(row.cancel_reason),
        cancel_note=row.cancel_note if personal else None,
    )


def _cancel_reason(code: str | None) -> Reason | None:
    if code not in _CANCEL_CODES:
        return None
    ja, en = CancelReason(code).words
    return Reason(code=code, message_ja=ja, message_en=en)


_CANCEL_CODES = {r.value for r in CancelReason}


_REASONS = {r.value for r in NoFlightReason}
POINT_NAME = "指定地点"


def add_booking_row(
    od: OpenDay,
    booking_id: str,
    kind: BookingKind,
    *,
    pickup: tuple[int, Place | None],
    dropoff: tuple[int, Place | None],
    rider_id: int,
    user_id: int | None,
    **fields: object,
) -> None:
    """The office's row of a booking just made in the live day (its status follows the day).

    `pickup` and `dropoff` are (location index, saved place or None for a point);
    `user_id` None: made by the service itself (standing bookings from the CLI).
    """
    ends: dict[str, object] = {}
    for end, (index, place) in (("pickup", pickup), ("dropoff", dropoff)):
        ends[f"{end}_place_id"] = place.id if place is not None else None
        ends[f"{end}_name"] = place.name if place is not None else POINT_NAME
        ends[f"{end}_lon"] = od.locations[index].lon
        ends[f"{end}_lat"] = od.locations[index].lat
    od.session.add(
        Booking(
            id=booking_id,
            service_date=od.service_date,
            kind=kind.value,
            status=od.day().booking(booking_id).status.value,
            rider_id=rider_id,
            created_by=user_id,
            created_at=od.now,
            updated_at=od.now,
            **ends,
            **fields,
        )
    )


def booking_row(session: Session, booking_id: str) -> Booking:
    row = session.get(Booking, booking_id)
    if row is None:
        raise not_found("予約", "booking", booking_id)
    return row


@router.get("", response_model=list[BookingPublic], responses=problems(422))
def list_bookings(
    user: BookingReader,
    session: ReadSession,
    rt: RuntimeDep,
    service_date: DateQuery = None,
    rider_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    status: Annotated[
        list[BookingStatus] | None, Query(description="Repeat to give several.")
    ] = None,
    kind: Annotated[
        BookingKind | None, Query(description="Only rides, deliveries or home visits.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[BookingPublic]:
    """Bookings of a day, or a rider's bookings from today on, by time.

    ``service_date`` defaults to today; with ``rider_id`` and no date, from today on.
    """
    personal = Role(user.role).sees_personal_data
    q = select(Booking).order_by(Booking.service_date, Booking.requested_at, Booking.id)
    if service_date is not None:
        q = q.where(Booking.service_date == service_date)
    elif rider_id is not None:
        q = q.where(Booking.service_date >= today(rt))
    else:
        q = q.where(Booking.service_date == today(rt))
    if rider_id is not None:
        if not personal:
            return []
        q = q.where(Booking.rider_id == rider_id)
    if status:
        q = q.where(Booking.status.in_([s.value for s in status]))
    if kind is not None:
        q = q.where(Booking.kind == kind.value)
    return bookings_public(session, list(session.scalars(q.limit(limit))), personal, rt)


def bookings_public(
    session: Session, rows: list[Booking], personal: bool, rt: Runtime
) -> list[BookingPublic]:
    """Booking rows as the viewer may see them (names and drones read once for all)."""
    now = rt.now()
    homes = _home_ids(session, rows)
    names: dict[int, str] = {}
    if personal:
        ids = {r.rider_id for r in rows if r.rider_id is not None}
        if ids:
            names = dict(
                session.execute(select(Rider.id, Rider.name).where(Rider.id.in_(ids))).all()
            )
    drones = drone_names(session, sorted({r.drone_id for r in rows if r.drone_id}))
    return [
        _public(
            r,
            homes,
            personal,
            names.get(r.rider_id) if r.rider_id else None,
            rt.clock.zone,
            now,
            drones,
        )
        for r in rows
    ]


@router.get("/{booking_id}", response_model=BookingPublic, responses=problems(404))
def read_booking(
    booking_id: KeyPath, user: BookingReader, session: ReadSession, rt: RuntimeDep
) -> BookingPublic:
    row = booking_row(session, booking_id)
    return booking_public(session, row, personal=Role(user.role).sees_personal_data, rt=rt)


def _check_cancellable(od: OpenDay, booking_id: str) -> None:
    b = od.day().booking(booking_id)
    if b.status is BookingStatus.PICKED_UP:
        raise conflict("on_board", "すでに乗車済みのためキャンセルできません", "already on board")
    if not b.status.is_active:
        raise conflict(
            "not_active",
            f"この予約は「{b.status.value}」のためキャンセルできません",
            f"booking is {b.status.value}; nothing to cancel",
        )


@router.post(
    "/{booking_id}/cancel", response_model=BookingPublic, responses=problems(404, 409, 422)
)
def cancel_booking(
    booking_id: KeyPath,
    user: BookingUser,
    session: WriteSession,
    rt: RuntimeDep,
    body: CancelRequest | None = None,
    idempotency_key: IdempotencyKeyHeader = None,
) -> BookingPublic | JSONResponse:
    """The rider cancels (キャンセル): the booking leaves the plan, its seat is free again.

    With a body, why (キャンセル理由): kept on the booking and written to its history
    (変更履歴), so whoever calls the rider back later sees it. ``other`` needs words.
    """
    note = body.note.strip() if body is not None else ""
    if body is not None and body.reason is CancelReason.OTHER and not note:
        raise invalid_field(
            "note", "「その他」の場合は理由を入力してください", "say why when the reason is other"
        )
    claim = idempotency.begin(session, user.id, idempotency_key, f"/bookings/{booking_id}/cancel")
    if isinstance(claim, JSONResponse):
        return claim
    row = booking_row(session, booking_id)
    return cancel_row(
        session,
        rt,
        row,
        actor_of(user),
        reason=body.reason if body is not None else None,
        note=note,
        remember=claim.remember,
    )


def cancel_row(
    session: Session,
    rt: Runtime,
    row: Booking,
    actor: Actor,
    *,
    reason: CancelReason | None = None,
    note: str = "",
    remember: Callable[[int, Any], None] | None = None,
) -> BookingPublic:
    """Cancel `row` in its day (409 once on board or no longer active); the booking as
    it now stands. A `reason` is kept on the booking and written to its history."""
    with rt.days.locked(session, row.service_date, actor) as od:
        _check_cancellable(od, row.id)
        od.day().cancel(row.id)
        if reason is not None:
            row.cancel_reason, row.cancel_note = reason.value, note
            ja, en = reason.words
            od.record(
                "cancel_reason",
                f"キャンセル理由: {ja}" + (f"（{note}）" if note else ""),
                f"cancellation reason: {en}" + (f" ({note})" if note else ""),
                booking_id=row.id,
            )
        od.sync()
        out = booking_public(session, row, personal=True, rt=rt)
        if remember is not None:
            remember(200, out)
    return out
