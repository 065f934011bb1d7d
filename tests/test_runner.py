"""APScheduler as the alarm clock: a post goes out at its time, not at the next tick."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

from adapters.bootstrap import bootstrap, scheduler_for
from adapters.runner import ScheduleRunner
from bot.clock import OffsetClock
from bot.types import Actor
from tests.harness import Recorder


def test_the_runner_wakes_at_the_next_due_time_rather_than_the_next_tick(sqlite_url):
    clock = OffsetClock()
    clock.set(datetime(2026, 12, 1, 7, 59, 59, 400_000, tzinfo=UTC))  # 0.6 s before 08:00
    core = bootstrap(sqlite_url, clock=clock)
    boss = Actor("boss", "boss", is_admin=True)
    where = {"community": "console:t", "channel": "general", "actor": boss}
    assert not core.handle_text("/prompts schedule here daily 08:00", **where).reply.is_error
    scheduler = scheduler_for(core, platform="console")
    outbox = Recorder(clock)  # type: ignore[arg-type]

    async def run() -> float:
        runner = ScheduleRunner(scheduler, outbox, tick_seconds=60)  # the tick alone: 60 s
        runner.start()
        started = time.monotonic()
        try:
            while not outbox.sent and time.monotonic() - started < 10:
                await asyncio.sleep(0.02)
        finally:
            runner.stop()
        return time.monotonic() - started

    waited = asyncio.run(run())
    assert [post.kind for _, post in outbox.sent] == ["prompt"]
    ((when, _),) = outbox.sent
    assert datetime(2026, 12, 1, 8, tzinfo=UTC) <= when
    assert waited < 10  # woken by the alarm at 08:00, long before the next tick
    core.uow.dispose()  # type: ignore[attr-defined]
    scheduler.ledger.dispose()  # type: ignore[attr-defined]


class SlowOutbox(Recorder):
    """A platform that takes a while to accept each post."""

    async def send(self, post):  # type: ignore[no-untyped-def]
        await asyncio.sleep(0.3)
        return await super().send(post)


def test_closing_lets_the_pass_in_flight_mark_what_it_sent(sqlite_url):
    clock = OffsetClock()
    clock.set(datetime(2026, 12, 1, 8, 0, 5, tzinfo=UTC))
    core = bootstrap(sqlite_url, clock=clock)
    boss = Actor("boss", "boss", is_admin=True)
    where = {"community": "console:t", "channel": "general", "actor": boss}
    clock.set(datetime(2026, 12, 1, 7, 0, tzinfo=UTC))
    assert not core.handle_text("/prompts schedule here daily 08:00", **where).reply.is_error
    clock.set(datetime(2026, 12, 1, 8, 0, 5, tzinfo=UTC))
    scheduler = scheduler_for(core, platform="console")
    outbox = SlowOutbox(clock)  # type: ignore[arg-type]

    async def run() -> None:
        runner = ScheduleRunner(scheduler, outbox, tick_seconds=60)
        runner.start()
        await asyncio.sleep(0.1)  # the first pass is sending now
        await runner.aclose()
        assert await runner.run_once() == 0  # closed: no new pass starts

    asyncio.run(run())
    assert [post.kind for _, post in outbox.sent] == ["prompt"]
    engine = core.uow.write_engine  # type: ignore[attr-defined]
    with engine.connect() as conn:
        from sqlalchemy import text

        assert conn.execute(text("select status from delivery")).scalars().all() == ["sent"]
    core.uow.dispose()  # type: ignore[attr-defined]
    scheduler.ledger.dispose()  # type: ignore[attr-defined]
