"""A loopback stand-in for Discord's REST API and WebSocket gateway, for end-to-end tests.

The unmodified discord.py 2.7 client logs in, connects to the gateway, receives interactions
and answers them against it. It binds 127.0.0.1 on an ephemeral port (never a fixed one) and
never patches discord.py; tests redirect the client with two class attributes::

    monkeypatch.setattr(discord.http.Route, "BASE", standin.api_base)
    monkeypatch.setattr(discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY",
                        yarl.URL(standin.gateway_url))

Module-level builders (``slash``, ``component``, ``modal_submit``, ``autocomplete``) make
INTERACTION_CREATE payloads discord.py 2.7 accepts; ``DiscordStandIn.interaction()`` sends one
and the bot's answers arrive on ``callbacks`` (``next_callback()``), its channel posts on
``posted``. Gateway frames are plain TEXT JSON (discord.py only inflates BINARY frames). The wire
details are in ``/work/shared/testing-platforms.md`` part A.

discord.py sleeps 5 s in ``Client.before_identify_hook`` before every IDENTIFY but the first (a
second shard, a re-IDENTIFY after ``invalid_session(False)``): override that hook in tests.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypedDict, Unpack

from aiohttp import BodyPartReader, WSMsgType, web

JSON = dict[str, Any]
WS = web.WebSocketResponse
API = "/api/v10"
APP_ID = "1100000000000000001"
GUILD_ID = "290926798626357999"
GENERAL_ID = "645027906669510667"
REFLECTIONS_ID = "645027906669510668"
JOINED_AT = "2017-03-13T19:19:14.040000+00:00"
EVERYONE_PERMISSIONS = "1071698660929"  # Discord's default for @everyone in a new guild
EPHEMERAL, LOADING = 1 << 6, 1 << 7
WEBHOOK_PREFIXES = (f"{API}/webhooks/", f"{API}/interactions/")
ERRORS = {
    400: ("400: Bad Request", 0),
    403: ("Missing Permissions", 50013),
    404: ("Unknown Channel", 10003),
    500: ("500: Internal Server Error", 0),
}

_ids = itertools.count(1500000000000000000)


def snowflake() -> str:
    """A new, increasing snowflake id (shared by the stand-in and the payload builders)."""
    return str(next(_ids))


def now() -> str:
    return datetime.now(UTC).isoformat()


def dm_channel_id(user_id: str) -> str:
    """The DM channel id of a user: one per user, as on Discord, and known to the builders."""
    return "9" + str(user_id)[-17:]


def on_shard(guild_id: str, shard: list[int] | None) -> bool:
    return shard is None or (int(guild_id) >> 22) % shard[1] == shard[0]


def _json(data: Any, status: int = 200) -> web.Response:
    # exactly application/json: discord.py's json_or_text() rejects "; charset=utf-8"
    return web.Response(
        body=json.dumps(data).encode(), status=status, content_type="application/json"
    )


def _error(status: int, message: str | None = None, code: int | None = None) -> web.Response:
    default = ERRORS.get(status, (f"{status}: Error", 0))
    body = {"message": message or default[0], "code": default[1] if code is None else code}
    return _json(body, status)


# ---- payload builders ------------------------------------------------------------------------


def user(id: str, username: str, global_name: str | None = None, *, bot: bool = False) -> JSON:
    """A Discord user object."""
    found = {"id": str(id), "username": username, "global_name": global_name}
    return found | {"discriminator": "0", "avatar": None, "public_flags": 0, "bot": bot}


ACTOR = user("53908232506183680", "mason")
BOT_USER = user(APP_ID, "Cohort", bot=True)


STUDY_HALL = {"id": GUILD_ID, "name": "Study Hall", "owner_id": ACTOR["id"]} | {
    "channels": [
        {"id": GENERAL_ID, "name": "general", "type": 0},
        {"id": REFLECTIONS_ID, "name": "reflections", "type": 0},
    ]
}


class Where(TypedDict, total=False):
    """Who invokes an interaction, and where: a guild channel, or a DM when guild_id is None."""

    user: JSON  # default ACTOR
    permissions: str  # the member's permission bits as a decimal string; default "0"
    guild_id: str | None  # default the Study Hall guild
    channel_id: str  # default #general, or the user's DM channel
    nick: str | None


def opt(name: str, value: Any, type: int | None = None, *, focused: bool = False) -> JSON:
    """A leaf option; the type is inferred from the value when not given (str 3, int 4...)."""
    if type is None:
        kinds = {bool: 5, int: 4, float: 10}
        type = next((t for k, t in kinds.items() if isinstance(value, k)), 3)
    option = {"type": type, "name": name, "value": value}
    return option | {"focused": True} if focused else option


def sub(name: str, options: list[JSON] | None = None) -> JSON:
    """A SUB_COMMAND option (wrap it in a type-2 dict yourself for a group)."""
    return {"type": 1, "name": name, "options": options or []}


def bot_message(channel_id: str = GENERAL_ID, content: str = "", **fields: Any) -> JSON:
    """A message object authored by the bot (default for component interactions)."""
    made: JSON = {
        "id": snowflake(),
        "channel_id": channel_id,
        "author": BOT_USER,
        "content": content,
    }
    made |= {"embeds": [], "components": [], "attachments": [], "mentions": []}
    made |= {"mention_roles": [], "mention_everyone": False, "pinned": False, "tts": False}
    made |= {"timestamp": now(), "edited_timestamp": None, "flags": 0, "type": 0}
    return made | fields


def _interaction(type: int, data: JSON, where: Where) -> JSON:
    actor = where.get("user") or ACTOR
    guild_id = where.get("guild_id", GUILD_ID)
    iid = snowflake()
    payload: JSON = {"id": iid, "application_id": APP_ID, "type": type, "token": f"itoken-{iid}"}
    payload |= {"version": 1, "attachment_size_limit": 10485760, "app_permissions": "442368"}
    payload |= {"entitlements": [], "locale": "en-US", "data": data}
    if guild_id is None:
        cid = where.get("channel_id") or dm_channel_id(actor["id"])
        dm = {"id": cid, "type": 1, "recipients": [actor], "last_message_id": None}
        payload |= {"context": 1, "authorizing_integration_owners": {"0": "0"}, "user": actor}
        return payload | {"channel_id": cid, "channel": dm}
    cid = where.get("channel_id") or GENERAL_ID
    names = {GENERAL_ID: "general", REFLECTIONS_ID: "reflections"}
    channel: JSON = {"id": cid, "type": 0, "guild_id": guild_id, "name": names.get(cid, "channel")}
    channel |= {"position": 0, "permission_overwrites": [], "nsfw": False, "parent_id": None}
    member: JSON = {"user": actor, "roles": [], "premium_since": None, "pending": False}
    member |= {"permissions": where.get("permissions", "0"), "nick": where.get("nick")}
    member |= {"mute": False, "deaf": False, "joined_at": JOINED_AT, "flags": 0}
    payload |= {"context": 0, "authorizing_integration_owners": {"0": guild_id}}
    payload |= {"guild_id": guild_id, "guild": {"id": guild_id, "locale": "en-US", "features": []}}
    payload |= {"guild_locale": "en-US", "channel_id": cid, "channel": channel}
    return payload | {"member": member}


def slash(
    name: str,
    options: list[JSON] | None = None,
    *,
    resolved: JSON | None = None,
    **where: Unpack[Where],
) -> JSON:
    """A CHAT_INPUT (type 2) interaction; ``options`` is Discord's raw (nested) options list,
    ``resolved`` the raw resolved map for user/role/channel options."""
    data: JSON = {"id": snowflake(), "name": name, "type": 1, "options": options or []}
    if where.get("guild_id", GUILD_ID) is not None:
        data["guild_id"] = where.get("guild_id", GUILD_ID)  # interaction() fixes the scope
    if resolved is not None:
        data["resolved"] = resolved
    return _interaction(2, data, where)


def _mark_focus(options: list[JSON]) -> bool:
    for option in options:
        if option.get("focused") or _mark_focus(option.get("options", [])):
            return True
    leaves = [o for o in options if "value" in o]
    if leaves:
        leaves[-1]["focused"] = True
    return bool(leaves)


def autocomplete(name: str, options: list[JSON], **where: Unpack[Where]) -> JSON:
    """An APPLICATION_COMMAND_AUTOCOMPLETE (type 4) interaction; marks the last leaf focused
    unless an option already is (``opt(..., focused=True)``)."""
    payload = slash(name, copy.deepcopy(options), **where)
    _mark_focus(payload["data"]["options"])
    return payload | {"type": 4}


def component(
    custom_id: str,
    *,
    message: JSON | None = None,
    component_type: int = 2,
    values: list[str] | None = None,
    **where: Unpack[Where],
) -> JSON:
    """A MESSAGE_COMPONENT (type 3) interaction: a button press by default, a select with
    ``component_type`` 3/5-8 and ``values``. ``message`` is the message carrying the component
    (e.g. ``Callback.message``); a bare bot message in the channel otherwise."""
    data: JSON = {"custom_id": custom_id, "component_type": component_type}
    if values is not None:
        data["values"] = values
    payload = _interaction(3, data, where)
    payload["message"] = copy.deepcopy(message) if message else bot_message(payload["channel_id"])
    return payload


def modal_submit(
    custom_id: str, values: dict[str, str], *, labels: bool = False, **where: Unpack[Where]
) -> JSON:
    """A MODAL_SUBMIT (type 5) interaction with one text input per value, each in an action
    row (or in a type-18 label with ``labels=True``, Discord's newer form)."""
    inputs = [{"type": 4, "custom_id": key, "value": value} for key, value in values.items()]
    if labels:
        rows = [{"type": 18, "component": item} for item in inputs]
    else:
        rows = [{"type": 1, "components": [item]} for item in inputs]
    return _interaction(5, {"custom_id": custom_id, "components": rows}, where)


def too_big(body: JSON) -> str | None:
    """Discord's limits on a created message, or None when it fits."""
    embeds = body.get("embeds") or []
    size = sum(
        len(e.get("title") or "")
        + len(e.get("description") or "")
        + sum(len(f["name"]) + len(f["value"]) for f in e.get("fields") or [])
        for e in embeds
    )
    users = (body.get("allowed_mentions") or {}).get("users") or []
    if len(body.get("content") or "") > 2000:
        return "content is longer than 2000 characters"
    if len(users) > 100:
        return "allowed_mentions.users has more than 100 ids"
    if size > 6000 or len(embeds) > 10:
        return "embeds are over 6000 characters"
    return None


# ---- records ---------------------------------------------------------------------------------


@dataclass
class Recorded:
    """One HTTP request; ``path`` is relative to /api/v10, ``body`` parsed JSON or payload_json."""

    method: str
    path: str
    query: dict[str, str]
    auth: str | None
    body: Any
    files: list[tuple[str, bytes]] = field(default_factory=list)


REC = web.RequestKey("rec", Recorded)


@dataclass
class Callback:
    """How the bot answered an interaction: kind is "callback", "followup", "edit" or "delete"."""

    kind: str
    token: str
    request: Recorded
    message: JSON | None = None  # the message created or edited, as returned to the bot
    interaction: JSON | None = None  # the INTERACTION_CREATE payload it answers

    @property
    def type(self) -> int | None:
        """The callback type (4 message, 5 defer, 6/7 update, 8 autocomplete, 9 modal)."""
        return self.request.body.get("type") if self.kind == "callback" else None

    @property
    def data(self) -> JSON:
        body = self.request.body or {}
        return (body.get("data") or {}) if self.kind == "callback" else body

    @property
    def content(self) -> str | None:
        return self.data.get("content")

    @property
    def ephemeral(self) -> bool:
        return bool(int(self.data.get("flags") or 0) & EPHEMERAL)


@dataclass
class Session:
    """A gateway session: survives its websocket so that RESUME can replay what it missed."""

    id: str
    shard: list[int] | None
    ws: WS | None = None
    request: web.Request | None = None
    seq: int = 0
    sent: list[JSON] = field(default_factory=list)
    resumable: bool = True


# ---- the stand-in ----------------------------------------------------------------------------


class DiscordStandIn:
    """Discord's REST API under ``api_base`` and its gateway at ``gateway_url``, on loopback."""

    def __init__(
        self,
        *,
        token: str = "test-token",
        application_id: str = APP_ID,
        bot_user_id: str = APP_ID,
        guilds: list[JSON] | None = None,
        heartbeat_interval_ms: int = 41250,
    ) -> None:
        self.token = token
        self.application_id = application_id
        self.bot_user = user(bot_user_id, "Cohort", bot=True)
        self.heartbeat_interval_ms = heartbeat_interval_ms
        guilds = [STUDY_HALL] if guilds is None else guilds
        self.guilds = {str(g["id"]): self._normal_guild(g) for g in guilds}
        self.users: dict[str, JSON] = {ACTOR["id"]: ACTOR, bot_user_id: self.bot_user}
        self.departed: set[str] = set()  # user ids no longer in any guild
        self.refused: list[Recorded] = []  # messages over Discord's limits (answered 400)
        self.requests: list[Recorded] = []
        self.unknown: list[Recorded] = []  # unknown routes or resources (answered 404)
        self.commands: dict[str | None, list[JSON]] = {}
        self.messages: dict[str, list[JSON]] = {}  # Create Message posts, by channel id
        self.originals: dict[str, JSON] = {}  # interaction token -> original response
        self.dm_channels: dict[str, str] = {}  # DM channel id -> user id
        self.threads: dict[str, JSON] = {}
        self.interactions: dict[str, JSON] = {}  # token -> INTERACTION_CREATE payload
        self.callbacks: asyncio.Queue[Callback] = asyncio.Queue()
        self.posted: asyncio.Queue[JSON] = asyncio.Queue()
        self.identifies: list[JSON] = []
        self.resumes: list[JSON] = []
        self.received: list[JSON] = []  # gateway frames from the client other than heartbeats
        self.connections = 0
        self.ready_count = 0
        self.resumed_count = 0
        self.sessions: dict[str, Session] = {}
        self._current: dict[int | None, Session] = {}  # shard id -> session events go to
        self._by_id: dict[str, JSON] = {}  # every message created, by id
        self._acked: set[str] = set()
        self._fail_posts: list[int] = []
        self._sockets: set[WS] = set()
        self._lock = asyncio.Lock()
        self._runner: web.AppRunner | None = None
        self.port = 0
        self.api_base = self.gateway_url = ""

    # -- lifecycle

    async def start(self) -> None:
        app = web.Application(middlewares=[self._middleware])
        self._routes(app.router)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.port = self._runner.addresses[0][1]
        self.api_base = f"http://127.0.0.1:{self.port}{API}"
        self.gateway_url = f"ws://127.0.0.1:{self.port}/gateway"

    async def stop(self) -> None:
        for ws in list(self._sockets):
            await ws.close(code=1001)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def _routes(self, r: web.UrlDispatcher) -> None:
        r.add_get("/gateway", self._gateway)
        r.add_get(f"{API}/users/@me", self._me)
        r.add_post(f"{API}/users/@me/channels", self._open_dm)
        r.add_get(f"{API}/users/{{uid}}", self._get_user)
        r.add_get(f"{API}/oauth2/applications/@me", self._app_info)
        r.add_get(f"{API}/gateway/bot", self._gateway_bot)
        r.add_get(f"{API}/guilds/{{gid}}/members/{{uid}}", self._get_member)
        for path in ("/applications/{app}/commands", "/applications/{app}/guilds/{gid}/commands"):
            r.add_put(API + path, self._put_commands)
            r.add_get(API + path, self._get_commands)
        r.add_post(f"{API}/interactions/{{iid}}/{{token}}/callback", self._callback)
        r.add_post(f"{API}/webhooks/{{app}}/{{token}}", self._followup)
        hook_message = f"{API}/webhooks/{{app}}/{{token}}/messages/{{mid}}"
        for method in ("GET", "PATCH", "DELETE"):
            r.add_route(method, hook_message, self._webhook_message)
        r.add_post(f"{API}/channels/{{cid}}/messages", self._post_message)
        r.add_post(f"{API}/channels/{{cid}}/messages/{{mid}}/threads", self._create_thread)

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        if request.path == "/gateway":
            return await handler(request)
        rec = request[REC] = await self._record(request)
        self.requests.append(rec)
        bot_auth = not request.path.startswith(WEBHOOK_PREFIXES)
        if bot_auth and rec.auth != f"Bot {self.token}":
            return _json({"message": "401: Unauthorized", "code": 0}, 401)
        try:
            return await handler(request)
        except (web.HTTPNotFound, web.HTTPMethodNotAllowed):
            self.unknown.append(rec)
            return _json({"message": "404: Not Found", "code": 0}, 404)

    async def _record(self, request: web.Request) -> Recorded:
        body: Any = None
        files: list[tuple[str, bytes]] = []
        if request.content_type == "multipart/form-data":
            reader = await request.multipart()
            while isinstance(part := await reader.next(), BodyPartReader):
                if part.name == "payload_json":
                    body = json.loads(await part.text())
                else:
                    files.append((part.filename or "", bytes(await part.read())))
        elif raw := await request.read():
            body = json.loads(raw)
        path = request.path.removeprefix(API)
        auth = request.headers.get("Authorization")
        return Recorded(request.method, path, dict(request.query), auth, body, files)

    def _not_found(self, request: web.Request, message: str, code: int) -> web.Response:
        self.unknown.append(request[REC])
        return _error(404, message, code)

    # -- test controls

    async def next_callback(self, timeout: float = 5.0) -> Callback:
        return await self._next(self.callbacks, timeout, "an interaction response")

    async def next_post(self, timeout: float = 5.0) -> JSON:
        return await self._next(self.posted, timeout, "a channel message")

    async def _next(self, queue: asyncio.Queue[Any], timeout: float, what: str) -> Any:
        try:
            return await asyncio.wait_for(queue.get(), timeout)
        except TimeoutError:
            raise AssertionError(f"no {what} within {timeout}s") from None

    def fail_next_posts(self, n: int, status: int = 500) -> None:
        """Answer the next ``n`` Create Message calls with ``status`` (before storing anything).
        discord.py itself retries 500/502/504 up to 5 times, sleeping 1, 3, 5, 7 s between."""
        self._fail_posts.extend([status] * n)

    async def wait_ready(self, n: int = 1, timeout: float = 10.0) -> None:
        await self._until(lambda: self.ready_count >= n, timeout, f"{n} READY")

    async def wait_resumed(self, n: int = 1, timeout: float = 10.0) -> None:
        await self._until(lambda: self.resumed_count >= n, timeout, f"{n} RESUMED")

    async def _until(self, check: Callable[[], bool], timeout: float, what: str) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not check():
            if loop.time() > deadline:
                raise AssertionError(f"timed out after {timeout}s waiting for {what}")
            await asyncio.sleep(0.01)

    async def dispatch(self, event: str, data: JSON, *, guild_id: str | None = None) -> None:
        """Send a DISPATCH to the session(s) owning ``guild_id`` (all sessions if None). A
        session whose socket is down keeps the event and replays it on RESUME."""
        targets = [
            s for s in self._current.values() if guild_id is None or on_shard(guild_id, s.shard)
        ]
        await self._dispatch(event, data, targets)

    async def _dispatch(self, event: str, data: JSON, targets: list[Session]) -> None:
        if not targets:
            raise AssertionError(f"no gateway session to send {event} to; did the client connect?")
        for session in targets:
            await self._send_event(session, event, data)

    async def interaction(self, payload: JSON) -> JSON:
        """Dispatch INTERACTION_CREATE and remember it so callbacks and followups resolve."""
        payload = self.remember(payload)
        guild_id = payload.get("guild_id")
        if guild_id is None:  # DMs arrive on shard 0
            targets = [s for s in self._current.values() if s.shard is None or s.shard[0] == 0]
            await self._dispatch("INTERACTION_CREATE", payload, targets)
        else:
            await self.dispatch("INTERACTION_CREATE", payload, guild_id=guild_id)
        return payload

    def remember(self, payload: JSON) -> JSON:
        """Know an interaction without dispatching it (for tests that feed the client directly)."""
        payload = copy.deepcopy(payload) | {"application_id": self.application_id}
        actor = payload.get("member", {}).get("user") or payload.get("user")
        if actor:
            self.users.setdefault(actor["id"], actor)
        if "message" in payload:  # @original of a component interaction is its message
            message = self._by_id.setdefault(payload["message"]["id"], payload["message"])
            self.originals[payload["token"]] = message
        if payload["type"] in (2, 4):
            self._resolve_command(payload["data"])
        self.interactions[payload["token"]] = payload
        return payload

    def _resolve_command(self, data: JSON) -> None:
        """Give the command the id and scope the bot registered it under, as Discord does."""
        scopes = [data.get("guild_id"), None] if data.get("guild_id") else [None]
        for scope in scopes:
            found = [c for c in self.commands.get(scope, []) if c["name"] == data["name"]]
            if found:
                data["id"] = found[0]["id"]
                if scope is None:
                    data.pop("guild_id", None)
                return

    async def drop(self, *, abort: bool = False) -> None:
        """Lose the live websocket(s) without RECONNECT: close 4000, or abort the TCP stream."""
        for session in list(self._current.values()):
            if session.ws is None:
                continue
            if abort and session.request is not None and session.request.transport:
                session.request.transport.abort()
            else:
                await session.ws.close(code=4000, message=b"dropped by test")

    async def reconnect(self) -> None:
        await self._op_all({"op": 7, "d": None})

    async def invalid_session(self, resumable: bool) -> None:
        await self._op_all({"op": 9, "d": resumable})
        if not resumable:
            for session in self._current.values():
                session.resumable = False
            self._current.clear()

    async def _op_all(self, frame: JSON) -> None:
        for session in list(self._current.values()):
            if session.ws is not None:
                async with self._lock:
                    await self._send(session.ws, frame)

    # -- gateway

    async def _gateway(self, request: web.Request) -> WS:
        ws = WS(autoping=True)
        await ws.prepare(request)
        self._sockets.add(ws)
        self.connections += 1
        session: Session | None = None
        try:
            async with self._lock:
                await self._send(
                    ws, {"op": 10, "d": {"heartbeat_interval": self.heartbeat_interval_ms}}
                )
            async for msg in ws:
                if msg.type is not WSMsgType.TEXT:
                    continue
                frame = json.loads(msg.data)
                if frame.get("op") == 1:
                    async with self._lock:
                        await self._send(ws, {"op": 11})
                    continue
                self.received.append(frame)
                session = await self._on_frame(ws, request, frame) or session
        finally:
            self._sockets.discard(ws)
            if session is not None and session.ws is ws:
                session.ws = session.request = None
        return ws

    async def _on_frame(self, ws: WS, request: web.Request, frame: JSON) -> Session | None:
        op, d = frame.get("op"), frame.get("d") or {}
        if op == 2:
            self.identifies.append(d)
            if d.get("token") != self.token:
                await ws.close(code=4004, message=b"Authentication failed.")
                return None
            return await self._ready(ws, request, d.get("shard"))
        if op == 6:
            self.resumes.append(d)
            return await self._resume(ws, request, d)
        return None

    async def _ready(self, ws: WS, request: web.Request, shard: list[int] | None) -> Session:
        session = Session(id=f"session-{snowflake()}", shard=shard, ws=ws, request=request)
        self.sessions[session.id] = session
        self._current[shard[0] if shard else None] = session
        guilds = [g for g in self.guilds.values() if on_shard(g["id"], shard)]
        ready: JSON = {
            "v": 10,
            "user": self.bot_user,
            "session_id": session.id,
            "private_channels": [],
        }
        ready |= {"guilds": [{"id": g["id"], "unavailable": True} for g in guilds]}
        ready |= {"resume_gateway_url": self.gateway_url, "shard": shard}
        ready |= {"application": {"id": self.application_id, "flags": 0}}
        await self._send_event(session, "READY", ready)
        for guild in guilds:
            await self._send_event(session, "GUILD_CREATE", self._guild_create(guild))
        self.ready_count += 1
        return session

    async def _resume(self, ws: WS, request: web.Request, d: JSON) -> Session | None:
        session = self.sessions.get(d.get("session_id", ""))
        if session is None or not session.resumable or d.get("token") != self.token:
            async with self._lock:
                await self._send(ws, {"op": 9, "d": False})
            return None
        async with self._lock:
            session.ws, session.request = ws, request
            for frame in session.sent:
                if frame["s"] > (d.get("seq") or 0):
                    await self._send(ws, frame)
        await self._send_event(session, "RESUMED", {})
        self.resumed_count += 1
        return session

    async def _send_event(self, session: Session, event: str, data: JSON) -> None:
        async with self._lock:
            session.seq += 1
            frame = {"op": 0, "t": event, "s": session.seq, "d": data}
            session.sent.append(frame)
            if session.ws is not None:
                await self._send(session.ws, frame)

    async def _send(self, ws: WS, frame: JSON) -> None:
        if ws.closed:
            return
        with contextlib.suppress(ConnectionError):  # gone: a RESUME replays session.sent
            await ws.send_str(json.dumps(frame))

    def _normal_guild(self, guild: JSON) -> JSON:
        gid = str(guild["id"])
        channels = []
        for position, channel in enumerate(guild.get("channels", [])):
            base: JSON = {
                "type": 0,
                "position": position,
                "guild_id": gid,
                "permission_overwrites": [],
            }
            base |= {"nsfw": False, "parent_id": None, "topic": None, "last_message_id": None}
            channels.append(
                base | {"rate_limit_per_user": 0} | channel | {"id": str(channel["id"])}
            )
        everyone: JSON = {"id": gid, "name": "@everyone", "permissions": EVERYONE_PERMISSIONS}
        everyone |= {"position": 0, "color": 0, "hoist": False, "managed": False}
        everyone |= {"mentionable": False, "flags": 0}
        owner = str(guild.get("owner_id", ACTOR["id"]))
        roles = guild.get("roles") or [everyone]
        return guild | {"id": gid, "owner_id": owner, "channels": channels, "roles": roles}

    def _guild_create(self, guild: JSON) -> JSON:
        me: JSON = {"user": self.bot_user, "roles": [], "joined_at": JOINED_AT, "deaf": False}
        me |= {"mute": False, "flags": 0, "pending": False}
        threads = [t for t in self.threads.values() if t["guild_id"] == guild["id"]]
        full: JSON = {"icon": None, "splash": None, "banner": None, "description": None}
        full |= {"afk_channel_id": None, "afk_timeout": 300, "verification_level": 0}
        full |= {"default_message_notifications": 0, "explicit_content_filter": 0}
        full |= {"emojis": [], "stickers": [], "features": [], "mfa_level": 0, "nsfw_level": 0}
        full |= {"system_channel_id": None, "system_channel_flags": 0, "rules_channel_id": None}
        full |= {"premium_tier": 0, "premium_subscription_count": 0, "preferred_locale": "en-US"}
        full |= {"joined_at": JOINED_AT, "large": False, "unavailable": False, "member_count": 2}
        full |= {"voice_states": [], "presences": [], "stage_instances": []}
        full |= {"guild_scheduled_events": [], "soundboard_sounds": []}
        return full | guild | {"members": [me], "threads": threads}

    # -- REST: identity, application, commands

    async def _me(self, request: web.Request) -> web.Response:
        return _json(self.bot_user)

    async def _get_user(self, request: web.Request) -> web.Response:
        found = self.users.get(request.match_info["uid"])
        return _json(found) if found else self._not_found(request, "Unknown User", 10013)

    async def _app_info(self, request: web.Request) -> web.Response:
        app: JSON = {"id": self.application_id, "name": "Cohort", "description": "", "icon": None}
        app |= {"bot_public": False, "bot_require_code_grant": False, "owner": ACTOR}
        app |= {"verify_key": "0" * 64, "team": None, "flags": 0, "rpc_origins": []}
        app |= {"summary": "", "tags": [], "redirect_uris": [], "interactions_endpoint_url": None}
        app |= {"approximate_guild_count": len(self.guilds), "bot": self.bot_user}
        return _json(app)

    async def _gateway_bot(self, request: web.Request) -> web.Response:
        limit = {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1}
        return _json({"url": self.gateway_url, "shards": 1, "session_start_limit": limit})

    async def _put_commands(self, request: web.Request) -> web.Response:
        scope = request.match_info.get("gid")
        known = {c["name"]: c["id"] for c in self.commands.get(scope, [])}
        stored = []
        for command in request[REC].body or []:
            extra: JSON = {"id": known.get(command["name"]) or snowflake(), "version": snowflake()}
            extra |= {"application_id": self.application_id, "type": command.get("type", 1)}
            extra |= {"description": command.get("description", "")}
            stored.append(command | extra | ({"guild_id": scope} if scope else {}))
        self.commands[scope] = stored
        return _json(stored)

    async def _get_commands(self, request: web.Request) -> web.Response:
        return _json(self.commands.get(request.match_info.get("gid"), []))

    # -- REST: interactions

    async def _callback(self, request: web.Request) -> web.Response:
        rec, token = request[REC], request.match_info["token"]
        ix = self.interactions.get(token)
        if ix is None or ix["id"] != request.match_info["iid"]:
            return self._not_found(request, "Unknown interaction", 10062)
        if token in self._acked:
            return _error(400, "Interaction has already been acknowledged.", 40060)
        self._acked.add(token)
        kind, data = rec.body["type"], rec.body.get("data") or {}
        message = None
        if kind in (4, 5):
            flags = int(data.get("flags") or 0) | (LOADING if kind == 5 else 0)
            message = self._new_message(ix["channel_id"], data | {"flags": flags}, rec.files, ix)
            self.originals[token] = message
        elif kind in (6, 7) and token in self.originals:
            message = self.originals[token]
            if kind == 7:
                self._edit(message, data, rec.files)
        await self.callbacks.put(Callback("callback", token, rec, message, ix))
        flags = int(message["flags"]) if message else 0
        answer: JSON = {"id": ix["id"], "type": ix["type"], "activity_instance_id": None}
        answer |= {"response_message_id": message["id"] if message else None}
        answer |= {"response_message_loading": kind == 5}
        answer |= {"response_message_ephemeral": bool(flags & EPHEMERAL)}
        resource = {"type": kind} | ({"message": message} if message else {})
        return _json({"interaction": answer, "resource": resource})

    def _hook_interaction(self, request: web.Request) -> JSON | None:
        if request.match_info["app"] != self.application_id:
            return None
        return self.interactions.get(request.match_info["token"])

    async def _followup(self, request: web.Request) -> web.Response:
        rec, token = request[REC], request.match_info["token"]
        ix = self._hook_interaction(request)
        if ix is None:
            return self._not_found(request, "Unknown Webhook", 10015)
        message = self._new_message(ix["channel_id"], rec.body or {}, rec.files, ix)
        await self.callbacks.put(Callback("followup", token, rec, message, ix))
        return (
            _json(message)
            if rec.query.get("wait") in ("1", "true", "True")
            else web.Response(status=204)
        )

    async def _webhook_message(self, request: web.Request) -> web.Response:
        rec, token, mid = request[REC], request.match_info["token"], request.match_info["mid"]
        ix = self._hook_interaction(request)
        if ix is None:
            return self._not_found(request, "Unknown Webhook", 10015)
        message = self.originals.get(token) if mid == "@original" else self._by_id.get(mid)
        if message is None:
            return self._not_found(request, "Unknown Message", 10008)
        if request.method == "GET":
            return _json(message)
        if request.method == "DELETE":
            message["deleted"] = True
            await self.callbacks.put(Callback("delete", token, rec, message, ix))
            return web.Response(status=204)
        self._edit(message, rec.body or {}, rec.files)
        await self.callbacks.put(Callback("edit", token, rec, message, ix))
        return _json(message)

    # -- REST: channels, messages, DMs, threads

    def _channel(self, cid: str) -> JSON | None:
        for guild in self.guilds.values():
            for channel in guild["channels"]:
                if channel["id"] == cid:
                    return channel
        if cid in self.threads:
            return self.threads[cid]
        if cid in self.dm_channels:
            return self._dm_channel(self.dm_channels[cid])
        return None

    def _dm_channel(self, uid: str) -> JSON:
        recipient = self.users.get(uid) or user(uid, f"user{uid[-4:]}")
        channel = {"id": dm_channel_id(uid), "type": 1, "last_message_id": None, "flags": 0}
        return channel | {"recipients": [recipient]}

    async def _open_dm(self, request: web.Request) -> web.Response:
        uid = str((request[REC].body or {}).get("recipient_id"))
        self.dm_channels[dm_channel_id(uid)] = uid
        return _json(self._dm_channel(uid))

    async def _get_member(self, request: web.Request) -> web.Response:
        """Everyone is a member of every guild except those in ``departed``."""
        uid = request.match_info["uid"]
        if request.match_info["gid"] not in self.guilds or uid in self.departed:
            return self._not_found(request, "Unknown Member", 10007)
        found = self.users.get(uid) or user(uid, f"user{uid[-4:]}")
        member: JSON = {"user": found, "roles": [], "nick": None, "joined_at": JOINED_AT}
        return _json(member | {"deaf": False, "mute": False, "flags": 0, "pending": False})

    async def _post_message(self, request: web.Request) -> web.Response:
        rec, cid = request[REC], request.match_info["cid"]
        if self._fail_posts:
            return _error(self._fail_posts.pop(0))
        if problem := too_big(rec.body or {}):
            self.refused.append(rec)
            return _json({"message": f"Invalid Form Body: {problem}", "code": 50035}, 400)
        if self._channel(cid) is None:
            return self._not_found(request, "Unknown Channel", 10003)
        body = rec.body or {}
        nonce = body.get("nonce")
        if nonce is not None and body.get("enforce_nonce"):
            for existing in self.messages.get(cid, []):
                if (
                    existing.get("nonce") == nonce
                    and existing["author"]["id"] == self.bot_user["id"]
                ):
                    return _json(existing)
        posted = self._new_message(cid, body, rec.files)
        self.messages.setdefault(cid, []).append(posted)
        await self.posted.put(posted)
        return _json(posted)

    async def _create_thread(self, request: web.Request) -> web.Response:
        cid, mid = request.match_info["cid"], request.match_info["mid"]
        parent = self._channel(cid)
        if parent is None or "guild_id" not in parent:
            return self._not_found(request, "Unknown Channel", 10003)
        if mid in self.threads:
            return _error(400, "A thread has already been created for this message", 160004)
        body, stamp, me = request[REC].body or {}, now(), self.bot_user["id"]
        meta: JSON = {
            "archived": False,
            "auto_archive_duration": body.get("auto_archive_duration", 1440),
        }
        meta |= {"archive_timestamp": stamp, "locked": False, "create_timestamp": stamp}
        thread: JSON = {"id": mid, "type": 11, "guild_id": parent["guild_id"], "parent_id": cid}
        thread |= {"name": body.get("name", "thread"), "owner_id": me, "last_message_id": None}
        thread |= {"message_count": 0, "member_count": 1, "total_message_sent": 0, "flags": 0}
        thread |= {"rate_limit_per_user": body.get("rate_limit_per_user") or 0}
        thread |= {"thread_metadata": meta}
        thread["member"] = {"id": mid, "user_id": me, "join_timestamp": stamp, "flags": 0}
        self.threads[mid] = thread  # Discord gives a message's thread the message's id
        return _json(thread)

    # -- messages

    def _new_message(
        self, cid: str, body: JSON, files: list[tuple[str, bytes]], ix: JSON | None = None
    ) -> JSON:
        fields: JSON = {
            key: body[key] for key in ("embeds", "components", "tts", "nonce") if key in body
        }
        fields["flags"] = int(body.get("flags") or 0)
        fields["attachments"] = self._attachments(cid, body, files, [])
        if ix is not None:  # interaction responses are webhook messages of the application
            fields |= {"webhook_id": self.application_id, "application_id": self.application_id}
            fields["type"] = 20 if ix["type"] == 2 else 0
        channel = self._channel(cid) or {}
        if "guild_id" in channel:
            fields["guild_id"] = channel["guild_id"]
        made = bot_message(cid, body.get("content") or "", **fields) | {"author": self.bot_user}
        self._by_id[made["id"]] = made
        return made

    def _edit(self, target: JSON, body: JSON, files: list[tuple[str, bytes]]) -> None:
        for key in ("content", "embeds", "components", "flags"):
            if key in body:
                target[key] = (
                    body[key] if body[key] is not None else ([] if key != "content" else "")
                )
        if "attachments" in body or files:
            target["attachments"] = self._attachments(
                target["channel_id"], body, files, target["attachments"]
            )
        target["flags"] = int(target.get("flags") or 0) & ~LOADING
        target["edited_timestamp"] = now()

    def _attachments(
        self, cid: str, body: JSON, files: list[tuple[str, bytes]], existing: list[JSON]
    ) -> list[JSON]:
        keep = {str(a.get("id")) for a in body.get("attachments") or []}
        kept = [a for a in existing if a["id"] in keep]
        for name, data in files:
            aid = snowflake()
            url = f"https://cdn.discordapp.com/attachments/{cid}/{aid}/{name}"
            kept.append(
                {"id": aid, "filename": name, "size": len(data), "url": url, "proxy_url": url}
            )
        return kept
