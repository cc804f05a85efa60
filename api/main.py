"""The booking service: `create_app(settings)` builds the FastAPI app (OpenAPI at /docs).

Run it with ``noriai service run`` (uvicorn, one or more worker processes) or any
ASGI server via the factory ``api.main:app_from_env``. On start the app brings the
database schema up to date (``NORIAI_AUTO_MIGRATE``) and loads the town's road
graph; every request then works on the database, which is the truth (see
`api.live.store`), so any number of worker processes may serve the same town.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

from api import __doc__ as package_doc
from api.db.engine import safe_url
from api.db.migrate import is_up_to_date, upgrade
from api.notify import Sender
from api.problems import install_handlers
from api.routes import api_router
from api.runtime import build_runtime
from api.settings import Settings
from api.web import mount_web
from api.web.pages import graph_loader
from routing.graph import RoadGraph

log = logging.getLogger(__name__)

DESCRIPTION = """
乗合タクシー（デマンド交通）と買い物支援・宅配、訪問診療の予約・配車サービス。
Booking and dispatch service for shared rides, shop deliveries and home visits.

* Sign in with a bearer token (`Authorization: Bearer nor_...`) from
  `noriai service user add NAME --role ROLE`.
* Times are timezone-aware ISO 8601 datetimes; windows are `{start, end}`;
  coordinates `lon`, `lat` in degrees.
* Errors are `application/problem+json` with `detail_ja` / `detail_en` and,
  for bad input, `errors` per field.
* Booking POSTs accept an `Idempotency-Key` header: a retry returns the first
  answer instead of booking twice.
"""


def create_app(
    settings: Settings,
    *,
    graph: RoadGraph | None = None,
    clock: Callable[[], datetime] | None = None,
    sender: Sender | None = None,
) -> FastAPI:
    """The service app for `settings`.

    Parameters
    ----------
    settings
        Deployment settings (database, town graph, time zone, holds...).
    graph
        The town's road graph; loaded from the settings at start-up when None.
    clock
        Returns the current aware datetime (tests and demos); default: the wall clock,
        or ``settings.fixed_now`` when set.
    sender
        Takes the messages to riders (`api.notify`); default: ``settings.notify_sender``.
    """
    runtime = build_runtime(settings, clock, sender)
    engine = runtime.engine

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.auto_migrate and not is_up_to_date(engine):
            log.info("migrating %s", safe_url(engine.url))
            upgrade(engine)
        town = graph if graph is not None else graph_loader(settings)()
        app.state.graph = town
        runtime.attach_graph(town)
        log.info("service ready: %d road nodes, zone %s", town.n_nodes, settings.timezone)
        yield
        engine.dispose()

    app = FastAPI(
        title="noriai 乗合 booking service",
        summary=(package_doc or "").strip(),
        description=DESCRIPTION,
        version="1",
        lifespan=lifespan,
        docs_url=None,  # served below from local files: the town's office may be offline
        redoc_url=None,  # ReDoc's page loads its script from a CDN
    )
    _mount_offline_docs(app)
    app.state.runtime = runtime
    app.state.graph = graph
    install_handlers(app)
    app.include_router(api_router())
    mount_web(app, settings)
    return app


DOCS_ASSETS = "/docs-assets"


def _mount_offline_docs(app: FastAPI) -> None:
    """Swagger UI at /docs with its JavaScript and CSS from the swagger-ui-bundle
    package instead of a CDN, like every other page of the service."""
    app.mount(DOCS_ASSETS, StaticFiles(directory=str(swagger_ui_path)), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        page = get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title} — API",
            swagger_js_url=f"{DOCS_ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{DOCS_ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{DOCS_ASSETS}/favicon-32x32.png",
        )
        # the page's language, for screen readers (Swagger UI's text is English)
        return HTMLResponse(bytes(page.body).replace(b"<html>", b'<html lang="en">', 1))


def app_from_env() -> FastAPI:
    """The app from ``NORIAI_*`` environment variables (uvicorn ``--factory``)."""
    return create_app(Settings())
