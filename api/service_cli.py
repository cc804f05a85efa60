"""``noriai service``: run the booking service, its database, staff, tokens, standing rides.

Every command reads the database from ``NORIAI_DATABASE_URL`` (default: a SQLite file
in ``NORIAI_STATE_DIR``). ``standing`` makes a date's standing-booking rides (定期予約)
ahead, the evening before (e.g. from cron), like ``POST /standing-bookings/materialise``.
A token is printed once, when it is made; only its hash is stored, so a lost token is
replaced (``token add``), never recovered.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import select

from api.db.engine import make_engine, safe_url, session_factories
from api.db.migrate import current_revision, upgrade
from api.db.models import ApiToken, User
from api.live.store import Actor
from api.problems import ApiProblem
from api.runtime import Runtime, build_runtime
from api.security import create_user, issue_token
from api.settings import Settings
from api.vocab import Role

service_app = typer.Typer(
    help="The booking service: run it, its database, staff accounts and tokens. 予約サービス",
    no_args_is_help=True,
)
user_app = typer.Typer(help="Staff accounts (職員). 職員アカウント", no_args_is_help=True)
token_app = typer.Typer(help="Bearer tokens (アクセストークン).", no_args_is_help=True)
service_app.add_typer(user_app, name="user")
service_app.add_typer(token_app, name="token")

console = Console()
err = Console(stderr=True)


def _settings(ctx: typer.Context) -> Settings:
    obj = ctx.find_root().obj
    return obj if isinstance(obj, Settings) else Settings()


def _migrated_engine(settings: Settings):  # type: ignore[no-untyped-def]
    engine = make_engine(settings.effective_database_url())
    upgrade(engine)
    return engine


@service_app.command("init-db")
def init_db(ctx: typer.Context) -> None:
    """Create or upgrade the database schema (safe to run again). データベースの準備"""
    settings = _settings(ctx)
    engine = _migrated_engine(settings)
    console.print(f"database {safe_url(engine.url)} at revision {current_revision(engine)}")
    engine.dispose()


@service_app.command("run")
def run(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Worker processes.")] = 1,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "info",
) -> None:
    """Serve the API and the staff pages (OpenAPI at /docs). サービス起動"""
    import uvicorn

    settings = _settings(ctx)
    _migrated_engine(settings).dispose()  # once here, not in every worker
    console.print(
        f"noriai service on http://{host}:{port}/ (docs /docs), {workers} worker(s), "
        f"database {safe_url(settings.effective_database_url())}"
    )
    uvicorn.run(
        "api.main:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=log_level,
    )


@user_app.command("add")
def user_add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Unique name, e.g. 'tanaka'.")],
    role: Annotated[Role, typer.Option(help="What the user may do.")],
    vehicle: Annotated[str | None, typer.Option(help="Drivers: their vehicle id.")] = None,
) -> None:
    """Add a member of staff and print their first token (shown once). 職員の追加"""
    settings = _settings(ctx)
    engine = _migrated_engine(settings)
    writer, _ = session_factories(engine)
    with writer() as session:
        if session.scalar(select(User.id).where(User.name == name)) is not None:
            err.print(f"[red]a user named {name!r} exists already[/red]")
            raise typer.Exit(2)
        if role is Role.DRIVER and not vehicle:
            err.print(
                "[yellow]a driver without --vehicle sees no manifest until given one[/yellow]"
            )
        user = create_user(session, name, role, vehicle_id=vehicle)
        issued = issue_token(session, user, label="first")
        session.commit()
    engine.dispose()
    err.print(f"user {name} ({role.value}) added; token (store it now, it is not shown again):")
    print(issued.secret)


@user_app.command("list")
def user_list(ctx: typer.Context) -> None:
    """Staff accounts and how many live tokens each has."""
    engine = _migrated_engine(_settings(ctx))
    _, reader = session_factories(engine)
    table = Table("id", "name", "role", "vehicle", "active", "tokens")
    with reader() as session:
        for user in session.scalars(select(User).order_by(User.id)):
            live = session.scalars(
                select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
            ).all()
            table.add_row(
                str(user.id),
                user.name,
                user.role,
                user.vehicle_id or "",
                str(user.active),
                str(len(live)),
            )
    engine.dispose()
    console.print(table)


@token_app.command("add")
def token_add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The user's name.")],
    label: Annotated[str, typer.Option(help="What the token is for, e.g. 'tablet 2'.")] = "",
) -> None:
    """Print a new token for a user (shown once)."""
    engine = _migrated_engine(_settings(ctx))
    writer, _ = session_factories(engine)
    with writer() as session:
        user = session.scalar(select(User).where(User.name == name))
        if user is None:
            err.print(f"[red]no user named {name!r}[/red]")
            raise typer.Exit(2)
        issued = issue_token(session, user, label=label)
        session.commit()
    engine.dispose()
    err.print(f"token {issued.record.prefix}… for {name} (store it now, it is not shown again):")
    print(issued.secret)


@token_app.command("revoke")
def token_revoke(
    ctx: typer.Context,
    prefix: Annotated[str, typer.Argument(help="The token's first characters, e.g. nor_AbCd1234.")],
) -> None:
    """Revoke every token starting with `prefix` (at least 8 characters)."""
    if len(prefix) < 8:
        err.print("[red]give at least 8 characters of the token[/red]")
        raise typer.Exit(2)
    engine = _migrated_engine(_settings(ctx))
    writer, _ = session_factories(engine)
    with writer() as session:
        rows = session.scalars(
            select(ApiToken).where(ApiToken.prefix == prefix[:12], ApiToken.revoked_at.is_(None))
        ).all()
        for row in rows:
            row.revoked_at = datetime.now(UTC)
        session.commit()
    engine.dispose()
    console.print(f"{len(rows)} token(s) revoked")
    if not rows:
        raise typer.Exit(1)


DateCheck = Callable[[Runtime, date, str], object]


def _date_option(rt: Runtime, day: str | None, check: DateCheck) -> date:
    """The ``--date`` option (default: tomorrow by the service clock), checked by
    `check` (which raises a 422 problem); exit status 2 when it is not a usable date."""
    from api.deps import today

    try:
        service_date = date.fromisoformat(day) if day else today(rt) + timedelta(days=1)
        check(rt, service_date, "--date")
    except ValueError as exc:
        err.print(f"[red]--date: {exc}[/red]")
        raise typer.Exit(2) from exc
    except ApiProblem as exc:
        err.print(f"[red]{exc.detail_ja} / {exc.detail_en}[/red]")
        raise typer.Exit(2) from exc
    return service_date


#: Exit status of ``standing`` when some rides cannot be kept (a cron job can alert).
SOME_NOT_KEPT = 3


@service_app.command("standing")
def standing(
    ctx: typer.Context,
    day: Annotated[
        str | None,
        typer.Option(
            "--date", help="Service date YYYY-MM-DD whose rides to make (default: tomorrow)."
        ),
    ] = None,
) -> None:
    """Make a date's standing-booking rides (定期予約) ahead; list those that cannot be kept.

    Run it the evening before: every ride is quoted and confirmed like one taken on the
    phone; running it again makes nothing twice. Exit status 3 when some ride cannot be
    kept (they are listed, and shown on the operator page).
    """
    from api.routes.standing_bookings import materialise, materialise_date
    from api.web.pages import graph_loader

    settings = _settings(ctx)
    _migrated_engine(settings).dispose()
    rt = build_runtime(settings)
    service_date = _date_option(rt, day, materialise_date)
    rt.attach_graph(graph_loader(settings)())
    with rt.writer() as session:
        out = materialise(session, rt, service_date, Actor(None, "noriai service standing"), None)
    rt.engine.dispose()
    console.print(f"{out.message_ja} / {out.message_en} (already made: {out.already})")
    for p in out.problems:  # one line each: read in a cron mail, found by grep
        asked = p.arrive_by or p.depart_at
        when = f"{'arrive by' if p.arrive_by else 'depart at'} {asked:%H:%M}" if asked else ""
        instead = ", ".join(a.label_ja for a in p.alternatives) or "—"
        print(
            f"{p.service_date} {p.rider_name} {p.leg} {p.pickup.name} → {p.dropoff.name} "
            f"{when}: {p.reason.message_ja} ({p.reason.code}); 代わりの時間 instead: {instead}"
        )
    if out.problems:
        raise typer.Exit(SOME_NOT_KEPT)


@service_app.command("remind")
def remind_riders(
    ctx: typer.Context,
    day: Annotated[
        str | None,
        typer.Option("--date", help="Service date YYYY-MM-DD to remind of (default: tomorrow)."),
    ] = None,
) -> None:
    """Send the day before's reminders (前日のお知らせ) of a date's confirmed bookings.

    Each goes to the rider's channel through the sender of ``NORIAI_NOTIFY_SENDER``
    (database: queued in the outbox for the call list and a gateway); running it again
    reminds only bookings made since.
    """
    from api.deps import check_service_date
    from api.notify import remind

    settings = _settings(ctx)
    _migrated_engine(settings).dispose()
    rt = build_runtime(settings)
    service_date = _date_option(rt, day, check_service_date)
    with rt.writer() as session:
        queued = remind(session, service_date, rt.sender, zone=rt.clock.zone, now=rt.now())
    rt.engine.dispose()
    console.print(f"{service_date}: 前日のお知らせ {queued} 件 / {queued} reminder(s) queued")
