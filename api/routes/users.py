"""Staff accounts (admin only): create, list, change role or vehicle, issue tokens."""

from __future__ import annotations

from fastapi import APIRouter, status
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from api.db.models import User
from api.deps import AdminUser, IdPath, ReadSession, WriteSession
from api.problems import conflict, not_found
from api.routes.common import office_audit, problems
from api.schemas import TokenCreate, TokenIssued, TokenPublic, UserCreate, UserCreated, UserPublic
from api.security import create_user, issue_token
from api.vocab import Role

router = APIRouter(prefix="/users", tags=["users"])


@router.get("", response_model=list[UserPublic], responses=problems())
def list_users(_admin: AdminUser, session: ReadSession) -> list[UserPublic]:
    return [UserPublic.model_validate(u) for u in session.scalars(select(User).order_by(User.id))]


@router.post(
    "",
    response_model=UserCreated,
    status_code=status.HTTP_201_CREATED,
    responses=problems(409, 422),
)
def add_user(body: UserCreate, admin: AdminUser, session: WriteSession) -> UserCreated:
    """A new member of staff and their first token (shown once)."""
    if session.scalar(select(User.id).where(User.name == body.name)) is not None:
        raise conflict("user_exists", f"利用者名「{body.name}」はすでにあります", "name taken")
    user = create_user(session, body.name, body.role, vehicle_id=body.vehicle_id)
    issued = issue_token(session, user, label="first")
    office_audit(session, admin, "user_added", f"職員追加 {user.name}", f"user {user.name} added")
    try:
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        raise conflict("user_exists", "利用者名はすでにあります", "name taken") from exc
    token = TokenIssued(
        **TokenPublic.model_validate(issued.record).model_dump(), token=issued.secret
    )
    return UserCreated(user=UserPublic.model_validate(user), token=token)


@router.post(
    "/{user_id}/tokens",
    response_model=TokenIssued,
    status_code=status.HTTP_201_CREATED,
    responses=problems(404, 422),
)
def add_token(
    user_id: IdPath, body: TokenCreate, admin: AdminUser, session: WriteSession
) -> TokenIssued:
    """A new token for a member of staff (e.g. a replacement tablet)."""
    user = session.get(User, user_id)
    if user is None:
        raise not_found("職員", "user", user_id)
    issued = issue_token(session, user, label=body.label)
    office_audit(
        session, admin, "token_issued", f"トークン発行 {user.name}", f"token for {user.name}"
    )
    session.commit()
    return TokenIssued(
        **TokenPublic.model_validate(issued.record).model_dump(), token=issued.secret
    )


@router.post("/{user_id}/deactivate", response_model=UserPublic, responses=problems(404))
def deactivate(user_id: IdPath, admin: AdminUser, session: WriteSession) -> UserPublic:
    """Switch an account off (its tokens stop working at once)."""
    user = session.get(User, user_id)
    if user is None:
        raise not_found("職員", "user", user_id)
    if user.role == Role.ADMIN and user.id == admin.id:
        raise conflict(
            "self_deactivate", "自分自身は無効にできません", "cannot deactivate yourself"
        )
    user.active = False
    office_audit(session, admin, "user_deactivated", f"職員無効 {user.name}", f"{user.name} off")
    session.commit()
    return UserPublic.model_validate(user)
