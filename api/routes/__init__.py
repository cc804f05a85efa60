"""The API's routers, one module per resource; `api_router` assembles them under /api/v1."""

from __future__ import annotations

from fastapi import APIRouter

from api.routes import (
    audit,
    auth,
    bookings,
    call_list,
    clock,
    deliveries,
    drone_bases,
    drones,
    flights,
    health,
    outbox,
    overrides,
    places,
    plan,
    quotes,
    resident,
    riders,
    shifts,
    standing_bookings,
    users,
    vehicles,
    visits,
)

API_PREFIX = "/api/v1"


def api_router() -> APIRouter:
    router = APIRouter(prefix=API_PREFIX)
    for module in (
        health,
        clock,
        auth,
        users,
        riders,
        places,
        quotes,
        bookings,
        standing_bookings,
        deliveries,
        visits,
        vehicles,
        shifts,
        drone_bases,
        drones,
        flights,
        plan,
        overrides,
        audit,
        call_list,
        outbox,
        resident,
    ):
        router.include_router(module.router)
    return router
