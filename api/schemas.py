"""Request and response bodies of the API (pydantic), by resource.

Families as in full-stack-fastapi-template: ``...Create`` (POST bodies), ``...Update``
(PATCH bodies, every field optional), ``...Public`` (answers). Request bodies forbid
unknown fields. Times are timezone-aware ISO 8601 datetimes (naive ones are 422);
windows are ``{start, end}``; coordinates ``lon``/``lat`` in degrees (WGS 84).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
)

from api.vocab import CancelReason, Channel, Eligibility, FareCategory, MessageKind, PlaceKind, Role

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Text = Annotated[str, StringConstraints(max_length=500)]
Lon = Annotated[float, Field(ge=-180, le=180, description="Longitude, degrees (WGS 84).")]
Lat = Annotated[float, Field(ge=-90, le=90, description="Latitude, degrees (WGS 84).")]
VehicleId = Annotated[
    str,
    StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$"),
]
BookingId = Annotated[str, StringConstraints(min_length=1, max_length=32)]
Id = Annotated[int, Field(ge=1, le=2**31 - 1)]


#: Input times must be this far from the ends of the calendar (years 1 and 9999), so
#: that every time zone can convert them and the day before and after.
_FIRST_TIME = datetime.min.replace(tzinfo=UTC) + timedelta(days=2)
_LAST_TIME = datetime.max.replace(tzinfo=UTC) - timedelta(days=2)


def _convertible(value: datetime) -> datetime:
    """422 for an aware datetime at the very ends of the calendar (no service day in any
    zone). Which service dates are accepted is checked where the day is known
    (`api.deps.check_service_date`, the booking horizon)."""
    if not _FIRST_TIME <= value <= _LAST_TIME:
        raise ValueError(f"{value.isoformat()} is out of range (too close to year 1 or 9999)")
    return value


#: An input time: timezone-aware (naive ones are 422) and away from the calendar's ends.
When = Annotated[AwareDatetime, AfterValidator(_convertible)]


class In(BaseModel):
    """Base of request bodies: unknown fields are an error."""

    model_config = ConfigDict(extra="forbid")


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Window(Out):
    """An inclusive window, e.g. the promised pickup window (お迎え予定時間帯)."""

    start: datetime
    end: datetime


class LonLat(In):
    lon: Lon
    lat: Lat


class Problem(BaseModel):
    """An error (RFC 9457 problem+json); ``detail_ja`` first, ``detail_en`` second."""

    type: str = "about:blank"
    title: str
    status: int
    code: str
    detail: str
    detail_ja: str
    detail_en: str
    errors: list[dict[str, str]] = Field(
        default_factory=list, description="One entry per field: field, message_ja, message_en."
    )


# -- staff and tokens --------------------------------------------------------------------


class MePublic(Out):
    id: int
    name: str
    role: Role
    vehicle_id: str | None = None


class UserCreate(In):
    name: Name
    role: Role
    vehicle_id: VehicleId | None = Field(None, description="Drivers: the vehicle they drive.")


class UserPublic(Out):
    id: int
    name: str
    role: Role
    vehicle_id: str | None
    active: bool


class TokenCreate(In):
    label: Annotated[str, StringConstraints(max_length=100)] = ""
    expires_in_days: int | None = Field(None, ge=1, le=3650)


class TokenPublic(Out):
    id: int
    user_id: int
    prefix: str = Field(description="First characters of the token, to tell tokens apart.")
    label: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None


class TokenIssued(TokenPublic):
    token: str = Field(description="The bearer token. Shown once: only its hash is stored.")


class UserCreated(BaseModel):
    user: UserPublic
    token: TokenIssued


# -- places ------------------------------------------------------------------------------


_PERIOD = re.compile(r"([01]\d|2[0-4]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)")


def _period(value: str) -> str:
    """An opening period ``HH:MM-HH:MM``: start before end, within 00:00-24:00."""
    found = _PERIOD.fullmatch(value)
    if found is None:
        raise ValueError(f"{value!r} is not a period HH:MM-HH:MM (e.g. 09:00-12:00)")
    h1, m1, h2, m2 = (int(g) for g in found.groups())
    start, end = h1 * 60 + m1, h2 * 60 + m2
    if end > 24 * 60:
        raise ValueError(f"{value}: times run from 00:00 to 24:00")
    if start >= end:
        raise ValueError(f"{value}: the period must start before it ends")
    return value


#: An opening period of a community hall, local time, e.g. ``"09:00-12:00"``.
OpeningPeriod = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=11),
    AfterValidator(_period),
    Field(examples=["09:00-12:00"]),
]
Opening = Annotated[
    list[OpeningPeriod],
    Field(
        min_length=1,
        max_length=8,
        description=(
            "Opening hours (開館時間), local time: ``HH:MM-HH:MM`` periods in order, not "
            "overlapping, each at least half a collection slot long."
        ),
    ),
]
SlotMin = Annotated[
    int,
    Field(ge=10, le=480, description="Collection slot (受け取り枠) length, minutes."),
]
HallCapacity = Annotated[
    int, Field(ge=1, le=500, description="Parcels (cargo units) one slot takes at most.")
]
ReachM = Annotated[
    int,
    Field(
        ge=0,
        le=50_000,
        description="Farthest a customer's home may be from the hall (by road) to be offered "
        "it, metres.",
    ),
]
DronePad = Annotated[bool, Field(description="Drones may land at the hall (ドローンポート).")]


class HallSettings(In):
    """A community hall's (公民館) hand-over settings. Every field has a default:
    09:00-17:00, 60-minute slots, 10 parcels a slot, 3000 m reach, no drone pad."""

    opening: Opening = Field(default_factory=lambda: ["09:00-17:00"])
    slot_min: SlotMin = 60
    capacity: HallCapacity = 10
    reach_m: ReachM = 3000
    drone_pad: DronePad = False


class HallSettingsUpdate(In):
    """Changes to a hall's settings; fields left out keep their value."""

    opening: Opening | None = None
    slot_min: SlotMin | None = None
    capacity: HallCapacity | None = None
    reach_m: ReachM | None = None
    drone_pad: DronePad | None = None


