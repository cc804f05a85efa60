"""Who am I, and my own tokens (`noriai service user add` makes the first one)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi import APIRouter, Response, status
from sqlalchemy import select

from api.db.models import ApiToken
from api.deps import AnyUser, IdPath, ReadSession, WriteSession
from api.problems import not_found
from api.routes.common import office_audit, problems
from api.schemas import MePublic, TokenCreate, TokenIssued, TokenPublic
from api.security import issue_token
from api.vocab import Role

router = APIRouter(prefix="/auth", tags=["auth"])


@router.get("/me", response_model=MePublic, responses=problems())
def me(user: AnyUser) -> MePublic:
    """The signed-in user: name, role and (drivers) vehicle."""
    return MePublic.model_validate(user)


@router.get("/tokens", response_model=list[TokenPublic], responses=problems())
def my_tokens(user: AnyUser, session: ReadSession) -> list[TokenPublic]:
    """My tokens (their prefixes; the secrets are never stored)."""
    rows = session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id)
    )
    return [TokenPublic.model_validate(t) for t in rows]


@router.post(
    "/tokens",
    response_model=TokenIssued,
    status_code=status.HTTP_201_CREATED,
    responses=problems(422),
)
def new_token(body: TokenCreate, user: AnyUser, session: WriteSession) -> TokenIssued:
    """A new token for me (e.g. one per tablet). The secret is in this answer only."""
    expires = (
        datetime.now(UTC) + timedelta(days=body.expires_in_days) if body.expires_in_days else None
    )
    issued = issue_token(session, user, label=body.label, expires_at=expires)
    office_audit(
        session, user, "token_issued", "トークン発行", f"token {issued.record.prefix}… issued"
    )
    session.commit()
    return TokenIssued(
        **TokenPublic.model_validate(issued.record).model_dump(), token=issued.secret
    )


@router.delete(
    "/tokens/{token_id}", status_code=status.HTTP_204_NO_CONTENT, responses=problems(404)
)
def revoke_token(token_id: IdPath, user: AnyUser, session: WriteSession) -> Response:
    """Revoke a token (mine; an admin may revoke anyone's)."""
    record = session.get(ApiToken, token_id)
    if record is None or (record.user_id != user.id and user.role != Role.ADMIN):
        raise not_found("トークン", "token", token_id)
    if record.revoked_at is None:
        record.revoked_at = datetime.now(UTC)
        office_audit(
            session, user, "token_revoked", "トークン失効", f"token {record.prefix}… revoked"
        )
    session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)
