"""Time zones, local days and how times are shown to people."""

from __future__ import annotations

import difflib
import functools
import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from bot.errors import UserError

ZONE_SHAPE = re.compile(r"^[A-Za-z][A-Za-z0-9_+\-]*(/[A-Za-z0-9_+\-]+){0,2}$")


# Names whose meaning depends on the host, or that mean nothing: shards on different hosts
# would disagree about a member's day.
HOST_DEPENDENT = {"localtime", "posixrules", "factory"}


@functools.cache
def _zone_names() -> dict[str, str]:
    return {
        name.lower(): name for name in available_timezones() if name.lower() not in HOST_DEPENDENT
    }


def zone_names() -> list[str]:
    """Every canonical zone name this bot accepts."""
    return list(_zone_names().values())


def parse_zone(name: str) -> str:
    """The canonical IANA name for ``name`` (any case), or a UserError with a suggestion."""
    cleaned = name.strip().replace(" ", "_")
    canonical = _zone_names().get(cleaned.lower()) if ZONE_SHAPE.match(cleaned) else None
    if canonical is None:
        close = difflib.get_close_matches(cleaned.lower(), list(_zone_names()), n=1)
        hint = f" Did you mean {_zone_names()[close[0]]}?" if close else ""
        raise UserError(
            f"'{name[:40]}' is not a time zone I know.{hint} Use an IANA name "
            "like Europe/Berlin or America/New_York."
        )
    return canonical


def zone(name: str) -> ZoneInfo:
    """The ZoneInfo for a stored (already validated) name; UTC if it vanished from tzdata."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local_date(instant: datetime, zone_name: str) -> date:
    return instant.astimezone(zone(zone_name)).date()


def parse_date(text: str, what: str = "date") -> date:
    """A ``YYYY-MM-DD`` date, or a UserError showing the format."""
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text.strip()):
            raise ValueError
        return date.fromisoformat(text.strip())
    except ValueError:
        raise UserError(
            f"I can't read the {what} '{text[:20]}'. Write it as YYYY-MM-DD, e.g. 2026-12-24."
        ) from None


def show_time(instant: datetime, zone_name: str) -> str:
    """E.g. ``Tue 1 Dec 14:05``, in the given zone."""
    local = instant.astimezone(zone(zone_name))
    return f"{local:%a} {local.day} {local:%b %H:%M}"


def show_date(day: date) -> str:
    return f"{day:%a} {day.day} {day:%b %Y}"


def show_duration(delta: timedelta) -> str:
    """A short waiting time: ``45m``, ``2h 5m``, ``3d 4h``."""
    minutes = max(0, int(delta.total_seconds() // 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {mins}m"
    return f"{mins}m"
