"""``cohort discord`` as a deployer runs it: a process configured by the environment,
serving commands and posting scheduled prompts, against the stand-in on loopback."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests import discord_standin as ds
from tests import processes
from tests.processes import Background, kill, stop


async def _standin(guilds: list[dict[str, Any]] | None = None) -> ds.DiscordStandIn:
    standin = ds.DiscordStandIn(guilds=guilds)
    await standin.start()
    return standin


@pytest.fixture
def background() -> Iterator[Background]:
    made = Background(_standin)
    yield made
    made.close()


def spawn(standin: ds.DiscordStandIn, db: str, *extra: str) -> subprocess.Popen[str]:
    env = {
        "COHORT_DISCORD_TOKEN": standin.token,
        "COHORT_DISCORD_API_BASE": standin.api_base,
        "COHORT_DISCORD_GATEWAY_URL": standin.gateway_url,
    }
    return processes.spawn(["discord", "--db", db, *extra], env)


def schedule_due_prompts(url: str, guild: str, channels: list[str]) -> None:
    processes.schedule_due_prompts(url, f"discord:{guild}", ds.ACTOR["id"], channels)


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
        kill(child)


OTHER_GUILD = "290926798630552303"  # on shard 0 of 2 (Study Hall is on shard 1)


def channels(first: int, count: int) -> list[dict[str, Any]]:
    return [{"id": str(first + i), "name": f"room-{i}", "type": 0} for i in range(count)]


def test_two_shard_processes_share_postgresql_and_post_each_prompt_once(pg_url: str) -> None:
    hall, night = channels(745027906669510000, 15), channels(845027906669510000, 15)
    guilds = [
        {**ds.STUDY_HALL, "channels": ds.STUDY_HALL["channels"] + hall},
        {"id": OTHER_GUILD, "name": "Night School", "owner_id": ds.ACTOR["id"], "channels": night},
    ]
    background = Background(lambda: _standin(guilds))
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
