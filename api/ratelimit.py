"""Rate limits of the residents' page: fixed windows counted in the database.

Counting in the database (not in this process's memory) makes the limit hold across
every worker process of the service. Each call takes one count for each of its keys
(e.g. the registration number and the network address) in its own short transaction,
committed before the request goes on, so a refused sign-in still counts. Subjects are
stored as SHA-256 digests: no registration number or address is kept in clear.
A key over its limit is a 429 problem with ``Retry-After``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, sessionmaker

from api.db.models import RateCount
from api.problems import ApiProblem


@dataclass(frozen=True, slots=True)
class Limit:
    """At most `count` calls of `scope` per subject in each window of `window_s`."""

    scope: str
    count: int
    window_s: int


#: counts older than this are deleted as calls come in
KEEP = timedelta(days=1)


def _digest(subject: str) -> str:
    return hashlib.sha256(subject.encode()).hexdigest()


def window_start(now: datetime, window_s: int) -> datetime:
    """The start of the fixed window `now` falls in."""
    epoch = int(now.timestamp())
    return datetime.fromtimestamp(epoch - epoch % window_s, tz=now.tzinfo)


def take(session: Session, limit: Limit, subject: str, now: datetime) -> tuple[int, datetime]:
    """Count one call for `subject`; the count so far in this window, and its end."""
    start = window_start(now, limit.window_s)
    key = _digest(subject)
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(
        insert(RateCount)
        .values(scope=limit.scope, subject=key, window_start=start, count=0)
        .on_conflict_do_nothing(index_elements=["scope", "subject", "window_start"])
    )
    where = (
        (RateCount.scope == limit.scope)
        & (RateCount.subject == key)
        & (RateCount.window_start == start)
    )
    session.execute(update(RateCount).where(where).values(count=RateCount.count + 1))
    count = session.scalar(select(RateCount.count).where(where)) or 0
    return count, start + timedelta(seconds=limit.window_s)


def enforce(factory: sessionmaker[Session], now: datetime, *checks: tuple[Limit, str]) -> None:
    """Count the call under every (limit, subject) and commit; 429 if any is over."""
    over: list[datetime] = []
    with factory() as session:
        session.execute(delete(RateCount).where(RateCount.window_start < now - KEEP))
        for limit, subject in checks:
            count, ends = take(session, limit, subject, now)
            if count > limit.count:
                over.append(ends)
        session.commit()
    if over:
        wait = max(1, int((max(over) - now).total_seconds()))
        raise ApiProblem(
            429,
            "too_many_requests",
            "続けて操作されたため、しばらく受け付けません"
            f"（約 {max(1, wait // 60)} 分後にお試しください）",
            f"too many attempts; try again in about {wait} s",
            headers={"Retry-After": str(wait)},
            extra={"retry_after_s": wait},
        )
