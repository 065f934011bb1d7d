"""The schedule queries commands run (``/prompts``, ``/group meet``, reminders), mixed into
``SqlStore`` so they share its session and its row locks."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import CursorResult, delete, func, select, update
from sqlmodel import col

from bot.ports import NewDelivery
from storage.models import Community, Delivery, Member, Schedule, SkipDate, StudyGroup
from storage.statements import MAX_ID, delivery_values, table

S, D, SK, M, CM, G = (
    table(m) for m in (Schedule, Delivery, SkipDate, Member, Community, StudyGroup)
)


class ScheduleQueries:
    session: Any

    def _locked(self, query: Any) -> Any:  # SqlStore's: FOR UPDATE in PostgreSQL writes
        raise NotImplementedError

    def schedules(self, community_id: int, kind: str | None = None) -> list[Schedule]:
        query = select(Schedule).where(col(Schedule.community_id) == community_id)
        if kind:
            query = query.where(col(Schedule.kind) == kind)
        return list(self.session.scalars(query.order_by(col(Schedule.id))))

    def schedule(self, community_id: int, schedule_id: int) -> Schedule | None:
        if not 0 < schedule_id <= MAX_ID:
            return None  # past PostgreSQL's INTEGER: no such row, not a driver error
        query = select(Schedule).where(
            col(Schedule.community_id) == community_id, col(Schedule.id) == schedule_id
        )
        return cast(Schedule | None, self.session.scalars(self._locked(query)).first())

    def meeting_of(self, group_id: int) -> Schedule | None:
        query = select(Schedule).where(col(Schedule.group_id) == group_id)
        return cast(Schedule | None, self.session.scalars(self._locked(query)).first())

    def add_schedule(self, **values: Any) -> Schedule:
        row = Schedule(**values)
        self.session.add(row)
        self.session.flush()
        return row

    def remove_schedule(self, schedule: Any) -> None:
        self.session.delete(schedule)
        self.session.flush()

    def cancel_pending(self, schedule_id: int) -> int:
        """Deliveries not yet claimed are cancelled (pausing stops what is queued too)."""
        result = self.session.execute(
            update(D)
            .where(D.c.schedule_id == schedule_id, D.c.status == "pending")
            .values(status="cancelled")
        )
        return int(cast(CursorResult[Any], result).rowcount)

    def add_delivery(self, row: NewDelivery, now: datetime) -> None:
        self.session.flush()
        self.session.execute(D.insert().values(**delivery_values(row, now)))

    def problems(self, schedule_ids: list[int]) -> dict[int, tuple[str, str, str | None]]:
        """Each schedule's newest failed or expired delivery: (status, slot, error)."""
        if not schedule_ids:
            return {}
        newest = (
            select(D.c.schedule_id, func.max(D.c.id).label("id"))
            .where(
                D.c.schedule_id.in_(schedule_ids),
                D.c.status.in_(("failed", "expired")),
                D.c.kind != "report",
            )
            .group_by(D.c.schedule_id)
            .subquery()
        )
        rows = self.session.execute(
            select(D.c.schedule_id, D.c.status, D.c.occurrence_key, D.c.last_error).join(
                newest, newest.c.id == D.c.id
            )
        )
        return {sid: (status, key, error) for sid, status, key, error in rows}

    def group_names(self, group_ids: list[int]) -> dict[int, str]:
        if not group_ids:
            return {}
        rows = self.session.execute(select(G.c.id, G.c.name).where(G.c.id.in_(group_ids)))
        return {gid: name for gid, name in rows}

    def zones_in_use(self, community_id: int, community_zone: str) -> set[str]:
        """Every zone a member's day runs in: their own, else the community's."""
        rows = self.session.execute(
            select(func.coalesce(M.c.timezone, community_zone))
            .where(M.c.community_id == community_id, M.c.forgotten.is_(False))
            .distinct()
        )
        return {zone for (zone,) in rows} | {community_zone}

    def set_checkin_reminder(self, community: Any, value: str | None) -> None:
        self.session.execute(
            update(CM).where(CM.c.id == community.id).values(checkin_reminder=value)
        )
        community.checkin_reminder = value

    def skip_dates(self, community_id: int, since: date) -> list[date]:
        rows = self.session.execute(
            select(SK.c.day)
            .where(SK.c.community_id == community_id, SK.c.day >= since)
            .order_by(SK.c.day)
        )
        return [day for (day,) in rows]

    def add_skip_date(self, community_id: int, day: date, by: int) -> None:
        self.session.flush()
        self.session.execute(SK.insert().values(community_id=community_id, day=day, created_by=by))

    def remove_skip_date(self, community_id: int, day: date) -> bool:
        result = self.session.execute(
            delete(SK).where(SK.c.community_id == community_id, SK.c.day == day)
        )
        return bool(cast(CursorResult[Any], result).rowcount)
