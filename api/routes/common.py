"""Pieces several routers share: error responses for the docs, office audit records."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy.orm import Session

from api.db.models import AuditRecord, User
from api.problems import PROBLEM_JSON, invalid_field
from api.schemas import Problem


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries for problem+json errors."""
    words = {
        401: "No valid bearer token",
        403: "The role may not do this",
        404: "Not found",
        409: "Conflicts with the current state",
        422: "Invalid input (one entry per field in `errors`)",
        429: "Too many attempts: wait ``Retry-After`` seconds",
        503: "The road network or solver cannot answer now",
    }
    return {
        s: {"model": Problem, "description": words.get(s, "Error"), "content": {PROBLEM_JSON: {}}}
        for s in (401, 403, *statuses)
    }


def office_audit(
    session: Session,
    user: User,
    event: str,
    ja: str,
    en: str,
    *,
    service_date: date | None = None,
    booking_id: str | None = None,
    vehicle_id: str | None = None,
) -> None:
    """An audit entry for a change outside the plan (a rider, a user, a token...)."""
    session.add(
        AuditRecord(
            service_date=service_date,
            at=datetime.now(UTC),
            event=event,
            booking_id=booking_id,
            vehicle_id=vehicle_id,
            message_ja=ja,
            message_en=en,
            actor_id=user.id,
            actor_name=user.name,
            changes=[],
        )
    )


def patched(body: BaseModel) -> dict[str, Any]:
    """The fields a PATCH body gives (422 naming the first one sent as null)."""
    given = body.model_dump(exclude_unset=True)
    for name, value in given.items():
        if value is None:
            raise invalid_field(name, "空にはできません", "must not be null")
    return given
