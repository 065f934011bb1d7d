"""``cohort discord``: run the bot, register its commands, print its invite link."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from typing import Any

import aiohttp
import discord
import discord.gateway
import discord.http
import yarl

from adapters import config
from adapters.discord.client import (
    PERMISSIONS,
    SCOPES,
    CohortClient,
    DiscordOptions,
    ShardedCohortClient,
    intents,
)
from adapters.discord.commands import commands_json
from bot.core import Core
from bot.scheduler import Scheduler

log = logging.getLogger(__name__)


class _NoVoice(logging.Filter):
    """Cohort never joins voice; discord.py's warning that voice is unsupported is noise."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "voice will NOT be supported" not in record.getMessage()


logging.getLogger("discord.client").addFilter(_NoVoice())


class DiscordSetupError(config.ConfigError):
    """Something a deployer must fix (token, ids); the message says what."""


def options(settings: config.Settings) -> DiscordOptions:
    return DiscordOptions(
        defer_after=settings.discord_defer_after_ms / 1000,
        group_threads=settings.discord_group_threads,
    )


def point_at(settings: config.Settings) -> None:
    """Send REST and gateway traffic where ``[discord]`` says: Discord, a rate-limit
    proxy, or a test's stand-in. discord.py reads both class attributes on every use."""
    discord.http.Route.BASE = settings.discord_api_base.rstrip("/")
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.discord_gateway_url)


def token(settings: config.Settings) -> str:
    if not settings.discord_token.strip():
        raise DiscordSetupError(
            "No Discord bot token. Set COHORT_DISCORD_TOKEN (the Bot page of your "
            "application at https://discord.com/developers/applications)."
        )
    return settings.discord_token.strip()


def client(
    core: Core,
    *,
    scheduler: Scheduler | None,
    settings: config.Settings,
    shard_ids: list[int] | None = None,
    shard_count: int | None = None,
    **client_options: Any,
) -> discord.Client:
    """The bot; sharded when ``shard_count`` is given (``shard_ids`` of it, or all)."""
    chosen = options(settings)
    if shard_count is None:
        return CohortClient(core, scheduler=scheduler, options=chosen, **client_options)
    if shard_ids is not None and any(not 0 <= i < shard_count for i in shard_ids):
        raise DiscordSetupError(f"--shard-ids must be between 0 and {shard_count - 1}.")
    return ShardedCohortClient(
        core,
        scheduler=scheduler,
        options=chosen,
        shard_ids=shard_ids,
        shard_count=shard_count,
        **client_options,
    )


async def sync(settings: config.Settings, *, guild_id: str | None = None) -> list[dict[str, Any]]:
    """Overwrite the application's commands with the catalogue's; a guild's appear at once,
    global ones may take up to an hour to show everywhere."""
    secret = token(settings)
    bot = discord.Client(intents=intents())
    try:
        await _login(bot, secret)
        app_id = bot.application_id
        assert app_id is not None
        payload = commands_json()
        if guild_id:
            done = bot.http.bulk_upsert_guild_commands(app_id, int(guild_id), payload)
        else:
            done = bot.http.bulk_upsert_global_commands(app_id, payload)
        return list(await done)
    except discord.HTTPException as error:
        raise DiscordSetupError(f"Discord did not take the commands: {error}") from None
    finally:
        await bot.close()


async def invite_url(settings: config.Settings) -> str:
    """The install link with exactly the scopes and permissions the bot uses."""
    app_id = settings.discord_application_id
    if not app_id:
        secret = token(settings)
        bot = discord.Client(intents=intents())
        try:
            await _login(bot, secret)
            app_id = str(bot.application_id)
        finally:
            await bot.close()
    return discord.utils.oauth_url(int(app_id), permissions=PERMISSIONS, scopes=SCOPES)


async def _login(bot: discord.Client, secret: str) -> None:
    try:
        await bot.login(secret)
    except discord.LoginFailure:
        raise DiscordSetupError(REFUSED) from None
    except (aiohttp.ClientError, OSError) as error:
        raise DiscordSetupError(f"Could not reach {discord.http.Route.BASE}: {error}") from None


REFUSED = "Discord refused the bot token. Copy it again from the Bot page."


async def run(bot: discord.Client, settings: config.Settings) -> None:
    """Connect and serve until stopped (SIGTERM closes cleanly, as a container stop sends);
    discord.py reconnects and resumes by itself."""
    loop = asyncio.get_running_loop()
    with contextlib.suppress(NotImplementedError):  # no signal handlers on Windows
        loop.add_signal_handler(signal.SIGTERM, lambda: asyncio.ensure_future(bot.close()))
    try:
        await _login(bot, token(settings))
        await bot.connect(reconnect=True)
    finally:
        if not bot.is_closed():
            await bot.close()
