"""A loopback stand-in for Slack's Web API, ``response_url``s and Socket Mode, for end-to-end tests.

The unmodified slack-bolt 1.30 ``AsyncApp`` and its aiohttp ``AsyncSocketModeHandler`` run against
it. It binds 127.0.0.1 on an ephemeral port and patches nothing; the app is pointed at it with::

    app = AsyncApp(client=AsyncWebClient(token="xoxb-test", base_url=standin.api_url), ...)

``apps.connections.open`` (app token) answers ``ws://127.0.0.1:PORT/link?ticket=N`` (tickets are
single-use), so Socket Mode needs no patching either. ``send_envelope()`` pushes an envelope to
the live socket and the app's acks arrive on ``acks`` (``next_ack()``); ``disconnect()`` makes the
client reconnect through a new ``apps.connections.open``. For HTTP mode, ``sign()`` and
``post_to()`` drive bolt's own ``web_app()``. Every Web API call lands in ``calls`` and on
``api_calls``; ``response_url`` posts on ``responses``. Module-level builders (``slash``,
``block_actions``, ``view_submission``, ``event``) make payloads shaped like
``/work/shared/payloads/slack/``; their default ``response_url`` points at the most recently
started stand-in. The wire details are in ``/work/shared/testing-platforms.md`` part B.

slack_sdk's ``AsyncWebClient`` retries once on a dropped connection by default
(``AsyncConnectionErrorRetryHandler``), so ``drop_next(method, 1)`` is retried and stores the
message twice; use ``drop_next(method, 2)`` or ``retry_handlers=[]`` to see the error. Close the
socket-mode handler before ``stop()``, or it keeps trying to reconnect.
"""

from __future__ import annotations

import asyncio
import copy
import hashlib
import hmac
import itertools
import json
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, NoReturn
from urllib.parse import urlencode

from aiohttp import ClientSession, WSMsgType, web
from multidict import CIMultiDict

JSON = dict[str, Any]
WS = web.WebSocketResponse
TEAM_ID, APP_ID, BOT_ID, BOT_USER_ID = "T111", "A111", "B111", "UBOT"
NAMES = {"U111": "ana", "U222": "bo", "UADMIN": "boss", "UOWNER": "owen", "UBOT": "cohort"}
ENCODED = ("blocks", "attachments", "metadata", "view")  # JSON-encoded strings in form bodies

_ids = itertools.count(1)
_respond_base = "http://127.0.0.1:9"  # replaced by the latest SlackStandIn.start()


def _n() -> int:
    return next(_ids)


