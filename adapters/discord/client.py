"""The Discord bot: discord.py's client, with every interaction translated for the core.

One ``on_interaction`` handles slash commands, autocomplete, button clicks and form
submissions by their documented JSON, so the registered commands are exactly the
catalogue (``commands.py``) and buttons keep working after a restart (their custom ids
carry the command). The core runs in a worker thread; when it is slower than
``defer_after`` the interaction is deferred inside Discord's 3-second window and the
answer follows. Scheduled posts go out through ``DiscordMessenger`` with their nonce.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from dataclasses import dataclass, replace
from typing import Any

import aiohttp
import discord
from discord import app_commands

from adapters.discord import interactions as inbound
from adapters.discord.render import (
    Message,
    embed,
    form,
    post_messages,
    reply_message,
)
from adapters.runner import ScheduleRunner
from bot import catalogue, forms
from bot.core import Core
from bot.errors import UserError
from bot.scheduler import Scheduler, SendFailed, send_to_each
from bot.text import shorten
from bot.types import Invocation, Outcome, Post, Reply, Visibility

log = logging.getLogger(__name__)

NONCE_MAX = 25  # Discord's limit
THREAD_NAME_MAX = 100
# Everything the bot does in a server: read and post in channels and threads, with embeds,
# and open a thread per study group. Replies to commands need no permission at all.
PERMISSIONS = discord.Permissions(
    view_channel=True,
    send_messages=True,
    send_messages_in_threads=True,
    create_public_threads=True,
    embed_links=True,
)
SCOPES = ("bot", "applications.commands")
NOT_HERE = "Cohort's commands work in a server's channels, not in direct messages."
OTHER_SERVER = "That button belongs to another server's Cohort; nothing was changed."
LEFT_SERVER = "You are no longer in the server this came from, so it can't be done here."
AUTOCOMPLETE_WITHIN = 2.0  # seconds; Discord drops an autocomplete answer after 3
SHUTDOWN_GRACE = 5.0  # seconds for commands being answered when the bot stops


@dataclass(frozen=True)
class DiscordOptions:
    """How the bot behaves on Discord; ``[discord]`` in the config sets them."""

    defer_after: float = 1.5  # seconds of core work before the interaction is deferred
    group_threads: bool = True  # open a thread for each study group created in a channel
    tick_seconds: float = 15.0


def intents() -> discord.Intents:
    """Only guild events (names and channels); interactions need no intent at all."""
    return discord.Intents(guilds=True)


class CohortMixin:
    """What the Cohort bot adds to a discord.py client (sharded or not)."""

    core: Core
    options: DiscordOptions
    scheduler: Scheduler | None
    runner: ScheduleRunner | None

    def __init__(
        self,
        core: Core,
        *,
        scheduler: Scheduler | None = None,
        options: DiscordOptions | None = None,
        **client_options: Any,
    ) -> None:
        super().__init__(intents=intents(), **client_options)  # type: ignore[call-arg]
        self.core, self.scheduler = core, scheduler
        self.options = options or DiscordOptions()
        self.runner = None
        self.messenger = DiscordMessenger(self)  # type: ignore[arg-type]
        self._in_flight: set[asyncio.Task[None]] = set()

    async def setup_hook(self) -> None:
        """Inside the running loop, before the gateway: start the scheduled posts."""
        if self.scheduler is not None:
            self.runner = ScheduleRunner(
                self.scheduler, self.messenger, tick_seconds=self.options.tick_seconds
            )
            self.runner.start()

    async def close(self) -> None:
        """Finish what is in flight (a scheduler pass, commands being answered), then go."""
        if self.runner is not None:
            runner, self.runner = self.runner, None
            await runner.aclose()  # before the HTTP session it sends through goes
        if self._in_flight:
            await asyncio.wait(self._in_flight, timeout=SHUTDOWN_GRACE)
        await super().close()  # type: ignore[misc]

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._in_flight.add(task)  # type: ignore[arg-type]
        try:
            await self._route(interaction)
        except Exception:
            log.exception("interaction %s failed", interaction.id)
            await self._apologise(interaction)
        finally:
            if task is not None:
                self._in_flight.discard(task)  # type: ignore[arg-type]

    async def _apologise(self, interaction: discord.Interaction) -> None:
        if interaction.type is discord.InteractionType.autocomplete:
            return  # nothing to show there; the person keeps typing
        sorry = Reply("Sorry, something went wrong on my side.", is_error=True)
        rendered = reply_message(sorry, _guild_of(interaction))
        try:
            if interaction.response.is_done():
                await interaction.followup.send(**rendered.send_kwargs(ephemeral=True))
            else:
                await interaction.response.send_message(**rendered.send_kwargs())
        except discord.HTTPException as error:  # the interaction expired: nobody to tell
            log.info("could not apologise for interaction %s: %s", interaction.id, error)

    async def _route(self, interaction: discord.Interaction) -> None:
        kind = interaction.type
        if kind is discord.InteractionType.autocomplete:
            await self._autocomplete(interaction)
        elif kind is discord.InteractionType.application_command:
            await self._slash(interaction)
        elif kind is discord.InteractionType.component:
            await self._clicked(interaction)
        elif kind is discord.InteractionType.modal_submit:
            await self._submitted(interaction)

    # -- slash commands ----------------------------------------------------------------
    async def _slash(self, interaction: discord.Interaction) -> None:
        data: dict[str, Any] = dict(interaction.data or {})
        path, options = inbound.command_path(data)
        command = catalogue.find(path)
        if interaction.guild_id is None or command is None:
            await self._refuse(interaction, NOT_HERE if command else "I don't know that command.")
            return
        kinds = {o.key: o.kind for o in command.options}
        args = inbound.arguments(options, data.get("resolved") or {}, kinds)
        args = inbound.trailing_switches(path, args)
        guild = str(interaction.guild_id)
        if forms.asks(command, args):
            await self._open_form(interaction, guild, command, args)
            return
        await self.run(interaction, inbound.invocation(interaction, guild, path, args))

    async def _open_form(
        self,
        interaction: discord.Interaction,
        guild: str,
        command: catalogue.Command,
        args: dict[str, Any],
    ) -> None:
        """A modal for the command; switches given (``--private``) ride in its id."""
        form_id = inbound.custom_id(guild, forms.opening_line(command, args), form=True)
        modal = form(command, form_id, args)
        await interaction.response.send_modal(modal)

    # -- buttons and forms -------------------------------------------------------------
    async def _parsed(
        self, interaction: discord.Interaction, *, form: bool
    ) -> tuple[inbound.Target, Invocation] | None:
        """The command a button (or form) of ours carries, parsed as its clicker runs it;
        None when it is not ours or was refused (the refusal is already answered)."""
        value = str((interaction.data or {}).get("custom_id", ""))
        target = inbound.parse_custom_id(value)
        if target is None or target.form is not form:
            return None  # not ours: discord.py's own views, if any, answer it
        where = await self._where(interaction, target)
        if where is None:
            return None
        try:
            return target, self.core.parse(target.command, **where)
        except UserError as error:
            await self._refuse(interaction, error.message)
            return None

    async def _clicked(self, interaction: discord.Interaction) -> None:
        found = await self._parsed(interaction, form=False)
        if found is None:
            return
        target, parsed = found
        command = catalogue.find(parsed.path)
        if command is not None and forms.asks(command, parsed.args):
            await self._open_form(interaction, target.guild_id, command, parsed.args)
            return
        await self.run(interaction, parsed)

    async def _submitted(self, interaction: discord.Interaction) -> None:
        found = await self._parsed(interaction, form=True)
        if found is None:
            return
        _, parsed = found
        fields = inbound.form_values(list((interaction.data or {}).get("components") or []))
        filled = forms.switches({k: v for k, v in fields.items() if v.strip()})
        args = inbound.trailing_switches(parsed.path, {**parsed.args, **filled})
        await self.run(interaction, replace(parsed, args=args))

    async def _where(
        self, interaction: discord.Interaction, target: inbound.Target
    ) -> dict[str, Any] | None:
        """Where a click or form runs, or None (refused): in its own server only, and from a
        direct message only for someone still in that server, named as the server names
        them."""
        if interaction.guild_id is not None and str(interaction.guild_id) != target.guild_id:
            await self._refuse(interaction, OTHER_SERVER)
            return None
        found = inbound.where(interaction, target.guild_id)
        if interaction.guild_id is None:
            member = await self._member_of(int(target.guild_id), interaction.user.id)
            if member is None:
                await self._refuse(interaction, LEFT_SERVER)
                return None
            found["actor"] = replace(found["actor"], name=member.display_name)
        return found

    async def _member_of(self, guild_id: int, user_id: int) -> discord.Member | None:
        guild = self.get_guild(guild_id)  # type: ignore[attr-defined]
        if guild is None:
            return None
        try:
            return await guild.fetch_member(user_id)  # type: ignore[no-any-return]
        except (discord.NotFound, discord.Forbidden):
            return None

    # -- autocomplete ------------------------------------------------------------------
    async def _autocomplete(self, interaction: discord.Interaction) -> None:
        data: dict[str, Any] = dict(interaction.data or {})
        path, options = inbound.command_path(data)
        command = catalogue.find(path)
        typing = inbound.focused(options)
        spec = command.option(typing["name"]) if command and typing else None
        if spec is None or spec.autocomplete is None or interaction.guild_id is None:
            await interaction.response.autocomplete([])
            return
        lookup = asyncio.to_thread(
            self.core.suggest,
            inbound.community_key(interaction.guild_id),
            str(interaction.user.id),
            spec.autocomplete,
            str((typing or {}).get("value") or ""),
            admin=inbound.actor(interaction).is_admin,
        )
        try:
            found = await asyncio.wait_for(lookup, AUTOCOMPLETE_WITHIN)
        except TimeoutError:
            log.warning(
                "suggestions of %s took over %.1f s", spec.autocomplete, AUTOCOMPLETE_WITHIN
            )
            found = []
        numeric = spec.kind is catalogue.Kind.INTEGER
        choices: list[app_commands.Choice[Any]] = [
            app_commands.Choice(name=s.label, value=int(s.value) if numeric else str(s.value))
            for s in found
        ]
        await interaction.response.autocomplete(choices)

    # -- running the core --------------------------------------------------------------
    async def run(self, interaction: discord.Interaction, invocation: Invocation) -> None:
        """The core's answer, within the 3-second window or deferred, then its posts."""
        work = asyncio.ensure_future(self.core.handle_async(invocation))
        done, _ = await asyncio.wait({work}, timeout=self.options.defer_after)
        message = None
        try:
            if work in done:
                message = await self._send(interaction, work.result())
            else:
                public = _likely_public(invocation)
                await interaction.response.defer(ephemeral=not public, thinking=True)
                message = await self._follow_up(interaction, await work, deferred_public=public)
        except discord.HTTPException as error:
            # Done, but the answer could not be shown (the interaction expired): the posts
            # below still go out, and no "try again" invites doing it twice.
            log.warning("answer to interaction %s not shown: %s", interaction.id, error)
        outcome = await work
        for post in outcome.posts:
            await self.messenger.deliver(post)
        if message is not None and not outcome.reply.is_error:
            await self._group_thread(invocation, outcome.reply, message)

    async def _send(self, interaction: discord.Interaction, outcome: Outcome) -> Any:
        rendered = reply_message(outcome.reply, _guild_of(interaction))
        answer = await interaction.response.send_message(**rendered.send_kwargs())
        resource = getattr(answer, "resource", None)
        return resource if isinstance(resource, discord.Message) else None

    async def _follow_up(
        self, interaction: discord.Interaction, outcome: Outcome, *, deferred_public: bool
    ) -> Any:
        rendered = reply_message(outcome.reply, _guild_of(interaction))
        if rendered.ephemeral != deferred_public:
            return await interaction.edit_original_response(**rendered.edit_kwargs())
        if deferred_public:  # a private answer to a public "thinking…"
            await interaction.delete_original_response()
            return await interaction.followup.send(**rendered.send_kwargs(), wait=True)
        done = Message(embed=embed(text="Done: posted in the channel.", title=None, colour="ok"))
        await interaction.edit_original_response(**done.edit_kwargs())
        return await interaction.followup.send(**rendered.send_kwargs(), wait=True)

    async def _refuse(self, interaction: discord.Interaction, text: str) -> None:
        await self._send(interaction, Outcome(Reply(text, is_error=True)))

    async def _group_thread(self, invocation: Invocation, reply: Reply, message: Any) -> None:
        """A thread under the announcement of a new, listed study group."""
        if invocation.path != ("group", "create") or reply.visibility is not Visibility.CHANNEL:
            return
        if not self.options.group_threads or not isinstance(message, discord.Message):
            return
        name = shorten(" ".join(str(invocation.args.get("name") or "").split()), THREAD_NAME_MAX)
        try:
            thread = await message.create_thread(name=name or "Study group")
            welcome = embed(
                text=(
                    f"This is {name}'s thread. Run /group meet here and the meeting "
                    "reminders come to this thread."
                ),
                title=None,
                colour="ok",
            )
            await thread.send(embed=welcome, allowed_mentions=discord.AllowedMentions.none())
        except discord.HTTPException as error:
            log.warning("could not open a thread for %s: %s", name, error)


