"""Exactly-once delivery of scheduled posts across processes and crashes.

Child processes (``tests/scheduler_worker.py``) run the real runtime path, APScheduler's
``ScheduleRunner`` over ``Scheduler.run_due``, against one database, posting to the HTTP
sink of ``tests/sink.py``. The sink rate-limits, so a fan-out of ``N`` posts lasts a couple
of seconds and a kill lands in the middle of it, and like Discord's ``enforce_nonce`` it
creates nothing for a nonce it has seen. Every schedule has exactly one due fire.

- two processes on one SQLite file, three on PostgreSQL, race for the same fires; one is
  SIGKILLed mid-fan-out while it holds leases, and restarted;
- a worker kills itself just before, or just after, one of its posts (leased and not
  posted; posted and not recorded), and is restarted;
- a worker freezes past its lease after a post; another takes over; the thawed one's
  finish must be fenced off.

Afterwards each of the ``N`` channels holds exactly one message, and the ledger exactly one
``sent`` delivery per schedule, whose nonce is that message's: zero duplicates, zero misses.
The nonce is the delivery id, so the sink's dedup cannot hide a second delivery row (a
second message in the channel), and a finish recorded twice shows as a second
``prompt_post``. Repeated nonces the sink dropped are the posts a lost lease made again.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, insert, select

from storage import migrate
from storage.engine import is_sqlite, make_engine
from storage.models import Community, Delivery, PromptPost, Schedule
from storage.statements import table
from tests.sink import Sink, SinkServer

REPO = Path(__file__).resolve().parent.parent
N = 300  # schedules, each with one due fire
COMMUNITIES = 3
RATE = 150.0  # posts a second the sink accepts: the fan-out lasts about N / RATE seconds
DEADLINE = 60.0  # seconds for everything to be sent
PACK = "weekly-reflection"

S, D, CM, P = table(Schedule), table(Delivery), table(Community), table(PromptPost)


# -- child processes ------------------------------------------------------------------------
@dataclass
class Worker:
    name: str
    proc: subprocess.Popen[bytes]
    out: Path
    err: Path

    def stdout(self) -> str:
        return self.out.read_text(errors="replace")

    def stderr(self) -> str:
        return self.err.read_text(errors="replace")


@dataclass
class Fleet:
    """The scheduler processes of one test; ``stop`` reaps every one of them."""

    url: str
    sink_url: str
    logs: Path
    workers: list[Worker] = field(default_factory=list)

    def start(self, name: str, *extra: str) -> Worker:
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
        }
        out, err = self.logs / f"{name}.out", self.logs / f"{name}.err"
        command = [sys.executable, "-m", "tests.scheduler_worker", self.url, self.sink_url, name]
        with out.open("wb") as stdout, err.open("wb") as stderr:  # files: a pipe could fill
            proc = subprocess.Popen(
                [*command, *extra], cwd=REPO, env=env, stdout=stdout, stderr=stderr
            )
        worker = Worker(name, proc, out, err)
        self.workers.append(worker)
        return worker

    def wait_ready(self, *workers: Worker, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        for w in workers:
            while "ready" not in w.stdout().split():
                if w.proc.poll() is not None:
                    pytest.fail(f"{w.name} exited with {w.proc.returncode}:\n{w.stderr()}")
                if time.monotonic() > deadline:
                    pytest.fail(f"{w.name} not ready after {timeout} s:\n{w.stderr()}")
                time.sleep(0.02)

    def kill(self, worker: Worker) -> None:
        os.kill(worker.proc.pid, signal.SIGKILL)
        worker.proc.wait(10)

    def check_alive(self, *workers: Worker) -> None:
        for w in workers:
            if w.proc.poll() is not None:
                pytest.fail(f"{w.name} died ({w.proc.returncode}):\n{self.diagnostics()}")

    def stop(self) -> None:
        for w in self.workers:
            if w.proc.poll() is None:
                w.proc.terminate()
        for w in self.workers:
            try:
                w.proc.wait(5)
            except subprocess.TimeoutExpired:
                w.proc.kill()
                w.proc.wait(5)

    def fenced(self) -> int:
        """Finishes the ledger refused because the lease had passed to another sender."""
        return sum(w.stderr().count("lease lost before") for w in self.workers)

    def diagnostics(self) -> str:
        parts = []
        for w in self.workers:
            tail = "\n    ".join(w.stderr().splitlines()[-15:])
            parts.append(f"  {w.name}: exit {w.proc.poll()}\n    {tail}")
        return "\n".join(parts)


@contextmanager
def fleet_of(url: str, sink_url: str, logs: Path) -> Iterator[Fleet]:
    fleet = Fleet(url, sink_url, logs)
    try:
        yield fleet
    finally:
        fleet.stop()


# -- the database ---------------------------------------------------------------------------
@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest) -> str:
    return str(request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url"))


@contextmanager
def reader(url: str) -> Iterator[Engine]:
    """An engine for the test's own reads (deferred transactions on SQLite: no write lock)."""
    engine = make_engine(url, immediate=False)
    try:
        yield engine
    finally:
        engine.dispose()


