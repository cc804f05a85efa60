"""Sweeps: one base scenario, a table of variants, several seeds each, run on Dask.

A variants table is a CSV with a ``variant`` column (the row's name) and one column per
dotted override key of the base spec (``fleet.size``, ``dispatch.pooling``, ...); an
empty cell leaves that key at the base value. Every (variant, seed) pair is one task:
the spec is built on the client (a bad override fails that row only, with the message),
simulated on a worker, and its `DayResult` comes back as plain JSON data
(`DayResult.to_plain`), so workers may be other machines. Seeds are explicit and each
task builds its own random state from its seed, so a (variant, seed) pair gives the
same KPIs whichever worker ran it.

By default the sweep starts a `distributed.LocalCluster` of worker *processes* (one
thread each: the solver is single-threaded and CPU-bound); ``scheduler="tcp://host:8786"``
uses an existing cluster instead (every worker needs noriai installed and the data dir).
"""

from __future__ import annotations

import csv
import io
import json
import logging
import math
import re
import statistics
import time
import traceback
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from routing.errors import InputError
from scenarios.results import DayResult

log = logging.getLogger(__name__)

VARIANT_COLUMN = "variant"
_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")
_INT = re.compile(r"^[+-]?\d+$")
_FLOAT = re.compile(r"^[+-]?(\d+\.\d*|\.\d+|\d+)([eE][+-]?\d+)?$")
#: Words that mark an override column as the fleet size (the x axis of fleet curves).
FLEET_WORDS = ("fleet", "vehicle", "taxi", "size", "count")


class Spec(Protocol):
    """What a sweep needs of a scenario spec (`scenarios.spec.ScenarioSpec`)."""

    name: str

    def with_overrides(self, overrides: Mapping[str, Any]) -> Spec: ...


#: ``simulate(spec, seed, *, data_dir, cache_dir, variant) -> DayResult`` (module level,
#: so workers can unpickle it); `scenarios.simulate.simulate_day` by default.
Simulate = Callable[..., DayResult]


# --- the variants table ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Variant:
    """One row of a variants table: a name and the base spec's keys it overrides."""

    name: str
    overrides: Mapping[str, Any]
    line: int = 0  # line in the CSV (1 = header), 0 when built in code

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise InputError(f"variant (line {self.line}): the name is empty")
        for key in self.overrides:
            if not _KEY.match(key):
                raise InputError(f"variant {self.name!r}: {key!r} is not a dotted key")


def parse_value(cell: str) -> Any:
    """A CSV cell as a TOML-like scalar: true/false, int, float, a JSON list/object,
    else the stripped text."""
    text = cell.strip()
    low = text.lower()
    if low in ("true", "false"):
        return low == "true"
    if _INT.match(text):
        return int(text)
    if _FLOAT.match(text):
        return float(text)
    if text[:1] in "[{" and text:
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            pass
    return text


def parse_variants(text: str, *, source: str = "variants") -> list[Variant]:
    """Parse a variants CSV; every problem found is listed in one `InputError`
    (file, line, column), so a planner can fix the table in one pass.

    Lines starting with ``#`` and blank lines are skipped.
    """
    lines = [
        (n, line)
        for n, line in enumerate(text.splitlines(), start=1)
        if line.strip() and not line.lstrip().startswith("#")
    ]
    if not lines:
        raise InputError(f"{source}: empty table (need a header with a 'variant' column)")
    reader = csv.reader(io.StringIO("\n".join(line for _, line in lines)))
    rows = list(reader)
    header = [h.strip() for h in rows[0]]
    errors: list[str] = []
    head_line = lines[0][0]
    if VARIANT_COLUMN not in header:
        errors.append(f"{source} line {head_line}: no '{VARIANT_COLUMN}' column in {header}")
    seen: set[str] = set()
    for h in header:
        if h in seen:
            errors.append(f"{source} line {head_line}: column {h!r} appears twice")
        seen.add(h)
        if h != VARIANT_COLUMN and not _KEY.match(h):
            errors.append(
                f"{source} line {head_line}: column {h!r} is not a dotted key (like fleet.size)"
            )
    if errors:
        raise InputError("\n".join(errors))
    if len(rows) == 1:
        raise InputError(f"{source}: no variants below the header")
    name_col = header.index(VARIANT_COLUMN)
    variants: list[Variant] = []
    names: dict[str, int] = {}
    for (line_no, _), cells in zip(lines[1:], rows[1:], strict=True):
        if len(cells) != len(header):
            errors.append(
                f"{source} line {line_no}: {len(cells)} cells, the header has {len(header)}"
            )
            continue
        name = cells[name_col].strip()
        if not name:
            errors.append(f"{source} line {line_no}: empty variant name")
            continue
        if name in names:
            errors.append(
                f"{source} line {line_no}: variant {name!r} already on line {names[name]}"
            )
            continue
        names[name] = line_no
        overrides = {
            h: parse_value(c)
            for h, c in zip(header, cells, strict=True)
            if h != VARIANT_COLUMN and c.strip()
        }
        variants.append(Variant(name, overrides, line_no))
    if errors:
        raise InputError("\n".join(errors))
    return variants


