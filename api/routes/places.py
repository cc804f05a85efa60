"""Saved places (よく使う場所): hospitals, supermarkets, city hall, stations, depots...

Every place is snapped to the road network when saved (422 if it lies farther than
``NORIAI_MAX_SNAP_M`` from a road). Riders' homes are places too, but personal:
they never appear here (see /riders).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query, status
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.db.models import Place
from api.deps import AnyUser, IdPath, PlaceEditor, ReadSession, RuntimeDep, WriteSession
from api.live.roads import TownRoads
from api.problems import invalid_field, not_found
from api.routes.common import office_audit, problems
from api.schemas import PlaceCreate, PlacePublic, PlaceUpdate
from api.vocab import PlaceKind

router = APIRouter(prefix="/places", tags=["places"])


def new_place(
    roads: TownRoads,
    name: str,
    kind: PlaceKind,
    lon: float,
    lat: float,
    address: str = "",
    *,
    field_prefix: str = "",
) -> Place:
    """A place snapped to the road (422 naming ``lon`` if it is off the network)."""
    point = roads.snap(lon, lat, field=f"{field_prefix}lon")
    return Place(
        name=name,
        kind=kind.value,
        address=address,
        lon=lon,
        lat=lat,
        road_lon=point.lon,
        road_lat=point.lat,
        snap_m=round(point.distance_m, 1),
        active=True,
        created_at=datetime.now(UTC),
    )


def public_place(session: Session, place_id: int) -> Place:
    """A saved place that is not a home (404 otherwise)."""
    place = session.get(Place, place_id)
    if place is None or place.kind == PlaceKind.HOME:
        raise not_found("場所", "place", place_id)
    return place


@router.get("", response_model=list[PlacePublic], responses=problems(422))
def list_places(
    _user: AnyUser,
    session: ReadSession,
    kind: Annotated[PlaceKind | None, Query(description="Only this kind.")] = None,
    include_inactive: bool = False,
) -> list[PlacePublic]:
    """Saved places by name (homes are never listed)."""
    q = select(Place).where(Place.kind != PlaceKind.HOME.value).order_by(Place.name, Place.id)
    if kind is not None:
        q = q.where(Place.kind == kind.value)
    if not include_inactive:
        q = q.where(Place.active.is_(True))
    return [PlacePublic.model_validate(p) for p in session.scalars(q)]


@router.post(
    "", response_model=PlacePublic, status_code=status.HTTP_201_CREATED, responses=problems(422)
)
def add_place(
    body: PlaceCreate, user: PlaceEditor, session: WriteSession, rt: RuntimeDep
) -> PlacePublic:
    """Save a place; it is snapped to the nearest road."""
    if body.kind is PlaceKind.HOME:
        raise invalid_field(
            "kind", "自宅は利用者登録で登録してください", "homes are registered with the rider"
        )
    place = new_place(rt.roads, body.name, body.kind, body.lon, body.lat, body.address)
    session.add(place)
    session.flush()
    office_audit(session, user, "place_added", f"場所追加 {place.name}", f"place {place.id} added")
    session.commit()
    return PlacePublic.model_validate(place)


@router.get("/{place_id}", response_model=PlacePublic, responses=problems(404))
def get_place(place_id: IdPath, _user: AnyUser, session: ReadSession) -> PlacePublic:
    return PlacePublic.model_validate(public_place(session, place_id))


@router.patch("/{place_id}", response_model=PlacePublic, responses=problems(404, 422))
def update_place(
    place_id: IdPath, body: PlaceUpdate, user: PlaceEditor, session: WriteSession
) -> PlacePublic:
    """Rename, re-classify or retire a place (its location stays: bookings refer to it)."""
    place = public_place(session, place_id)
    if body.kind is PlaceKind.HOME:
        raise invalid_field("kind", "自宅には変更できません", "a saved place cannot become a home")
    for name, value in body.model_dump(exclude_unset=True).items():
        if value is None:
            raise invalid_field(name, "空にはできません", "must not be null")
        setattr(place, name, value.value if isinstance(value, PlaceKind) else value)
    office_audit(session, user, "place_changed", f"場所変更 {place.name}", f"place {place.id}")
    session.commit()
    return PlacePublic.model_validate(place)
