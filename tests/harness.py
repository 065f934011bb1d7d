"""A conversation-style harness: ``harness.run("/checkin --mood 4", as_user="ana")``."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlmodel import SQLModel

import storage.models  # noqa: F401  (registers every table)
from adapters.bootstrap import bootstrap, scheduler_for
from bot.clock import FakeClock
from bot.core import Core
from bot.scheduler import Scheduler, SchedulerSettings, SendFailed
from bot.types import Actor, Invocation, Outcome, Post


@dataclass
class Recorder:
    """A messenger that records what the scheduler sends, and fails on request:
    ``fail["general"] = [SendFailed("HTTP 500")] * 2`` fails the next two posts there."""

    clock: FakeClock
    sent: list[tuple[datetime, Post]] = field(default_factory=list)
    fail: dict[str, list[SendFailed]] = field(default_factory=dict)

    async def send(self, post: Post) -> str:
        where = post.channel or post.to_members[0]
        errors = self.fail.get(where)
        if errors:
            raise errors.pop(0)
        self.sent.append((self.clock.now(), post))
        return f"m{len(self.sent)}"


@dataclass
class Harness:
    """Drives one Core over a real database with a fake clock."""

    core: Core
    clock: FakeClock
    scheduler: Scheduler
    outbox: Recorder
    community: str = "console:test"
    channel: str = "general"
    admins: set[str] = field(default_factory=set)

    def pump(self, until: datetime | None = None) -> list[tuple[datetime, Post]]:
        """Run the scheduler through every due time up to ``until`` (default: now), in
        order, as the console does; returns what was sent, with when."""
        start = len(self.outbox.sent)
        self.scheduler.step_through(until or self.clock.now(), self.outbox, self.clock.set)
        return self.outbox.sent[start:]

    def walk(self, **delta: float) -> list[tuple[datetime, Post]]:
        """Move the clock forward by ``delta``, firing what falls due on the way."""
        return self.pump(self.clock.now() + timedelta(**delta))

    def jump(self, instant: datetime) -> list[tuple[datetime, Post]]:
        """Set the clock without stepping (as after downtime), then run one pass."""
        self.clock.set(instant)
        return self.pump()

    def actor(self, user: str, admin: bool | None = None) -> Actor:
        return Actor(id=user, name=user, is_admin=user in self.admins if admin is None else admin)

    def run(
        self,
        line: str,
        *,
        as_user: str = "ana",
        admin: bool | None = None,
        channel: str | None = None,
        community: str | None = None,
    ) -> Outcome:
        """Run a text command as ``as_user``; admin defaults to membership of ``admins``."""
        return self.core.handle_text(
            line,
            community=community or self.community,
            channel=channel or self.channel,
            actor=self.actor(as_user, admin),
        )

    def invoke(
        self,
        path: tuple[str, ...],
        args: dict[str, Any],
        *,
        as_user: str = "ana",
        admin: bool | None = None,
        id: str | None = None,
        community: str | None = None,
    ) -> Outcome:
        """Run an already-typed invocation, as the Discord adapter would."""
        return self.core.handle(
            Invocation(
                community=community or self.community,
                channel=self.channel,
                actor=self.actor(as_user, admin),
                path=path,
                args=args,
                id=id,
            )
        )

    def ok(self, line: str, **kw: Any) -> Outcome:
        """Run a command that must succeed."""
        outcome = self.run(line, **kw)
        assert not outcome.reply.is_error, f"{line!r} failed: {outcome.reply.text}"
        return outcome

    def fails(self, line: str, **kw: Any) -> str:
        """Run a command that must fail; returns the message."""
        outcome = self.run(line, **kw)
        assert outcome.reply.is_error, f"{line!r} unexpectedly succeeded: {outcome.reply.text}"
        assert not outcome.posts
        return outcome.reply.text

    def advance(self, **kw: float) -> None:
        self.clock.advance(timedelta(**kw))

    def set_time(self, instant: datetime) -> None:
        self.clock.set(instant)

    def snapshot(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every row of every table, to prove a failed command changed nothing."""
        engine = self.core.uow.write_engine  # type: ignore[attr-defined]
        with engine.connect() as conn:
            return {
                name: sorted(map(tuple, conn.execute(select(table)).all()), key=repr)
                for name, table in sorted(SQLModel.metadata.tables.items())
            }

    def rows(self, table: str) -> list[dict[str, Any]]:
        engine = self.core.uow.write_engine  # type: ignore[attr-defined]
        model = SQLModel.metadata.tables[table]
        with engine.connect() as conn:
            return [
                dict(r._mapping) for r in conn.execute(select(model).order_by(*model.primary_key))
            ]

    def member_id(self, platform_id: str) -> int:
        (found,) = [r["id"] for r in self.rows("member") if r["platform_id"] == platform_id]
        return found


def make_harness(url: str, start: datetime, settings: SchedulerSettings | None = None) -> Harness:
    clock = FakeClock(start)
    core = bootstrap(url, clock=clock, auto_migrate=True)
    scheduler = scheduler_for(core, platform="console", settings=settings)
    return Harness(core=core, clock=clock, scheduler=scheduler, outbox=Recorder(clock))
