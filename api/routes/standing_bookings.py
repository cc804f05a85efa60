"""Standing bookings (定期予約): a rider's ride that repeats every week, and each date's rides.

An operator registers the days, the time (by departure or by arrival), an optional return
ride, the first and last date, exceptions (例外日) and whether public holidays (祝日) are
skipped (`dispatch.standing`). Nothing is booked then: each date's rides are made ahead
by ``POST /standing-bookings/materialise?service_date=...`` (or ``noriai service standing
--date ...``), which quotes and confirms every ride through the same path as a ride taken
on the phone (`api.routes.quotes.hold_ride`, `confirm_held`), and never twice: a ride
made before, even one cancelled since, is not made again.

When it runs: the evening before (the dispatcher's closing routine, or a cron job calling
the CLI), so that a ride that cannot be kept (no seat at that time, no service that day,
the rider's registration ended...) is reported to the operator the day before, not on it:
it is recorded as a problem for its date with the quote's reason and the times it
offered instead (``GET /standing-bookings/problems``, the operator page's panel
「明日の定期予約で確保できない便」). Running it again retries only those problems; one the
operator settled (``POST /standing-bookings/problems/{id}/settle``: with the ride booked at
an alternative time, or without one) is left alone.

Taking a date out (``add_skip_dates``) or ending a standing booking (DELETE) cancels
the rides it already made on those dates (after today); rides of past days stay as
they were.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, status
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from api import idempotency
from api.db.models import Booking, Place, Rider, StandingProblem, User
from api.db.models import StandingBooking as StandingRow
from api.deps import (
    BookingUser,
    DateQuery,
    IdempotencyKeyHeader,
    IdPath,
    PersonalDataUser,
    ReadSession,
    RuntimeDep,
    WriteSession,
    actor_of,
    check_service_date,
    today,
)
from api.live.store import Actor, OpenDay
from api.problems import ApiProblem, FieldProblem, conflict, invalid, invalid_field, not_found
from api.routes.bookings import booking_public
from api.routes.common import office_audit, patched, problems
from api.routes.quotes import (
    alternative_public,
    check_bookable_time,
    confirm_held,
    hold_ride,
    party_of,
    stop_place,
)
from api.routes.riders import get_rider
from api.runtime import Runtime
from api.schemas import (
    AlternativePublic,
    MaterialiseOutcome,
    ProblemSettle,
    Reason,
    StandingBookingCreate,
    StandingBookingPublic,
    StandingBookingUpdate,
    StandingProblemPublic,
    StopPlace,
)
from api.vocab import BookingKind
from dispatch.errors import InputError
from dispatch.quote import REJECTION_TEXT
from dispatch.standing import WEEKDAY_NAMES, Flaw, InvalidStanding, Leg, StandingBooking

router = APIRouter(prefix="/standing-bookings", tags=["standing bookings"])

NEXT_DATES = 5
#: How far ahead `next_dates` looks for them, days.
LOOK_AHEAD_DAYS = 366

# -- the rule's words ------------------------------------------------------------------------

_FIELDS = {
    "weekdays": "weekdays",
    "end": "end_date",
    "skip": "skip_dates",
    "return_at_s": "return_at",
    "return_after_s": "return_after_min",
}
_FLAW_JA = {
    "no_weekdays": "曜日を1つ以上指定してください",
    "bad_weekday": "曜日が正しくありません",
    "end_before_start": "終了日が開始日より前です",
    "bad_time": "時刻が正しくありません",
    "two_returns": "帰りは時刻か何分後かのどちらか一方を指定してください",
    "bad_return": "帰りまでの時間が正しくありません",
    "return_before_outbound": "帰りの時刻が行きより前です",
    "return_next_day": "帰りが翌日になります",
    "outside_hours": "運行時間外です",
}


def _field_problem(flaw: Flaw, outbound_field: str, hours: str) -> FieldProblem:
    ja = _FLAW_JA.get(flaw.code, "値が正しくありません")
    if flaw.code == "outside_hours":
        ja = f"{ja}（運行時間 {hours}）"
    name = outbound_field if flaw.field == "outbound_s" else _FIELDS.get(flaw.field, flaw.field)
    return FieldProblem(name, ja, flaw.message)


def _seconds(hhmm: str) -> int:
    return int(hhmm[:2]) * 3600 + int(hhmm[3:5]) * 60


def _hhmm(seconds: int | None) -> str | None:
    return None if seconds is None else f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"


#: The columns of a standing booking that make its rule (`dispatch.standing`).
RULE_COLUMNS = (
    "weekdays",
    "start_date",
    "end_date",
    "skip_dates",
    "skip_holidays",
    "outbound_s",
    "by_arrival",
    "return_at_s",
    "return_after_s",
)


def rule_of(values: StandingRow | Mapping[str, Any]) -> StandingBooking:
    """The domain's value of a standing booking, from its row or its `RULE_COLUMNS`
    (``skip_dates`` as dates or ISO strings)."""
    v = values if isinstance(values, Mapping) else {c: getattr(values, c) for c in RULE_COLUMNS}
    return StandingBooking(
        weekdays=frozenset(WEEKDAY_NAMES.index(d) for d in v["weekdays"]),
        start=v["start_date"],
        outbound_s=v["outbound_s"],
        by_arrival=v["by_arrival"],
        end=v["end_date"],
        skip=frozenset(
            d if isinstance(d, date) else date.fromisoformat(d) for d in v["skip_dates"]
        ),
        skip_holidays=v["skip_holidays"],
        return_at_s=v["return_at_s"],
        return_after_s=v["return_after_s"],
    )


def _check_rule(values: dict[str, Any], rt: Runtime) -> None:
    """422 naming every field whose value breaks the rule (`dispatch.standing`) or asks a
    ride outside the town's service hours (``NORIAI_SERVICE_HOURS``)."""
    outbound_field = "arrive_by" if values["by_arrival"] else "depart_at"
    hours = rt.settings.service_hours
    try:
        rule = rule_of(values)
    except InvalidStanding as exc:
        raise invalid(*(_field_problem(f, outbound_field, hours) for f in exc.flaws)) from exc
    outside = rule.outside_hours(*rt.settings.service_hours_s())
    if outside:
        raise invalid(*(_field_problem(f, outbound_field, hours) for f in outside))


