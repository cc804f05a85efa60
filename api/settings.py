"""The one `Settings` object: built by the CLI or `create_app()` and passed down.

Every field can be set from the environment with the prefix ``NORIAI_``
(e.g. ``NORIAI_DATA_DIR=/srv/noriai/data``) or from a ``.env`` file.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
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

    def town_graph_path(self) -> Path:
        path = Path(self.town_graph)
        return path if path.is_absolute() else self.data_dir / path
