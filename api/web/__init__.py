"""The staff web pages: operator bookings, dispatch board, driver manifest.

`mount_web` adds them to the API app: the HTML pages (``/``, ``/operator``,
``/dispatcher``, ``/driver``, and the residents' own ``/resident``), their local static
files under ``/web/static`` (no CDN, no build step), ``GET /api/v1/map`` (the town's
road geometry) and ``GET /api/v1/map/path`` (the road path through points, to draw
routes).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from api.web.pages import STATIC_DIR, STATIC_URL, build_router, graph_loader
from api.web.roads import RoadMapCache

__all__ = ["mount_web"]


def mount_web(
    app: FastAPI,
    settings: Any,
    *,
    api_base: str = "/api/v1",
    load_graph: Callable[[], Any] | None = None,
) -> None:
    """Add the pages, their static files and the map endpoint to `app`.

    Parameters
    ----------
    app
        The FastAPI application from ``api.app.create_app``.
    settings
        The app's `Settings` (time zone, town graph, speeds, cache directory).
    api_base
        Prefix of the JSON API the pages call.
    load_graph
        Returns the town's `RoadGraph`; called once, on the first map request.
        By default the graph the app keeps in ``app.state.graph`` (when the API
        has loaded it), else the settings' town graph through the cache.
    """
    fallback = graph_loader(settings)

    def default_loader() -> Any:
        graph = getattr(app.state, "graph", None)
        return graph if graph is not None else fallback()

    maps = RoadMapCache(load_graph or default_loader, max_snap_m=settings.max_snap_m)
    app.state.web_maps = maps
    app.mount(STATIC_URL, StaticFiles(directory=STATIC_DIR), name="web-static")
    app.include_router(
        build_router(timezone=settings.timezone, api_base=api_base, maps=maps), tags=["pages"]
    )
