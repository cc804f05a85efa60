"""Planners' CSV files: points of interest, population, district centres.

Town staff keep these in a spreadsheet, so every reader accepts UTF-8 with or without
a BOM, skips blank lines and ``#`` comments, and reports *every* bad row in one
`InputError` with its file line number, so a file is fixed in one pass. Coordinates
are ``lon``/``lat`` in degrees (WGS 84).

- POIs (``name,category,lon,lat[,weight]``): where rides go. Categories are free
  words; the demand's purpose shares name them (``hospital``, ``clinic``,
  ``supermarket``, ``city_hall``, ``station``, ``community_hall``...). ``weight``
  (default 1) makes a big hospital draw more trips than a small one.
- Population (``lon,lat,weight``): cell centres of a population grid (e.g. the
  census 500 m mesh); homes are drawn in proportion to ``weight``.
- District centres (``name,lon,lat``): each home belongs to the nearest centre.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from routing.errors import InputError


@dataclass(frozen=True, slots=True)
class Poi:
    """A destination: hospital, clinic, supermarket, city hall, station..."""

    name: str
    category: str
    lon: float
    lat: float
    weight: float = 1.0


@dataclass(frozen=True, slots=True)
class WeightedPoint:
    """A population cell centre and how many residents (or any relative weight)."""

    lon: float
    lat: float
    weight: float


@dataclass(frozen=True, slots=True)
class NamedPoint:
    """A district centre."""

    name: str
    lon: float
    lat: float


class RowError(ValueError):
    """One cell is wrong; the reader adds file and line."""


Row = dict[str, str]


def read_rows(
    path: Path, required: Sequence[str], optional: Sequence[str] = ()
) -> list[tuple[int, Row]]:
    """(line number, row) of a CSV with at least the ``required`` columns.

    Unknown columns are an error (a typo would otherwise be silently ignored).
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(f"{path}: file does not exist") from None
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text ({exc.reason})") from None
    return parse_rows(text, required, optional, source=str(path))


def parse_rows(
    text: str, required: Sequence[str], optional: Sequence[str] = (), *, source: str = "csv"
) -> list[tuple[int, Row]]:
    """`read_rows` of CSV text (``source`` names it in messages)."""
    lines = [
        (n, line)
        for n, line in enumerate(text.splitlines(), start=1)
        if line.strip() and not line.lstrip().startswith("#")
    ]
    if not lines:
        raise InputError(f"{source}: empty file (need a header: {', '.join(required)})")
    rows = list(csv.reader(io.StringIO("\n".join(line for _, line in lines))))
    header = [h.strip() for h in rows[0]]
    head = lines[0][0]
    errors = []
    missing = [c for c in required if c not in header]
    if missing:
        errors.append(f"{source} line {head}: missing column(s) {', '.join(missing)}")
    unknown = [c for c in header if c not in required and c not in optional]
    if unknown:
        known = ", ".join([*required, *optional])
        errors.append(f"{source} line {head}: unknown column(s) {', '.join(unknown)} ({known})")
    if len(set(header)) != len(header):
        errors.append(f"{source} line {head}: a column appears twice")
    if errors:
        raise InputError("\n".join(errors))
    out = []
    for (line_no, _), cells in zip(lines[1:], rows[1:], strict=True):
        if len(cells) != len(header):
            errors.append(
                f"{source} line {line_no}: {len(cells)} cells, the header has {len(header)}"
            )
            continue
        out.append((line_no, {h: c.strip() for h, c in zip(header, cells, strict=True)}))
    if errors:
        raise InputError("\n".join(errors))
    if not out:
        raise InputError(f"{source}: no rows below the header")
    return out


def convert_rows(
    rows: list[tuple[int, Row]], convert: Callable[[Row], Any], *, source: str
) -> list[Any]:
    """``convert`` every row; all `RowError`s are collected with their line numbers."""
    out, errors = [], []
    for line_no, row in rows:
        try:
            out.append(convert(row))
        except RowError as exc:
            errors.append(f"{source} line {line_no}: {exc}")
    if errors:
        raise InputError("\n".join(errors))
    return out


def number(row: Row, column: str, *, minimum: float | None = None, default: float | None = None):
    """A finite float cell (empty: ``default``, if there is one)."""
    text = row.get(column, "")
    if not text:
        if default is not None:
            return default
        raise RowError(f"{column} is empty")
    try:
        value = float(text)
    except ValueError:
        raise RowError(f"{column} {text!r} is not a number") from None
    if not math.isfinite(value):
        raise RowError(f"{column} {text!r} is not a finite number")
    if minimum is not None and value < minimum:
        raise RowError(f"{column} must be >= {minimum:g}, got {text}")
    return value


def lonlat(row: Row, lon: str = "lon", lat: str = "lat") -> tuple[float, float]:
    """A (lon, lat) pair of cells, range-checked."""
    x, y = number(row, lon), number(row, lat)
    if not -180 <= x <= 180:
        raise RowError(f"{lon} {x:g} is not a longitude (-180..180)")
    if not -90 <= y <= 90:
        raise RowError(f"{lat} {y:g} is not a latitude (-90..90)")
    return x, y


def text_cell(row: Row, column: str) -> str:
    value = row.get(column, "")
    if not value:
        raise RowError(f"{column} is empty")
    return value


def read_pois(path: Path) -> tuple[Poi, ...]:
    rows = read_rows(path, ("name", "category", "lon", "lat"), ("weight",))

    def convert(row: Row) -> Poi:
        lon, lat = lonlat(row)
        weight = number(row, "weight", minimum=0, default=1.0)
        return Poi(text_cell(row, "name"), text_cell(row, "category"), lon, lat, weight)

    return tuple(convert_rows(rows, convert, source=str(path)))


def read_population(path: Path) -> tuple[WeightedPoint, ...]:
    rows = read_rows(path, ("lon", "lat", "weight"))

    def convert(row: Row) -> WeightedPoint:
        return WeightedPoint(*lonlat(row), number(row, "weight", minimum=0))

    points = tuple(convert_rows(rows, convert, source=str(path)))
    if not any(p.weight > 0 for p in points):
        raise InputError(f"{path}: every weight is 0 (no residents anywhere)")
    return points


def read_centres(path: Path) -> tuple[NamedPoint, ...]:
    rows = read_rows(path, ("name", "lon", "lat"))
    centres = tuple(
        convert_rows(
            rows, lambda row: NamedPoint(text_cell(row, "name"), *lonlat(row)), source=str(path)
        )
    )
    names = [c.name for c in centres]
    if len(set(names)) != len(names):
        raise InputError(f"{path}: district names must be unique")
    return centres