class HallPublic(BaseModel):
    """A community hall's hand-over settings as stored (defaults filled in)."""

    opening: list[str] = Field(description="Opening hours, ``HH:MM-HH:MM`` periods, local time.")
    slot_min: int = Field(description="Collection slot length, minutes.")
    capacity: int = Field(description="Parcels one slot takes at most.")
    reach_m: int = Field(description="Farthest a customer's home may be, by road, metres.")
    drone_pad: bool


class PlaceCreate(In):
    name: Name
    kind: PlaceKind = PlaceKind.OTHER
    address: Annotated[str, StringConstraints(max_length=300)] = ""
    lon: Lon
    lat: Lat
    hall: HallSettings | None = Field(
        None,
        description="Community halls (``kind: community_hall``) only: hand-over settings "
        "(default: see HallSettings). Any other kind with settings is 422.",
    )


class PlaceUpdate(In):
    name: Name | None = None
    kind: PlaceKind | None = None
    address: Annotated[str, StringConstraints(max_length=300)] | None = None
    active: bool | None = None
    hall: HallSettingsUpdate | None = Field(
        None,
        description="Community halls only: the settings to change (others are kept). A place "
        "re-classified as a hall gets the defaults; one re-classified as another kind "
        "loses its settings.",
    )


class PlacePublic(Out):
    id: int
    name: str
    kind: PlaceKind
    address: str
    lon: float
    lat: float
    road_lon: float = Field(description="The point on the road the place snaps to.")
    road_lat: float
    snap_m: float = Field(description="Distance from the place to that road point, metres.")
    active: bool
    hall: HallPublic | None = Field(
        None, description="Community halls: hand-over settings; null for other kinds."
    )


class HallRef(BaseModel):
    """The community hall (公民館) an order is handed over at."""

    place_id: int
    name: str


class PlaceRef(Out):
    id: int
    name: str
    lon: float
    lat: float


# -- riders ------------------------------------------------------------------------------


class HomeCreate(In):
    lon: Lon
    lat: Lat
    address: Annotated[str, StringConstraints(max_length=300)] = ""


Email = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=200, pattern=r"^$|^[^@\s]+@[^@\s]+$"),
]


class RiderCreate(In):
    registration_no: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)
    ]
    name: Name
    kana: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] = ""
    phone: Annotated[str, StringConstraints(strip_whitespace=True, max_length=40)] = ""
    home: HomeCreate | None = None
    eligibility: list[Eligibility] = Field(min_length=1, max_length=3)
    fare_category: FareCategory = FareCategory.STANDARD
    wheelchair: bool = False
    companions: int = Field(0, ge=0, le=5, description="Companions who usually ride along.")
    assistance: bool = Field(False, description="Needs help boarding (介助): longer stops.")
    notes: Text = ""
    channel: Channel = Field(
        Channel.PHONE, description="How the rider hears from the office (連絡方法)."
    )
    email: Email = ""


class RiderUpdate(In):
    name: Name | None = None
    kana: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] | None = None
    phone: Annotated[str, StringConstraints(strip_whitespace=True, max_length=40)] | None = None
    home: HomeCreate | None = None
    eligibility: list[Eligibility] | None = Field(None, min_length=1, max_length=3)
    fare_category: FareCategory | None = None
    wheelchair: bool | None = None
    companions: int | None = Field(None, ge=0, le=5)
    assistance: bool | None = None
    notes: Text | None = None
    active: bool | None = None
    channel: Channel | None = None
    email: Email | None = None


class RiderPublic(Out):
    id: int
    registration_no: str
    name: str
    kana: str
    phone: str
    home: PlaceRef | None
    eligibility: list[Eligibility]
    fare_category: FareCategory
    wheelchair: bool
    companions: int
    assistance: bool
    notes: str
    active: bool
    channel: Channel = Channel.PHONE
    email: str = ""


# -- quotes and bookings -----------------------------------------------------------------


class QuoteCreate(In):
    """A ride as the operator takes it down: who, from where, to where, when."""

    rider_id: Id
    pickup_place_id: Id | None = Field(None, description="A saved place or the rider's home.")
    pickup: LonLat | None = Field(None, description="Or any point (snapped to the road).")
    dropoff_place_id: Id | None = None
    dropoff: LonLat | None = None
    depart_at: When | None = Field(None, description="Book by departure (出発希望時刻).")
    arrive_by: When | None = Field(None, description="Book by arrival (到着希望時刻).")
    companions: int | None = Field(None, ge=0, le=8, description="Default: the rider's usual.")
    wheelchair: bool | None = Field(None, description="Default: the rider's registration.")
    note: Text = ""


class Reason(BaseModel):
    code: str
    message_ja: str
    message_en: str


HandOver = Literal["door", "hall"]


class AlternativePublic(BaseModel):
    """Another choice that can be booked now (代わりの時間): quote again with it.

    Rides: another time. Deliveries: to the door (``hand_over: door``) or to another
    hall, in the slot ``pickup_window``; order again with that ``hand_over`` and
    ``hall_place_id``.
    """

    depart_at: datetime | None = None
    arrive_by: datetime | None = None
    pickup_window: Window
    expected_pickup: datetime
    expected_arrival: datetime
    vehicle_id: str
    label_ja: str = Field("", description="What to read out, e.g. 「東公民館で 11:00 以降」.")
    label_en: str = ""
    hand_over: HandOver | None = Field(None, description="Deliveries: door or hall.")
    hall: HallRef | None = Field(None, description="Deliveries to a hall: which.")
    collect_from: datetime | None = Field(None, description="Hall: collect from (slot end).")
    fee_yen: int | None = Field(None, description="Deliveries: the fee of this choice, yen.")


