"""Statements on the commands' hot paths, built once with bind parameters.

Building a select and its cache key costs more than SQLite's own work for these small
indexed queries (cProfile on bench/core.py), so each is built at import and reused.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Integer,
    String,
    Table,
    bindparam,
    func,
    insert,
    literal,
    select,
    union_all,
    update,
)

from bot.ports import NewDelivery
from storage.models import (
    AwayPeriod,
    CheckIn,
    HelpRequest,
    Member,
    Membership,
    PromptPost,
    Reflection,
    StudyGroup,
    TutorOffer,
)

MAX_ID = 2**31 - 1  # INTEGER primary keys on PostgreSQL


def delivery_values(row: NewDelivery, now: datetime) -> dict[str, Any]:
    """A new outbox row: due now or at its slot, never tried."""
    return {**vars(row), "next_attempt_at": row.due_at, "attempts": 0, "created_at": now}


def table(model: Any) -> Table:
    """The Core table of a model."""
    return model.__table__  # type: ignore[no-any-return]


G, MS, M = table(StudyGroup), table(Membership), table(Member)
R, OF, C = table(HelpRequest), table(TutorOffer), table(CheckIn)
A, P, RF = table(AwayPeriod), table(PromptPost), table(Reflection)

_VISIBLE_GROUPS = (
    (G.c.community_id == bindparam("community_id"))
    & G.c.archived_at.is_(None)
    & (
        G.c.private.is_(False)
        | G.c.id.in_(select(MS.c.group_id).where(MS.c.member_id == bindparam("member_id")))
    )
)
GROUPS_TOTAL = select(func.count()).select_from(G).where(_VISIBLE_GROUPS)
_SIZE = select(func.count()).where(MS.c.group_id == G.c.id).scalar_subquery()
GROUPS_PAGE = (
    select(G, _SIZE.label("size"))
    .where(_VISIBLE_GROUPS)
    .order_by(G.c.name_key)
    .offset(bindparam("offset"))
    .limit(bindparam("limit"))
)
GROUP_SIZE = select(func.count()).where(MS.c.group_id == bindparam("group_id"))
GROUP_MEMBERS = (
    select(M.c.id, M.c.display_name, MS.c.role)
    .join(MS, MS.c.member_id == M.c.id)
    .where(MS.c.group_id == bindparam("group_id"))
    .order_by(MS.c.joined_at, MS.c.id)
)
GROUPS_OF = (
    select(G.c.name, MS.c.role)
    .join(MS, MS.c.group_id == G.c.id)
    .where(MS.c.member_id == bindparam("member_id"), G.c.archived_at.is_(None))
    .order_by(G.c.name_key)
)
ALL_GROUPS_OF = (  # for /me export: archived groups too
    select(G.c.name.label("group"), MS.c.role, MS.c.joined_at, G.c.archived_at)
    .join(MS, MS.c.group_id == G.c.id)
    .where(MS.c.member_id == bindparam("member_id"))
    .order_by(MS.c.joined_at, MS.c.id)
)
ROLE_IN = select(MS.c.role).where(
    MS.c.group_id == bindparam("group_id"), MS.c.member_id == bindparam("member_id")
)

OFFERS_FOR_TOPICS = (
    select(OF.c.topic, OF.c.topic_key, OF.c.member_id, M.c.display_name)
    .join(M, M.c.id == OF.c.member_id)
    .where(
        OF.c.community_id == bindparam("community_id"),
        OF.c.topic_key.in_(bindparam("keys", expanding=True)),
    )
    .order_by(OF.c.topic_key, M.c.name_key)
)
TUTORS_FOR = (
    select(M.c.id, M.c.platform_id, M.c.forgotten)
    .join(OF, OF.c.member_id == M.c.id)
    .where(OF.c.community_id == bindparam("community_id"), OF.c.topic_key == bindparam("topic"))
    .order_by(M.c.name_key)
)

_OPEN = (R.c.community_id == bindparam("community_id")) & (R.c.status == "open")
_OPEN_IN_TOPIC = _OPEN & (R.c.topic_key == bindparam("topic"))
_QUEUE = select(R, M.c.display_name.label("requester_name")).join(M, M.c.id == R.c.requester_id)
OPEN_REQUESTS = _QUEUE.where(_OPEN).order_by(R.c.created_at, R.c.id).limit(bindparam("limit"))
OPEN_REQUESTS_IN_TOPIC = (
    _QUEUE.where(_OPEN_IN_TOPIC).order_by(R.c.created_at, R.c.id).limit(bindparam("limit"))
)
COUNT_OPEN = select(func.count()).where(_OPEN)
COUNT_OPEN_IN_TOPIC = select(func.count()).where(_OPEN_IN_TOPIC)
REQUESTS_INVOLVING = (
    select(R)
    .where(
        ((R.c.requester_id == bindparam("member_id")) & R.c.status.in_(("open", "claimed")))
        | ((R.c.claimed_by == bindparam("member_id")) & (R.c.status == "claimed"))
    )
    .order_by(R.c.created_at, R.c.id)
)

_TOPIC_USES = union_all(
    select(OF.c.topic_key, OF.c.topic).where(OF.c.community_id == bindparam("community_id")),
    select(R.c.topic_key, R.c.topic).where(_OPEN),
).subquery()
TOPICS = (  # offered or asked about, most used first
    select(func.min(_TOPIC_USES.c.topic))
    .group_by(_TOPIC_USES.c.topic_key)
    .order_by(func.count().desc(), _TOPIC_USES.c.topic_key)
    .limit(bindparam("limit"))
)

STREAK_HISTORY = union_all(
    select(literal(0), C.c.local_date, C.c.local_date).where(
        C.c.member_id == bindparam("member_id")
    ),
    select(literal(1), A.c.start, A.c.end).where(A.c.member_id == bindparam("member_id")),
)
LATEST_PROMPT_POST = (
    select(P.c.id, P.c.text)
    .where(P.c.community_id == bindparam("community_id"), P.c.channel == bindparam("channel"))
    .order_by(P.c.posted_at.desc(), P.c.id.desc())
    .limit(1)
)
COUNT_REFLECTIONS = select(func.count()).where(RF.c.member_id == bindparam("member_id"))

# A check-in: UPDATE the day's row, merging what is not replaced, else INSERT it.
_C = C.c
_SAME_DAY = (_C.member_id == bindparam("p_member_id")) & (_C.local_date == bindparam("p_day"))
_MERGE = {
    "mood": func.coalesce(bindparam("p_mood", type_=Integer), _C.mood),
    "progress": func.coalesce(bindparam("p_progress", type_=String), _C.progress),
    "blockers": func.coalesce(bindparam("p_blockers", type_=String), _C.blockers),
    "updated_at": bindparam("p_now", type_=_C.updated_at.type),
}
UPDATE_CHECKIN_UNGROUPED = update(C).where(_SAME_DAY & _C.group_id.is_(None)).values(**_MERGE)
UPDATE_CHECKIN_IN_GROUP = (
    update(C).where(_SAME_DAY & (_C.group_id == bindparam("p_group_id"))).values(**_MERGE)
)
INSERT_CHECKIN = insert(C).values(
    community_id=bindparam("p_community_id"),
    member_id=bindparam("p_member_id"),
    group_id=bindparam("p_group_id"),
    local_date=bindparam("p_day"),
    mood=bindparam("p_mood"),
    progress=bindparam("p_progress"),
    blockers=bindparam("p_blockers"),
    created_at=bindparam("p_now"),
    updated_at=bindparam("p_now"),
)
