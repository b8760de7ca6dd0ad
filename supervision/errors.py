"""Domain errors of supervision, circulation and proxies; messages are shown to people as they are."""

from __future__ import annotations

from core.messages import DomainError


class SupervisionError(DomainError):
    """A request was refused; the message says why and what to do (`problems` lists each one)."""


class NotFound(SupervisionError):
    """The item does not exist or the person may not see it (the two look the same on purpose)."""
