"""Dependencies of the routes: sessions, the signed-in user and what their role allows.

Every route names who may call it with one of the ``...User`` aliases below; anyone
else gets 403 (and no token, or a bad one, 401). The permission table is in the
README ("Booking service").

Service dates (``service_date``, and the day of a shift or a delivery) must lie within
`SERVICE_DATE_DAYS` days of today, either way: a year of history and every day that
can be booked (``NORIAI_BOOKING_DAYS_AHEAD`` is at most 366). Anything else is a 422
naming the field, on every endpoint that takes one (`check_service_date`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Annotated

from fastapi import Depends, Header, Path, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from api.db.models import Rider, User
from api.live.store import Actor
from api.problems import forbidden, invalid_field, unauthorized
from api.runtime import Runtime
from api.security import rider_for_token, user_for_token
from api.vocab import Role


def get_runtime(request: Request) -> Runtime:
    return request.app.state.runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def write_session(rt: RuntimeDep) -> Iterator[Session]:
    """A session whose transaction may write (SQLite: BEGIN IMMEDIATE)."""
    with rt.writer() as session:
        yield session


def read_session(rt: RuntimeDep) -> Iterator[Session]:
    """A session that only reads."""
    with rt.reader() as session:
        yield session


WriteSession = Annotated[Session, Depends(write_session)]
ReadSession = Annotated[Session, Depends(read_session)]

_bearer = HTTPBearer(auto_error=False, description="A staff token from `noriai service user add`.")


def current_user(
    rt: RuntimeDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> User:
    """The signed-in user (401 without a valid bearer token)."""
    if credentials is None:
        raise unauthorized("ログインが必要です（アクセストークン）", "a bearer token is required")
    with rt.reader() as session:
        user = user_for_token(session, credentials.credentials, datetime.now(UTC))
    if user is None:
        raise unauthorized("アクセストークンが無効です", "the token is unknown, revoked or expired")
    return user


def current_resident(
    rt: RuntimeDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Rider:
    """The resident signed in on their own page (401 without a valid ``res_`` token).
    Staff tokens are not residents' (401): a resident's routes show only their data."""
    if credentials is None:
        raise unauthorized("ログインしてください（登録番号と暗証番号）", "please sign in")
    with rt.reader() as session:
        rider = rider_for_token(session, credentials.credentials, rt.now())
    if rider is None:
        raise unauthorized(
            "ログインの期限が切れました。もう一度ログインしてください",
            "the sign-in is unknown, ended or expired",
        )
    return rider


def allow(*roles: Role) -> Callable[..., User]:
    """A dependency passing only users with one of `roles` (others: 403)."""
    names = {r.value for r in roles}

    def check(user: Annotated[User, Depends(current_user)]) -> User:
        if user.role not in names:
            raise forbidden(
                "この操作の権限がありません（" + "・".join(sorted(names)) + " のみ）",
                f"only {', '.join(sorted(names))} may do this",
            )
        return user

    return check


R = Role
AnyUser = Annotated[User, Depends(current_user)]
BookingUser = Annotated[User, Depends(allow(R.OPERATOR, R.DISPATCHER))]
PersonalDataUser = BookingUser
DispatcherUser = Annotated[User, Depends(allow(R.DISPATCHER))]
PlanUser = Annotated[User, Depends(allow(R.DISPATCHER, R.PLANNER, R.ADMIN))]
AuditUser = Annotated[User, Depends(allow(R.DISPATCHER, R.PLANNER, R.ADMIN))]
FleetUser = Annotated[User, Depends(allow(R.DISPATCHER, R.ADMIN))]
FleetViewer = Annotated[User, Depends(allow(R.DISPATCHER, R.PLANNER, R.ADMIN, R.DRIVER))]
PlaceEditor = Annotated[User, Depends(allow(R.OPERATOR, R.DISPATCHER, R.ADMIN))]
VehicleCrewUser = Annotated[User, Depends(allow(R.DRIVER, R.DISPATCHER))]
AdminUser = Annotated[User, Depends(allow(R.ADMIN))]
#: a resident signed in on the self-booking page (`api.routes.resident`)
CurrentResident = Annotated[Rider, Depends(current_resident)]

#: How far from today (days, either way) a service date may be.
SERVICE_DATE_DAYS = 366


def service_date_range(rt: Runtime) -> tuple[date, date]:
    """The first and last service date the API accepts: today -/+ `SERVICE_DATE_DAYS`."""
    now = today(rt)
    span = timedelta(days=SERVICE_DATE_DAYS)
    return now - span, now + span


def check_service_date(rt: Runtime, day: date, field: str = "service_date") -> date:
    """`day` if it is within `service_date_range`, else 422 naming `field`."""
    first, last = service_date_range(rt)
    if not first <= day <= last:
        raise invalid_field(
            field,
            f"運行日は {first:%Y-%m-%d} から {last:%Y-%m-%d} までの日付で指定してください",
            f"service date {day.isoformat()} is out of range: give a date from "
            f"{first.isoformat()} to {last.isoformat()} (within {SERVICE_DATE_DAYS} days "
            "of today)",
            code="service_date_out_of_range",
        )
    return day


def service_date_in_range(
    rt: RuntimeDep,
    service_date: Annotated[
        date | None,
        Query(
            description="Service date (default: today); within "
            f"{SERVICE_DATE_DAYS} days of today, else 422."
        ),
    ] = None,
) -> date | None:
    """The ``service_date`` query parameter (None when absent), checked by
    `check_service_date`."""
    return None if service_date is None else check_service_date(rt, service_date)


#: A route's ``service_date`` query parameter: ``service_date: DateQuery = None``.
DateQuery = Annotated[date | None, Depends(service_date_in_range)]
IdPath = Annotated[int, Path(ge=1, le=2**31 - 1, description="Numeric id.")]
KeyPath = Annotated[str, Path(min_length=1, max_length=64, description="Booking or vehicle id.")]

IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=200,
        pattern=r"^[\x21-\x7e]+$",
        description="Any unique string per booking attempt; a retry with it returns the "
        "first answer instead of booking twice.",
    ),
]


def actor_of(user: User) -> Actor:
    return Actor(user.id, user.name)


def today(rt: Runtime) -> date:
    """Today's service date in the service area's time zone."""
    return rt.clock.service_date(rt.now())