def read_variants(path: Path) -> list[Variant]:
    """`parse_variants` of a file (UTF-8, with or without a BOM)."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(f"{path}: variants file does not exist") from None
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text ({exc.reason})") from None
    return parse_variants(text, source=str(path))


# --- the results table -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SweepRow:
    """One (variant, seed): its KPIs, or why it failed."""

    variant: str
    seed: int
    overrides: Mapping[str, Any]
    kpis: Mapping[str, float] = field(default_factory=dict)
    error: str | None = None
    worker: str | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(slots=True)
class SweepTable:
    """A sweep's rows (variant order, then seed) and, if kept, the simulated days."""

    scenario: str
    keys: tuple[str, ...]  # override columns, in table order
    rows: list[SweepRow]
    results: list[DayResult] = field(default_factory=list, repr=False)

    def variants(self) -> list[str]:
        return list(dict.fromkeys(r.variant for r in self.rows))

    def failed(self) -> list[SweepRow]:
        return [r for r in self.rows if not r.ok]

    def kpi_names(self) -> list[str]:
        return list(dict.fromkeys(k for r in self.rows if r.ok for k in r.kpis))

    def values(self, variant: str, kpi: str) -> list[float]:
        """``kpi`` of every seed of ``variant`` that ran (NaN values dropped)."""
        return [
            float(r.kpis[kpi])
            for r in self.rows
            if r.variant == variant and r.ok and kpi in r.kpis and not math.isnan(r.kpis[kpi])
        ]

    def mean(self, variant: str, kpi: str) -> float | None:
        xs = self.values(variant, kpi)
        return statistics.fmean(xs) if xs else None

    def overrides(self, variant: str) -> Mapping[str, Any]:
        return next(r.overrides for r in self.rows if r.variant == variant)

    def numeric_keys(self) -> list[str]:
        """Override columns holding numbers with at least two distinct values, the
        fleet-like ones (``FLEET_WORDS``) first."""
        out = []
        for key in self.keys:
            values = [r.overrides[key] for r in self.rows if key in r.overrides]
            if any(isinstance(v, list | dict) for v in values):
                continue  # a table or list (e.g. drones.fleet): not an axis
            vals = set(values)
            if len(vals) > 1 and all(
                isinstance(v, int | float) and not isinstance(v, bool) for v in vals
            ):
                out.append(key)
        return sorted(out, key=lambda k: not any(w in k.lower() for w in FLEET_WORDS))

    def group_of(self, variant: str, x_key: str) -> str:
        """The variant's values of the other override columns (``pooling=true``)."""
        ov = self.overrides(variant)
        parts = [
            f"{k.rsplit('.', 1)[-1]}={_cell(ov[k])}" for k in self.keys if k != x_key and k in ov
        ]
        return ", ".join(parts)

    def curves(self, kpi: str, x_key: str) -> dict[str, list[tuple[float, list[float]]]]:
        """``{group: [(x, [kpi per seed]), ...]}`` sorted by x, for fleet curves."""
        out: dict[str, list[tuple[float, list[float]]]] = {}
        for v in self.variants():
            x = self.overrides(v).get(x_key)
            ys = self.values(v, kpi)
            if x is None or not ys:
                continue
            out.setdefault(self.group_of(v, x_key), []).append((x, ys))
        return {g: sorted(points) for g, points in out.items()}

    def to_records(self) -> list[dict[str, Any]]:
        """One flat dict per row: variant, seed, the override columns, KPIs, error."""
        kpis = self.kpi_names()
        out = []
        for r in self.rows:
            rec: dict[str, Any] = {"variant": r.variant, "seed": r.seed}
            rec.update({k: r.overrides.get(k, "") for k in self.keys})
            rec.update({k: r.kpis.get(k, "") for k in kpis})
            rec.update({"error": r.error or "", "worker": r.worker or "", "seconds": r.seconds})
            out.append(rec)
        return out

    def write_csv(self, path: Path) -> Path:
        records = self.to_records()
        fields = ["variant", "seed", *self.keys, *self.kpi_names(), "error", "worker", "seconds"]
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", newline="", encoding="utf-8") as f:
            w = csv.DictWriter(f, fieldnames=fields)
            w.writeheader()
            for rec in records:
                w.writerow({k: _cell(v) for k, v in rec.items()})
        return path