def _check_places(session: Session, rider: Rider, pickup_id: int, dropoff_id: int) -> None:
    """422 for a place that is not the rider's (saved places or their own home), or the
    same place twice."""
    stop_place(session, rider, pickup_id, None, "pickup")
    stop_place(session, rider, dropoff_id, None, "dropoff")
    if pickup_id == dropoff_id:
        raise invalid_field(
            "dropoff_place_id", "乗車地と降車地が同じです", "pickup and dropoff are the same place"
        )


def _active_rider(session: Session, rider_id: int) -> Rider:
    rider = get_rider(session, rider_id, field="rider_id")
    if not rider.active:
        raise invalid_field(
            "rider_id",
            "登録が無効の利用者です",
            "the rider's registration is inactive",
            code="rider_inactive",
        )
    return rider


def _one_time(depart_at: str | None, arrive_by: str | None) -> tuple[int, bool]:
    """The outbound's seconds and whether by arrival; 422 unless exactly one is given."""
    if (depart_at is None) == (arrive_by is None):
        words = (
            "出発希望時刻か到着希望時刻のどちらか一方を指定してください",
            "give exactly one of depart_at and arrive_by",
        )
        raise invalid(FieldProblem("depart_at", *words), FieldProblem("arrive_by", *words))
    return _seconds(depart_at or arrive_by or ""), arrive_by is not None


# -- what the operator sees ------------------------------------------------------------------


def _stop(place: Place | None) -> StopPlace:
    if place is None:  # pragma: no cover - places are never deleted
        return StopPlace(place_id=None, name="", lon=0.0, lat=0.0)
    return StopPlace(place_id=place.id, name=place.name, lon=place.lon, lat=place.lat)


