"""A local stand-in for a chat platform's message API, and the client the scheduler posts
through in crash tests and ``bench/fanout.py``. Loopback only, port 0.

The sink behaves like Discord's Create Message where it matters to exactly-once delivery:
a message carrying ``nonce`` with ``enforce_nonce`` is created once; a repeat returns the
message already made. It enforces a rate limit as a token bucket, answering 429 with
``retry_after`` and ``X-RateLimit-*`` headers, and can be told to fail a channel.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

from bot.scheduler import SendFailed
from bot.types import Post


@dataclass
class Bucket:
    """``rate`` tokens a second, holding at most ``burst``."""

    rate: float
    burst: float
    tokens: float = 0.0
    stamp: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        self.tokens = self.burst

    def take(self) -> float:
        """0 if a token was taken, else the seconds until one is free."""
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate


class Sink:
    """Records every message; safe to read from other threads."""

    def __init__(self, *, rate: float | None = None, burst: float = 10) -> None:
        self.bucket = Bucket(rate, burst) if rate else None
        self.lock = threading.Lock()
        self.created: list[dict[str, Any]] = []
        self.by_nonce: dict[str, dict[str, Any]] = {}
        self.attempts = 0
        self.rate_limited = 0
        self.failing: dict[str, int] = {}  # channel -> status to answer with
        self.first_at: float | None = None
        self.last_at: float | None = None

    def nonces(self) -> Counter[str]:
        with self.lock:
            return Counter(m["nonce"] for m in self.created if m.get("nonce"))

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/channels/{target}/messages", self._create)
        app.router.add_post("/users/{target}/messages", self._create)
        app.router.add_get("/stats", self._stats)
        return app

    async def _create(self, request: web.Request) -> web.Response:
        body = await request.json()
        target = request.match_info["target"]
        with self.lock:
            self.attempts += 1
            if target in self.failing:
                return web.json_response({"message": "Missing Access"}, status=self.failing[target])
            if self.bucket is not None:
                wait = self.bucket.take()
                if wait:
                    self.rate_limited += 1
                    return web.json_response(
                        {"message": "You are being rate limited.", "retry_after": wait},
                        status=429,
                        headers={"Retry-After": f"{wait:.3f}", "X-RateLimit-Remaining": "0"},
                    )
            nonce = body.get("nonce")
            if nonce and body.get("enforce_nonce") and nonce in self.by_nonce:
                return web.json_response(self.by_nonce[nonce])  # Discord: no new message
            now = time.monotonic()
            self.first_at = self.first_at or now
            self.last_at = now
            message = {"id": str(len(self.created) + 1), "target": target, **body}
            self.created.append(message)
            if nonce:
                self.by_nonce[nonce] = message
            remaining = int(self.bucket.tokens) if self.bucket else 1000
        return web.json_response(message, headers={"X-RateLimit-Remaining": str(remaining)})

    async def _stats(self, _request: web.Request) -> web.Response:
        with self.lock:
            return web.json_response({"created": len(self.created), "attempts": self.attempts})


class SinkServer:
    """Runs a ``Sink`` on 127.0.0.1, port 0, in a thread of its own."""

    def __init__(self, sink: Sink) -> None:
        self.sink = sink
        self.url = ""
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> SinkServer:
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("sink did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._loop is not None
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def _serve(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        runner = web.AppRunner(self.sink.app(), access_log=None)
        loop.run_until_complete(runner.setup())
        site = web.TCPSite(runner, "127.0.0.1", 0)
        loop.run_until_complete(site.start())
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        self._ready.set()
        loop.run_forever()
        loop.run_until_complete(runner.cleanup())
        loop.close()


class HttpMessenger:
    """Posts like a Discord REST client: nonce with ``enforce_nonce``, waits out 429s."""

    def __init__(self, base_url: str, *, tries: int = 8) -> None:
        self.base_url = base_url
        self.tries = tries
        self.session: aiohttp.ClientSession | None = None
        self.pause_until = 0.0

    async def send(self, post: Post) -> str | None:
        if self.session is None:
            self.session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=64),
                timeout=aiohttp.ClientTimeout(total=10),
            )
        targets = [f"/channels/{post.channel}"] if post.channel else []
        targets += [f"/users/{member}" for member in post.to_members]
        message_id = None
        for target in targets:
            message_id = await self._post(target, post)
        return message_id

    async def _post(self, target: str, post: Post) -> str:
        assert self.session is not None
        body = {"content": post.text, "nonce": post.nonce, "enforce_nonce": bool(post.nonce)}
        for _ in range(self.tries):
            wait = self.pause_until - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            try:
                async with self.session.post(f"{self.base_url}{target}/messages", json=body) as r:
                    data = await r.json()
                    if r.status == 429:
                        self.pause_until = time.monotonic() + float(data["retry_after"])
                        continue
                    if r.status >= 500:
                        raise SendFailed(f"HTTP {r.status}")
                    if r.status >= 400:
                        raise SendFailed(f"HTTP {r.status}: {data.get('message')}", permanent=True)
                    if r.headers.get("X-RateLimit-Remaining") == "0":
                        self.pause_until = time.monotonic() + 0.001
                    return str(data["id"])
            except aiohttp.ClientError as error:
                raise SendFailed(f"connection: {error}") from None
        raise SendFailed("still rate limited")

    async def close(self) -> None:
        if self.session is not None:
            await self.session.close()
            self.session = None
