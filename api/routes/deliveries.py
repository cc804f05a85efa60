"""Shop deliveries (買い物支援・宅配): an order collected at a shop, handed over the same day.

Booked at once (no hold: the resident is told the hand-over slot afterwards) on the
same fleet as the rides; same-day orders close at the order cut-off (注文締切).
Infeasible orders are answered ``feasible: false`` with the reason (200).

An order is handed over at the door (``hand_over: door``, 宅配) or at a community hall
(``hand_over: hall``, 公民館): the earliest collection slot of the hall with room left
(its capacity) that a vehicle can make, the resident collecting from the slot's end
(「○○公民館で 11:00 以降にお受け取りください」). A hall that is closed then, full, or
farther than its reach from the home is a refusal (``hall_closed``, ``hall_full``,
``hall_out_of_reach``) with the other ways that work now: the door, another hall.
Left out, ``hand_over`` follows the town's rule (`Settings.hall_by_default_km`). Each
way has its fee (``NORIAI_DELIVERY_FEE_YEN``, ``NORIAI_HALL_FEE_YEN``), quoted and kept
on the booking.

An order to a hall with a drone pad flies (ドローン便) when a drone based near the shop
(``NORIAI_DRONE_SHOP_REACH_M``) can land there in a free slot: the answer names the
``drone`` (``vehicle_id`` is the drone; ``expected_pickup`` its take-off,
``expected_arrival`` the landing at the hall) and its words end with 「（ドローン便）」.
Otherwise it goes by van and ``van_reason`` says why no drone flies it (too heavy,
out of range, grounded, no drone free...). The office's drones are put into the day
first (`api.live.drones.sync_drones`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Response, status
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from api import idempotency
from api.db.models import Place
from api.deps import (
    BookingUser,
    IdempotencyKeyHeader,
    RuntimeDep,
    WriteSession,
    actor_of,
    check_service_date,
    today,
)
from api.live.drones import carrier_words, drone_names, sync_drones, van_reason
from api.live.halls import active_halls, hall_id, is_hall, settings_of, sync_halls
from api.problems import ApiProblem, invalid_field
from api.routes.bookings import add_booking_row
from api.routes.common import problems
from api.routes.places import public_place
from api.routes.quotes import check_bookable_time, quote_public, stop_place
from api.routes.riders import get_rider
from api.schemas import DeliveryCreate, DroneRef, HallRef, QuotePublic, Reason
from api.settings import Settings
from api.vocab import BookingKind
from dispatch.drones import REASON_TEXT, NoFlightReason
from dispatch.live import LiveDay
from dispatch.quote import DeliveryAsk

router = APIRouter(prefix="/deliveries", tags=["deliveries"])


def asked_hall(session: Session, body: DeliveryCreate) -> Place | None:
    """The hall asked for by ``hall_place_id``: an active community hall (422 otherwise)."""
    if body.hall_place_id is None:
        return None
    if body.hand_over == "door":
        raise invalid_field(
            "hall_place_id",
            "ご自宅へのお届けでは公民館を指定できません",
            "hall_place_id is for hand_over hall only",
        )
    place = session.get(Place, body.hall_place_id)
    if place is None or not is_hall(place) or not place.active:
        raise invalid_field(
            "hall_place_id",
            f"受け取りに使える公民館ではありません（{body.hall_place_id}）",
            f"place {body.hall_place_id} is not an active community hall",
            code="unknown_hall",
        )
    return place


def choose_hall(
    body: DeliveryCreate,
    settings: Settings,
    live: LiveDay,
    shop_i: int,
    home_i: int,
    halls: list[Place],
    where: dict[int, int],
    asked: Place | None,
) -> Place | None:
    """The hall the order goes to (None: the door).

    Asked by ``hall_place_id``: that one. ``hand_over: hall`` alone: the active hall
    nearest the home by road. Neither door nor hall said (and no ``deliver_from``): the
    town's rule, `Settings.hall_by_default_km`.
    """
    if asked is not None:
        return asked
    if body.hand_over == "door":
        return None
    distance = live.state.base.distance_m
    by_road = sorted((int(distance[home_i, where[h.id]]), h.id, h) for h in halls)
    if body.hand_over == "hall":
        if not by_road:
            raise invalid_field(
                "hand_over",
                "受け取りに使える公民館が登録されていません",
                "no active community hall is registered",
                code="no_hall",
            )
        return by_road[0][2]
    km = settings.hall_by_default_km
    if km <= 0 or body.deliver_from is not None or distance[shop_i, home_i] <= km * 1000:
        return None
    reaching = [h for d, _, h in by_road if d <= (settings_of(h) or {}).get("reach_m", 0)]
    return reaching[0] if reaching else None


def delivery_terms(
    out: QuotePublic,
    hall: Place | None,
    settings: Settings,
    *,
    drone: DroneRef | None = None,
    by_van: NoFlightReason | None = None,
) -> QuotePublic:
    """The quote's hand-over, hall, collect-from time and fee (of the way asked or
    chosen); the drone that flies it, or why it goes by van, and those words."""
    collect = None
    if hall is not None and out.feasible and out.promise is not None:
        collect = out.promise.end
    ja, en = carrier_words(None if drone is None else (drone.id, drone.name), by_van)
    reason = None
    if by_van is not None:
        r_ja, r_en = REASON_TEXT[by_van]
        reason = Reason(code=by_van.value, message_ja=r_ja, message_en=r_en)
    return out.model_copy(
        update={
            "hand_over": "door" if hall is None else "hall",
            "hall": None if hall is None else HallRef(place_id=hall.id, name=hall.name),
            "collect_from": collect,
            "fee_yen": settings.delivery_fee_yen if hall is None else settings.hall_fee_yen,
            "drone": drone,
            "vehicle_name": drone.name if drone is not None else out.vehicle_name,
            "van_reason": reason,
            "carrier_ja": ja,
            "carrier_en": en,
        }
    )


@router.post(
    "",
    response_model=QuotePublic,
    status_code=status.HTTP_201_CREATED,
    responses={200: {"model": QuotePublic, "description": "Not bookable: the reason"}}
    | problems(409, 422, 503),
)
def order_delivery(
    body: DeliveryCreate,
    user: BookingUser,
    session: WriteSession,
    rt: RuntimeDep,
    response: Response,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Any:
    """Book a shop order for a resident, to the door or a community hall (201 with the
    hand-over slot, the hall and when to collect, the fee), or say why not and which
    other ways work now (200, ``feasible: false``)."""
    claim = idempotency.begin(session, user.id, idempotency_key, "/deliveries", body)
    if isinstance(claim, JSONResponse):
        return claim
    rider = get_rider(session, body.rider_id, field="rider_id")
    try:
        shop = public_place(session, body.shop_place_id)
    except ApiProblem as exc:
        raise invalid_field(
            "shop_place_id", "登録されていない店舗です", f"unknown place {body.shop_place_id}"
        ) from exc
    dropoff_id = body.dropoff_place_id or rider.home_place_id
    if dropoff_id is None:
        raise invalid_field(
            "dropoff_place_id",
            "お届け先がありません（利用者の自宅が未登録）",
            "no dropoff place and the rider has no home registered",
        )
    dropoff = stop_place(session, rider, dropoff_id, None, "dropoff")
    assert isinstance(dropoff, Place)
    asked = asked_hall(session, body)
    if body.deliver_from is not None and (body.hand_over == "hall" or asked is not None):
        raise invalid_field(
            "deliver_from",
            "公民館での受け取りでは指定できません（受け取り枠で決まります）",
            "deliver_from is for door hand-over only (a hall's slot sets the time)",
        )
    times: dict[str, datetime] = {
        k: v
        for k, v in (
            ("ready_at", body.ready_at),
            ("due_by", body.due_by),
            ("deliver_from", body.deliver_from),
        )
        if v is not None
    }
    if "due_by" in times:
        check_bookable_time(rt, times["due_by"], "due_by")
    anchor = next(iter(times), None)  # ready_at, else due_by, else deliver_from
    day = today(rt)
    if anchor is not None:
        day = check_service_date(rt, rt.clock.service_date(times[anchor]), anchor)
    if any(rt.clock.service_date(t) != day for t in times.values()):
        raise invalid_field(
            "due_by", "同じ日の時刻で指定してください", "all times must be on one service day"
        )
    with rt.days.locked(session, day, actor_of(user)) as od:
        live = od.day()
        if not any(v.capacity[2] >= body.cargo_units for v in live.fleet):
            raise invalid_field(
                "cargo_units",
                "この量の荷物を積める車両がありません",
                f"{body.cargo_units} cargo units fit no vehicle",
            )
        shop_i = od.locate_place(shop, field_name="shop_place_id")
        home_i = od.locate_place(dropoff, field_name="dropoff_place_id")
        halls = active_halls(session)
        where = sync_halls(od, halls)
        sync_drones(od, session, rt.settings)
        hall = choose_hall(body, rt.settings, live, shop_i, home_i, halls, where, asked)
        seconds = {k: od.seconds(v) for k, v in times.items()}
        ask = DeliveryAsk(
            shop_i,
            home_i,
            ready_at=seconds.get("ready_at"),
            due_by=seconds.get("due_by"),
            deliver_from=seconds.get("deliver_from"),
            cargo_units=body.cargo_units,
            hall_id=None if hall is None else hall_id(hall.id),
            weight_kg=body.weight_kg,
        )
        q = live.quote(ask)
        drone: DroneRef | None = None
        by_van: NoFlightReason | None = None
        if q.ok:
            booking_id = q.booking_id
            assert booking_id is not None
            live.confirm(booking_id)
            by_van = van_reason(live.booking(booking_id).note)
            if q.drone_id is not None:
                name = drone_names(session, [q.drone_id]).get(q.drone_id, q.drone_id)
                drone = DroneRef(id=q.drone_id, name=name)
            add_booking_row(
                od,
                booking_id,
                BookingKind.DELIVERY,
                pickup=(shop_i, shop),
                dropoff=(home_i, dropoff) if hall is None else (where[hall.id], hall),
                rider_id=rider.id,
                user_id=user.id,
                by_arrival=True,
                requested_at=times.get("due_by"),
                party_size=0,
                wheelchairs=0,
                cargo_units=body.cargo_units,
                note=body.note,
                hand_over="door" if hall is None else "hall",
                fee_yen=rt.settings.delivery_fee_yen if hall is None else rt.settings.hall_fee_yen,
                drone_id=q.drone_id,
                van_reason=None if by_van is None else by_van.value,
            )
        else:
            od.record("delivery_rejected", "宅配を受け付けられません", q.message_en)
        fees = {"door": rt.settings.delivery_fee_yen, "hall": rt.settings.hall_fee_yen}
        out = quote_public(q, od, by_arrival=True, status_="confirmed", fees=fees)
        out = delivery_terms(out, hall, rt.settings, drone=drone, by_van=by_van)
        code = status.HTTP_201_CREATED if q.ok else status.HTTP_200_OK
        claim.remember(code, out)
    response.status_code = code
    return out