def standing_public(session: Session, row: StandingRow, rt: Runtime) -> StandingBookingPublic:
    rule = rule_of(row)
    first = max(today(rt), row.start_date)
    last = first + timedelta(days=LOOK_AHEAD_DAYS)
    if row.end_date is not None:
        last = min(last, row.end_date)
    upcoming = rule.dates(first, last)[:NEXT_DATES] if row.active and last >= first else []
    rider = session.get(Rider, row.rider_id)
    return StandingBookingPublic(
        id=row.id,
        rider_id=row.rider_id,
        rider_name=rider.name if rider is not None else "",
        pickup=_stop(session.get(Place, row.pickup_place_id)),
        dropoff=_stop(session.get(Place, row.dropoff_place_id)),
        weekdays=list(row.weekdays),
        depart_at=None if row.by_arrival else _hhmm(row.outbound_s),
        arrive_by=_hhmm(row.outbound_s) if row.by_arrival else None,
        return_at=_hhmm(rule.return_s),
        return_after_min=None if row.return_after_s is None else row.return_after_s // 60,
        start_date=row.start_date,
        end_date=row.end_date,
        skip_dates=sorted(rule.skip),
        skip_holidays=row.skip_holidays,
        note=row.note,
        active=row.active,
        next_dates=upcoming,
        created_at=row.created_at.astimezone(rt.clock.zone),
        updated_at=row.updated_at.astimezone(rt.clock.zone),
    )


def problem_public(
    session: Session, p: StandingProblem, row: StandingRow, rt: Runtime
) -> StandingProblemPublic:
    rider = session.get(Rider, row.rider_id)
    asked = p.asked_at.astimezone(rt.clock.zone)
    by_arrival = p.leg == "outbound" and row.by_arrival
    return StandingProblemPublic(
        id=p.id,
        standing_booking_id=row.id,
        rider_id=row.rider_id,
        rider_name=rider.name if rider is not None else "",
        service_date=p.service_date,
        leg=p.leg,  # type: ignore[arg-type]
        depart_at=None if by_arrival else asked,
        arrive_by=asked if by_arrival else None,
        pickup=_stop(session.get(Place, _ends(row, p.leg)[0])),
        dropoff=_stop(session.get(Place, _ends(row, p.leg)[1])),
        reason=Reason(code=p.reason_code, message_ja=p.message_ja, message_en=p.message_en),
        alternatives=[AlternativePublic.model_validate(a) for a in p.alternatives],
        booking_id=p.booking_id,
        resolved_at=None if p.resolved_at is None else p.resolved_at.astimezone(rt.clock.zone),
        updated_at=p.updated_at.astimezone(rt.clock.zone),
    )


def _ends(row: StandingRow, leg: str) -> tuple[int, int]:
    """(pickup, dropoff) place ids of a leg: the return goes the other way."""
    there = (row.pickup_place_id, row.dropoff_place_id)
    return there if leg == "outbound" else (there[1], there[0])


def standing_row(session: Session, standing_id: int) -> StandingRow:
    row = session.get(StandingRow, standing_id)
    if row is None:
        raise not_found("定期予約", "standing booking", standing_id)
    return row


# -- making a date's rides -----------------------------------------------------------------


def _problem(
    session: Session,
    row: StandingRow,
    day: date,
    leg: Leg,
    asked: datetime,
    reason: Reason,
    alternatives: list[AlternativePublic],
    now: datetime,
) -> StandingProblem:
    """Record (or bring up to date) the problem of one ride of `row` on `day`."""
    p = _problem_row(session, row.id, day, leg.name)
    if p is None:
        p = StandingProblem(
            standing_booking_id=row.id, service_date=day, leg=leg.name, created_at=now
        )
        session.add(p)
    p.asked_at = asked
    p.reason_code = reason.code
    p.message_ja = reason.message_ja
    p.message_en = reason.message_en
    p.alternatives = jsonable_encoder(alternatives)
    p.booking_id = None
    p.resolved_at = None
    p.updated_at = now
    return p


def _problem_row(session: Session, standing_id: int, day: date, leg: str) -> StandingProblem | None:
    return session.scalar(
        select(StandingProblem).where(
            StandingProblem.standing_booking_id == standing_id,
            StandingProblem.service_date == day,
            StandingProblem.leg == leg,
        )
    )


