"""URL converters: ids in paths stay within what every database column holds.

Flask's ``<int:...>`` accepts any number of digits; a 30-digit id then fails inside the database driver
(SQLite: OverflowError, PostgreSQL: numeric out of range). The bounded converter makes such a URL an
ordinary 404, for every route at once.
"""

from __future__ import annotations

from typing import Any

from werkzeug.routing import IntegerConverter

# The largest value of a 32-bit signed INTEGER column (ids, years, page numbers).
MAX_INT = 2**31 - 1


class BoundedIntConverter(IntegerConverter):
    """``<int:x>`` for 0..2**31-1; a larger number does not match (404)."""

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_INT)
        super().__init__(map, *args, **kwargs)
