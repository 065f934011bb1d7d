"""Running the real Cohort Slack app (slack-bolt, async) against the loopback stand-in."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from sqlalchemy import text

from adapters import config
from adapters.bootstrap import bootstrap, scheduler_for
from adapters.slack import server
from adapters.slack.app import CohortSlack
from bot.clock import FakeClock
from bot.core import Core
from bot.scheduler import Scheduler
from tests import slack_standin as ss
from tests.conftest import START


@dataclass
class Running:
    standin: ss.SlackStandIn
    app: AsyncApp
    cohort: CohortSlack
    core: Core
    clock: FakeClock
    scheduler: Scheduler
    url: str | None = None  # HTTP mode: where Slack would POST

    async def command(self, command: str, line: str = "", **where: Any) -> ss.Response:
        """A slash command over Socket Mode; the answer posted to its response_url."""
        envelope = await self.standin.send_envelope(
            "slash_commands", ss.slash(command, line, **where), accepts_response_payload=True
        )
        await self.standin.next_ack(envelope)
        return await self.standin.next_response()

    async def interactive(self, payload: dict[str, Any]) -> None:
        envelope = await self.standin.send_envelope("interactive", payload)
        await self.standin.next_ack(envelope)

    def rows(self, table: str) -> list[dict[str, Any]]:
        with self.core.uow.write_engine.connect() as conn:  # type: ignore[attr-defined]
            return [dict(r._mapping) for r in conn.execute(text(f"select * from {table}"))]

    def execute(self, sql: str, **params: Any) -> None:
        with self.core.uow.write_engine.begin() as conn:  # type: ignore[attr-defined]
            conn.execute(text(sql), params)


def settings_for(standin: ss.SlackStandIn, **extra: str) -> config.Settings:
    env = {
        "COHORT_CONFIG": "/dev/null",
        "COHORT_SLACK_BOT_TOKEN": standin.bot_token,
        "COHORT_SLACK_APP_TOKEN": standin.app_token,
        "COHORT_SLACK_SIGNING_SECRET": standin.signing_secret,
        "COHORT_SLACK_API_URL": standin.api_url,
        **extra,
    }
    return config.load(env=env)


@contextlib.asynccontextmanager
async def running(url: str, *, http: bool = False) -> AsyncIterator[Running]:
    """A started stand-in and the app, connected over Socket Mode or served over HTTP."""
    standin = ss.SlackStandIn()
    await standin.start()
    clock = FakeClock(START)
    core = bootstrap(url, clock=clock)
    scheduler = scheduler_for(core, platform="slack")
    app, cohort = server.build(core, settings_for(standin), http=http)
    handler = None
    site_runner = None
    try:
        if http:
            site_runner = web.AppRunner(server.web_app(app, cohort, None))
            await site_runner.setup()
            site = web.TCPSite(site_runner, "127.0.0.1", 0)
            await site.start()
            port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
            where = f"http://127.0.0.1:{port}{server.EVENTS_PATH}"
        else:
            handler = AsyncSocketModeHandler(app, standin.app_token)
            await handler.connect_async()
            await standin.wait_connected(1)
            where = None
        yield Running(standin, app, cohort, core, clock, scheduler, where)
        await cohort.drain()
    finally:
        if handler is not None:
            await handler.close_async()
        if site_runner is not None:
            await site_runner.cleanup()
        for client in (cohort.client, cohort.messenger.client):
            if client.session is not None:
                await client.session.close()
        await standin.stop()
        scheduler.ledger.dispose()  # type: ignore[attr-defined]
        core.uow.dispose()  # type: ignore[attr-defined]