def _book_leg(
    od: OpenDay, rt: Runtime, row: StandingRow, leg: Leg, user_id: int | None
) -> str | tuple[Reason, list[AlternativePublic]]:
    """Quote and confirm one ride like any other: its booking id, or why not (the
    reason and the quote's alternatives)."""
    session, day = od.session, od.service_date
    field = "arrive_by" if leg.by_arrival else "depart_at"
    asked = rt.clock.at(leg.at_s, day)
    try:
        check_bookable_time(rt, asked, field)
        rider = _active_rider(session, row.rider_id)
        pickup_id, dropoff_id = _ends(row, leg.name)
        pickup = stop_place(session, rider, pickup_id, None, "pickup")
        dropoff = stop_place(session, rider, dropoff_id, None, "dropoff")
        party, wheelchairs = party_of(rider, None, None)
        q = hold_ride(
            od,
            rider,
            (pickup, dropoff),
            asked,
            field,
            party=party,
            wheelchairs=wheelchairs,
            user_id=user_id,
            note=row.note,
            standing=(row.id, leg.name),
        )
    except ApiProblem as exc:  # the ask itself cannot be made that day
        return Reason(code=exc.code, message_ja=exc.detail_ja, message_en=exc.detail_en), []
    except InputError as exc:
        return Reason(code="invalid_input", message_ja="予約できません", message_en=str(exc)), []
    if q.ok and q.booking_id is not None:
        confirm_held(od, q.booking_id)
        return q.booking_id
    ja, en = REJECTION_TEXT[q.reason] if q.reason is not None else ("予約できません", "")
    reason = Reason(
        code=q.reason.value if q.reason else "rejected", message_ja=ja, message_en=q.detail or en
    )
    alts = [alternative_public(a, q.kind, od, by_arrival=leg.by_arrival) for a in q.alternatives]
    return reason, alts


def materialise_date(rt: Runtime, day: date, field: str = "service_date") -> date:
    """`day` if its rides may be made now (today up to the booking horizon,
    ``NORIAI_BOOKING_DAYS_AHEAD``), else 422 naming `field`."""
    check_service_date(rt, day, field)
    if day < today(rt):
        raise invalid_field(field, "過去の日付です", f"{day} is in the past", code="in_past")
    ahead = rt.settings.booking_days_ahead
    if day > today(rt) + timedelta(days=ahead):
        raise invalid_field(
            field,
            f"予約は {ahead} 日先までです",
            f"rides are made at most {ahead} days ahead",
            code="too_far_ahead",
        )
    return day


def materialise(
    session: Session, rt: Runtime, day: date, actor: Actor, user_id: int | None
) -> MaterialiseOutcome:
    """Make `day`'s rides of every active standing booking (see the module doc): booked
    through the quote path, or recorded as problems; nothing made twice."""
    rows = list(
        session.scalars(
            select(StandingRow)
            .where(StandingRow.active.is_(True), StandingRow.start_date <= day)
            .order_by(StandingRow.outbound_s, StandingRow.id)
        )
    )
    rows = [r for r in rows if r.end_date is None or r.end_date >= day]
    made = {
        (sid, leg)
        for sid, leg in session.execute(
            select(Booking.standing_booking_id, Booking.standing_leg).where(
                Booking.service_date == day, Booking.standing_booking_id.is_not(None)
            )
        )
    }
    made |= {
        (sid, leg)  # settled: booked by the run that settled it, or by the operator
        for sid, leg in session.execute(
            select(StandingProblem.standing_booking_id, StandingProblem.leg).where(
                StandingProblem.service_date == day, StandingProblem.resolved_at.is_not(None)
            )
        )
    }
    asks = [(r, leg) for r in rows for leg in rule_of(r).legs_on(day)]
    todo = [(r, leg) for r, leg in asks if (r.id, leg.name) not in made]
    booked: list[str] = []
    troubled: list[StandingProblem] = []
    if not todo:  # nothing new: the day is not even opened
        return _outcome(session, rt, day, [], len(asks), [], {})
    with rt.days.locked(session, day, actor) as od:
        for row, leg in todo:
            answer = _book_leg(od, rt, row, leg, user_id)
            if isinstance(answer, str):
                booked.append(answer)
                settled = _problem_row(session, row.id, day, leg.name)
                if settled is not None:
                    settled.booking_id, settled.resolved_at = answer, od.now
                    settled.updated_at = od.now
                continue
            asked = rt.clock.at(leg.at_s, day)
            troubled.append(_problem(session, row, day, leg, asked, *answer, od.now))
        od.record(
            "standing_materialised",
            f"定期予約 {day:%m/%d}: {len(booked)} 便確保、{len(troubled)} 便確保できず",
            f"standing bookings {day}: {len(booked)} rides booked, {len(troubled)} cannot be kept",
        )
    return _outcome(
        session, rt, day, booked, len(asks) - len(todo), troubled, {r.id: r for r in rows}
    )