class QuotePublic(BaseModel):
    """A quote: held with its promised window, or why not and which times instead."""

    id: str | None = Field(description="The held booking's id (confirm or release it).")
    booking_id: str | None
    kind: Literal["ride", "delivery"]
    feasible: bool
    status: Literal["held", "confirmed", "rejected"]
    pickup_window: Window | None = Field(description="Rides: お迎え予定時間帯. Deliveries: slot.")
    promise: Window | None
    expected_pickup: datetime | None
    expected_arrival: datetime | None
    latest_arrival: datetime | None
    vehicle_id: str | None
    vehicle_name: str | None
    hold_expires_at: datetime | None
    reason: Reason | None
    alternatives: list[AlternativePublic]
    message_ja: str
    message_en: str
    hand_over: HandOver | None = Field(
        None, description="Deliveries: door or hall (as asked, or the town's default)."
    )
    hall: HallRef | None = Field(None, description="Deliveries to a hall: which.")
    collect_from: datetime | None = Field(
        None, description="Deliveries to a hall: the customer collects from (slot end)."
    )
    fee_yen: int | None = Field(None, description="Deliveries: the fee of this hand-over, yen.")
    drone: DroneRef | None = Field(
        None,
        description="Shop orders flown to a hall's drone pad (ドローン便): the drone "
        "(``vehicle_id`` is its id too; ``expected_pickup`` the take-off, "
        "``expected_arrival`` the landing at the hall).",
    )
    van_reason: Reason | None = Field(
        None,
        description="Orders to a hall with a drone pad that go by van: why no drone flies "
        "them (a ``NoFlightReason``: overweight, out_of_range, grounded, no_free_drone...).",
    )
    carrier_ja: str | None = Field(
        None,
        description="How the order travels, to read out: 「ドローン便（ゆうあい1号）」, or "
        "「車両便（ドローンで運べない理由: …）」; null when no drone was in question.",
    )
    carrier_en: str | None = None


class StopPlace(BaseModel):
    place_id: int | None
    name: str
    lon: float
    lat: float


class BookingPublic(BaseModel):
    id: str
    kind: Literal["ride", "delivery", "visit"]
    status: str
    service_date: date
    rider_id: int | None = Field(description="Null for planners (no personal data).")
    rider_name: str | None
    pickup: StopPlace
    dropoff: StopPlace
    depart_at: datetime | None
    arrive_by: datetime | None
    party_size: int
    wheelchairs: int
    cargo_units: int
    promise: Window | None
    expected_pickup: datetime | None
    expected_arrival: datetime | None
    vehicle_id: str | None
    hold_expires_at: datetime | None
    created_at: datetime
    note: str
    visit: VisitTerms | None = Field(
        None,
        description="Home visits (kind visit, 訪問診療): the appointment, the planned start, "
        "the consultation's length and the feature the car needs. ``pickup`` and "
        "``dropoff`` are both the patient's home; ``vehicle_id`` is the nurse car.",
    )
    hand_over: HandOver | None = Field(None, description="Deliveries: door or hall.")
    hall: HallRef | None = Field(None, description="Deliveries to a hall: which (= dropoff).")
    collect_from: datetime | None = Field(
        None, description="Deliveries to a hall: the customer collects from (slot end)."
    )
    fee_yen: int | None = Field(None, description="Deliveries: the fee quoted, yen.")
    drone: DroneRef | None = Field(
        None, description="Shop orders flown to a hall (ドローン便): the drone."
    )
    van_reason: Reason | None = Field(
        None, description="Orders to a hall with a drone pad that go by van: why no drone."
    )
    carrier_ja: str | None = Field(
        None,
        description="「ドローン便（…）」 or 「車両便（…）」; null when no drone was in question.",
    )
    carrier_en: str | None = None
    standing_booking_id: int | None = Field(
        None, description="Rides made from a standing booking (定期予約): which one."
    )
    cancel_reason: Reason | None = Field(
        None, description="Cancelled bookings: why (キャンセル理由); null when none was given."
    )
    cancel_note: str | None = Field(
        None, description="Cancelled bookings: the operator's words (operators, dispatchers)."
    )


class CancelRequest(In):
    """Why the rider cancels (キャンセル理由): a code from the list, and words (needed for
    ``other``)."""

    reason: CancelReason
    note: str = Field("", max_length=200, description="The operator's words, 200 at most.")


class ClockPublic(Out):
    """The service's clock: pages take "now" and today's date from it, never the browser."""

    now: datetime = Field(description="The service's now, in the service area's time zone.")
    service_date: date = Field(description="Today's service date there.")
    timezone: str = Field(description="The service area's IANA time zone.")


class UsualPlace(Out):
    """A place the rider often goes from or to (よく使う場所), most used first."""

    place_id: int
    name: str
    kind: str
    uses: int = Field(description="Bookings in the rider's recent history from or to it.")
    home: bool = Field(description="The rider's home (自宅).")


class RiderRecent(Out):
    """What an operator needs when the rider calls: their recent bookings, newest first,
    and their usual places (history first, then saved places)."""

    bookings: list[BookingPublic]
    places: list[UsualPlace]


