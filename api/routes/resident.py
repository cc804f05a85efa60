"""Residents booking themselves (ご自身での予約): sign in, quote, confirm, see, cancel.

A registered resident (or their family) signs in with the registration number (登録番号)
and the PIN (暗証番号) or a one-time code (確認コード) the office set
(``PUT /riders/{id}/pin``, ``POST /riders/{id}/one-time-code``), and gets a bearer token
(``res_...``, ``NORIAI_RESIDENT_SESSION_H`` hours). Its routes act for that rider only:
another rider's booking is 404, as if it did not exist; staff tokens are not accepted.

Quotes and bookings go through the very functions the operator's do
(`api.routes.quotes.ask_ride`, `confirm_row`, `release_row`,
`api.routes.bookings.cancel_row`): the same engine, the same promise, the same ledger.
Residents ride between their home and the saved places (よく使う場所) only.

Rate limits (429 with ``Retry-After``, counted in the database so they hold across worker
processes, `api.ratelimit`): sign-in attempts per registration number and per network
address (``NORIAI_RESIDENT_SIGN_INS_PER_15MIN``; x4 per address, for a family's or a
care home's shared line), quotes per rider and per address
(``NORIAI_RESIDENT_QUOTES_PER_HOUR``; x4 per address).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response, status
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.db.models import AuditRecord, Booking, Place, ResidentSecret, ResidentSession, Rider
from api.deps import CurrentResident, KeyPath, ReadSession, RuntimeDep, WriteSession, today
from api.live.store import Actor
from api.problems import not_found, unauthorized
from api.ratelimit import Limit, enforce
from api.routes.bookings import booking_public, cancel_row
from api.routes.common import problems
from api.routes.quotes import ask_ride, confirm_row, release_row
from api.schemas import (
    BookingPublic,
    QuotePublic,
    ResidentPlace,
    ResidentPublic,
    ResidentQuoteCreate,
    ResidentSignedIn,
    ResidentSignIn,
)
from api.security import (
    DUMMY_HASH,
    hash_token,
    new_resident_token,
    verify_secret,
)
from api.vocab import PlaceKind
from dispatch.events import BookingStatus

router = APIRouter(prefix="/resident", tags=["resident"])

#: who changed the day, in the audit trail, when a resident books on their own page
RESIDENT_ACTOR = "利用者本人（ウェブ）"
PER_ADDRESS = 4
#: secrets checked per sign-in (the PIN and the newest valid codes): each is a slow hash
MAX_SECRETS = 4
SIGN_IN_WINDOW_S = 15 * 60
NOT_LISTED = {PlaceKind.HOME.value, PlaceKind.DEPOT.value}
#: a resident's list: their bookings still to come or done today (holds and expired
#: quotes are not bookings; cancellations only of what was confirmed)
LISTED = {
    BookingStatus.CONFIRMED.value,
    BookingStatus.PICKED_UP.value,
    BookingStatus.PROMISE_BROKEN.value,
    BookingStatus.DONE.value,
    BookingStatus.CANCELLED.value,
    BookingStatus.NO_SHOW.value,
}


def client_address(request: Request) -> str:
    """The caller's network address (the proxy's, behind one)."""
    return request.client.host if request.client is not None else "unknown"


#: the actor of a resident's changes (the audit trail names no resident)
ACTOR = Actor(None, RESIDENT_ACTOR)


def _wrong() -> Exception:
    return unauthorized(
        "登録番号または暗証番号が違います", "wrong registration number or PIN / code"
    )


def _matching_secret(
    session: Session, rider: Rider | None, pin: str, now: datetime
) -> ResidentSecret | None:
    """The rider's PIN or unused, unexpired one-time code that `pin` matches."""
    if rider is None:
        verify_secret(pin, DUMMY_HASH)  # as slow as a real check
        return None
    candidates = session.scalars(
        select(ResidentSecret)
        .where(
            ResidentSecret.rider_id == rider.id,
            ResidentSecret.used_at.is_(None),
            (ResidentSecret.kind == "pin") | (ResidentSecret.expires_at > now),
        )
        .order_by(ResidentSecret.kind.desc(), ResidentSecret.id.desc())  # "pin" before "code"
        .limit(MAX_SECRETS)
    )
    for secret in candidates:
        if verify_secret(pin, secret.secret_hash):
            return secret
    return None


