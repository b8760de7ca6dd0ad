"""Settings for eoffice: one frozen, typed object built from defaults, a file and the environment."""

from config.settings import (
    DirectorySettings,
    IndexerSettings,
    PrintingSettings,
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
