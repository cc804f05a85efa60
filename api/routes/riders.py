"""Registered riders (利用者登録): personal data, for operators and dispatchers only.

Search by name, kana reading (カタカナ or ひらがな, spaces ignored), phone number (any
formatting) or registration number. Each rider has a channel (連絡方法: phone, SMS or
e-mail) for the messages of `api.notify`. The office sets a resident's PIN or issues a
one-time code for their own booking page (`api.routes.resident`).
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status
from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.db.models import Booking, Place, ResidentSecret, Rider, User
from api.deps import IdPath, PersonalDataUser, ReadSession, RuntimeDep, WriteSession, allow
from api.problems import conflict, invalid_field, not_found
from api.routes.bookings import bookings_public
from api.routes.common import office_audit, patched, problems
from api.routes.places import new_place
from api.schemas import (
    HomeCreate,
    OneTimeCodeIssued,
    PlaceRef,
    RiderCreate,
    RiderPinUpdate,
    RiderPublic,
    RiderRecent,
    RiderUpdate,
    UsualPlace,
)
from api.security import end_resident_sessions, hash_secret, new_one_time_code
from api.text import kana_key, like_pattern, phone_key
from api.vocab import Channel, PlaceKind, Role

router = APIRouter(prefix="/riders", tags=["riders"])

HOME_NAME = "自宅"

#: who may set a resident's PIN or issue a one-time code (administrators too: the
#: answer holds no personal data)
CredentialUser = Annotated[User, Depends(allow(Role.OPERATOR, Role.DISPATCHER, Role.ADMIN))]


def rider_public(session: Session, rider: Rider) -> RiderPublic:
    home = session.get(Place, rider.home_place_id) if rider.home_place_id else None
    return RiderPublic(
        id=rider.id,
        registration_no=rider.registration_no,
        name=rider.name,
        kana=rider.kana,
        phone=rider.phone,
        home=PlaceRef(id=home.id, name=home.address or home.name, lon=home.lon, lat=home.lat)
        if home
        else None,
        eligibility=rider.eligibility,
        fare_category=rider.fare_category,
        wheelchair=rider.wheelchair,
        companions=rider.companions,
        assistance=rider.assistance,
        notes=rider.notes,
        active=rider.active,
        channel=Channel(rider.channel or Channel.PHONE),
        email=rider.email or "",
    )


def get_rider(session: Session, rider_id: int, *, field: str | None = None) -> Rider:
    """The rider (404; or 422 naming `field` when the id came in a body)."""
    rider = session.get(Rider, rider_id)
    if rider is None:
        if field is not None:
            raise invalid_field(
                field, f"登録されていない利用者です（{rider_id}）", f"unknown rider {rider_id}"
            )
        raise not_found("利用者", "rider", rider_id)
    return rider


def _home(rt: RuntimeDep, home: HomeCreate) -> Place:
    return new_place(
        rt.roads, HOME_NAME, PlaceKind.HOME, home.lon, home.lat, home.address, field_prefix="home."
    )


@router.get("", response_model=list[RiderPublic], responses=problems(422))
def search_riders(
    _user: PersonalDataUser,
    session: ReadSession,
    q: Annotated[str, Query(max_length=100, description="Name, kana, phone or reg. no.")] = "",
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
    include_inactive: bool = False,
) -> list[RiderPublic]:
    """Riders matching `q` (all riders, by kana, when it is empty)."""
    query = select(Rider).order_by(Rider.kana_key, Rider.id).limit(limit)
    if not include_inactive:
        query = query.where(Rider.active.is_(True))
    text = q.strip()
    if text:
        clauses = [
            func.lower(Rider.name).like(like_pattern(text.lower()), escape="\\"),
            func.lower(Rider.registration_no).like(like_pattern(text.lower()), escape="\\"),
        ]
        if kana_key(text):
            clauses.append(Rider.kana_key.like(like_pattern(kana_key(text)), escape="\\"))
        digits = phone_key(text)
        if len(digits) >= 3:
            clauses.append(Rider.phone_key.like(like_pattern(digits), escape="\\"))
        query = query.where(or_(*clauses))
    return [rider_public(session, r) for r in session.scalars(query)]


@router.post(
    "",
    response_model=RiderPublic,
    status_code=status.HTTP_201_CREATED,
    responses=problems(409, 422),
)
def register_rider(
    body: RiderCreate, user: PersonalDataUser, session: WriteSession, rt: RuntimeDep
) -> RiderPublic:
    """Register a resident; the home is snapped to the road network (422 if it cannot be)."""
    if session.scalar(select(Rider.id).where(Rider.registration_no == body.registration_no)):
        raise _taken(body.registration_no)
    now = datetime.now(UTC)
    home = _home(rt, body.home) if body.home else None
    if home is not None:
        session.add(home)
        session.flush()
    rider = Rider(
        registration_no=body.registration_no,
        name=body.name,
        kana=body.kana,
        kana_key=kana_key(body.kana),
        phone=body.phone,
        phone_key=phone_key(body.phone),
        home_place_id=home.id if home else None,
        eligibility=[e.value for e in dict.fromkeys(body.eligibility)],
        fare_category=body.fare_category.value,
        wheelchair=body.wheelchair,
        companions=body.companions,
        assistance=body.assistance,
        notes=body.notes,
        active=True,
        channel=body.channel.value,
        email=body.email,
        created_at=now,
        updated_at=now,
    )
    _check_channel(rider)
    session.add(rider)
    session.flush()
    office_audit(session, user, "rider_registered", "利用者登録", f"rider {rider.id} registered")
    try:
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        raise _taken(body.registration_no) from exc
    return rider_public(session, rider)


def _check_channel(rider: Rider) -> None:
    """422 for messages by e-mail without an address (SMS goes to the phone number)."""
    if rider.channel == Channel.EMAIL and not rider.email:
        raise invalid_field(
            "email",
            "連絡方法がメールの場合はメールアドレスが必要です",
            "the channel is email: give the email address",
        )
    if rider.channel == Channel.SMS and not rider.phone:
        raise invalid_field(
            "phone",
            "連絡方法がショートメールの場合は電話番号が必要です",
            "the channel is sms: give the phone number",
        )


# -- residents' own sign-in (api.routes.resident): PIN and one-time codes ------------------


@router.put("/{rider_id}/pin", status_code=status.HTTP_204_NO_CONTENT, responses=problems(404, 422))
def set_pin(
    rider_id: IdPath, body: RiderPinUpdate, user: CredentialUser, session: WriteSession
) -> Response:
    """Set or reset the resident's PIN (暗証番号) for their own booking page. Only its
    hash is kept; the resident's open sign-ins end (a lost phone stops working)."""
    rider = get_rider(session, rider_id)
    now = datetime.now(UTC)
    session.execute(
        update(ResidentSecret)
        .where(
            ResidentSecret.rider_id == rider.id,
            ResidentSecret.kind == "pin",
            ResidentSecret.used_at.is_(None),
        )
        .values(used_at=now)
    )
    session.add(
        ResidentSecret(
            rider_id=rider.id,
            kind="pin",
            secret_hash=hash_secret(body.pin),
            created_by=user.id,
            created_at=now,
        )
    )
    end_resident_sessions(session, rider.id, now)
    office_audit(session, user, "resident_pin_set", "暗証番号の設定", f"rider {rider.id} PIN set")
    session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/{rider_id}/one-time-code",
    response_model=OneTimeCodeIssued,
    status_code=status.HTTP_201_CREATED,
    responses=problems(404),
)
def issue_code(
    rider_id: IdPath, user: CredentialUser, session: WriteSession, rt: RuntimeDep
) -> OneTimeCodeIssued:
    """A one-time code (確認コード) to read out to the resident: it signs in once, within
    ``NORIAI_RESIDENT_CODE_H`` hours. Shown in this answer only."""
    rider = get_rider(session, rider_id)
    code = new_one_time_code()
    now = rt.now()
    expires = now + timedelta(hours=rt.settings.resident_code_h)
    session.add(
        ResidentSecret(
            rider_id=rider.id,
            kind="code",
            secret_hash=hash_secret(code),
            created_by=user.id,
            created_at=now,
            expires_at=expires,
        )
    )
    office_audit(
        session, user, "resident_code_issued", "確認コード発行", f"rider {rider.id} code issued"
    )
    session.commit()
    return OneTimeCodeIssued(rider_id=rider.id, code=code, expires_at=expires)


