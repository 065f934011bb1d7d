"""Benchmark the Slack adapter end to end: the real slack-bolt app against the stand-in.

    .venv/bin/python -m bench.slack_commands [--commands 500] [--throughput 1000] [--wave 50]
                                    [--http 300] [--groups 200] [--pg URL]

(or ``.venv/bin/python bench/slack_commands.py``). On SQLite (a temp file) and, with ``--pg``, on
PostgreSQL (a fresh schema at URL, migrated, dropped after) it starts the stand-in of
``tests/slack_standin.py`` and the app over Socket Mode (``tests.slack_bot.running``), seeds
``--groups`` study groups and 20 help requests through it, warms up, then measures:

1. latency: ``--commands`` slash commands one at a time, a mix of ``/group list``,
   ``/cohort me``, ``/checkin --mood 4``, ``/tutor queue`` and ``/group join`` of an existing
   group (each join by a new user), each timed from the envelope sent to its ack frame
   received ("ack": Slack's 3-second rule) and to the post to its response_url ("answer");
2. throughput: ``--throughput`` commands of the same mix, ``--wave`` different users at a time
   (each wave sent at once, the next when all are answered): total time and commands/s;
3. HTTP mode: the app served over HTTP (``running(url, http=True)``, same database) and
   ``--http`` signed slash commands of the mix POSTed one at a time, after a warm-up: from the
   POST to its status 200 ("ack") and to the response_url post ("answer").

Every command also makes the app refresh the member's App Home (``views.publish``) in the
background, as it does live; that stays part of the load. Ack times are the stand-in's own
send/ack stamps (the ones ``assert_acked_once`` holds to 3 s). Each row: p50/p95/p99/max ms,
how many took over 3 s, error answers (replies the core marked as errors), total s, per s;
then the Web API calls the app made, and the process's peak RSS so far (``ru_maxrss``, over
both databases; the stand-in runs in this process too). It only measures: the exit status
is 0 whatever the numbers.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR.parent))  # tests/ is not an installed package

import pytest  # noqa: E402

from bench import databases  # noqa: E402
from bot.types import Outcome  # noqa: E402
from tests import slack_standin as ss  # noqa: E402
from tests.slack_bot import Running, running  # noqa: E402

JSON = dict[str, Any]
SUBJECTS = ("Linear Algebra", "Calculus", "Statistics", "Algorithms", "Databases", "Physics")
TOPICS = ("recursion", "sql joins", "pointers", "integrals", "proofs")
USERS = 50  # the members who run everything but joins (at least a wave's worth)
KINDS = ("group list", "cohort me", "checkin", "tutor queue", "group join")
SLACK_ACK_S = 3.0
TIMEOUT_S = 30.0


def pct(ms: list[float], q: float) -> float:
    ordered = sorted(ms)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


def member(n: int) -> str:
    return f"UM{n:05d}"


def group_name(i: int) -> str:
    return f"{SUBJECTS[i % len(SUBJECTS)]} {i // len(SUBJECTS) + 1}"


def token_of(response_url: str) -> str:
    return response_url.rsplit("/", 1)[-1]


@dataclass
class Stats:
    name: str
    ms: list[float]
    errors: int
    seconds: float

    def row(self) -> str:
        shown = [f"{pct(self.ms, q):.1f}" for q in (0.5, 0.95, 0.99)]
        shown.append(f"{max(self.ms, default=0.0):.1f}")
        late = sum(m > SLACK_ACK_S * 1000 for m in self.ms)
        rate = f"{len(self.ms) / self.seconds if self.seconds else 0.0:.0f}"
        return ROW.format(
            self.name, len(self.ms), *shown, late, self.errors, f"{self.seconds:.2f}", rate
        )


ROW = "{:<18}{:>6} {:>8} {:>8} {:>8} {:>8} {:>6} {:>6} {:>8} {:>8}"
HEADER = ROW.format(
    "", "n", "p50 ms", "p95 ms", "p99 ms", "max ms", ">3 s", "errors", "total s", "per s"
)


@dataclass
class Timing:
    ack_ms: float
    answer_ms: float
    error: bool


class Answers:
    """Matches each response_url post to its command by the URL's token, as it arrives, and
    notes which answers the core marked as errors (watching the app's ``_answer``)."""

    def __init__(self, bot: Running, monkeypatch: pytest.MonkeyPatch) -> None:
        self.bot = bot
        self.waiting: dict[str, asyncio.Future[float]] = {}
        self.errors: set[str] = set()
        answer = bot.cohort._answer

        async def watched(place: Any, outcome: Outcome) -> None:
            if outcome.reply.is_error and place.response_url:
                self.errors.add(token_of(place.response_url))
            await answer(place, outcome)

        monkeypatch.setattr(bot.cohort, "_answer", watched)
        self.pump = asyncio.ensure_future(self._pump())

    async def _pump(self) -> None:
        while True:
            response = await self.bot.standin.responses.get()
            found = self.waiting.pop(response.token, None)
            if found is not None and not found.done():
                found.set_result(time.monotonic())

    def expect(self, fields: JSON) -> tuple[str, asyncio.Future[float]]:
        token = token_of(fields["response_url"])
        answered = asyncio.get_running_loop().create_future()
        self.waiting[token] = answered
        return token, answered

    async def socket(self, fields: JSON) -> Timing:
        """One slash command envelope over Socket Mode."""
        standin = self.bot.standin
        token, answered = self.expect(fields)
        eid = await standin.send_envelope("slash_commands", fields, accepts_response_payload=True)
        answer_at = await asyncio.wait_for(answered, TIMEOUT_S)
        deadline = time.monotonic() + TIMEOUT_S
        while eid not in standin._acked_at:  # normally acked before it is answered
            if time.monotonic() > deadline:
                raise TimeoutError(f"envelope {eid} was never acked")
            await asyncio.sleep(0.001)
        sent = standin._sent_at[eid]
        ack_ms = (standin._acked_at[eid] - sent) * 1000
        return Timing(ack_ms, (answer_at - sent) * 1000, token in self.errors)

    async def http(self, fields: JSON) -> Timing:
        """One signed slash command POSTed to the app's Request URL."""
        standin, url = self.bot.standin, self.bot.url
        assert url is not None
        token, answered = self.expect(fields)
        body = ss.form_body(fields)
        headers = standin.sign(body)
        start = time.monotonic()
        status, text, _ = await standin.post_to(url, body, headers)
        acked = time.monotonic()
        if status != 200:
            raise RuntimeError(f"HTTP {status}: {text[:200]}")
        answer_at = await asyncio.wait_for(answered, TIMEOUT_S)
        return Timing((acked - start) * 1000, (answer_at - start) * 1000, token in self.errors)

    async def measure(
        self, name: str, waves: list[list[JSON]], ask: Callable[[JSON], Awaitable[Timing]]
    ) -> tuple[Stats, Stats]:
        """Each wave at once, the next when all of it is answered: (acks, answers)."""
        acks: list[float] = []
        answers: list[float] = []
        errors = 0
        start = time.perf_counter()
        for wave in waves:
            for timing in await asyncio.gather(*(ask(f) for f in wave)):
                acks.append(timing.ack_ms)
                answers.append(timing.answer_ms)
                errors += timing.error
        seconds = time.perf_counter() - start
        return Stats(f"{name} ack", acks, errors, seconds), Stats(
            f"{name} answer", answers, errors, seconds
        )

    async def close(self) -> None:
        self.pump.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.pump


class Mix:
    """The command mix; every join is by a user never seen before, of an existing group.
    Every user is known to the stand-in's users.info (and views.publish)."""

    def __init__(self, groups: int) -> None:
        self.groups = groups
        self.joiners = itertools.count(1)
        self.standin: ss.SlackStandIn | None = None

    def use(self, standin: ss.SlackStandIn, users: int) -> None:
        self.standin = standin
        for n in range(users):
            standin.add_user(member(n), f"member{n}")

    def command(self, i: int, who: str) -> JSON:
        assert self.standin is not None
        kind = KINDS[i % len(KINDS)]
        if kind == "group join":
            n = next(self.joiners)
            joiner = self.standin.add_user(f"UJ{n:06d}", f"joiner{n}")["id"]
            return ss.slash("/group", f'join "{group_name(i % self.groups)}"', user=joiner)
        if kind == "checkin":
            return ss.slash("/checkin", "--mood 4", user=who)
        top, sub = kind.split()
        return ss.slash(f"/{top}", sub, user=who)


def waves_of(count: int, size: int, make: Callable[[int, str], JSON]) -> list[list[JSON]]:
    """``count`` payloads in waves of ``size``; consecutive ones are by different users."""
    users = max(size, USERS)
    made = [make(i, member(i % users)) for i in range(count)]
    return [made[i : i + size] for i in range(0, count, size)]


def api_calls(bot: Running) -> str:
    counts = Counter(call.method for call in bot.standin.calls)
    return ", ".join(f"{method} {n}" for method, n in counts.most_common())


async def bench(url: str, args: argparse.Namespace) -> tuple[list[Stats], list[str]]:
    mix = Mix(args.groups)
    stats: list[Stats] = []
    notes: list[str] = []
    users = max(args.wave, USERS)
    monkeypatch = pytest.MonkeyPatch()
    try:
        async with running(url) as bot:
            mix.use(bot.standin, users)
            answers = Answers(bot, monkeypatch)
            try:
                stats += await socket_mode(answers, mix, args)
            finally:
                await answers.close()
        notes.append(f"Web API calls, Socket Mode run: {api_calls(bot)}")
        monkeypatch.undo()
        async with running(url, http=True) as bot:
            mix.use(bot.standin, users)
            answers = Answers(bot, monkeypatch)
            try:
                await answers.measure("warm-up", waves_of(50, 1, mix.command), answers.http)
                latency = waves_of(args.http, 1, mix.command)
                stats += await answers.measure("http", latency, answers.http)
            finally:
                await answers.close()
        notes.append(f"Web API calls, HTTP run: {api_calls(bot)}")
    finally:
        monkeypatch.undo()
    return stats, notes


async def socket_mode(answers: Answers, mix: Mix, args: argparse.Namespace) -> list[Stats]:
    def create(i: int, who: str) -> JSON:
        return ss.slash("/group", f'create "{group_name(i)}"', user=who)

    def request(i: int, who: str) -> JSON:
        return ss.slash("/tutor", f'request {TOPICS[i % len(TOPICS)]} "stuck on {i}"', user=who)

    ask = answers.socket
    seeds = [
        *await answers.measure("groups", waves_of(args.groups, args.wave, create), ask),
        *await answers.measure("requests", waves_of(20, args.wave, request), ask),
        *await answers.measure("warm-up", waves_of(50, 1, mix.command), ask),
    ]
    if failed := [f"{s.name} {s.errors}" for s in seeds[::2] if s.errors]:
        print(f"seeding answered errors: {', '.join(failed)}")
    return [
        *await answers.measure("socket", waves_of(args.commands, 1, mix.command), ask),
        *await answers.measure("wave", waves_of(args.throughput, args.wave, mix.command), ask),
    ]


def report(title: str, result: tuple[list[Stats], list[str]]) -> None:
    stats, notes = result
    print(f"\n== {title}\n{HEADER}", *(one.row() for one in stats), *notes, sep="\n")
    print(databases.peak_rss())


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--commands", type=int, default=500, help="sequential commands")
    parser.add_argument("--throughput", type=int, default=1000, help="commands sent in waves")
    parser.add_argument("--wave", type=int, default=50, help="users (commands) per wave")
    parser.add_argument("--http", type=int, default=300, help="sequential HTTP-mode commands")
    parser.add_argument("--groups", type=int, default=200, help="study groups seeded")
    parser.add_argument("--pg", metavar="URL", help="also run on PostgreSQL at URL")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    print(
        f"commands {args.commands}, throughput {args.throughput} in waves of {args.wave}, "
        f"http {args.http}, groups {args.groups}"
    )
    databases.each(args.pg, lambda url: bench(url, args), report)


if __name__ == "__main__":
    main()
