"""The staff pages (HTML) and the road map endpoint the dispatcher board draws.

Pages are shells: they hold no data. Their scripts sign in with a bearer token
(kept in ``sessionStorage``) and call the JSON API. Every page is rendered in
Japanese (or English with ``?lang=en``); the browser toggles the language from
the embedded string table and remembers the choice in ``localStorage``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.templating import Jinja2Templates
from markupsafe import Markup, escape

from api.deps import check_service_date
from api.vocab import CancelReason
from api.web import i18n
from api.web.roads import MAX_PATH_POINTS, RoadClass, RoadMapCache
from routing.errors import InputError, NoriaiError

log = logging.getLogger(__name__)

WEB_DIR = Path(__file__).resolve().parent
STATIC_DIR = WEB_DIR / "static"
TEMPLATE_DIR = WEB_DIR / "templates"
STATIC_URL = "/web/static"
CANCEL_REASONS = tuple(r.value for r in CancelReason)

LangQuery = Annotated[
    i18n.Lang | None,
    Query(description="Language of the first render, ja or en (the toggle remembers it)."),
]
VehicleQuery = Annotated[
    str | None,
    Query(
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9_.\-]+$",
        description="Vehicle id to show (drivers normally get theirs from the sign-in).",
    ),
]
RefreshQuery = Annotated[
    int,
    Query(ge=2, le=300, description="Seconds between automatic refreshes of the board."),
]


def asset_version(directory: Path = STATIC_DIR) -> str:
    """Short hash of the static files, appended to their URLs so browsers refetch on change."""
    h = hashlib.sha256()
    for path in sorted(directory.iterdir()):
        if path.is_file():
            h.update(path.name.encode())
            h.update(path.read_bytes())
    return h.hexdigest()[:10]


def service_now(request: Request) -> str:
    """The service's "now" (its clock, which tests and demos may set), ISO 8601, for a
    page's defaults: pages never take the day or the hour from the browser's clock.
    "" when the pages are mounted without the booking service."""
    runtime = getattr(request.app.state, "runtime", None)
    return runtime.now().isoformat() if runtime is not None else ""


_RUBY = re.compile(r"\{([^|{}]+)\|([^|{}]+)\}")


def ruby(text: str) -> Markup:
    """A string of `api.web.i18n` with its furigana ``{漢字|かんじ}`` as ``<ruby>`` markup
    (everything else escaped). resident.js renders the same notation in the browser."""
    out, pos = [], 0
    for m in _RUBY.finditer(text):
        out.append(escape(text[pos : m.start()]))
        out.append(Markup("<ruby>{}<rt>{}</rt></ruby>").format(m[1], m[2]))
        pos = m.end()
    out.append(escape(text[pos:]))
    return Markup("").join(out)


def problem(status: int, title: str, detail: str) -> JSONResponse:
    """An ``application/problem+json`` response (RFC 9457)."""
    return JSONResponse(
        {"type": "about:blank", "title": title, "status": status, "detail": detail},
        status_code=status,
        media_type="application/problem+json",
    )


def build_router(
    *,
    timezone: str,
    api_base: str,
    maps: RoadMapCache,
) -> APIRouter:
    """The pages router and ``GET {api_base}/map``.

    Parameters
    ----------
    timezone
        The service area's IANA time zone; pages show times in it.
    api_base
        Prefix of the JSON API, e.g. ``/api/v1``.
    maps
        Where the road map comes from (loaded on first use).
    """
    templates = Jinja2Templates(directory=TEMPLATE_DIR)
    version = asset_version()
    strings_json = json.dumps(i18n.both(), ensure_ascii=False, separators=(",", ":"))
    router = APIRouter()

    def render(request: Request, name: str, lang: i18n.Lang | None, **extra: Any) -> HTMLResponse:
        chosen: i18n.Lang = lang or "ja"
        words = i18n.table(chosen)

        def t(key: str) -> str:
            return words[key]

        def attrs(key: str) -> Markup:
            """``data-i18n="key"`` for an element whose text is translated."""
            if key not in words:
                raise KeyError(f"no string {key!r} in api/web/i18n.py")
            return Markup(f'data-i18n="{key}"')

        context = {
            "lang": chosen,
            "t": t,
            "i18n": attrs,
            "strings_json": Markup(strings_json.replace("</", "<\\/")),
            "static": lambda file: f"{STATIC_URL}/{file}?v={version}",
            "timezone": timezone,
            "api_base": api_base,
            "lang_forced": lang is not None,
            "service_now": service_now(request),
            "ruby": lambda key: ruby(words[key]),
            **extra,
        }
        return templates.TemplateResponse(request, name, context)

    @router.get("/", response_class=HTMLResponse, include_in_schema=False)
    def index(request: Request, lang: LangQuery = None) -> HTMLResponse:
        """Links to the three staff pages."""
        return render(request, "index.html", lang, page="index")

    @router.get("/operator", response_class=HTMLResponse, summary="オペレーター予約受付")
    def operator_page(request: Request, lang: LangQuery = None) -> HTMLResponse:
        """Phone operators: find the rider, quote, hold and confirm a ride; take shop
        orders and home visits (訪問診療)."""
        return render(
            request, "operator.html", lang, page="operator", cancel_reasons=CANCEL_REASONS
        )

    @router.get("/resident", response_class=HTMLResponse, summary="利用者のご予約")
    def resident_page(request: Request, lang: LangQuery = None) -> HTMLResponse:
        """Residents and their family (phone or TV): sign in with the registration number
        and PIN, book a ride from home or a saved place, see and cancel their bookings."""
        runtime = getattr(request.app.state, "runtime", None)
        days = runtime.settings.booking_days_ahead if runtime is not None else 7
        return render(
            request,
            "resident.html",
            lang,
            page="resident",
            service_now=service_now(request),
            days_ahead=min(days, 7),
        )

    @router.get("/dispatcher", response_class=HTMLResponse, summary="配車ボード")
    def dispatcher_page(
        request: Request, lang: LangQuery = None, refresh_s: RefreshQuery = 5
    ) -> HTMLResponse:
        """Dispatchers: map, manifests, late stops, audit trail and overrides."""
        return render(request, "dispatcher.html", lang, page="dispatcher", refresh_s=refresh_s)

    @router.get("/dispatcher/print", response_class=HTMLResponse, summary="運行計画（印刷用）")
    def schedule_print_page(
        request: Request,
        lang: LangQuery = None,
        day: Annotated[
            date | None,
            Query(alias="date", description="The service date to print (default: today)."),
        ] = None,
    ) -> HTMLResponse:
        """Every vehicle's manifest of the day, each on its own A4 sheet."""
        runtime = getattr(request.app.state, "runtime", None)
        if day is not None and runtime is not None:  # the dates the API serves, else 422
            check_service_date(runtime, day, field="date")
        return render(
            request,
            "schedule_print.html",
            lang,
            page="print",
            date=day.isoformat() if day else "",
        )

    @router.get("/driver", response_class=HTMLResponse, summary="乗務員運行表")
    def driver_page(
        request: Request, lang: LangQuery = None, vehicle: VehicleQuery = None
    ) -> HTMLResponse:
        """Drivers (tablet): today's stops in order with event buttons."""
        return render(request, "driver.html", lang, page="driver", vehicle=vehicle or "")

    @router.get(
        f"{api_base}/map",
        summary="Road geometry of the town for drawing (lon/lat polylines)",
        responses={
            200: {"description": "Layers of simplified polylines, ``[lon, lat]`` degrees."},
            503: {"description": "The town's road graph cannot be loaded."},
        },
        tags=["map"],
    )
    def road_map_endpoint(
        tolerance_m: Annotated[
            float,
            Query(ge=0, le=50, description="Simplification tolerance, metres (0: every point)."),
        ] = 3.0,
        highway: Annotated[
            list[RoadClass] | None,
            Query(description="Road classes to include (repeat the parameter); all when omitted."),
        ] = None,
    ) -> Response:
        """Simplified road polylines for the map (no tile server).

        Each two-way street appears once. Layers come minor roads first, so drawing
        them in order puts main roads on top. ``bbox`` is
        ``[min_lon, min_lat, max_lon, max_lat]`` of the whole graph.
        """
        classes = None if not highway else tuple(dict.fromkeys(highway))
        try:
            body = maps.body(tolerance_m=float(tolerance_m), classes=classes)
        except (NoriaiError, OSError) as exc:
            log.warning("road map unavailable: %s", exc)
            return problem(503, "地図を読み込めません / Road map unavailable", str(exc))
        return Response(
            body,
            media_type="application/json",
            headers={"Cache-Control": "public, max-age=3600"},
        )

    @router.get(
        f"{api_base}/map/path",
        summary="Road path through points, for drawing a route (lon/lat polyline)",
        responses={
            200: {
                "description": "The polyline ``coords`` (``[lon, lat]``) and its length, metres."
            },
            422: {"description": "Malformed points, or a point too far from every road."},
            503: {"description": "The road graph cannot be loaded, or no road path exists."},
        },
        tags=["map"],
    )
    def road_path_endpoint(
        points: Annotated[
            str,
            Query(
                min_length=7,
                max_length=MAX_PATH_POINTS * 26,
                pattern=r"^-?\d+(\.\d+)?,-?\d+(\.\d+)?(;-?\d+(\.\d+)?,-?\d+(\.\d+)?)+$",
                description="lon,lat;lon,lat;... (degrees, 2 to 64 points, in order).",
            ),
        ],
    ) -> Response:
        """The fastest road path through the points (each snapped to its nearest road)."""
        pairs = [tuple(float(v) for v in p.split(",")) for p in points.split(";")]
        bad = [
            i for i, (lon, lat) in enumerate(pairs) if not (-180 <= lon <= 180 and -90 <= lat <= 90)
        ]
        if bad:
            return problem(
                422,
                "座標が正しくありません / Bad coordinates",
                f"points[{bad[0]}] is not a lon,lat pair",
            )
        try:
            body = maps.path(pairs)  # type: ignore[arg-type]
        except InputError as exc:
            return problem(422, "経路を作れません / Cannot route these points", str(exc))
        except (NoriaiError, OSError) as exc:
            log.warning("road path unavailable: %s", exc)
            return problem(503, "経路を作れません / No road path", str(exc))
        return JSONResponse(body, headers={"Cache-Control": "public, max-age=3600"})

    return router


def graph_loader(settings: Any) -> Callable[[], Any]:
    """Load the town's graph as the rest of the service does (same file, speeds, cache)."""

    def load() -> Any:
        from routing.graph import load_graph
        from routing.speeds import SpeedTable

        return load_graph(
            settings.town_graph_path(),
            SpeedTable(factor=settings.speed_factor),
            cache_dir=settings.cache_dir,
        )

    return load