def _taken(reg: str) -> Exception:
    return conflict(
        "registration_no_taken",
        f"登録番号「{reg}」はすでに使われています",
        f"registration number {reg!r} is already registered",
    )


@router.get("/{rider_id}", response_model=RiderPublic, responses=problems(404))
def read_rider(rider_id: IdPath, _user: PersonalDataUser, session: ReadSession) -> RiderPublic:
    return rider_public(session, get_rider(session, rider_id))


#: how far back the usual places look, and how many the operator gets (keys 1-9)
HISTORY_ROWS = 50
USUAL_PLACES = 9
#: saved places nobody asks to go to: homes are personal, the depot is the vehicles'
NOT_USUAL = (PlaceKind.HOME.value, PlaceKind.DEPOT.value)


@router.get("/{rider_id}/recent", response_model=RiderRecent, responses=problems(404, 422))
def rider_recent(
    rider_id: IdPath,
    _user: PersonalDataUser,
    session: ReadSession,
    rt: RuntimeDep,
    limit: Annotated[int, Query(ge=1, le=20, description="How many bookings.")] = 5,
) -> RiderRecent:
    """The rider's last bookings (any day, any state, newest first) and usual places:
    the places of their last 50 bookings, most used first, then the saved places."""
    rider = get_rider(session, rider_id)
    rows = list(
        session.scalars(
            select(Booking)
            .where(Booking.rider_id == rider.id)
            .order_by(Booking.service_date.desc(), Booking.requested_at.desc(), Booking.id.desc())
            .limit(HISTORY_ROWS)
        )
    )
    return RiderRecent(
        bookings=bookings_public(session, rows[:limit], True, rt),
        places=usual_places(session, rider, rows),
    )


