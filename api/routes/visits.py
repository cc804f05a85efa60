"""Home visits (訪問診療, INA ヘルスモビリティ): a nurse car at the patient's home.

A car with the visit's feature (``nurse``: a nurse on board) drives to a registered
patient's home, where the patient sees a doctor online for ``duration_min`` minutes.
The operator books it for the patient with the appointment window the clinic gave
(``appointment``: promised as it is) or a wanted start (``wanted_at``: promised a
30-minute window around the feasible start closest to it). A visit is booked at once
(``201``, status ``confirmed``: no hold, like a shop order), with the words to read
out: 「訪問予定時間帯 10:00〜11:00、訪問開始予定 10:20」.

When it cannot be made the answer is ``200`` with ``feasible: false`` and the reason:
no car in service that day offers the feature (``no_vehicle``, the feature named in
``missing_features``), every such car is busy, outside service hours; for a wanted
time, other starts that work now (代わりの時間). Bad input is 422 naming the field.

The visit is a booking of kind ``visit`` (pickup and dropoff both the home): it is
listed, read and cancelled with the other bookings (``/bookings``), audited, and
shown as ONE stop of kind ``visit`` on the plan and the car's manifest, which the
driver reports ``arrived`` and ``visited`` (訪問完了) — not before the appointment
opens (409 ``visit_not_begun``) — or ``no_show`` (nobody at home).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Response, status
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from api import idempotency
from api.db.models import Place, Rider, Vehicle
from api.deps import (
    BookingUser,
    IdempotencyKeyHeader,
    RuntimeDep,
    WriteSession,
    actor_of,
    check_service_date,
)
from api.live.store import OpenDay
from api.problems import FieldProblem, conflict, invalid, invalid_field
from api.routes.bookings import add_booking_row
from api.routes.common import problems
from api.routes.quotes import check_bookable_time
from api.routes.riders import get_rider
from api.runtime import Runtime
from api.schemas import Reason, VisitAlternativePublic, VisitCreate, VisitPublic, Window
from api.vocab import BookingKind
from dispatch.errors import InputError
from dispatch.events import EventResult
from dispatch.live import EarlyVisitError, LiveDay
from dispatch.model import TimeWindow
from dispatch.quote import REJECTION_TEXT, Quote, QuoteRejection, VisitAsk, clock, span

router = APIRouter(prefix="/visits", tags=["visits"])

#: Vehicle features as the office says them (others are shown as they are).
FEATURE_JA = {"nurse": "看護師同乗"}


def feature_ja(feature: str) -> str:
    """「看護師同乗（nurse）」 for a known feature, else the feature itself."""
    ja = FEATURE_JA.get(feature)
    return f"{ja}（{feature}）" if ja else feature


# -- checks of the ask -------------------------------------------------------------------


def patient_home(session: Session, rider: Rider) -> Place:
    """The patient's home (422 on ``rider_id`` for an inactive rider or one without)."""
    if not rider.active:
        raise invalid_field(
            "rider_id", "登録が無効の利用者です", "the rider's registration is inactive"
        )
    home = session.get(Place, rider.home_place_id) if rider.home_place_id else None
    if home is None:
        raise invalid_field(
            "rider_id",
            "利用者の自宅が登録されていません（訪問先がありません）",
            f"rider {rider.id} has no home registered: a visit is made at the home",
            code="no_home",
        )
    return home


