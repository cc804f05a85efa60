"""The tables. The day's plan lives in `ServiceDay.snapshot` (a `dispatch.live.LiveDay`
snapshot, the truth for routes and promises); `Booking` rows mirror each booking's
status, promise and places for lists and searches, and carry who booked it for whom.

Times are `UTCDateTime` (aware) except inside a service day, where the engine's int
seconds from local midnight are kept as they are (``Shift.start_s``...).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, deferred, mapped_column

from api.db.types import UTCDateTime


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON(),
        list[Any]: JSON(),
    }


class User(Base):
    """A member of staff who signs in with a bearer token."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    vehicle_id: Mapped[str | None] = mapped_column(String(64))  # drivers: their vehicle
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]


class ApiToken(Base):
    """A bearer token; only its SHA-256 is stored (the token is shown once)."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))  # first characters, to tell tokens apart
    label: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class Place(Base):
    """A saved place (よく使う場所) or a rider's home, snapped to the road network."""

    __tablename__ = "places"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(30), index=True)
    address: Mapped[str] = mapped_column(String(300), default="")
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    road_lon: Mapped[float] = mapped_column(Float)  # the point on the road it snaps to
    road_lat: Mapped[float] = mapped_column(Float)
    snap_m: Mapped[float] = mapped_column(Float)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]
    #: community halls (公民館): opening, slot_min, capacity, reach_m, drone_pad
    #: (`api.live.halls`); None for other kinds, and for halls saved before 0003
    hall: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))


class Rider(Base):
    """A registered resident (登録利用者). Personal data: operators and dispatchers only."""

    __tablename__ = "riders"

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_no: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    kana: Mapped[str] = mapped_column(String(100), default="")
    kana_key: Mapped[str] = mapped_column(String(100), default="", index=True)  # search form
    phone: Mapped[str] = mapped_column(String(40), default="")
    phone_key: Mapped[str] = mapped_column(String(40), default="", index=True)  # digits only
    home_place_id: Mapped[int | None] = mapped_column(ForeignKey("places.id"))
    eligibility: Mapped[list[Any]] = mapped_column(JSON, default=list)
    fare_category: Mapped[str] = mapped_column(String(20))
    wheelchair: Mapped[bool] = mapped_column(Boolean, default=False)
    companions: Mapped[int] = mapped_column(Integer, default=0)
    assistance: Mapped[bool] = mapped_column(Boolean, default=False)
    notes: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    #: how the rider hears of promises, changes and reminders (`api.notify`, migration
    #: 0008): "phone" (the operator calls: the call list), "sms" or "email"
    channel: Mapped[str] = mapped_column(String(10), default="phone")
    email: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class ResidentSecret(Base):
    """A resident's PIN (暗証番号) or a one-time code (確認コード) set by the office, kept
    only as a slow hash (`api.security.hash_secret`). A code is used once and expires."""

    __tablename__ = "resident_secrets"

    id: Mapped[int] = mapped_column(primary_key=True)
    rider_id: Mapped[int] = mapped_column(ForeignKey("riders.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))  # "pin" | "code"
    secret_hash: Mapped[str] = mapped_column(String(200))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime | None]
    used_at: Mapped[datetime | None]  # codes: when it signed in; PINs: when replaced


class ResidentSession(Base):
    """A resident's sign-in on the self-booking page; only the token's SHA-256 is stored."""

    __tablename__ = "resident_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    rider_id: Mapped[int] = mapped_column(ForeignKey("riders.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class RateCount(Base):
    """How often a subject (a hashed registration number, rider or address) did something
    in one fixed window: the rate limits of the residents' page (`api.ratelimit`)."""

    __tablename__ = "rate_counts"
    __table_args__ = (UniqueConstraint("scope", "subject", "window_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(20))
    subject: Mapped[str] = mapped_column(String(64))
    window_start: Mapped[datetime]
    count: Mapped[int] = mapped_column(Integer, default=0)


class OutboxMessage(Base):
    """A message to a rider (お知らせ): a promise, a change, a broken promise or the day
    before's reminder, addressed to the rider's channel; ``status`` says how far the
    sender (`api.notify`) took it."""

    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    #: one message per cause: "<booking>:<kind>:<audit seq or date>"
    dedupe_key: Mapped[str] = mapped_column(String(120), unique=True)
    service_date: Mapped[date] = mapped_column(Date, index=True)
    booking_id: Mapped[str] = mapped_column(String(32), index=True)
    rider_id: Mapped[int] = mapped_column(ForeignKey("riders.id"), index=True)
    channel: Mapped[str] = mapped_column(String(10))
    address: Mapped[str] = mapped_column(String(200), default="")
    body_ja: Mapped[str] = mapped_column(Text)
    body_en: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), index=True)
    sender: Mapped[str] = mapped_column(String(20))
    error: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]


