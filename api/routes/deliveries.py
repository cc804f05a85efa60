"""Shop deliveries (買い物支援・宅配): an order collected at a shop, handed over the same day.

Booked at once (no hold: the resident is told the hand-over slot afterwards) on the
same fleet as the rides; same-day orders close at the order cut-off (注文締切).
Infeasible orders are answered ``feasible: false`` with the reason (200).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Response, status
from fastapi.responses import JSONResponse

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
from api.problems import ApiProblem, invalid_field
from api.routes.bookings import add_booking_row
from api.routes.common import problems
from api.routes.places import public_place
from api.routes.quotes import check_bookable_time, quote_public, stop_place
from api.routes.riders import get_rider
from api.schemas import DeliveryCreate, QuotePublic
from api.vocab import BookingKind
from dispatch.quote import DeliveryAsk

router = APIRouter(prefix="/deliveries", tags=["deliveries"])


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
    """Book a shop delivery for a resident (201 with the hand-over slot, or 200 infeasible)."""
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
        seconds = {k: od.seconds(v) for k, v in times.items()}
        ask = DeliveryAsk(
            shop_i,
            home_i,
            ready_at=seconds.get("ready_at"),
            due_by=seconds.get("due_by"),
            deliver_from=seconds.get("deliver_from"),
            cargo_units=body.cargo_units,
        )
        q = live.quote(ask)
        if q.ok:
            booking_id = q.booking_id
            assert booking_id is not None
            live.confirm(booking_id)
            add_booking_row(
                od,
                booking_id,
                BookingKind.DELIVERY,
                pickup=(shop_i, shop),
                dropoff=(home_i, dropoff),
                rider_id=rider.id,
                user_id=user.id,
                by_arrival=True,
                requested_at=times.get("due_by"),
                party_size=0,
                wheelchairs=0,
                cargo_units=body.cargo_units,
                note=body.note,
            )
        else:
            od.record("delivery_rejected", "宅配を受け付けられません", q.message_en)
        out = quote_public(q, od, by_arrival=True, status_="confirmed")
        code = status.HTTP_201_CREATED if q.ok else status.HTTP_200_OK
        claim.remember(code, out)
    response.status_code = code
    return out
