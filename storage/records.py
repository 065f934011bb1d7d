"""Plain records for the community and member every command loads.

They are read through Core (cheaper than ORM objects, measured in bench/core.py) and changed
only through explicit ``SqlStore`` methods, which update the row and the record together.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from sqlalchemy import bindparam, select

from storage.models import Community, Member
from storage.statements import table

COMMUNITY = table(Community)
MEMBER = table(Member)


@dataclass
class CommunityRow:
    id: int
    key: str
    name: str
    timezone: str
    reflections_default: str
    checkin_reminder: str | None


@dataclass
class MemberRow:
    id: int
    community_id: int
    platform_id: str
    display_name: str
    timezone: str | None
    is_organiser: bool
    forgotten: bool


def _names(record: type) -> list[str]:
    return [f.name for f in fields(record)]


COMMUNITY_COLUMNS = [COMMUNITY.c[n] for n in _names(CommunityRow)]
MEMBER_COLUMNS = [MEMBER.c[n] for n in _names(MemberRow)]
# The community and the acting member in one round trip, built once.
COMMUNITY_AND_MEMBER = (
    select(*COMMUNITY_COLUMNS, *(c.label(f"m_{c.name}") for c in MEMBER_COLUMNS))
    .select_from(
        COMMUNITY.outerjoin(
            MEMBER,
            (MEMBER.c.community_id == COMMUNITY.c.id) & (MEMBER.c.platform_id == bindparam("pid")),
        )
    )
    .where(COMMUNITY.c.key == bindparam("key"))
)


def community_row(row: Any) -> CommunityRow:
    return CommunityRow(**{n: row._mapping[n] for n in _names(CommunityRow)})


def member_row(row: Any, prefix: str = "") -> MemberRow | None:
    mapping = row._mapping
    if mapping[f"{prefix}id"] is None:
        return None
    return MemberRow(**{n: mapping[f"{prefix}{n}"] for n in _names(MemberRow)})
