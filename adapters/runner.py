"""APScheduler as the alarm clock: it wakes the scheduler, and keeps nothing that matters.

``ScheduleRunner`` runs inside a platform adapter's event loop (discord.py's
``setup_hook``, Bolt's startup hook, or ``cohort scheduler``). It uses APScheduler 3.11's
``AsyncIOScheduler`` with the in-memory job store and two jobs: a steady tick, and a
one-off alarm at the next due time the ledger reports, so a 09:00 prompt goes out at
09:00 rather than at the next tick. Every process may run one; the ledger's locks and
unique keys, not APScheduler, keep each post to one delivery.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.scheduler import Messenger, Scheduler

log = logging.getLogger(__name__)


class ScheduleRunner:
    def __init__(
        self, scheduler: Scheduler, messenger: Messenger, *, tick_seconds: float = 15
    ) -> None:
        self.scheduler = scheduler
        self.messenger = messenger
        self.tick_seconds = tick_seconds
        self._lock = asyncio.Lock()
        self._timer: AsyncIOScheduler | None = None
        self.passes = 0
        self._closing = False

    def start(self) -> None:
        """Start ticking; call from inside the running event loop."""
        timer = AsyncIOScheduler(
            timezone=UTC,
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
        )
        timer.add_job(
            self.run_once,
            "interval",
            seconds=self.tick_seconds,
            id="tick",
            next_run_time=datetime.now(UTC),
        )
        timer.start()
        self._timer = timer

    async def run_once(self) -> int:
        """One pass (dispatch and send); then set the alarm for the next due time."""
        if self._closing:
            return 0
        async with self._lock:
            if self._closing:  # queued behind the pass that shutdown waited for
                return 0
            try:
                sent = await self.scheduler.run_due(self.messenger)
                wake = await asyncio.to_thread(self.scheduler.next_due)
            except Exception:
                log.exception("scheduler pass failed; the next tick tries again")
                return 0
            self.passes += 1
        self._alarm(wake)
        return sent

    def _alarm(self, wake: datetime | None) -> None:
        if self._timer is None or wake is None:
            return
        # The ledger's clock may be shifted (console); APScheduler runs on the real one.
        delay = max((wake - self.scheduler.clock.now()).total_seconds(), 0.0)
        if delay >= self.tick_seconds:
            return  # the tick comes first anyway
        self._timer.add_job(
            self.run_once,
            "date",
            run_date=datetime.now(UTC) + timedelta(seconds=delay + 0.01),
            id="alarm",
            replace_existing=True,
        )

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.shutdown(wait=False)
            self._timer = None

    async def aclose(self, timeout: float = 10.0) -> None:
        """Let a pass in flight finish its sends and marks, then stop ticking, so a shutdown
        leaves no lease to wait out. (APScheduler's shutdown cancels a running job.)"""
        self._closing = True
        try:
            await asyncio.wait_for(self._lock.acquire(), timeout)
            self._lock.release()
        except TimeoutError:
            log.warning("a scheduler pass was still running after %.0f s at shutdown", timeout)
        self.stop()
