"""Quotes (仮押さえ): the operator's ask answered while the caller waits; confirm or release.

``POST /quotes`` books the cheapest feasible place in the live plan and *holds* it for
``NORIAI_HOLD_S`` seconds with a promised pickup window (お迎え予定時間帯), or answers
``feasible: false`` with the reason and times that would work (代わりの時間) — that is
an answer, not an error (200). Bad input is 422 naming the field: unknown rider,
a time in the past, a place off the road network, a party no vehicle can carry.
``POST /quotes/{id}/confirm`` turns the hold into a booking (予約確定: the window is a
promise); an expired hold or a second confirm is 409. Send an ``Idempotency-Key`` so a
retry never books twice.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter, Response, status
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from api import idempotency
from api.db.models import Booking, Place, Rider, Vehicle
from api.deps import BookingUser, IdempotencyKeyHeader, KeyPath, RuntimeDep, WriteSession, actor_of
from api.live.halls import place_id_of
from api.live.store import Actor, OpenDay
from api.problems import FieldProblem, conflict, invalid, invalid_field
from api.routes.bookings import POINT_NAME, add_booking_row, booking_public, booking_row
from api.routes.common import problems
from api.routes.riders import get_rider
from api.runtime import Runtime
from api.schemas import (
    AlternativePublic,
    BookingPublic,
    HallRef,
    LonLat,
    QuoteCreate,
    QuotePublic,
    Reason,
    ResidentQuoteCreate,
)
from api.schemas import Window as WindowOut
from api.vocab import BookingKind, PlaceKind
from dispatch.events import BookingStatus
from dispatch.live import LiveDay
from dispatch.quote import REJECTION_TEXT, Alternative, Quote, RideAsk

router = APIRouter(prefix="/quotes", tags=["quotes"])

ASSISTED_BOARD_S = 180
"""Boarding and alighting time of a rider who needs help (介助), seconds."""


# -- what the caller is told ---------------------------------------------------------------


def alternative_public(
    a: Alternative,
    kind: str,
    od: OpenDay,
    *,
    by_arrival: bool,
    fees: Mapping[str, int] | None = None,
) -> AlternativePublic:
    """One alternative at the API edge: its times, its words and, for deliveries, how it
    is handed over (door or which hall, collect from when) and its fee."""
    day = od.service_date
    ja, en = a.label(kind)
    hand_over = None if kind == "ride" else ("door" if a.hall_id is None else "hall")
    hall_place = place_id_of(a.hall_id)
    return AlternativePublic(
        depart_at=None if by_arrival else od.clock.at(a.time, day),
        arrive_by=od.clock.at(a.time, day) if by_arrival else None,
        pickup_window=WindowOut(**od.clock.window(a.promise, day)),  # type: ignore[arg-type]
        expected_pickup=od.clock.at(a.estimated_pickup, day),
        expected_arrival=od.clock.at(a.estimated_arrival, day),
        vehicle_id=a.vehicle_id,
        label_ja=ja,
        label_en=en,
        hand_over=hand_over,
        hall=None if hall_place is None else HallRef(place_id=hall_place, name=a.hall_name),
        collect_from=od.clock.at(a.promise.end, day) if a.hall_id is not None else None,
        fee_yen=fees.get(hand_over) if fees is not None and hand_over is not None else None,
    )


def quote_public(
    q: Quote,
    od: OpenDay,
    *,
    by_arrival: bool,
    status_: str,
    fees: Mapping[str, int] | None = None,
) -> QuotePublic:
    """The engine's `Quote` at the API edge (datetimes, both languages); `fees` by
    hand-over (deliveries) price the alternatives."""
    at = od.clock.maybe_at
    day = od.service_date
    vehicle = od.session.get(Vehicle, q.vehicle_id) if q.vehicle_id else None
    window = od.clock.window(q.promise, day)
    reason = None
    if q.reason is not None:
        ja, en = REJECTION_TEXT[q.reason]
        reason = Reason(code=q.reason.value, message_ja=ja, message_en=q.detail or en)
    alternatives = [
        alternative_public(a, q.kind, od, by_arrival=by_arrival, fees=fees) for a in q.alternatives
    ]
    return QuotePublic(
        id=q.booking_id if q.ok else None,
        booking_id=q.booking_id if q.ok else None,
        kind=q.kind,  # type: ignore[arg-type]
        feasible=q.ok,
        status=status_ if q.ok else "rejected",  # type: ignore[arg-type]
        pickup_window=WindowOut(**window) if window else None,
        promise=WindowOut(**window) if window else None,
        expected_pickup=at(q.estimated_pickup, day),
        expected_arrival=at(q.estimated_arrival, day),
        latest_arrival=at(q.latest_arrival, day),
        vehicle_id=q.vehicle_id,
        vehicle_name=vehicle.name if vehicle is not None else None,
        hold_expires_at=at(q.held_until, day) if status_ == "held" else None,
        reason=reason,
        alternatives=alternatives,
        message_ja=q.message_ja,
        message_en=q.message_en,
    )


# -- checks of the ask -----------------------------------------------------------------------


def asked_time(body: QuoteCreate, rt: Runtime) -> tuple[datetime, str]:
    """The asked time and its field; 422 unless exactly one is given, in the future."""
    if (body.depart_at is None) == (body.arrive_by is None):
        raise invalid(
            FieldProblem(
                "depart_at",
                "出発希望時刻か到着希望時刻のどちらか一方を指定してください",
                "give exactly one of depart_at and arrive_by",
            ),
            FieldProblem(
                "arrive_by",
                "出発希望時刻か到着希望時刻のどちらか一方を指定してください",
                "give exactly one of depart_at and arrive_by",
            ),
        )
    field = "depart_at" if body.depart_at is not None else "arrive_by"
    t = body.depart_at or body.arrive_by
    assert t is not None
    check_bookable_time(rt, t, field)
    return t, field


def check_bookable_time(rt: Runtime, t: datetime, field: str) -> None:
    """422 for a time in the past or beyond the booking horizon."""
    now = rt.now()
    if t < now:
        raise invalid_field(
            field,
            f"過去の時刻です（現在 {now.astimezone(rt.clock.zone):%H:%M}）",
            f"{t.isoformat()} is in the past (now {now.isoformat(timespec='minutes')})",
            code="time_in_past",
        )
    ahead = rt.settings.booking_days_ahead
    if rt.clock.service_date(t) > rt.clock.service_date(now) + timedelta(days=ahead):
        raise invalid_field(
            field,
            f"予約は {ahead} 日先までです",
            f"bookings open at most {ahead} days ahead",
            code="too_far_ahead",
        )


def stop_place(
    session: Session, rider: Rider, place_id: int | None, point: LonLat | None, field: str
) -> Place | LonLat:
    """A saved place (or the rider's own home), or a point; 422 naming the field."""
    if (place_id is None) == (point is None):
        raise invalid_field(
            f"{field}_place_id",
            "場所（よく使う場所または座標）をどちらか一方指定してください",
            f"give exactly one of {field}_place_id and {field}",
        )
    if point is not None:
        return point
    place = session.get(Place, place_id)
    own_home = place is not None and place.id == rider.home_place_id
    if place is None or (place.kind == PlaceKind.HOME and not own_home) or not place.active:
        raise invalid_field(
            f"{field}_place_id",
            f"登録されていない場所です（{place_id}）",
            f"unknown place {place_id}",
            code="unknown_place",
        )
    return place


def check_fits_fleet(live: LiveDay, party: int, wheelchairs: int) -> None:
    """422 when no vehicle running that day can carry the party at all."""
    seats = party - wheelchairs
    if wheelchairs and not any(v.capacity[1] >= wheelchairs for v in live.fleet):
        raise invalid_field(
            "wheelchair",
            "この日は車椅子対応車が運行していません",
            "no wheelchair-accessible vehicle runs that day",
            code="no_accessible_vehicle",
        )
    if not any(v.capacity[0] >= seats and v.capacity[1] >= wheelchairs for v in live.fleet):
        biggest = max(v.capacity[0] for v in live.fleet)
        raise invalid_field(
            "companions",
            f"{party}名は乗れません（最大 {biggest} 名の車両まで）",
            f"a party of {party} fits no vehicle (at most {biggest} seats)",
            code="party_too_big",
        )


def locate(od: OpenDay, where: Place | LonLat, field: str) -> tuple[int, Place | None]:
    if isinstance(where, Place):
        return od.locate_place(where, field_name=f"{field}_place_id"), where
    return od.locate_point(where.lon, where.lat, field_name=field, label=POINT_NAME), None


def party_of(rider: Rider, companions: int | None, wheelchair: bool | None) -> tuple[int, int]:
    """Party size and wheelchairs of a ride: as asked, else the rider's registration."""
    companions = rider.companions if companions is None else companions
    wheelchair = rider.wheelchair if wheelchair is None else wheelchair
    return 1 + companions, int(wheelchair)


def hold_ride(
    od: OpenDay,
    rider: Rider,
    ends: tuple[Place | LonLat, Place | LonLat],
    t: datetime,
    time_field: str,
    *,
    party: int,
    wheelchairs: int,
    user_id: int | None,
    note: str = "",
    standing: tuple[int, str] | None = None,
) -> Quote:
    """Quote a ride in the open day and hold its seat (the booking's row added), or record
    why not: the one way a ride is quoted, asked one by one or from a standing booking
    (`standing`: its id and leg). 422 naming the field for a day without service, a party
    no vehicle carries, a place off the road or pickup = dropoff."""
    live = od.day(time_field)
    check_fits_fleet(live, party, wheelchairs)
    p_index, p_place = locate(od, ends[0], "pickup")
    d_index, d_place = locate(od, ends[1], "dropoff")
    if p_index == d_index:
        raise invalid_field(
            "dropoff_place_id",
            "乗車地と降車地が同じです",
            "pickup and dropoff are the same place",
        )
    ts = od.seconds(t)
    board = ASSISTED_BOARD_S if rider.assistance else 60
    ask = RideAsk(
        p_index,
        d_index,
        depart_at=ts if time_field == "depart_at" else None,
        arrive_by=ts if time_field == "arrive_by" else None,
        rider_id=str(rider.id),
        party_size=party,
        wheelchairs=wheelchairs,
        board_s=board,
        alight_s=board,
    )
    q = live.quote(ask)
    if q.ok:
        booking_id = q.booking_id
        assert booking_id is not None
        add_booking_row(
            od,
            booking_id,
            BookingKind.RIDE,
            pickup=(p_index, p_place),
            dropoff=(d_index, d_place),
            rider_id=rider.id,
            user_id=user_id,
            by_arrival=time_field == "arrive_by",
            requested_at=t,
            party_size=party,
            wheelchairs=wheelchairs,
            cargo_units=0,
            note=note,
            standing_booking_id=None if standing is None else standing[0],
            standing_leg=None if standing is None else standing[1],
        )
    else:
        od.record(
            "quote_rejected",
            f"予約できません（{REJECTION_TEXT[q.reason][0]}）" if q.reason else "予約できません",
            q.message_en,
        )
    return q


def confirm_held(od: OpenDay, booking_id: str) -> None:
    """Turn a held quote into a booking (予約確定); 409 unless it is held."""
    b = od.day().booking(booking_id)
    if b.status is BookingStatus.EXPIRED:
        raise conflict(
            "hold_expired",
            "仮押さえの期限が切れました。もう一度お見積もりしてください",
            "the hold expired; quote again",
        )
    if b.status is BookingStatus.CONFIRMED:
        raise conflict("already_confirmed", "この予約はすでに確定しています", "already confirmed")
    if b.status is not BookingStatus.HELD:
        raise conflict(
            "not_held",
            f"この見積もりは「{b.status.value}」のため確定できません",
            f"the quote is {b.status.value}, not held",
        )
    od.day().confirm(booking_id)
    od.sync()


# -- the one way a ride is quoted, confirmed or released (staff and residents) ----------------

Remember = Callable[[int, Any], None]


def ask_ride(
    session: Session,
    rt: Runtime,
    rider: Rider,
    body: QuoteCreate | ResidentQuoteCreate,
    points: tuple[LonLat | None, LonLat | None],
    *,
    actor: Actor,
    user_id: int | None,
    note: str = "",
    remember: Remember | None = None,
) -> tuple[QuotePublic, int]:
    """Check the ask, quote the ride in its day and hold the seat: the answer and its
    status (201 held, 200 not bookable). `points`: pickup and dropoff given as points
    (staff only); `remember` stores the answer for an ``Idempotency-Key``."""
    if not rider.active:
        raise invalid_field(
            "rider_id", "登録が無効の利用者です", "the rider's registration is inactive"
        )
    t, time_field = asked_time(body, rt)
    pickup = stop_place(session, rider, body.pickup_place_id, points[0], "pickup")
    dropoff = stop_place(session, rider, body.dropoff_place_id, points[1], "dropoff")
    wheelchair = body.wheelchair if isinstance(body, QuoteCreate) else None
    party, wheelchairs = party_of(rider, body.companions, wheelchair)
    with rt.days.locked(session, rt.clock.service_date(t), actor) as od:
        q = hold_ride(
            od,
            rider,
            (pickup, dropoff),
            t,
            time_field,
            party=party,
            wheelchairs=wheelchairs,
            user_id=user_id,
            note=note,
        )
        out = quote_public(q, od, by_arrival=time_field == "arrive_by", status_="held")
        code = status.HTTP_201_CREATED if q.ok else status.HTTP_200_OK
        if remember is not None:
            remember(code, out)
    return out, code


def confirm_row(
    session: Session,
    rt: Runtime,
    row: Booking,
    actor: Actor,
    *,
    remember: Remember | None = None,
) -> BookingPublic:
    """Confirm the held quote of `row` (予約確定) and answer the booking."""
    with rt.days.locked(session, row.service_date, actor) as od:
        confirm_held(od, row.id)
        out = booking_public(session, row, personal=True, rt=rt)
        if remember is not None:
            remember(200, out)
    return out


def release_row(session: Session, rt: Runtime, row: Booking, actor: Actor) -> None:
    """The caller declined: give the held seat of `row` back (409 unless held)."""
    with rt.days.locked(session, row.service_date, actor) as od:
        b = od.day().booking(row.id)
        if b.status is not BookingStatus.HELD:
            raise conflict(
                "not_held",
                f"この見積もりは「{b.status.value}」のため取り消せません",
                f"the quote is {b.status.value}, not held",
            )
        od.day().release(row.id)


# -- routes ------------------------------------------------------------------------------


@router.post(
    "",
    response_model=QuotePublic,
    status_code=status.HTTP_201_CREATED,
    responses={200: {"model": QuotePublic, "description": "Not bookable: reason, alternatives"}}
    | problems(409, 422, 503),
)
def create_quote(
    body: QuoteCreate,
    user: BookingUser,
    session: WriteSession,
    rt: RuntimeDep,
    response: Response,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Any:
    """Quote a ride and hold its seat (201), or say why not and when instead (200)."""
    claim = idempotency.begin(session, user.id, idempotency_key, "/quotes", body)
    if isinstance(claim, JSONResponse):
        return claim
    rider = get_rider(session, body.rider_id, field="rider_id")
    out, code = ask_ride(
        session,
        rt,
        rider,
        body,
        (body.pickup, body.dropoff),
        actor=actor_of(user),
        user_id=user.id,
        note=body.note,
        remember=claim.remember,
    )
    response.status_code = code
    return out


@router.post("/{quote_id}/confirm", response_model=BookingPublic, responses=problems(404, 409, 422))
def confirm_quote(
    quote_id: KeyPath,
    user: BookingUser,
    session: WriteSession,
    rt: RuntimeDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Any:
    """Confirm a held quote (予約確定): its pickup window is now a promise."""
    claim = idempotency.begin(session, user.id, idempotency_key, f"/quotes/{quote_id}/confirm")
    if isinstance(claim, JSONResponse):
        return claim
    row = booking_row(session, quote_id)
    return confirm_row(session, rt, row, actor_of(user), remember=claim.remember)


@router.delete("/{quote_id}", status_code=status.HTTP_204_NO_CONTENT, responses=problems(404, 409))
def release_quote(
    quote_id: KeyPath, user: BookingUser, session: WriteSession, rt: RuntimeDep
) -> Response:
    """The caller declined: give the held seat back."""
    release_row(session, rt, booking_row(session, quote_id), actor_of(user))
    return Response(status_code=status.HTTP_204_NO_CONTENT)
