"""Benchmark the Discord adapter end to end: the real discord.py client against the stand-in.

    .venv/bin/python -m bench.discord_commands [--commands 500] [--throughput 2000] [--wave 50]
                                      [--groups 200] [--autocomplete 300]
                                      [--defer-after-ms 1500] [--pg URL]

(or ``.venv/bin/python bench/discord_commands.py``). On SQLite (a temp file) and, with ``--pg``, on
PostgreSQL (a fresh schema at URL, migrated, dropped after) it starts the stand-in of
``tests/discord_standin.py`` and a connected bot (``tests.discord_bot.running``), seeds
``--groups`` study groups and 20 help requests through the gateway, warms up, then measures:

1. latency: ``--commands`` slash commands one at a time, a mix of ``/group list``, ``/me show``,
   ``/checkin --mood 4``, ``/tutor queue`` and ``/group join`` of an existing group (each join
   by a new user), from ``standin.interaction()`` to the bot's callback arriving at the stand-in;
2. throughput: ``--throughput`` commands of the same mix, ``--wave`` users at a time (each wave
   sent at once, the next when all are answered): total time and commands/s;
3. autocomplete: ``--autocomplete`` requests for ``/group join``'s name with the groups existing.

Each row: p50/p95/p99/max ms, deferred (callback type 5; none expected at the default
``--defer-after-ms``), error answers; then the process's peak RSS so far (``ru_maxrss``, over
both databases). It only measures: the exit status is 0 whatever the numbers.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR.parent))  # tests/ is not an installed package

import pytest  # noqa: E402

from bench import databases  # noqa: E402
from tests import discord_standin as ds  # noqa: E402
from tests.discord_bot import Running, running  # noqa: E402

JSON = dict[str, Any]
SUBJECTS = ("Linear Algebra", "Calculus", "Statistics", "Algorithms", "Databases", "Physics")
TOPICS = ("recursion", "sql joins", "pointers", "integrals", "proofs")
TYPED = ("", "a", "alg", "lin", "calc", "stat", "data", "phys", "algorithms 1", "zz")
ERROR_COLOUR = 0xED4245
USERS = 50  # the members who run everything but joins (at least a wave's worth)
KINDS = ("group list", "me show", "checkin", "tutor queue", "group join")


def pct(ms: list[float], q: float) -> float:
    ordered = sorted(ms)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


def person(n: int) -> JSON:
    return ds.user(str(700_000_000_000_000_000 + n), f"user{n}", f"User {n}")


def group_name(i: int) -> str:
    return f"{SUBJECTS[i % len(SUBJECTS)]} {i // len(SUBJECTS) + 1}"


@dataclass
class Stats:
    name: str
    ms: list[float]
    deferred: int
    errors: int
    seconds: float

    def row(self) -> str:
        shown = [f"{pct(self.ms, q):.1f}" for q in (0.5, 0.95, 0.99)]
        shown.append(f"{max(self.ms, default=0.0):.1f}")
        rate = f"{len(self.ms) / self.seconds if self.seconds else 0.0:.0f}"
        counts = (self.deferred, self.errors, f"{self.seconds:.2f}", rate)
        return ROW.format(self.name, len(self.ms), *shown, *counts)


ROW = "{:<14}{:>6} {:>8} {:>8} {:>8} {:>8} {:>6} {:>6} {:>8} {:>8}"
HEADER = ROW.format(
    "", "n", "p50 ms", "p95 ms", "p99 ms", "max ms", "defer", "errors", "total s", "per s"
)


class Answers:
    """Matches the bot's first callback to each interaction by token, as it arrives."""

    def __init__(self, bot: Running) -> None:
        self.bot = bot
        self.waiting: dict[str, asyncio.Future[tuple[float, ds.Callback]]] = {}
        self.pump = asyncio.ensure_future(self._pump())

    async def _pump(self) -> None:
        while True:
            callback = await self.bot.standin.callbacks.get()
            if callback.kind != "callback":
                continue  # the rest of a deferred answer
            found = self.waiting.pop(callback.token, None)
            if found is not None and not found.done():
                found.set_result((time.perf_counter(), callback))

    async def ask(self, payload: JSON) -> tuple[float, ds.Callback]:
        """Send one interaction; (ms until its callback, the callback)."""
        answer = asyncio.get_running_loop().create_future()
        self.waiting[payload["token"]] = answer
        start = time.perf_counter()
        await self.bot.standin.interaction(payload)
        end, callback = await asyncio.wait_for(answer, 30)
        return (end - start) * 1000, callback

    async def measure(self, name: str, waves: list[list[JSON]]) -> Stats:
        """Each wave at once, the next when all of it is answered."""
        ms: list[float] = []
        deferred = errors = 0
        start = time.perf_counter()
        for wave in waves:
            for took, callback in await asyncio.gather(*(self.ask(p) for p in wave)):
                ms.append(took)
                deferred += callback.type == 5
                embeds = callback.data.get("embeds") or [{}]
                errors += embeds[0].get("color") == ERROR_COLOUR
        return Stats(name, ms, deferred, errors, time.perf_counter() - start)

    async def close(self) -> None:
        self.pump.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.pump


