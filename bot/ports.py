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
