"""The scheduler's decisions: which slots are due, what each post says, and what a failed
send means. Exactly-once comes from the ledger (``bot.ports.Ledger``):

1. **Dispatch.** In one short transaction, lock the due schedules (``FOR UPDATE SKIP
   LOCKED`` on PostgreSQL, the write lock on SQLite), write one delivery per (schedule,
   local slot), and advance each schedule's ``next_fire_at``. The unique key makes a second
   dispatcher, a restart, or a DST repeat a no-op.
2. **Claim.** Lease a few due deliveries (``UPDATE ... RETURNING``) and commit.
3. **Send**, with no transaction open, carrying ``d<id>`` as the platform nonce.
4. **Finish.** Mark sent only if the lease is still ours (a fencing check), or schedule a
   retry with backoff, or fail and tell the organisers after the last try.

A process killed between 2 and 4 leaves a leased row; when the lease runs out another
sender takes it, and the nonce lets the platform drop the repeat (Discord's
``enforce_nonce``).
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from bot import timetable, zones
from bot.clock import Clock
from bot.packs import PromptLibrary
from bot.ports import Claimed, DueSchedule, Finished, Ledger, LedgerTx, NewDelivery
from bot.text import neutralise_post
from bot.types import Button, Post

log = logging.getLogger(__name__)

STEP_LIMIT = 100_000  # due times one step_through may walk
CATCH_UP_LIMIT = 400  # fires replayed (as expired rows) for one schedule in one pass
ANSWER_HINT = "Answer with /reflect <your thoughts> here; add --private or --anonymous."


@dataclass(frozen=True)
class SchedulerSettings:
    """How late is too late, how long a lease lasts, and how hard to retry."""

    grace: timedelta = timedelta(hours=1)
    lease: timedelta = timedelta(seconds=60)
    max_attempts: int = 5
    backoff: timedelta = timedelta(seconds=30)
    backoff_cap: timedelta = timedelta(minutes=15)
    dispatch_batch: int = 200  # small: the first rows are sent while the rest are written
    claim_batch: int = 50
    workers: int = 8  # bench/fanout.py: the fastest of 4-16 on SQLite and PostgreSQL
    send_timeout: float = 20.0
    report_window: timedelta = timedelta(days=2)


class SendFailed(Exception):
    """A platform refused or failed a post. ``permanent``: retrying cannot help."""

    def __init__(self, reason: str, *, permanent: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent


class Messenger(Protocol):
    """Sends one post; returns the platform's message id. Raises ``SendFailed``."""

    async def send(self, post: Post) -> str | None: ...


async def send_to_each(
    members: Sequence[str], send: Callable[[str], Awaitable[str | None]]
) -> str | None:
    """One post to each member in turn, for every platform. A member who refuses (a
    permanent failure: DMs closed, gone) does not stop the rest; a passing failure is
    raised once all were tried, so the retry repeats the others only under the platform's
    de-duplication. When every member refused, that is permanent. Returns a message id."""
    sent, refused, later = None, [], None
    for member in members:
        try:
            sent = await send(member) or sent
        except SendFailed as failure:
            if not failure.permanent:
                later = failure
                continue
            refused.append(failure)
            log.info("member %s takes no direct messages: %s", member, failure)
    if later is not None:
        raise later
    if len(refused) == 1 == len(members):
        raise refused[0]
    if refused and len(refused) == len(members):
        raise SendFailed("no member could be sent a direct message", permanent=True)
    return sent


def platform_of(community_key: str) -> str:
    """``discord:8138…`` -> ``discord``."""
    return community_key.partition(":")[0]


def pick_prompt(prompts: Sequence[str], index: int) -> str:
    """The pack's prompts in order, without repeats until the pack is used up, then again."""
    return prompts[index % len(prompts)]


@dataclass
class _Plan:
    rows: list[NewDelivery] = field(default_factory=list)
    updates: list[tuple[int, datetime, int]] = field(default_factory=list)