class DeliveryCreate(In):
    """A shop order (買い物支援・宅配) for a registered resident, booked at once.

    Handed over at the door, or at a community hall (公民館) for the resident to
    collect from the end of a collection slot.
    """

    shop_place_id: Id
    rider_id: Id = Field(description="The resident the goods are for.")
    dropoff_place_id: Id | None = Field(
        None, description="The delivery address. Default: the rider's home."
    )
    ready_at: When | None = Field(None, description="Default: now + preparation time.")
    due_by: When | None = Field(None, description="Default: end of service that day.")
    deliver_from: When | None = Field(None, description="Door only: not before.")
    cargo_units: int = Field(1, ge=1, le=20)
    hand_over: HandOver | None = Field(
        None,
        description="door (宅配) or hall (公民館受け取り). Default: hall when "
        "``hall_place_id`` is given, else the town's rule (NORIAI_HALL_BY_DEFAULT_KM: an "
        "address that far by road from the shop goes to the nearest active hall reaching "
        "it), else door.",
    )
    hall_place_id: Id | None = Field(
        None,
        description="The hall (an active place of kind community_hall). Default: the active "
        "hall nearest the delivery address by road.",
    )
    weight_kg: float = Field(0.0, ge=0, le=50, description="Weight of the parcel, kg.")
    note: Text = ""


# -- home visits (訪問診療) ---------------------------------------------------------------

#: A vehicle feature (``VehiclePublic.features``), e.g. ``nurse``.
Feature = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=40),
    Field(examples=["nurse"]),
]


class AppointmentIn(In):
    """An appointment window the clinic gave (訪問予定時間帯): the visit starts inside it
    (``start`` before ``end``, both on one service day)."""

    start: When
    end: When


class VisitCreate(In):
    """A home visit (訪問診療) for a registered patient with a home: a car with the
    feature (a nurse on board) comes to the home for an online consultation with a doctor.

    Give exactly one of ``appointment`` (the clinic's window: promised as it is, from now
    on) and ``wanted_at`` (a wanted start: the promise is a 30-minute window around the
    feasible start closest to it, which may lie from 30 minutes before to an hour after).
    Booked at once (no hold), like a shop order.
    """

    rider_id: Id = Field(description="The patient: a registered rider with a home.")
    appointment: AppointmentIn | None = Field(
        None, description="The appointment window the clinic gave (訪問予定時間帯)."
    )
    wanted_at: When | None = Field(None, description="Or a wanted start (訪問希望時刻).")
    duration_min: int = Field(
        30, ge=10, le=120, description="Length of the consultation at the home (診療時間), min."
    )
    required_feature: Feature = Field(
        "nurse", description="What the car must offer (a vehicle feature). Default: nurse."
    )
    note: Text = ""


class VisitTerms(BaseModel):
    """A booked visit's terms, as the booking shows them."""

    appointment: Window | None = Field(description="The promise (訪問予定時間帯).")
    planned_start: datetime | None = Field(description="訪問開始予定: the visit's planned start.")
    duration_min: int = Field(description="Length of the consultation, minutes.")
    required_feature: str = Field(description="The feature the car needs (e.g. nurse).")
    wanted_at: datetime | None = Field(
        description="The wanted start asked for; null when the clinic gave the appointment."
    )


class VisitAlternativePublic(BaseModel):
    """Another time that can be booked now (代わりの時間): ask again with ``wanted_at``;
    the patient is then promised ``appointment``."""

    wanted_at: datetime
    appointment: Window = Field(description="The window it would be promised.")
    planned_start: datetime
    vehicle_id: str
    label_ja: str = Field("", description="What to read out: 「訪問予定時間帯 11:15〜11:45」.")
    label_en: str = ""


class VisitPublic(BaseModel):
    """The answer to a visit: booked with its appointment window and planned start, or
    why not (``reason``; no car in service with the feature names it in
    ``missing_features``) and, for a wanted time, other starts that work now."""

    id: str | None = Field(description="The booking's id (null when not bookable).")
    booking_id: str | None
    kind: Literal["visit"] = "visit"
    feasible: bool
    status: Literal["confirmed", "rejected"]
    appointment: Window | None = Field(description="訪問予定時間帯: the promised window.")
    promise: Window | None = Field(description="The same window, as other answers name it.")
    planned_start: datetime | None = Field(description="訪問開始予定.")
    planned_end: datetime | None = Field(description="Planned start + the consultation.")
    duration_min: int
    required_feature: str
    vehicle_id: str | None = Field(description="The car that makes the visit.")
    vehicle_name: str | None
    reason: Reason | None
    missing_features: list[str] = Field(
        default_factory=list,
        description="Not bookable for want of a car: the features no car in service offers.",
    )
    alternatives: list[VisitAlternativePublic]
    message_ja: str = Field(
        description="What to tell the caller, e.g. 「訪問予定時間帯 "
        "10:00〜10:30、訪問開始予定 10:05」."
    )
    message_en: str


# -- vehicles and shifts -----------------------------------------------------------------


class VehicleCreate(In):
    id: VehicleId
    name: Name
    kind: Annotated[str, StringConstraints(max_length=30)] = "sedan"
    seats: int = Field(ge=1, le=30)
    wheelchair_places: int = Field(0, ge=0, le=6)
    cargo_units: int = Field(0, ge=0, le=100)
    features: list[Annotated[str, StringConstraints(min_length=1, max_length=40)]] = Field(
        default_factory=list, max_length=10
    )
    depot_place_id: Id
    cost_per_hour: int = Field(3000, ge=0, le=100_000)
    cost_per_km: int = Field(30, ge=0, le=10_000)


class VehiclePublic(Out):
    id: str
    name: str
    kind: str
    seats: int
    wheelchair_places: int
    cargo_units: int
    features: list[str]
    depot_place_id: int
    cost_per_hour: int
    cost_per_km: int
    active: bool


