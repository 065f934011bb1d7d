"""Benchmark the Cohort core in-process over a large SQLite file.

    .venv/bin/python bench/core.py [--members 10000] [--checkins 1000000] [--commands 20000]
                                   [--db PATH] [--warmup 500] [--seed 1] [--rebuild]

1. Builds (or reuses, when the counts match) a SQLite file whose name carries the sizes: the
   schema comes from the real migrations, the rows from raw sqlite3 in big transactions.
2. Drives ``Core.handle_text`` on a copy of it with a realistic command mix, as random existing
   members, on a FakeClock the day after the last check-in, and measures every command.
3. Replays the same writes with raw sqlite3 (same pragmas, one ``BEGIN IMMEDIATE`` transaction
   per write) on another copy, as a floor for what the storage itself costs.
4. Prints the numbers against the targets. It only measures: the exit status is always 0.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import random
import re
import resource
import shutil
import sqlite3
import time
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from multiprocessing import get_context
from pathlib import Path
from typing import NamedTuple

from adapters.bootstrap import bootstrap
from bot import zones
from bot.clock import FakeClock
from bot.text import normalise_key
from bot.types import Actor, Outcome
from storage import migrate
from storage.engine import make_engine

BENCH_DIR = Path(__file__).resolve().parent
BUILD_VERSION = 1  # bump when the generated data changes, so old files are not reused
COMMUNITY_KEY = "console:bench"
LAST_DAY = date(2026, 9, 6)  # the last day with check-ins; the run happens the day after
RUN_START = datetime(2026, 9, 7, 6, 0, tzinfo=UTC)
TARGET_P99_MS = 20.0
TARGET_RATE = 1000.0
CHUNK = 100_000
BUILD_PRAGMAS = "journal_mode=WAL synchronous=OFF cache_size=-131072 temp_store=MEMORY"
RUN_PRAGMAS = "journal_mode=WAL synchronous={sync} busy_timeout=5000 foreign_keys=ON"


def words(text: str, sep: str | None = None) -> tuple[str, ...]:
    return tuple(text.split(sep))


FIRST = words(
    "Ana Ben Chloe Dev Elif Farid Grace Hugo Ines Jonas Kofi Lena Mateo Nia Omar Priya "
    "Quinn Rosa Sami Tomas Uma Viktor Wen Yara Zoe Arjun Bea Carlos Dana Emeka"
)
LAST = words(
    "Silva Okafor Novak Tanaka Muller Haddad Kowalski Nguyen Rossi Larsen Mensah Costa "
    "Ibrahim Petrov Garcia Kim Andersson Moreau Ozturk Fischer"
)
SUBJECTS = words(
    "Linear Algebra|Calculus|Statistics|Algorithms|Databases|Operating Systems|"
    "Organic Chemistry|Microeconomics|Physics|Discrete Math|Machine Learning|"
    "Web Development|Compilers|Networks|Genetics|Spanish|Philosophy|Writing",
    "|",
)
TOPICS = words(
    "recursion|sql joins|pointers|dynamic programming|integrals|derivatives|eigenvalues|"
    "proofs|probability|regression|big o|graphs|sorting|git|css|react|python|java|rust|"
    "closures|async|threads|memory|tcp|http|docker|linux|bash|regex|unit tests|debugging|"
    "hypothesis tests|bayes|matrices|limits|series|essay structure|citations|"
    "thermodynamics|kinematics|stoichiometry|enzymes|game theory|logic|set theory",
    "|",
)
WORDS = words(
    "read chapter finished problem set reviewed notes lecture practice exam flashcards "
    "wrote summary draft lab report solved exercises proof lemma worked through examples "
    "paired with group the first second third part of homework slides quiz tomorrow "
    "still unsure about why how base case index loop query schema function today week "
    "made progress on understood finally clicked struggled a bit with and then"
)
ZONES = words(
    "Europe/Berlin America/New_York Asia/Kolkata America/Los_Angeles Australia/Sydney "
    "Europe/London America/Sao_Paulo Asia/Tokyo"
)
CHANNELS = ("general", "general", "general", "study-hall", "cs101", "math")


# -- small helpers ---------------------------------------------------------------------------------
def stamp(day: date, seconds: int, micro: int = 0) -> str:
    """A UTC instant in sqlmodel's UTCDateTime storage format: 'YYYY-MM-DD HH:MM:SS.ffffff'."""
    hours, rest = divmod(seconds, 3600)
    return f"{day.isoformat()} {hours:02d}:{rest // 60:02d}:{rest % 60:02d}.{micro:06d}"


