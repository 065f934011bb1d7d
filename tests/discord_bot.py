"""Running the real Cohort Discord bot against the loopback stand-in, for end-to-end tests."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import discord
import discord.gateway
import discord.http
import pytest
import yarl
from sqlalchemy import text

from adapters import config
from adapters.bootstrap import bootstrap, scheduler_for
from adapters.discord import app
from adapters.discord.client import CohortMixin
from bot.clock import FakeClock
from bot.core import Core
from bot.scheduler import Scheduler
from tests import discord_standin as ds
from tests.conftest import START

MANAGE_SERVER = str(1 << 5)


@dataclass
class Running:
    standin: ds.DiscordStandIn
    client: discord.Client
    core: Core
    clock: FakeClock
    scheduler: Scheduler

    async def send(self, payload: dict[str, Any]) -> ds.Callback:
        """Send an interaction through the gateway; the bot's first answer to it."""
        await self.standin.interaction(payload)
        return await self.standin.next_callback()

    def execute(self, sql: str, **params: Any) -> None:
        with self.core.uow.write_engine.begin() as conn:  # type: ignore[attr-defined]
            conn.execute(text(sql), params)

    def rows(self, table: str) -> list[dict[str, Any]]:
        with self.core.uow.write_engine.connect() as conn:  # type: ignore[attr-defined]
            return [dict(r._mapping) for r in conn.execute(text(f"select * from {table}"))]


def point_at(monkeypatch: pytest.MonkeyPatch, standin: ds.DiscordStandIn) -> config.Settings:
    """The config a deployer would write for a proxy, aimed at the stand-in; undone after."""
    monkeypatch.setattr(discord.http.Route, "BASE", discord.http.Route.BASE)
    monkeypatch.setattr(
        discord.gateway.DiscordWebSocket,
        "DEFAULT_GATEWAY",
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY,
    )
    settings = config.load(
        env={
            "COHORT_CONFIG": "/dev/null",
            "COHORT_DISCORD_TOKEN": standin.token,
            "COHORT_DISCORD_API_BASE": standin.api_base,
            "COHORT_DISCORD_GATEWAY_URL": standin.gateway_url,
        }
    )
    app.point_at(settings)
    assert standin.api_base == discord.http.Route.BASE
    assert yarl.URL(standin.gateway_url) == discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    return settings


async def _no_identify_pause(self: discord.Client, shard_id: int | None, *, initial: bool) -> None:
    """discord.py waits 5 s before every IDENTIFY but the first (Discord's rate); not here."""


@contextlib.asynccontextmanager
async def running(
    monkeypatch: pytest.MonkeyPatch,
    url: str,
    *,
    defer_after_ms: int = 1500,
    shard_count: int | None = None,
    shard_ids: list[int] | None = None,
    wrap: Any = None,
) -> AsyncIterator[Running]:
    """A started stand-in and a connected bot (on_ready seen) over the database at ``url``."""
    standin = ds.DiscordStandIn()
    await standin.start()
    settings = point_at(monkeypatch, standin)
    monkeypatch.setattr(CohortMixin, "before_identify_hook", _no_identify_pause, raising=False)
    settings = dataclasses.replace(settings, discord_defer_after_ms=defer_after_ms)
    clock = FakeClock(START)
    core = bootstrap(url, clock=clock)
    if wrap is not None:
        wrap(core)
    scheduler = scheduler_for(core, platform="discord")
    bot = app.client(
        core,
        scheduler=None,  # tests drive the scheduler's passes themselves
        settings=settings,
        shard_count=shard_count,
        shard_ids=shard_ids,
        guild_ready_timeout=0.05,
    )
    task = asyncio.ensure_future(app.run(bot, settings))
    try:
        await asyncio.wait_for(bot.wait_until_ready(), 10)
        yield Running(standin, bot, core, clock, scheduler)
    finally:
        await bot.close()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, 10)
        await standin.stop()
        scheduler.ledger.dispose()  # type: ignore[attr-defined]
        core.uow.dispose()  # type: ignore[attr-defined]