def _json(data: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> web.Response:
    # exactly application/json, like the Discord stand-in; slack_sdk accepts it
    body = json.dumps(data).encode()
    return web.Response(body=body, status=status, headers=headers, content_type="application/json")


def _truthy(value: Any) -> bool:
    return value is True or str(value).lower() in ("1", "true")


def dm_channel_id(user_id: str) -> str:
    """The app's DM channel with a user: "U111" -> "D111" (the builders use the same)."""
    return "D" + user_id[1:]


def slack_user(
    id: str,
    name: str,
    *,
    team_id: str = TEAM_ID,
    admin: bool = False,
    owner: bool = False,
    bot: bool = False,
    tz: str = "UTC",
) -> JSON:
    """A users.info ``user`` object. Workspace owners are admins too, as on Slack."""
    real = name.title()
    profile = {"display_name": name, "real_name": real, "display_name_normalized": name}
    profile |= {"real_name_normalized": real, "team": team_id}
    made: JSON = {"id": id, "team_id": team_id, "name": name, "real_name": real, "deleted": False}
    made |= {"is_admin": admin or owner, "is_owner": owner, "is_primary_owner": owner}
    made |= {"is_bot": bot, "is_app_user": False, "is_restricted": False}
    made |= {"tz": tz, "tz_label": tz, "tz_offset": 0, "profile": profile, "updated": 1700000000}
    return made


# ---- payload builders ------------------------------------------------------------------------


def new_trigger_id() -> str:
    """A fresh trigger_id (views.open accepts each once)."""
    n = _n()
    return f"{n}.1111.{uuid.uuid4().hex[:20]}"


def new_response_url() -> str:
    """A fresh response_url on the most recently started stand-in."""
    return f"{_respond_base}/respond/{_n()}"


def _user_ref(user: str, team: str) -> JSON:
    name = NAMES.get(user, user.lower())
    return {"id": user, "username": name, "name": name, "team_id": team}


def slash(
    command: str,
    text: str = "",
    *,
    user: str = "U111",
    user_name: str | None = None,
    channel: str = "C111",
    channel_name: str = "general",
    team: str = TEAM_ID,
    response_url: str | None = None,
    trigger_id: str | None = None,
) -> JSON:
    """A slash command: the form fields (HTTP mode: ``form_body()``) or the socket payload."""
    fields = {"token": "verification_token", "team_id": team, "team_domain": "study-hall"}
    fields |= {"channel_id": channel, "channel_name": channel_name, "user_id": user}
    fields |= {"user_name": user_name or NAMES.get(user, user.lower()), "command": command}
    fields |= {"text": text, "api_app_id": APP_ID, "is_enterprise_install": "false"}
    fields["response_url"] = response_url or new_response_url()
    fields["trigger_id"] = trigger_id or new_trigger_id()
    return fields


def form_body(fields: Mapping[str, str]) -> str:
    """Urlencoded fields. Beware bolt 1.30's parse_body: a body containing "payload" anywhere
    (e.g. the text "/group payload") is read as ``payload=...``, parses to {}, answers 404."""
    return urlencode(fields)


def interactive_body(payload: JSON) -> str:
    """An interactive payload as Slack posts it over HTTP: ``payload=<urlencoded JSON>``."""
    return urlencode({"payload": json.dumps(payload)})


def block_actions(
    action_id: str,
    value: str,
    *,
    user: str = "U111",
    channel: str = "C111",
    message: JSON | None = None,
    team: str = TEAM_ID,
    trigger_id: str | None = None,
    response_url: str | None = None,
    block_id: str = "b",
    view: JSON | None = None,
) -> JSON:
    """A button press on ``message`` (default: a bot message in ``channel``), or inside the
    modal/home ``view`` when given (no channel, message or response_url then, as on Slack)."""
    action: JSON = {"action_id": action_id, "block_id": block_id, "value": value, "type": "button"}
    action |= {"text": {"type": "plain_text", "text": "Button", "emoji": True}}
    action["action_ts"] = f"{time.time():.6f}"
    payload: JSON = {"type": "block_actions", "user": _user_ref(user, team), "api_app_id": APP_ID}
    payload |= {"token": "verification_token", "trigger_id": trigger_id or new_trigger_id()}
    payload |= {"team": {"id": team, "domain": "study-hall"}, "enterprise": None}
    payload |= {"is_enterprise_install": False, "actions": [action]}
    if view is not None:
        container = {"type": "view", "view_id": view["id"]}
        return payload | {"container": container, "view": copy.deepcopy(view)}
    message = copy.deepcopy(message) if message else _bot_message(f"{time.time():.6f}", "")
    container = {"type": "message", "message_ts": message["ts"], "channel_id": channel}
    payload |= {"container": container | {"is_ephemeral": False}, "message": message}
    payload["channel"] = {"id": channel, "name": "general" if channel == "C111" else channel}
    return payload | {"response_url": response_url or new_response_url()}


def _state_value(value: str | tuple[str, str]) -> JSON:
    if isinstance(value, tuple):
        kind, chosen = value
        option = {"text": {"type": "plain_text", "text": chosen}, "value": chosen}
        return {"type": kind if kind != "select" else "static_select", "selected_option": option}
    return {"type": "plain_text_input", "value": value}


def view_submission(
    callback_id: str,
    values: Mapping[str, Mapping[str, str | tuple[str, str]]],
    *,
    private_metadata: str = "",
    user: str = "U111",
    team: str = TEAM_ID,
    view: JSON | None = None,
) -> JSON:
    """A modal submission; ``values`` is {block_id: {action_id: value}}, a value "text" for a
    plain_text_input or ("select", "value") for a static_select. ``view`` (e.g. one from
    ``views_opened``) gives the submitted view its id, blocks and private_metadata."""
    state = {b: {a: _state_value(v) for a, v in acts.items()} for b, acts in values.items()}
    base = copy.deepcopy(view) if view else _view({"type": "modal"}, f"V{_n():08d}", team)
    base |= {"callback_id": callback_id, "state": {"values": state}}
    base["private_metadata"] = private_metadata or base.get("private_metadata", "")
    payload: JSON = {"type": "view_submission", "team": {"id": team, "domain": "study-hall"}}
    payload |= {"user": _user_ref(user, team), "api_app_id": APP_ID, "token": "verification_token"}
    payload |= {"trigger_id": new_trigger_id(), "view": base, "response_urls": []}
    return payload | {"is_enterprise_install": False, "enterprise": None}


def event(event: JSON, *, team: str = TEAM_ID, event_id: str | None = None) -> JSON:
    """An event_callback body around ``event``, e.g. {"type": "app_home_opened", "user": "U111",
    "channel": "D111", "tab": "home"} (HTTP mode: ``json.dumps`` it, content type JSON)."""
    now = time.time()
    inner = {"event_ts": f"{now:.6f}"} | event
    auth = {"enterprise_id": None, "team_id": team, "user_id": BOT_USER_ID, "is_bot": True}
    body: JSON = {"token": "verification_token", "team_id": team, "api_app_id": APP_ID}
    body |= {"event": inner, "type": "event_callback", "event_id": event_id or f"Ev{_n():08d}"}
    body |= {"event_time": int(now), "is_ext_shared_channel": False}
    body |= {"authorizations": [auth | {"is_enterprise_install": False}]}
    return body | {"event_context": f"4-{inner['type']}-{team}"}


def _bot_message(ts: str, text: str, **fields: Any) -> JSON:
    made: JSON = {"type": "message", "user": BOT_USER_ID, "bot_id": BOT_ID, "app_id": APP_ID}
    return made | {"text": text, "ts": ts, "team": TEAM_ID, "blocks": []} | fields


def _view(view: JSON, view_id: str, team: str, **fields: Any) -> JSON:
    made: JSON = {"id": view_id, "team_id": team, "type": "modal", "blocks": []}
    made |= {"private_metadata": "", "callback_id": "", "state": {"values": {}}}
    made |= {"hash": f"{time.time():.0f}.{uuid.uuid4().hex[:8]}", "title": None}
    made |= {"clear_on_close": False, "notify_on_close": False, "close": None, "submit": None}
    made |= {"previous_view_id": None, "root_view_id": view_id, "app_id": APP_ID}
    made |= {"external_id": "", "app_installed_team_id": team, "bot_id": BOT_ID}
    return made | copy.deepcopy(view) | {"id": view_id} | fields


# ---- records ---------------------------------------------------------------------------------


@dataclass
class Call:
    """One Web API call: query, form and JSON arguments merged (form JSON strings decoded)."""

    method: str
    args: JSON
    token: str | None


@dataclass
class Response:
    """One POST to a response_url: the token is the last path segment."""

    token: str
    body: JSON


@dataclass
class Ephemeral:
    channel: str
    user: str
    text: str | None
    blocks: list[JSON] | None


@dataclass
class ViewCall:
    """views.open / push / update / publish: the view as stored (with its id)."""

    method: str
    view: JSON
    trigger_id: str | None = None
    user_id: str | None = None


@dataclass
class Fault:
    drop: bool
    error: str = "ratelimited"
    status: int = 429
    retry_after: int = 1


Handler = Callable[[Call], Awaitable[JSON]]


# ---- the stand-in ----------------------------------------------------------------------------


class SlackStandIn:
    """Slack's Web API under ``api_url``, response_urls and Socket Mode, on loopback."""

    def __init__(
        self,
        *,
        bot_token: str = "xoxb-test",
        app_token: str = "xapp-1-A111-test",
        signing_secret: str = "test-secret",
        team_id: str = TEAM_ID,
        team_name: str = "Study Hall",
        bot_user_id: str = BOT_USER_ID,
        app_id: str = APP_ID,
    ) -> None:
        self.bot_token, self.app_token, self.signing_secret = bot_token, app_token, signing_secret
        self.team_id, self.team_name = team_id, team_name
        self.bot_user_id, self.app_id = bot_user_id, app_id
        self.clock: Callable[[], float] = time.time  # message ts follow it (strictly increasing)
        self.users: dict[str, JSON] = {}
        self.add_user("U111", "ana")
        self.add_user("U222", "bo")
        self.add_user("UADMIN", "boss", admin=True)
        self.add_user("UOWNER", "owen", owner=True)  # owners are admins too, as on Slack
        self.users[bot_user_id] = slack_user(bot_user_id, "cohort", team_id=team_id, bot=True)
        self.channels: dict[str, JSON] = {}
        self.add_channel("C111", "general")
        self.add_channel("C222", "reflections")
        self.calls: list[Call] = []
        self.api_calls: asyncio.Queue[Call] = asyncio.Queue()
        self.unknown: list[Call] = []
        self.messages: dict[str, list[JSON]] = {}  # by channel id, oldest first
        self.posted: asyncio.Queue[JSON] = asyncio.Queue()  # chat.postMessage results
        self.ephemerals: list[Ephemeral] = []
        self.views: dict[str, JSON] = {}  # every view opened, pushed or published, by id
        self.views_opened: list[ViewCall] = []  # views.open and views.push
        self.views_updated: list[ViewCall] = []
        self.published: list[ViewCall] = []
        self.home: dict[str, JSON] = {}  # user id -> the App Home view last published
        self.responses: asyncio.Queue[Response] = asyncio.Queue()
        self.connections_opened = 0  # apps.connections.open answered
        self.connections = 0  # sockets that got their hello
        self.received: list[JSON] = []  # every socket frame from the client
        self.envelopes: dict[str, JSON] = {}  # envelope id -> the frame sent
        self._sent_at: dict[str, float] = {}
        self._acked_at: dict[str, float] = {}  # the first ack
        self.acks: dict[str, list[JSON]] = {}  # envelope id -> its ack frames
        self._ack_log: list[JSON] = []
        self._taken: dict[int, set[int]] = {}  # id(list) -> indices next_call/next_ack took
        self._sockets: dict[WS, web.Request] = {}  # open, oldest first
        self._retiring: set[WS] = set()  # sent a disconnect: no more envelopes
        self._tickets: set[str] = set()
        self._used_triggers: set[str] = set()
        self._faults: dict[str, list[Fault]] = {}
        self._last_us = 0
        self._runner: web.AppRunner | None = None
        self._methods: dict[str, Handler] = {
            "auth.test": self._auth_test,
            "apps.connections.open": self._connections_open,
            "chat.postMessage": self._post_message,
            "chat.postEphemeral": self._post_ephemeral,
            "chat.update": self._update,
            "conversations.history": self._history,
            "conversations.join": self._join,
            "conversations.open": self._open,
            "conversations.info": self._info,
            "users.info": self._users_info,
            "views.open": self._views_open,
            "views.push": self._views_open,
            "views.update": self._views_update,
            "views.publish": self._views_publish,
            "files.getUploadURLExternal": self._upload_url,
            "files.completeUploadExternal": self._complete_upload,
        }
        self.uploads: dict[str, JSON] = {}  # file id -> filename, bytes, channel once shared
        self.port = 0
        self.api_url = self.base = ""

    # -- lifecycle

    async def start(self) -> None:
        global _respond_base
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/respond/{token}", self._respond)
        app.router.add_get("/link", self._link)
        app.router.add_post("/upload/{file_id}", self._upload)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.port = self._runner.addresses[0][1]
        self.base = f"http://127.0.0.1:{self.port}"
        self.api_url = f"{self.base}/api/"
        _respond_base = self.base

    async def stop(self) -> None:
        for ws in list(self._sockets):
            await ws.close(code=1001)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # -- fixtures

    def add_user(
        self, id: str, name: str, *, admin: bool = False, owner: bool = False, tz: str = "UTC"
    ) -> JSON:
        self.users[id] = slack_user(id, name, team_id=self.team_id, admin=admin, owner=owner, tz=tz)
        return self.users[id]

    def add_channel(self, id: str, name: str, *, member: bool = True) -> JSON:
        """A public channel; ``member=False``: the bot may post (chat:write.public) but not
        read its history until it joins (conversations.join)."""
        channel: JSON = {"id": id, "name": name, "is_channel": True, "is_private": False}
        channel |= {"is_im": False, "is_archived": False, "is_member": member}
        channel["created"] = 1700000000
        self.channels[id] = channel | {"context_team_id": self.team_id}
        return self.channels[id]

    # -- test controls

    def fail_next(
        self,
        method: str,
        n: int = 1,
        error: str = "ratelimited",
        *,
        status: int | None = None,
        retry_after: int = 1,
    ) -> None:
        """Answer the next ``n`` calls of ``method`` with ``{"ok": false, "error": error}``
        without performing them: HTTP 429 + Retry-After for "ratelimited", 200 otherwise."""
        code = status if status is not None else (429 if error == "ratelimited" else 200)
        self._faults.setdefault(method, []).extend([Fault(False, error, code, retry_after)] * n)

    def drop_next(self, method: str, n: int = 1) -> None:
        """Perform the next ``n`` calls of ``method``, then abort the connection unanswered."""
        self._faults.setdefault(method, []).extend([Fault(True)] * n)

    async def next_call(self, method: str | None = None, timeout: float = 5.0) -> Call:
        """The earliest call (of ``method``) not yet returned here (independent of api_calls)."""
        found = await self._take(self.calls, lambda c: method in (None, c.method), timeout)
        return found or self._timeout(f"a {method or 'Web API'} call", timeout)

    async def next_post(self, timeout: float = 5.0) -> JSON:
        return await self._next(self.posted, timeout, "chat.postMessage")

    async def next_response(self, timeout: float = 5.0) -> Response:
        return await self._next(self.responses, timeout, "response_url post")

    async def next_ack(self, envelope_id: str | None = None, timeout: float = 5.0) -> JSON:
        """The earliest ack frame (of ``envelope_id``) not yet returned here."""
        found = await self._take(
            self._ack_log, lambda f: envelope_id in (None, f["envelope_id"]), timeout
        )
        return found or self._timeout(f"an ack of {envelope_id or 'an envelope'}", timeout)

    @property
    def unacked(self) -> set[str]:
        return {eid for eid in self.envelopes if not self.acks.get(eid)}

    def assert_acked_once(self, *envelope_ids: str, within: float | None = 3.0) -> None:
        """Each envelope (default: all sent) got exactly one ack, within Slack's 3 s."""
        for eid in envelope_ids or tuple(self.envelopes):
            count = len(self.acks.get(eid, []))
            if count != 1:
                raise AssertionError(f"envelope {eid} was acked {count} times")
            took = self._acked_at[eid] - self._sent_at[eid]
            if within is not None and took > within:
                raise AssertionError(f"envelope {eid} was acked after {took:.2f}s")

    async def wait_connected(self, n: int = 1, timeout: float = 10.0) -> None:
        """Wait until ``n`` sockets in all have connected (and got their hello)."""
        await self._until(lambda: self.connections >= n, timeout, f"{n} socket connections")

    async def send_envelope(
        self,
        type: str,
        payload: JSON,
        *,
        accepts_response_payload: bool = False,
        retry_attempt: int | None = None,
        retry_reason: str | None = None,
        timeout: float = 5.0,
    ) -> str:
        """Send an envelope ("slash_commands", "interactive", "events_api") to the newest live
        socket, waiting for one during a reconnect. events_api envelopes carry retry_attempt 0
        and retry_reason "" unless given, as Slack sends them."""
        await self._until(lambda: self._live() is not None, timeout, "a live Socket Mode link")
        ws = self._live()
        assert ws is not None
        eid = str(uuid.uuid4())
        frame: JSON = {"envelope_id": eid, "type": type, "payload": payload}
        frame["accepts_response_payload"] = accepts_response_payload
        if type == "events_api":
            retry_attempt = retry_attempt or 0
            retry_reason = retry_reason or ""
        if retry_attempt is not None:
            frame["retry_attempt"] = retry_attempt
        if retry_reason is not None:
            frame["retry_reason"] = retry_reason
        self.envelopes[eid], self._sent_at[eid] = frame, time.monotonic()
        await ws.send_str(json.dumps(frame))
        return eid

    async def disconnect(self, reason: str = "refresh_requested") -> None:
        """Ask the live socket(s) to go: the client opens a new link and closes the old one."""
        frame = {"type": "disconnect", "reason": reason, "debug_info": {"host": "applink-111"}}
        for ws in [ws for ws in self._sockets if ws not in self._retiring]:
            self._retiring.add(ws)
            await ws.send_str(json.dumps(frame))

    async def drop_socket(self, *, abort: bool = False) -> None:
        """Lose the live socket(s) without a disconnect message: close 1011, or abort TCP."""
        for ws in list(self._sockets):
            self._retiring.add(ws)
            transport = self._sockets[ws].transport
            if abort and transport is not None:
                transport.abort()
            else:
                await ws.close(code=1011, message=b"dropped by test")

    def sign(
        self,
        body: str,
        *,
        secret: str | None = None,
        timestamp: int | str | None = None,
        content_type: str = "application/x-www-form-urlencoded",
    ) -> dict[str, str]:
        """Slack's v0 request signature headers for ``body`` (HMAC-SHA256 of v0:ts:body)."""
        ts = str(int(time.time()) if timestamp is None else timestamp)
        key = (secret or self.signing_secret).encode()
        digest = hmac.new(key, f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
        return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"} | {
            "Content-Type": content_type
        }

    async def post_to(
        self, url: str, body: str, headers: Mapping[str, str]
    ) -> tuple[int, str, CIMultiDict[str]]:
        """POST like Slack does to the app's Request URL: (status, text, headers)."""
        async with ClientSession() as session, session.post(url, data=body, headers=headers) as r:
            return r.status, await r.text(), CIMultiDict(r.headers)

    async def _next(self, queue: asyncio.Queue[Any], timeout: float, what: str) -> Any:
        try:
            return await asyncio.wait_for(queue.get(), timeout)
        except TimeoutError:
            raise AssertionError(f"no {what} within {timeout}s") from None

    async def _until(self, check: Callable[[], bool], timeout: float, what: str) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not check():
            if loop.time() > deadline:
                self._timeout(what, timeout)
            await asyncio.sleep(0.01)

    async def _take(self, items: list[Any], match: Callable[[Any], bool], timeout: float) -> Any:
        """The first item matching and not yet taken (marked taken), or None on timeout."""
        taken = self._taken.setdefault(id(items), set())
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() <= deadline:
            for i, item in enumerate(items):
                if i not in taken and match(item):
                    taken.add(i)
                    return item
            await asyncio.sleep(0.01)
        return None

    def _timeout(self, what: str, timeout: float) -> NoReturn:
        raise AssertionError(f"timed out after {timeout}s waiting for {what}")

    # -- HTTP

    async def _api(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        args: JSON = dict(request.query)
        if request.content_type == "application/json":
            args |= await request.json() if request.can_read_body else {}
        elif request.can_read_body:
            form = dict(await request.post())
            args |= {
                k: json.loads(v) if k in ENCODED and isinstance(v, str) and v else v
                for k, v in form.items()
            }
        header = request.headers.get("Authorization", "")
        token = header.removeprefix("Bearer ") if header.startswith("Bearer ") else None
        call = Call(method, args, token or args.pop("token", None))
        self.calls.append(call)
        self.api_calls.put_nowait(call)
        handler = self._methods.get(method)
        if handler is None:
            self.unknown.append(call)
            return _json({"ok": False, "error": "unknown_method", "req_method": method})
        if problem := self._auth_problem(method, call.token):
            return _json({"ok": False, "error": problem})
        faults = self._faults.get(method)
        fault = faults.pop(0) if faults else None
        if fault is not None and not fault.drop:
            headers = {"Retry-After": str(fault.retry_after)} if fault.status == 429 else None
            return _json({"ok": False, "error": fault.error}, fault.status, headers)
        answer = await handler(call)
        if fault is not None and request.transport is not None:  # the unclear failure
            request.transport.abort()
        return _json(answer)

    def _auth_problem(self, method: str, token: str | None) -> str | None:
        wanted = self.app_token if method == "apps.connections.open" else self.bot_token
        if token is None:
            return "not_authed"
        if token in (self.app_token, self.bot_token) and token != wanted:
            return "not_allowed_token_type"
        return None if token == wanted else "invalid_auth"

    async def _respond(self, request: web.Request) -> web.Response:
        body = await request.json() if request.can_read_body else {}
        await self.responses.put(Response(request.match_info["token"], body))
        return web.Response(text="ok")

    async def _link(self, request: web.Request) -> web.StreamResponse:
        ticket = request.query.get("ticket", "")
        if ticket not in self._tickets:
            return web.Response(status=401, text="invalid ticket")
        self._tickets.discard(ticket)
        ws = WS(autoping=True)
        await ws.prepare(request)
        self._sockets[ws] = request
        hello: JSON = {"type": "hello", "num_connections": len(self._sockets)}
        hello |= {"debug_info": {"host": "applink-111", "build_number": 10}}
        hello |= {"connection_info": {"app_id": self.app_id}}
        await ws.send_str(json.dumps(hello))
        self.connections += 1
        try:
            async for msg in ws:
                if msg.type is WSMsgType.TEXT:
                    self._on_frame(json.loads(msg.data))
        finally:
            del self._sockets[ws]
            self._retiring.discard(ws)
        return ws

    def _on_frame(self, frame: JSON) -> None:
        self.received.append(frame)
        eid = frame.get("envelope_id")
        if eid is None:
            return
        self.acks.setdefault(eid, []).append(frame)
        self._ack_log.append(frame)
        self._acked_at.setdefault(eid, time.monotonic())

    def _live(self) -> WS | None:
        live = [ws for ws in self._sockets if ws not in self._retiring and not ws.closed]
        return live[-1] if live else None

    # -- Web API methods

    def _next_ts(self) -> str:
        us = max(int(self.clock() * 1_000_000), self._last_us + 100)
        self._last_us = us
        return f"{us // 1_000_000}.{us % 1_000_000:06d}"

    def _channel(self, ref: Any) -> str | None:
        """A channel id for an id, a "#name", or a user (their DM), None if unknown."""
        ref = str(ref or "")
        if ref in self.channels:
            return ref
        named = [cid for cid, c in self.channels.items() if c["name"] == ref.removeprefix("#")]
        if named:
            return named[0]
        if ref in self.users:
            return dm_channel_id(ref)
        if ref.startswith("D") and f"U{ref[1:]}" in self.users:
            return ref
        return None

    def _find(self, channel: str, ts: Any) -> JSON | None:
        return next((m for m in self.messages.get(channel, []) if m["ts"] == ts), None)

    async def _auth_test(self, call: Call) -> JSON:
        found = {"ok": True, "url": "https://study-hall.slack.com/", "team": self.team_name}
        found |= {"user": "cohort", "team_id": self.team_id, "user_id": self.bot_user_id}
        return found | {"bot_id": BOT_ID, "is_enterprise_install": False}

    async def _connections_open(self, call: Call) -> JSON:
        self.connections_opened += 1
        ticket = str(self.connections_opened)
        self._tickets.add(ticket)
        return {"ok": True, "url": f"ws://127.0.0.1:{self.port}/link?ticket={ticket}"}

    def _content(self, args: JSON) -> JSON:
        found = {k: args[k] for k in ("text", "blocks", "attachments") if args.get(k) is not None}
        if isinstance(args.get("metadata"), dict):
            found["metadata"] = {
                k: args["metadata"].get(k) for k in ("event_type", "event_payload")
            }
        return found

    def _refusal(self, args: JSON) -> str | None:
        if not (args.get("text") or args.get("blocks") or args.get("attachments")):
            return "no_text"
        if len(str(args.get("text") or "")) > 40000:
            return "msg_too_long"
        return "invalid_blocks" if len(args.get("blocks") or []) > 50 else None

    async def _post_message(self, call: Call) -> JSON:
        channel = self._channel(call.args.get("channel"))
        if channel is None:
            return {"ok": False, "error": "channel_not_found"}
        if problem := self._refusal(call.args):
            return {"ok": False, "error": problem}
        message = _bot_message(self._next_ts(), "", team=self.team_id, app_id=self.app_id)
        message |= {"user": self.bot_user_id} | self._content(call.args)
        if call.args.get("thread_ts"):
            message["thread_ts"] = str(call.args["thread_ts"])
        self.messages.setdefault(channel, []).append(message)
        await self.posted.put(copy.deepcopy(message) | {"channel": channel})
        found = {"ok": True, "channel": channel, "ts": message["ts"]}
        return found | {"message": copy.deepcopy(message)}

    async def _post_ephemeral(self, call: Call) -> JSON:
        channel, user = self._channel(call.args.get("channel")), str(call.args.get("user"))
        if channel is None:
            return {"ok": False, "error": "channel_not_found"}
        if user not in self.users:
            return {"ok": False, "error": "user_not_found"}
        if problem := self._refusal(call.args):
            return {"ok": False, "error": problem}
        text, blocks = call.args.get("text"), call.args.get("blocks")
        self.ephemerals.append(Ephemeral(channel, user, text, blocks))
        return {"ok": True, "message_ts": self._next_ts()}

    async def _update(self, call: Call) -> JSON:
        channel = self._channel(call.args.get("channel"))
        if channel is None:
            return {"ok": False, "error": "channel_not_found"}
        message = self._find(channel, call.args.get("ts"))
        if message is None:
            return {"ok": False, "error": "message_not_found"}
        message |= self._content(call.args) | {"edited": {"user": self.bot_user_id}}
        found = {"ok": True, "channel": channel, "ts": message["ts"]}
        return found | {"text": message.get("text", ""), "message": copy.deepcopy(message)}

    async def _join(self, call: Call) -> JSON:
        found = self.channels.get(str(call.args.get("channel")))
        if found is None:
            return {"ok": False, "error": "channel_not_found"}
        if found.get("is_private"):
            return {"ok": False, "error": "method_not_supported_for_channel_type"}
        found["is_member"] = True
        return {"ok": True, "channel": copy.deepcopy(found)}

    async def _history(self, call: Call) -> JSON:
        args, channel = call.args, self._channel(call.args.get("channel"))
        if channel is None:
            return {"ok": False, "error": "channel_not_found"}
        known = self.channels.get(channel)
        if known is not None and not known.get("is_member", True):
            return {"ok": False, "error": "not_in_channel"}  # chat:write.public posts, can't read
        try:
            oldest = Decimal(str(args.get("oldest") or 0))
            latest = Decimal(str(args["latest"])) if args.get("latest") else None
            limit = int(args.get("limit") or 100)
        except (InvalidOperation, ValueError):
            return {"ok": False, "error": "invalid_arguments"}
        inclusive = _truthy(args.get("inclusive"))
        found = []
        for message in reversed(self.messages.get(channel, [])):
            ts = Decimal(message["ts"])
            after = ts > oldest or (inclusive and ts == oldest)
            before = latest is None or ts < latest or (inclusive and ts == latest)
            if not (after and before) or message.get("thread_ts") not in (None, message["ts"]):
                continue  # outside the window, or a thread reply (conversations.replies)
            shown = copy.deepcopy(message)
            if not _truthy(args.get("include_all_metadata")):
                shown.pop("metadata", None)
            found.append(shown)
        answer = {"ok": True, "messages": found[:limit], "has_more": len(found) > limit}
        return answer | {"pin_count": 0, "response_metadata": {"next_cursor": ""}}

    async def _open(self, call: Call) -> JSON:
        users = [u for u in str(call.args.get("users") or "").split(",") if u]
        if len(users) != 1:
            return {"ok": False, "error": "not_implemented" if users else "users_list_not_supplied"}
        if users[0] not in self.users:
            return {"ok": False, "error": "user_not_found"}
        return {"ok": True, "channel": {"id": dm_channel_id(users[0])}}

    async def _info(self, call: Call) -> JSON:
        channel = self._channel(call.args.get("channel"))
        if channel is None or channel != call.args.get("channel"):
            return {"ok": False, "error": "channel_not_found"}
        if channel in self.channels:
            return {"ok": True, "channel": copy.deepcopy(self.channels[channel])}
        im = {"id": channel, "is_im": True, "user": f"U{channel[1:]}", "is_open": True}
        return {"ok": True, "channel": im | {"created": 1700000000, "is_archived": False}}

    async def _users_info(self, call: Call) -> JSON:
        found = self.users.get(str(call.args.get("user")))
        if found is None:
            return {"ok": False, "error": "user_not_found"}
        return {"ok": True, "user": copy.deepcopy(found)}

    def _stored_view(self, args: JSON, view_id: str | None = None) -> JSON:
        view: JSON = args["view"] if isinstance(args.get("view"), dict) else {}
        made = _view(view, view_id or f"V{_n():08d}", self.team_id, app_id=self.app_id)
        self.views[made["id"]] = made
        return made

    async def _views_open(self, call: Call) -> JSON:
        trigger = call.args.get("trigger_id")
        if not trigger or not isinstance(call.args.get("view"), dict):
            return {"ok": False, "error": "invalid_arguments"}
        if trigger in self._used_triggers:
            return {"ok": False, "error": "exchanged_trigger_id"}
        self._used_triggers.add(trigger)
        view = self._stored_view(call.args)
        self.views_opened.append(ViewCall(call.method, copy.deepcopy(view), trigger))
        return {"ok": True, "view": copy.deepcopy(view)}

    async def _views_update(self, call: Call) -> JSON:
        view_id = call.args.get("view_id")
        if not view_id and call.args.get("external_id"):
            external = call.args["external_id"]
            view_id = next((k for k, v in self.views.items() if v["external_id"] == external), None)
        if view_id not in self.views:
            return {"ok": False, "error": "not_found"}
        if call.args.get("hash") and call.args["hash"] != self.views[view_id]["hash"]:
            return {"ok": False, "error": "hash_conflict"}
        view = self._stored_view(call.args, view_id)
        self.views_updated.append(ViewCall(call.method, copy.deepcopy(view)))
        return {"ok": True, "view": copy.deepcopy(view)}

    async def _upload_url(self, call: Call) -> JSON:
        """files_upload_v2, step 1 of 3: where to send the bytes."""
        file_id = f"F{len(self.uploads) + 1:08d}"
        self.uploads[file_id] = {"filename": call.args.get("filename"), "data": None}
        return {"ok": True, "upload_url": f"{self.base}/upload/{file_id}", "file_id": file_id}

    async def _upload(self, request: web.Request) -> web.Response:
        """Step 2: the bytes themselves (no token: the URL is the credential)."""
        found = self.uploads.get(request.match_info["file_id"])
        if found is None:
            return web.Response(status=404, text="no such upload")
        found["data"] = await request.read()
        return web.Response(text="OK - 0")

    async def _complete_upload(self, call: Call) -> JSON:
        """Step 3: share the uploaded files in a channel."""
        files = call.args.get("files")
        files = json.loads(files) if isinstance(files, str) else files or []
        done = []
        for item in files:
            found = self.uploads.get(item["id"])
            if found is None or found["data"] is None:
                return {"ok": False, "error": "file_not_found"}
            found["channel"] = call.args.get("channel_id")
            done.append({"id": item["id"], "name": found["filename"], "title": item.get("title")})
        return {"ok": True, "files": done}

    async def _views_publish(self, call: Call) -> JSON:
        user = str(call.args.get("user_id"))
        if user not in self.users:
            return {"ok": False, "error": "user_not_found"}
        if not isinstance(call.args.get("view"), dict):
            return {"ok": False, "error": "invalid_arguments"}
        old = self.home.get(user)
        view = self._stored_view(call.args, old["id"] if old else None)
        self.home[user] = view
        self.published.append(ViewCall(call.method, copy.deepcopy(view), user_id=user))
        return {"ok": True, "view": copy.deepcopy(view)}
