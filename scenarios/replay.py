"""Replay of recorded bookings: a CSV of last month's calls, run through today's rules.

Columns (UTF-8, header row; ``#`` lines and blank lines are skipped):

===================  ========  =====================================================
column               needed    meaning
===================  ========  =====================================================
request_id           yes       unique id of the booking
kind                 yes       ``ride`` or ``delivery``
booked_at            yes       when the call came in, ``HH:MM`` (``-1 17:30``: the day
                               before)
origin_lon/_lat      yes       pickup place (deliveries: the shop), degrees
destination_lon/_lat yes       drop-off place (deliveries: the customer), degrees
depart_at            rides     asked departure ``HH:MM`` (book by departure), or
arrive_by            rides     asked arrival ``HH:MM`` (book by arrival) — exactly one
ready_at, due_by     no        deliveries: goods ready / hand over by (default: the
                               scenario's)
party_size           no        riders including companions (default 1)
wheelchairs          no        of them in wheelchairs (default 0)
cargo_units          no        deliveries: units (default 1)
cancelled_at         no        when the rider cancelled, ``HH:MM`` (empty: did not)
no_show              no        ``true`` when the rider was not there (default false)
district             no        district name (default: from the scenario's districts)
fare_yen             no        fare paid (default: the scenario's fares)
===================  ========  =====================================================

Every bad row is reported with its line number in one `InputError`.
"""

from __future__ import annotations

from pathlib import Path

from routing.errors import InputError
from scenarios.calls import Call
from scenarios.tables import Row, RowError, convert_rows, lonlat, number, read_rows

REQUIRED = (
    "request_id",
    "kind",
    "booked_at",
    "origin_lon",
    "origin_lat",
    "destination_lon",
    "destination_lat",
)
OPTIONAL = (
    "depart_at",
    "arrive_by",
    "ready_at",
    "due_by",
    "party_size",
    "wheelchairs",
    "cargo_units",
    "cancelled_at",
    "no_show",
    "district",
    "fare_yen",
)


def read_bookings(path: Path) -> tuple[Call, ...]:
    """The recorded bookings of a CSV as calls (see the module docstring for the
    columns); ``district`` is empty and ``fare_yen`` None where the file leaves them to
    the scenario."""
    rows = read_rows(path, REQUIRED, OPTIONAL)
    booked = tuple(convert_rows(rows, _booked, source=str(path)))
    seen: dict[str, int] = {}
    errors = []
    for (line, _), b in zip(rows, booked, strict=True):
        if b.request_id in seen:
            errors.append(
                f"{path} line {line}: request_id {b.request_id!r} already on line "
                f"{seen[b.request_id]}"
            )
        seen.setdefault(b.request_id, line)
    if errors:
        raise InputError("\n".join(errors))
    return booked


def _clock(row: Row, column: str) -> int | None:
    from scenarios.spec import parse_clock

    text = row.get(column, "")
    if not text:
        return None
    try:
        return parse_clock(text)
    except ValueError:
        raise RowError(f"{column} {text!r} is not a time like 09:30 (or -1 17:00)") from None


def _int(row: Row, column: str, default: int, minimum: int) -> int:
    value = number(row, column, minimum=minimum, default=float(default))
    if not float(value).is_integer():
        raise RowError(f"{column} {row[column]!r} is not a whole number")
    return int(value)


def _booked(row: Row) -> Call:
    kind = row["kind"].lower()
    if kind not in ("ride", "delivery"):
        raise RowError(f"kind {row['kind']!r} is not 'ride' or 'delivery'")
    rid = row["request_id"]
    if not rid:
        raise RowError("request_id is empty")
    booked_at = _clock(row, "booked_at")
    if booked_at is None:
        raise RowError("booked_at is empty")
    origin = lonlat(row, "origin_lon", "origin_lat")
    destination = lonlat(row, "destination_lon", "destination_lat")
    depart, arrive = _clock(row, "depart_at"), _clock(row, "arrive_by")
    ready, due = _clock(row, "ready_at"), _clock(row, "due_by")
    if kind == "ride":
        if (depart is None) == (arrive is None):
            raise RowError("a ride needs exactly one of depart_at and arrive_by")
        asked = depart if depart is not None else arrive
        assert asked is not None
        if asked < booked_at:
            raise RowError(f"booked_at {row['booked_at']} is after the asked time")
    elif ready is not None and due is not None and due < ready:
        raise RowError("due_by is before ready_at")
    party = _int(row, "party_size", 1, 1)
    wheel = _int(row, "wheelchairs", 0, 0)
    if wheel > party:
        raise RowError(f"wheelchairs ({wheel}) exceeds party_size ({party})")
    no_show = row.get("no_show", "").lower()
    if no_show not in ("", "true", "false", "1", "0", "yes", "no"):
        raise RowError(f"no_show {row['no_show']!r} is not true/false")
    cancelled = _clock(row, "cancelled_at")
    if cancelled is not None and cancelled < booked_at:
        raise RowError("cancelled_at is before booked_at")
    fare = row.get("fare_yen", "")
    ride = kind == "ride"
    return Call(
        request_id=rid,
        kind=kind,
        booked_at=booked_at,
        origin=origin,
        destination=destination,
        home=origin if ride else destination,
        district=row.get("district", ""),
        depart_at=depart,
        arrive_by=arrive,
        ready_at=ready,
        due_by=due,
        party_size=party if ride else 1,
        wheelchairs=wheel if ride else 0,
        cargo_units=0 if ride else _int(row, "cargo_units", 1, 1),
        fare_yen=_int(row, "fare_yen", 0, 0) if fare else None,
        cancel_at=cancelled,
        no_show=no_show in ("true", "1", "yes"),
    )
