"""``cohort slack``: Socket Mode (default) or HTTP mode, with the scheduler in the process."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters import config
from adapters.runner import ScheduleRunner
from adapters.slack.app import CohortSlack, api_client
from bot.core import Core
from bot.scheduler import Scheduler

log = logging.getLogger(__name__)
EVENTS_PATH = "/slack/events"


class SlackSetupError(config.ConfigError):
    """Something a deployer must fix (tokens, secrets); the message says what."""


def need(value: str, name: str, where: str) -> str:
    if not value.strip():
        raise SlackSetupError(f"No {name}. Set {where} (your app's page at api.slack.com/apps).")
    return value.strip()


def build(
    core: Core, settings: config.Settings, *, http: bool, client: AsyncWebClient | None = None
) -> tuple[AsyncApp, CohortSlack]:
    """The Bolt app and Cohort's listeners on it. HTTP mode verifies Slack's signatures."""
    token = need(settings.slack_bot_token, "bot token", "COHORT_SLACK_BOT_TOKEN")
    client = client or api_client(token, settings.slack_api_url)
    secret = settings.slack_signing_secret
    if http:
        secret = need(secret, "signing secret", "COHORT_SLACK_SIGNING_SECRET")
    app = AsyncApp(
        client=client,
        signing_secret=secret or None,
        request_verification_enabled=http,
        process_before_response=False,
    )
    cohort = CohortSlack(core, client, prefix=settings.slack_command_prefix)
    cohort.register(app)
    return app, cohort


async def check_tokens(cohort: CohortSlack, app_token: str | None = None) -> None:
    """Fail fast and clearly on a wrong token: Socket Mode would otherwise retry forever."""
    try:
        await cohort.client.auth_test()
    except SlackApiError as error:
        code = error.response.get("error")
        raise SlackSetupError(f"Slack refused the bot token ({code}).") from None
    if app_token is None:
        return
    try:  # an unused connection URL simply expires
        await cohort.client.apps_connections_open(app_token=app_token)
    except SlackApiError as error:
        code = error.response.get("error")
        raise SlackSetupError(f"Slack refused the app-level token ({code}).") from None


def runner(cohort: CohortSlack, scheduler: Scheduler | None) -> ScheduleRunner | None:
    return ScheduleRunner(scheduler, cohort.messenger) if scheduler else None


async def run_socket_mode(
    app: AsyncApp, cohort: CohortSlack, scheduler: Scheduler | None, settings: config.Settings
) -> None:
    """Until SIGTERM or Ctrl-C: one WebSocket to Slack, reconnecting as Slack asks."""
    app_token = need(settings.slack_app_token, "app-level token", "COHORT_SLACK_APP_TOKEN")
    await check_tokens(cohort, app_token)
    handler = AsyncSocketModeHandler(app, app_token)
    timer = runner(cohort, scheduler)
    stop = asyncio.Event()
    _on_sigterm(stop)
    await handler.connect_async()
    if timer:
        timer.start()
    try:
        await stop.wait()
    finally:
        await handler.close_async()  # no new requests; those in flight finish below
        if timer:
            await timer.aclose()
        await cohort.drain()


def web_app(app: AsyncApp, cohort: CohortSlack, scheduler: Scheduler | None) -> web.Application:
    """Slack's requests at /slack/events (Bolt verifies each signature), with the
    scheduler's life in the application's."""
    served = web.Application()
    timer = runner(cohort, scheduler)

    async def events(request: web.Request) -> web.Response:
        raw = await request.text()
        bolt = AsyncBoltRequest(
            body=bolt_safe(raw),
            query=request.query_string,
            headers=request.headers,  # type: ignore[arg-type]
        )
        bolt.raw_body = raw  # the signature covers what Slack sent
        return await to_aiohttp_response(await app.async_dispatch(bolt))

    async def started(_: web.Application) -> None:
        if timer:
            timer.start()

    async def stopping(_: web.Application) -> None:
        if timer:
            await timer.aclose()
        await cohort.drain()

    served.router.add_post(EVENTS_PATH, events)
    served.on_startup.append(started)
    served.on_shutdown.append(stopping)
    return served


def bolt_safe(raw: str) -> str:
    """Bolt 1.30 reads any form body containing the word "payload" as an interactive
    ``payload=``, so ``/tutor request payload …`` would be lost (answered 404). ``%70`` is
    "p" url-encoded: the same form, without the word."""
    if raw.startswith(("{", "payload=")):
        return raw
    return raw.replace("payload", "%70ayload")


def run_http(served: web.Application, *, host: str, port: int) -> None:
    """Blocks; aiohttp handles SIGTERM and SIGINT with a graceful shutdown."""
    web.run_app(served, host=host, port=port, print=lambda *_: None, access_log=None)


def _on_sigterm(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
