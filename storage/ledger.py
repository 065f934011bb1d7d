"""``SqlLedger``: the scheduler's outbox over SQLite or PostgreSQL (``bot.ports.Ledger``).

Its SQLite connections use ``synchronous=FULL``: a "sent" mark lost to a power cut would
mean a duplicate post. Every write starts with ``BEGIN IMMEDIATE`` on SQLite, which
serialises dispatchers and senders on one host; on PostgreSQL due schedules and deliveries
are taken ``FOR UPDATE SKIP LOCKED``, so processes split the work instead of queueing.
Statements go through SQLAlchemy Core: a fan-out of 10,000 posts must not build ORM objects.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import date, datetime
from threading import Lock
from typing import Any, cast

from sqlalchemy import (
    Connection,
    CursorResult,
    Engine,
    bindparam,
    exists,
    func,
    insert,
    or_,
    select,
    tuple_,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from bot.ports import Claimed, DueSchedule, Finished, NewDelivery
from bot.scheduler import platform_of
from storage.engine import is_sqlite, make_engine
from storage.models import (
    AwayPeriod,
    CheckIn,
    Community,
    CustomPrompt,
    Delivery,
    Member,
    Membership,
    PromptPost,
    Schedule,
    SkipDate,
    StudyGroup,
)
from storage.statements import delivery_values, table

log = logging.getLogger(__name__)

S, D, CM, M = table(Schedule), table(Delivery), table(Community), table(Member)
G, MS, A, C = table(StudyGroup), table(Membership), table(AwayPeriod), table(CheckIn)
SK, CP, P = table(SkipDate), table(CustomPrompt), table(PromptPost)
CHUNK = 400

_DUE_COLUMNS = (
    S.c.id,
    S.c.community_id,
    CM.c.key.label("community_key"),
    S.c.kind,
    S.c.channel,
    S.c.group_id,
    G.c.name.label("group_name"),
    S.c.pack,
    S.c.weekday,
    S.c.hour,
    S.c.minute,
    S.c.every,
    S.c.anchor,
    S.c.timezone,
    S.c.remind_minutes,
    S.c.prompt_index,
    S.c.next_fire_at,
)
_CLAIMED_COLUMNS = (
    D.c.id,
    D.c.community_id,
    D.c.schedule_id,
    D.c.kind,
    D.c.occurrence_key,
    D.c.member_id,
    D.c.channel,
    D.c.body,
    D.c.pack,
    D.c.recipients,
    D.c.due_at,
    D.c.expires_at,
    D.c.attempts,
    D.c.last_error,
)
_ADVANCE = (
    update(S)
    .where(S.c.id == bindparam("b_id"))
    .values(next_fire_at=bindparam("b_next"), prompt_index=bindparam("b_index"))
)


def _instant(name: str) -> Any:
    """A bound instant with the column type, so SQLite compares stored text with stored
    text (an untyped datetime binds as '... 08:00:00+00:00', which sorts before the
    stored '... 08:00:00.000000' and was never due)."""
    return bindparam(name, type_=D.c.due_at.type)


_MARK_SENT = (
    update(D)
    .where(
        D.c.lease_owner == bindparam("b_owner"),
        D.c.status == "sending",
        tuple_(D.c.id, D.c.attempts).in_(bindparam("b_keys", expanding=True)),
    )
    .values(status="sent", sent_at=_instant("b_now"), lease_until=None)  # the owner stays
    .returning(D.c.id)
)
_SET_MESSAGE_ID = update(D).where(D.c.id == bindparam("b_id")).values(message_id=bindparam("b_mid"))


@functools.cache
def _claim(limit: int, postgres: bool, *, stale: bool) -> Any:
    """``UPDATE ... RETURNING`` leasing up to ``limit`` rows, built once per shape."""
    if stale:  # a sender died or stalled holding these
        due = (D.c.status == "sending", D.c.lease_until < _instant("b_now"))
    else:
        due = (D.c.status == "pending", D.c.next_attempt_at <= _instant("b_now"))
    pick = (
        select(D.c.id)
        .where(D.c.platform == bindparam("b_platform"), *due)
        .order_by(D.c.next_attempt_at, D.c.id)
        .limit(limit)
    )
    if postgres:
        pick = pick.with_for_update(skip_locked=True)
    return (
        update(D)
        .where(D.c.id.in_(pick))
        .values(
            status="sending",
            lease_owner=bindparam("b_owner"),
            lease_until=_instant("b_until"),
            attempts=D.c.attempts + 1,
        )
        .returning(*_CLAIMED_COLUMNS)
    )


def _final_values(r: Finished) -> dict[str, Any]:
    """What a retry, a release or a give-up writes (a send goes through _MARK_SENT)."""
    free = {"lease_owner": None, "lease_until": None}
    if r.outcome == "retry":
        return {
            **free,
            "status": "pending",
            "next_attempt_at": r.retry_at,
            "last_error": (r.error or "")[:300],
        }
    if r.outcome == "released":
        return {**free, "status": "pending", "attempts": D.c.attempts - 1}
    return {**free, "status": r.outcome, "last_error": (r.error or "")[:300] or None}


def _day(occurrence_key: str) -> date:
    return date.fromisoformat(occurrence_key[:10])


_QUEUES: dict[str, Lock] = {}  # one per SQLite file in this process


class SqlLedger:
    """Opens one short ledger transaction at a time."""

    def __init__(self, url: str, *, engine: Engine | None = None) -> None:
        self.postgres = not is_sqlite(url)
        self.engine = engine or make_engine(url, immediate=True, synchronous="FULL")
        self._owns_engine = engine is None
        self._keys: dict[int, str] = {}  # community id -> key, which never changes
        url_key = self.engine.url.render_as_string()
        self._queue: AbstractContextManager[Any] = (
            nullcontext() if self.postgres else _QUEUES.setdefault(url_key, Lock())
        )

    @contextmanager
    def begin(self) -> Iterator[SqlLedgerTx]:
        # SQLite's busy handler polls with sleeps and is unfair: in a fan-out one sender
        # waited past the 5 s timeout while no transaction held the lock for 0.11 s.
        # So one process's ledger writers queue on a lock; other processes still poll.
        with self._queue, self.engine.begin() as connection:
            yield SqlLedgerTx(connection, postgres=self.postgres, keys=self._keys)

    def dispose(self) -> None:
        if self._owns_engine:
            self.engine.dispose()


class SqlLedgerTx:
    def __init__(
        self, connection: Connection, *, postgres: bool, keys: dict[int, str] | None = None
    ) -> None:
        self.c = connection
        self.postgres = postgres
        self.keys = {} if keys is None else keys

    def _locked(self, query: Any, **of: Any) -> Any:
        return query.with_for_update(skip_locked=True, **of) if self.postgres else query

    # -- dispatch --------------------------------------------------------------------------
    def due_schedules(self, now: datetime, limit: int) -> list[DueSchedule]:
        query = (
            select(*_DUE_COLUMNS)
            .select_from(
                S.join(CM, CM.c.id == S.c.community_id).outerjoin(G, G.c.id == S.c.group_id)
            )
            .where(S.c.paused.is_(False), S.c.next_fire_at <= now)
            .order_by(S.c.next_fire_at, S.c.id)
            .limit(limit)
        )
        rows = self.c.execute(self._locked(query, of=S)).all()
        return [DueSchedule(**row._mapping) for row in rows]

    def skip_days(self, community_ids: Sequence[int]) -> set[tuple[int, date]]:
        rows = self.c.execute(
            select(SK.c.community_id, SK.c.day).where(SK.c.community_id.in_(community_ids))
        )
        return {(cid, day) for cid, day in rows}

    def custom_prompts(self, community_id: int, pack: str) -> list[str]:
        query = (
            select(CP.c.text)
            .where(CP.c.community_id == community_id, CP.c.pack == pack)
            .order_by(CP.c.id)
        )
        return list(self.c.execute(query).scalars())

    def reminder_members(self, community_id: int, zone: str, day: date) -> list[int]:
        """Members whose own zone (else the community's) is ``zone``, who are not away on
        ``day`` and have not checked in on it."""
        community_zone = select(CM.c.timezone).where(CM.c.id == community_id).scalar_subquery()
        away = exists().where(A.c.member_id == M.c.id, A.c.start <= day, A.c.end >= day)
        checked_in = exists().where(C.c.member_id == M.c.id, C.c.local_date == day)
        query = (
            select(M.c.id)
            .where(
                M.c.community_id == community_id,
                M.c.forgotten.is_(False),
                func.coalesce(M.c.timezone, community_zone) == zone,
                ~away,
                ~checked_in,
            )
            .order_by(M.c.id)
        )
        return list(self.c.execute(query).scalars())

    def existing_slots(self, keys: Sequence[tuple[int, str]]) -> set[tuple[int, str]]:
        found: set[tuple[int, str]] = set()
        for start in range(0, len(keys), CHUNK):
            chunk = keys[start : start + CHUNK]
            rows = self.c.execute(
                select(D.c.schedule_id, D.c.occurrence_key).where(
                    tuple_(D.c.schedule_id, D.c.occurrence_key).in_(chunk)
                )
            )
            found.update((sid, key) for sid, key in rows)
        return found

    def add_deliveries(self, rows: Sequence[NewDelivery], now: datetime) -> None:
        if not rows:
            return
        dialect = postgresql if self.postgres else sqlite
        statement = dialect.insert(D).on_conflict_do_nothing(
            index_elements=["schedule_id", "occurrence_key"]
        )
        values = [delivery_values(r, now) for r in rows]
        for start in range(0, len(values), CHUNK):
            self.c.execute(statement, values[start : start + CHUNK])

    def advance(self, updates: Sequence[tuple[int, datetime, int]]) -> None:
        if updates:
            self.c.execute(
                _ADVANCE, [{"b_id": i, "b_next": n, "b_index": x} for i, n, x in updates]
            )

    # -- claim -----------------------------------------------------------------------------
    def claim(
        self, platform: str, now: datetime, owner: str, lease_until: datetime, limit: int
    ) -> list[Claimed]:
        """Pending rows first; leases that ran out only to fill the batch. Two narrow
        picks use the claim index, where one ``OR`` of both scanned and sorted every row."""
        params = {"b_platform": platform, "b_now": now, "b_owner": owner, "b_until": lease_until}
        rows = list(self.c.execute(_claim(limit, self.postgres, stale=False), params))
        if len(rows) < limit:
            stale = _claim(limit - len(rows), self.postgres, stale=True)
            rows += self.c.execute(stale, params).all()
        if not rows:
            return []
        rows.sort(key=lambda r: (r.due_at, r.id))
        missing = {r.community_id for r in rows} - self.keys.keys()
        if missing:  # a community's key never changes: one lookup per ledger
            found = self.c.execute(select(CM.c.id, CM.c.key).where(CM.c.id.in_(missing)))
            self.keys.update(dict(found.all()))
        return [self._claimed(row, self.keys[row.community_id], lease_until) for row in rows]

    def _claimed(self, row: Any, community_key: str, lease_until: datetime) -> Claimed:
        fields = {k: v for k, v in row._mapping.items() if k not in ("member_id", "recipients")}
        if row.kind == "checkin":
            fields.update(self._checkin_recipient(row))
        elif row.kind == "meeting":
            fields.update(self._meeting_audience(row))
        elif row.recipients:
            fields["recipients"] = tuple(row.recipients.split(","))
        return Claimed(**fields, community_key=community_key, lease_until=lease_until)

    def _checkin_recipient(self, row: Any) -> dict[str, Any]:
        day = _day(row.occurrence_key)
        member = self.c.execute(
            select(M.c.platform_id, M.c.forgotten).where(M.c.id == row.member_id)
        ).first()
        busy = self.c.execute(
            select(
                exists().where(C.c.member_id == row.member_id, C.c.local_date == day)
                | exists().where(A.c.member_id == row.member_id, A.c.start <= day, A.c.end >= day)
            )
        ).scalar()
        wanted = member is not None and not member.forgotten and not busy
        return {"recipients": (member.platform_id,) if member else (), "wanted": wanted}

    def _meeting_audience(self, row: Any) -> dict[str, Any]:
        day = _day(row.occurrence_key)
        group = self.c.execute(
            select(G.c.id, G.c.name, G.c.archived_at)
            .select_from(G.join(S, S.c.group_id == G.c.id))
            .where(S.c.id == row.schedule_id)
        ).first()
        if group is None:
            return {"wanted": False}
        away = exists().where(A.c.member_id == M.c.id, A.c.start <= day, A.c.end >= day)
        ids = self.c.execute(
            select(M.c.platform_id)
            .select_from(MS.join(M, M.c.id == MS.c.member_id))
            .where(MS.c.group_id == group.id, M.c.forgotten.is_(False), ~away)
            .order_by(M.c.id)
        ).scalars()
        return {
            "mentions": tuple(ids),
            "group_name": group.name,
            "wanted": group.archived_at is None,
        }

    # -- finish ----------------------------------------------------------------------------
    def finish(self, results: Sequence[Finished], owner: str, now: datetime) -> int:
        """Record outcomes behind the fencing check (our lease, our attempt, still sending).

        Sent rows, the bulk of a fan-out, go in one UPDATE ... RETURNING: building a
        statement per row cost more than the database's own work (bench/fanout.py).
        """
        sent = [r for r in results if r.outcome == "sent"]
        recorded = self._mark_sent(sent, owner, now) if sent else set()
        for r in sent:
            if r.claimed.id not in recorded:
                log.warning("delivery %s: lease lost before sent was recorded", r.claimed.id)
        for r in results:
            if r.outcome != "sent":
                self._finish_one(r, owner, now)
        return len(recorded)

    def _mark_sent(self, sent: Sequence[Finished], owner: str, now: datetime) -> set[int]:
        keys = [(r.claimed.id, r.claimed.attempts) for r in sent]
        recorded = set(
            self.c.execute(_MARK_SENT, {"b_owner": owner, "b_now": now, "b_keys": keys}).scalars()
        )
        ids = [
            {"b_id": r.claimed.id, "b_mid": r.message_id}
            for r in sent
            if r.message_id and r.claimed.id in recorded
        ]
        if ids:
            self.c.execute(_SET_MESSAGE_ID, ids)
        prompts = [
            {
                "community_id": r.claimed.community_id,
                "channel": r.claimed.channel,
                "pack": r.claimed.pack,
                "text": r.claimed.body[:600],
                "posted_at": now,
            }
            for r in sent
            if r.claimed.kind == "prompt" and r.claimed.id in recorded
        ]
        if prompts:  # /reflect in the channel now answers this prompt
            self.c.execute(insert(P), prompts)
        return recorded

    def _finish_one(self, r: Finished, owner: str, now: datetime) -> None:
        c = r.claimed
        fence = update(D).where(
            D.c.id == c.id,
            D.c.lease_owner == owner,
            D.c.attempts == c.attempts,
            D.c.status == "sending",
        )
        result = cast(CursorResult[Any], self.c.execute(fence.values(**_final_values(r))))
        if result.rowcount != 1:
            log.warning("delivery %s: lease lost before %s was recorded", c.id, r.outcome)
        elif r.outcome == "failed" and r.report:
            self._report(r, now)

    def _report(self, r: Finished, now: datetime) -> None:
        c = r.claimed
        creator = select(S.c.created_by).where(S.c.id == c.schedule_id).scalar_subquery()
        recipients = self.c.execute(
            select(M.c.platform_id)
            .where(
                M.c.community_id == c.community_id,
                M.c.forgotten.is_(False),
                or_(M.c.is_organiser.is_(True), M.c.id == creator),
            )
            .order_by(M.c.id)
        ).scalars()
        ids = ",".join(recipients)[:2000]
        if not ids:
            log.error("delivery %s failed and no organiser is known to tell", c.id)
            return
        self.add_deliveries(
            [
                NewDelivery(
                    community_id=c.community_id,
                    schedule_id=c.schedule_id,
                    platform=platform_of(c.community_key),
                    occurrence_key=f"{c.occurrence_key}/report",
                    kind="report",
                    due_at=now,
                    expires_at=r.report_until or now,
                    channel="",
                    body=r.report or "",
                    recipients=ids,
                )
            ],
            now,
        )

    def next_due(self, platform: str) -> datetime | None:
        fire = select(func.min(S.c.next_fire_at)).where(
            S.c.paused.is_(False),
            S.c.community_id.in_(select(CM.c.id).where(CM.c.key.like(f"{platform}:%"))),
        )
        retry = select(func.min(D.c.next_attempt_at)).where(
            D.c.platform == platform, D.c.status == "pending"
        )
        lease = select(func.min(D.c.lease_until)).where(
            D.c.platform == platform, D.c.status == "sending"
        )
        found = [self.c.execute(q).scalar() for q in (fire, retry, lease)]
        times = [t for t in found if t is not None]
        return min(times) if times else None
