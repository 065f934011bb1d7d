"""Benchmark the scheduler's fan-out: N prompt posts due in the same minute, one rate limit.

    .venv/bin/python bench/fanout.py [--schedules 10000] [--rate 1000] [--db sqlite|postgres]
                                     [--workers 8] [--claim-batch 50] [--dispatch-batch 200]
                                     [--client aiohttp|raw] [--profile FILE]

1. Starts the HTTP sink of ``tests/sink.py`` in a process of its own (this script with
   ``--serve-sink``), so it does not share the bot's GIL. It enforces ``--rate`` posts a second
   as a token bucket of ``--burst`` and answers 429 with ``retry_after`` past it.
2. Makes a fresh database (a SQLite file under bench/, or a PostgreSQL schema of its own at
   PG_URL, dropped afterwards) and seeds it with SQLAlchemy Core: one community per
   ``--per-community`` schedules, and N daily prompt schedules, one channel each, all due at
   the current UTC minute.
3. Runs one ``Scheduler.run_due`` pass (dispatch in batches while workers claim, send and
   finish what is already committed, until nothing is due) through a messenger that paces
   itself to the rate, as a REST client does, and still waits out any 429; it is timed from
   the start of the pass to its end.
4. Asks the sink what it got and prints the numbers: time against the bound N/rate, 429s,
   duplicates (a channel posted twice), misses (a channel never posted), peak RSS of this
   process (the bot; the sink's memory is its own), and where the CPU went. It only
   measures: the exit status is 0 whatever the numbers.

The defaults are ``SchedulerSettings``' own (8 workers, claim batch 50, dispatch batch 200),
the fastest measured here. ``--client raw`` swaps aiohttp for hand-written HTTP/1.1, a
floor for what posting costs the bot.
``--profile FILE`` runs the pass under cProfile with the scheduler's threads inlined (so
one profiler sees everything): its times are not the benchmark's.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import pstats
import resource
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR.parent))  # tests.sink is not an installed package

import aiohttp  # noqa: E402
from aiohttp import web  # noqa: E402
from sqlalchemy import func, insert, select  # noqa: E402

from adapters.bootstrap import bootstrap, scheduler_for  # noqa: E402
from bot.clock import SystemClock  # noqa: E402
from bot.scheduler import Scheduler, SchedulerSettings, SendFailed  # noqa: E402
from bot.types import Post  # noqa: E402
from storage.engine import SqlUnitOfWork  # noqa: E402
from storage.models import Community, Delivery, PromptPost, Schedule  # noqa: E402
from storage.statements import table  # noqa: E402
from tests.pg import fresh_schema  # noqa: E402
from tests.sink import Sink  # noqa: E402

PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PLATFORM = "bench"
PACK = "weekly-reflection"
TARGET_RATIO = 1.1
CM, S, D, P = table(Community), table(Schedule), table(Delivery), table(PromptPost)


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def machine_cpu_seconds() -> float:
    """CPU time every process on the machine has used since boot (Linux), 0 elsewhere."""
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    except OSError:
        return 0.0
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(f) for f in fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


# -- the sink, in its own process ------------------------------------------------------------------
class BenchSink(Sink):
    """``tests.sink.Sink`` plus ``GET /report?expect=N``: what arrived, per channel."""

    def app(self) -> web.Application:
        app = super().app()
        app.router.add_get("/report", self._report)
        return app

    async def _report(self, request: web.Request) -> web.Response:
        expect = int(request.query.get("expect", "0"))
        with self.lock:
            per_channel = Counter(m["target"] for m in self.created)
            created, attempts, limited = len(self.created), self.attempts, self.rate_limited
            first_at, last_at = self.first_at, self.last_at
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return web.json_response(
            {
                "cpu_s": usage.ru_utime + usage.ru_stime,
                "created": created,
                "attempts": attempts,
                "rate_limited": limited,
                # an attempt that was neither limited nor created repeated a nonce: Discord
                # would drop it silently, so it is not a duplicate, but it is counted
                "nonce_repeats": attempts - limited - created,
                "duplicates": sum(n - 1 for n in per_channel.values()),
                "misses": sum(1 for i in range(expect) if f"ch{i}" not in per_channel),
                "strays": sum(1 for c in per_channel if not _expected(c, expect)),
                "first_at": first_at,
                "last_at": last_at,
            }
        )


def _expected(channel: str, expect: int) -> bool:
    return channel.startswith("ch") and channel[2:].isdigit() and int(channel[2:]) < expect


def serve_sink(rate: float, burst: float) -> None:
    """Print the port, then serve until stdin closes (the parent exits or is done)."""

    async def main() -> None:
        runner = web.AppRunner(BenchSink(rate=rate, burst=burst).app(), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        print(runner.addresses[0][1], flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
        await runner.cleanup()

    asyncio.run(main())


@contextmanager
def sink_process(rate: float, burst: float) -> Iterator[str]:
    """The sink in a child process; yields its base URL."""
    command = [sys.executable, __file__, "--serve-sink", "--rate", str(rate), "--burst", str(burst)]
    child = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        port = child.stdout.readline().strip()
        if not port.isdigit():
            raise RuntimeError(f"the sink did not start (said {port!r})")
        yield f"http://127.0.0.1:{port}"
    finally:
        assert child.stdin is not None
        child.stdin.close()  # the sink's cue to stop
        try:
            child.wait(10)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


async def sink_report(base_url: str, expect: int) -> dict[str, Any]:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{base_url}/report", params={"expect": str(expect)}) as r,
    ):
        return dict(await r.json())


# -- the client ------------------------------------------------------------------------------------
class AiohttpTransport:
    """What discord.py posts through: an aiohttp session with keep-alive connections."""

    def __init__(self, base_url: str, connections: int) -> None:
        self.base_url = base_url
        self.session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=connections),
            timeout=aiohttp.ClientTimeout(total=10),
        )

    async def post(self, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        try:
            async with self.session.post(f"{self.base_url}{path}", json=body) as r:
                return r.status, await r.json()
        except aiohttp.ClientError as error:
            raise SendFailed(f"connection: {error}") from None

    async def close(self) -> None:
        await self.session.close()


class RawTransport:
    """HTTP/1.1 by hand over keep-alive asyncio streams: a floor for what posting costs."""

    def __init__(self, base_url: str, connections: int) -> None:
        self.host, self.port = host_port(base_url)
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        self.slots = asyncio.Semaphore(connections)

    async def post(self, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        payload = json.dumps(body).encode()
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n"
        ).encode()
        async with self.slots:
            if self.idle:
                reader, writer = self.idle.pop()
            else:
                try:
                    reader, writer = await asyncio.open_connection(self.host, self.port)
                except OSError as error:
                    raise SendFailed(f"connection: {error!r}") from None
            try:
                writer.write(head + payload)
                status = int((await reader.readline()).split()[1])
                length = 0
                while (line := await reader.readline()) not in (b"\r\n", b""):
                    name, _, value = line.partition(b":")
                    if name.lower() == b"content-length":
                        length = int(value)
                data = json.loads(await reader.readexactly(length))
            except BaseException as error:  # cancelled or broken mid-request: not reusable
                writer.close()
                if isinstance(error, OSError | EOFError | ValueError | IndexError):
                    raise SendFailed(f"connection: {error!r}") from None
                raise
            self.idle.append((reader, writer))
        return status, data

    async def close(self) -> None:
        for _, writer in self.idle:
            writer.close()
        self.idle.clear()


def host_port(base_url: str) -> tuple[str, int]:
    host, _, port = base_url.removeprefix("http://").partition(":")
    return host, int(port)


TRANSPORTS: dict[str, type[AiohttpTransport | RawTransport]] = {
    "aiohttp": AiohttpTransport,
    "raw": RawTransport,
}


class PacedMessenger:
    """Posts like ``tests.sink.HttpMessenger`` (nonce with ``enforce_nonce``, waits out 429s),
    but first takes a token from a bucket of its own at ``rate``, holding ``burst``: senders
    queue for it in turn (an ``asyncio.Lock`` is first come, first served), so the sink's
    bucket is rarely hit and, while anyone has something to send, never idle."""

    def __init__(
        self,
        base_url: str,
        *,
        rate: float,
        burst: float,
        connections: int,
        client: str = "aiohttp",
        tries: int = 8,
    ) -> None:
        self.base_url = base_url
        self.rate = rate
        self.burst = burst
        self.tokens = 1.0
        self.stamp = 0.0
        self.turn = asyncio.Lock()
        self.connections = connections
        self.client = client
        self.tries = tries
        self.transport: AiohttpTransport | RawTransport | None = None
        self.posts = 0
        self.rate_limited = 0
        self.starved = 0.0  # seconds of sending the full bucket threw away: senders lagged
        self.first_at = 0.0

    async def open(self) -> None:
        self.transport = TRANSPORTS[self.client](self.base_url, self.connections)

    async def close(self) -> None:
        if self.transport is not None:
            await self.transport.close()
            self.transport = None

    def _refill(self) -> None:
        now = time.monotonic()
        if not self.stamp:
            self.first_at = self.stamp = now
        tokens = self.tokens + (now - self.stamp) * self.rate
        if tokens > self.burst:
            self.starved += (tokens - self.burst) / self.rate
            tokens = self.burst
        self.tokens, self.stamp = tokens, now

    async def _pace(self) -> None:
        async with self.turn:
            while True:
                self._refill()
                if self.tokens >= 1:
                    self.tokens -= 1
                    return
                await asyncio.sleep((1 - self.tokens) / self.rate)

    def _told_to_wait(self, seconds: float) -> None:
        self.rate_limited += 1
        self._refill()
        self.tokens = min(self.tokens, 0.0) - seconds * self.rate

    async def send(self, post: Post) -> str | None:
        targets = [f"/channels/{post.channel}"] if post.channel else []
        targets += [f"/users/{member}" for member in post.to_members]
        message_id = None
        for target in targets:
            message_id = await self._post(f"{target}/messages", post)
        return message_id

    async def _post(self, path: str, post: Post) -> str:
        if self.transport is None:
            raise SendFailed("the messenger is closed")
        body = {"content": post.text, "nonce": post.nonce, "enforce_nonce": bool(post.nonce)}
        for _ in range(self.tries):
            await self._pace()
            status, data = await self.transport.post(path, body)
            if status == 429:
                self._told_to_wait(float(data["retry_after"]))
                continue
            if status >= 500:
                raise SendFailed(f"HTTP {status}")
            if status >= 400:
                raise SendFailed(f"HTTP {status}: {data.get('message')}", permanent=True)
            self.posts += 1
            return str(data["id"])
        raise SendFailed("still rate limited")


# -- the database ----------------------------------------------------------------------------------
@contextmanager
def database(kind: str) -> Iterator[str]:
    """A fresh, migrated database URL, removed afterwards."""
    if kind == "sqlite":
        path = BENCH_DIR / f"fanout-{os.getpid()}.sqlite"
        try:
            yield f"sqlite:///{path}"  # bootstrap migrates SQLite itself
        finally:
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    with fresh_schema(PG_URL, "cohort_bench") as url:
        yield url


def seed(uow: SqlUnitOfWork, schedules: int, per_community: int) -> datetime:
    """Communities and daily prompt schedules, all due at the current UTC minute; returns it."""
    now = datetime.now(UTC)
    minute = now.replace(second=0, microsecond=0)
    communities = max(1, -(-schedules // per_community))
    with uow.write_engine.begin() as conn:
        conn.execute(
            insert(CM),
            [
                {
                    "id": c,
                    "key": f"{PLATFORM}:c{c}",
                    "name": f"Bench {c}",
                    "timezone": "UTC",
                    "reflections_default": "shared",
                    "created_at": now,
                }
                for c in range(1, communities + 1)
            ],
        )
        conn.execute(
            insert(S),
            [
                {
                    "community_id": 1 + i // per_community,
                    "kind": "prompt",
                    "channel": f"ch{i}",
                    "pack": PACK,
                    "weekday": None,
                    "hour": minute.hour,
                    "minute": minute.minute,
                    "every": 1,
                    "anchor": minute.date(),
                    "timezone": "UTC",
                    "remind_minutes": 0,
                    "prompt_index": 0,
                    "paused": False,
                    "next_fire_at": minute,
                    "created_at": now,
                }
                for i in range(schedules)
            ],
        )
    return minute


def ledger_counts(uow: SqlUnitOfWork) -> tuple[Counter[str], int]:
    """Deliveries by status, and prompt_post rows (one per sent prompt)."""
    with uow.write_engine.connect() as conn:
        rows = conn.execute(select(D.c.status, func.count()).group_by(D.c.status)).all()
        statuses: Counter[str] = Counter({status: count for status, count in rows})
        posts = conn.execute(select(func.count()).select_from(P)).scalar_one()
    return statuses, posts


# -- the pass --------------------------------------------------------------------------------------
@dataclass
class Pass:
    wall_s: float
    sent: int
    started_at: float  # time.monotonic(), comparable with the sink's stamps on Linux
    cpu_s: float  # this process's user + system time during the pass
    starved_s: float  # sending capacity the pacer's full bucket threw away: senders lagged
    first_send_at: float  # time.monotonic() of the first post: dispatch and the first claim
    machine_cpu_s: float  # every process's CPU time during the pass (0 off Linux)
    error: str | None = None


async def run_pass(scheduler: Scheduler, messenger: PacedMessenger, workers: int) -> Pass:
    machine, cpu = machine_cpu_seconds(), cpu_seconds()
    started_at, started = time.monotonic(), time.perf_counter()
    sent, error = 0, None
    await messenger.open()
    try:
        sent = await scheduler.run_due(messenger, workers=workers)
    except Exception as failure:  # the pass died: report it with what did arrive
        error = f"{type(failure).__name__}: {str(failure).splitlines()[0]}"
        others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in others:  # gather does not cancel a failed worker's siblings
            task.cancel()
        await asyncio.gather(*others, return_exceptions=True)
    wall, cpu = time.perf_counter() - started, cpu_seconds() - cpu
    machine = machine_cpu_seconds() - machine
    await messenger.close()
    return Pass(wall, sent, started_at, cpu, messenger.starved, messenger.first_at, machine, error)


@contextmanager
def profiled(path: str | None) -> Iterator[None]:
    """cProfile the pass. The scheduler's ``asyncio.to_thread`` calls run inline on the event
    loop thread meanwhile, so one profiler sees them: a profiled pass is not a timed one."""
    if not path:
        yield
        return

    async def inline(func: Any, /, *args: Any, **kwargs: Any) -> Any:
        return func(*args, **kwargs)

    to_thread, profile = asyncio.to_thread, cProfile.Profile()
    asyncio.to_thread = inline  # type: ignore[assignment]
    profile.enable()
    try:
        yield
    finally:
        profile.disable()
        asyncio.to_thread = to_thread
        profile.dump_stats(path)
        print(f"\n== profile (tottime; all of it in {path})")
        pstats.Stats(profile).sort_stats("tottime").print_stats(25)


# -- main ------------------------------------------------------------------------------------------
def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schedules", type=int, default=10_000, help="posts due at once")
    parser.add_argument("--rate", type=float, default=1000.0, help="the sink's posts/s")
    parser.add_argument("--burst", type=float, default=10.0, help="the sink's bucket size")
    parser.add_argument(
        "--client-burst",
        type=float,
        help="the messenger's own bucket size (default: half the sink's, room for jitter)",
    )
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    defaults = SchedulerSettings()
    parser.add_argument("--workers", type=int, default=defaults.workers, help="concurrent senders")
    parser.add_argument(
        "--claim-batch", type=int, default=defaults.claim_batch, help="deliveries per claim"
    )
    parser.add_argument(
        "--dispatch-batch",
        type=int,
        default=defaults.dispatch_batch,
        help="schedules per dispatch",
    )
    parser.add_argument("--per-community", type=int, default=100, help="schedules a community")
    parser.add_argument(
        "--client",
        choices=sorted(TRANSPORTS),
        default="aiohttp",
        help="aiohttp, as discord.py posts; raw: hand-written HTTP/1.1, a floor for its cost",
    )
    parser.add_argument("--profile", metavar="FILE", help="cProfile the pass (untimed) to FILE")
    parser.add_argument("--serve-sink", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args()


def report(
    args: argparse.Namespace,
    run: Pass,
    sink: dict[str, Any],
    sink_cpu_s: float,
    ledger: tuple[Counter[str], int],
) -> None:
    statuses, prompt_posts = ledger
    n, bound = args.schedules, args.schedules / args.rate
    ratio = run.wall_s / bound if bound else 0.0

    def since_start(stamp: float | None) -> str:
        return f"+{stamp - run.started_at:.2f} s" if stamp else "-"

    def row(label: str, value: str, note: str = "") -> None:
        print(f"{label:<14}{value:>10}   {note}".rstrip())

    mode = "run_due"
    print(
        f"\n== fanout: {n:,} prompt posts due at once, {args.db}, {mode}\n"
        f"   sink {args.rate:,.0f}/s (burst {args.burst:g}) in its own process; {args.client} "
        f"client; {args.workers} workers, claim batch {args.claim_batch}, dispatch batch "
        f"{args.dispatch_batch}"
    )
    if run.error:
        print(f"THE PASS FAILED: {run.error}")
    row("posts", f"{sink['created']:,}", f"created at the sink; {run.sent:,} marked sent")
    row("time", f"{run.wall_s:.2f} s", "the whole pass, from finding them due to its end")
    row("", "", f"first send {since_start(run.first_send_at)} (dispatch, the first claim)")
    row(
        "",
        "",
        f"first post {since_start(sink['first_at'])}, last {since_start(sink['last_at'])} "
        "(the sink's clock)",
    )
    row("bound", f"{bound:.2f} s", "N / rate")
    row("ratio", f"{ratio:.3f}x", f"time / bound, target <= {TARGET_RATIO}x")
    row("rate-limited", f"{sink['rate_limited']:,}", f"429s ({sink['attempts']:,} attempts)")
    row(
        "duplicates",
        f"{sink['duplicates']:,}",
        f"channels posted twice (nonce repeats absorbed: {sink['nonce_repeats']:,})",
    )
    strays = f"; {sink['strays']:,} posts to unknown channels" if sink["strays"] else ""
    row("misses", f"{sink['misses']:,}", f"channels never posted{strays}")
    row("peak RSS", f"{peak_rss_mib():,.0f} MiB", "ru_maxrss of the bot (this process)")
    busy = run.cpu_s / run.wall_s if run.wall_s else 0.0
    row(
        "bot CPU",
        f"{run.cpu_s:.2f} s",
        f"{busy:.0%} of one core; the pacer sat idle with slots free for {run.starved_s:.2f} s",
    )
    if run.machine_cpu_s:
        cpus = os.cpu_count() or 1
        other = max(run.machine_cpu_s - run.cpu_s - sink_cpu_s, 0.0)
        server = "the database server, " if args.db == "postgres" else ""
        row(
            "machine CPU",
            f"{run.machine_cpu_s:.2f} s",
            f"of {cpus * run.wall_s:.2f} s on {cpus} CPUs: sink {sink_cpu_s:.2f} s, "
            f"other processes {other:.2f} s ({server}anything else running)",
        )
    counts = ", ".join(f"{status} {count:,}" for status, count in sorted(statuses.items()))
    row("ledger", "", f"deliveries {counts}; prompt_post rows {prompt_posts:,}")

    def mark(ok: bool) -> str:
        return "PASS" if ok else "MISS"

    complete = not run.error and sink["misses"] == 0  # a short pass is not a fast one
    print("\n== summary")
    print(
        f"ratio       {ratio:7.3f}x   target <= {TARGET_RATIO}x  "
        f"{mark(complete and ratio <= TARGET_RATIO)}"
    )
    print(f"duplicates  {sink['duplicates']:7,}    target 0        {mark(sink['duplicates'] == 0)}")
    print(f"misses      {sink['misses']:7,}    target 0        {mark(complete)}")


def main() -> None:
    args = parse_args()
    if args.serve_sink:
        serve_sink(args.rate, args.burst)
        return
    settings = SchedulerSettings(
        dispatch_batch=args.dispatch_batch, claim_batch=args.claim_batch, workers=args.workers
    )
    with sink_process(args.rate, args.burst) as base_url, database(args.db) as url:
        core = bootstrap(url, clock=SystemClock())
        uow = core.uow
        assert isinstance(uow, SqlUnitOfWork)
        scheduler = scheduler_for(core, platform=PLATFORM, settings=settings)
        try:
            started = time.perf_counter()
            minute = seed(uow, args.schedules, args.per_community)
            print(
                f"seeded {args.schedules:,} schedules due at {minute:%H:%M} UTC in "
                f"{time.perf_counter() - started:.2f} s"
            )
            messenger = PacedMessenger(
                base_url,
                rate=args.rate,
                burst=args.client_burst or max(1.0, args.burst / 2),
                connections=args.workers,
                client=args.client,
            )
            sink_cpu = asyncio.run(sink_report(base_url, 0))["cpu_s"]
            with profiled(args.profile):
                run = asyncio.run(run_pass(scheduler, messenger, args.workers))
            sink = asyncio.run(sink_report(base_url, args.schedules))
            report(args, run, sink, sink["cpu_s"] - sink_cpu, ledger_counts(uow))
        finally:
            scheduler.ledger.dispose()  # type: ignore[attr-defined]
            uow.dispose()


if __name__ == "__main__":
    main()
