"""Bearer tokens: made once, shown once, stored only as a SHA-256 hash.

Tokens are 256 random bits, so a plain SHA-256 is enough to make a stolen database
useless for signing in (no password-style slow hash needed), and lookups stay one
indexed equality. Tokens never appear in logs: only their short ``prefix``.

Residents' PINs and one-time codes are a few digits, so they get the slow,
memory-hard scrypt of the standard library with a random salt (`hash_secret`);
residents' session tokens (``res_...``) are random like staff tokens.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from api.db.models import ApiToken, ResidentSession, Rider, User
from api.vocab import Role

TOKEN_PREFIX = "nor_"
PREFIX_CHARS = 8
RESIDENT_PREFIX = "res_"

#: scrypt cost (N, r, p): about 16 MiB and tens of milliseconds per PIN checked
_SCRYPT = (2**14, 8, 1)


def hash_token(token: str) -> str:
    """Hex SHA-256 of a token (what the database keeps)."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    """A fresh bearer token (``nor_`` + 43 URL-safe characters)."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """A token just made: the secret (show it once) and its stored record."""

    secret: str
    record: ApiToken


def issue_token(
    session: Session, user: User, *, label: str = "", expires_at: datetime | None = None
) -> IssuedToken:
    """Make a token for `user` and add its hash to the session (the caller commits)."""
    secret = new_token()
    record = ApiToken(
        user_id=user.id,
        token_hash=hash_token(secret),
        prefix=secret[: len(TOKEN_PREFIX) + PREFIX_CHARS],
        label=label,
        created_at=datetime.now(UTC),
        expires_at=expires_at,
    )
    session.add(record)
    session.flush()
    return IssuedToken(secret, record)


def user_for_token(session: Session, token: str, now: datetime) -> User | None:
    """The active user a valid (unrevoked, unexpired) token belongs to, else None."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    digest = hash_token(token)
    row = session.execute(
        select(ApiToken, User).join(User).where(ApiToken.token_hash == digest)
    ).first()
    if row is None:
        return None
    record, user = row
    if not hmac.compare_digest(record.token_hash, digest):  # pragma: no cover - equal by query
        return None
    if record.revoked_at is not None or not user.active:
        return None
    if record.expires_at is not None and record.expires_at <= now:
        return None
    return user


def create_user(session: Session, name: str, role: Role, *, vehicle_id: str | None = None) -> User:
    """Add a staff account (the caller commits)."""
    user = User(
        name=name,
        role=role.value,
        vehicle_id=vehicle_id,
        active=True,
        created_at=datetime.now(UTC),
    )
    session.add(user)
    session.flush()
    return user


# -- residents: PINs, one-time codes, sign-in sessions ------------------------------------


def hash_secret(secret: str) -> str:
    """``scrypt$N$r$p$salt$hash`` (hex) of a PIN or one-time code."""
    n, r, p = _SCRYPT
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(secret.encode(), salt=salt, n=n, r=r, p=p, dklen=32)
    return f"scrypt${n}${r}${p}${salt.hex()}${digest.hex()}"


def verify_secret(secret: str, stored: str) -> bool:
    """Whether `secret` is the one `stored` was made from (constant-time compare)."""
    try:
        name, n, r, p, salt, digest = stored.split("$")
        if name != "scrypt":
            return False
        got = hashlib.scrypt(
            secret.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p), dklen=32
        )
    except ValueError:
        return False
    return hmac.compare_digest(got.hex(), digest)


#: checked against when the registration number is unknown, so a wrong number takes as
#: long to refuse as a wrong PIN
DUMMY_HASH = hash_secret("not-a-pin")


def new_resident_token() -> str:
    """A fresh resident session token (``res_`` + 43 URL-safe characters)."""
    return RESIDENT_PREFIX + secrets.token_urlsafe(32)


def new_one_time_code(digits: int = 8) -> str:
    """A random code of `digits` digits, read out over the phone."""
    return "".join(secrets.choice("0123456789") for _ in range(digits))


def end_resident_sessions(session: Session, rider_id: int, now: datetime) -> None:
    """Revoke every open sign-in of a resident (the caller commits)."""
    session.execute(
        update(ResidentSession)
        .where(ResidentSession.rider_id == rider_id, ResidentSession.revoked_at.is_(None))
        .values(revoked_at=now)
    )


def rider_for_token(session: Session, token: str, now: datetime) -> Rider | None:
    """The active rider a valid (unrevoked, unexpired) resident token belongs to."""
    if not token.startswith(RESIDENT_PREFIX) or len(token) > 200:
        return None
    row = session.execute(
        select(ResidentSession, Rider)
        .join(Rider, Rider.id == ResidentSession.rider_id)
        .where(ResidentSession.token_hash == hash_token(token))
    ).first()
    if row is None:
        return None
    record, rider = row
    if record.revoked_at is not None or record.expires_at <= now or not rider.active:
        return None
    return rider
