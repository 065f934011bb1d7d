"""``SqlStore``: the core's ``Store`` port over one sqlmodel session.

Every method filters by community, directly or through a row that already is. In write
transactions on PostgreSQL, rows that a command reads and then changes (a group someone
joins, a request someone claims) are locked with ``FOR UPDATE`` so concurrent workers queue.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import (
    CursorResult,
    Table,
    delete,
    func,
    insert,
    update,
)
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from bot.ports import Stats, TopicOffer
from storage import statements as q
from storage.models import (
    AwayPeriod,
    CheckIn,
    Community,
    CustomPrompt,
    HandledInvocation,
    HelpRequest,
    Member,
    Membership,
    PromptPost,
    Reflection,
    StudyGroup,
    Thanks,
    TutorOffer,
)
from storage.records import (
    COMMUNITY,
    COMMUNITY_AND_MEMBER,
    COMMUNITY_COLUMNS,
    MEMBER,
    MEMBER_COLUMNS,
    CommunityRow,
    MemberRow,
    community_row,
    member_row,
)
from storage.schedules import ScheduleQueries
from storage.statements import MAX_ID

FORGOTTEN_NAME = "a former member"
BLOCKERS_SHOWN = 5


@functools.cache
def _inserts(model: Any) -> Any:
    return insert(q.table(model))


class SqlStore(ScheduleQueries):
    def __init__(self, session: Session, *, lock_rows: bool = False) -> None:
        self.session = session
        self.lock_rows = lock_rows

    def _add(self, row: Any) -> Any:
        self.session.add(row)
        self.session.flush()
        return row

    def _rows(self, query: Any, params: dict[str, Any] | None = None) -> list[Any]:
        """Plain rows (attribute access by column) for what is shown, not changed.

        Core execution skips the ORM's per-row object building, the largest cost of a
        listing (bench/core.py); pending ORM changes are flushed first so reads see them.
        """
        self.session.flush()
        return list(self.session.connection().execute(query, params or {}).all())

    def _insert(self, model: Any, **values: Any) -> int:
        """INSERT one row through Core (no ORM flush) and return its primary key."""
        self.session.flush()
        result = self.session.connection().execute(_inserts(model), values)
        key = cast(CursorResult[Any], result).inserted_primary_key
        assert key is not None
        return int(key[0])

    def _delete(self, model: Any, **equal: Any) -> bool:
        """DELETE the rows whose columns equal ``equal``; whether any went."""
        t = q.table(model)
        where = [t.c[name] == value for name, value in equal.items()]
        result = self.session.execute(delete(t).where(*where))
        return bool(cast(CursorResult[Any], result).rowcount)

    def _locked(self, query: Any) -> Any:
        return query.with_for_update() if self.lock_rows else query

    # -- communities and members ---------------------------------------------------------
    def community_and_member(
        self, key: str, platform_id: str
    ) -> tuple[CommunityRow | None, MemberRow | None]:
        """One round trip for what every command needs first."""
        row = self._rows(COMMUNITY_AND_MEMBER, {"key": key, "pid": platform_id})
        if not row:
            return None, None
        member = member_row(row[0], "m_")
        if member is not None and self.lock_rows:
            # PostgreSQL: one member's writes queue, so per-member limits (20 topics, no
            # overlapping away time, one thanks) hold under concurrent workers.
            self._rows(sa_select(MEMBER.c.id).where(MEMBER.c.id == member.id).with_for_update())
        return community_row(row[0]), member

    def community(self, key: str) -> CommunityRow | None:
        rows = self._rows(sa_select(*COMMUNITY_COLUMNS).where(COMMUNITY.c.key == key))
        return community_row(rows[0]) if rows else None

    def add_community(self, key: str, name: str, now: datetime) -> CommunityRow:
        new_id = self._insert(
            Community,
            key=key,
            name=name,
            timezone="UTC",
            reflections_default="shared",
            created_at=now,
        )
        return CommunityRow(new_id, key, name, "UTC", "shared", None)

    def update_community(
        self,
        community: CommunityRow,
        *,
        timezone: str | None = None,
        reflections_default: str | None = None,
    ) -> None:
        changes = {
            k: v
            for k, v in (("timezone", timezone), ("reflections_default", reflections_default))
            if v
        }
        if changes:
            self._update_record(COMMUNITY, community, **changes)

    def _members(self, *where: Any) -> list[MemberRow]:
        rows = self._rows(sa_select(*MEMBER_COLUMNS).where(*where).order_by(MEMBER.c.name_key))
        return [m for m in (member_row(r) for r in rows) if m is not None]

    def member(self, member_id: int) -> MemberRow:
        (found,) = self._members(MEMBER.c.id == member_id)
        return found

    def member_by_platform_id(self, community_id: int, platform_id: str) -> MemberRow | None:
        found = self._members(
            MEMBER.c.community_id == community_id, MEMBER.c.platform_id == platform_id
        )
        return found[0] if found else None

    def members_by_name(self, community_id: int, name_key: str) -> list[MemberRow]:
        return self._members(
            MEMBER.c.community_id == community_id,
            MEMBER.c.name_key == name_key,
            MEMBER.c.forgotten.is_(False),
        )

    def member_names(self, member_ids: Sequence[int]) -> dict[int, str]:
        if not member_ids:
            return {}
        rows = self._rows(
            sa_select(MEMBER.c.id, MEMBER.c.display_name).where(MEMBER.c.id.in_(set(member_ids)))
        )
        return {mid: name for mid, name in rows}

    def add_member(
        self, community_id: int, platform_id: str, name: str, now: datetime
    ) -> MemberRow:
        new_id = self._insert(
            Member,
            community_id=community_id,
            platform_id=platform_id,
            display_name=name,
            name_key=name.casefold(),
            is_organiser=False,
            forgotten=False,
            created_at=now,
        )
        return MemberRow(new_id, community_id, platform_id, name, None, False, False)

    def _update_record(self, table: Table, record: Any, **changes: Any) -> None:
        """UPDATE the record's row, then the record itself (columns it carries)."""
        self.session.execute(update(table).where(table.c.id == record.id).values(**changes))
        for name, value in changes.items():
            if hasattr(record, name):
                setattr(record, name, value)

    def rename_member(self, member: MemberRow, name: str) -> None:
        self._update_record(MEMBER, member, display_name=name, name_key=name.casefold())

    def set_member_timezone(self, member: MemberRow, zone: str) -> None:
        self._update_record(MEMBER, member, timezone=zone)

    def set_organiser(self, member: MemberRow, organiser: bool) -> None:
        self._update_record(MEMBER, member, is_organiser=organiser)

    def organisers(self, community_id: int) -> list[MemberRow]:
        return self._members(MEMBER.c.community_id == community_id, MEMBER.c.is_organiser.is_(True))

    def first_handling(self, community_id: int, invocation_id: str, now: datetime) -> bool:
        seen = self.session.exec(
            select(HandledInvocation.id).where(
                HandledInvocation.community_id == community_id,
                HandledInvocation.invocation_id == invocation_id,
            )
        ).first()
        if seen is not None:
            return False
        self._insert(
            HandledInvocation,
            community_id=community_id,
            invocation_id=invocation_id,
            handled_at=now,
        )
        return True

    # -- groups ----------------------------------------------------------------------------
    def group_by_name(self, community_id: int, name_key: str) -> StudyGroup | None:
        return self.session.exec(
            self._locked(
                select(StudyGroup).where(
                    StudyGroup.community_id == community_id, StudyGroup.name_key == name_key
                )
            )
        ).first()

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
    ) -> StudyGroup:
        return self._add(
            StudyGroup(
                community_id=community_id,
                name=name,
                name_key=name_key,
                topic=topic,
                capacity=capacity,
                private=private,
                created_by=created_by,
                created_at=now,
            )
        )

    def groups_page(
        self, community_id: int, *, visible_to: int, offset: int, limit: int
    ) -> tuple[list[Any], int]:
        """One page of listed groups as rows with a ``size`` column, and the total."""
        where = {"community_id": community_id, "member_id": visible_to}
        total = self._rows(q.GROUPS_TOTAL, where)[0][0]
        page = self._rows(q.GROUPS_PAGE, {**where, "offset": offset, "limit": limit})
        return page, int(total)

    def group_size(self, group_id: int) -> int:
        return int(self._rows(q.GROUP_SIZE, {"group_id": group_id})[0][0])

    def group_members(self, group_id: int) -> list[Any]:
        """Rows (id, display_name, role), in joining order."""
        return self._rows(q.GROUP_MEMBERS, {"group_id": group_id})

    def groups_of(self, member_id: int) -> list[Any]:
        """Rows (name, role) of the open groups a member is in."""
        return self._rows(q.GROUPS_OF, {"member_id": member_id})

    def role_in(self, group_id: int, member_id: int) -> str | None:
        rows = self._rows(q.ROLE_IN, {"group_id": group_id, "member_id": member_id})
        return rows[0][0] if rows else None

    def set_role(self, group_id: int, member_id: int, role: str) -> None:
        ms = q.table(Membership)
        self.session.execute(
            update(ms)
            .where(ms.c.group_id == group_id, ms.c.member_id == member_id)
            .values(role=role)
        )

    def add_membership(
        self, community_id: int, group_id: int, member_id: int, role: str, now: datetime
    ) -> None:
        self._insert(
            Membership,
            community_id=community_id,
            group_id=group_id,
            member_id=member_id,
            role=role,
            joined_at=now,
        )

    def remove_membership(self, group_id: int, member_id: int) -> bool:
        return self._delete(Membership, group_id=group_id, member_id=member_id)

    # -- check-ins and away time ------------------------------------------------------------
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
    ) -> bool:
        """Record the day's check-in; a second one that day keeps what it does not replace.

        Returns True when an earlier check-in of that day was updated.
        """
        values = {
            "p_member_id": member_id,
            "p_day": day,
            "p_group_id": group_id,
            "p_mood": mood,
            "p_progress": progress,
            "p_blockers": blockers,
            "p_now": now,
        }
        conn = self.session.connection()
        statement = q.UPDATE_CHECKIN_UNGROUPED if group_id is None else q.UPDATE_CHECKIN_IN_GROUP
        if cast(CursorResult[Any], conn.execute(statement, values)).rowcount:
            return True
        conn.execute(q.INSERT_CHECKIN, {**values, "p_community_id": community_id})
        return False

    def streak_history(self, member_id: int) -> tuple[set[date], list[tuple[date, date]]]:
        days: set[date] = set()
        away: list[tuple[date, date]] = []
        rows = self._rows(q.STREAK_HISTORY, {"member_id": member_id})
        for kind, first, last in rows:
            if kind:
                away.append((first, last))
            else:
                days.add(first)
        return days, away

    def away_periods(self, member_id: int) -> list[AwayPeriod]:
        return list(
            self.session.exec(
                select(AwayPeriod)
                .where(AwayPeriod.member_id == member_id)
                .order_by(col(AwayPeriod.start))
            )
        )

    def add_away(self, community_id: int, member_id: int, start: date, end: date) -> None:
        self._insert(
            AwayPeriod, community_id=community_id, member_id=member_id, start=start, end=end
        )

    def remove_away(self, period: Any) -> None:
        self.session.delete(period)

    # -- tutoring -------------------------------------------------------------------------------
    def offers_of(self, member_id: int) -> list[TutorOffer]:
        return list(
            self.session.exec(
                select(TutorOffer)
                .where(TutorOffer.member_id == member_id)
                .order_by(TutorOffer.topic_key)
            )
        )

    def add_offer(
        self, community_id: int, member_id: int, topic: str, topic_key: str, now: datetime
    ) -> None:
        self._insert(
            TutorOffer,
            community_id=community_id,
            member_id=member_id,
            topic=topic,
            topic_key=topic_key,
            created_at=now,
        )

    def remove_offer(self, member_id: int, topic_key: str) -> bool:
        return self._delete(TutorOffer, member_id=member_id, topic_key=topic_key)

    def topics(self, community_id: int, *, limit: int) -> list[str]:
        """Topics offered or asked about in open requests, the most used first."""
        rows = self._rows(q.TOPICS, {"community_id": community_id, "limit": limit})
        return [row[0] for row in rows]

    def offers_for_topics(self, community_id: int, topic_keys: Sequence[str]) -> list[TopicOffer]:
        """Offers whose topic is one of ``topic_keys``, with the tutor's name."""
        if not topic_keys:
            return []
        params = {"community_id": community_id, "keys": sorted(set(topic_keys))}
        return [TopicOffer(*row) for row in self._rows(q.OFFERS_FOR_TOPICS, params)]

    def tutors_for(self, community_id: int, topic_key: str) -> list[Any]:
        """Rows (id, platform_id, forgotten) of the members offering a topic."""
        return self._rows(q.TUTORS_FOR, {"community_id": community_id, "topic": topic_key})

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
    ) -> int:
        return self._insert(
            HelpRequest,
            community_id=community_id,
            requester_id=member_id,
            topic=topic,
            topic_key=topic_key,
            details=details,
            channel=channel,
            status="open",
            created_at=now,
        )

    def request(self, community_id: int, request_id: int) -> HelpRequest | None:
        if not 0 < request_id <= MAX_ID:
            return None  # no such row can exist, and the driver would overflow
        return self.session.exec(
            self._locked(
                select(HelpRequest).where(
                    HelpRequest.community_id == community_id, HelpRequest.id == request_id
                )
            )
        ).first()

    def open_requests(self, community_id: int, topic_key: str | None, *, limit: int) -> list[Any]:
        """The oldest open requests as rows, with the asker's name as ``requester_name``."""
        params = {"community_id": community_id, "topic": topic_key, "limit": limit}
        query = q.OPEN_REQUESTS if topic_key is None else q.OPEN_REQUESTS_IN_TOPIC
        return self._rows(query, params)

    def count_open_requests(self, community_id: int, topic_key: str | None) -> int:
        query = q.COUNT_OPEN if topic_key is None else q.COUNT_OPEN_IN_TOPIC
        return int(self._rows(query, {"community_id": community_id, "topic": topic_key})[0][0])

    def requests_involving(self, member_id: int) -> list[Any]:
        """A member's unresolved requests: asked (open or claimed) and claimed as tutor."""
        return self._rows(q.REQUESTS_INVOLVING, {"member_id": member_id})

    def thanks_exists(self, request_id: int, from_member_id: int) -> bool:
        return (
            self.session.exec(
                select(Thanks.id).where(
                    Thanks.request_id == request_id, Thanks.from_member_id == from_member_id
                )
            ).first()
            is not None
        )

    def add_thanks(
        self,
        community_id: int,
        request_id: int,
        from_member_id: int,
        to_member_id: Any,
        message: str | None,
        now: datetime,
    ) -> None:
        self._insert(
            Thanks,
            community_id=community_id,
            request_id=request_id,
            from_member_id=from_member_id,
            to_member_id=to_member_id,
            message=message,
            created_at=now,
        )

    # -- reflections and prompts ------------------------------------------------------------
    def latest_prompt_post(self, community_id: int, channel: str) -> Any | None:
        rows = self._rows(q.LATEST_PROMPT_POST, {"community_id": community_id, "channel": channel})
        return rows[0] if rows else None

    def add_prompt_post(
        self, community_id: int, channel: str, text: str, pack: str, now: datetime
    ) -> PromptPost:
        return self._add(
            PromptPost(
                community_id=community_id, channel=channel, text=text, pack=pack, posted_at=now
            )
        )

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
    ) -> None:
        self._insert(
            Reflection,
            community_id=community_id,
            member_id=member_id,
            text=text,
            visibility=visibility,
            channel=channel,
            prompt_post_id=prompt_post_id,
            prompt_text=prompt_text,
            created_at=now,
        )

    def reflections_of(self, member_id: int) -> list[Reflection]:
        return list(
            self.session.exec(
                select(Reflection)
                .where(Reflection.member_id == member_id)
                .order_by(col(Reflection.created_at).desc(), col(Reflection.id).desc())
            )
        )

    def count_reflections(self, member_id: int) -> int:
        return int(self._rows(q.COUNT_REFLECTIONS, {"member_id": member_id})[0][0])

    def custom_prompts(self, community_id: int, pack: str) -> list[str]:
        return list(
            self.session.exec(
                select(CustomPrompt.text)
                .where(CustomPrompt.community_id == community_id, CustomPrompt.pack == pack)
                .order_by(col(CustomPrompt.id))
            )
        )

    def custom_pack_sizes(self, community_id: int) -> list[tuple[str, int]]:
        rows = self.session.exec(
            select(CustomPrompt.pack, func.count())
            .where(CustomPrompt.community_id == community_id)
            .group_by(CustomPrompt.pack)
            .order_by(CustomPrompt.pack)
        )
        return [(pack, count) for pack, count in rows]

    def add_custom_prompt(
        self, community_id: int, pack: str, text: str, created_by: int, now: datetime
    ) -> None:
        self._insert(
            CustomPrompt,
            community_id=community_id,
            pack=pack,
            text=text,
            created_by=created_by,
            created_at=now,
        )

    # -- member data -----------------------------------------------------------------------------
    def export_member(self, community_id: int, member_id: int) -> dict[str, Any]:
        """Everything stored about one member, as JSON-ready dicts."""

        def rows(model: Any, *where: Any) -> list[dict[str, Any]]:
            query = select(model).where(model.community_id == community_id, *where)
            return [r.model_dump(mode="json") for r in self.session.exec(query.order_by(model.id))]

        return {
            "profile": self.session.exec(select(Member).where(Member.id == member_id))
            .one()
            .model_dump(mode="json", exclude={"name_key"}),
            "groups": [
                dict(row._mapping) for row in self._rows(q.ALL_GROUPS_OF, {"member_id": member_id})
            ],
            "checkins": rows(CheckIn, CheckIn.member_id == member_id),
            "away_periods": rows(AwayPeriod, AwayPeriod.member_id == member_id),
            "tutor_offers": rows(TutorOffer, TutorOffer.member_id == member_id),
            "help_requests_asked": rows(HelpRequest, HelpRequest.requester_id == member_id),
            "help_requests_claimed": rows(HelpRequest, HelpRequest.claimed_by == member_id),
            "thanks_given": rows(Thanks, Thanks.from_member_id == member_id),
            "thanks_received": rows(Thanks, Thanks.to_member_id == member_id),
            "reflections": rows(Reflection, Reflection.member_id == member_id),
            "prompts_added": rows(CustomPrompt, CustomPrompt.created_by == member_id),
        }

    def forget_member(self, community_id: int, member_id: int, now: datetime) -> None:
        """Delete a member's own data; keep a nameless tombstone where others' counts need it."""
        run = self.session.execute
        for model in (CheckIn, AwayPeriod, Membership, TutorOffer, Reflection):
            t = q.table(model)
            run(delete(t).where(t.c.member_id == member_id, t.c.community_id == community_id))
        req = q.table(HelpRequest)
        mine = req.c.requester_id == member_id
        run(
            update(req)
            .where(mine, req.c.status.in_(("open", "claimed")))
            .values(status="cancelled", resolved_at=now)
        )
        run(update(req).where(mine).values(details="[deleted]", notes=None))
        run(update(req).where(req.c.claimed_by == member_id).values(notes=None))
        run(
            update(req)
            .where(req.c.claimed_by == member_id, req.c.status == "claimed")
            .values(status="open", claimed_by=None, claimed_at=None)
        )
        thanks = q.table(Thanks)
        run(update(thanks).where(thanks.c.from_member_id == member_id).values(message=None))
        for owned in (StudyGroup, CustomPrompt):
            t = q.table(owned)
            run(update(t).where(t.c.created_by == member_id).values(created_by=None))
        run(
            update(MEMBER)
            .where(MEMBER.c.id == member_id)
            .values(
                platform_id=f"forgotten:{member_id}",
                display_name=FORGOTTEN_NAME,
                name_key="",
                timezone=None,
                is_organiser=False,
                forgotten=True,
            )
        )
        self.session.expire_all()  # the bulk statements above bypassed the identity map

    # -- statistics --------------------------------------------------------------------------------
    def stats(self, community_id: int, *, since: datetime, since_day: date) -> Stats:
        s = self.session

        def scalar(query: Any) -> Any:
            return s.exec(query).one()

        members = scalar(
            select(func.count())
            .select_from(Member)
            .where(Member.community_id == community_id, col(Member.forgotten).is_(False))
        )
        checkins, active, mood = s.exec(
            select(
                func.count(), func.count(func.distinct(CheckIn.member_id)), func.avg(CheckIn.mood)
            ).where(CheckIn.community_id == community_id, CheckIn.local_date >= since_day)
        ).one()
        groups = scalar(
            select(func.count())
            .select_from(StudyGroup)
            .where(StudyGroup.community_id == community_id, col(StudyGroup.archived_at).is_(None))
        )
        new_groups = scalar(
            select(func.count())
            .select_from(StudyGroup)
            .where(StudyGroup.community_id == community_id, StudyGroup.created_at >= since)
        )
        req = HelpRequest.community_id == community_id
        opened = scalar(
            select(func.count())
            .select_from(HelpRequest)
            .where(req, HelpRequest.created_at >= since)
        )
        resolved = scalar(
            select(func.count())
            .select_from(HelpRequest)
            .where(req, HelpRequest.status == "done", col(HelpRequest.resolved_at) >= since)
        )
        waiting = scalar(
            select(func.count()).select_from(HelpRequest).where(req, HelpRequest.status == "open")
        )
        by_visibility = dict(
            s.exec(
                select(Reflection.visibility, func.count())
                .where(Reflection.community_id == community_id, Reflection.created_at >= since)
                .group_by(Reflection.visibility)
            ).all()
        )
        return Stats(
            members=members,
            active_members=active,
            checkins=checkins,
            average_mood=float(mood) if mood is not None else None,
            groups=groups,
            new_groups=new_groups,
            requests_opened=opened,
            requests_resolved=resolved,
            requests_open=waiting,
            reflections=sum(by_visibility.values()),
            reflections_shared=by_visibility.get("shared", 0),
            reflections_anonymous=by_visibility.get("anonymous", 0),
            reflections_private=by_visibility.get("private", 0),
            helpers=self._helpers(community_id, since),
            blockers=self._blockers(community_id, since_day),
        )

    def _blockers(self, community_id: int, since_day: date) -> tuple[tuple[str, date, str], ...]:
        rows = self.session.exec(
            select(col(Member.display_name), col(CheckIn.local_date), col(CheckIn.blockers))
            .join(Member, col(Member.id) == CheckIn.member_id)
            .where(
                CheckIn.community_id == community_id,
                CheckIn.local_date >= since_day,
                col(CheckIn.blockers).is_not(None),
            )
            .order_by(col(CheckIn.local_date).desc(), col(CheckIn.id).desc())
            .limit(BLOCKERS_SHOWN)
        )
        return tuple((name, day, text or "") for name, day, text in rows)

    def _helpers(self, community_id: int, since: datetime) -> tuple[tuple[str, int, int], ...]:
        helped = dict(
            self.session.exec(
                select(HelpRequest.claimed_by, func.count())
                .where(
                    HelpRequest.community_id == community_id,
                    HelpRequest.status == "done",
                    col(HelpRequest.claimed_by).is_not(None),
                    col(HelpRequest.resolved_at) >= since,
                )
                .group_by(col(HelpRequest.claimed_by))
            ).all()
        )
        thanked = dict(
            self.session.exec(
                select(Thanks.to_member_id, func.count())
                .where(Thanks.community_id == community_id, Thanks.created_at >= since)
                .group_by(col(Thanks.to_member_id))
            ).all()
        )
        ids = {i for i in set(helped) | set(thanked) if i is not None}
        names = self.member_names(list(ids))
        ranked = sorted(
            ids, key=lambda i: (-helped.get(i, 0), -thanked.get(i, 0), names.get(i, ""))
        )
        return tuple((names.get(i, "?"), helped.get(i, 0), thanked.get(i, 0)) for i in ranked[:10])
