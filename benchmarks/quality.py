"""Solver quality against best-known solutions: Li & Lim PDPTW, Sartori & Buriol PDPTW
on real road networks, and Cordeau DARP.

Protocol (PyVRP-style): a fixed time limit per instance, one or more seeds, every plan
checked by `dispatch.check` (independent of the solver) and re-checked *exactly*: its
route sequences re-timed in double precision on the unrounded instance (the Euclidean
plane, or Sartori's explicit matrix) (`exact_violations`), its cost the unrounded
length (`true_cost`), compared with the best-known table.

What counts (``valid``): a plan counts only when it is complete (every request served),
clean on the checker (``check_ok`` not False) and clean on the exact check
(``exact_ok``). Then:

* Li & Lim and Sartori: the objective is hierarchical, vehicles first. A BKS-vehicle *match*
  (``bks_match``) is a valid plan with exactly the BKS's vehicle count; the gap in
  distance is reported only for matches. An incomplete plan that uses the BKS's
  vehicle count is not a match.
* Cordeau: distance only (the "vehicles" of the table are the fleet size); the gap is
  reported for every valid plan.

On the PDPTW sets the peers (`benchmarks.peers`: VROOM and PyVRP, ``--peers``) run side
by side on the same integers, one thread each, with the same time limit. VROOM has no
seed and is deterministic, so it runs once per instance: its figures repeat on every
seed's row of the table, but the summary counts it once per instance. PyVRP is seeded:
it runs once per instance and seed, with the seed of the row, and is counted per run.
Mean gaps are given over every plan with a gap and over the *fair* set: the instances
where every solver (ours and each seeded peer in every seed) reaches the BKS vehicle
count.

Each row names the engine that produced the plan (``stats["engine"]``, or
``stats["solver"]`` where the solver does not name it yet), the threads our search ran
(``--threads``: parallel native searches sharing their best, ``SearchConfig.threads``)
and the CPU seconds of our solve: CPU over wall seconds near the thread count says the
cores were free, well below it that the machine was busy. The peers run one thread.

``--validate-bks`` instead checks every BKS route file of a PDPTW set (Li & Lim,
Sartori): it must pass the checker and reproduce the table's cost within 1e-3.

Entry point: `cli` (registered as ``noriai bench quality``).
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from benchmarks.instances import (
    DEFAULT_SCALE,
    HIERARCHICAL,
    BenchInstance,
    Bks,
    Format,
    Rounding,
    default_instance_dir,
    exact_violations,
    list_instances,
    plan_from_task_routes,
    read_bks,
    read_instance,
    read_lilim_solution,
    true_cost,
)
from benchmarks.peers import PEERS, default_peers, parse_peers, solver_of
from benchmarks.report import write_results
from dispatch.errors import InputError
from dispatch.result import Plan

logger = logging.getLogger(__name__)

RESULTS_DIR = Path(__file__).resolve().parent / "results"
#: Instances of ``--quick``: one per family, small enough for CI at 1 s each.
QUICK_INSTANCES: dict[str, tuple[str, ...]] = {
    "lilim": ("lc101", "lr101", "lrc101"),
    "sartori": ("bar-n100-1", "nyc-n100-1"),
    "cordeau": ("a2-16", "a3-18", "a4-16"),
}
QUICK_TIME_LIMIT_S = 1.0
DEFAULT_TIME_LIMIT_S = 10.0
#: Tolerance on reproducing a BKS distance from its route file.
BKS_TOL = 1e-3

SIDE_COLUMNS = (
    "engine",
    "vehicles",
    "vehicle_diff",
    "cost",
    "gap_pct",
    "unassigned",
    "complete",
    "seconds",
    "check_ok",
    "violations",
    "exact_ok",
    "exact_excess",
    "valid",
    "bks_match",
)
QUALITY_COLUMNS = (
    "instance",
    "seed",
    "threads",
    "requests",
    "bks_vehicles",
    "bks_cost",
    *SIDE_COLUMNS,
    "cpu_seconds",
    *(f"{peer}_{c}" for peer in PEERS for c in SIDE_COLUMNS),
)
VALIDATION_COLUMNS = (
    "instance",
    "routes",
    "bks_vehicles",
    "bks_distance",
    "true_cost",
    "abs_diff",
    "reproduced",
    "check_ok",
    "violations",
    "exact_ok",
    "scaled_distance",
)


class BenchFormat(StrEnum):
    lilim = "lilim"
    sartori = "sartori"
    cordeau = "cordeau"


class TimeRounding(StrEnum):
    nearest = "nearest"
    ceil = "ceil"


# -- checking ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Verdict:
    """The checker's word on a plan: ok (None when `dispatch.check` is missing) and the
    kinds of violations found."""

    ok: bool | None
    kinds: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        return ",".join(self.kinds)


def check(instance: BenchInstance, plan: Plan) -> Verdict:
    """Run `dispatch.check.check_plan` on `plan` (unassigned requests are no violation:
    the row's ``unassigned`` column counts them)."""
    try:
        from dispatch.check import check_plan
    except ImportError:
        return Verdict(None, ("checker-missing",))
    report = check_plan(instance.problem, plan)
    ok = report.ok() if callable(report.ok) else bool(report.ok)
    kinds = sorted({_violation_kind(v) for v in report.violations})
    return Verdict(bool(ok), tuple(kinds))


def _violation_kind(v: object) -> str:
    kind = getattr(v, "kind", type(v).__name__)
    return str(getattr(kind, "value", kind))


# -- one run ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Job:
    """One solve: our solver or a seeded peer with a seed, or VROOM (seed None)."""

    path: Path
    fmt: Format
    scale: int | None
    time_limit_s: float
    solver: str
    seed: int | None = None
    time_rounding: Rounding = "nearest"
    #: JSON object of `dispatch.solver.SearchConfig` fields ("" = the defaults)
    config: str = ""
    #: our parallel searches (`SearchConfig.threads`); None: as `config` says
    threads: int | None = None


def plan_engine(plan: Plan) -> str | None:
    """The engine that produced `plan`: ``stats["engine"]`` ("native", "ortools", ...),
    else ``stats["solver"]`` (plans of solvers that do not name their engine)."""
    stats = plan.stats or {}
    engine = stats.get("engine") or stats.get("solver")
    return None if engine is None else str(engine)


def _side(instance: BenchInstance, plan: Plan, seconds: float, bks: Bks | None) -> dict[str, Any]:
    """The per-solver columns of a row (without prefix).

    ``valid``: complete, checker-clean (or no checker) and exact-clean. ``bks_match``
    (Li & Lim with a BKS vehicle count): valid with exactly the BKS's vehicles; None
    where there is no count to match. ``gap_pct``: only for valid plans, and for Li &
    Lim only for matches.
    """
    verdict = check(instance, plan)
    exact = exact_violations(instance, plan)
    excess = max((v.amount for v in exact), default=0.0)
    vehicles = plan.summary.vehicles_used
    cost = true_cost(instance, plan)
    complete = plan.summary.unassigned == 0
    valid = complete and verdict.ok is not False and not exact
    hierarchical = instance.format in HIERARCHICAL
    vehicle_diff = None
    bks_match = None
    gap = None
    if bks is not None:
        if hierarchical and bks.vehicles is not None:
            vehicle_diff = vehicles - bks.vehicles
            bks_match = valid and vehicle_diff == 0
        comparable = bool(bks_match) if hierarchical else valid
        if comparable and bks.cost > 0:
            gap = 100.0 * (cost - bks.cost) / bks.cost
    return {
        "engine": plan_engine(plan),
        "vehicles": vehicles,
        "vehicle_diff": vehicle_diff,
        "cost": round(cost, 4),
        "gap_pct": None if gap is None else round(gap, 3) + 0.0,  # no "-0.0"
        "unassigned": plan.summary.unassigned,
        "complete": complete,
        "seconds": round(seconds, 3),
        "check_ok": verdict.ok,
        "violations": verdict.text or None,
        "exact_ok": not exact,
        "exact_excess": round(excess, 6),
        "valid": valid,
        "bks_match": bks_match,
    }


def run_job(job: Job) -> dict[str, Any]:
    """Solve one instance once; returns the row fragment of that solver.

    A solver that raises does not end the benchmark: its row says ``error: <type>`` in
    ``violations``, with ``check_ok`` False (the traceback goes to the log).
    """
    instance = read_instance(job.path, job.fmt, scale=job.scale, time_rounding=job.time_rounding)
    bks = read_bks(job.path.parent).get(instance.name)
    base = {
        "instance": instance.name,
        "requests": instance.n_requests,
        "bks_vehicles": None if bks is None else bks.vehicles,
        "bks_cost": None if bks is None else bks.cost,
    }
    try:
        side = _solve_side(job, instance, bks)
    except Exception as exc:  # one failing solve must not lose the others
        logger.exception("%s on %s (seed %s) failed", job.solver, instance.name, job.seed)
        side = dict.fromkeys(SIDE_COLUMNS)
        side.update(
            complete=False,
            check_ok=False,
            exact_ok=False,
            valid=False,
            violations=f"error: {type(exc).__name__}",
        )
    if job.solver not in PEERS:
        side.setdefault("threads", job_threads(job))
        side.setdefault("cpu_seconds", None)
    return {"base": base, "side": side, "solver": job.solver, "seed": job.seed}


def job_config(job: Job) -> Any:
    """The `SearchConfig` of our solve in `job`: its ``config`` with its ``threads``."""
    config = parse_config(job.config)
    if job.threads is not None and job.threads != config.threads:
        config = replace(config, threads=job.threads)
    return config


def job_threads(job: Job) -> int:
    return int(job_config(job).threads)


def _solve_side(job: Job, instance: BenchInstance, bks: Bks | None) -> dict[str, Any]:
    if job.solver in PEERS:
        run = solver_of(job.solver)(instance, job.time_limit_s, job.seed or 0)
        plan, seconds = run.plan, run.seconds
    else:
        from dispatch.solver import solve
        from dispatch.stop import MaxRuntime

        config = job_config(job)
        started, cpu = time.perf_counter(), time.process_time()
        plan = solve(
            instance.problem, MaxRuntime(job.time_limit_s), seed=job.seed or 0, config=config
        )
        seconds = time.perf_counter() - started
        cpu = time.process_time() - cpu
        side = _side(instance, plan, seconds, bks)
        # what ran: the plan says (OR-Tools: one thread)
        side["threads"] = int((plan.stats or {}).get("threads", 1))
        side["cpu_seconds"] = round(cpu, 3)
        return side
    return _side(instance, plan, seconds, bks)


def parse_config(text: str) -> Any:
    """A `SearchConfig` from a JSON object of its fields (`native_params` nested)."""
    from dispatch.solver import SearchConfig

    if not text:
        return SearchConfig()
    try:
        fields = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"--config: not JSON ({exc.msg}): {text!r}") from None
    if not isinstance(fields, dict):
        raise InputError(f"--config: expected a JSON object, got {text!r}")
    known = set(SearchConfig.__dataclass_fields__)
    unknown = sorted(set(fields) - known)
    if unknown:
        raise InputError(f"--config: unknown field(s) {unknown}; known: {sorted(known)}")
    if "extra_operators" in fields:
        fields["extra_operators"] = tuple(fields["extra_operators"])
    try:
        return SearchConfig(**fields)
    except TypeError as exc:
        raise InputError(f"--config: {exc}") from None


