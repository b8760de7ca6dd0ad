"""Domain errors of supervision, circulation and proxies; messages are shown to people as they are."""

from __future__ import annotations


class SupervisionError(ValueError):
    """A request was refused; the message says why and what to do (`problems` lists each one)."""

    def __init__(self, message: str, *, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or [message]


class NotFound(SupervisionError):
    """The item does not exist or the person may not see it (the two look the same on purpose)."""