def migrate_sqlite(url: str) -> None:
    """SQLite is migrated here, before any worker starts (``pg_url`` comes migrated)."""
    if is_sqlite(url):
        engine = make_engine(url)
        migrate.upgrade(engine)
        engine.dispose()


def seed(url: str, n: int = N) -> tuple[datetime, list[int]]:
    """``n`` daily prompt schedules, one channel each, whose one due fire is the last minute.

    Their next fire is tomorrow, so each must be posted exactly once. Returns the fire and
    the schedule ids."""
    now = datetime.now(UTC)
    fire = now.replace(second=0, microsecond=0) - timedelta(minutes=1)
    engine = make_engine(url)
    try:
        with engine.begin() as c:
            c.execute(
                insert(CM),
                [
                    {
                        "id": k,
                        "key": f"sink:c{k}",
                        "name": f"Crash {k}",
                        "timezone": "UTC",
                        "reflections_default": "shared",
                        "created_at": now,
                    }
                    for k in range(1, COMMUNITIES + 1)
                ],
            )
            c.execute(
                insert(S),
                [
                    {
                        "community_id": 1 + i % COMMUNITIES,
                        "kind": "prompt",
                        "channel": f"ch{i}",
                        "pack": PACK,
                        "weekday": None,
                        "hour": fire.hour,
                        "minute": fire.minute,
                        "every": 1,
                        "anchor": fire.date(),
                        "timezone": "UTC",
                        "remind_minutes": 0,
                        "prompt_index": 0,
                        "paused": False,
                        "next_fire_at": fire,
                        "created_at": now,
                    }
                    for i in range(n)
                ],
            )
            ids = list(c.execute(select(S.c.id).order_by(S.c.id)).scalars())
    finally:
        engine.dispose()
    return fire, ids


def statuses(engine: Engine) -> Counter[str]:
    with engine.connect() as c:
        return Counter(dict(c.execute(select(D.c.status, func.count()).group_by(D.c.status)).all()))


def all_sent(engine: Engine) -> bool:
    """Nothing pending or leased, and at least ``N`` sent (more would be duplicates)."""
    counts = statuses(engine)
    return set(counts) == {"sent"} and counts["sent"] >= N


def leased_by(engine: Engine, owner: str) -> list[int]:
    """The deliveries ``owner`` holds a lease on (``sending``)."""
    query = select(D.c.id).where(D.c.status == "sending", D.c.lease_owner == owner)
    with engine.connect() as c:
        return list(c.execute(query.order_by(D.c.id)).scalars())


def by_owner(engine: Engine) -> tuple[Counter[str], Counter[str]]:
    """Leases held (``sending``) and deliveries sent, by owner."""
    held: Counter[str] = Counter()
    sent: Counter[str] = Counter()
    query = select(D.c.status, D.c.lease_owner, func.count()).group_by(D.c.status, D.c.lease_owner)
    with engine.connect() as c:
        for status, owner, count in c.execute(query):
            if status == "sending":
                held[owner] += count
            elif status == "sent":
                sent[owner] += count
    return held, sent


