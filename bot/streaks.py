"""Streaks: consecutive local days with a check-in; away days neither break nor extend."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True)
class Streak:
    current: int
    longest: int


def is_away(day: date, away: Iterable[tuple[date, date]]) -> bool:
    return any(start <= day <= end for start, end in away)


def streak(days: Iterable[date], away: Iterable[tuple[date, date]], today: date) -> Streak:
    """Walk from the first check-in to today.

    A checked-in day extends the run, a missed day resets it, an away day is skipped
    (checked in or not), and today does not break a run until it is over.
    """
    checked = set(days)
    if not checked:
        return Streak(0, 0)
    periods = sorted(away)
    run = longest = 0
    day = min(checked)
    while day <= today:
        if is_away(day, periods):
            pass
        elif day in checked:
            run += 1
            longest = max(longest, run)
        elif day != today:
            run = 0
        day += timedelta(days=1)
    return Streak(run, longest)
