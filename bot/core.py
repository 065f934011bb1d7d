"""The core: one entry point, ``Core.handle(invocation) -> Outcome``.

It validates arguments against the catalogue, opens one unit of work, checks who may run the
command, calls the handler, and turns every ``UserError`` into a private reply in this one
place. It is synchronous; adapters call it with ``await asyncio.to_thread(core.handle, inv)``
so no database call blocks an event loop.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from bot import catalogue, grammar
from bot.clock import Clock
from bot.context import Context
from bot.errors import UserError
from bot.packs import PromptLibrary
from bot.ports import CommunityRecord, Conflict, MemberRecord, Store, UnitOfWork
from bot.services import (
    checkins,
    community,
    groups,
    members,
    prompts,
    reflections,
    schedules,
    suggestions,
    tutoring,
)
from bot.services.suggestions import Suggestion
from bot.text import clean_name, neutralise_outcome
from bot.types import Actor, Invocation, Outcome, Reply

log = logging.getLogger(__name__)

Handler = Callable[..., Reply]

HANDLERS: dict[tuple[str, ...], Handler] = {
    ("group", "create"): groups.create,
    ("group", "list"): groups.list_groups,
    ("group", "join"): groups.join,
    ("group", "leave"): groups.leave,
    ("group", "info"): groups.info,
    ("group", "archive"): groups.archive,
    ("group", "role"): groups.set_role,
    ("group", "meet"): schedules.meet,
    ("checkin",): checkins.check_in,
    ("tutor", "offer"): tutoring.offer,
    ("tutor", "stop"): tutoring.stop,
    ("tutor", "request"): tutoring.request,
    ("tutor", "queue"): tutoring.queue,
    ("tutor", "claim"): tutoring.claim,
    ("tutor", "done"): tutoring.done,
    ("tutor", "cancel"): tutoring.cancel,
    ("tutor", "thank"): tutoring.thank,
    ("reflect",): reflections.reflect,
    ("reflect", "list"): reflections.list_mine,
    ("prompts", "packs"): prompts.packs,
    ("prompts", "add"): prompts.add,
    ("prompts", "schedule"): schedules.schedule,
    ("prompts", "list"): schedules.list_schedules,
    ("prompts", "pause"): schedules.pause,
    ("prompts", "resume"): schedules.resume,
    ("prompts", "remove"): schedules.remove,
    ("prompts", "post-now"): schedules.post_now,
    ("prompts", "skip"): schedules.skip,
    ("me",): members.show,
    ("me", "timezone"): members.set_timezone,
    ("me", "away"): members.away,
    ("me", "back"): members.back,
    ("me", "export"): members.export,
    ("me", "forget"): members.forget,
    ("cohort", "setup"): community.setup,
    ("cohort", "stats"): community.stats,
    ("cohort", "help"): community.help_,
}

ORGANISERS_ONLY = (
    "That is for organisers. Ask an organiser of this community, or a server or "
    "workspace admin, to run it (or to name you with /cohort setup --organiser)."
)


CONFLICT_ATTEMPTS = 3


def refused(error: UserError) -> Outcome:
    """The private reply a user mistake gets, on every platform."""
    return neutralise_outcome(Outcome(Reply(error.message, is_error=True)))


class _NeedsWrite(Exception):
    """A read-only command met a new community or member; rerun it as a write."""


class Core:
    """The platform-neutral bot. Adapters build one through ``adapters.bootstrap``."""

    def __init__(self, *, uow: UnitOfWork, clock: Clock, library: PromptLibrary) -> None:
        self.uow = uow
        self.clock = clock
        self.library = library

    def parse(self, line: str, **where: Any) -> Invocation:
        """Text grammar to an Invocation (console and Slack)."""
        command, raw = grammar.parse(line)
        return Invocation(path=command.path, args=raw, **where)

    def handle_text(self, line: str, **where: Any) -> Outcome:
        """Parse and handle one line; a parse error is a friendly reply like any other."""
        try:
            invocation = self.parse(line, **where)
        except UserError as error:
            return refused(error)
        return self.handle(invocation)

    async def handle_async(self, invocation: Invocation) -> Outcome:
        """For adapters on an event loop: the command runs in a worker thread."""
        return await asyncio.to_thread(self.handle, invocation)

    def suggest(
        self, community: str, actor_id: str, kind: str, typed: str, *, admin: bool = False
    ) -> list[Suggestion]:
        """Choices for an option being typed (``Option.autocomplete`` names the kind).

        A read; never raises, because a failed suggestion must not break typing. Schedules
        are offered to organisers only (``admin``: the platform's admin flag)."""
        try:
            if kind == "timezone":
                return suggestions.zones_for(typed)
            with self.uow.begin(write=False) as store:
                found, member = store.community_and_member(community, actor_id)
                community_id = found.id if found is not None else None
                if kind == "pack":
                    own = store if community_id is not None else None
                    return suggestions.packs_for(typed, self.library, own, community_id or 0)
                if community_id is None:
                    return []
                organiser = admin or (member is not None and member.is_organiser)
                if kind == "schedule" and not organiser:
                    return []
                member_id = member.id if member is not None else None
                return suggestions.suggest(store, community_id, member_id, kind, typed)
        except Exception:
            log.exception("suggestions of %s failed in %s", kind, community)
            return []

    def home(self, community: str, actor: Actor, community_name: str | None = None) -> Reply:
        """A member's home view (Slack's App Home): what /me shows, plus the open requests
        in the topics they offer. Not a command; runs like /me, through the same boundary."""
        invocation = Invocation(
            community=community,
            channel="",
            actor=actor,
            path=("me",),
            community_name=community_name,
        )
        return self.handle(invocation, handler=members.home).reply

    def handle(self, invocation: Invocation, *, handler: Handler | None = None) -> Outcome:
        """Run one command. Never raises; the store is unchanged unless it succeeded."""
        try:
            return neutralise_outcome(self._run(invocation, handler))
        except UserError as error:
            return refused(error)
        except Exception:
            ref = uuid.uuid4().hex[:8]
            log.exception(
                "command failed (ref %s): /%s in %s by %s",
                ref,
                " ".join(invocation.path),
                invocation.community,
                invocation.actor.id,
            )
            return Outcome(
                Reply(
                    f"Sorry, something went wrong on my side (ref {ref}). Nothing "
                    "was changed; please try again in a moment.",
                    is_error=True,
                )
            )

    def _run(self, invocation: Invocation, handler: Handler | None = None) -> Outcome:
        command = catalogue.find(invocation.path)
        if command is None:
            raise UserError(
                f"There is no command /{' '.join(invocation.path)}. /cohort help lists them all."
            )
        args = grammar.validate(command, invocation.args)
        write = not command.read_only
        for attempt in range(1, CONFLICT_ATTEMPTS + 1):
            try:
                return self._transaction(invocation, command, args, write=write, handler=handler)
            except _NeedsWrite:
                write = True
            except Conflict:
                if attempt == CONFLICT_ATTEMPTS:
                    raise
                log.info("conflict on /%s, retrying (%d)", command.name, attempt)
        return self._transaction(invocation, command, args, write=True, handler=handler)

    def _transaction(
        self,
        invocation: Invocation,
        command: catalogue.Command,
        args: dict[str, Any],
        *,
        write: bool,
        handler: Handler | None = None,
    ) -> Outcome:
        now = self.clock.now()
        with self.uow.begin(write=write) as store:
            found, known = store.community_and_member(invocation.community, invocation.actor.id)
            community = found or self._new_community(store, invocation, write, now)
            assert community.id is not None
            member = self._member(store, community.id, known, invocation, write, now)
            ctx = Context(
                store=store,
                now=now,
                invocation=invocation,
                community=community,
                member=member,
                library=self.library,
            )
            if (
                invocation.id
                and write
                and not store.first_handling(ctx.community_id, invocation.id, now)
            ):
                return Outcome(
                    Reply(
                        "Already done: that request arrived twice and was handled the first time."
                    )
                )
            if command.organiser_only and not ctx.is_organiser:
                raise UserError(ORGANISERS_ONLY)
            reply = (handler or HANDLERS[command.path])(ctx, **args)
        return Outcome(reply, tuple(ctx.posts))

    @staticmethod
    def _new_community(
        store: Store, invocation: Invocation, write: bool, now: datetime
    ) -> CommunityRecord:
        if not write:
            raise _NeedsWrite
        name = clean_name(invocation.community_name or invocation.community)[:120]
        return store.add_community(invocation.community, name, now)

    @staticmethod
    def _member(
        store: Store,
        community_id: int,
        found: MemberRecord | None,
        invocation: Invocation,
        write: bool,
        now: datetime,
    ) -> MemberRecord:
        actor = invocation.actor
        name = clean_name(actor.name)[:80] or actor.id
        if found is not None and found.display_name == name:
            return found
        if not write:
            raise _NeedsWrite
        if found is None:
            return store.add_member(community_id, actor.id, name, now)
        store.rename_member(found, name)
        return found