def deliveries(engine: Engine) -> list[Any]:
    with engine.connect() as c:
        return list(c.execute(select(D).order_by(D.c.id)).all())


def wait_until(
    what: str, ready: Callable[[], bool], fleet: Fleet, alive: list[Worker], engine: Engine
) -> float:
    """Poll ``ready`` until it holds; fail with diagnostics on a dead worker or the deadline."""
    start = time.monotonic()
    while not ready():
        fleet.check_alive(*alive)
        if time.monotonic() - start > DEADLINE:
            with engine.connect() as c:
                owners = c.execute(
                    select(D.c.status, D.c.lease_owner, func.count()).group_by(
                        D.c.status, D.c.lease_owner
                    )
                ).all()
            pytest.fail(
                f"timed out waiting for {what}; deliveries by status and owner "
                f"{[tuple(o) for o in owners]}\n{fleet.diagnostics()}"
            )
        time.sleep(0.05)
    return time.monotonic() - start


def created(sink: Sink) -> int:
    with sink.lock:
        return len(sink.created)


# -- the verdict ----------------------------------------------------------------------------
@dataclass
class Verdict:
    rows: list[Any]
    sent_by: Counter[str]
    resends: int
    rate_limited: int

    def line(self) -> str:
        return (
            f"{len(self.rows)} deliveries; sent by {dict(self.sent_by)}; "
            f"{self.rate_limited} answered 429; {self.resends} repeated nonces dropped by the sink"
        )


def verify(engine: Engine, sink: Sink, schedule_ids: list[int], fire: datetime) -> Verdict:
    """Every due post was delivered exactly once, in the sink and in the ledger."""
    rows = deliveries(engine)
    with engine.connect() as c:
        prompt_posts = c.execute(select(func.count()).select_from(P)).scalar_one()
    with sink.lock:
        messages = list(sink.created)
        attempts, rate_limited = sink.attempts, sink.rate_limited
    context = f"deliveries {dict(Counter(r.status for r in rows))}"

    # The sink: one message in every channel, none anywhere else.
    per_channel = Counter(m["target"] for m in messages)
    assert {t: k for t, k in per_channel.items() if k > 1} == {}, f"duplicates; {context}"
    assert set(per_channel) == {f"ch{i}" for i in range(len(schedule_ids))}, f"misses; {context}"
    assert len(messages) == len(schedule_ids)
    # The ledger: one delivery per schedule and slot, each sent, each the message above.
    slot = f"{fire.date().isoformat()}T{fire:%H:%M}"
    twice = {sid: k for sid, k in Counter(r.schedule_id for r in rows).items() if k > 1}
    assert twice == {}, f"schedules with more than one delivery; {context}"
    assert sorted(r.schedule_id for r in rows) == schedule_ids, f"misses; {context}"
    assert {r.occurrence_key for r in rows} == {slot}
    assert [r.id for r in rows if r.status != "sent"] == [], context
    by_nonce = {m["nonce"]: m for m in messages}
    assert len(by_nonce) == len(messages)
    assert set(by_nonce) == {f"d{r.id}" for r in rows}
    for r in rows:
        message = by_nonce[f"d{r.id}"]
        assert (message["target"], message["id"]) == (r.channel, r.message_id), r.id
        assert r.sent_at is not None and r.lease_until is None
    assert prompt_posts == len(rows), f"{prompt_posts} prompt_post rows: a finish counted twice"
    # A repeat reaches the sink only from a sender that lost its lease (a crash, an expiry);
    # each sender claimed the row first, and every claim counts an attempt.
    resends = attempts - rate_limited - len(messages)
    assert 0 <= resends <= sum(r.attempts - 1 for r in rows)
    return Verdict(rows, Counter(r.lease_owner for r in rows), resends, rate_limited)


