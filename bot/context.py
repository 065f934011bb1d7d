"""What a handler gets: the store, the clock, who is asking, and where posts go."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from bot import zones
from bot.errors import UserError
from bot.packs import PromptLibrary
from bot.ports import CommunityRecord, MemberRecord, Store
from bot.text import clean_name
from bot.types import Invocation, MemberRef, Post


@dataclass
class Context:
    """One command's view of the world. Handlers read and write only through ``store``."""

    store: Store
    now: datetime
    invocation: Invocation
    community: CommunityRecord
    member: MemberRecord
    library: PromptLibrary
    posts: list[Post] = field(default_factory=list)

    @property
    def community_id(self) -> int:
        assert self.community.id is not None
        return self.community.id

    @property
    def member_id(self) -> int:
        assert self.member.id is not None
        return self.member.id

    @property
    def is_organiser(self) -> bool:
        return self.invocation.actor.is_admin or self.member.is_organiser

    def zone_of(self, member: MemberRecord) -> str:
        """A member's own zone, else the community's."""
        return member.timezone or self.community.timezone

    @property
    def zone(self) -> str:
        return self.zone_of(self.member)

    def today(self, member: MemberRecord | None = None) -> date:
        return zones.local_date(self.now, self.zone_of(member or self.member))

    def show(self, instant: datetime) -> str:
        return zones.show_time(instant, self.zone)

    def post(self, text: str, **kw: object) -> None:
        self.posts.append(Post(community=self.invocation.community, text=text, **kw))  # type: ignore[arg-type]

    def resolve_member(self, ref: MemberRef) -> MemberRecord:
        """The member a command names: by platform id when the platform gave one (a mention
        never falls back to names, or a lookalike display name would be picked), else by
        display name in any case."""
        found = None
        if ref.id is not None:
            found = self.store.member_by_platform_id(self.community_id, ref.id)
            if found is None and ref.verified:
                name = clean_name(ref.name)[:80] or ref.id
                return self.store.add_member(self.community_id, ref.id, name, self.now)
        else:
            matches = self.store.members_by_name(self.community_id, ref.name.casefold())
            if len(matches) > 1:
                raise UserError(
                    f"More than one member is called {ref.name}; mention them "
                    "(@name) so I know who you mean."
                )
            found = matches[0] if matches else None
        if found is None or found.forgotten:
            raise UserError(
                f"I don't know a member called {ref.name} here. They need to use "
                "Cohort once (any command) before they can be named."
            )
        return found