class Vehicle(Base):
    """A car of the fleet; it runs on the days it has a `Shift`."""

    __tablename__ = "vehicles"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(30), default="sedan")
    seats: Mapped[int] = mapped_column(Integer)
    wheelchair_places: Mapped[int] = mapped_column(Integer, default=0)
    cargo_units: Mapped[int] = mapped_column(Integer, default=0)
    features: Mapped[list[Any]] = mapped_column(JSON, default=list)
    depot_place_id: Mapped[int] = mapped_column(ForeignKey("places.id"))
    cost_per_hour: Mapped[int] = mapped_column(Integer, default=3000)
    cost_per_km: Mapped[int] = mapped_column(Integer, default=30)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]


class DroneBase(Base):
    """A drone base (ドローン拠点) at a saved place, a shop or a depot: drones take off
    there, land, swap batteries and are loaded (`api.live.drones`)."""

    __tablename__ = "drone_bases"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    place_id: Mapped[int] = mapped_column(ForeignKey("places.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]


class Drone(Base):
    """A delivery drone of the fleet, stationed at one base; it flies shop orders to
    community halls with a drone pad within its ``flying_hours`` every day."""

    __tablename__ = "drones"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    base_id: Mapped[int] = mapped_column(ForeignKey("drone_bases.id"), index=True)
    payload_kg: Mapped[float] = mapped_column(Float)
    range_km: Mapped[float] = mapped_column(Float)  # a full battery's round trip
    cruise_kmh: Mapped[int] = mapped_column(Integer)
    turnaround_min: Mapped[int] = mapped_column(Integer)  # battery swap and loading
    flying_hours: Mapped[str] = mapped_column(String(11))  # "HH:MM-HH:MM", local time
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]


class Shift(Base):
    """A vehicle's service hours on one day (運行時間), seconds from local midnight."""

    __tablename__ = "shifts"
    __table_args__ = (UniqueConstraint("vehicle_id", "service_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    vehicle_id: Mapped[str] = mapped_column(ForeignKey("vehicles.id"), index=True)
    service_date: Mapped[date] = mapped_column(Date, index=True)
    start_s: Mapped[int] = mapped_column(Integer)
    end_s: Mapped[int] = mapped_column(Integer)
    breaks: Mapped[list[Any]] = mapped_column(
        JSON, default=list
    )  # [{id, start_s, end_s, duration_s}]
    created_at: Mapped[datetime]


class ServiceDay(Base):
    """One service day's live state. Locked (row lock / BEGIN IMMEDIATE) for every change.

    ``snapshot`` is the `LiveDay` snapshot without its matrix; ``locations`` the snapped
    points the matrix is built from, in index order (append-only), so any process can
    rebuild the same matrix; ``version`` increases with every stored change.
    """

    __tablename__ = "service_days"

    id: Mapped[int] = mapped_column(primary_key=True)
    service_date: Mapped[date] = mapped_column(Date, unique=True)
    version: Mapped[int] = mapped_column(Integer, default=0)
    snapshot: Mapped[str | None] = deferred(mapped_column(Text))
    locations: Mapped[list[Any]] = deferred(mapped_column(JSON, default=list))
    arrivals: Mapped[dict[str, Any]] = deferred(mapped_column(JSON, default=dict))
    last_audit_seq: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    __mapper_args__: ClassVar[dict[str, Any]] = {"version_id_col": version}


class PlanVersion(Base):
    """The day's plan as it stood after one stored change (for time travel on the board).

    ``snapshot`` is the `LiveDay` snapshot then, without its matrix and its audit
    trail: the trail is append-only, so that moment's entries are the first
    ``audit_len`` of the day's current trail. ``live_version`` is the day's own
    version counter then; ``at`` the service's clock.
    """

    __tablename__ = "plan_versions"
    __table_args__ = (Index("ix_plan_versions_service_date_at", "service_date", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    service_date: Mapped[date] = mapped_column(Date)
    at: Mapped[datetime]
    live_version: Mapped[int] = mapped_column(Integer)
    audit_len: Mapped[int] = mapped_column(Integer)
    snapshot: Mapped[str] = deferred(mapped_column(Text, nullable=False))


class Booking(Base):
    """A ride, delivery or home visit as the office sees it; status and promise mirror the
    live day."""

    __tablename__ = "bookings"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    service_date: Mapped[date] = mapped_column(Date, index=True)
    kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), index=True)
    rider_id: Mapped[int | None] = mapped_column(ForeignKey("riders.id"), index=True)
    pickup_place_id: Mapped[int | None] = mapped_column(ForeignKey("places.id"))
    dropoff_place_id: Mapped[int | None] = mapped_column(ForeignKey("places.id"))
    pickup_name: Mapped[str] = mapped_column(String(200), default="")
    dropoff_name: Mapped[str] = mapped_column(String(200), default="")
    pickup_lon: Mapped[float] = mapped_column(Float)
    pickup_lat: Mapped[float] = mapped_column(Float)
    dropoff_lon: Mapped[float] = mapped_column(Float)
    dropoff_lat: Mapped[float] = mapped_column(Float)
    by_arrival: Mapped[bool] = mapped_column(Boolean, default=False)
    requested_at: Mapped[datetime | None]
    party_size: Mapped[int] = mapped_column(Integer, default=1)
    wheelchairs: Mapped[int] = mapped_column(Integer, default=0)
    cargo_units: Mapped[int] = mapped_column(Integer, default=0)
    promise_start: Mapped[datetime | None]
    promise_end: Mapped[datetime | None]
    planned_pickup_at: Mapped[datetime | None]
    planned_dropoff_at: Mapped[datetime | None]
    vehicle_id: Mapped[str | None] = mapped_column(String(64))
    hold_expires_at: Mapped[datetime | None]
    note: Mapped[str] = mapped_column(Text, default="")
    #: home visits (訪問診療, kind "visit", migration 0005): the consultation's length in
    #: minutes, the vehicle feature it needs (e.g. "nurse"), and the wanted start when it
    #: was asked for by time (None: the clinic gave an appointment window, the promise)
    visit_min: Mapped[int | None] = mapped_column(Integer)
    visit_feature: Mapped[str | None] = mapped_column(String(40))
    visit_wanted_at: Mapped[datetime | None]
    #: deliveries: "door" or "hall" (the dropoff place is then the hall); None: rides,
    #: and deliveries booked before 0003 (all to the door)
    hand_over: Mapped[str | None] = mapped_column(String(10))
    fee_yen: Mapped[int | None] = mapped_column(Integer)  # deliveries: the fee quoted
    #: shop orders flown to a hall: the drone (mirrors the live day; None: not flown, and
    #: bookings before 0004); orders to a drone pad that go by van: why (a
    #: `dispatch.drones.NoFlightReason` value)
    drone_id: Mapped[str | None] = mapped_column(String(64))
    van_reason: Mapped[str | None] = mapped_column(String(40))
    #: rides made from a standing booking (定期予約, migration 0006): which one, and which
    #: of its rides ("outbound" or "return"); None for rides booked one by one
    standing_booking_id: Mapped[int | None] = mapped_column(
        ForeignKey("standing_bookings.id"), index=True
    )
    standing_leg: Mapped[str | None] = mapped_column(String(10))
    #: cancelled bookings (migration 0008): why (an `api.vocab.CancelReason` value) and the
    #: operator's words; None: not cancelled, or cancelled before reasons were kept
    cancel_reason: Mapped[str | None] = mapped_column(String(30))
    cancel_note: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class StandingBooking(Base):
    """A rider's ride that repeats every week (定期予約): its days, times, return ride,
    first and last date and exceptions (`dispatch.standing`). Each date's rides are made
    ahead as ordinary bookings (`Booking.standing_booking_id`)."""

    __tablename__ = "standing_bookings"

    id: Mapped[int] = mapped_column(primary_key=True)
    rider_id: Mapped[int] = mapped_column(ForeignKey("riders.id"), index=True)
    pickup_place_id: Mapped[int] = mapped_column(ForeignKey("places.id"))
    dropoff_place_id: Mapped[int] = mapped_column(ForeignKey("places.id"))
    weekdays: Mapped[list[Any]] = mapped_column(JSON)  # ["tue", "fri"]
    #: the outbound's asked departure, or with by_arrival its asked arrival, and the
    #: return's departure: seconds from local midnight of each date
    outbound_s: Mapped[int] = mapped_column(Integer)
    by_arrival: Mapped[bool] = mapped_column(Boolean, default=False)
    return_at_s: Mapped[int | None] = mapped_column(Integer)
    return_after_s: Mapped[int | None] = mapped_column(Integer)  # after the outbound's time
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    skip_dates: Mapped[list[Any]] = mapped_column(JSON, default=list)  # ISO dates (例外日)
    skip_holidays: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class StandingProblem(Base):
    """A standing ride that could not be booked for a date: the quote's reason and the
    alternatives it offered, for the operator to settle before the day. Resolved (with
    the booking) when a later run books it."""

    __tablename__ = "standing_problems"
    __table_args__ = (UniqueConstraint("standing_booking_id", "service_date", "leg"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    standing_booking_id: Mapped[int] = mapped_column(ForeignKey("standing_bookings.id"))
    service_date: Mapped[date] = mapped_column(Date, index=True)
    leg: Mapped[str] = mapped_column(String(10))  # "outbound" or "return"
    asked_at: Mapped[datetime]
    reason_code: Mapped[str] = mapped_column(String(40))
    message_ja: Mapped[str] = mapped_column(Text, default="")
    message_en: Mapped[str] = mapped_column(Text, default="")
    alternatives: Mapped[list[Any]] = mapped_column(JSON, default=list)  # AlternativePublic
    booking_id: Mapped[str | None] = mapped_column(String(32))
    resolved_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class IdempotencyKey(Base):
    """The first answer to a POST sent with an ``Idempotency-Key`` (replayed on retries)."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("user_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(200))
    method: Mapped[str] = mapped_column(String(10))
    path: Mapped[str] = mapped_column(String(300))
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    response: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime]


class AuditRecord(Base):
    """The audit trail (変更履歴): the live day's entries (``seq``) plus office events, with
    who did it."""

    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    service_date: Mapped[date | None] = mapped_column(Date, index=True)
    seq: Mapped[int | None] = mapped_column(Integer)
    at: Mapped[datetime]
    event: Mapped[str] = mapped_column(String(40))
    booking_id: Mapped[str | None] = mapped_column(String(32), index=True)
    vehicle_id: Mapped[str | None] = mapped_column(String(64))
    message_ja: Mapped[str] = mapped_column(Text, default="")
    message_en: Mapped[str] = mapped_column(Text, default="")
    actor_id: Mapped[int | None] = mapped_column(Integer)
    actor_name: Mapped[str | None] = mapped_column(String(100))
    changes: Mapped[list[Any]] = mapped_column(JSON, default=list)
