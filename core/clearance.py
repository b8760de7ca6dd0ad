"""The one visibility rule for classified things (issue 16 §5).

A person may see a document, a filed record, an archive file or a print job (its title, its holders, its
file) only when their 涉密等级 (`User.clearance`, 0-4) is at least its 密级 (`classification`, the levels
of core.terms). Every list, count, notification, proxy, reminder, print job and export asks here:
`cleared` in Python, `cleared_clause` in a query. Levels: GB/T 7156 / the bureau's 定密 practice.
"""

from __future__ import annotations

from typing import Any, Protocol, cast

from sqlalchemy import ColumnElement


class Cleared(Protocol):
    """Anything with a clearance level (a User, an access scope)."""

    @property
    def clearance(self) -> int: ...


def cleared(person: Cleared | None, classification: int) -> bool:
    """True when `person` may see something of `classification`; nobody (None) sees anything above 公开."""
    return (person.clearance if person is not None else 0) >= classification


def cleared_clause(person: Cleared | int | None, column: Any) -> ColumnElement[bool]:
    """The SQL form of `cleared`: `column` (a classification column) at most the person's clearance.

    `person` may be the clearance level itself; None is a viewer without clearance (公开 only).
    """
    level = person if isinstance(person, int) else (person.clearance if person is not None else 0)
    return cast("ColumnElement[bool]", column <= level)