# -- the tests --------------------------------------------------------------------------------
def race_with_a_sigkill(url: str, tmp_path: Path, processes: int) -> None:
    """``processes`` workers race for the same fires; one is SIGKILLed mid-fan-out while it
    holds leases, and restarted under a new name."""
    migrate_sqlite(url)
    sink = Sink(rate=RATE, burst=10)
    with (
        SinkServer(sink) as server,
        fleet_of(url, server.url, tmp_path) as fleet,
        reader(url) as db,
    ):
        workers = [fleet.start(f"w{k}") for k in range(processes)]
        fleet.wait_ready(*workers)
        started = time.monotonic()
        fire, schedule_ids = seed(url)  # due at once for every worker: they race
        chosen: list[Worker] = []

        def mid_fan_out() -> bool:
            """A third posted, and a worker holds leases, has sent, and is not alone."""
            if created(sink) < N // 3:
                return False
            held, sent = by_owner(db)
            busy = [w for w in workers if held[w.name] and sent[w.name]]
            if busy and sum(1 for w in workers if sent[w.name]) >= 2:
                chosen.append(busy[0])
            return bool(chosen)

        wait_until("a third of the posts, mid-race", mid_fan_out, fleet, workers, db)
        victim = chosen[0]
        survivors = [w for w in workers if w is not victim]
        fleet.kill(victim)
        posted_at_kill = created(sink)
        stranded = leased_by(db, victim.name)  # leases nobody will finish
        assert posted_at_kill < N, "the fan-out was over before the kill"
        assert victim.proc.returncode == -signal.SIGKILL

        restarted = fleet.start(f"{victim.name}-restarted")
        fleet.wait_ready(restarted)
        alive = [*survivors, restarted]
        wait_until("every delivery sent", lambda: all_sent(db), fleet, alive, db)
        elapsed = time.monotonic() - started
        fleet.check_alive(*alive)
        fleet.stop()  # nothing in flight while the sink is counted

        verdict = verify(db, sink, schedule_ids, fire)
        names = {w.name for w in fleet.workers}
        assert set(verdict.sent_by) <= names
        assert len(verdict.sent_by) >= 2, f"no race: {verdict.sent_by}"
        assert verdict.sent_by[victim.name] > 0  # it was killed in the middle, not before
        rows = {r.id: r for r in verdict.rows}
        # The dead process's leases ran out and were taken over: posted by someone else.
        assert stranded, "the killed process held no lease"
        assert all(rows[i].lease_owner != victim.name for i in stranded)
        assert all(rows[i].attempts >= 2 for i in stranded)
        print(
            f"\n{processes} processes on {url.split(':')[0]}: {N} posts in {elapsed:.1f} s; "
            f"killed {victim.name} at {posted_at_kill} posted, holding {len(stranded)} leases; "
            f"{verdict.line()}; {fleet.fenced()} finishes fenced off"
        )


def test_two_processes_on_one_sqlite_file_with_a_sigkill_deliver_exactly_once(sqlite_url, tmp_path):
    race_with_a_sigkill(sqlite_url, tmp_path, processes=2)


@pytest.mark.postgres
def test_three_processes_on_postgres_with_a_sigkill_deliver_exactly_once(pg_url, tmp_path):
    race_with_a_sigkill(pg_url, tmp_path, processes=3)


