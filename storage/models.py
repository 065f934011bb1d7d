"""sqlmodel tables. Every row hangs off a community; every query filters by it.

Instants are UTC-aware ``datetime`` (sqlmodel >= 0.0.45 maps them to ``UTCDateTime`` and
refuses naive values); days that depend on a person's zone are stored as local ``date``.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Index, UniqueConstraint, func, text
from sqlmodel import Field, SQLModel


class Community(SQLModel, table=True):
    """A Discord server, a Slack workspace or a console community."""

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=120, unique=True)  # "discord:8138…", "slack:T123", "console:local"
    name: str = Field(default="", max_length=120)
    timezone: str = Field(default="UTC", max_length=64)
    reflections_default: str = Field(default="shared", max_length=16)  # shared | private
    checkin_reminder: str | None = Field(default=None, max_length=5)  # local "HH:MM", or off
    created_at: datetime


class Member(SQLModel, table=True):
    """A person in one community; ``forgotten`` rows are tombstones kept for others' counts."""

    __table_args__ = (UniqueConstraint("community_id", "platform_id"),)
    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="community.id", index=True, ondelete="CASCADE")
    platform_id: str = Field(max_length=80)
    display_name: str = Field(max_length=80)
    name_key: str = Field(max_length=240, index=True)  # casefold may triple a name
    timezone: str | None = Field(default=None, max_length=64)
    is_organiser: bool = False
    forgotten: bool = False
    created_at: datetime


class AwayPeriod(SQLModel, table=True):
    """Days (inclusive, in the member's local calendar) with no reminders and a frozen streak."""

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="community.id", index=True, ondelete="CASCADE")
    member_id: int = Field(foreign_key="member.id", index=True, ondelete="CASCADE")
    start: date
    end: date


class StudyGroup(SQLModel, table=True):
    __tablename__ = "study_group"
    __table_args__ = (UniqueConstraint("community_id", "name_key"),)
    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="community.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=80)
    name_key: str = Field(max_length=240)
    topic: str = Field(default="", max_length=200)
    capacity: int | None = None
    private: bool = False
    created_by: int | None = Field(default=None, foreign_key="member.id", ondelete="SET NULL")
    created_at: datetime
    archived_at: datetime | None = None


class Membership(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("group_id", "member_id"),)
    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="community.id", index=True, ondelete="CASCADE")
    group_id: int = Field(foreign_key="study_group.id", index=True, ondelete="CASCADE")
    member_id: int = Field(foreign_key="member.id", index=True, ondelete="CASCADE")
    role: str = Field(default="member", max_length=20)
    joined_at: datetime


class CheckIn(SQLModel, table=True):
    """One per member, local day and group (no group = 0 in the unique index)."""

    __tablename__ = "checkin"
    __table_args__ = (
        Index(
            "uq_checkin_member_day_group",
            "member_id",
            "local_date",
            func.coalesce(text("group_id"), 0),
            unique=True,
        ),
        Index("ix_checkin_community_date", "community_id", "local_date"),
    )
    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="community.id", ondelete="CASCADE")
    member_id: int = Field(foreign_key="member.id", index=True, ondelete="CASCADE")
    group_id: int | None = Field(default=None, foreign_key="study_group.id", ondelete="SET NULL")
    local_date: date
    mood: int | None = None
    progress: str | None = Field(default=None, max_length=600)
    blockers: str | None = Field(default=None, max_length=600)
    created_at: datetime
    updated_at: datetime


class TutorOffer(SQLModel, table=True):
    __tablename__ = "tutor_offer"
    __table_args__ = (
        UniqueConstraint("member_id", "topic_key"),
        Index("ix_offer_community_topic", "community_id", "topic_key"),
    )
    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="community.id", ondelete="CASCADE")
    member_id: int = Field(foreign_key="member.id", index=True, ondelete="CASCADE")
    topic: str = Field(max_length=120)
    topic_key: str = Field(max_length=300)
    created_at: datetime


class HelpRequest(SQLModel, table=True):
    """A tutoring request: open -> claimed -> done, or cancelled."""

    __tablename__ = "help_request"
    __table_args__ = (
        Index("ix_request_community_status", "community_id", "status", "created_at"),
        Index("ix_request_community_topic", "community_id", "topic_key", "status", "created_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="community.id", ondelete="CASCADE")
    requester_id: int = Field(foreign_key="member.id", index=True, ondelete="CASCADE")
    topic: str = Field(max_length=120)
    topic_key: str = Field(max_length=300)
    details: str = Field(max_length=2000)
    channel: str = Field(default="", max_length=80)
    status: str = Field(default="open", max_length=12)
    claimed_by: int | None = Field(
        default=None, foreign_key="member.id", index=True, ondelete="SET NULL"
    )
    notes: str | None = Field(default=None, max_length=600)
    created_at: datetime
    claimed_at: datetime | None = None
    resolved_at: datetime | None = None


class Thanks(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("request_id", "from_member_id"),)
    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="community.id", index=True, ondelete="CASCADE")
    request_id: int = Field(foreign_key="help_request.id", ondelete="CASCADE")
    from_member_id: int = Field(foreign_key="member.id", ondelete="CASCADE")
    to_member_id: int = Field(foreign_key="member.id", index=True, ondelete="CASCADE")
    message: str | None = Field(default=None, max_length=600)
    created_at: datetime


class PromptPost(SQLModel, table=True):
    """A prompt that was posted to a channel; ``/reflect`` there answers the latest."""

    __tablename__ = "prompt_post"
    __table_args__ = (Index("ix_prompt_post_channel", "community_id", "channel", "posted_at"),)
    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="community.id", ondelete="CASCADE")
    channel: str = Field(max_length=80)
    pack: str = Field(default="", max_length=60)
    text: str = Field(max_length=600)
    posted_at: datetime


