"""Ports: what the core needs from storage, as Protocols the ``storage`` package implements.

Records are the stored rows as the core sees them; assigning an attribute inside a unit of
work changes the row when the unit of work commits.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol


class CommunityRecord(Protocol):
    id: int | None
    key: str
    name: str
    timezone: str
    reflections_default: str
    checkin_reminder: str | None


class MemberRecord(Protocol):
    id: int | None
    platform_id: str
    display_name: str
    timezone: str | None
    is_organiser: bool
    forgotten: bool


class GroupRecord(Protocol):
    id: Any
    name: str
    topic: str
    capacity: int | None
    private: bool
    created_by: int | None
    created_at: datetime
    archived_at: datetime | None


class Tutor(Protocol):
    id: int
    platform_id: str
    forgotten: bool


class GroupMember(Protocol):
    id: int
    display_name: str
    role: str


class AwayRecord(Protocol):
    start: date
    end: date


class OfferRecord(Protocol):
    topic: str
    topic_key: str


class RequestRecord(Protocol):
    id: Any
    requester_id: int
    topic: str
    details: str
    status: str
    claimed_by: int | None
    claimed_at: datetime | None
    resolved_at: datetime | None
    notes: str | None
    created_at: datetime


class ListedGroup(GroupRecord, Protocol):
    size: int


class QueuedRequest(RequestRecord, Protocol):
    requester_name: str


class PromptPostRecord(Protocol):
    id: int | None
    text: str


class ReflectionRecord(Protocol):
    text: str
    visibility: str
    created_at: datetime


@dataclass(frozen=True)
class TopicOffer:
    """A tutor's offer joined with their name, for matching blockers."""

    topic: str
    topic_key: str
    member_id: int
    display_name: str


@dataclass(frozen=True)
class Stats:
    members: int
    active_members: int
    checkins: int
    average_mood: float | None
    groups: int
    new_groups: int
    requests_opened: int
    requests_resolved: int
    requests_open: int
    reflections: int
    reflections_shared: int
    reflections_anonymous: int
    reflections_private: int
    helpers: tuple[tuple[str, int, int], ...]  # (name, resolved, thanked), most first
    blockers: tuple[tuple[str, date, str], ...]  # (name, local day, blockers), newest first


