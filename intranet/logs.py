"""Logging to stderr in a greppable `time level logger message key=value` form."""

from __future__ import annotations

import logging
import sys


def setup(level: str = "INFO") -> None:
    """Configure the root logger once."""
    root = logging.getLogger()
    if any(getattr(h, "_eoffice", False) for h in root.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    handler._eoffice = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