class Reflection(SQLModel, table=True):
    """A member's reflection: shared (named), anonymous (unnamed to all) or private."""

    __table_args__ = (Index("ix_reflection_community_created", "community_id", "created_at"),)
    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="community.id", ondelete="CASCADE")
    member_id: int = Field(foreign_key="member.id", index=True, ondelete="CASCADE")
    prompt_post_id: int | None = Field(
        default=None, foreign_key="prompt_post.id", ondelete="SET NULL"
    )
    prompt_text: str | None = Field(default=None, max_length=600)
    channel: str = Field(default="", max_length=80)
    text: str = Field(max_length=2000)
    visibility: str = Field(max_length=12)  # shared | private | anonymous
    created_at: datetime


class CustomPrompt(SQLModel, table=True):
    """A prompt an organiser added to one of the community's own packs."""

    __tablename__ = "custom_prompt"
    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="community.id", index=True, ondelete="CASCADE")
    pack: str = Field(max_length=60)
    text: str = Field(max_length=600)
    created_by: int | None = Field(default=None, foreign_key="member.id", ondelete="SET NULL")
    created_at: datetime


class HandledInvocation(SQLModel, table=True):
    """Platform retry ids already served, so a redelivered command is not applied twice."""

    __tablename__ = "handled_invocation"
    __table_args__ = (UniqueConstraint("community_id", "invocation_id"),)
    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="community.id", ondelete="CASCADE")
    invocation_id: str = Field(max_length=120)
    handled_at: datetime


class Schedule(SQLModel, table=True):
    """Something posted on a timetable: a prompt, a meeting reminder, check-in reminders.

    The database owns schedules; APScheduler only computes ``next_fire_at`` (UTC) from the
    local weekday and time in ``timezone``. ``kind`` is ``prompt`` (a channel, a pack),
    ``meeting`` (a group's weekly meeting, reminded ``remind_minutes`` before) or
    ``checkin`` (one per community and zone in use, fanning out to members).
    """

    __table_args__ = (
        Index("ix_schedule_due", "paused", "next_fire_at"),
        Index(
            "uq_schedule_checkin_zone",
            "community_id",
            "timezone",
            unique=True,
            sqlite_where=text("kind = 'checkin'"),
            postgresql_where=text("kind = 'checkin'"),
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="community.id", index=True, ondelete="CASCADE")
    kind: str = Field(max_length=12)
    channel: str = Field(default="", max_length=80)
    group_id: int | None = Field(
        default=None, foreign_key="study_group.id", unique=True, ondelete="CASCADE"
    )
    pack: str = Field(default="", max_length=60)
    weekday: int | None = None  # 0 = Monday; None = every day
    hour: int
    minute: int
    every: int = 1  # every N weeks (weekly) or days (daily), counted from ``anchor``
    anchor: date  # local date of the first fire
    timezone: str = Field(max_length=64)
    remind_minutes: int = 0
    prompt_index: int = 0  # prompts posted so far: the rotation's position
    paused: bool = False
    next_fire_at: datetime | None = None
    created_by: int | None = Field(default=None, foreign_key="member.id", ondelete="SET NULL")
    created_at: datetime


class SkipDate(SQLModel, table=True):
    """A holiday: nothing is posted or reminded on this local date."""

    __tablename__ = "skip_date"
    __table_args__ = (UniqueConstraint("community_id", "day"),)
    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="community.id", ondelete="CASCADE")
    day: date
    created_by: int | None = Field(default=None, foreign_key="member.id", ondelete="SET NULL")


class Delivery(SQLModel, table=True):
    """The outbox: one row per (schedule, local slot), however many processes fire it.

    ``status``: pending -> sending (leased) -> sent; or skipped (a skip date, a member who
    checked in), expired (found after the grace window), cancelled (paused), failed (the
    last try failed; organisers get a ``report`` delivery).
    """

    __table_args__ = (
        UniqueConstraint("schedule_id", "occurrence_key"),
        Index("ix_delivery_claim", "platform", "status", "next_attempt_at", "id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="community.id", index=True, ondelete="CASCADE")
    schedule_id: int = Field(foreign_key="schedule.id", ondelete="CASCADE")
    platform: str = Field(max_length=16)
    occurrence_key: str = Field(max_length=80)
    kind: str = Field(max_length=12)  # prompt | meeting | checkin | report
    member_id: int | None = Field(
        default=None, foreign_key="member.id", index=True, ondelete="CASCADE"
    )
    channel: str = Field(default="", max_length=80)
    body: str = Field(default="", max_length=2000)
    pack: str = Field(default="", max_length=60)
    recipients: str = Field(default="", max_length=2000)  # platform ids, comma-separated
    due_at: datetime
    expires_at: datetime  # not posted after this (the grace window; a meeting's start)
    next_attempt_at: datetime
    status: str = Field(default="pending", max_length=12)
    attempts: int = 0
    lease_owner: str | None = Field(default=None, max_length=80)
    lease_until: datetime | None = None
    message_id: str | None = Field(default=None, max_length=120)
    last_error: str | None = Field(default=None, max_length=300)
    sent_at: datetime | None = None
    created_at: datetime


ALL_TABLES = SQLModel.metadata
