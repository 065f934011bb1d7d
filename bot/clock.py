"""Clocks. Services ask the injected clock for the time, never ``datetime.now()``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, UTC-aware."""
        ...


class SystemClock:
    """The real time."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FakeClock:
    """A clock tests and the console move by hand."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = (start or datetime(2026, 9, 7, 9, 0, tzinfo=UTC)).astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def set(self, instant: datetime) -> None:
        if instant.tzinfo is None:
            raise ValueError("FakeClock needs an aware datetime")
        self._now = instant.astimezone(UTC)

    def advance(self, delta: timedelta) -> None:
        self._now += delta


class OffsetClock:
    """Real time shifted by an offset the console moves with ``:time`` and ``:advance``."""

    def __init__(self, base: Clock | None = None) -> None:
        self._base = base or SystemClock()
        self._offset = timedelta()

    def now(self) -> datetime:
        return self._base.now() + self._offset

    def set(self, instant: datetime) -> None:
        if instant.tzinfo is None:
            raise ValueError("OffsetClock needs an aware datetime")
        self._offset = instant.astimezone(UTC) - self._base.now()

    def advance(self, delta: timedelta) -> None:
        """Move forward; raises OverflowError (and stays put) past the calendar's end."""
        moved = self._offset + delta
        self._base.now() + moved  # raises before anything changes
        self._offset = moved
