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
