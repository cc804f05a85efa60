"""A tiny scenario on the bundled Tachikawa roads: two hours, a dozen rides, two cars.

Small enough to simulate in about a second, so behaviour tests (and a real Dask
sweep) can run whole days. `write_tiny(folder, **changes)` writes ``tiny.toml`` and its
POI CSV into ``folder``; ``changes`` replace dotted keys (``{"fleet.size": 1}``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from scenarios.spec import ScenarioSpec, load_spec

POIS = """\
name,category,lon,lat,weight
災害医療センター,hospital,139.4105,35.7085,2
診療所（富士見町）,clinic,139.3960,35.6985,1
スーパー（錦町）,supermarket,139.4175,35.6945,1
立川駅,station,139.4137,35.6980,1
"""

TINY = """\
name = "tiny"
seed = 0
time_step_s = 120

[map]
graph = "{graph}"

[area]
centre = [139.4137, 35.6980]
radius_m = 2500
district_rings_m = [1200]
district_sectors = 4

[service]
start = "09:00"
end = "11:00"

[booking]
opens = "08:30"
min_lead_min = 20

[dispatch]
reopt_every_min = 30
reopt_solutions = 5

[[fleet.depots]]
name = "depot"
at = [139.4110, 35.7015]

[[fleet.vehicles]]
type = "van"
count = 1
seats = 3
wheelchairs = 1
cargo = 4
shift = ["08:45", "11:45"]
breaks = [{{ start = "09:45", end = "10:30", minutes = 10 }}]

[[fleet.vehicles]]
type = "taxi"
count = 2
seats = 4
cargo = 3
shift = ["08:45", "11:45"]

[fleet]
size = 2

[fares]
ride_yen = 500
reduced_yen = 250
reduced_share = 0.5

[demand]
rides_per_day = 12
deliveries_per_day = 2
homes = 40
pois_csv = "pois.csv"
wheelchair_share = 0.1
companion_share = 0.2
cancel_share = 0.1
no_show_share = 0.1

[demand.purposes]
hospital = 0.4
clinic = 0.3
supermarket = 0.2
station = 0.1

[demand.dwell_min]
hospital = 40
clinic = 30
supermarket = 20
station = 30

[demand.profile]
"09:00" = 2.0
"10:00" = 1.0

[deliveries]
order_from = "08:30"
ready_at = "09:30"
due_by = "11:00"
"""


def write_tiny(folder: Path, graph: Path, text: str | None = None) -> Path:
    """``tiny.toml`` (or ``text`` with ``{graph}``) and ``pois.csv`` in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "pois.csv").write_text(POIS, encoding="utf-8")
    path = folder / "tiny.toml"
    path.write_text((text or TINY).format(graph=graph.as_posix()), encoding="utf-8")
    return path


def tiny_spec(folder: Path, graph: Path, **changes: Any) -> ScenarioSpec:
    spec = load_spec(write_tiny(folder, graph))
    return spec.with_overrides({k.replace("__", "."): v for k, v in changes.items()})
