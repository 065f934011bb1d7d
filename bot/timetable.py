"""When a schedule fires: APScheduler's ``CronTrigger`` computes the zone-aware instants.

APScheduler 3.11 is used only as a calculator here (and, in ``adapters/runner.py``, as a
timer). The database owns the schedules; nothing APScheduler keeps needs to survive a restart.

A schedule fires at a local wall-clock time. Its *slot* is that local date and time
(``2026-10-25T02:30``), not the UTC instant, so the hour Europe/Berlin repeats in October
(CronTrigger yields 02:30+02:00 and 02:30+01:00) is one slot and is posted once, and a time
the spring change skips (02:30 on 29 March) still has a slot and fires once, at 03:30.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol

from apscheduler.triggers.cron import CronTrigger

from bot import zones
from bot.errors import UserError

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
CRON_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
CLOCK = re.compile(r"^([01]?[0-9]|2[0-3])[:.h]([0-5][0-9])$")
DAILY = {"daily", "day", "days", "everyday", "every-day"}


class Timetabled(Protocol):
    """What the trigger math reads from a schedule, stored or planned."""

    @property
    def weekday(self) -> int | None: ...
    @property
    def hour(self) -> int: ...
    @property
    def minute(self) -> int: ...
    @property
    def every(self) -> int: ...
    @property
    def anchor(self) -> date: ...
    @property
    def timezone(self) -> str: ...
    @property
    def remind_minutes(self) -> int: ...


@dataclass(frozen=True)
class Timetable:
    """A timetable not yet stored (a new schedule being planned)."""

    weekday: int | None
    hour: int
    minute: int
    every: int
    anchor: date
    timezone: str
    remind_minutes: int = 0


def parse_weekday(text: str, *, daily: bool = True) -> int | None:
    """``monday``, ``Mon``, ``mondays`` -> 0; ``daily`` -> None (when allowed)."""
    word = text.strip().lower().rstrip(".")
    if daily and word in DAILY:
        return None
    for number, name in enumerate(WEEKDAYS):
        if len(word) >= 3 and (name.startswith(word) or word == name + "s"):
            return number
    allowed = "a weekday (monday ... sunday)" + (" or daily" if daily else "")
    raise UserError(f"'{text[:20]}' is not a day I know. Use {allowed}.")


def parse_clock(text: str) -> tuple[int, int]:
    """``09:00`` or ``9:00`` (24-hour) -> (9, 0)."""
    match = CLOCK.match(text.strip())
    if not match:
        raise UserError(
            f"'{text[:20]}' is not a time I can read. Use 24-hour HH:MM, e.g. 09:00 or 18:30."
        )
    return int(match.group(1)), int(match.group(2))


def show_clock(hour: int, minute: int) -> str:
    return f"{hour:02d}:{minute:02d}"


def describe(t: Timetabled) -> str:
    """``every Monday at 09:00 Europe/Berlin``, ``every 2 days at 18:00 UTC``."""
    at = f"at {show_clock(t.hour, t.minute)} {t.timezone}"
    if t.weekday is None:
        return f"every {'day' if t.every == 1 else f'{t.every} days'} {at}"
    day = WEEKDAYS[t.weekday].capitalize()
    if t.every == 1:
        return f"every {day} {at}"
    return f"every {t.every} weeks on {day} {at}"


@functools.lru_cache(maxsize=4096)
def _trigger(weekday: int | None, hour: int, minute: int, zone: str) -> CronTrigger:
    day = "*" if weekday is None else CRON_DAYS[weekday]
    return CronTrigger(day_of_week=day, hour=hour, minute=minute, timezone=zones.zone(zone))


def _on_cycle(t: Timetabled, day: date) -> bool:
    """Whether a fire on ``day`` belongs to an every-N cycle counted from the anchor."""
    if t.every <= 1:
        return True
    days = (day - t.anchor).days
    return (days // 7 if t.weekday is not None else days) % t.every == 0


def _fire_from(t: Timetabled, day: date, not_before: datetime) -> datetime:
    """The first wall-clock fire on ``day`` or later, not before ``not_before``.

    Each search starts at a local midnight. Started from a previous fire, CronTrigger
    3.11.3 skips a day across the spring change for times in hour 0 (a daily 00:10 Berlin
    went from 29 to 31 March); from midnight it was right for every hour, quarter and day
    of 2026 in five zones, those whose change falls at midnight included.
    """
    trigger = _trigger(t.weekday, t.hour, t.minute, t.timezone)
    zone = zones.zone(t.timezone)
    for _ in range(7 * 53 * 13):  # every-N cycles skip at most N-1 weeks; bound the loop
        fire = trigger.get_next_fire_time(None, datetime.combine(day, time(0), tzinfo=zone))
        assert fire is not None  # a cron trigger without an end date always has a next fire
        if fire >= not_before and _on_cycle(t, fire.date()):
            return fire
        day = fire.date() + timedelta(days=1)
    raise AssertionError("no fire on the cycle")  # pragma: no cover


def slot(t: Timetabled, fire: datetime) -> str:
    """The local slot of a wall-clock fire: ``YYYY-MM-DDTHH:MM`` of the schedule's time."""
    return f"{fire.date().isoformat()}T{show_clock(t.hour, t.minute)}"


def occasion(t: Timetabled, fired_at: datetime) -> datetime:
    """The wall-clock event a fire is about: the meeting itself for a reminder sent early.

    Always converted from UTC, so the hour that repeats in autumn gets the right ``fold``
    (datetime arithmetic on a local time would silently reset it to the first pass).
    """
    instant = fired_at.astimezone(UTC) + timedelta(minutes=t.remind_minutes)
    return instant.astimezone(zones.zone(t.timezone))


def upcoming(t: Timetabled, now: datetime) -> str:
    """``next Mon 7 Dec 09:00 (5d 23h)``, or ``paused``."""
    next_fire_at = getattr(t, "next_fire_at", None)
    if getattr(t, "paused", False) or next_fire_at is None:
        return "paused"
    event = occasion(t, next_fire_at)
    return f"next {zones.show_time(event, t.timezone)} ({zones.show_duration(event - now)})"


def first_fire(t: Timetabled, now: datetime) -> datetime:
    """When a new or resumed schedule fires first (UTC): its first event at or after ``now``,
    less the reminder lead. A meeting 10 minutes away still gets its 30-minute reminder,
    late; the dispatcher posts it because the meeting has not started.
    """
    today = now.astimezone(zones.zone(t.timezone)).date()
    return _fire_from(t, today, now).astimezone(UTC) - timedelta(minutes=t.remind_minutes)


def next_fire(t: Timetabled, fired_at: datetime) -> datetime:
    """The fire after the one at ``fired_at`` (UTC): on a later local day, so the hour
    that repeats in autumn is not fired twice.

    Memoised: 10,000 schedules due in one minute share a handful of timetables, and
    CronTrigger costs 130-180 us a call (bench/fanout.py).
    """
    return _next_fire(
        Timetable(t.weekday, t.hour, t.minute, t.every, t.anchor, t.timezone, t.remind_minutes),
        fired_at,
    )


@functools.lru_cache(maxsize=8192)
def _next_fire(t: Timetable, fired_at: datetime) -> datetime:
    event = occasion(t, fired_at)
    following = _fire_from(t, event.date() + timedelta(days=1), event)
    return following.astimezone(UTC) - timedelta(minutes=t.remind_minutes)
