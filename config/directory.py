"""Settings of the bureau's directory (OpenLDAP / Active Directory) login."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DirectorySettings:
    enabled: bool