def _run_all(
    jobs: Sequence[Job], n_procs: int, on_done: Callable[[Job, dict[str, Any]], None]
) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = [{} for _ in jobs]
    if n_procs <= 1 or len(jobs) <= 1:
        for i, job in enumerate(jobs):
            results[i] = run_job(job)
            on_done(job, results[i])
        return results
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=n_procs, mp_context=ctx) as pool:
        futures = {pool.submit(run_job, job): i for i, job in enumerate(jobs)}
        for future in as_completed(futures):
            i = futures[future]
            results[i] = future.result()
            on_done(jobs[i], results[i])
    return results


# -- the harness ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class QualityResult:
    rows: list[dict[str, Any]]
    summary: dict[str, Any]
    params: dict[str, Any]


def select_instances(
    directory: Path, fmt: Format, names: Sequence[str] | None = None
) -> list[Path]:
    """Instance files of `directory`, restricted to `names` (unknown names raise)."""
    paths = list_instances(directory, fmt)
    if not names:
        return paths
    by_name = {p.stem: p for p in paths}
    unknown = [n for n in names if n not in by_name]
    if unknown:
        raise InputError(f"{directory}: no {fmt} instance named {', '.join(unknown)}")
    return [by_name[n] for n in names]


def resolve_peers(
    fmt: Format, peers: Sequence[str] | str | None, vroom: bool | None
) -> tuple[str, ...]:
    """The peers of a run: `peers` (names, or a ``--peers`` comma list), else every peer
    that models `fmt` (both on the PDPTW sets, none on the DARP); ``vroom`` False drops
    VROOM from them (``--no-vroom``), True requires it (``--vroom``)."""
    if peers is None:
        chosen = list(default_peers(fmt))
    else:
        text = peers if isinstance(peers, str) else ",".join(peers)
        chosen = list(parse_peers(text, fmt))
    if vroom is False:
        if peers is not None and "vroom" in chosen:
            raise InputError("--no-vroom contradicts --peers naming vroom")
        chosen = [p for p in chosen if p != "vroom"]
    elif vroom is True and "vroom" not in chosen:
        if peers is not None:
            raise InputError("--vroom contradicts --peers leaving vroom out")
        chosen = list(parse_peers(",".join([*chosen, "vroom"]), fmt))
    return tuple(p for p in PEERS if p in chosen)


