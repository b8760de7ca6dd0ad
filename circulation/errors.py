"""Domain errors of 传阅; messages are shown to people as they are."""

from __future__ import annotations

from core.messages import DomainError


class CirculationError(DomainError):
    """A 传阅 request was refused; the message says why and what to do (`problems` lists each one)."""


class NotFound(CirculationError):
    """The 传阅 does not exist or the person may not see it (the two look the same on purpose)."""
