"""One scheduler process for the crash tests (``tests/test_delivery_crash.py``).

    python -m tests.scheduler_worker <db_url> <sink_url> <owner>
        [--crash-after N [--crash-point before-post|after-post]]
        [--stall-after N --resume-file PATH]

It runs the real runtime path: ``bootstrap`` -> ``scheduler_for`` -> ``ScheduleRunner``
(APScheduler ticking ``run_due``), posting to the test's HTTP sink through
``tests.sink.HttpMessenger``, until it is killed. It prints ``ready`` once the runner has
started. With ``--crash-after N`` it SIGKILLs itself at its N-th post, just before the
request (the delivery is leased, nothing posted) or just after the platform answered (the
message exists, the ledger still says ``sending``); first it prints ``crash <nonce>``.
With ``--stall-after N`` the whole process freezes once its N-th post is made (``stall
<nonce>``) until ``--resume-file`` exists (``resumed``): a sender frozen past its lease.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
import time
from datetime import timedelta
from pathlib import Path

from adapters.bootstrap import bootstrap, scheduler_for
from adapters.runner import ScheduleRunner
from bot.scheduler import Messenger, SchedulerSettings
from bot.types import Post
from storage.engine import is_sqlite
from tests.sink import HttpMessenger

PLATFORM = "sink"
SETTINGS = SchedulerSettings(
    lease=timedelta(seconds=2),
    claim_batch=10,
    workers=2,
    # A post the sink rate-limited eight times in a row is retried soon, not in 30 s.
    backoff=timedelta(milliseconds=200),
    backoff_cap=timedelta(seconds=1),
)


class FaultyMessenger:
    """Passes posts through; at the ``after``-th one, dies or freezes (``fault``)."""

    def __init__(
        self, inner: Messenger, *, after: int, fault: str, resume_file: Path | None = None
    ) -> None:
        self.inner = inner
        self.after = after
        self.fault = fault
        self.resume_file = resume_file
        self.posts = 0
        self.struck = False

    async def send(self, post: Post) -> str | None:
        self.posts += 1
        # ">=" and "once": the N-th post may time out or fail (its lease is short), and then
        # the fault lands on the next post that does go out, instead of never.
        hit = self.posts >= self.after and not self.struck
        if hit and self.fault == "before-post":
            self._die(post)
        message_id = await self.inner.send(post)
        if hit and self.fault == "after-post":
            self._die(post)
        if hit and self.fault == "stall":
            self.struck = True
            self._stall(post)
        return message_id

    @staticmethod
    def _die(post: Post) -> None:
        print(f"crash {post.nonce}", flush=True)
        os.kill(os.getpid(), signal.SIGKILL)

    def _stall(self, post: Post) -> None:
        """Freeze the whole process, event loop and timer too, like SIGSTOP or a long GC."""
        assert self.resume_file is not None
        print(f"stall {post.nonce}", flush=True)
        while not self.resume_file.exists():
            time.sleep(0.05)
        print("resumed", flush=True)


async def serve(args: argparse.Namespace) -> None:
    core = bootstrap(args.db_url, auto_migrate=is_sqlite(args.db_url))
    scheduler = scheduler_for(core, platform=PLATFORM, settings=SETTINGS)
    scheduler.owner = args.owner
    messenger: Messenger = HttpMessenger(args.sink_url)
    if args.crash_after:
        messenger = FaultyMessenger(messenger, after=args.crash_after, fault=args.crash_point)
    elif args.stall_after:
        messenger = FaultyMessenger(
            messenger, after=args.stall_after, fault="stall", resume_file=args.resume_file
        )
    runner = ScheduleRunner(scheduler, messenger, tick_seconds=0.2)
    runner.start()
    print("ready", flush=True)
    await asyncio.Event().wait()  # until SIGTERM or SIGKILL


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.scheduler_worker")
    parser.add_argument("db_url")
    parser.add_argument("sink_url")
    parser.add_argument("owner")
    parser.add_argument("--crash-after", type=int, default=0)
    parser.add_argument(
        "--crash-point", choices=("before-post", "after-post"), default="after-post"
    )
    parser.add_argument("--stall-after", type=int, default=0)
    parser.add_argument("--resume-file", type=Path)
    args = parser.parse_args(argv)
    logging.basicConfig(
        stream=sys.stderr,
        level=logging.WARNING,
        format=f"%(asctime)s {args.owner} %(name)s %(levelname)s %(message)s",
    )
    logging.getLogger("apscheduler").setLevel(logging.ERROR)  # "skipped: already running"
    asyncio.run(serve(args))


if __name__ == "__main__":
    main()