class CohortClient(CohortMixin, discord.Client):
    """One process, one gateway connection."""


class ShardedCohortClient(CohortMixin, discord.AutoShardedClient):
    """``shard_ids`` of ``shard_count``: several processes share one bot on PostgreSQL."""


def _guild_of(interaction: discord.Interaction) -> str:
    if interaction.guild_id is not None:
        return str(interaction.guild_id)
    target = inbound.parse_custom_id(str((interaction.data or {}).get("custom_id", "")))
    return target.guild_id if target else "0"


def _likely_public(invocation: Invocation) -> bool:
    """Whether a deferred answer may show "<person> used /…" to the channel. Only a new
    listed group: a reflection may turn out anonymous or private (the server's default), and
    a public "thinking…" would tie the author to it."""
    return invocation.path == ("group", "create") and not invocation.args.get("private")


def nonce_for(nonce: str, recipient: str | None = None) -> str:
    """The post's nonce in a channel; one per recipient for direct messages."""
    if recipient is None and len(nonce) <= NONCE_MAX:
        return nonce
    digest = hashlib.blake2b(f"{nonce}:{recipient}".encode(), digest_size=12).hexdigest()
    return "d" + digest[: NONCE_MAX - 1]


class DiscordMessenger:
    """Sends the core's posts: to a channel by id, or as direct messages to members."""

    def __init__(self, client: discord.Client) -> None:
        self.client = client

    async def deliver(self, post: Post) -> None:
        """A post that came with a command's answer: failures are logged, not retried."""
        try:
            await self.send(post)
        except SendFailed as failure:
            log.warning("post (%s) to %s not sent: %s", post.kind, post.community, failure)

    async def send(self, post: Post) -> str | None:
        """Raises ``SendFailed``; ``permanent`` when Discord refused (retrying cannot help)."""
        parts = post_messages(post, inbound.guild_of(post.community))
        try:
            sent: str | None = None
            if post.channel:
                sent = await self._to_channel(post, parts)
            if post.to_members:
                sent = await self._to_members(post, parts[0]) or sent
            return sent
        except discord.HTTPException as error:
            raise failure(error) from None
        except (aiohttp.ClientError, TimeoutError, OSError) as error:
            raise SendFailed(f"could not reach Discord: {error!r}") from None

    async def _to_channel(self, post: Post, parts: list[Message]) -> str:
        """The post, then (for a big group's reminder) the rest of its mentions."""
        if not post.channel or not post.channel.isdigit():
            raise SendFailed(f"'{post.channel}' is not a Discord channel id", permanent=True)
        channel = self.client.get_partial_messageable(int(post.channel))
        first = None
        for index, part in enumerate(parts):
            nonce = post.nonce and nonce_for(post.nonce, f"part{index}" if index else None)
            extra = {"nonce": nonce} if nonce else {}
            message = await channel.send(**part.channel_kwargs(), **extra)
            first = first or str(message.id)
        assert first is not None
        return first

    async def _to_members(self, post: Post, rendered: Message) -> str | None:
        """Each member in turn (``send_to_each``), with a nonce of their own."""

        async def one(member: str) -> str:
            if not member.isdigit():
                raise SendFailed(f"'{member}' is not a Discord user id", permanent=True)
            extra = {"nonce": nonce_for(post.nonce, member)} if post.nonce else {}
            try:
                dm = await self.client.create_dm(discord.Object(id=int(member)))
                return str((await dm.send(**rendered.channel_kwargs(), **extra)).id)
            except discord.HTTPException as error:
                raise failure(error) from None

        return await send_to_each(post.to_members, one)


def failure(error: discord.HTTPException) -> SendFailed:
    """Refusals are permanent: a bad request, a missing permission or channel, a user who
    takes no DMs. Rate limits past discord.py's own retries and server errors are not."""
    permanent = error.status in (400, 401, 403, 404)
    return SendFailed(
        f"Discord answered {error.status}: {error.text or error}", permanent=permanent
    )