def resident_public(session: Session, rider: Rider) -> ResidentPublic:
    home = session.get(Place, rider.home_place_id) if rider.home_place_id else None
    places = session.scalars(
        select(Place)
        .where(Place.active.is_(True), Place.kind.not_in(NOT_LISTED))
        .order_by(Place.kind, Place.name, Place.id)
    )
    return ResidentPublic(
        name=rider.name,
        kana=rider.kana,
        registration_no=rider.registration_no,
        companions=rider.companions,
        wheelchair=rider.wheelchair,
        home=None if home is None else ResidentPlace(id=home.id, name=home.name, kind="home"),
        places=[ResidentPlace(id=p.id, name=p.name, kind=p.kind) for p in places],
    )


def _mine(session: Session, rider: Rider, booking_id: str) -> Booking:
    """The rider's own booking; anyone else's is 404, as if it did not exist."""
    row = session.get(Booking, booking_id)
    if row is None or row.rider_id != rider.id:
        raise not_found("予約", "booking", booking_id)
    return row


def _shown(b: BookingPublic) -> BookingPublic:
    """A booking as its resident sees it: without the office's note."""
    return b.model_copy(update={"note": ""})


def quote_limit(rider: CurrentResident, request: Request, rt: RuntimeDep) -> None:
    """Count a quote against the rider's and the address's hourly limit (429 beyond)."""
    n = rt.settings.resident_quotes_per_hour
    enforce(
        rt.writer,
        rt.now(),
        (Limit("quote_rider", n, 3600), str(rider.id)),
        (Limit("quote_addr", n * PER_ADDRESS, 3600), client_address(request)),
    )


QuoteLimit = Annotated[None, Depends(quote_limit)]


# -- routes ------------------------------------------------------------------------------------


@router.post(
    "/sign-in",
    response_model=ResidentSignedIn,
    status_code=status.HTTP_201_CREATED,
    responses=problems(422, 429),
)
def sign_in(body: ResidentSignIn, request: Request, rt: RuntimeDep) -> ResidentSignedIn:
    """Sign in with the registration number and the PIN or a one-time code (used once).
    A wrong number and a wrong PIN get the same 401."""
    now = rt.now()
    n = rt.settings.resident_sign_ins_per_15min
    enforce(
        rt.writer,
        now,
        (Limit("sign_in_reg", n, SIGN_IN_WINDOW_S), body.registration_no),
        (Limit("sign_in_addr", n * PER_ADDRESS, SIGN_IN_WINDOW_S), client_address(request)),
    )
    with rt.writer() as session:
        rider = session.scalar(select(Rider).where(Rider.registration_no == body.registration_no))
        secret = _matching_secret(session, rider, body.pin, now)
        if rider is None or secret is None or not rider.active:
            raise _wrong()
        if secret.kind == "code":
            secret.used_at = now
        token = new_resident_token()
        expires = now + timedelta(hours=rt.settings.resident_session_h)
        session.add(
            ResidentSession(
                rider_id=rider.id, token_hash=hash_token(token), created_at=now, expires_at=expires
            )
        )
        session.add(
            AuditRecord(
                at=now,
                event="resident_signed_in",
                message_ja="利用者本人のログイン",
                message_en=f"rider {rider.id} signed in ({secret.kind})",
                actor_name=RESIDENT_ACTOR,
                changes=[],
            )
        )
        you = resident_public(session, rider)
        out = ResidentSignedIn(token=token, expires_at=expires, resident=you)
        session.commit()
    return out


