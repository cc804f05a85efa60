"""The service's clock (no sign-in): pages take "now" and today's date from it, so a
service whose clock is set (``NORIAI_FIXED_NOW``, a demo, the tests) shows its own day,
whatever the browser's clock says."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import RuntimeDep, today
from api.schemas import ClockPublic

router = APIRouter(tags=["health"])


@router.get("/clock", response_model=ClockPublic)
def read_clock(rt: RuntimeDep) -> ClockPublic:
    """The service's now (aware, in the service area's time zone) and today's date."""
    now = rt.now().astimezone(rt.clock.zone)
    return ClockPublic(now=now, service_date=today(rt), timezone=rt.settings.timezone)