def _outcome(
    session: Session,
    rt: Runtime,
    day: date,
    booked: list[str],
    already: int,
    troubled: list[StandingProblem],
    rows: dict[int, StandingRow],
) -> MaterialiseOutcome:
    return MaterialiseOutcome(
        service_date=day,
        booked=[
            booking_public(session, row, personal=True, rt=rt)
            for row in session.scalars(
                select(Booking).where(Booking.id.in_(booked)).order_by(Booking.id)
            )
        ],
        already=already,
        problems=[problem_public(session, p, rows[p.standing_booking_id], rt) for p in troubled],
        message_ja=f"{len(booked)} 便を予約しました。確保できない便: {len(troubled)} 便",
        message_en=f"{len(booked)} rides booked; {len(troubled)} cannot be kept",
    )


def open_problems(session: Session, rt: Runtime, day: date) -> list[StandingProblemPublic]:
    """The unresolved problems of `day` whose standing booking still rides that date."""
    found = session.execute(
        select(StandingProblem, StandingRow)
        .join(StandingRow, StandingRow.id == StandingProblem.standing_booking_id)
        .where(StandingProblem.service_date == day, StandingProblem.resolved_at.is_(None))
        .where(StandingRow.active.is_(True))
        .order_by(StandingProblem.asked_at, StandingProblem.id)
    ).all()
    return [problem_public(session, p, row, rt) for p, row in found if rule_of(row).runs_on(day)]


def _cancel_rides(
    session: Session, rt: Runtime, user: User, standing_id: int, days: Iterable[date]
) -> int:
    """Cancel the rides `standing_id` made on `days` after today; how many."""
    wanted = sorted({d for d in days if d > today(rt)})
    if not wanted:
        return 0
    rows = session.scalars(
        select(Booking).where(
            Booking.standing_booking_id == standing_id, Booking.service_date.in_(wanted)
        )
    ).all()
    by_day: dict[date, list[str]] = {}
    for b in rows:
        by_day.setdefault(b.service_date, []).append(b.id)
    cancelled = 0
    for day, ids in sorted(by_day.items()):
        with rt.days.locked(session, day, actor_of(user)) as od:
            for booking_id in ids:
                if od.day().booking(booking_id).status.is_active:
                    od.day().cancel(booking_id)
                    cancelled += 1
    return cancelled


# -- routes --------------------------------------------------------------------------------