def usual_places(session: Session, rider: Rider, history: list[Booking]) -> list[UsualPlace]:
    """Places the rider's `history` goes from or to, most used first (ties: by name),
    then saved places (not depots), up to `USUAL_PLACES`; home is always one of them."""
    uses = Counter(
        p for b in history for p in (b.pickup_place_id, b.dropoff_place_id) if p is not None
    )
    if rider.home_place_id is not None:
        uses.setdefault(rider.home_place_id, 0)
    known = {p.id: p for p in session.scalars(select(Place).where(Place.id.in_(list(uses))))}
    saved = session.scalars(
        select(Place)
        .where(Place.active.is_(True), Place.kind.notin_(NOT_USUAL))
        .order_by(Place.name, Place.id)
    )
    ranked = sorted(
        (
            p
            for pid, p in known.items()
            if p.kind != PlaceKind.HOME.value or pid == rider.home_place_id
        ),
        key=lambda p: (-uses[p.id], p.name, p.id),
    )
    out = [_usual(p, uses[p.id], rider) for p in ranked]
    for p in saved:
        if len(out) >= USUAL_PLACES:
            break
        if p.id not in known:
            out.append(_usual(p, 0, rider))
    return out[:USUAL_PLACES]


def _usual(place: Place, uses: int, rider: Rider) -> UsualPlace:
    home = place.id == rider.home_place_id
    return UsualPlace(
        place_id=place.id,
        name=HOME_NAME if home else place.name,
        kind=place.kind,
        uses=uses,
        home=home,
    )


@router.patch("/{rider_id}", response_model=RiderPublic, responses=problems(404, 422))
def update_rider(
    rider_id: IdPath,
    body: RiderUpdate,
    user: PersonalDataUser,
    session: WriteSession,
    rt: RuntimeDep,
) -> RiderPublic:
    """Change a registration (a new home is snapped; bookings keep their old place)."""
    rider = get_rider(session, rider_id)
    for name, value in patched(body).items():
        if name == "home":
            home = _home(rt, HomeCreate(**value))
            session.add(home)
            session.flush()
            rider.home_place_id = home.id
        elif name == "eligibility":
            rider.eligibility = list(dict.fromkeys(value))
        else:
            setattr(rider, name, value)
            if name == "kana":
                rider.kana_key = kana_key(value)
            elif name == "phone":
                rider.phone_key = phone_key(value)
    _check_channel(rider)
    rider.updated_at = datetime.now(UTC)
    office_audit(session, user, "rider_changed", "利用者情報の変更", f"rider {rider.id} changed")
    session.commit()
    return rider_public(session, rider)
