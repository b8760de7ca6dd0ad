"""Domain errors of document routing; messages are shown to people as they are."""

from __future__ import annotations

from core.messages import DomainError


class WorkflowError(DomainError):
    """An action was refused; the message says why and what to do (`problems` lists each one)."""


class ConflictError(WorkflowError):
    """Someone else acted first (or the same form was sent twice): nothing was changed."""


class NotFound(WorkflowError):
    """The document does not exist or the person may not see it (the two look the same on purpose)."""
