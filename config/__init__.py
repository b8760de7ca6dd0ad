"""Settings for eoffice: one frozen, typed object built from defaults, a file and the environment."""

from config.directory import DirectorySettings
from config.indexer import IndexerSettings
from config.printing import PrintingSettings
from config.settings import (
    SecuritySettings,
    Settings,
    SettingsError,
    WebSettings,
    WorkerSettings,
    load_settings,
)

__all__ = [
    "DirectorySettings",
    "IndexerSettings",
    "PrintingSettings",
    "SecuritySettings",
    "Settings",
    "SettingsError",
    "WebSettings",
    "WorkerSettings",
    "load_settings",
]
