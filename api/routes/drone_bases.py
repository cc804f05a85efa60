"""Drone bases (ドローン拠点): where drones take off, land, swap batteries and are loaded.

A base sits at a saved place of kind shop, supermarket or depot (422 naming
``place_id`` otherwise); a shop hands its orders to the nearest active base within
``NORIAI_DRONE_SHOP_REACH_M`` by road. Retire a base with ``active: false`` (its
drones fly no more); a base is deleted only while no drone is stationed there (409).
Dispatchers and administrators change bases; planners read them too.
"""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Response, status
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.db.models import Drone, DroneBase, Place
from api.deps import FleetUser, IdPath, PlanUser, ReadSession, WriteSession
from api.live.drones import BASE_PLACE_KINDS
from api.problems import conflict, invalid_field, not_found
from api.routes.common import office_audit, patched, problems
from api.schemas import DroneBaseCreate, DroneBasePublic, DroneBaseUpdate

router = APIRouter(prefix="/drone-bases", tags=["drones"])


def base_public(session: Session, base: DroneBase) -> DroneBasePublic:
    place = session.get(Place, base.place_id)
    assert place is not None  # a foreign key
    return DroneBasePublic(
        id=base.id,
        name=base.name,
        place_id=base.place_id,
        place_name=place.name,
        lon=place.lon,
        lat=place.lat,
        active=base.active,
    )


def base_or_404(session: Session, base_id: int) -> DroneBase:
    base = session.get(DroneBase, base_id)
    if base is None:
        raise not_found("ドローン拠点", "drone base", base_id)
    return base


def base_place(session: Session, place_id: int) -> Place:
    """An active saved place a base may sit at (422 naming ``place_id`` otherwise)."""
    place = session.get(Place, place_id)
    kinds = {k.value for k in BASE_PLACE_KINDS}
    if place is None or place.kind not in kinds or not place.active:
        raise invalid_field(
            "place_id",
            f"ドローン拠点にできる場所（店舗・スーパー・車庫）ではありません（{place_id}）",
            f"place {place_id} is not an active shop, supermarket or depot",
            code="unknown_base_place",
        )
    return place


@router.get("", response_model=list[DroneBasePublic], responses=problems())
def list_bases(_user: PlanUser, session: ReadSession) -> list[DroneBasePublic]:
    """Every drone base, retired ones too, by id."""
    bases = session.scalars(select(DroneBase).order_by(DroneBase.id))
    return [base_public(session, b) for b in bases]


@router.post(
    "",
    response_model=DroneBasePublic,
    status_code=status.HTTP_201_CREATED,
    responses=problems(422),
)
def add_base(body: DroneBaseCreate, user: FleetUser, session: WriteSession) -> DroneBasePublic:
    """A drone base at a saved shop, supermarket or depot."""
    base_place(session, body.place_id)
    base = DroneBase(
        name=body.name, place_id=body.place_id, active=True, created_at=datetime.now(UTC)
    )
    session.add(base)
    session.flush()
    office_audit(
        session,
        user,
        "drone_base_added",
        f"ドローン拠点追加 {base.name}",
        f"drone base {base.id} ({base.name}) added",
    )
    session.commit()
    return base_public(session, base)


@router.get("/{base_id}", response_model=DroneBasePublic, responses=problems(404))
def read_base(base_id: IdPath, _user: PlanUser, session: ReadSession) -> DroneBasePublic:
    return base_public(session, base_or_404(session, base_id))


@router.patch("/{base_id}", response_model=DroneBasePublic, responses=problems(404, 422))
def update_base(
    base_id: IdPath, body: DroneBaseUpdate, user: FleetUser, session: WriteSession
) -> DroneBasePublic:
    """Rename, move to another place or retire a base (only the fields given)."""
    base = base_or_404(session, base_id)
    given = patched(body)
    if "place_id" in given:
        base_place(session, given["place_id"])
    for name, value in given.items():
        setattr(base, name, value)
    office_audit(
        session,
        user,
        "drone_base_changed",
        f"ドローン拠点変更 {base.name}",
        f"drone base {base.id}: {', '.join(sorted(given)) or 'nothing'} changed",
    )
    session.commit()
    return base_public(session, base)


@router.delete("/{base_id}", status_code=status.HTTP_204_NO_CONTENT, responses=problems(404, 409))
def delete_base(base_id: IdPath, user: FleetUser, session: WriteSession) -> Response:
    """Delete a base no drone is stationed at (409 otherwise: move or delete them first)."""
    base = base_or_404(session, base_id)
    stationed = session.scalar(select(Drone.id).where(Drone.base_id == base_id).limit(1))
    if stationed is not None:
        raise conflict(
            "base_in_use",
            "この拠点にはドローンがあります（先にドローンを移すか削除してください）",
            f"drone {stationed!r} is stationed at base {base_id}; retire it (active: false) "
            "or move its drones",
        )
    session.delete(base)
    office_audit(
        session,
        user,
        "drone_base_removed",
        f"ドローン拠点削除 {base.name}",
        f"drone base {base_id} removed",
    )
    session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)