class BreakCreate(In):
    earliest: When = Field(description="The break may start from ...")
    latest: When = Field(description="... and must start by.")
    minutes: int = Field(ge=5, le=180)


class ShiftCreate(In):
    vehicle_id: VehicleId
    start_at: When
    end_at: When
    breaks: list[BreakCreate] = Field(default_factory=list, max_length=4)


class BreakPublic(BaseModel):
    id: str
    earliest: datetime
    latest: datetime
    minutes: int


class ShiftPublic(BaseModel):
    id: int
    vehicle_id: str
    service_date: date
    start_at: datetime
    end_at: datetime
    breaks: list[BreakPublic]


# -- drones (ドローン配送) -------------------------------------------------------------

#: A drone's daily flying hours (運航時間), local time, e.g. ``"09:00-17:00"``.
FlyingHours = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=11),
    AfterValidator(_period),
    Field(
        examples=["09:00-17:00"],
        description="Flying hours (運航時間), local time ``HH:MM-HH:MM``: from the first "
        "take-off to the last landing back at the base, every day.",
    ),
]
DroneId = Annotated[
    str,
    StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$"),
    Field(examples=["yuai-1"]),
]
PayloadKg = Annotated[
    float, Field(gt=0, le=50, description="Heaviest parcel the drone may carry, kg.")
]
RangeKm = Annotated[
    float,
    Field(
        gt=0,
        le=200,
        description="Round trip (往復) a full battery allows, km: out to the hall and back.",
    ),
]
CruiseKmh = Annotated[int, Field(ge=1, le=300, description="Cruise speed, km/h.")]
TurnaroundMin = Annotated[
    int,
    Field(
        ge=0,
        le=240,
        description="On the ground after landing back (battery swap, loading), minutes.",
    ),
]


class DroneRef(BaseModel):
    """A drone, by id and name."""

    id: str
    name: str


class DroneBaseCreate(In):
    """A drone base (ドローン拠点) at a saved place: a shop, a supermarket or a depot."""

    name: Name
    place_id: Id = Field(
        description="The saved place (kind shop, supermarket or depot) the base is at."
    )


class DroneBaseUpdate(In):
    """Changes to a base; fields left out keep their value."""

    name: Name | None = None
    place_id: Id | None = None
    active: bool | None = Field(None, description="false: its drones fly no more.")


class DroneBasePublic(BaseModel):
    id: int
    name: str
    place_id: int
    place_name: str
    lon: float = Field(description="The place's longitude: drones take off there.")
    lat: float
    active: bool


class DroneCreate(In):
    """A delivery drone stationed at a base. It flies shop orders from the shops near its
    base (NORIAI_DRONE_SHOP_REACH_M) to community halls with a drone pad."""

    id: DroneId
    name: Name
    base_id: Id
    payload_kg: PayloadKg
    range_km: RangeKm
    cruise_kmh: CruiseKmh
    turnaround_min: TurnaroundMin = 10
    flying_hours: FlyingHours = "09:00-17:00"


class DroneUpdate(In):
    """Changes to a drone; fields left out keep their value. A day under way takes the
    change at its next shop order or grounding (pending flights are planned again)."""

    name: Name | None = None
    base_id: Id | None = None
    payload_kg: PayloadKg | None = None
    range_km: RangeKm | None = None
    cruise_kmh: CruiseKmh | None = None
    turnaround_min: TurnaroundMin | None = None
    flying_hours: FlyingHours | None = None
    active: bool | None = Field(
        None, description="false: flies no more (one that flew today stays grounded)."
    )


class DronePublic(BaseModel):
    id: str
    name: str
    base_id: int
    base_name: str
    payload_kg: float
    range_km: float = Field(description="Round trip, km.")
    cruise_kmh: int
    turnaround_min: int
    flying_hours: str
    active: bool


GroundedCauseName = Literal["weather", "dispatcher"]


class GroundDrones(In):
    """Ground drones (運航停止) for a while: the weather, or the dispatcher's switch."""

    service_date: date | None = Field(
        None,
        description="Default: the service date of ``start``; if given, ``start`` must fall on it.",
    )
    start: When = Field(description="From (may be earlier than now).")
    end: When = Field(description="Until (exclusive); after ``start`` and after now.")
    drone_ids: list[DroneId] | None = Field(
        None,
        min_length=1,
        max_length=50,
        description="The drones (flying that day). Default: every drone.",
    )
    cause: GroundedCauseName = Field("weather", description="weather (天候) or dispatcher.")
    note: Annotated[str, StringConstraints(max_length=200)] = Field(
        "", description="Why, in words (e.g. 強風)."
    )


class GroundedPublic(BaseModel):
    """A period drones may not be away from their base (運航停止)."""

    id: str = Field(description="Lift it with POST /drones/grounded/{id}/lift.")
    start: datetime
    end: datetime = Field(description="Exclusive: a drone may take off again at ``end``.")
    drone_ids: list[str] | None = Field(description="null: every drone.")
    cause: GroundedCauseName
    cause_ja: str
    cause_en: str
    note: str
    in_force: bool = Field(description="Drones are grounded by it now.")


class MovedToVan(BaseModel):
    """An order that no longer flies and goes by van within its slot."""

    booking_id: str
    vehicle_id: str | None = Field(description="The van that takes it now.")
    reason: Reason


class GroundOutcome(BaseModel):
    """What a grounding did: the orders moved to vans, and the promises it broke (their
    orders fit no van within their slot: call the residents)."""

    grounded: GroundedPublic
    moved_to_vans: list[MovedToVan]
    broken: list[BrokenPromisePublic]