@router.post(
    "",
    response_model=StandingBookingPublic,
    status_code=status.HTTP_201_CREATED,
    responses=problems(409, 422),
)
def register_standing(
    body: StandingBookingCreate,
    user: BookingUser,
    session: WriteSession,
    rt: RuntimeDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Any:
    """Register a standing booking (定期予約); its rides are made date by date ahead
    (``POST /standing-bookings/materialise``)."""
    claim = idempotency.begin(session, user.id, idempotency_key, "/standing-bookings", body)
    if isinstance(claim, JSONResponse):
        return claim
    rider = _active_rider(session, body.rider_id)
    _check_places(session, rider, body.pickup_place_id, body.dropoff_place_id)
    outbound_s, by_arrival = _one_time(body.depart_at, body.arrive_by)
    start = body.start_date or today(rt) + timedelta(days=1)
    if body.start_date is not None:
        check_service_date(rt, start, "start_date")
        if start < today(rt):
            raise invalid_field(
                "start_date", "開始日が過去の日付です", f"{start} is in the past", code="in_past"
            )
    values = {
        "weekdays": list(dict.fromkeys(body.weekdays)),
        "start_date": start,
        "end_date": body.end_date,
        "skip_dates": sorted(set(body.skip_dates)),
        "skip_holidays": body.skip_holidays,
        "outbound_s": outbound_s,
        "by_arrival": by_arrival,
        "return_at_s": None if body.return_at is None else _seconds(body.return_at),
        "return_after_s": None if body.return_after_min is None else body.return_after_min * 60,
    }
    _check_rule(values, rt)
    now = datetime.now(UTC)
    row = StandingRow(
        rider_id=rider.id,
        pickup_place_id=body.pickup_place_id,
        dropoff_place_id=body.dropoff_place_id,
        note=body.note,
        active=True,
        created_by=user.id,
        created_at=now,
        updated_at=now,
        **{**values, "skip_dates": [d.isoformat() for d in values["skip_dates"]]},
    )
    session.add(row)
    session.flush()
    office_audit(
        session,
        user,
        "standing_registered",
        f"定期予約の登録（利用者 {rider.id}）",
        f"standing booking {row.id} registered for rider {rider.id}",
    )
    out = standing_public(session, row, rt)
    claim.remember(201, out)
    session.commit()
    return out


@router.get("", response_model=list[StandingBookingPublic], responses=problems(422))
def list_standing(
    _user: PersonalDataUser,
    session: ReadSession,
    rt: RuntimeDep,
    rider_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    include_ended: bool = False,
) -> list[StandingBookingPublic]:
    """Standing bookings (a rider's, with ``rider_id``), by rider and time."""
    q = select(StandingRow).order_by(StandingRow.rider_id, StandingRow.outbound_s, StandingRow.id)
    if rider_id is not None:
        q = q.where(StandingRow.rider_id == rider_id)
    if not include_ended:
        q = q.where(StandingRow.active.is_(True))
    return [standing_public(session, r, rt) for r in session.scalars(q)]


@router.get("/problems", response_model=list[StandingProblemPublic], responses=problems(422))
def list_problems(
    _user: PersonalDataUser,
    session: ReadSession,
    rt: RuntimeDep,
    service_date: DateQuery = None,
) -> list[StandingProblemPublic]:
    """Standing rides we cannot keep (確保できない便) on a date (default: tomorrow)."""
    day = service_date or today(rt) + timedelta(days=1)
    return open_problems(session, rt, day)


@router.post(
    "/problems/{problem_id}/settle",
    response_model=StandingProblemPublic,
    responses=problems(404, 409, 422),
)
def settle_problem(
    problem_id: IdPath,
    body: ProblemSettle,
    user: BookingUser,
    session: WriteSession,
    rt: RuntimeDep,
) -> StandingProblemPublic:
    """The operator settled a standing ride we could not keep: with the ride booked at
    another time (linked to the standing booking), or without one. It leaves the list and
    later runs leave that ride alone."""
    p = session.get(StandingProblem, problem_id)
    if p is None:
        raise not_found("確保できない便", "standing problem", problem_id)
    if p.resolved_at is not None:
        raise conflict(
            "already_settled", "この便はすでに対応済みです", "this ride is settled already"
        )
    row = standing_row(session, p.standing_booking_id)
    if body.booking_id is not None:
        ride = session.get(Booking, body.booking_id)
        if (
            ride is None
            or ride.rider_id != row.rider_id
            or ride.service_date != p.service_date
            or ride.kind != BookingKind.RIDE
            or ride.standing_booking_id is not None
        ):
            raise invalid_field(
                "booking_id",
                f"この利用者の {p.service_date:%m/%d} の予約ではありません（{body.booking_id}）",
                f"{body.booking_id!r} is not a ride of rider {row.rider_id} on {p.service_date} "
                "booked one by one",
            )
        ride.standing_booking_id, ride.standing_leg = row.id, p.leg
        p.booking_id = ride.id
    p.resolved_at = p.updated_at = datetime.now(UTC)
    office_audit(
        session,
        user,
        "standing_problem_settled",
        f"定期予約の確保できない便に対応（{p.service_date:%m/%d}）",
        f"standing problem {p.id} settled" + (f" with {p.booking_id}" if p.booking_id else ""),
        service_date=p.service_date,
        booking_id=p.booking_id,
    )
    session.commit()
    return problem_public(session, p, row, rt)


@router.post("/materialise", response_model=MaterialiseOutcome, responses=problems(422, 503))
def materialise_day(
    user: BookingUser,
    session: WriteSession,
    rt: RuntimeDep,
    service_date: Annotated[date, Query(description="The date whose rides to make.")],
) -> MaterialiseOutcome:
    """Make a date's standing rides (the evening before): booked like any ride, or listed
    as problems with the reason and alternatives. Safe to run again."""
    day = materialise_date(rt, service_date)
    return materialise(session, rt, day, actor_of(user), user.id)


@router.get("/{standing_id}", response_model=StandingBookingPublic, responses=problems(404))
def read_standing(
    standing_id: IdPath, _user: PersonalDataUser, session: ReadSession, rt: RuntimeDep
) -> StandingBookingPublic:
    return standing_public(session, standing_row(session, standing_id), rt)


@router.patch("/{standing_id}", response_model=StandingBookingPublic, responses=problems(404, 422))
def update_standing(
    standing_id: IdPath,
    body: StandingBookingUpdate,
    user: BookingUser,
    session: WriteSession,
    rt: RuntimeDep,
) -> StandingBookingPublic:
    """Change a standing booking. ``add_skip_dates`` takes dates out (例外日): rides it
    already made on them are cancelled. Rides already made keep their old terms."""
    row = standing_row(session, standing_id)
    given = patched(body)
    rider = _active_rider(session, row.rider_id)
    pickup = given.get("pickup_place_id", row.pickup_place_id)
    dropoff = given.get("dropoff_place_id", row.dropoff_place_id)
    if {"pickup_place_id", "dropoff_place_id"} & given.keys():
        _check_places(session, rider, pickup, dropoff)
    outbound_s, by_arrival = row.outbound_s, row.by_arrival
    if {"depart_at", "arrive_by"} & given.keys():
        outbound_s, by_arrival = _one_time(given.get("depart_at"), given.get("arrive_by"))
    return_at_s, return_after_s = row.return_at_s, row.return_after_s
    if "return_at" in given:
        return_at_s, return_after_s = _seconds(given["return_at"]), None
    if "return_after_min" in given:
        return_after_s = given["return_after_min"] * 60
        return_at_s = None if "return_at" not in given else return_at_s
    before = set(rule_of(row).skip)
    skip = set(given.get("skip_dates", before)) | set(given.get("add_skip_dates", ()))
    values = {
        "weekdays": list(dict.fromkeys(given.get("weekdays", row.weekdays))),
        "start_date": row.start_date,
        "end_date": given.get("end_date", row.end_date),
        "skip_dates": sorted(skip),
        "skip_holidays": given.get("skip_holidays", row.skip_holidays),
        "outbound_s": outbound_s,
        "by_arrival": by_arrival,
        "return_at_s": return_at_s,
        "return_after_s": return_after_s,
    }
    _check_rule(values, rt)
    for name, value in values.items():
        setattr(row, name, value)
    row.skip_dates = [d.isoformat() for d in values["skip_dates"]]
    row.pickup_place_id, row.dropoff_place_id = pickup, dropoff
    for name in ("note", "active"):
        if name in given:
            setattr(row, name, given[name])
    row.updated_at = datetime.now(UTC)
    office_audit(
        session,
        user,
        "standing_changed",
        f"定期予約の変更（{row.id}）",
        f"standing booking {row.id} changed",
    )
    session.commit()
    _cancel_rides(session, rt, user, row.id, skip - before)
    return standing_public(session, row, rt)


@router.delete("/{standing_id}", response_model=StandingBookingPublic, responses=problems(404))
def end_standing(
    standing_id: IdPath, user: BookingUser, session: WriteSession, rt: RuntimeDep
) -> StandingBookingPublic:
    """End a standing booking: no rides after today; those already made for later dates
    are cancelled, past rides stay."""
    row = standing_row(session, standing_id)
    last = today(rt)
    later = session.scalars(
        select(Booking.service_date).where(
            Booking.standing_booking_id == row.id, Booking.service_date > last
        )
    ).all()
    row.active = False
    if row.end_date is None or row.end_date > last:
        row.end_date = max(last, row.start_date)  # inactive: no date rides any more
    row.updated_at = datetime.now(UTC)
    office_audit(
        session,
        user,
        "standing_ended",
        f"定期予約の終了（{row.id}）",
        f"standing booking {row.id} ended",
    )
    session.commit()
    _cancel_rides(session, rt, user, row.id, later)
    return standing_public(session, row, rt)
