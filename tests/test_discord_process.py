"""``cohort discord`` as a deployer runs it: a process configured by the environment,
serving commands and posting scheduled prompts, against the stand-in on loopback."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from adapters.bootstrap import bootstrap
from bot.clock import FakeClock
from bot.types import Actor
from tests import discord_standin as ds

ROOT = Path(__file__).resolve().parent.parent


class Background:
    """The stand-in on its own event loop in a thread, so a child process can use it."""

    def __init__(self, guilds: list[dict[str, Any]] | None = None) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.standin = self.call(self._start(guilds))

    async def _start(self, guilds: list[dict[str, Any]] | None) -> ds.DiscordStandIn:
        standin = ds.DiscordStandIn(guilds=guilds)
        await standin.start()
        return standin

    def call(self, coroutine: Any, timeout: float = 30) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def close(self) -> None:
        self.call(self.standin.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


@pytest.fixture
def background() -> Iterator[Background]:
    made = Background()
    yield made
    made.close()


def environment(standin: ds.DiscordStandIn) -> dict[str, str]:
    return {
        **os.environ,
        "COHORT_CONFIG": os.devnull,
        "COHORT_DISCORD_TOKEN": standin.token,
        "COHORT_DISCORD_API_BASE": standin.api_base,
        "COHORT_DISCORD_GATEWAY_URL": standin.gateway_url,
        "COHORT_LOGGING_LEVEL": "INFO",
    }


def spawn(standin: ds.DiscordStandIn, db: str, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "adapters.cli", "discord", "--db", db, *extra],
        cwd=ROOT,
        env=environment(standin),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def stop(child: subprocess.Popen[str]) -> str:
    """SIGTERM, as a container stop sends; the output, after a clean exit."""
    if child.poll() is None:
        child.send_signal(signal.SIGTERM)
    output, _ = child.communicate(timeout=30)
    assert child.returncode == 0, output
    assert "Traceback" not in output, output
    return output


def schedule_due_prompts(url: str, guild: str, channels: list[str]) -> None:
    """Ten minutes ago an organiser scheduled a prompt per channel for two minutes ago:
    due when the bot starts."""
    now = datetime.now(UTC)
    due = now - timedelta(minutes=2)
    core = bootstrap(url, clock=FakeClock(now - timedelta(minutes=10)))
    organiser = Actor(id=ds.ACTOR["id"], name="mason", is_admin=True)
    for channel in channels:
        done = core.handle_text(
            f"/prompts schedule <#{channel}> daily {due:%H:%M} --tz UTC",
            community=f"discord:{guild}",
            channel=channel,
            actor=organiser,
        )
        assert not done.reply.is_error, done.reply.text
    core.uow.dispose()  # type: ignore[attr-defined]


def test_cohort_discord_serves_commands_and_posts_what_is_due(
    background: Background, tmp_path: Path
) -> None:
    standin = background.standin
    db = f"sqlite:///{tmp_path / 'cohort.db'}"
    schedule_due_prompts(db, ds.GUILD_ID, [ds.REFLECTIONS_ID])
    child = spawn(standin, db)
    try:
        background.call(standin.wait_ready(1, timeout=30))
        post = background.call(standin.next_post(timeout=30))
        assert post["channel_id"] == ds.REFLECTIONS_ID
        assert post["embeds"][0]["title"] == "Reflection prompt"
        background.call(standin.interaction(ds.slash("group", [ds.sub("list")])))
        answer = background.call(standin.next_callback(timeout=30))
        assert answer.type == 4 and answer.ephemeral
        started = time.monotonic()
        stop(child)
        assert time.monotonic() - started < 10
    finally:
        if child.poll() is None:
            child.kill()
            print(child.communicate()[0])  # shown when the test fails


OTHER_GUILD = "290926798630552303"  # on shard 0 of 2 (Study Hall is on shard 1)


def channels(first: int, count: int) -> list[dict[str, Any]]:
    return [{"id": str(first + i), "name": f"room-{i}", "type": 0} for i in range(count)]


def test_two_shard_processes_share_postgresql_and_post_each_prompt_once(pg_url: str) -> None:
    hall, night = channels(745027906669510000, 15), channels(845027906669510000, 15)
    guilds = [
        {**ds.STUDY_HALL, "channels": ds.STUDY_HALL["channels"] + hall},
        {"id": OTHER_GUILD, "name": "Night School", "owner_id": ds.ACTOR["id"], "channels": night},
    ]
    background = Background(guilds)
    standin = background.standin
    schedule_due_prompts(pg_url, ds.GUILD_ID, [c["id"] for c in hall])
    schedule_due_prompts(pg_url, OTHER_GUILD, [c["id"] for c in night])
    children = [spawn(standin, pg_url, "--shard-ids", str(i), "--shard-count", "2") for i in (0, 1)]
    try:
        background.call(standin.wait_ready(2, timeout=30))
        assert sorted(i["shard"] for i in standin.identifies) == [[0, 2], [1, 2]]
        posts = [background.call(standin.next_post(timeout=30)) for _ in range(30)]
        assert {p["channel_id"] for p in posts} == {c["id"] for c in hall + night}
        for guild, channel in ((ds.GUILD_ID, ds.GENERAL_ID), (OTHER_GUILD, night[0]["id"])):
            ask = ds.slash("group", [ds.sub("list")], guild_id=guild, channel_id=channel)
            background.call(standin.interaction(ask))
            assert background.call(standin.next_callback(timeout=30)).type == 4
        time.sleep(1.0)  # time for a duplicate to show, were there one
        creates = [
            r
            for r in standin.requests
            if r.method == "POST"
            and r.body
            and r.path.endswith("/messages")
            and r.body.get("nonce")
        ]
        nonces = [r.body["nonce"] for r in creates]
        assert len(nonces) == 30 and len(set(nonces)) == 30  # each sent once, by one process
        assert background.call(_queue_empty(standin)) is True  # nothing sent twice
    finally:
        outputs = [stop(child) for child in children]
        background.close()
    assert all("has connected to Gateway" in out for out in outputs)


async def _queue_empty(standin: ds.DiscordStandIn) -> bool:
    return standin.callbacks.empty() and standin.posted.empty()
