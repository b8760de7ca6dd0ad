"""Settings of two-tier printing (department printers and the central print room)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PrintingSettings:
    cups_server: str
