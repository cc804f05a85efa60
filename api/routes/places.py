"""Saved places (よく使う場所): hospitals, supermarkets, city hall, stations, depots...

Every place is snapped to the road network when saved (422 if it lies farther than
``NORIAI_MAX_SNAP_M`` from a road). Riders' homes are places too, but personal:
they never appear here (see /riders).

Community halls (``kind: community_hall``, 公民館) are hand-over points for shop orders
and carry their settings (``hall``: opening hours, collection slot, capacity, reach,
drone pad; `api.live.halls`); a hall saved without settings gets the defaults, any
other kind with settings is 422.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, status
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.db.models import Place
from api.deps import AnyUser, IdPath, PlaceEditor, ReadSession, RuntimeDep, WriteSession
from api.live.halls import DEFAULTS, check_hall, opening_problems, settings_of
from api.live.roads import TownRoads
from api.problems import invalid, invalid_field, not_found
from api.routes.common import office_audit, patched, problems
from api.schemas import HallPublic, PlaceCreate, PlacePublic, PlaceUpdate
from api.vocab import PlaceKind
from dispatch.errors import InputError

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


def place_public(place: Place) -> PlacePublic:
    """A place as the API shows it (halls with their settings, defaults filled in)."""
    out = PlacePublic.model_validate(place, from_attributes=True)
    settings = settings_of(place)
    return out.model_copy(update={"hall": None if settings is None else HallPublic(**settings)})


def _hall_settings(place: Place, settings: dict[str, Any]) -> None:
    """Store `settings` on a hall: 422 naming ``hall.opening.<i>`` for bad opening hours."""
    found = opening_problems(settings)
    if found:
        raise invalid(*found)
    place.hall = dict(settings)
    try:
        check_hall(place)
    except InputError as exc:  # pragma: no cover - the checks above cover what Hall checks
        raise invalid_field("hall", "公民館の設定が正しくありません", str(exc)) from exc


def _not_a_hall(kind: PlaceKind) -> Exception:
    return invalid_field(
        "hall",
        "公民館（community_hall）以外には受け取りの設定はできません",
        f"hall settings are for community halls only, not {kind.value}",
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
    return [place_public(p) for p in session.scalars(q)]


@router.post(
    "", response_model=PlacePublic, status_code=status.HTTP_201_CREATED, responses=problems(422)
)
def add_place(
    body: PlaceCreate, user: PlaceEditor, session: WriteSession, rt: RuntimeDep
) -> PlacePublic:
    """Save a place; it is snapped to the nearest road. A community hall takes its
    hand-over settings (``hall``; defaults when left out)."""
    if body.kind is PlaceKind.HOME:
        raise invalid_field(
            "kind", "自宅は利用者登録で登録してください", "homes are registered with the rider"
        )
    if body.hall is not None and body.kind is not PlaceKind.COMMUNITY_HALL:
        raise _not_a_hall(body.kind)
    place = new_place(rt.roads, body.name, body.kind, body.lon, body.lat, body.address)
    if body.kind is PlaceKind.COMMUNITY_HALL:
        settings = body.hall.model_dump() if body.hall is not None else dict(DEFAULTS)
        _hall_settings(place, settings)
    session.add(place)
    session.flush()
    office_audit(session, user, "place_added", f"場所追加 {place.name}", f"place {place.id} added")
    session.commit()
    return place_public(place)


@router.get("/{place_id}", response_model=PlacePublic, responses=problems(404))
def get_place(place_id: IdPath, _user: AnyUser, session: ReadSession) -> PlacePublic:
    return place_public(public_place(session, place_id))


@router.patch("/{place_id}", response_model=PlacePublic, responses=problems(404, 422))
def update_place(
    place_id: IdPath, body: PlaceUpdate, user: PlaceEditor, session: WriteSession
) -> PlacePublic:
    """Rename, re-classify or retire a place (its location stays: bookings refer to it);
    change a hall's settings (``hall``: only the fields given)."""
    place = public_place(session, place_id)
    if body.kind is PlaceKind.HOME:
        raise invalid_field("kind", "自宅には変更できません", "a saved place cannot become a home")
    given = patched(body)
    kind = body.kind or PlaceKind(place.kind)
    if "hall" in given and kind is not PlaceKind.COMMUNITY_HALL:
        raise _not_a_hall(kind)
    for name, value in given.items():
        if name != "hall":
            setattr(place, name, value.value if isinstance(value, PlaceKind) else value)
    if kind is PlaceKind.COMMUNITY_HALL:
        current = settings_of(place) or dict(DEFAULTS)
        changes = body.hall.model_dump(exclude_unset=True) if body.hall is not None else {}
        _hall_settings(place, {**current, **changes})
    else:
        place.hall = None
    office_audit(session, user, "place_changed", f"場所変更 {place.name}", f"place {place.id}")
    session.commit()
    return place_public(place)
