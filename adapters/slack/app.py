"""The Slack app: async Bolt listeners translating slash commands, buttons, modals and the
App Home into the core, in Socket Mode (default) or HTTP mode (signed requests).

Every listener acks first (Slack's 3-second rule), then runs the core in a worker thread
and answers through ``response_url``, ``chat.postEphemeral`` or a direct message. Each
Slack request carries an id (trigger or event id) that the core records, so a request
Slack retries is handled once. Scheduled posts go through ``SlackMessenger``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from dataclasses import dataclass, replace
from typing import Any

import aiohttp
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.manifest import command_names
from adapters.slack.render import (
    ACTION,
    FORM,
    Message,
    form_values,
    form_view,
    home_view,
    post_message,
    reply_message,
)
from bot import catalogue, forms
from bot.core import Core
from bot.errors import UserError
from bot.scheduler import SendFailed, send_to_each
from bot.types import Actor, Invocation, Outcome, Post, Reply

log = logging.getLogger(__name__)

PLATFORM = "slack"
DIRECTORY_TTL = 300.0  # seconds a users.info answer (name, admin) is trusted
METADATA_EVENT = "cohort_delivery"
HISTORY_LIMIT = 200  # messages looked through to find a post that may have gone out
HISTORY_WINDOW = 2 * 24 * 3600  # seconds back: a resend is minutes, at most the grace, late
# Slack escapes these three in slash command text; the grammar wants what was typed.
ENTITIES = (("&lt;", "<"), ("&gt;", ">"), ("&amp;", "&"))
# Errors retrying cannot fix: the channel, the user, the message or the app's rights.
PERMANENT = frozenset(
    {
        "channel_not_found", "not_in_channel", "is_archived", "msg_too_long", "no_text",
        "invalid_blocks", "invalid_blocks_format", "restricted_action", "cannot_dm_bot",
        "user_not_found", "user_not_visible", "account_inactive", "invalid_auth",
        "not_authed", "missing_scope", "token_revoked", "invalid_metadata_format",
        "channel_is_archived", "too_many_attachments", "msg_blocks_too_long",
        "invalid_arguments", "metadata_too_large", "invalid_metadata_schema",
        "restricted_action_read_only_channel", "not_allowed_token_type", "ekm_access_denied",
        "team_access_not_granted", "method_not_supported_for_channel_type",
    }
)  # fmt: skip


def community_key(team_id: str) -> str:
    return f"{PLATFORM}:{team_id}"


@dataclass(frozen=True)
class Place:
    """Where a request came from and how to answer it."""

    team: str
    user: str
    channel: str | None
    response_url: str | None
    id: str | None
    team_name: str | None = None


class Directory:
    """Who a Slack user is: display name and whether they are a workspace admin or owner
    (``users.info``), cached for a few minutes."""

    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client
        self._known: dict[str, tuple[float, Actor]] = {}

    async def actor(self, user: str, fallback: str) -> Actor:
        now = time.monotonic()
        cached = self._known.get(user)
        if cached and now - cached[0] < DIRECTORY_TTL:
            return cached[1]
        try:
            found = (await self.client.users_info(user=user))["user"]
        except (SlackApiError, aiohttp.ClientError, TimeoutError) as error:
            log.warning("users.info for %s failed (%s)", user, error)
            if cached:  # stale beats renaming them
                return cached[1]
            return Actor(id=user, name=fallback or user)
        profile = found.get("profile") or {}
        name = profile.get("display_name") or profile.get("real_name") or found.get("name")
        admin = bool(
            found.get("is_admin") or found.get("is_owner") or found.get("is_primary_owner")
        )
        made = Actor(id=user, name=str(name or fallback or user), is_admin=admin)
        self._known[user] = (now, made)
        return made

    def known(self, user: str) -> bool:
        return user in self._known


def api_client(token: str, api_url: str) -> AsyncWebClient:
    """A Web API client that waits out ``Retry-After`` on 429s, and nothing else: slack_sdk's
    default retry on connection errors would repeat a post that may have gone out. A post
    whose send failed unclearly is looked for before it is sent again (``SlackMessenger``)."""
    client = AsyncWebClient(token=token, base_url=api_url)
    client.retry_handlers = [AsyncRateLimitErrorRetryHandler(max_retry_count=3)]
    return client


class CohortSlack:
    """The listeners, over one core and one workspace's bot token."""

    def __init__(self, core: Core, client: AsyncWebClient, *, prefix: str = "") -> None:
        self.core = core
        self.client = client  # answers and views; posts that may repeat go via the messenger
        self.names = command_names(prefix)
        self.directory = Directory(client)
        self.messenger = SlackMessenger(client)
        self._background: set[asyncio.Task[None]] = set()

    def register(self, app: AsyncApp) -> None:
        app.command(re.compile(r"^/"))(self.on_command)
        app.action(re.compile(f"^{ACTION}:"))(self.on_button)
        app.view(FORM)(self.on_form)
        app.event("app_home_opened")(self.on_home_opened)

    async def _guarded(self, place: Place, work: Any) -> None:
        """After the ack: run ``work``; an unexpected failure is logged and the person told
        (a listener that raises can make Bolt drop its ack). Tracked so shutdown waits."""
        task = asyncio.current_task()
        if task is not None:
            self._background.add(task)  # type: ignore[arg-type]
        try:
            await work
        except Exception:
            log.exception("Slack request %s failed", place.id)
            sorry = Reply("Sorry, something went wrong on my side.", is_error=True)
            try:
                await self._answer(place, Outcome(sorry))
            except Exception as error:  # nobody left to tell
                log.info("could not apologise for %s: %s", place.id, error)
        finally:
            if task is not None:
                self._background.discard(task)  # type: ignore[arg-type]

    # -- listeners ---------------------------------------------------------------------
    async def on_command(self, ack: Any, body: dict[str, Any]) -> None:
        await ack()
        top = self.names.get(str(body.get("command", "")), "cohort")
        text = str(body.get("text") or "")
        for entity, char in ENTITIES:
            text = text.replace(entity, char)
        place = Place(
            team=body["team_id"],
            user=body["user_id"],
            channel=body.get("channel_id"),
            response_url=body.get("response_url"),
            id=_request_id(body.get("trigger_id")),
            team_name=body.get("team_domain"),
        )
        line = f"/{top} {text}".strip()
        fallback = str(body.get("user_name") or "")
        await self._guarded(place, self._line(place, line, fallback, body.get("trigger_id")))

    async def on_button(self, ack: Any, body: dict[str, Any]) -> None:
        await ack()
        action = (body.get("actions") or [{}])[0]
        place = Place(
            team=(body.get("team") or {}).get("id") or body["user"]["team_id"],
            user=body["user"]["id"],
            channel=(body.get("channel") or {}).get("id"),
            response_url=body.get("response_url"),
            id=_request_id(body.get("trigger_id")),
            team_name=(body.get("team") or {}).get("domain"),
        )
        name = str(body["user"].get("username") or body["user"].get("name") or "")
        line = str(action.get("value") or "")
        await self._guarded(place, self._line(place, line, name, body.get("trigger_id")))

    async def on_form(self, ack: Any, body: dict[str, Any]) -> None:
        await ack()  # closes the modal; the answer follows as a message
        view = body["view"]
        try:
            meta = json.loads(view.get("private_metadata") or "{}")
        except ValueError:
            meta = {}
        place = Place(
            team=(body.get("team") or {}).get("id") or body["user"]["team_id"],
            user=body["user"]["id"],
            channel=meta.get("channel"),
            response_url=meta.get("response_url"),  # the command's or button's, 30 min
            id=f"slack:view:{view.get('id')}:{view.get('hash')}",
            team_name=(body.get("team") or {}).get("domain"),
        )
        await self._guarded(place, self._submitted(place, body, view, meta))

    async def _submitted(
        self, place: Place, body: dict[str, Any], view: dict[str, Any], meta: dict[str, Any]
    ) -> None:
        actor = await self.directory.actor(place.user, str(body["user"].get("name") or ""))
        try:
            parsed = self.core.parse(str(meta.get("line", "")), **self._where(place, actor))
        except UserError as error:
            await self._answer(place, Outcome(Reply(error.message, is_error=True)))
            return
        args = {**parsed.args, **form_values(view.get("state") or {})}
        await self._run(place, replace(parsed, args=args))

    async def on_home_opened(self, event: dict[str, Any], body: dict[str, Any]) -> None:
        if event.get("tab") != "home":
            return
        await self.refresh_home(body.get("team_id") or "", event["user"])

    # -- running -----------------------------------------------------------------------
    async def _line(
        self, place: Place, line: str, fallback_name: str, trigger_id: str | None
    ) -> None:
        try:  # the actor is filled in below: a form must open within the trigger's 3 s
            parsed = self.core.parse(line, **self._where(place, Actor(place.user, place.user)))
        except UserError as error:
            await self._answer(place, Outcome(Reply(error.message, is_error=True)))
            return
        command = catalogue.find(parsed.path)
        if command is not None and forms.asks(command, parsed.args) and trigger_id:
            await self._open_form(place, command, parsed.args, trigger_id)
            return
        actor = await self.directory.actor(place.user, fallback_name)
        await self._run(place, replace(parsed, actor=actor))

    async def _open_form(
        self, place: Place, command: catalogue.Command, args: dict[str, Any], trigger_id: str
    ) -> None:
        line = forms.opening_line(command, args)
        meta = {"line": line, "channel": place.channel, "response_url": place.response_url}
        await self.client.views_open(trigger_id=trigger_id, view=form_view(command, meta, args))

    def _where(self, place: Place, actor: Actor) -> dict[str, Any]:
        return {
            "community": community_key(place.team),
            "channel": place.channel or "",
            "actor": actor,
            "id": place.id,
            "community_name": place.team_name,
        }

    async def _run(self, place: Place, invocation: Invocation) -> None:
        outcome = await self.core.handle_async(invocation)
        try:
            await self._answer(place, outcome)
        except (SlackApiError, aiohttp.ClientError, TimeoutError) as error:
            log.warning("answer to %s not shown: %s", place.id, error)
        for post in outcome.posts:
            delivered = await self.messenger.deliver(post)
            if not delivered and post.channel and post.channel == place.channel:
                await self._answer(place, Outcome(Reply(NOT_POSTED, is_error=True)))
        # Homes that can have changed: mine after a command that wrote, and those alerted.
        command = catalogue.find(invocation.path)
        wrote = command is not None and not command.read_only and not outcome.reply.is_error
        touched = {m for p in outcome.posts for m in p.to_members} | (
            {place.user} if wrote else set()
        )
        for user in touched:
            self._soon(self.refresh_home(place.team, user))

    async def _answer(self, place: Place, outcome: Outcome) -> None:
        """Through the response URL when there is one, else ephemeral in the channel (or
        public there), else in a direct message (the App Home has no channel)."""
        message = reply_message(outcome.reply)
        if message.file is not None:
            await self._send_file(place, message)
        public = not message.ephemeral
        if place.response_url:
            kind = "in_channel" if public else "ephemeral"
            await self._respond(place.response_url, message, kind)
        elif place.channel and public:
            await self.client.chat_postMessage(
                channel=place.channel, text=message.text, blocks=message.blocks
            )
        elif place.channel:
            await self.client.chat_postEphemeral(
                channel=place.channel, user=place.user, text=message.text, blocks=message.blocks
            )
        else:
            await self.client.chat_postMessage(
                channel=place.user, text=message.text, blocks=message.blocks
            )

    async def _respond(self, url: str, message: Message, kind: str) -> None:
        body = {"response_type": kind, "text": message.text, "blocks": message.blocks}
        async with aiohttp.ClientSession() as session, session.post(url, json=body) as answer:
            if answer.status >= 400:
                log.warning("response_url answered %s", answer.status)

    async def _send_file(self, place: Place, message: Message) -> None:
        """An export goes to the member's direct messages as a file: Slack cannot attach
        files to ephemeral messages."""
        assert message.file is not None
        name, content = message.file
        dm = await self.client.conversations_open(users=place.user)
        await self.client.files_upload_v2(
            channel=dm["channel"]["id"], content=content, filename=name, title=name
        )

    async def refresh_home(self, team: str, user: str) -> None:
        """Publish the member's App Home: their groups, streak and the requests they can
        take. Called when they open it and after anything they or others did that shows
        there."""
        try:
            actor = await self.directory.actor(user, "")
            if actor.name == user and not self.directory.known(user):
                return  # users.info failed: not worth renaming them to their id
            reply = await asyncio.to_thread(self.core.home, community_key(team), actor)
            await self.client.views_publish(user_id=user, view=home_view(reply))
        except (SlackApiError, aiohttp.ClientError, TimeoutError) as error:
            log.info("App Home of %s not refreshed: %s", user, error)

    def _soon(self, work: Any) -> None:
        task = asyncio.ensure_future(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def drain(self, timeout: float = 5.0) -> None:
        """Wait for background refreshes (tests, shutdown)."""
        if self._background:
            await asyncio.wait(set(self._background), timeout=timeout)


class SlackMessenger:
    """Sends the core's posts with ``chat.postMessage``. Slack has no idempotency key, so
    each post carries its delivery id in message metadata; a resend (an earlier try may
    have gone out) first looks for that metadata in the conversation and posts only when
    it is not there."""

    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client

    async def deliver(self, post: Post) -> bool:
        """A post that came with a command's answer: failures are logged, not retried."""
        try:
            await self.send(post)
        except SendFailed as failure:
            log.warning("post (%s) to %s not sent: %s", post.kind, post.community, failure)
            return False
        return True

    async def send(self, post: Post) -> str | None:
        message = post_message(post)
        sent = await self._one(post, post.channel, message) if post.channel else None
        if post.to_members:
            each = await send_to_each(post.to_members, lambda m: self._one(post, m, message))
            sent = each or sent
        return sent

    async def _one(self, post: Post, target: str, message: Message) -> str | None:
        try:
            if post.resend and post.nonce:
                found = await self._already_sent(target, post.nonce)
                if found is not None:
                    log.info("delivery %s was already in %s; not sent again", post.nonce, target)
                    return found
            metadata = {"event_type": METADATA_EVENT, "event_payload": {"delivery": post.nonce}}
            answer = await self.client.chat_postMessage(
                channel=target,
                text=message.text,
                blocks=message.blocks,
                unfurl_links=False,
                **({"metadata": metadata} if post.nonce else {}),
            )
            return str(answer.get("ts"))
        except SlackApiError as error:
            code = str(error.response.get("error", "unknown"))
            raise SendFailed(f"Slack refused: {code}", permanent=code in PERMANENT) from None
        except (aiohttp.ClientError, TimeoutError, OSError) as error:
            raise SendFailed(f"could not reach Slack (maybe sent): {error!r}") from None

    async def _already_sent(self, target: str, nonce: str) -> str | None:
        """The ts of this delivery's message in the conversation, if an earlier try posted
        it. A public channel the bot posts to without being in it (chat:write.public) is
        joined to read it. Raises ``SendFailed`` (to retry later) when it cannot look."""
        try:
            channel = target
            if target.startswith(("U", "W")):
                channel = (await self.client.conversations_open(users=target))["channel"]["id"]
            try:
                history = await self._history(channel)
            except SlackApiError as error:
                if error.response.get("error") != "not_in_channel":
                    raise
                if not await self._join(channel):
                    return None  # a private one: the bot could not have posted there either
                history = await self._history(channel)
        except SlackApiError as error:
            code = error.response.get("error")
            raise SendFailed(f"could not check whether it was sent: {code}") from None
        for message in history.get("messages") or []:
            payload = (message.get("metadata") or {}).get("event_payload") or {}
            if payload.get("delivery") == nonce:
                return str(message.get("ts"))
        return None

    async def _history(self, channel: str) -> Any:
        return await self.client.conversations_history(
            channel=channel,
            limit=HISTORY_LIMIT,
            oldest=str(time.time() - HISTORY_WINDOW),
            include_all_metadata=True,
        )

    async def _join(self, channel: str) -> bool:
        try:
            await self.client.conversations_join(channel=channel)
        except SlackApiError as error:
            log.info("cannot join %s to look for a post: %s", channel, error)
            return False
        return True


def _request_id(trigger_id: str | None) -> str | None:
    """The id the core de-duplicates on: Slack repeats a retried request's trigger id."""
    return f"slack:{trigger_id}" if trigger_id else None


NOT_POSTED = (
    "I could not post that in this conversation. Invite Cohort here (/invite @Cohort), "
    "or use a channel it is in."
)