def stamp_of(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def sentence(rnd: random.Random, low: int = 4, high: int = 12) -> str:
    return " ".join(rnd.choices(WORDS, k=rnd.randint(low, high)))


def past_stamp(rnd: random.Random, max_days: int) -> str:
    day = LAST_DAY - timedelta(days=rnd.randrange(max_days))
    return stamp(day, rnd.randrange(86_400), rnd.randrange(1_000_000))


def pct(sorted_ms: list[float], q: float) -> float:
    return sorted_ms[min(len(sorted_ms) - 1, int(q * len(sorted_ms)))] if sorted_ms else 0.0


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def remove_db(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def insert(conn: sqlite3.Connection, table: str, columns: str, rows: Iterable[tuple]) -> int:
    """Insert rows in transactions of CHUNK rows; returns how many."""
    names = columns.split()
    sql = f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"
    total, it = 0, iter(rows)
    while chunk := list(itertools.islice(it, CHUNK)):
        conn.execute("BEGIN")
        conn.executemany(sql, chunk)
        conn.execute("COMMIT")
        total += len(chunk)
    return total


# -- building the file -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Sizes:
    members: int
    checkins: int

    @property
    def groups(self) -> int:
        return max(3, self.members * 3 // 100)

    @property
    def offers(self) -> int:
        return self.members // 5

    @property
    def requests(self) -> int:
        return self.members // 2

    @property
    def reflections(self) -> int:
        return self.members * 2

    def days_of(self, index: int) -> int:
        """Check-in days of the member at ``index`` (0-based); they add up to ``checkins``."""
        base, extra = divmod(self.checkins, self.members)
        return base + (1 if index < extra else 0)


def default_db(sizes: Sizes) -> Path:
    return BENCH_DIR / f"core-v{BUILD_VERSION}-m{sizes.members}-c{sizes.checkins}.sqlite"


def is_ready(path: Path, sizes: Sizes) -> bool:
    """The file exists at the head revision with exactly the expected members and check-ins."""
    if not path.exists():
        return False
    conn = sqlite3.connect(path)
    try:
        version = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        members = conn.execute("SELECT count(*) FROM member").fetchone()[0]
        checkins = conn.execute("SELECT count(*) FROM checkin").fetchone()[0]
    except sqlite3.Error:
        return False
    finally:
        conn.close()
    return bool(
        version
        and version[0] == migrate.head()
        and members == sizes.members
        and checkins == sizes.checkins
    )


def build(path: Path, sizes: Sizes, seed: int) -> dict[str, int]:
    """Create the schema through the migrations, then bulk-insert every table."""
    remove_db(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    engine = make_engine(sqlite_url(path))
    migrate.upgrade(engine)
    engine.dispose()
    conn = sqlite3.connect(path, isolation_level=None)
    for pragma in BUILD_PRAGMAS.split():
        conn.execute(f"PRAGMA {pragma}")
    counts = Builder(conn, sizes, random.Random(seed)).run()
    counts["foreign key violations"] = len(conn.execute("PRAGMA foreign_key_check").fetchall())
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return counts


@dataclass
class Builder:
    conn: sqlite3.Connection
    sizes: Sizes
    rnd: random.Random
    groups_of: dict[int, list[int]] = field(default_factory=lambda: defaultdict(list))

    def run(self) -> dict[str, int]:
        steps: list[tuple[str, Callable[[], int]]] = [
            ("community", self.community),
            ("member", self.members),
            ("study_group", self.groups),
            ("membership", self.memberships),
            ("tutor_offer", self.offers),
            ("help_request", self.requests),
            ("thanks", self.thanks),
            ("prompt_post", self.prompt_posts),
            ("reflection", self.reflections),
            ("awayperiod", self.away),
            ("checkin", self.checkins),
        ]
        return {name: step() for name, step in steps}

    def community(self) -> int:
        created = stamp(LAST_DAY - timedelta(days=200), 9 * 3600)
        return insert(
            self.conn,
            "community",
            "id key name timezone reflections_default created_at",
            [(1, COMMUNITY_KEY, "Bench", "UTC", "shared", created)],
        )

    def members(self) -> int:
        rnd = self.rnd

        def row(i: int) -> tuple:
            name = f"{rnd.choice(FIRST)} {rnd.choice(LAST)}"
            zone = rnd.choice(ZONES) if rnd.random() < 0.3 else None
            return (
                i,
                1,
                f"bench-{i:06d}",
                name,
                name.casefold(),
                zone,
                int(i <= 5),
                0,
                past_stamp(rnd, 200),
            )

        return insert(
            self.conn,
            "member",
            "id community_id platform_id display_name name_key "
            "timezone is_organiser forgotten created_at",
            (row(i) for i in range(1, self.sizes.members + 1)),
        )

    def groups(self) -> int:
        rnd = self.rnd

        def row(i: int) -> tuple:
            name = f"{SUBJECTS[i % len(SUBJECTS)]} {i // len(SUBJECTS) + 1}"
            capacity = rnd.choice((None, None, None, 500))
            archived = past_stamp(rnd, 30) if rnd.random() < 0.03 else None
            return (
                i,
                1,
                name,
                normalise_key(name),
                sentence(rnd, 2, 6),
                capacity,
                int(rnd.random() < 0.1),
                rnd.randint(1, self.sizes.members),
                past_stamp(rnd, 180),
                archived,
            )

        return insert(
            self.conn,
            "study_group",
            "id community_id name name_key topic capacity "
            "private created_by created_at archived_at",
            (row(i) for i in range(1, self.sizes.groups + 1)),
        )

    def memberships(self) -> int:
        rnd, pairs = self.rnd, {}
        for group_id, creator in self.conn.execute("SELECT id, created_by FROM study_group"):
            pairs[group_id, creator] = "facilitator"
        for member in range(1, self.sizes.members + 1):
            for group_id in rnd.sample(
                range(1, self.sizes.groups + 1), rnd.choice((0, 0, 1, 1, 1, 2, 2, 3))
            ):
                pairs.setdefault((group_id, member), "member")
        for group_id, member in pairs:
            self.groups_of[member].append(group_id)
        return insert(
            self.conn,
            "membership",
            "community_id group_id member_id role joined_at",
            ((1, g, m, role, past_stamp(rnd, 150)) for (g, m), role in pairs.items()),
        )

    def offers(self) -> int:
        rnd, pairs = self.rnd, set()
        while len(pairs) < self.sizes.offers:
            pairs.add((rnd.randint(1, self.sizes.members), rnd.choice(TOPICS)))
        return insert(
            self.conn,
            "tutor_offer",
            "community_id member_id topic topic_key created_at",
            ((1, m, t, normalise_key(t), past_stamp(rnd, 150)) for m, t in sorted(pairs)),
        )

    def requests(self) -> int:
        rnd, n = self.rnd, self.sizes.members

        def row(i: int) -> tuple:
            status = rnd.choices(("open", "claimed", "done", "cancelled"), (15, 10, 65, 10))[0]
            topic = rnd.choice(TOPICS)
            requester = rnd.randint(1, n)
            helper = (requester % n) + 1 if status in ("claimed", "done") else None
            created = past_stamp(rnd, 60 if status == "open" else 150)
            claimed = created if helper else None
            resolved = created if status in ("done", "cancelled") else None
            notes = sentence(rnd) if status == "done" and rnd.random() < 0.5 else None
            return (
                i,
                1,
                requester,
                topic,
                normalise_key(topic),
                sentence(rnd, 6, 20),
                rnd.choice(CHANNELS),
                status,
                helper,
                notes,
                created,
                claimed,
                resolved,
            )

        return insert(
            self.conn,
            "help_request",
            "id community_id requester_id topic topic_key "
            "details channel status claimed_by notes created_at claimed_at "
            "resolved_at",
            (row(i) for i in range(1, self.sizes.requests + 1)),
        )

    def thanks(self) -> int:
        done = self.conn.execute(
            "SELECT id, requester_id, claimed_by, resolved_at FROM "
            "help_request WHERE status = 'done'"
        ).fetchall()
        rows = [
            (1, r, frm, to, sentence(self.rnd, 2, 6), at)
            for r, frm, to, at in done
            if self.rnd.random() < 0.5
        ]
        return insert(
            self.conn,
            "thanks",
            "community_id request_id from_member_id to_member_id message created_at",
            rows,
        )

    def prompt_posts(self) -> int:
        rows = [
            (
                1,
                channel,
                "reflection",
                f"What did you learn this week? ({days})",
                stamp(LAST_DAY - timedelta(days=days), 8 * 3600),
            )
            for channel in sorted(set(CHANNELS))
            for days in range(150, -1, -3)
        ]
        return insert(self.conn, "prompt_post", "community_id channel pack text posted_at", rows)

    def reflections(self) -> int:
        rnd = self.rnd
        posts = self.conn.execute("SELECT id, channel, text FROM prompt_post").fetchall()

        def row() -> tuple:
            post = rnd.choice(posts) if rnd.random() < 0.6 else None
            channel = post[1] if post else rnd.choice(CHANNELS)
            visibility = rnd.choices(("shared", "anonymous", "private"), (60, 20, 20))[0]
            return (
                1,
                rnd.randint(1, self.sizes.members),
                post[0] if post else None,
                post[2] if post else None,
                channel,
                sentence(rnd, 8, 30),
                visibility,
                past_stamp(rnd, 150),
            )

        return insert(
            self.conn,
            "reflection",
            "community_id member_id prompt_post_id prompt_text channel text visibility created_at",
            (row() for _ in range(self.sizes.reflections)),
        )

    def away(self) -> int:
        rnd, rows = self.rnd, []
        for member in rnd.sample(range(1, self.sizes.members + 1), self.sizes.members // 50):
            start = LAST_DAY - timedelta(days=rnd.randint(5, 120))
            rows.append(
                (
                    1,
                    member,
                    start.isoformat(),
                    (start + timedelta(days=rnd.randint(1, 10))).isoformat(),
                )
            )
        return insert(self.conn, "awayperiod", "community_id member_id start end", rows)

    def checkins(self) -> int:
        return insert(
            self.conn,
            "checkin",
            "community_id member_id group_id local_date mood "
            "progress blockers created_at updated_at",
            self._checkin_rows(),
        )

    def _checkin_rows(self) -> Iterator[tuple]:
        """``days_of(i)`` distinct past local days per member, oldest first, in member order."""
        rnd = self.rnd
        progress = [sentence(rnd) for _ in range(500)]
        blockers = [f"{sentence(rnd, 2, 5)} {rnd.choice(TOPICS)}" for _ in range(200)]
        longest = self.sizes.checkins // self.sizes.members * 3 // 2 + 2
        days = [LAST_DAY - timedelta(days=k) for k in range(longest)]
        for index in range(self.sizes.members):
            member, count = index + 1, self.sizes.days_of(index)
            span = count + rnd.randint(0, count // 2)
            mine = self.groups_of.get(member, [])
            for k in sorted(rnd.sample(range(span), count), reverse=True):
                at = stamp(days[k], rnd.randrange(86_400), rnd.randrange(1_000_000))
                group = rnd.choice(mine) if mine and rnd.random() < 0.08 else None
                yield (
                    1,
                    member,
                    group,
                    days[k].isoformat(),
                    rnd.randint(1, 5),
                    rnd.choice(progress) if rnd.random() < 0.8 else None,
                    rnd.choice(blockers) if rnd.random() < 0.2 else None,
                    at,
                    at,
                )


def prepare(path: Path, sizes: Sizes, seed: int, rebuild: bool) -> None:
    """Reuse the file when it is complete, else build it in a child process (its page cache
    and row lists then do not count towards this process's peak RSS)."""
    if not rebuild and is_ready(path, sizes):
        print(f"reused {path} ({sizes.members:,} members, {sizes.checkins:,} check-ins)")
        return
    print(f"building {path} ...", flush=True)
    started = time.perf_counter()
    with ProcessPoolExecutor(1, mp_context=get_context("fork")) as pool:
        counts = pool.submit(build, path, sizes, seed).result()
    took = time.perf_counter() - started
    print("  " + ", ".join(f"{name} {n:,}" for name, n in counts.items()))
    print(f"built in {took:.1f} s ({path.stat().st_size / 2**20:,.0f} MiB)")


def working_copy(source: Path, label: str) -> Path:
    target = source.with_name(f"{source.stem}.{label}{source.suffix}")
    remove_db(target)
    shutil.copyfile(source, target)
    return target


# -- the state the workload needs, read back from the file -----------------------------------------
# Kept in tuples and flat dicts, which the garbage collector stops tracking, so the driver's own
# state does not make the core's GC pauses longer than they would be in an adapter process.
class Person(NamedTuple):
    id: int
    platform_id: str
    name: str

    @property
    def actor(self) -> Actor:
        return Actor(self.platform_id, self.name, False)


@dataclass
class Group:
    id: int
    name: str
    capacity: int | None
    size: int


@dataclass
class World:
    people: list[tuple[int, str, str]]  # plain tuples: (member id, platform id, name)
    zones: dict[int, str | None]  # member id -> own time zone
    groups: dict[int, Group]
    groups_of: dict[int, tuple[int, ...]]  # member id -> active groups
    open_requests: list[tuple[int, int]]  # (request id, requester member id)
    prompts: dict[str, tuple[int, str]]  # channel -> latest (prompt_post id, text)
    topics: list[str]

    @classmethod
    def load(cls, path: Path) -> World:
        conn = sqlite3.connect(path)
        rows = conn.execute(
            "SELECT id, platform_id, display_name, timezone FROM member WHERE NOT forgotten"
        ).fetchall()
        people = [(mid, platform_id, name) for mid, platform_id, name, _ in rows]
        zones = {mid: zone for mid, _, _, zone in rows}
        groups = {
            gid: Group(gid, name, cap, size)
            for gid, name, cap, size in conn.execute(
                "SELECT g.id, g.name, g.capacity, (SELECT count(*) FROM membership m WHERE "
                "m.group_id = g.id) FROM study_group g WHERE g.archived_at IS NULL"
            )
        }
        groups_of: dict[int, tuple[int, ...]] = {}
        for gid, mid in conn.execute("SELECT group_id, member_id FROM membership"):
            if gid in groups:
                groups_of[mid] = (*groups_of.get(mid, ()), gid)
        open_requests = conn.execute(
            "SELECT id, requester_id FROM help_request WHERE status = 'open'"
        ).fetchall()
        prompts = {
            ch: (pid, text)
            for ch, pid, text in conn.execute(
                "SELECT channel, id, text FROM prompt_post ORDER BY posted_at, id"
            )
        }
        topics = [t for (t,) in conn.execute("SELECT DISTINCT topic FROM tutor_offer")]
        conn.close()
        return cls(people, zones, groups, groups_of, open_requests, prompts, topics or [*TOPICS])


# -- the workload ----------------------------------------------------------------------------------
Write = tuple[str, tuple]  # (baseline statement name, parameters)


@dataclass
class Cmd:
    kind: str
    line: str
    person: Person
    channel: str = "general"
    on_ok: Callable[[Outcome, datetime], Write | None] | None = None


@dataclass
class Workload:
    """Generates commands one at a time and keeps ``world`` in step with what succeeded."""

    world: World
    rnd: random.Random
    writes: list[Write] = field(default_factory=list)
    pending: deque[Cmd] = field(default_factory=deque)

    # Weights are shares of commands; a claim+done cycle yields two commands.
    def slots(self) -> list[tuple[float, Callable[[Person], list[Cmd]]]]:
        return [
            (40, self.checkin),
            (10, self.me),
            (10, self.queue),
            (5, self.request),
            (2.5, self.claim_done),
            (10, self.group_read),
            (5, self.join_or_leave),
            (10, self.reflect),
            (5, self.misc),
        ]

    def next(self) -> Cmd:
        if not self.pending:
            weights, makers = zip(*self.slots(), strict=True)
            maker = self.rnd.choices(makers, weights)[0]
            self.pending.extend(maker(Person(*self.rnd.choice(self.world.people))))
        return self.pending.popleft()

    def succeeded(self, cmd: Cmd, outcome: Outcome, now: datetime) -> None:
        if cmd.on_ok is not None and (write := cmd.on_ok(outcome, now)) is not None:
            self.writes.append(write)

    # -- command makers ----------------------------------------------------------------------------
    def checkin(self, p: Person) -> list[Cmd]:
        rnd = self.rnd
        mood = rnd.randint(1, 5) if rnd.random() < 0.9 else None
        progress = sentence(rnd) if mood is None or rnd.random() < 0.85 else None
        blockers = None
        if rnd.random() < 0.3:
            topic = rnd.choice(self.world.topics) if rnd.random() < 0.5 else "the reading"
            blockers = f"{sentence(rnd, 2, 5)} {topic}"
        mine = sorted(self.world.groups_of.get(p.id, ()))
        group = self.world.groups[rnd.choice(mine)] if mine and rnd.random() < 0.1 else None
        line = "/checkin" + (f" --mood {mood}" if mood else "")
        line += f' --progress "{progress}"' if progress else ""
        line += f' --blockers "{blockers}"' if blockers else ""
        line += f' --group "{group.name}"' if group else ""

        def ok(_: Outcome, now: datetime) -> Write:
            day = zones.local_date(now, self.world.zones[p.id] or "UTC").isoformat()
            return "checkin", (
                1,
                p.id,
                group.id if group else None,
                day,
                mood,
                progress,
                blockers,
                stamp_of(now),
                stamp_of(now),
            )

        kind = "checkin" + (" +blockers" if blockers else "") + (" +group" if group else "")
        return [Cmd(kind, line, p, on_ok=ok)]

    def me(self, p: Person) -> list[Cmd]:
        return [Cmd("me", "/me", p)]

    def queue(self, p: Person) -> list[Cmd]:
        if self.rnd.random() < 0.5:
            return [Cmd("tutor queue", "/tutor queue", p)]
        return [Cmd("tutor queue topic", f"/tutor queue {self.rnd.choice(TOPICS)}", p)]

    def request(self, p: Person) -> list[Cmd]:
        topic, details = self.rnd.choice(TOPICS), sentence(self.rnd, 6, 20)
        channel = self.rnd.choice(CHANNELS)

        def ok(outcome: Outcome, now: datetime) -> Write:
            found = re.search(r"Request #(\d+)", outcome.reply.text)
            if found:
                self.world.open_requests.append((int(found.group(1)), p.id))
            return "request", (
                1,
                p.id,
                topic,
                normalise_key(topic),
                details,
                channel,
                stamp_of(now),
            )

        return [Cmd("tutor request", f'/tutor request "{topic}" {details}', p, channel, ok)]

    def claim_done(self, p: Person) -> list[Cmd]:
        open_ = self.world.open_requests
        candidates = [
            i for i in self.rnd.sample(range(len(open_)), min(5, len(open_))) if open_[i][1] != p.id
        ]
        if not candidates:
            return self.queue(p)
        index = candidates[0]
        request_id = open_[index][0]
        open_[index] = open_[-1]
        open_.pop()
        notes = sentence(self.rnd, 3, 8)
        claimed = Cmd(
            "tutor claim",
            f"/tutor claim {request_id}",
            p,
            on_ok=lambda _, now: ("claim", (p.id, stamp_of(now), request_id)),
        )
        done = Cmd(
            "tutor done",
            f"/tutor done {request_id} {notes}",
            p,
            on_ok=lambda _, now: ("done", (stamp_of(now), notes, request_id)),
        )
        return [claimed, done]

    def group_read(self, p: Person) -> list[Cmd]:
        if self.rnd.random() < 0.5:
            return [Cmd("group list", "/group list", p)]
        group = self.rnd.choice(list(self.world.groups.values()))
        return [Cmd("group info", f'/group info "{group.name}"', p)]

    def join_or_leave(self, p: Person) -> list[Cmd]:
        mine = self.world.groups_of.get(p.id, ())
        if mine and (self.rnd.random() < 0.5 or len(mine) >= 5):
            return [self._leave(p, self.world.groups[self.rnd.choice(sorted(mine))])]
        others = [
            g
            for g in self.rnd.sample(
                list(self.world.groups.values()), min(10, len(self.world.groups))
            )
            if g.id not in mine and (g.capacity is None or g.size < g.capacity)
        ]
        return [self._join(p, others[0])] if others else self.group_read(p)

    def _join(self, p: Person, group: Group) -> Cmd:
        def ok(_: Outcome, now: datetime) -> Write:
            self.world.groups_of[p.id] = (*self.world.groups_of.get(p.id, ()), group.id)
            group.size += 1
            return "join", (1, group.id, p.id, stamp_of(now))

        return Cmd("group join", f'/group join "{group.name}"', p, on_ok=ok)

    def _leave(self, p: Person, group: Group) -> Cmd:
        def ok(_: Outcome, now: datetime) -> Write:
            self.world.groups_of[p.id] = tuple(set(self.world.groups_of[p.id]) - {group.id})
            group.size -= 1
            return "leave", (group.id, p.id)

        return Cmd("group leave", f'/group leave "{group.name}"', p, on_ok=ok)

    def reflect(self, p: Person) -> list[Cmd]:
        visibility = self.rnd.choices(("shared", "private", "anonymous"), (60, 20, 20))[0]
        text, channel = sentence(self.rnd, 8, 30), self.rnd.choice(CHANNELS)
        flag = "" if visibility == "shared" else f" --{visibility}"

        def ok(_: Outcome, now: datetime) -> Write:
            post_id, prompt = self.world.prompts.get(channel, (None, None))
            return "reflect", (1, p.id, post_id, prompt, channel, text, visibility, stamp_of(now))

        return [Cmd(f"reflect {visibility}", f"/reflect {text}{flag}", p, channel, ok)]

    def misc(self, p: Person) -> list[Cmd]:
        roll = self.rnd.random()
        if roll < 0.6:
            return [Cmd("reflect list", "/reflect list", p)]
        if roll < 0.9:
            zone = self.rnd.choice(ZONES)

            def ok(_: Outcome, now: datetime) -> Write:
                self.world.zones[p.id] = zone
                return "timezone", (zone, p.id)

            return [Cmd("me timezone", f"/me timezone {zone}", p, on_ok=ok)]
        return [Cmd("cohort help", "/cohort help", p)]


# -- running the core ------------------------------------------------------------------------------
@dataclass
class CoreRun:
    wall_s: float
    samples: list[tuple[str, float]]  # (kind, ms)
    errors: Counter[str]
    warm_writes: int
    writes: list[Write]
    open_requests: tuple[int, int]  # open help requests before and after the measured run
    gc: GcTimer


@dataclass
class GcTimer:
    """Time spent in the cyclic garbage collector while attached (``gc.callbacks``)."""

    seconds: float = 0.0
    runs: Counter[int] = field(default_factory=Counter)
    _started: float = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.seconds += time.perf_counter() - self._started
            self.runs[info["generation"]] += 1


def run_core(path: Path, world: World, commands: int, warmup: int, seed: int, sync: str) -> CoreRun:
    clock = FakeClock(RUN_START)
    core = bootstrap(sqlite_url(path), clock=clock, synchronous=sync)
    work, rnd = Workload(world, random.Random(seed + 1)), random.Random(seed + 2)
    errors: Counter[str] = Counter()

    def one() -> tuple[str, float]:
        cmd = work.next()
        clock.advance(timedelta(seconds=rnd.uniform(1, 4)))
        started = time.perf_counter()
        outcome = core.handle_text(
            cmd.line, community=COMMUNITY_KEY, channel=cmd.channel, actor=cmd.person.actor
        )
        took = (time.perf_counter() - started) * 1000
        if outcome.reply.is_error:
            errors[f"{cmd.kind}: {re.sub(r'[0-9]+', 'N', outcome.reply.text)[:90]}"] += 1
        else:
            work.succeeded(cmd, outcome, clock.now())
        return cmd.kind, took

    for _ in range(warmup):
        one()
    errors.clear()
    warm_writes, open_before, timer = len(work.writes), len(world.open_requests), GcTimer()
    gc.callbacks.append(timer)
    started = time.perf_counter()
    samples = [one() for _ in range(commands)]
    wall = time.perf_counter() - started
    gc.callbacks.remove(timer)
    core.uow.dispose()  # type: ignore[attr-defined]
    opened = (open_before, len(world.open_requests))
    return CoreRun(wall, samples, errors, warm_writes, work.writes, opened, timer)


def report_core(run: CoreRun, commands: int, warmup: int) -> tuple[float, float]:
    ms = sorted(took for _, took in run.samples)
    rate = len(ms) / run.wall_s
    print(f"\n== core: {commands:,} commands after {warmup:,} warm-up, one in-process Core")
    print(f"throughput    {rate:,.0f} commands/s ({run.wall_s:.2f} s wall)")
    print(
        f"latency (ms)  p50 {pct(ms, 0.5):.2f}  p90 {pct(ms, 0.9):.2f}  "
        f"p99 {pct(ms, 0.99):.2f}  max {ms[-1]:.2f}"
    )
    print(f"error replies {sum(run.errors.values()):,}")
    for text, n in run.errors.most_common(5):
        print(f"  {n:>6,}  {text}")
    print(f"peak RSS      {peak_rss_mib():,.0f} MiB")
    print(f"writes        {len(run.writes) - run.warm_writes:,} successful write commands")
    print(
        f"open requests {run.open_requests[0]:,} at the start, {run.open_requests[1]:,} at the end"
    )
    runs = ", ".join(f"gen{g} {n:,}" for g, n in sorted(run.gc.runs.items()))
    print(f"gc pauses     {run.gc.seconds:.2f} s in collections ({runs})")
    report_kinds(run.samples)
    return rate, pct(ms, 0.99)


def report_kinds(samples: list[tuple[str, float]]) -> None:
    by_kind: dict[str, list[float]] = defaultdict(list)
    for kind, took in samples:
        by_kind[kind].append(took)
    print(f"  {'command':<26}{'n':>7}{'mean':>9}{'p50':>9}{'p99':>9}{'max':>9}  (ms)")
    for kind, values in sorted(by_kind.items(), key=lambda kv: -sum(kv[1])):
        values.sort()
        print(
            f"  {kind:<26}{len(values):>7,}{sum(values) / len(values):>9.2f}"
            f"{pct(values, 0.5):>9.2f}{pct(values, 0.99):>9.2f}{values[-1]:>9.2f}"
        )


# -- the raw sqlite3 baseline ----------------------------------------------------------------------
BASELINE_SQL = {
    "checkin": "INSERT INTO checkin (community_id, member_id, group_id, local_date, mood, "
    "progress, blockers, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (member_id, local_date, coalesce(group_id, 0)) DO UPDATE SET "
    "mood = coalesce(excluded.mood, mood), progress = coalesce(excluded.progress, progress), "
    "blockers = coalesce(excluded.blockers, blockers), updated_at = excluded.updated_at",
    "reflect": "INSERT INTO reflection (community_id, member_id, prompt_post_id, prompt_text, "
    "channel, text, visibility, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    "request": "INSERT INTO help_request (community_id, requester_id, topic, topic_key, details, "
    "channel, status, created_at) VALUES (?, ?, ?, ?, ?, ?, 'open', ?)",
    "claim": "UPDATE help_request SET status = 'claimed', claimed_by = ?, claimed_at = ? "
    "WHERE id = ?",
    "done": "UPDATE help_request SET status = 'done', resolved_at = ?, notes = ? WHERE id = ?",
    "join": "INSERT INTO membership (community_id, group_id, member_id, role, joined_at) "
    "VALUES (?, ?, ?, 'member', ?)",
    "leave": "DELETE FROM membership WHERE group_id = ? AND member_id = ?",
    "timezone": "UPDATE member SET timezone = ? WHERE id = ?",
}


def run_baseline(
    path: Path, writes: list[Write], warm: int, sync: str
) -> tuple[float, list[float]]:
    """Replay the core's writes, warm-up ones unmeasured; returns (wall s, sorted ms)."""
    conn = sqlite3.connect(path, isolation_level=None, timeout=5)
    for pragma in RUN_PRAGMAS.format(sync=sync).split():
        conn.execute(f"PRAGMA {pragma}")

    def one(op: str, params: tuple) -> float:
        started = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(BASELINE_SQL[op], params)
        conn.execute("COMMIT")
        return (time.perf_counter() - started) * 1000

    for op, params in writes[:warm]:
        one(op, params)
    started = time.perf_counter()
    ms = sorted(one(op, params) for op, params in writes[warm:])
    wall = time.perf_counter() - started
    conn.close()
    return wall, ms


def report_baseline(
    run: CoreRun, wall: float, ms: list[float], core_rate: float, core_p99: float
) -> None:
    ops = Counter(op for op, _ in run.writes[run.warm_writes :])
    rate = len(ms) / wall if wall else 0.0
    print(
        f"\n== baseline: raw sqlite3, the same {len(ms):,} writes, one BEGIN IMMEDIATE "
        "transaction each"
    )
    print("  " + ", ".join(f"{op} {n:,}" for op, n in ops.most_common()))
    print(f"throughput    {rate:,.0f} ops/s ({wall:.2f} s wall)")
    print(f"latency (ms)  p50 {pct(ms, 0.5):.3f}  p99 {pct(ms, 0.99):.3f}  max {ms[-1]:.3f}")
    print(f"core/baseline throughput {core_rate / rate:.3f}x, p99 {core_p99 / pct(ms, 0.99):.1f}x")


def summary(rate: float, p99: float) -> None:
    def mark(ok: bool) -> str:
        return "PASS" if ok else "MISS"

    print("\n== summary")
    print(
        f"p99 latency   {p99:8.2f} ms   target < {TARGET_P99_MS:.0f} ms       "
        f"{mark(p99 < TARGET_P99_MS)}"
    )
    print(
        f"throughput    {rate:8,.0f} /s   target >= {TARGET_RATE:,.0f} commands/s  "
        f"{mark(rate >= TARGET_RATE)}"
    )


# -- main ------------------------------------------------------------------------------------------
def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--checkins", type=int, default=1_000_000)
    parser.add_argument("--commands", type=int, default=20_000)
    parser.add_argument("--warmup", type=int, default=500)
    parser.add_argument("--db", type=Path, help="the generated file (default: under bench/)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--synchronous",
        default="NORMAL",
        choices=["NORMAL", "FULL"],
        help="SQLite synchronous for both the core and the baseline (Cohort's default: NORMAL)",
    )
    parser.add_argument("--rebuild", action="store_true", help="build even if reusable")
    parser.add_argument("--keep", action="store_true", help="keep the working copies")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    sizes = Sizes(args.members, args.checkins)
    source = (args.db or default_db(sizes)).resolve()
    print("== build")
    prepare(source, sizes, args.seed, args.rebuild)
    core_db, base_db = working_copy(source, "core-run"), working_copy(source, "baseline-run")
    print(f"\n(SQLite synchronous={args.synchronous} for both the core and the baseline)")
    run = run_core(
        core_db, World.load(core_db), args.commands, args.warmup, args.seed, args.synchronous
    )
    rate, p99 = report_core(run, args.commands, args.warmup)
    wall, ms = run_baseline(base_db, run.writes, run.warm_writes, args.synchronous)
    report_baseline(run, wall, ms, rate, p99)
    summary(rate, p99)
    if not args.keep:
        remove_db(core_db)
        remove_db(base_db)


if __name__ == "__main__":
    main()
