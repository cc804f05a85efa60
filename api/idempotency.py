"""``Idempotency-Key`` for booking POSTs: a retry gets the first answer, never a second booking.

The key is claimed at the start of the request's transaction with an
``INSERT ... ON CONFLICT DO NOTHING`` on (user, key). If another request holds the
same key, the database makes this one wait until that transaction ends: if it
committed, its stored answer is replayed (or 409 when the body differs); if it
rolled back (an error answer is never stored), this request goes ahead as new.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from api.db.models import IdempotencyKey
from api.problems import conflict

REPLAY_HEADER = "Idempotent-Replayed"


def fingerprint(method: str, path: str, body: BaseModel | None) -> str:
    """SHA-256 of what makes two requests the same (method, path, parsed body)."""
    payload = body.model_dump(mode="json") if body is not None else None
    text = json.dumps([method, path, payload], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass
class Claim:
    """A key claimed by this request: store the answer with `remember` before commit."""

    session: Session
    row_id: int

    def remember(self, status: int, body: Any) -> None:
        self.session.execute(
            update(IdempotencyKey)
            .where(IdempotencyKey.id == self.row_id)
            .values(status_code=status, response=jsonable_encoder(body))
        )


class NoClaim:
    """A request sent without a key: nothing to remember."""

    def remember(self, status: int, body: Any) -> None:
        return None


def begin(
    session: Session,
    user_id: int,
    key: str | None,
    path: str,
    body: BaseModel | None = None,
    *,
    method: str = "POST",
) -> Claim | NoClaim | JSONResponse:
    """The request's claim on its key (`NoClaim` without one), or the first answer to replay."""
    if not key:
        return NoClaim()
    return claim(session, user_id, key, method, path, body)


def claim(
    session: Session, user_id: int, key: str, method: str, path: str, body: BaseModel | None
) -> Claim | JSONResponse:
    """Claim `key` for this request, or the stored answer of the request that has it."""
    digest = fingerprint(method, path, body)
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    row_id = session.execute(
        insert(IdempotencyKey)
        .values(
            user_id=user_id,
            key=key,
            method=method,
            path=path,
            request_hash=digest,
            status_code=0,
            response=None,
            created_at=datetime.now(UTC),
        )
        .on_conflict_do_nothing(index_elements=["user_id", "key"])
        .returning(IdempotencyKey.id)
    ).scalar()
    if row_id is not None:
        return Claim(session, row_id)
    stored = session.execute(
        select(IdempotencyKey).where(IdempotencyKey.user_id == user_id, IdempotencyKey.key == key)
    ).scalar_one()
    if stored.request_hash != digest:
        raise conflict(
            "idempotency_key_reused",
            "この Idempotency-Key は別の内容の依頼にすでに使われています",
            "this Idempotency-Key was already used for a different request",
        )
    return JSONResponse(
        stored.response, status_code=stored.status_code, headers={REPLAY_HEADER: "true"}
    )