class FlightPublic(BaseModel):
    """One flight of the day, one order: take off at the base, land at the hall's pad
    (the hand-over), fly back, land."""

    drone: DroneRef
    booking_id: str
    booking_status: str | None
    hall: HallRef
    takeoff: datetime
    at_hall: datetime = Field(description="Landing at the hall: the parcel is handed over.")
    leaves_hall: datetime
    back: datetime = Field(description="Landing back at the base.")
    distance_m: int = Field(description="The round trip flown, metres.")
    status: Literal["planned", "in_the_air", "landed"] = Field(
        description="planned (before take-off), in_the_air (until it is back), landed "
        "(back at the base)."
    )


# -- plan, manifests, events, overrides --------------------------------------------------


class ParcelPublic(BaseModel):
    """One order handed over at a hall stop."""

    booking_id: str
    booking_status: str | None
    rider_name: str | None = Field(description="Null unless the viewer sees personal data.")
    cargo_units: int
    weight_kg: float
    status: Literal["planned", "arrived", "done", "no_show"]


class StopPublic(BaseModel):
    """One stop of a route: done (history) or planned, with its promise and lateness.

    Consecutive hand-overs at one community hall are ONE stop (``hall`` set): its
    ``parcels`` list the orders (``booking_id`` is the first one's), its times run from
    the first arrival to the last departure.
    """

    seq: int
    kind: Literal["pickup", "dropoff", "delivery_pickup", "delivery_dropoff", "visit", "break"]
    booking_id: str | None
    booking_status: str | None
    rider_name: str | None
    party_size: int | None
    wheelchair: bool
    place: StopPlace | None
    arrival: datetime
    service_start: datetime
    departure: datetime
    promise: Window | None
    latest_at: datetime | None = Field(description="Latest service start its rules allow.")
    status: Literal["planned", "arrived", "done", "no_show"]
    late_s: int = Field(description="Seconds past its promise (0: on time).")
    at_risk: bool = Field(
        description="Planned, not late yet, ``late_probability`` at least the service's "
        "``at_risk_probability`` and due within ``at_risk_horizon_min`` (遅延のおそれ)."
    )
    late_probability: float | None = Field(
        None,
        ge=0,
        le=1,
        description="Planned stops with a promise: the chance service starts after it, "
        "under the noise model (dispatch.noise) propagated along the route (None: done, "
        "or nothing promised at this stop).",
    )
    risk_reason: Literal["vehicle_behind", "tight_chain", "long_leg"] | None = Field(
        None,
        description="Stops at risk: why — the vehicle is behind (遅れている車両), the "
        "lateness accumulates over the stops before it (余裕のない連続), or one long drive "
        "holds most of the uncertainty (長い区間).",
    )
    hall: HallRef | None = Field(None, description="A hand-over at this community hall.")
    parcels: list[ParcelPublic] = Field(
        default_factory=list, description="Hall stops: the orders handed over there."
    )
    duration_min: int | None = Field(
        None,
        description="Home visits (kind visit, 訪問診療): the consultation's length, minutes; "
        "``promise`` is the appointment window, ``rider_name`` the patient.",
    )


class RoutePublic(BaseModel):
    vehicle_id: str
    vehicle_name: str
    locked: bool
    in_service: bool
    position: LonLat | None
    distance_m: int
    duration_s: int
    stops: list[StopPublic]


class UnassignedPublic(BaseModel):
    booking_id: str
    reason: str
    reason_ja: str
    reason_en: str
    rider_name: str | None


class BrokenPromisePublic(BaseModel):
    """A promise an event broke: which, when, by how much (seconds) and why."""

    booking_id: str
    what: str
    at: datetime
    cause: str
    promised: Window | None
    by_s: int
    vehicle_id: str | None
    message_ja: str
    message_en: str


class PlanSummary(BaseModel):
    served: int
    unassigned: int
    vehicles_used: int
    distance_m: int
    duration_s: int
    cost: float


class PlanPublic(BaseModel):
    service_date: date
    version: int
    now: datetime
    summary: PlanSummary
    routes: list[RoutePublic]
    unassigned: list[UnassignedPublic]
    broken_promises: list[BrokenPromisePublic]


class ManifestPublic(BaseModel):
    """A vehicle's stops today (運行表): done ones first, then the plan."""

    service_date: date
    vehicle_id: str
    vehicle_name: str
    locked: bool
    in_service: bool
    position: LonLat | None
    stops: list[StopPublic]


class ReoptimiseRequest(In):
    time_limit_s: float | None = Field(
        None, gt=0, le=60, description="Default: NORIAI_REOPT_TIME_LIMIT_S."
    )


class ReoptOutcomePublic(BaseModel):
    accepted: bool
    reason: str
    cost_before: float
    cost_after: float | None
    moved: int
    reinserted: int


class DriverEvent(In):
    """What the driver reports (到着・乗車・降車・不在), or a delay or breakdown.

    A home visit's stop is reported ``arrived`` and then ``visited`` (訪問完了: the
    consultation is over), or ``no_show`` (nobody at home).
    """

    type: Literal[
        "arrived", "picked_up", "dropped_off", "visited", "no_show", "delayed", "breakdown"
    ]
    booking_id: BookingId | None = None
    stop_kind: str | None = Field(None, max_length=30, description="Ignored (page context).")
    delay_min: int | None = Field(None, ge=1, le=240, description="For ``delayed``.")


class PositionReport(In):
    lon: Lon
    lat: Lat


class EventOutcome(BaseModel):
    event: str
    changed: list[str]
    broken: list[BrokenPromisePublic]


class OverrideBooking(In):
    booking_id: BookingId
    vehicle_id: VehicleId
    pickup_pos: int | None = Field(None, ge=0, le=1000)
    dropoff_pos: int | None = Field(None, ge=0, le=1000)


class OverrideVehicle(In):
    vehicle_id: VehicleId
    service_date: date | None = Field(None, description="Default: today.")