def run_quality(
    fmt: Format,
    directory: Path | None = None,
    *,
    time_limit_s: float = DEFAULT_TIME_LIMIT_S,
    seeds: Sequence[int] = (1,),
    names: Sequence[str] | None = None,
    peers: Sequence[str] | str | None = None,
    vroom: bool | None = None,
    jobs: int = 1,
    scale: int | None = None,
    time_rounding: Rounding = "nearest",
    config: str = "",
    threads: int | None = None,
    on_done: Callable[[Job, dict[str, Any]], None] | None = None,
) -> QualityResult:
    """Solve each instance once per seed with ours and each seeded peer (PyVRP), once
    with each unseeded peer (VROOM), and tabulate.

    `peers` defaults to both on the PDPTW sets and none on Cordeau (neither peer
    models DARP ride times); `vroom` as in `resolve_peers`.
    `jobs` solves that many instances at once in separate processes: keep it at or
    below the number of cores, or the time limits stop meaning the same thing.
    `threads`: our parallel searches per solve (`SearchConfig.threads`, overriding
    `config`'s; None: as `config` says, else 1); jobs x threads should fit the cores.
    """
    directory = Path(directory) if directory is not None else default_instance_dir(fmt)
    if not seeds:
        raise InputError("seeds: give at least one seed")
    if time_limit_s <= 0:
        raise InputError(f"time limit must be > 0 s, got {time_limit_s}")
    chosen = resolve_peers(fmt, peers, vroom)
    base_config = parse_config(config)  # a bad config fails here, not in every job
    if threads is not None:
        from dispatch.native import check_threads

        threads = check_threads(threads, "--threads")
    n_threads = base_config.threads if threads is None else threads
    cores = multiprocessing.cpu_count()
    if jobs * n_threads > cores:
        logger.warning(
            "%d jobs x %d threads > %d cores: the time limits stop meaning the same thing",
            jobs,
            n_threads,
            cores,
        )
    paths = select_instances(directory, fmt, names)
    job_list: list[Job] = []
    for path in paths:
        job_list += [
            Job(path, fmt, scale, time_limit_s, "ours", s, time_rounding, config, threads)
            for s in seeds
        ]
        for peer in chosen:
            peer_seeds: Sequence[int | None] = seeds if PEERS[peer].seeded else (None,)
            job_list += [
                Job(path, fmt, scale, time_limit_s, peer, s, time_rounding) for s in peer_seeds
            ]
    results = _run_all(job_list, jobs, on_done or (lambda job, res: None))

    peer_sides = {
        (r["solver"], r["base"]["instance"], r["seed"]): r["side"]
        for r in results
        if r["solver"] != "ours"
    }
    rows = []
    for r in results:
        if r["solver"] != "ours":
            continue
        name = r["base"]["instance"]
        row = {"instance": name, "seed": r["seed"], **r["base"], **r["side"]}
        for peer in chosen:
            key = (peer, name, r["seed"] if PEERS[peer].seeded else None)
            pside = peer_sides.get(key)
            for c in SIDE_COLUMNS:
                row[f"{peer}_{c}"] = None if pside is None else pside[c]
        rows.append(row)
    summary = quality_summary(rows, fmt, instances=len(paths), peers=chosen)
    params = {
        "format": fmt,
        "dir": str(directory),
        "time_limit_s": time_limit_s,
        "seeds": ",".join(str(s) for s in seeds),
        "peers": ",".join(chosen) or "none",
        "vroom": "vroom" in chosen,
        "jobs": jobs,
        "scale": scale or DEFAULT_SCALE[fmt],
        "time_rounding": time_rounding,
        "config": config or "default",
        "threads": n_threads,
    }
    return QualityResult(rows, summary, params)


