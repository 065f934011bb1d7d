"""Streaks: consecutive local days with a check-in; away days neither break nor extend."""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class Streak:
    current: int
    longest: int


class AwayCalendar:
    """Away periods merged into disjoint, non-adjacent ranges, for O(log n) questions."""

    def __init__(self, periods: Iterable[tuple[date, date]]) -> None:
        merged: list[list[date]] = []
        for start, end in sorted(periods):
            if merged and start <= merged[-1][1] + ONE_DAY:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        self._starts = [start for start, _ in merged]
        self._ends = [end for _, end in merged]

    def _range_of(self, day: date) -> int | None:
        i = bisect.bisect_right(self._starts, day) - 1
        return i if i >= 0 and day <= self._ends[i] else None

    def is_away(self, day: date) -> bool:
        return self._range_of(day) is not None

    def covers_gap(self, after: date, before: date) -> bool:
        """Whether every day strictly between ``after`` and ``before`` is an away day."""
        if before - after <= ONE_DAY:
            return True
        i = self._range_of(after + ONE_DAY)
        return i is not None and self._ends[i] >= before - ONE_DAY


def streak(days: Iterable[date], away: Iterable[tuple[date, date]], today: date) -> Streak:
    """The current and longest runs of check-in days up to ``today``.

    A checked-in day extends the run, a missed day resets it, an away day is skipped
    (checked in or not), and today does not break a run until it is over.
    """
    calendar = AwayCalendar(away)
    counted = sorted(d for d in set(days) if d <= today and not calendar.is_away(d))
    run = longest = 0
    previous: date | None = None
    for day in counted:
        run = run + 1 if previous is not None and calendar.covers_gap(previous, day) else 1
        longest = max(longest, run)
        previous = day
    alive = previous is not None and calendar.covers_gap(previous, today)
    return Streak(run if alive else 0, longest)
