"""Is the service up? (no sign-in; for load balancers and the tests that start servers)."""

from __future__ import annotations

import os

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from api.deps import RuntimeDep

router = APIRouter(tags=["health"])


@router.get("/health", responses={503: {"description": "The database cannot be reached."}})
def health(rt: RuntimeDep) -> JSONResponse:
    """``{"status": "ok"}`` when the database answers and the road graph is loaded."""
    try:
        with rt.reader() as session:
            session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        return JSONResponse({"status": "unavailable", "database": "down"}, status_code=503)
    return JSONResponse(
        {"status": "ok", "database": "ok", "worker": os.getpid(), "roads": rt.roads.graph.n_nodes}
    )
