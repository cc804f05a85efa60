"""What one service process holds: settings, database, road graph, service days, clock.

Built by `api.main.create_app` from the `Settings` (never at import) and kept in
``app.state.runtime``; routes reach it through `api.deps`. Nothing here is the truth
about a service day: that is the database (see `api.live.store`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from api.convert import ServiceClock
from api.db.engine import make_engine, session_factories
from api.live.roads import TownRoads
from api.live.store import DayOptions, DayStore, OpenDay
from api.live.sync import save_mirrors
from api.notify import Sender, deliver, make_sender, outgoing
from api.settings import Settings
from routing.graph import RoadGraph

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    """The process's shared state (thread-safe parts only)."""

    settings: Settings
    engine: Engine
    writer: sessionmaker[Session]
    reader: sessionmaker[Session]
    clock: ServiceClock
    now: Callable[[], datetime]
    sender: Sender
    _days: DayStore | None = field(default=None, repr=False)

    def attach_graph(self, graph: RoadGraph) -> None:
        """Make the service days usable: snapping and matrices over `graph`."""
        roads = TownRoads(graph, max_snap_m=self.settings.max_snap_m)
        options = DayOptions(hold_s=self.settings.hold_s, auto_complete=self.settings.auto_complete)
        self._days = DayStore(
            roads,
            self.clock,
            self.now,
            options,
            lambda od: save_mirrors(od, notify_as=self.sender.name),
            self._send_outbox,
        )

    def _send_outbox(self, od: OpenDay) -> None:
        """After a day's change committed: its messages to riders go to the sender."""
        if od.outbox:
            deliver(od.session, self.sender, [outgoing(m) for m in od.outbox], od.now)

    @property
    def days(self) -> DayStore:
        if self._days is None:
            raise RuntimeError("the road graph is not loaded yet (app not started)")
        return self._days

    @property
    def roads(self) -> TownRoads:
        return self.days.roads


def build_runtime(
    settings: Settings,
    clock: Callable[[], datetime] | None = None,
    sender: Sender | None = None,
) -> Runtime:
    """The process's runtime for `settings` (the app's, or a CLI command's); the road
    graph is attached later (`Runtime.attach_graph`).

    `clock` returns the current aware datetime; default: ``settings.fixed_now`` when set,
    else the wall clock in the service area's time zone. `sender` takes the messages to
    riders; default: the one ``settings.notify_sender`` names.
    """
    service_clock = ServiceClock.named(settings.timezone)
    if clock is None:
        frozen = settings.fixed_now
        clock = (
            (lambda: frozen) if frozen is not None else (lambda: datetime.now(service_clock.zone))
        )
    engine = make_engine(settings.effective_database_url())
    writer, reader = session_factories(engine)
    chosen = sender if sender is not None else make_sender(settings.notify_sender)
    return Runtime(settings, engine, writer, reader, service_clock, clock, chosen)