class Store(Protocol):
    """Every query takes the community (or a row already scoped by it)."""

    # communities and members
    def community_and_member(
        self, key: str, platform_id: str
    ) -> tuple[CommunityRecord | None, MemberRecord | None]: ...
    def community(self, key: str) -> CommunityRecord | None: ...
    def add_community(self, key: str, name: str, now: datetime) -> CommunityRecord: ...
    def member(self, member_id: int) -> MemberRecord: ...
    def member_by_platform_id(self, community_id: int, platform_id: str) -> MemberRecord | None: ...
    def members_by_name(self, community_id: int, name_key: str) -> list[MemberRecord]: ...
    def add_member(
        self, community_id: int, platform_id: str, name: str, now: datetime
    ) -> MemberRecord: ...
    def rename_member(self, member: MemberRecord, name: str) -> None: ...
    def set_member_timezone(self, member: MemberRecord, zone: str) -> None: ...
    def set_organiser(self, member: MemberRecord, organiser: bool) -> None: ...
    def update_community(
        self,
        community: CommunityRecord,
        *,
        timezone: str | None = None,
        reflections_default: str | None = None,
    ) -> None: ...
    def organisers(self, community_id: int) -> list[MemberRecord]: ...
    def first_handling(self, community_id: int, invocation_id: str, now: datetime) -> bool: ...
    # groups
    def group_by_name(self, community_id: int, name_key: str) -> GroupRecord | None: ...
    def add_group(
        self,
        community_id: int,
        *,
        name: str,
        name_key: str,
        topic: str,
        capacity: int | None,
        private: bool,
        created_by: int,
        now: datetime,
    ) -> GroupRecord: ...
    def groups_page(
        self, community_id: int, *, visible_to: int, offset: int, limit: int
    ) -> tuple[list[ListedGroup], int]: ...
    def group_size(self, group_id: int) -> int: ...
    def group_members(self, group_id: int) -> list[GroupMember]: ...
    def groups_of(self, member_id: int) -> list[tuple[str, str]]: ...
    def role_in(self, group_id: int, member_id: int) -> str | None: ...
    def set_role(self, group_id: int, member_id: int, role: str) -> None: ...
    def add_membership(
        self, community_id: int, group_id: int, member_id: int, role: str, now: datetime
    ) -> None: ...
    def remove_membership(self, group_id: int, member_id: int) -> bool: ...
    # check-ins and away time
    def save_checkin(
        self,
        community_id: int,
        member_id: int,
        group_id: int | None,
        day: date,
        *,
        mood: int | None,
        progress: str | None,
        blockers: str | None,
        now: datetime,
    ) -> bool: ...
    def streak_history(self, member_id: int) -> tuple[set[date], list[tuple[date, date]]]: ...
    def away_periods(self, member_id: int) -> list[AwayRecord]: ...
    def add_away(self, community_id: int, member_id: int, start: date, end: date) -> None: ...
    def remove_away(self, period: AwayRecord) -> None: ...
    # tutoring
    def offers_of(self, member_id: int) -> list[OfferRecord]: ...
    def add_offer(
        self, community_id: int, member_id: int, topic: str, topic_key: str, now: datetime
    ) -> None: ...
    def remove_offer(self, member_id: int, topic_key: str) -> bool: ...
    def topics(self, community_id: int, *, limit: int) -> list[str]: ...
    def offers_for_topics(
        self, community_id: int, topic_keys: Sequence[str]
    ) -> list[TopicOffer]: ...
    def tutors_for(self, community_id: int, topic_key: str) -> list[Tutor]: ...
    def add_request(
        self,
        community_id: int,
        member_id: int,
        *,
        topic: str,
        topic_key: str,
        details: str,
        channel: str,
        now: datetime,
    ) -> int: ...
    def request(self, community_id: int, request_id: int) -> RequestRecord | None: ...
    def open_requests(
        self, community_id: int, topic_key: str | None, *, limit: int
    ) -> list[QueuedRequest]: ...
    def count_open_requests(self, community_id: int, topic_key: str | None) -> int: ...
    def requests_involving(self, member_id: int) -> list[RequestRecord]: ...
    def thanks_exists(self, request_id: int, from_member_id: int) -> bool: ...
    def add_thanks(
        self,
        community_id: int,
        request_id: int,
        from_member_id: int,
        to_member_id: Any,
        message: str | None,
        now: datetime,
    ) -> None: ...
    # reflections and prompts
    def latest_prompt_post(self, community_id: int, channel: str) -> PromptPostRecord | None: ...
    def add_prompt_post(
        self, community_id: int, channel: str, text: str, pack: str, now: datetime
    ) -> PromptPostRecord: ...
    def add_reflection(
        self,
        community_id: int,
        member_id: int,
        *,
        text: str,
        visibility: str,
        channel: str,
        prompt_post_id: int | None,
        prompt_text: str | None,
        now: datetime,
    ) -> None: ...
    def reflections_of(self, member_id: int) -> list[ReflectionRecord]: ...
    def count_reflections(self, member_id: int) -> int: ...
    def custom_prompts(self, community_id: int, pack: str) -> list[str]: ...
    def custom_pack_sizes(self, community_id: int) -> list[tuple[str, int]]: ...
    def add_custom_prompt(
        self, community_id: int, pack: str, text: str, created_by: int, now: datetime
    ) -> None: ...
    # schedules (the scheduler itself goes through Ledger)
    def schedules(self, community_id: int, kind: str | None = None) -> list[ScheduleRecord]: ...
    def schedule(self, community_id: int, schedule_id: int) -> ScheduleRecord | None: ...
    def meeting_of(self, group_id: int) -> ScheduleRecord | None: ...
    def add_schedule(self, **values: Any) -> ScheduleRecord: ...
    def remove_schedule(self, schedule: ScheduleRecord) -> None: ...
    def cancel_pending(self, schedule_id: int) -> int: ...
    def add_delivery(self, row: NewDelivery, now: datetime) -> None: ...
    def problems(self, schedule_ids: list[int]) -> dict[int, tuple[str, str, str | None]]: ...
    def group_names(self, group_ids: list[int]) -> dict[int, str]: ...
    def zones_in_use(self, community_id: int, community_zone: str) -> set[str]: ...
    def set_checkin_reminder(self, community: CommunityRecord, value: str | None) -> None: ...
    def skip_dates(self, community_id: int, since: date) -> list[date]: ...
    def add_skip_date(self, community_id: int, day: date, by: int) -> None: ...
    def remove_skip_date(self, community_id: int, day: date) -> bool: ...
    # member data and statistics
    def export_member(self, community_id: int, member_id: int) -> dict[str, Any]: ...
    def forget_member(self, community_id: int, member_id: int, now: datetime) -> None: ...
    def stats(self, community_id: int, *, since: datetime, since_day: date) -> Stats: ...


