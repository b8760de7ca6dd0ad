"""Turn nested TOML-like mappings into typed, frozen dataclasses, naming the bad key on error."""

from __future__ import annotations

import dataclasses
import types
import typing
from pathlib import Path
from typing import Any, Literal, Union, cast, get_args, get_origin, get_type_hints


class SettingsError(ValueError):
    """A setting is unknown or has the wrong type; the message names the key and its source."""


def merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Return base updated by override, recursing into tables."""
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out


def build(cls: type, data: dict[str, Any], sources: dict[str, str], prefix: str = "") -> Any:
    """Build dataclass `cls` from `data`; `sources` maps dotted keys to where they came from."""
    if not isinstance(data, dict):
        raise SettingsError(f"setting '{prefix.rstrip('.')}' must be a table ({_where(sources, prefix)})")
    hints = get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    for key in data:
        if key not in fields:
            dotted = prefix + key
            raise SettingsError(f"unknown setting '{dotted}' ({_where(sources, dotted)})")
    kwargs: dict[str, Any] = {}
    for name, field in fields.items():
        dotted = prefix + name
        if name in data:
            kwargs[name] = convert(data[name], hints[name], dotted, sources)
        elif field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING:
            raise SettingsError(f"missing setting '{dotted}' (config/defaults.toml)")
    return cls(**kwargs)


def convert(value: Any, tp: Any, dotted: str, sources: dict[str, str]) -> Any:
    """Convert one value to type `tp`, raising SettingsError that names the key."""
    origin = get_origin(tp)
    where = _where(sources, dotted)
    if dataclasses.is_dataclass(tp):
        return build(cast(type, tp), value, sources, dotted + ".")
    if origin in (Union, types.UnionType):
        args = [a for a in get_args(tp) if a is not type(None)]
        if value is None or value == "":
            return None
        return convert(value, args[0], dotted, sources)
    if origin is Literal:
        allowed = get_args(tp)
        if value not in allowed:
            choices = ", ".join(repr(a) for a in allowed)
            raise SettingsError(f"setting '{dotted}' must be one of {choices}, got {value!r} ({where})")
        return value
    if origin in (list, tuple):
        (item_tp, *_) = get_args(tp) or (str,)
        if isinstance(value, str):
            value = [v.strip() for v in value.split(",") if v.strip()]
        if not isinstance(value, list | tuple):
            raise SettingsError(f"setting '{dotted}' must be a list ({where})")
        return tuple(convert(v, item_tp, f"{dotted}[{i}]", sources) for i, v in enumerate(value))
    if origin in (dict, typing.Mapping) or tp is dict:
        _key_tp, val_tp = get_args(tp) or (str, str)
        if not isinstance(value, dict):
            raise SettingsError(f"setting '{dotted}' must be a table ({where})")
        return types.MappingProxyType(
            {str(k): convert(v, val_tp, f"{dotted}.{k}", sources) for k, v in value.items()}
        )
    if tp is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("1", "true", "yes", "on"):
            return True
        if isinstance(value, str) and value.lower() in ("0", "false", "no", "off"):
            return False
        raise SettingsError(f"setting '{dotted}' must be true or false, got {value!r} ({where})")
    if tp in (int, float):
        if isinstance(value, bool):
            raise SettingsError(f"setting '{dotted}' must be a number, got {value!r} ({where})")
        try:
            return tp(value)
        except (TypeError, ValueError):
            raise SettingsError(f"setting '{dotted}' must be a number, got {value!r} ({where})") from None
    if tp is Path:
        if not isinstance(value, str | Path):
            raise SettingsError(f"setting '{dotted}' must be a path, got {value!r} ({where})")
        return Path(value)
    if tp is str:
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            raise SettingsError(f"setting '{dotted}' must be text, got {value!r} ({where})")
        return str(value)
    return value


def _where(sources: dict[str, str], dotted: str) -> str:
    key = dotted
    while key:
        if key in sources:
            return sources[key]
        key = key.rpartition(".")[0]
    return sources.get("", "config/defaults.toml")


def record_sources(data: dict[str, Any], source: str, sources: dict[str, str], prefix: str = "") -> None:
    """Remember which source set each dotted key."""
    for key, value in data.items():
        dotted = prefix + key
        sources[dotted] = source
        if isinstance(value, dict):
            record_sources(value, source, sources, dotted + ".")
