"""Write a benchmark's results as JSON and a markdown table, with the run's provenance.

Every benchmark entry point calls `write_results` so that all results carry the git SHA,
the machine and the time of the run, and can be compared side by side.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any


def run_provenance() -> dict[str, Any]:
    """Where and when this run happened: git SHA, host, CPU count, Python, time (UTC)."""
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=False,
            cwd=Path(__file__).resolve().parent,
        ).stdout.strip()
    except OSError:
        sha = ""
    dirty = ""
    if sha:
        status = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            check=False,
            cwd=Path(__file__).resolve().parent,
        ).stdout.strip()
        dirty = "+dirty" if status else ""
    return {
        "git_sha": (sha or "unknown") + dirty,
        "machine": platform.machine(),
        "processor": platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "started_utc": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }


def markdown_table(rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> str:
    """A GitHub markdown table of `rows`, one column per key in `columns`."""

    def cell(value: Any) -> str:
        if value is None:
            return "–"
        if isinstance(value, float):
            return f"{value:.4g}" if abs(value) < 1e6 else f"{value:.0f}"
        return str(value)

    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(cell(row.get(c)) for c in columns) + " |" for row in rows]
    return "\n".join(lines)


def write_results(
    out: Path,
    *,
    title: str,
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[str],
    summary: Mapping[str, Any] | None = None,
    params: Mapping[str, Any] | None = None,
    notes: Sequence[str] = (),
    tables: Sequence[tuple[str, Sequence[Mapping[str, Any]], Sequence[str]]] = (),
) -> tuple[Path, Path]:
    """Write `out` (JSON) and `out` with suffix .md; returns both paths.

    `tables`: more markdown tables (title, rows, columns) after the summary, views of
    the summary for people (the JSON keeps the summary itself).
    """
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    provenance = run_provenance()
    payload = {
        "title": title,
        "provenance": provenance,
        "params": dict(params or {}),
        "summary": dict(summary or {}),
        "rows": [dict(r) for r in rows],
        "notes": list(notes),
    }
    out.write_text(json.dumps(payload, indent=2, ensure_ascii=False, default=str) + "\n")
    md = [f"# {title}", ""]
    md.append(
        f"git `{provenance['git_sha']}` · {provenance['processor']} · "
        f"{provenance['cpus']} CPUs · Python {provenance['python']} · {provenance['started_utc']}"
    )
    if params:
        md += ["", "Parameters: " + ", ".join(f"`{k}={v}`" for k, v in params.items())]
    if summary and not any(isinstance(v, Mapping) for v in summary.values()):
        md += ["", "## Summary", "", markdown_table([summary], list(summary.keys()))]
    for table_title, table_rows, table_columns in tables:
        md += ["", f"## {table_title}", "", markdown_table(table_rows, table_columns)]
    md += ["", "## Results", "", markdown_table(rows, columns)]
    if notes:
        md += ["", "## Notes", ""] + [f"- {n}" for n in notes]
    md_path = out.with_suffix(".md")
    md_path.write_text("\n".join(md) + "\n")
    return out, md_path