class OverrideOutcome(BaseModel):
    applied: bool
    message: str
    violations: list[str]


class AuditPublic(BaseModel):
    id: int
    at: datetime
    service_date: date | None
    event: str
    booking_id: str | None
    vehicle_id: str | None
    message_ja: str
    message_en: str
    actor: str | None
    changes: list[dict[str, Any]]


# -- standing bookings (定期予約) ---------------------------------------------------------

_CLOCK = re.compile(r"([01]\d|2[0-3]):([0-5]\d)")


def _clock(value: str) -> str:
    if _CLOCK.fullmatch(value) is None:
        raise ValueError(f"{value!r} is not a time of day HH:MM (e.g. 09:00)")
    return value


#: A time of day, local, ``HH:MM`` (00:00-23:59): the same time on every date.
ClockTime = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=5),
    AfterValidator(_clock),
    Field(examples=["09:00"]),
]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
Weekdays = Annotated[
    list[Weekday],
    Field(min_length=1, max_length=7, description="Days of the week it rides (曜日)."),
]
SkipDates = Annotated[
    list[date],
    Field(max_length=366, description="Dates it does not ride (例外日: 休診日 etc.)."),
]
ReturnAfterMin = Annotated[
    int,
    Field(
        ge=1,
        le=24 * 60 - 1,
        description="Return ride: depart this many minutes after the outbound's asked time "
        "(arrive by 09:00 + 240 min: depart 13:00).",
    ),
]


class StandingBookingCreate(In):
    """A ride that repeats every week (定期予約), e.g. dialysis on Tuesdays and Fridays:
    arrive at the clinic by 09:00, go home 4 hours later. Give exactly one of
    ``depart_at`` and ``arrive_by`` (local times of day), and at most one of
    ``return_at`` and ``return_after_min``."""

    rider_id: Id
    pickup_place_id: Id = Field(description="A saved place or the rider's home.")
    dropoff_place_id: Id
    weekdays: Weekdays
    depart_at: ClockTime | None = Field(None, description="Book by departure (出発希望時刻).")
    arrive_by: ClockTime | None = Field(None, description="Book by arrival (到着希望時刻).")
    return_at: ClockTime | None = Field(None, description="Return ride (帰り便) departs at.")
    return_after_min: ReturnAfterMin | None = None
    start_date: date | None = Field(None, description="First date (default: tomorrow).")
    end_date: date | None = Field(None, description="Last date (none: until ended).")
    skip_dates: SkipDates = Field(default_factory=list)
    skip_holidays: bool = Field(False, description="No ride on public holidays (祝日).")
    note: Text = ""


class StandingBookingUpdate(In):
    """Changes to a standing booking; fields left out keep their value.
    ``add_skip_dates`` adds exceptions to those already there."""

    pickup_place_id: Id | None = None
    dropoff_place_id: Id | None = None
    weekdays: Weekdays | None = None
    depart_at: ClockTime | None = None
    arrive_by: ClockTime | None = None
    return_at: ClockTime | None = None
    return_after_min: ReturnAfterMin | None = None
    end_date: date | None = None
    skip_dates: SkipDates | None = None
    add_skip_dates: SkipDates | None = None
    skip_holidays: bool | None = None
    note: Text | None = None
    active: bool | None = None


class StandingBookingPublic(BaseModel):
    id: int
    rider_id: int
    rider_name: str
    pickup: StopPlace
    dropoff: StopPlace
    weekdays: list[Weekday]
    depart_at: str | None = Field(description="HH:MM, booked by departure.")
    arrive_by: str | None = Field(description="HH:MM, booked by arrival.")
    return_at: str | None = Field(description="HH:MM the return departs (null: none).")
    return_after_min: int | None
    start_date: date
    end_date: date | None
    skip_dates: list[date]
    skip_holidays: bool
    note: str
    active: bool
    next_dates: list[date] = Field(description="The next dates it rides (up to 5).")
    created_at: datetime
    updated_at: datetime


class StandingProblemPublic(BaseModel):
    """A standing ride we cannot keep (確保できない便) on a date: why, and the times the
    quote offered instead (book one with ``POST /quotes``, or add the date as an
    exception)."""

    id: int
    standing_booking_id: int
    rider_id: int
    rider_name: str
    service_date: date
    leg: Literal["outbound", "return"]
    depart_at: datetime | None
    arrive_by: datetime | None
    pickup: StopPlace
    dropoff: StopPlace
    reason: Reason
    alternatives: list[AlternativePublic]
    booking_id: str | None = Field(description="The ride, once a later run booked it.")
    resolved_at: datetime | None
    updated_at: datetime


class ProblemSettle(In):
    """How a standing ride we could not keep was settled: a ride booked at another time
    (``booking_id``: the rider's ride that date, linked to the standing booking), or
    nothing (the rider will not ride, or goes another way)."""

    booking_id: BookingId | None = Field(None, description="The ride booked instead.")


class MaterialiseOutcome(BaseModel):
    """What one run for a date did: rides booked now, rides already there, problems."""

    service_date: date
    booked: list[BookingPublic]
    already: int = Field(description="Rides made by an earlier run (or since cancelled).")
    problems: list[StandingProblemPublic]
    message_ja: str
    message_en: str


# -- the dispatcher's tools: previews, the reassign assistant, time travel, the summary --


class PlanChangePublic(BaseModel):
    """One booking's place in the plan before and after (None: not in the plan)."""

    booking_id: str
    rider_name: str | None
    before_vehicle: str | None
    after_vehicle: str | None
    before_pickup: datetime | None
    after_pickup: datetime | None
    before_dropoff: datetime | None
    after_dropoff: datetime | None