def asked_times(body: VisitCreate, rt: Runtime) -> tuple[str, datetime, datetime | None]:
    """(the field that sets the day, the visit's start or wanted start, the appointment's
    end or None); 422 naming the field for both or neither, a reversed window, one over
    two days, a time in the past or beyond the booking horizon."""
    if (body.appointment is None) == (body.wanted_at is None):
        words = (
            "訪問予定時間帯（appointment）か訪問希望時刻（wanted_at）のどちらか一方を指定してください",
            "give exactly one of appointment and wanted_at",
        )
        raise invalid(FieldProblem("appointment", *words), FieldProblem("wanted_at", *words))
    if body.wanted_at is not None:
        check_bookable_time(rt, body.wanted_at, "wanted_at")
        return "wanted_at", body.wanted_at, None
    assert body.appointment is not None
    start, end = body.appointment.start, body.appointment.end
    if end <= start:
        raise invalid_field(
            "appointment.end",
            "訪問予定時間帯の終わりは始まりより後にしてください",
            f"the appointment ends ({end.isoformat()}) before it starts ({start.isoformat()})",
            code="window_reversed",
        )
    if rt.clock.service_date(start) != rt.clock.service_date(end):
        raise invalid_field(
            "appointment.end",
            "訪問予定時間帯は同じ日の中で指定してください",
            "the appointment must start and end on one service day",
        )
    check_bookable_time(rt, end, "appointment.end")  # a window under way may be booked
    return "appointment.start", start, end


def visit_ask(od: OpenDay, body: VisitCreate, rider: Rider, home_i: int) -> VisitAsk:
    """The engine's ask: the home's location, the appointment or wanted start in seconds."""
    window = None
    if body.appointment is not None:
        window = TimeWindow(od.seconds(body.appointment.start), od.seconds(body.appointment.end))
    return VisitAsk(
        home_i,
        window=window,
        wanted_at=None if body.wanted_at is None else od.seconds(body.wanted_at),
        service_s=body.duration_min * 60,
        rider_id=str(rider.id),
        required_features=frozenset({body.required_feature}),
    )


# -- what the caller is told ---------------------------------------------------------------


def visit_reason(q: Quote) -> Reason | None:
    """Why not, in both languages; a missing feature is named."""
    if q.reason is None:
        return None
    ja, en = REJECTION_TEXT[q.reason]
    if q.reason is QuoteRejection.NO_VEHICLE and q.missing_features:
        ja = (
            "この日は"
            + "・".join(feature_ja(f) for f in q.missing_features)
            + "の車両が運行していません"
        )
        en = q.detail or en
    elif q.reason is QuoteRejection.NO_VEHICLE:
        ja = "訪問できる車両（必要な装備のある車両）が運行していません"
    return Reason(code=q.reason.value, message_ja=ja, message_en=en)


def visit_words(q: Quote, reason: Reason | None) -> tuple[str, str]:
    """What to read out: the promise and the planned start, or why not and other times."""
    if q.ok or reason is None:
        return q.message_ja, q.message_en
    ja, en = f"予約できません（{reason.message_ja}）", f"cannot book ({reason.message_en})"
    if q.alternatives:  # read out as the windows the patient would be promised
        ja += "。代わりの時間: " + "、".join(span(a.promise) for a in q.alternatives)
        en += "; alternative windows: " + ", ".join(span(a.promise) for a in q.alternatives)
    return ja, en


def visit_public(q: Quote, od: OpenDay, body: VisitCreate) -> VisitPublic:
    """The engine's answer to a visit at the API edge (datetimes, both languages)."""
    day = od.service_date
    at = od.clock.maybe_at
    window = od.clock.window(q.promise, day)
    vehicle = od.session.get(Vehicle, q.vehicle_id) if q.vehicle_id else None
    start = q.estimated_arrival
    reason = visit_reason(q)
    ja, en = visit_words(q, reason)
    return VisitPublic(
        id=q.booking_id if q.ok else None,
        booking_id=q.booking_id if q.ok else None,
        feasible=q.ok,
        status="confirmed" if q.ok else "rejected",
        appointment=Window(**window) if window else None,  # type: ignore[arg-type]
        promise=Window(**window) if window else None,  # type: ignore[arg-type]
        planned_start=at(start, day),
        planned_end=at(None if start is None else start + body.duration_min * 60, day),
        duration_min=body.duration_min,
        required_feature=body.required_feature,
        vehicle_id=q.vehicle_id,
        vehicle_name=vehicle.name if vehicle is not None else None,
        reason=reason,
        missing_features=list(q.missing_features),
        alternatives=[
            VisitAlternativePublic(
                wanted_at=od.clock.at(a.time, day),
                appointment=Window(**od.clock.window(a.promise, day)),  # type: ignore[arg-type]
                planned_start=od.clock.at(a.estimated_arrival, day),
                vehicle_id=a.vehicle_id,
                label_ja=f"訪問予定時間帯 {span(a.promise)}",
                label_en=f"visit window {span(a.promise)}",
            )
            for a in q.alternatives
        ],
        message_ja=ja,
        message_en=en,
    )