class Mix:
    """The command mix; every join is by a user never seen before, of an existing group."""

    def __init__(self, groups: int) -> None:
        self.groups = groups
        self.joiners = itertools.count(100_000)

    def command(self, i: int, who: JSON) -> JSON:
        kind = KINDS[i % len(KINDS)]
        if kind == "group join":
            name = ds.opt("name", group_name(i % self.groups))
            return ds.slash("group", [ds.sub("join", [name])], user=person(next(self.joiners)))
        if kind == "checkin":
            return ds.slash("checkin", [ds.opt("mood", 4)], user=who)
        top, sub = kind.split()
        return ds.slash(top, [ds.sub(sub)], user=who)


def waves_of(count: int, size: int, make: Callable[[int, JSON], JSON]) -> list[list[JSON]]:
    """``count`` payloads in waves of ``size``; consecutive ones are by different users."""
    users = max(size, USERS)
    made = [make(i, person(i % users)) for i in range(count)]
    return [made[i : i + size] for i in range(0, count, size)]


async def bench(url: str, args: argparse.Namespace) -> list[Stats]:
    monkeypatch = pytest.MonkeyPatch()
    try:
        async with running(monkeypatch, url, defer_after_ms=args.defer_after_ms) as bot:
            answers = Answers(bot)
            try:
                return await scenarios(answers, args)
            finally:
                await answers.close()
    finally:
        monkeypatch.undo()


async def scenarios(answers: Answers, args: argparse.Namespace) -> list[Stats]:
    def create(i: int, who: JSON) -> JSON:
        return ds.slash("group", [ds.sub("create", [ds.opt("name", group_name(i))])], user=who)

    def request(i: int, who: JSON) -> JSON:
        options = [ds.opt("topic", TOPICS[i % len(TOPICS)]), ds.opt("details", f"stuck on {i}")]
        return ds.slash("tutor", [ds.sub("request", options)], user=who)

    def typing(i: int, who: JSON) -> JSON:
        name = ds.opt("name", TYPED[i % len(TYPED)])
        return ds.autocomplete("group", [ds.sub("join", [name])], user=who)

    mix = Mix(args.groups)
    seeds = [
        await answers.measure("groups", waves_of(args.groups, args.wave, create)),
        await answers.measure("requests", waves_of(20, args.wave, request)),
        await answers.measure("warm-up", waves_of(50, 1, mix.command)),
    ]
    if failed := [f"{s.name} {s.errors}" for s in seeds if s.errors]:
        print(f"seeding answered errors: {', '.join(failed)}")
    return [
        await answers.measure("latency", waves_of(args.commands, 1, mix.command)),
        await answers.measure("throughput", waves_of(args.throughput, args.wave, mix.command)),
        await answers.measure("autocomplete", waves_of(args.autocomplete, 1, typing)),
    ]


def report(title: str, stats: list[Stats]) -> None:
    print(f"\n== {title}\n{HEADER}", *(one.row() for one in stats), sep="\n")
    print(databases.peak_rss())


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--commands", type=int, default=500, help="sequential commands")
    parser.add_argument("--throughput", type=int, default=2000, help="commands sent in waves")
    parser.add_argument("--wave", type=int, default=50, help="users (commands) per wave")
    parser.add_argument("--groups", type=int, default=200, help="study groups seeded")
    parser.add_argument("--autocomplete", type=int, default=300, help="autocomplete requests")
    parser.add_argument("--defer-after-ms", type=int, default=1500, help="the bot's setting")
    parser.add_argument("--pg", metavar="URL", help="also run on PostgreSQL at URL")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    print(
        f"commands {args.commands}, throughput {args.throughput} in waves of {args.wave}, "
        f"groups {args.groups}, autocomplete {args.autocomplete}, "
        f"defer after {args.defer_after_ms} ms"
    )
    databases.each(args.pg, lambda url: bench(url, args), report)


if __name__ == "__main__":
    main()