# -- accounting -------------------------------------------------------------------------


def _mean(values: Sequence[float]) -> float | None:
    return round(sum(values) / len(values), 3) + 0.0 if values else None  # no "-0.0"


def per_instance(rows: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The first row of each instance, in order: where VROOM's columns (the same on
    every seed's row) are counted once."""
    seen: dict[str, Mapping[str, Any]] = {}
    for row in rows:
        seen.setdefault(row["instance"], row)
    return list(seen.values())


def _solvers(peers: Sequence[str]) -> list[tuple[str, str, bool]]:
    """(label, column prefix, seeded) of ours and each of `peers`."""
    return [("ours", "", True)] + [(p, f"{p}_", PEERS[p].seeded) for p in peers]


def quality_summary(
    rows: Sequence[Mapping[str, Any]],
    fmt: Format,
    *,
    instances: int,
    peers: Sequence[str] = (),
) -> dict[str, Any]:
    """The summary of a quality run: ours and each seeded peer over every (instance,
    seed) run, each unseeded peer (VROOM) once per instance, and the mean gaps of all
    of them on the fair set (`fair_summary`)."""
    hierarchical = fmt in HIERARCHICAL
    seeds = sorted({r["seed"] for r in rows if r.get("seed") is not None})
    summary: dict[str, Any] = {
        "format": fmt,
        "instances": instances,
        "seeds": len(seeds),
        "runs": len(rows),
    }
    for label, prefix, seeded in _solvers(peers):
        counted = rows if seeded else per_instance(rows)
        if label != "ours":
            summary[f"{label}_runs"] = len(counted)
        summary.update(side_summary(counted, label, prefix, hierarchical=hierarchical))
        if seeded and len(seeds) > 1:
            gaps = {s: [r.get(prefix + "gap_pct") for r in rows if r["seed"] == s] for s in seeds}
            summary[f"{label}_mean_gap_pct_by_seed"] = " / ".join(
                f"{s}: {_mean([g for g in gs if g is not None])}" for s, gs in gaps.items()
            )
    cpu = [
        r["cpu_seconds"] / r["seconds"]
        for r in rows
        if r.get("cpu_seconds") is not None and r.get("seconds")
    ]
    if cpu:
        summary["ours_cpu_per_wall"] = _mean(cpu)
    if peers:
        summary.update(fair_summary(rows, peers))
    return summary


def side_summary(
    rows: Sequence[Mapping[str, Any]], label: str, prefix: str, *, hierarchical: bool
) -> dict[str, Any]:
    """Summary figures of one solver's columns (`prefix` "" for ours, "vroom_", ...)
    over `rows`, each counted once: pass an unseeded peer's rows through
    `per_instance` first.

    Counts are "k/n" of the rows. ``bks_vehicles_matched`` counts only matches (valid
    plans with the BKS vehicle count); ``vehicles_over_bks`` sums the positive vehicle
    differences; ``mean_gap_pct`` averages the ``gap_runs`` rows that have a gap.
    """

    def col(name: str) -> list[Any]:
        return [r.get(prefix + name) for r in rows]

    n = len(rows)
    gaps = [g for g in col("gap_pct") if g is not None]
    seconds = [s for s in col("seconds") if s is not None]
    out: dict[str, Any] = {}
    out[f"{label}_complete"] = f"{sum(1 for u in col('unassigned') if u == 0)}/{n}"
    out[f"{label}_valid"] = f"{sum(1 for v in col('valid') if v is True)}/{n}"
    if hierarchical:
        matched = sum(1 for m in col("bks_match") if m is True)
        out[f"{label}_bks_vehicles_matched"] = f"{matched}/{n}"
        out[f"{label}_vehicles_over_bks"] = sum(
            d for d in col("vehicle_diff") if d is not None and d > 0
        )
    out[f"{label}_mean_gap_pct"] = _mean(gaps)
    out[f"{label}_gap_runs"] = len(gaps)
    out[f"{label}_max_gap_pct"] = round(max(gaps), 3) if gaps else None
    checks = col("check_ok")
    out[f"{label}_checker_clean"] = (
        None if None in checks else f"{sum(1 for c in checks if c is True)}/{n}"
    )
    out[f"{label}_exact_clean"] = f"{sum(1 for e in col('exact_ok') if e is True)}/{n}"
    out[f"{label}_max_exact_excess"] = max((e or 0.0 for e in col("exact_excess")), default=None)
    out[f"{label}_mean_seconds"] = _mean(seconds)
    engines = Counter(str(e) for e in col("engine") if e is not None)
    out[f"{label}_engines"] = ", ".join(f"{e}: {c}" for e, c in sorted(engines.items())) or None
    return out


def fair_summary(rows: Sequence[Mapping[str, Any]], peers: Sequence[str]) -> dict[str, Any]:
    """Mean gaps on the instances where every solver reaches the BKS vehicle count.

    The fair set: instances where our plan and each seeded peer's *in every seed*, and
    each unseeded peer's plan, have a gap (for the hierarchical sets: valid plans with
    the BKS vehicle count). Ours and seeded peers are averaged over those instances'
    runs (every seed), unseeded peers over the instances (once each).
    """
    by_instance: dict[str, list[Mapping[str, Any]]] = {}
    for row in rows:
        by_instance.setdefault(row["instance"], []).append(row)
    prefixes = [""] + [f"{p}_" for p in peers]
    fair = [
        name
        for name, runs in by_instance.items()
        if all(r.get(prefix + "gap_pct") is not None for prefix in prefixes for r in runs)
    ]
    out: dict[str, Any] = {"all_bks_vehicles_instances": len(fair)}
    for label, prefix, seeded in _solvers(peers):
        gaps = [
            r[prefix + "gap_pct"]
            for n in fair
            for r in (by_instance[n] if seeded else by_instance[n][:1])
        ]
        out[f"{label}_mean_gap_pct_all"] = _mean(gaps)
    return out


#: The by-solver table of the markdown: (column, summary key after the solver label).
SOLVER_TABLE = (
    ("engines", "engines"),
    ("complete", "complete"),
    ("valid", "valid"),
    ("BKS vehicles (valid)", "bks_vehicles_matched"),
    ("vehicles over BKS", "vehicles_over_bks"),
    ("mean gap % (all with a gap)", "mean_gap_pct"),
    ("plans with a gap", "gap_runs"),
    ("mean gap % (all solvers reach BKS vehicles)", "mean_gap_pct_all"),
    ("max gap %", "max_gap_pct"),
    ("checker-clean", "checker_clean"),
    ("exact-clean", "exact_clean"),
    ("mean s", "mean_seconds"),
    ("CPU s per wall s", "cpu_per_wall"),
)


def solver_table(summary: Mapping[str, Any]) -> tuple[list[dict[str, Any]], list[str]]:
    """Rows (ours, then each peer) and columns of the by-solver summary table: what
    each count is taken over (runs, or an unseeded peer's instances, once each) is its
    second column."""
    runs = f"{summary['runs']} runs ({summary['instances']} instances x {summary['seeds']} seeds)"
    counted = {"ours": runs}
    for peer in PEERS.values():
        counted[peer.name] = (
            f"{runs}, seeded"
            if peer.seeded
            else f"{summary.get(f'{peer.name}_runs')} instances (once each: deterministic, no seed)"
        )
    both = summary.get("all_bks_vehicles_instances")
    rows = []
    for label in ("ours", *PEERS):
        if f"{label}_complete" not in summary:
            continue
        row: dict[str, Any] = {"solver": label, "counted over": counted[label]}
        for column, key in SOLVER_TABLE:
            value = summary.get(f"{label}_{key}")
            if key == "mean_gap_pct_all" and both is not None:
                value = f"{value} (on {both} instances)"
            row[column] = value
        rows.append(row)
    columns = ["solver", "counted over"] + [
        c for c, k in SOLVER_TABLE if any(f"{r['solver']}_{k}" in summary for r in rows)
    ]
    return rows, columns


# -- BKS validation ---------------------------------------------------------------------


def validate_bks(
    directory: Path | None = None,
    *,
    fmt: Format = "lilim",
    scale: int | None = None,
    time_rounding: Rounding = "nearest",
    tol: float = BKS_TOL,
) -> QualityResult:
    """Check every BKS route file of a PDPTW set (Li & Lim, Sartori): checker-clean,
    exact-clean, cost within `tol` of the table."""
    if fmt not in HIERARCHICAL:
        raise InputError(f"--validate-bks needs a PDPTW set with route files, not {fmt}")
    directory = Path(directory) if directory is not None else default_instance_dir(fmt)
    solutions = directory / "bks_solutions"
    if not solutions.is_dir():
        raise InputError(f"{directory}: no bks_solutions/ folder to validate")
    table = read_bks(directory)
    instances = {p.stem: p for p in list_instances(directory, fmt)}
    rows = []
    for sol_path in sorted(solutions.glob("*.txt")):
        name = sol_path.name.split(".")[0]
        if name not in instances:
            raise InputError(f"{sol_path}: no instance file {name}.txt in {directory}")
        bks = table.get(name)
        rows.append(
            validate_solution(
                instances[name],
                sol_path,
                bks,
                fmt=fmt,
                scale=scale,
                time_rounding=time_rounding,
                tol=tol,
            )
        )
    n = len(rows)
    diffs = [r["abs_diff"] for r in rows if r["abs_diff"] is not None]
    checks = [r["check_ok"] for r in rows]
    summary = {
        "files": n,
        "checker_clean": None if None in checks else f"{sum(map(bool, checks))}/{n}",
        "reproduced": f"{sum(1 for r in rows if r['reproduced'])}/{n}",
        "max_abs_diff": max(diffs) if diffs else None,
        "exact_clean": f"{sum(1 for r in rows if r['exact_ok'])}/{n}",
        "bks_vehicles_match": f"{sum(1 for r in rows if r['routes'] == r['bks_vehicles'])}/{n}",
        "max_scaled_distance_err": max(
            (abs(r["scaled_distance"] - r["true_cost"]) for r in rows), default=None
        ),
    }
    params = {
        "format": fmt,
        "dir": str(directory),
        "tol": tol,
        "scale": scale or DEFAULT_SCALE[fmt],
        "time_rounding": time_rounding,
    }
    return QualityResult(rows, summary, params)


def validate_solution(
    instance_path: Path,
    solution_path: Path,
    bks: Bks | None,
    *,
    fmt: Format = "lilim",
    scale: int | None = None,
    time_rounding: Rounding = "nearest",
    tol: float = BKS_TOL,
) -> dict[str, Any]:
    """One row of the BKS validation table."""
    instance = read_instance(instance_path, fmt, scale=scale, time_rounding=time_rounding)
    routes = read_lilim_solution(solution_path)
    plan = plan_from_task_routes(instance, routes)
    verdict = check(instance, plan)
    cost = true_cost(instance, routes)
    diff = None if bks is None else abs(cost - bks.cost)
    return {
        "instance": instance.name,
        "routes": len(routes),
        "bks_vehicles": None if bks is None else bks.vehicles,
        "bks_distance": None if bks is None else bks.cost,
        "true_cost": round(cost, 6),
        "abs_diff": None if diff is None else round(diff, 7),
        "reproduced": diff is not None and diff <= tol and plan.summary.unassigned == 0,
        "check_ok": verdict.ok,
        "violations": verdict.text or None,
        "exact_ok": not exact_violations(instance, routes),
        "scaled_distance": plan.summary.distance_m / instance.scale,
    }


# -- CLI ------------------------------------------------------------------------------------


def _parse_seeds(text: str) -> list[int]:
    try:
        seeds = [int(s) for s in text.split(",") if s.strip()]
    except ValueError:
        raise InputError(f"--seeds: expected a comma list of ints, got {text!r}") from None
    if not seeds:
        raise InputError("--seeds: give at least one seed")
    return seeds


def _parse_names(text: str | None) -> list[str] | None:
    if not text:
        return None
    return [n.strip() for n in text.split(",") if n.strip()]


def default_out(fmt: str, *, quick: bool = False, validate: bool = False) -> Path:
    if validate:
        return RESULTS_DIR / f"bks_validation_{fmt}.json"
    return RESULTS_DIR / f"quality_{fmt}{'_quick' if quick else ''}.json"


NOTES = (
    "cost = route length in double precision (true_cost): Euclidean for Li & Lim and "
    "Cordeau, the explicit travel-time matrix (minutes) for Sartori; comparable with BKS.",
    "check_ok: dispatch.check on the scaled integer problem; exact_ok: the same route "
    "sequences re-timed on the unrounded instance in double precision "
    "(benchmarks.instances.exact_violations), exact_excess: by how much at most, in "
    "instance units.",
    "valid = complete (unassigned 0) and check_ok and exact_ok. bks_match (Li & Lim, "
    "Sartori) = valid with exactly the BKS's vehicle count: an incomplete or inexact plan "
    "never counts as reaching the BKS vehicles. vehicle_diff = vehicles - BKS vehicles.",
    "gap_pct only for valid plans and, for Li & Lim and Sartori, only for matches.",
    "Every peer's routes are rebuilt into our Plan and judged by the same checker and "
    "exact re-check as ours (prefix vroom_, pyvrp_).",
    "VROOM (no seed, deterministic) runs once per instance: its columns repeat on each "
    "seed's row, but every vroom_* summary figure counts each instance once. PyVRP is "
    "seeded: it runs once per instance and seed (the row's seed) and counts per run.",
    "Mean gaps: over every plan with a gap, and over the instances where every solver "
    "(ours and PyVRP in every seed, VROOM once) reaches the BKS vehicle count "
    "(all_bks_vehicles_instances, *_mean_gap_pct_all).",
    "Vehicles first for every solver through the same fixed cost per vehicle, above any "
    "total distance; one solve each within the time limit (no separate fleet "
    "minimisation stage for PyVRP or VROOM).",
    "engine: the plan's stats['engine'], else stats['solver'] (native, ortools, vroom, pyvrp).",
    "seconds = wall clock of the solve call; VROOM: exploration level 5, 1 thread, the "
    "time limit as a timeout; PyVRP: its default iterated local search, 1 thread, "
    "MaxRuntime(time limit).",
    "threads: our parallel native searches that ran (SearchConfig.threads, --threads), "
    "sharing their best plans, within the same wall-clock limit; cpu_seconds: CPU time "
    "of our solve over all its threads (CPU s per wall s near the thread count: the "
    "cores were free; well below: the machine was busy).",
)


def cli(
    fmt: Annotated[
        BenchFormat,
        typer.Option("--format", help="Benchmark set: lilim, sartori or cordeau."),
    ] = BenchFormat.lilim,
    directory: Annotated[
        Path | None,
        typer.Option("--dir", help="Instance folder (default: the data dir's set)."),
    ] = None,
    time_limit: Annotated[
        float | None,
        typer.Option("--time-limit", help="Seconds per instance and seed (default 10; 1 quick)."),
    ] = None,
    seeds: Annotated[str, typer.Option("--seeds", help="Comma list of seeds.")] = "1",
    quick: Annotated[
        bool, typer.Option("--quick", help="3 small instances at 1 s: does the harness work?")
    ] = False,
    instances: Annotated[
        str | None, typer.Option("--instances", help="Comma list of names, e.g. lc101,lr201.")
    ] = None,
    peers: Annotated[
        str | None,
        typer.Option(
            "--peers",
            help="Peer solvers run side by side, comma list of vroom,pyvrp or 'none' "
            "(default: both for lilim and sartori, none for cordeau).",
        ),
    ] = None,
    vroom: Annotated[
        bool | None,
        typer.Option("--vroom/--no-vroom", help="Add VROOM to / drop it from the peers."),
    ] = None,
    jobs: Annotated[
        int, typer.Option("--jobs", min=1, help="Instances solved in parallel processes.")
    ] = 1,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="JSON path (default benchmarks/results/quality_<format>[_quick].json; "
            "bks_validation_lilim.json with --validate-bks).",
        ),
    ] = None,
    scale: Annotated[
        int | None,
        typer.Option("--scale", min=1, help="Integer factor on distances and times."),
    ] = None,
    time_rounding: Annotated[
        TimeRounding | None,
        typer.Option(
            "--time-rounding",
            help="Travel times to the nearest int, or up (default: nearest for lilim, so the"
            " BKS files stay feasible; up for cordeau, so ride limits hold on the real plane).",
        ),
    ] = None,
    validate: Annotated[
        bool,
        typer.Option("--validate-bks", help="Check the Li & Lim BKS route files instead."),
    ] = False,
    config: Annotated[
        str,
        typer.Option(
            "--config",
            help="Solver settings as JSON (SearchConfig fields), e.g. '{\"native\": false}' for"
            ' OR-Tools alone or \'{"native_params": {"minimize_routes": false}}\'.',
        ),
    ] = "",
    threads: Annotated[
        int | None,
        typer.Option(
            "--threads",
            help="Parallel native searches per solve, sharing their best (2: both cores of"
            " two; default 1, or --config's). Recorded in each row. Keep jobs x threads"
            " within the cores.",
        ),
    ] = None,
) -> None:
    """Solver quality vs best-known solutions (JSON + markdown)."""
    from rich.console import Console

    console = Console(stderr=True)
    fmt_s: Format = fmt.value  # type: ignore[assignment]
    if time_rounding is None:
        time_rounding = TimeRounding.ceil if fmt_s == "cordeau" else TimeRounding.nearest
    if validate:
        if fmt_s not in HIERARCHICAL:
            raise typer.BadParameter(
                "--validate-bks needs --format lilim or sartori (BKS route files)"
            )
        result = validate_bks(directory, fmt=fmt_s, scale=scale, time_rounding=time_rounding.value)
        target = out or default_out(fmt_s, validate=True)
        title = {"lilim": "Li & Lim", "sartori": "Sartori & Buriol"}[fmt_s]
        paths = write_results(
            target,
            title=f"{title} BKS route files: checker and distance",
            rows=result.rows,
            columns=VALIDATION_COLUMNS,
            summary=result.summary,
            params=result.params,
            notes=(
                f"reproduced: true_cost within {BKS_TOL} of the table and every request served.",
                "scaled_distance: the plan's integer distance / scale (rounding effect).",
            ),
        )
        console.print(result.summary)
        console.print(f"wrote {paths[0]} and {paths[1]}")
        return

    names = _parse_names(instances)
    if quick and names is None:
        names = list(QUICK_INSTANCES[fmt_s])
    limit = time_limit or (QUICK_TIME_LIMIT_S if quick else DEFAULT_TIME_LIMIT_S)

    def progress(job: Job, res: dict[str, Any]) -> None:
        side = res["side"]
        seconds = "-" if side["seconds"] is None else f"{side['seconds']:.1f}"
        console.print(
            f"{res['base']['instance']:>10} {job.solver:<5} seed={job.seed} "
            f"threads={side.get('threads', 1)} "
            f"engine={side['engine']} vehicles={side['vehicles']} cost={side['cost']} "
            f"gap={side['gap_pct']} valid={side['valid']} {seconds}s"
        )

    result = run_quality(
        fmt_s,
        directory,
        time_limit_s=limit,
        seeds=_parse_seeds(seeds),
        names=names,
        peers=peers,
        vroom=vroom,
        jobs=jobs,
        scale=scale,
        time_rounding=time_rounding.value,  # type: ignore[arg-type]
        config=config,
        threads=threads,
        on_done=progress,
    )
    target = out or default_out(fmt_s, quick=quick)
    left_out = [f"{p}_" for p in PEERS if p not in result.params["peers"].split(",")]
    columns = [c for c in QUALITY_COLUMNS if not c.startswith(tuple(left_out))]
    paths = write_results(
        target,
        title=f"Solver quality vs best-known: {fmt_s}",
        rows=result.rows,
        columns=columns,
        summary=result.summary,
        params=result.params,
        notes=NOTES,
        tables=[("By solver", *solver_table(result.summary))],
    )
    console.print(result.summary)
    console.print(f"wrote {paths[0]} and {paths[1]}")