class PlanTotalsPublic(BaseModel):
    """The remaining plan's size: bookings served, metres, seconds, cost (yen)."""

    served: int
    distance_m: int
    duration_s: int
    cost: float


class PreviewPublic(BaseModel):
    """What an event or a move would do, found on a copy of the day (nothing applied).

    ``applies`` is False for a move the checker refuses (``violations`` say why).
    ``moved``: bookings that change vehicle; ``retimed``: stops moved by more than
    ``retime_min`` minutes; ``dropped``: bookings left without a vehicle (refused,
    no-show, promise broken); ``broken``: the promises it breaks and why.
    """

    event: str
    applies: bool
    message: str
    retime_min: int
    moved: list[PlanChangePublic]
    retimed: list[PlanChangePublic]
    dropped: list[PlanChangePublic]
    broken: list[BrokenPromisePublic]
    violations: list[str]
    before: PlanTotalsPublic
    after: PlanTotalsPublic


class MoveOptionPublic(BaseModel):
    """One vehicle that could take a booking: whether the move keeps every promise
    (else the checker's violations), what it adds to the plan, and its lateness risk."""

    vehicle_id: str
    vehicle_name: str
    keeps_promise: bool
    violations: list[str]
    added_distance_m: int
    added_duration_s: int
    added_cost: float
    pickup_at: datetime | None
    dropoff_at: datetime | None
    late_probability: float | None
    at_risk: bool


class MoveOptionsPublic(BaseModel):
    """The reassign assistant's answer: the other vehicles in service, best first."""

    booking_id: str
    current_vehicle_id: str | None
    options: list[MoveOptionPublic]


class PastPlanPublic(PlanPublic):
    """The plan as it stood at ``as_of`` (read-only; ``now`` is that moment)."""

    as_of: datetime


class PlanMomentsPublic(BaseModel):
    """When the day's plan changed (the moments time travel can show), oldest first."""

    service_date: date
    now: datetime
    moments: list[datetime]


class DaySummaryPublic(BaseModel):
    """The day so far (本日の実績): bookings by outcome, and km and vehicle hours so
    far against planned (so far plus what the plan still has to drive)."""

    service_date: date
    now: datetime
    served: int = Field(description="Bookings done (降車済み・お届け済み・訪問済み).")
    refused: int = Field(description="Asks we could not book (予約できません).")
    cancelled: int
    no_shows: int
    late: int = Field(description="Bookings whose promise was reported broken.")
    distance_m_done: int
    distance_m_planned: int
    vehicle_s_done: int
    vehicle_s_planned: int


# -- residents booking themselves, the call list, messages to riders ------------------------

Pin = Annotated[
    str,
    StringConstraints(strip_whitespace=True, pattern=r"^[0-9]{4,8}$"),
]


class RiderPinUpdate(In):
    """A resident's PIN (暗証番号), set or reset by the office: 4 to 8 digits."""

    pin: Pin


class OneTimeCodeIssued(BaseModel):
    """A one-time code (確認コード) to read out to the resident: shown once, used once."""

    rider_id: int
    code: str
    expires_at: datetime


class ResidentSignIn(In):
    """Sign in with the registration number (登録番号) and the PIN or a one-time code."""

    registration_no: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)
    ]
    pin: Pin = Field(description="The PIN, or a one-time code from the office.")


class ResidentPlace(BaseModel):
    """A place a resident may ride from or to: their home or a saved place."""

    id: int
    name: str
    kind: str


class ResidentPublic(BaseModel):
    """The signed-in resident as their own page shows them."""

    name: str
    kana: str
    registration_no: str
    companions: int
    wheelchair: bool
    home: ResidentPlace | None
    places: list[ResidentPlace] = Field(description="Saved places (よく使う場所).")


class ResidentSignedIn(BaseModel):
    token: str = Field(description="Bearer token of this sign-in (res_...): shown once.")
    expires_at: datetime
    resident: ResidentPublic


class ResidentQuoteCreate(In):
    """A ride a resident asks for: from and to their home or a saved place, when."""

    pickup_place_id: Id
    dropoff_place_id: Id
    depart_at: When | None = Field(None, description="Book by departure (出発希望時刻).")
    arrive_by: When | None = Field(None, description="Book by arrival (到着希望時刻).")
    companions: int | None = Field(None, ge=0, le=8, description="Default: the usual.")


class CallChange(BaseModel):
    """Something that changed since the booking was made."""

    at: datetime
    kind: Literal["promise_changed", "promise_broken", "promise_restored", "retimed"]
    message_ja: str
    message_en: str


class CallListEntry(BaseModel):
    """One booking of the day to ring about (前日連絡)."""

    booking_id: str
    kind: str
    status: str
    rider_id: int
    rider_name: str
    kana: str
    phone: str
    channel: Channel
    pickup_name: str
    dropoff_name: str
    promise: Window | None = Field(description="The promise in force.")
    first_promise: Window | None = Field(description="The promise first given.")
    expected_pickup: datetime | None
    changes: list[CallChange]
    needs_call: bool = Field(
        description="Ring the rider: their channel is the phone, or the promise changed or "
        "broke since booking."
    )
    reminder: str | None = Field(description="The reminder's status in the outbox, if any.")


class CallListPublic(BaseModel):
    service_date: date
    entries: list[CallListEntry]


class OutboxPublic(Out):
    id: int
    kind: MessageKind
    service_date: date
    booking_id: str
    rider_id: int
    channel: Channel
    address: str
    body_ja: str
    body_en: str
    status: str
    sender: str
    error: str
    created_at: datetime
    sent_at: datetime | None


class RemindersQueued(BaseModel):
    service_date: date
    queued: int = Field(description="Reminders added now (bookings already reminded: none).")