class Conflict(Exception):
    """Another worker wrote the same unique row first; running the command again is safe."""


class UnitOfWork(Protocol):
    """Opens one transaction; commits when the block ends cleanly, else rolls back."""

    def begin(self, *, write: bool) -> AbstractContextManager[Store]: ...


StoreIterator = Iterator[Store]


# -- schedules: what commands change (through Store) and what the scheduler runs (Ledger) ----
class ScheduleRecord(Protocol):
    id: Any
    community_id: int
    kind: str  # prompt | meeting | checkin
    channel: str
    group_id: int | None
    pack: str
    weekday: int | None
    hour: int
    minute: int
    every: int
    anchor: date
    timezone: str
    remind_minutes: int
    prompt_index: int
    paused: bool
    next_fire_at: datetime | None
    created_by: int | None


@dataclass(frozen=True)
class DueSchedule:
    """A due schedule, locked for this dispatcher, with what firing it needs to know."""

    id: int
    community_id: int
    community_key: str
    kind: str
    channel: str
    group_id: int | None
    group_name: str | None
    pack: str
    weekday: int | None
    hour: int
    minute: int
    every: int
    anchor: date
    timezone: str
    remind_minutes: int
    prompt_index: int
    next_fire_at: datetime


@dataclass(frozen=True)
class NewDelivery:
    """One outbox row the dispatcher (or ``/prompts post-now``) writes."""

    community_id: int
    schedule_id: int
    platform: str
    occurrence_key: str
    kind: str
    due_at: datetime
    expires_at: datetime
    status: str = "pending"
    channel: str = ""
    body: str = ""
    pack: str = ""
    member_id: int | None = None
    recipients: str = ""


@dataclass(frozen=True)
class Claimed:
    """A delivery leased to this sender, with everything needed to post it."""

    id: int
    community_id: int
    schedule_id: int
    community_key: str
    kind: str
    occurrence_key: str
    channel: str
    body: str
    pack: str
    due_at: datetime
    expires_at: datetime
    attempts: int
    lease_until: datetime
    recipients: tuple[str, ...] = ()
    mentions: tuple[str, ...] = ()
    group_name: str | None = None
    wanted: bool = True  # False: a reminded member has checked in or gone away since
    last_error: str | None = None  # why the previous try failed, if one did


@dataclass(frozen=True)
class Finished:
    """What happened to one claimed delivery: ``sent``, ``retry``, ``failed`` or ``released``."""

    claimed: Claimed
    outcome: str
    message_id: str | None = None
    error: str | None = None
    retry_at: datetime | None = None
    report: str | None = None  # the organisers' message when the last try failed
    report_until: datetime | None = None


class LedgerTx(Protocol):
    """One short ledger transaction; never held open across a platform call."""

    def due_schedules(self, now: datetime, limit: int) -> list[DueSchedule]: ...
    def skip_days(self, community_ids: Sequence[int]) -> set[tuple[int, date]]: ...
    def custom_prompts(self, community_id: int, pack: str) -> list[str]: ...
    def reminder_members(self, community_id: int, zone: str, day: date) -> list[int]: ...
    def existing_slots(self, keys: Sequence[tuple[int, str]]) -> set[tuple[int, str]]: ...
    def add_deliveries(self, rows: Sequence[NewDelivery], now: datetime) -> None: ...
    def advance(self, updates: Sequence[tuple[int, datetime, int]]) -> None: ...
    def claim(
        self, platform: str, now: datetime, owner: str, lease_until: datetime, limit: int
    ) -> list[Claimed]: ...
    def finish(self, results: Sequence[Finished], owner: str, now: datetime) -> int: ...
    def next_due(self, platform: str) -> datetime | None: ...


class Ledger(Protocol):
    def begin(self) -> AbstractContextManager[LedgerTx]: ...