def _cell(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return repr(v)
    if isinstance(v, list | dict):
        return json.dumps(v, ensure_ascii=False)
    return str(v)


# --- running ---------------------------------------------------------------------------


def run_day(
    spec: Spec,
    seed: int,
    *,
    variant: str,
    data_dir: Path,
    cache_dir: Path | None,
    simulate: Simulate | None = None,
) -> dict[str, Any]:
    """One task on a worker: simulate, return ``{"result": plain, ...}`` or the error.

    Never raises, so one bad variant cannot stop the sweep.
    """
    t0 = time.perf_counter()
    worker = _worker_name()
    try:
        if simulate is None:
            from scenarios.simulate import simulate_day as simulate
        day = simulate(spec, seed, data_dir=data_dir, cache_dir=cache_dir, variant=variant)
        return {"result": day.to_plain(), "worker": worker, "seconds": time.perf_counter() - t0}
    except Exception as exc:
        log.warning("variant %s seed %s failed: %s", variant, seed, exc)
        detail = "" if isinstance(exc, InputError) else "\n" + traceback.format_exc(limit=-3)
        return {
            "error": f"{type(exc).__name__}: {exc}{detail}",
            "worker": worker,
            "seconds": time.perf_counter() - t0,
        }


def _worker_name() -> str | None:
    try:
        from distributed import get_worker

        return get_worker().address
    except ValueError:  # not inside a Dask worker
        return None


@contextmanager
def open_client(
    n_workers: int = 2, scheduler: str | None = None, *, connect_timeout_s: float = 10.0
) -> Iterator[Any]:
    """A Dask client: on an existing scheduler (given up after ``connect_timeout_s``),
    or on a fresh `LocalCluster` of ``n_workers`` single-threaded processes that is
    closed on exit."""
    from distributed import Client, LocalCluster

    if scheduler is not None:
        try:
            client = Client(scheduler, timeout=f"{connect_timeout_s}s")
        except (OSError, TimeoutError) as exc:
            raise InputError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from None
        with client:
            yield client
        return
    if n_workers < 1:
        raise InputError(f"workers: need at least 1, got {n_workers}")
    with (
        LocalCluster(
            n_workers=n_workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.ERROR,
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client


def run_sweep(
    base: Spec,
    variants: Sequence[Variant],
    seeds: Sequence[int],
    *,
    data_dir: Path,
    cache_dir: Path | None = None,
    n_workers: int = 2,
    scheduler: str | None = None,
    client: Any = None,
    simulate: Simulate | None = None,
    keep_results: bool = True,
    progress: Callable[[int, int, SweepRow], None] | None = None,
) -> SweepTable:
    """Run every (variant, seed) of ``variants`` × ``seeds`` over ``base`` on Dask.

    ``client`` reuses an open `distributed.Client`; otherwise one is opened with
    `open_client` (``scheduler`` address, else a LocalCluster of ``n_workers``).
    ``progress(done, total, row)`` is called on the client as rows finish.
    """
    if not variants:
        raise InputError("variants: the table has no rows")
    if not seeds:
        raise InputError("seeds: need at least one seed")
    if len(set(v.name for v in variants)) != len(variants):
        raise InputError("variants: names must be unique")
    keys = tuple(dict.fromkeys(k for v in variants for k in v.overrides))
    rows: dict[tuple[str, int], SweepRow] = {}
    specs: dict[str, Spec] = {}
    for v in variants:
        try:
            specs[v.name] = base.with_overrides(dict(v.overrides))
        except Exception as exc:  # reported per row; the other variants still run
            where = f" (line {v.line})" if v.line else ""
            msg = f"bad override{where}: {_short(exc)}"
            for s in seeds:
                rows[(v.name, s)] = SweepRow(v.name, s, v.overrides, error=msg)
    total = len(variants) * len(seeds)
    done = 0
    for row in list(rows.values()):
        done += 1
        if progress is not None:
            progress(done, total, row)
    days: dict[tuple[str, int], DayResult] = {}
    if specs:
        with _client(client, n_workers, scheduler) as c:
            from distributed import as_completed

            futures = {}
            for v in variants:
                if v.name not in specs:
                    continue
                for s in seeds:
                    fut = c.submit(
                        run_day,
                        specs[v.name],
                        s,
                        variant=v.name,
                        data_dir=data_dir,
                        cache_dir=cache_dir,
                        simulate=simulate,
                        pure=False,
                        key=f"noriai-day-{v.name}-seed{s}-{time.monotonic_ns()}",
                    )
                    futures[fut] = (v, s)
            for fut in as_completed(list(futures)):
                v, s = futures.pop(fut)
                out = fut.result()
                fut.release()
                if "error" in out:
                    row = SweepRow(
                        v.name, s, v.overrides, error=out["error"], worker=out["worker"],
                        seconds=out["seconds"],
                    )  # fmt: skip
                else:
                    day = DayResult.from_plain(out["result"])
                    row = SweepRow(
                        v.name, s, v.overrides, kpis=dict(day.kpis), worker=out["worker"],
                        seconds=out["seconds"],
                    )  # fmt: skip
                    if keep_results:
                        days[(v.name, s)] = day
                rows[(v.name, s)] = row
                done += 1
                if progress is not None:
                    progress(done, total, row)
    ordered = [rows[(v.name, s)] for v in variants for s in seeds]
    results = [days[(v.name, s)] for v in variants for s in seeds if (v.name, s) in days]
    name = getattr(base, "name", "scenario")
    table = SweepTable(str(name), keys, ordered, results)
    log.info(
        "sweep %s: %d variants x %d seeds, %d failed",
        name,
        len(variants),
        len(seeds),
        len(table.failed()),
    )
    return table


@contextmanager
def _client(client: Any, n_workers: int, scheduler: str | None) -> Iterator[Any]:
    if client is not None:
        yield client
    else:
        with open_client(n_workers, scheduler) as c:
            yield c


def _short(exc: Exception, limit: int = 400) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