# -- the driver's report ---------------------------------------------------------------------


def complete_visit(live: LiveDay, vehicle_id: str, booking_id: str) -> EventResult:
    """The driver reports the visit done (訪問完了); 409 ``visit_not_begun`` before the
    appointment window opens (the engine's `EarlyVisitError`), nothing changed."""
    try:
        return live.complete_next_stop(vehicle_id)
    except EarlyVisitError as exc:
        promise = live.promise(booking_id)
        window = span(promise.window) if promise is not None else ""
        opens = clock(promise.window.start) if promise is not None else ""
        raise conflict(
            "visit_not_begun",
            f"訪問予定時間帯 {window} の前です。訪問の完了は {opens} 以降に記録してください",
            str(exc),
        ) from exc


# -- routes ------------------------------------------------------------------------------


@router.post(
    "",
    response_model=VisitPublic,
    status_code=status.HTTP_201_CREATED,
    responses={
        200: {
            "model": VisitPublic,
            "description": "Not bookable: the reason (naming a missing feature), other times",
        }
    }
    | problems(409, 422, 503),
)
def book_visit(
    body: VisitCreate,
    user: BookingUser,
    session: WriteSession,
    rt: RuntimeDep,
    response: Response,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Any:
    """Book a home visit (訪問診療) for a patient: a car with ``required_feature`` at the
    home inside the appointment window, or around the wanted start (201, confirmed, with
    the words to read out); or why not — e.g. no nurse car that day — and other starts
    that work now (200, ``feasible: false``). Send an ``Idempotency-Key`` so a retry
    never books twice."""
    claim = idempotency.begin(session, user.id, idempotency_key, "/visits", body)
    if isinstance(claim, JSONResponse):
        return claim
    rider = get_rider(session, body.rider_id, field="rider_id")
    home = patient_home(session, rider)
    day_field, start, _ = asked_times(body, rt)
    day = check_service_date(rt, rt.clock.service_date(start), day_field)
    time_field = "wanted_at" if body.wanted_at is not None else "appointment"
    with rt.days.locked(session, day, actor_of(user)) as od:
        live = od.day(day_field)
        home_i = od.locate_place(home, field_name="rider_id")
        try:
            q = live.quote(visit_ask(od, body, rider, home_i))
        except InputError as exc:  # e.g. after the end of the service day
            raise invalid_field(time_field, "この時刻には訪問を予約できません", str(exc)) from exc
        if q.ok:
            booking_id = q.booking_id
            assert booking_id is not None
            live.confirm(booking_id)
            add_booking_row(
                od,
                booking_id,
                BookingKind.VISIT,
                pickup=(home_i, home),
                dropoff=(home_i, home),
                rider_id=rider.id,
                user_id=user.id,
                by_arrival=False,
                requested_at=start,
                party_size=0,
                wheelchairs=0,
                cargo_units=0,
                note=body.note,
                visit_min=body.duration_min,
                visit_feature=body.required_feature,
                visit_wanted_at=body.wanted_at,
            )
        out = visit_public(q, od, body)
        if not q.ok:
            assert out.reason is not None
            od.record(
                "visit_rejected",
                f"訪問を受け付けられません（{out.reason.message_ja}）",
                out.message_en,
            )
        code = status.HTTP_201_CREATED if q.ok else status.HTTP_200_OK
        claim.remember(code, out)
    response.status_code = code
    return out
