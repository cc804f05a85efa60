"""The one `Settings` object: built by the CLI or `create_app()` and passed down.

Every field can be set from the environment with the prefix ``NORIAI_``
(e.g. ``NORIAI_DATA_DIR=/srv/noriai/data``) or from a ``.env`` file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AwareDatetime, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Deployment settings. Lower layers never read this; they get plain values."""

    model_config = SettingsConfigDict(env_prefix="NORIAI_", env_file=".env", extra="ignore")

    data_dir: Path = Field(
        default=REPO_ROOT.parent / "shared" / "data",
        description="Reference data: benchmark instances and OpenStreetMap extracts.",
    )
    cache_dir: Path = Field(
        default=REPO_ROOT / ".cache",
        description="Where built road graphs and matrices are cached.",
    )
    town_graph: str = Field(
        default="osm/tachikawa_drive.graphml",
        description="The bundled town's road graph, relative to data_dir (or absolute).",
    )
    speed_factor: float = Field(
        default=0.9,
        gt=0.1,
        le=1.5,
        description="Multiplier on road speeds; below 1 for elderly-friendly driving.",
    )
    max_snap_m: int = Field(
        default=300, gt=0, description="Farthest a point may lie from a road, metres."
    )
    timezone: str = Field(default="Asia/Tokyo", description="Service area's time zone.")

    # -- the booking service (api.main) ---------------------------------------------
    database_url: str = Field(
        default="",
        description=(
            "SQLAlchemy URL of the service's database, e.g. "
            "postgresql+psycopg://noriai:secret@localhost/noriai; empty: a SQLite file "
            "in state_dir (zero set-up)."
        ),
    )
    state_dir: Path = Field(
        default=REPO_ROOT / "var",
        description="Where the default SQLite database file lives.",
    )
    auto_migrate: bool = Field(
        default=True, description="Bring the database schema up to date when the service starts."
    )
    hold_s: int = Field(
        default=180, ge=30, le=3600, description="How long a quote holds its seat (仮押さえ), s."
    )
    auto_complete: bool = Field(
        default=False,
        description=(
            "Mark stops done when their planned departure passes; off when drivers report "
            "every stop from the tablet."
        ),
    )
    booking_days_ahead: int = Field(
        default=14, ge=0, le=366, description="How many days ahead rides may be booked."
    )
    at_risk_probability: float = Field(
        default=0.3,
        gt=0,
        le=1,
        description=(
            "A planned stop is at risk (遅延のおそれ) when the chance it starts after its "
            "promise (dispatch.risk, under the noise model of dispatch.noise) is at least this."
        ),
    )
    at_risk_horizon_min: int = Field(
        default=60,
        ge=0,
        le=24 * 60,
        description=(
            "Only stops planned within this many minutes of now are flagged at risk: "
            "further ahead, the day's reports and re-planning come first."
        ),
    )
    at_risk_s: int | None = Field(
        default=None,
        description="Removed: the slack threshold gave way to at_risk_probability.",
    )
    reopt_time_limit_s: float = Field(
        default=5.0, gt=0, le=300, description="Time limit of one re-optimisation, s."
    )
    reopt_threads: int = Field(
        default=1,
        ge=1,
        le=64,
        description=(
            "Native searches one re-optimisation runs at once, sharing their best plan "
            "(2: both cores of a two-core server), within the same time limit."
        ),
    )
    position_merge_m: int = Field(
        default=30,
        ge=0,
        description=(
            "A reported vehicle position this close to a known location reuses it "
            "(keeps the day's matrix small), metres."
        ),
    )
    # -- shop orders (買い物支援・宅配) ------------------------------------------------
    delivery_fee_yen: int = Field(
        default=300,
        ge=0,
        le=100_000,
        description="Fee of a shop order brought to the door (宅配), yen.",
    )
    hall_fee_yen: int = Field(
        default=100,
        ge=0,
        le=100_000,
        description="Fee of a shop order collected at a community hall (公民館受け取り), yen.",
    )
    hall_by_default_km: float = Field(
        default=0.0,
        ge=0,
        le=100,
        description=(
            "The town's rule for shop orders that say neither door nor hall: a delivery "
            "address farther than this by road from the order's shop goes to the nearest "
            "active community hall that reaches it (the hall's reach_m); nearer addresses, "
            "or none in any hall's reach, go to the door. 0: always the door unless asked."
        ),
    )
    # -- drone legs (ドローン配送) ------------------------------------------------------
    drone_shop_reach_m: int = Field(
        default=500,
        ge=0,
        le=50_000,
        description=(
            "A shop hands its parcels to the nearest active drone base at most this far "
            "by road (a base at the shop itself: 0), metres; shops farther from every "
            "base send their orders by van."
        ),
    )
    drone_time_limit_s: float = Field(
        default=1.0,
        gt=0,
        le=30,
        description="Time limit of one drone schedule (CP-SAT, greedy fallback), s.",
    )
    # -- standing bookings (定期予約) -------------------------------------------------
    service_hours: str = Field(
        default="07:00-19:00",
        pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]-([01][0-9]|2[0-3]):[0-5][0-9]$",
        description=(
            "The town's published service hours (運行時間), local ``HH:MM-HH:MM``: a "
            "standing booking's rides must be asked inside them (each day's shifts still "
            "decide what can be booked)."
        ),
    )
    # -- residents' own booking page and messages to riders (api.routes.resident) -----
    notify_sender: Literal["database", "memory"] = Field(
        default="database",
        description=(
            "Who takes the messages to riders (promises, changes, broken promises, the day "
            "before's reminders): 'database' keeps them queued in the outbox for the call "
            "list and a gateway to fetch; 'memory' marks them sent in this process "
            "(training and demos)."
        ),
    )
    resident_session_h: int = Field(
        default=12, ge=1, le=24 * 30, description="How long a resident's sign-in lasts, hours."
    )
    resident_code_h: int = Field(
        default=72,
        ge=1,
        le=24 * 30,
        description="How long a one-time code (確認コード) from the office is valid, hours.",
    )
    resident_sign_ins_per_15min: int = Field(
        default=5,
        ge=1,
        le=1000,
        description=(
            "Sign-in attempts allowed per registration number, and (x4) per network "
            "address, in 15 minutes; then 429."
        ),
    )
    resident_quotes_per_hour: int = Field(
        default=30,
        ge=1,
        le=10_000,
        description="Quotes a resident may ask per hour (per rider, and x4 per address).",
    )
    fixed_now: AwareDatetime | None = Field(
        default=None,
        description="Stop the service clock at this instant (training, demos, tests only).",
    )

    @model_validator(mode="after")
    def _no_slack_threshold(self) -> Settings:
        """Refuse the removed ``at_risk_s`` loudly: silently ignoring it would change what
        the board flags without the operator knowing."""
        if self.at_risk_s is not None:
            raise ValueError(
                "at_risk_s (NORIAI_AT_RISK_S) was removed: the board now flags a stop by "
                "the probability it starts late; set at_risk_probability "
                "(NORIAI_AT_RISK_PROBABILITY, e.g. 0.3) instead"
            )
        return self

    def service_hours_s(self) -> tuple[int, int]:
        """`service_hours` as seconds from local midnight (first, last)."""
        first, last = (
            int(hhmm[:2]) * 3600 + int(hhmm[3:]) * 60 for hhmm in self.service_hours.split("-")
        )
        return first, last

    def town_graph_path(self) -> Path:
        path = Path(self.town_graph)
        return path if path.is_absolute() else self.data_dir / path

    def effective_database_url(self) -> str:
        """`database_url`, or the default SQLite file in `state_dir`."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.state_dir / 'noriai.db').resolve()}"
