"""Error hierarchy shared by every noriai package.

`routing` is the bottom layer, so the base classes live here and `dispatch`,
`api` and `scenarios` re-export or extend them.
"""

from __future__ import annotations


class NoriaiError(Exception):
    """Base of every error noriai raises on purpose."""


class InputError(NoriaiError, ValueError):
    """Bad input from a user or a file: names the offending object and field."""


class RoutingError(NoriaiError):
    """The road network cannot answer (no path, unreadable map, missing data)."""


class FeedError(InputError):
    """A GTFS feed that cannot be read: names the file, the data row and the field.

    Attributes
    ----------
    file
        The feed's file, e.g. ``"stop_times.txt"``.
    row
        1-based data row (the first row below the header is 1), or None when the
        whole file or column is at fault.
    field
        The column, or None.
    """

    def __init__(
        self, message: str, *, file: str, row: int | None = None, field: str | None = None
    ) -> None:
        self.file, self.row, self.field, self.reason = file, row, field, message
        where = file + (f" row {row}" if row is not None else "")
        where += f" field {field}" if field else ""
        super().__init__(f"{where}: {message}")

    def __reduce__(self) -> tuple[object, ...]:  # keep the keywords across processes
        return (_feed_error, (self.reason, self.file, self.row, self.field))


def _feed_error(message: str, file: str, row: int | None, field: str | None) -> FeedError:
    return FeedError(message, file=file, row=row, field=field)