@pytest.mark.parametrize("point", ["before-post", "after-post"])
def test_a_crash_between_claim_and_finish_is_recovered_by_a_restart(db_url, tmp_path, point):
    """One worker SIGKILLs itself at its 40th post, just before it (leased, not posted) or
    just after the platform made the message (posted, not recorded). Its restart takes the
    expired leases over; the posted one is posted again with the same nonce, and the sink
    drops the repeat."""
    migrate_sqlite(db_url)
    sink = Sink(rate=RATE, burst=10)
    with (
        SinkServer(sink) as server,
        fleet_of(db_url, server.url, tmp_path) as fleet,
        reader(db_url) as db,
    ):
        first = fleet.start("crashing", "--crash-after", "40", "--crash-point", point)
        fleet.wait_ready(first)
        started = time.monotonic()
        fire, schedule_ids = seed(db_url)
        try:
            first.proc.wait(DEADLINE)
        except subprocess.TimeoutExpired:
            pytest.fail(f"the worker never reached its 40th post\n{fleet.diagnostics()}")
        assert first.proc.returncode == -signal.SIGKILL, first.stderr()
        (line,) = [x for x in first.stdout().splitlines() if x.startswith("crash ")]
        nonce = line.split()[1]
        crashed = int(nonce.removeprefix("d"))
        stranded = leased_by(db, "crashing")
        assert crashed in stranded  # the ledger still says "sending", leased by the dead one
        posted = nonce in sink.nonces()
        assert posted == (point == "after-post")
        posted_at_crash = created(sink)

        second = fleet.start("restarted")
        fleet.wait_ready(second)
        wait_until("every delivery sent", lambda: all_sent(db), fleet, [second], db)
        elapsed = time.monotonic() - started
        fleet.stop()

        verdict = verify(db, sink, schedule_ids, fire)
        rows = {r.id: r for r in verdict.rows}
        assert rows[crashed].lease_owner == "restarted"
        assert rows[crashed].attempts >= 2
        assert all(rows[i].lease_owner == "restarted" for i in stranded)
        assert set(verdict.sent_by) == {"crashing", "restarted"}
        if point == "after-post":
            assert verdict.resends >= 1  # the crashed one, sent again and deduplicated
        print(
            f"\ncrash {point} on {db_url.split(':')[0]}: {N} posts in {elapsed:.1f} s; "
            f"crashed at {posted_at_crash} posted, holding {len(stranded)} leases; "
            f"{verdict.line()}; {fleet.fenced()} finishes fenced off"
        )


def test_a_sender_frozen_past_its_lease_cannot_record_over_the_one_that_took_it(db_url, tmp_path):
    """The fence: a worker freezes (the whole process) right after its 15th post, for longer
    than its lease. Another process takes the expired leases, posts again (the sink drops the
    repeat) and records them. When the frozen one thaws, its finish must change nothing."""
    migrate_sqlite(db_url)
    sink = Sink(rate=RATE, burst=10)
    resume = tmp_path / "resume"
    with (
        SinkServer(sink) as server,
        fleet_of(db_url, server.url, tmp_path) as fleet,
        reader(db_url) as db,
    ):
        frozen = fleet.start("frozen", "--stall-after", "15", "--resume-file", str(resume))
        fleet.wait_ready(frozen)
        fire, schedule_ids = seed(db_url)
        wait_until("the freeze", lambda: "stall" in frozen.stdout(), fleet, [frozen], db)
        (line,) = [x for x in frozen.stdout().splitlines() if x.startswith("stall ")]
        stalled = int(line.split()[1].removeprefix("d"))
        assert stalled in leased_by(db, "frozen")

        taker = fleet.start("taker")  # starts while the frozen one's leases run out
        fleet.wait_ready(taker)
        alive = [frozen, taker]
        wait_until("every delivery sent", lambda: all_sent(db), fleet, alive, db)
        (row,) = [r for r in deliveries(db) if r.id == stalled]
        assert (row.lease_owner, row.status) == ("taker", "sent")
        assert row.attempts >= 2

        resume.touch()
        fenced = f"delivery {stalled}: lease lost before sent was recorded"
        begin = time.monotonic()
        while fenced not in frozen.stderr() and time.monotonic() - begin < 10:
            fleet.check_alive(*alive)
            time.sleep(0.05)
        assert "resumed" in frozen.stdout().split()
        time.sleep(0.5)  # whatever the thawed worker does after its finish, let it land
        fleet.check_alive(*alive)
        fleet.stop()

        verdict = verify(db, sink, schedule_ids, fire)
        after = {r.id: r for r in verdict.rows}[stalled]
        assert (after.lease_owner, after.attempts) == ("taker", row.attempts)
        assert (after.message_id, after.sent_at) == (row.message_id, row.sent_at)
        assert verdict.resends >= 1  # the taker posted the frozen one's post again
        assert fenced in frozen.stderr(), frozen.stderr()
        print(
            f"\nfrozen sender on {db_url.split(':')[0]}: {verdict.line()}; "
            f"{fleet.fenced()} finishes fenced off"
        )