@router.post("/sign-out", status_code=status.HTTP_204_NO_CONTENT, responses=problems())
def sign_out(
    rider: CurrentResident, request: Request, session: WriteSession, rt: RuntimeDep
) -> Response:
    """End this sign-in (its token stops working)."""
    token = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
    record = session.scalar(
        select(ResidentSession).where(ResidentSession.token_hash == hash_token(token))
    )
    if record is not None and record.rider_id == rider.id and record.revoked_at is None:
        record.revoked_at = rt.now()
        session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/me", response_model=ResidentPublic, responses=problems())
def me(rider: CurrentResident, session: ReadSession) -> ResidentPublic:
    """The signed-in resident: name, usual party, home and the saved places."""
    return resident_public(session, rider)


@router.post(
    "/quotes",
    response_model=QuotePublic,
    status_code=status.HTTP_201_CREATED,
    responses={200: {"model": QuotePublic, "description": "Not bookable: reason, alternatives"}}
    | problems(422, 429, 503),
)
def quote(
    body: ResidentQuoteCreate,
    rider: CurrentResident,
    _limit: QuoteLimit,
    session: WriteSession,
    rt: RuntimeDep,
    response: Response,
) -> Any:
    """Quote a ride and hold its seat (201), or say why not and when instead (200): the
    operator's quote, for the signed-in resident."""
    out, code = ask_ride(session, rt, rider, body, (None, None), actor=ACTOR, user_id=None)
    response.status_code = code
    return out


@router.post(
    "/quotes/{quote_id}/confirm", response_model=BookingPublic, responses=problems(404, 409, 422)
)
def confirm(
    quote_id: KeyPath, rider: CurrentResident, session: WriteSession, rt: RuntimeDep
) -> BookingPublic:
    """Confirm the resident's held quote (予約確定): its window is now a promise."""
    row = _mine(session, rider, quote_id)
    return _shown(confirm_row(session, rt, row, ACTOR))


@router.delete(
    "/quotes/{quote_id}", status_code=status.HTTP_204_NO_CONTENT, responses=problems(404, 409)
)
def release(
    quote_id: KeyPath, rider: CurrentResident, session: WriteSession, rt: RuntimeDep
) -> Response:
    """Not this one: give the held seat back."""
    release_row(session, rt, _mine(session, rider, quote_id), ACTOR)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/bookings", response_model=list[BookingPublic], responses=problems())
def my_bookings(
    rider: CurrentResident, session: ReadSession, rt: RuntimeDep
) -> list[BookingPublic]:
    """The resident's bookings from today on, by time."""
    rows = list(
        session.scalars(
            select(Booking)
            .where(
                Booking.rider_id == rider.id,
                Booking.service_date >= today(rt),
                Booking.status.in_(LISTED),
            )
            .order_by(Booking.service_date, Booking.requested_at, Booking.id)
            .limit(200)
        )
    )
    cancelled = [r.id for r in rows if r.status == BookingStatus.CANCELLED.value]
    confirmed = (
        set(
            session.scalars(
                select(AuditRecord.booking_id).where(
                    AuditRecord.booking_id.in_(cancelled), AuditRecord.event == "confirmed"
                )
            )
        )
        if cancelled
        else set()
    )
    return [
        _shown(booking_public(session, r, personal=True, rt=rt, rider_name=rider.name))
        for r in rows
        if r.status != BookingStatus.CANCELLED.value or r.id in confirmed
    ]


@router.post(
    "/bookings/{booking_id}/cancel", response_model=BookingPublic, responses=problems(404, 409)
)
def cancel(
    booking_id: KeyPath, rider: CurrentResident, session: WriteSession, rt: RuntimeDep
) -> BookingPublic:
    """Cancel one of the resident's bookings (キャンセル): the seat is free again."""
    row = _mine(session, rider, booking_id)
    return _shown(cancel_row(session, rt, row, ACTOR))