class Scheduler:
    """Dispatches due schedules and sends one platform's deliveries."""

    def __init__(
        self,
        *,
        ledger: Ledger,
        clock: Clock,
        library: PromptLibrary,
        platform: str,
        settings: SchedulerSettings | None = None,
        owner: str | None = None,
    ) -> None:
        self.ledger = ledger
        self.clock = clock
        self.library = library
        self.platform = platform
        self.settings = settings or SchedulerSettings()
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"

    # -- 1. dispatch ----------------------------------------------------------------------
    def dispatch(self) -> int:
        """Write the deliveries of every due schedule; returns how many rows were written."""
        written = 0
        while True:
            now = self.clock.now()
            with self.ledger.begin() as tx:
                due = tx.due_schedules(now, self.settings.dispatch_batch)
                plan = self._plan(tx, due, now)
                tx.add_deliveries(plan.rows, now)
                tx.advance(plan.updates)
            written += len(plan.rows)
            if len(due) < self.settings.dispatch_batch:
                return written

    def _plan(self, tx: LedgerTx, due: list[DueSchedule], now: datetime) -> _Plan:
        skips = tx.skip_days(sorted({s.community_id for s in due})) if due else set()
        plan = _Plan()
        fired: list[tuple[DueSchedule, list[NewDelivery]]] = []
        for s in due:
            rows, next_at = self._fires(tx, s, now, skips)
            fired.append((s, rows))
            plan.updates.append((s.id, next_at, s.prompt_index))
        existing = tx.existing_slots(
            [(r.schedule_id, r.occurrence_key) for _, rs in fired for r in rs]
        )
        prompts: dict[tuple[int, str], Sequence[str]] = {}
        for i, (s, rows) in enumerate(fired):
            index = s.prompt_index
            for row in rows:
                if (row.schedule_id, row.occurrence_key) in existing:
                    continue  # a DST repeat of a slot, or another dispatcher got here first
                existing.add((row.schedule_id, row.occurrence_key))
                if row.kind == "prompt" and row.status == "pending":
                    if (s.community_id, s.pack) not in prompts:
                        prompts[s.community_id, s.pack] = self.prompts(tx, s.community_id, s.pack)
                    pack = prompts[s.community_id, s.pack]
                    if not pack:
                        row = replace(row, status="skipped")
                        log.warning("schedule %s: pack %s has no prompts", s.id, s.pack)
                    else:
                        row = replace(row, body=pick_prompt(pack, index))
                        index += 1
                plan.rows.append(row)
            sid, next_at, _ = plan.updates[i]
            plan.updates[i] = (sid, next_at, index)
        return plan

    def prompts(self, tx: LedgerTx, community_id: int, pack: str) -> Sequence[str]:
        return self.library.prompts(pack, lambda: tx.custom_prompts(community_id, pack))

    def _fires(
        self, tx: LedgerTx, s: DueSchedule, now: datetime, skips: set[tuple[int, date]]
    ) -> tuple[list[NewDelivery], datetime]:
        """The rows for every fire of ``s`` up to now, and the schedule's next fire."""
        rows: list[NewDelivery] = []
        fire = s.next_fire_at
        seen: set[str] = set()
        for _ in range(CATCH_UP_LIMIT):
            if fire > now:
                break
            event = timetable.occasion(s, fire)
            key = timetable.slot(s, event)
            if key not in seen:  # a wall-clock slot that happens twice fires once
                seen.add(key)
                rows.extend(self._occurrence(tx, s, fire, event, key, now, skips))
            fire = timetable.next_fire(s, fire)
        else:
            log.warning("schedule %s was far behind; resuming from now", s.id)
            fire = timetable.first_fire(s, now)
        return rows, fire

    def _occurrence(
        self,
        tx: LedgerTx,
        s: DueSchedule,
        fire: datetime,
        event: datetime,
        key: str,
        now: datetime,
        skips: set[tuple[int, date]],
    ) -> list[NewDelivery]:
        expires = fire + self.settings.grace
        if s.kind == "meeting":
            expires = max(expires, event)  # a reminder is useful until the meeting starts
        base = NewDelivery(
            community_id=s.community_id,
            schedule_id=s.id,
            platform=platform_of(s.community_key),
            occurrence_key=key,
            kind=s.kind,
            due_at=fire,
            expires_at=expires,
            channel=s.channel,
            pack=s.pack,
        )
        if (s.community_id, event.date()) in skips:
            log.info("schedule %s: %s is a skip date, nothing posted", s.id, event.date())
            return [replace(base, status="skipped")]
        if now > expires:
            log.warning(
                "schedule %s: missed %s by %s (grace %s); skipped, not posted late",
                s.id,
                key,
                now - fire,
                self.settings.grace,
            )
            return [replace(base, status="expired")]
        if s.kind == "meeting":
            return [replace(base, body=meeting_text(s, event, now))]
        if s.kind == "checkin":
            members = tx.reminder_members(s.community_id, s.timezone, event.date())
            body = checkin_text(event.date())
            return [
                replace(base, occurrence_key=f"{key}/m{m}", member_id=m, body=body) for m in members
            ]
        return [base]

    # -- 2. claim -------------------------------------------------------------------------
    def claim(self) -> list[Claimed]:
        """Lease due deliveries; drop the ones that are too late or no longer wanted."""
        now = self.clock.now()
        with self.ledger.begin() as tx:
            leased = tx.claim(
                self.platform, now, self.owner, now + self.settings.lease, self.settings.claim_batch
            )
            keep: list[Claimed] = []
            dropped: list[Finished] = []
            for c in leased:
                verdict = self._verdict(c, now)
                if verdict is None:
                    keep.append(c)
                else:
                    dropped.append(verdict)
            if dropped:
                tx.finish(dropped, self.owner, now)
        return keep

    def _verdict(self, c: Claimed, now: datetime) -> Finished | None:
        if not c.wanted:
            return Finished(c, "skipped")
        if now <= c.expires_at:
            return None
        if c.last_error is None:  # never tried, or its sender died: nothing failed
            log.warning("delivery %s (%s) found too late; skipped", c.id, c.occurrence_key)
            return Finished(c, "expired", error="too late to post")
        return self._failed(c, f"still failing when its time ran out ({c.last_error})")

    # -- 3. send --------------------------------------------------------------------------
    async def deliver(
        self,
        messenger: Messenger,
        *,
        workers: int | None = None,
        feeding: asyncio.Future[int] | None = None,
    ) -> int:
        """Claim, send and finish until nothing is due (and ``feeding``, a dispatch still
        writing rows, is done); returns how many were sent."""
        counts = await asyncio.gather(
            *(self._worker(messenger, feeding) for _ in range(workers or self.settings.workers))
        )
        return sum(counts)

    async def _worker(self, messenger: Messenger, feeding: asyncio.Future[int] | None) -> int:
        sent = 0
        while True:
            try:
                batch = await asyncio.to_thread(self.claim)
            except Exception:  # nothing was leased: the transaction rolled back
                log.exception("claiming deliveries failed; this pass stops here")
                return sent
            if not batch:
                if feeding is None or feeding.done():
                    return sent
                await asyncio.sleep(0.005)  # the dispatcher is still writing rows
                continue
            results = [await self._send(messenger, c) for c in batch]
            sent += await self._record(results)

    async def _record(self, results: list[Finished], tries: int = 4) -> int:
        """Finish a batch, retrying briefly: posts already made must not be re-sent merely
        because a write failed (they would be, with their nonce, once the lease ran out)."""
        for attempt in range(tries):
            try:
                return await asyncio.to_thread(self.finish, results)
            except Exception:
                log.exception("recording %d deliveries failed (try %d)", len(results), attempt + 1)
                await asyncio.sleep(0.1 * 2**attempt)
        return 0

    async def _send(self, messenger: Messenger, c: Claimed) -> Finished:
        left = (c.lease_until - self.clock.now()).total_seconds()
        if left <= self.settings.lease.total_seconds() / 4:
            return Finished(c, "released")  # not enough lease left to post safely
        try:  # a send never outlives the lease, or another sender could repeat it meanwhile
            mid = await asyncio.wait_for(
                messenger.send(self.post_for(c)), min(self.settings.send_timeout, left)
            )
        except SendFailed as error:
            return self._failure(c, error.reason, permanent=error.permanent)
        except TimeoutError:
            return self._failure(c, "the platform did not answer in time", permanent=False)
        except Exception as error:  # a bug or an unexpected client error: retry, and log it
            log.exception("delivery %s: send raised", c.id)
            return self._failure(c, type(error).__name__, permanent=False)
        return Finished(c, "sent", message_id=mid)

    def finish(self, results: Sequence[Finished]) -> int:
        """Record what happened; returns how many were marked sent (lease still ours)."""
        with self.ledger.begin() as tx:
            return tx.finish(results, self.owner, self.clock.now())

    def _failure(self, c: Claimed, reason: str, *, permanent: bool) -> Finished:
        if permanent or c.attempts >= self.settings.max_attempts:
            return self._failed(c, reason)
        wait = min(self.settings.backoff * 2 ** (c.attempts - 1), self.settings.backoff_cap)
        log.info("delivery %s failed (%s); retry %d in %s", c.id, reason, c.attempts, wait)
        return Finished(c, "retry", error=reason, retry_at=self.clock.now() + wait)

    def _failed(self, c: Claimed, reason: str) -> Finished:
        log.error("delivery %s (%s) failed after %d tries: %s", c.id, c.kind, c.attempts, reason)
        return Finished(
            c,
            "failed",
            error=reason,
            report=failure_report(c, reason),
            report_until=self.clock.now() + self.settings.report_window,
        )

    def post_for(self, c: Claimed) -> Post:
        """The platform-neutral post for a claimed delivery; the nonce is its ledger id."""
        shape: dict[str, Any]
        if c.kind == "prompt":
            shape = {
                "text": f"{c.body}\n\n{ANSWER_HINT}",
                "channel": c.channel,
                "title": "Reflection prompt",
                "buttons": (Button("Answer", "prompt.answer", "/reflect", "primary"),),
                "kind": "prompt",
            }
        elif c.kind == "meeting":
            title = f"{c.group_name or 'Your study group'} meets soon"
            shape = {"channel": c.channel, "title": title, "mentions": c.mentions}
        elif c.kind == "checkin":
            check_in = Button("Check in", "checkin.open", "/checkin", "primary")
            shape = {"to_members": c.recipients, "title": "Check-in reminder"}
            shape["buttons"] = (check_in,)
        else:
            shape = {"to_members": c.recipients, "title": "A scheduled post failed"}
            shape["kind"] = "notice"
        shape = {"text": c.body, "kind": "reminder", **shape}
        post = Post(community=c.community_key, nonce=f"d{c.id}", resend=c.attempts > 1, **shape)
        return neutralise_post(post)

    # -- driving it -------------------------------------------------------------------------
    async def run_due(self, messenger: Messenger, *, workers: int | None = None) -> int:
        """One pass: dispatch what is due and send it, sending the first batch while the
        next is dispatched, until nothing is left."""
        dispatching = asyncio.ensure_future(asyncio.to_thread(self.dispatch))
        try:
            return await self.deliver(messenger, workers=workers, feeding=dispatching)
        finally:
            await dispatching  # its error, if any, is this pass's

    def step_through(
        self, target: datetime, messenger: Messenger, move: Callable[[datetime], None]
    ) -> None:
        """For synchronous drivers with a clock they move (the console, tests): fire
        everything due up to ``target`` in order, moving the clock to each due time first,
        so each post goes out at its own time. Stops early if a pass makes no progress."""
        stuck = None
        for _ in range(STEP_LIMIT):
            now, due = self.clock.now(), self.next_due()
            if due is None or due > target or (due, now) == stuck:
                break  # nothing (more) due; or a pass made no progress (it logged why)
            stuck = (due, now)
            if due > now:
                move(due)
            asyncio.run(self.run_due(messenger, workers=1))
        if target > self.clock.now():
            move(target)
        asyncio.run(self.run_due(messenger, workers=1))

    def next_due(self) -> datetime | None:
        """The next instant anything becomes due for this platform (a fire or a retry)."""
        with self.ledger.begin() as tx:
            return tx.next_due(self.platform)


