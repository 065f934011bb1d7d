"""Settings: ``config.example.toml`` documents each; ``COHORT_<SECTION>_<KEY>`` overrides any.

Secrets (a PostgreSQL password in the URL, platform tokens) belong in the environment,
not in files: ``COHORT_STORAGE_URL`` (or its alias ``COHORT_DATABASE_URL``) and so on.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from bot.scheduler import SchedulerSettings

DEFAULT_FILE = "cohort.toml"


class ConfigError(Exception):
    """A setting is missing or malformed; the message names it."""


@dataclass(frozen=True)
class Settings:
    storage_url: str = "sqlite:///cohort.db"
    storage_sqlite_synchronous: str = "NORMAL"
    storage_auto_migrate: bool = True
    console_user: str = "you"
    console_community: str = "local"
    console_channel: str = "general"
    logging_level: str = "WARNING"
    scheduler_grace_minutes: int = 60
    scheduler_lease_seconds: int = 60
    scheduler_max_attempts: int = 5
    discord_token: str = ""
    discord_application_id: str = ""
    discord_api_base: str = "https://discord.com/api/v10"
    discord_gateway_url: str = "wss://gateway.discord.gg/"
    discord_defer_after_ms: int = 1500
    discord_group_threads: bool = True
    slack_bot_token: str = ""
    slack_app_token: str = ""
    slack_signing_secret: str = ""
    slack_api_url: str = "https://slack.com/api/"
    slack_command_prefix: str = ""


ALIASES = {"COHORT_DATABASE_URL": "storage_url"}
SECTIONS = ("storage", "console", "logging", "scheduler", "discord", "slack")
LIMITS = {  # name: (lowest, highest)
    "scheduler_grace_minutes": (0, 7 * 24 * 60),
    "scheduler_lease_seconds": (5, 600),
    "scheduler_max_attempts": (1, 20),
    "discord_defer_after_ms": (0, 2500),  # Discord's window is 3 s, network included
}


def load(path: str | None = None, env: Mapping[str, str] | None = None) -> Settings:
    """Defaults, then the TOML file (``--config``, ``COHORT_CONFIG`` or ./cohort.toml), then env."""
    env = os.environ if env is None else env
    values: dict[str, Any] = {}
    file = Path(path or env.get("COHORT_CONFIG") or DEFAULT_FILE)
    if path or env.get("COHORT_CONFIG") or file.exists():
        values.update(_from_file(file))
    values.update(_from_env(env))
    return _typed(Settings(), values)


def _from_file(file: Path) -> dict[str, Any]:
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"Config file {file} does not exist.") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"Config file {file} is not valid TOML: {error}") from None
    known = {f.name for f in fields(Settings)}
    out = {}
    for section, table in data.items():
        if section not in SECTIONS or not isinstance(table, dict):
            continue  # not Cohort's: ignored
        for key, value in table.items():
            name = f"{section}_{key}"
            if name not in known:
                raise ConfigError(f"Unknown setting [{section}] {key} in {file}.")
            out[name] = value
    return out


def _from_env(env: Mapping[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in fields(Settings):
        key = "COHORT_" + f.name.upper()
        if key in env:
            out[f.name] = env[key]
    for alias, name in ALIASES.items():
        if alias in env and "COHORT_" + name.upper() not in env:
            out[name] = env[alias]
    return out


def _typed(base: Settings, values: dict[str, Any]) -> Settings:
    converted = {}
    for f in fields(Settings):
        if f.name not in values:
            continue
        value = values[f.name]
        if f.type in ("bool", bool):
            value = _bool(f.name, value)
        elif f.type in ("int", int):
            value = _int(f.name, value)
        converted[f.name] = value if not isinstance(value, str) else value.strip()
    settings = replace(base, **converted)
    if settings.storage_sqlite_synchronous.upper() not in ("OFF", "NORMAL", "FULL", "EXTRA"):
        raise ConfigError("[storage] sqlite_synchronous must be NORMAL, FULL or EXTRA.")
    for name in ("discord_api_base", "discord_gateway_url", "slack_api_url"):
        _url(name, getattr(settings, name))
    if not re.fullmatch(r"[a-z0-9-]{0,20}", settings.slack_command_prefix):
        raise ConfigError("[slack] command_prefix may hold lowercase letters, digits and '-'.")
    if settings.discord_application_id and not settings.discord_application_id.isdigit():
        raise ConfigError("[discord] application_id must be the application's numeric id.")
    return settings


def _url(name: str, value: str) -> None:
    web = name.endswith(("api_base", "api_url"))
    schemes = ("http://", "https://") if web else ("ws://", "wss://")
    if not value.startswith(schemes) or len(value) <= len(schemes[0]) + 1:
        section, _, key = name.partition("_")
        raise ConfigError(
            f"[{section}] {key} must be a URL starting with {' or '.join(schemes)}, not {value!r}."
        )


def _int(name: str, value: Any) -> int:
    try:
        number = int(str(value).strip()) if not isinstance(value, bool) else None
    except ValueError:
        number = None
    low, high = LIMITS.get(name, (0, 10**9))
    if number is None or not low <= number <= high:
        section, _, key = name.partition("_")
        raise ConfigError(
            f"[{section}] {key} must be a whole number from {low} to {high}, not {value!r}."
        )
    return number


def scheduler_settings(settings: Settings) -> SchedulerSettings:
    return SchedulerSettings(
        grace=timedelta(minutes=settings.scheduler_grace_minutes),
        lease=timedelta(seconds=settings.scheduler_lease_seconds),
        max_attempts=settings.scheduler_max_attempts,
    )


def _bool(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    lowered = str(value).strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} must be true or false, not {value!r}.")


def database_url(db: str | None, settings: Settings) -> str:
    """``--db`` may be a SQLite path or a full URL."""
    if not db:
        return settings.storage_url
    return db if "://" in db else f"sqlite:///{Path(db).expanduser()}"
