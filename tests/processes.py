"""Running ``cohort`` as real child processes against a stand-in on a background loop."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from adapters.bootstrap import bootstrap
from bot.clock import FakeClock
from bot.types import Actor

ROOT = Path(__file__).resolve().parent.parent


class Background:
    """A stand-in on its own event loop in a thread, so child processes can use it."""

    def __init__(self, make: Callable[[], Awaitable[Any]]) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.standin = self.call(make())

    def call(self, coroutine: Any, timeout: float = 30) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def close(self) -> None:
        self.call(self.standin.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


def spawn(args: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    """``cohort <args>`` with the environment a deployer would set."""
    return subprocess.Popen(
        [sys.executable, "-m", "adapters.cli", *args],
        cwd=ROOT,
        env={**os.environ, "COHORT_CONFIG": os.devnull, "COHORT_LOGGING_LEVEL": "INFO", **env},
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


def kill(child: subprocess.Popen[str]) -> None:
    if child.poll() is None:
        child.kill()
        print(child.communicate()[0])  # shown when the test fails


def schedule_due_prompts(url: str, community: str, organiser: str, channels: list[str]) -> None:
    """Ten minutes ago an organiser scheduled a prompt per channel for two minutes ago:
    due when the bot starts."""
    now = datetime.now(UTC)
    due = now - timedelta(minutes=2)
    core = bootstrap(url, clock=FakeClock(now - timedelta(minutes=10)))
    actor = Actor(id=organiser, name="organiser", is_admin=True)
    for channel in channels:
        done = core.handle_text(
            f"/prompts schedule <#{channel}> daily {due:%H:%M} --tz UTC",
            community=community,
            channel=channel,
            actor=actor,
        )
        assert not done.reply.is_error, done.reply.text
    core.uow.dispose()  # type: ignore[attr-defined]