def meeting_text(s: DueSchedule, event: datetime, now: datetime) -> str:
    name = s.group_name or "Your study group"
    when = timetable.show_clock(event.hour, event.minute)
    soon = zones.show_duration(max(event - now, timedelta()))  # posted late: still true
    return f"{name} meets at {when} {s.timezone} ({event:%A} {event.day} {event:%b}), in {soon}."


def checkin_text(day: date) -> str:
    return (
        f"You have not checked in today ({zones.show_date(day)}). How did it go? "
        '/checkin --mood 1-5 --progress "what you did" --blockers "what is in the way"'
    )


def slot_label(key: str) -> str:
    """``2026-12-07T09:00`` as is; a post-now's ``now:2026-12-01T06:00:00.000000`` readably."""
    return f"post-now of {key[4:14]} {key[15:20]}" if key.startswith("now:") else key


def failure_report(c: Claimed, reason: str) -> str | None:
    """What organisers are told when a scheduled post gave up; None if nobody should be."""
    where = f"#{c.channel}" if c.channel else "a member"
    if c.kind == "prompt":
        return (
            f"I could not post the reflection prompt for {slot_label(c.occurrence_key)} (schedule "
            f"#{c.schedule_id}) to {where} after {c.attempts} tries: {reason}. Check that "
            f"Cohort may post there; /prompts post-now {c.schedule_id} sends the next one."
        )
    if c.kind == "meeting":
        return (
            f"I could not post the meeting reminder of {c.group_name or 'a study group'} "
            f"({c.occurrence_key}) to {where} after {c.attempts} tries: {reason}."
        )
    return None  # a member's closed DMs are not the organisers' business; it is logged
