"""Study groups: create, list, join, leave, info, archive, roles."""

from __future__ import annotations

from bot import timetable
from bot.context import Context
from bot.errors import UserError
from bot.grammar import QUOTE_MARKS
from bot.ports import GroupRecord
from bot.text import clean_name, normalise_key, plural
from bot.types import Button, MemberRef, Reply, Visibility

LIST_BUTTONS = 5
PAGE = 20


def find_group(ctx: Context, name: str) -> GroupRecord:
    """The active group called ``name`` (any case), or a UserError pointing at the list."""
    group = ctx.store.group_by_name(ctx.community_id, normalise_key(name))
    if group is None:
        raise UserError(
            f"There is no group called {clean_name(name)} here. /group list shows the open groups."
        )
    if group.archived_at is not None:
        raise UserError(f"{group.name} was archived. /group list shows the open groups.")
    return group


def join_button(group: GroupRecord) -> Button:
    return Button(
        f"Join {group.name}", f"group.join:{group.id}", f'/group join "{group.name}"', "primary"
    )


def create(
    ctx: Context, *, name: str, topic: str | None, capacity: int | None, private: bool
) -> Reply:
    name = clean_name(name)
    if any(mark in name for mark in QUOTE_MARKS):
        raise UserError(
            "A group name can't contain quote marks: people type the name in "
            "quotes to join it. Pick a name without them."
        )
    existing = ctx.store.group_by_name(ctx.community_id, normalise_key(name))
    if existing is not None:
        hint = (
            "it was archived; pick another name."
            if existing.archived_at
            else f'join it with /group join "{existing.name}".'
        )
        raise UserError(f"A group called {existing.name} already exists: {hint}")
    group = ctx.store.add_group(
        ctx.community_id,
        name=name,
        name_key=normalise_key(name),
        topic=clean_name(topic or ""),
        capacity=capacity,
        private=private,
        created_by=ctx.member_id,
        now=ctx.now,
    )
    ctx.store.add_membership(ctx.community_id, group.id, ctx.member_id, "facilitator", ctx.now)
    limit = f" for up to {capacity} members" if capacity else ""
    kind = "private group (unlisted; others join by its exact name)" if private else "group"
    return Reply(
        f"Created the {kind} {name}{limit}. You are its facilitator.",
        title=f"Study group: {name}",
        buttons=() if private else (join_button(group),),
        visibility=Visibility.PRIVATE if private else Visibility.CHANNEL,
    )


def list_groups(ctx: Context, *, page: int | None) -> Reply:
    number = page or 1
    rows, total = ctx.store.groups_page(
        ctx.community_id, visible_to=ctx.member_id, offset=(number - 1) * PAGE, limit=PAGE
    )
    if not total:
        return Reply('No study groups yet. Start one: /group create "Linear Algebra" proofs')
    if not rows:
        pages = -(-total // PAGE)
        raise UserError(
            f"There {'is only 1 page' if pages == 1 else f'are only {pages} pages'} "
            "of groups; try /group list."
        )
    items = tuple(_line(g, g.size) for g in rows)
    buttons = tuple(join_button(g) for g in rows if not g.private)[:LIST_BUTTONS]
    shown = (
        f" Page {number} of {-(-total // PAGE)}: /group list --page {number + 1} for more."
        if total > number * PAGE
        else ""
    )
    return Reply(
        f"{plural(total, 'study group')}.{shown}",
        title="Study groups",
        items=items,
        buttons=buttons,
    )


def _line(group: GroupRecord, count: int) -> str:
    size = f"{count}/{group.capacity} members" if group.capacity else plural(count, "member")
    topic = f" - {group.topic}" if group.topic else ""
    private = " (private)" if group.private else ""
    return f"{group.name}{topic} ({size}){private}"


def join(ctx: Context, *, name: str) -> Reply:
    group = find_group(ctx, name)
    if ctx.store.role_in(group.id, ctx.member_id) is not None:
        raise UserError(f"You are already in {group.name}.")
    count = ctx.store.group_size(group.id)
    if group.capacity is not None and count >= group.capacity:
        raise UserError(
            f"{group.name} is full ({count}/{group.capacity}). Ask its facilitator "
            "about a spot, or start another group with /group create."
        )
    ctx.store.add_membership(ctx.community_id, group.id, ctx.member_id, "member", ctx.now)
    return Reply(
        f'You joined {group.name}. Check in for it with /checkin --group "{group.name}".',
        title=f"Joined {group.name}",
    )


def leave(ctx: Context, *, name: str) -> Reply:
    group = find_group(ctx, name)
    if not ctx.store.remove_membership(group.id, ctx.member_id):
        raise UserError(f"You are not in {group.name}, so there is nothing to leave.")
    return Reply(f"You left {group.name}.")


def info(ctx: Context, *, name: str) -> Reply:
    group = find_group(ctx, name)
    members = ctx.store.group_members(group.id)
    size = f"{len(members)}/{group.capacity}" if group.capacity else str(len(members))
    fields = [("Members", size), ("Visibility", "private" if group.private else "listed")]
    if group.topic:
        fields.insert(0, ("Topic", group.topic))
    meeting = ctx.store.meeting_of(group.id)
    if meeting is not None:
        fields.append(
            ("Meets", f"{timetable.describe(meeting)}; {timetable.upcoming(meeting, ctx.now)}")
        )
    items = tuple(f"{m.display_name} - {m.role}" for m in members)
    mine = any(m.id == ctx.member_id for m in members)
    buttons = () if mine or group.private else (join_button(group),)
    return Reply(
        f"Created {ctx.show(group.created_at)}.",
        title=group.name,
        fields=tuple(fields),
        items=items,
        buttons=buttons,
    )


def archive(ctx: Context, *, name: str) -> Reply:
    group = find_group(ctx, name)
    if group.created_by != ctx.member_id and not ctx.is_organiser:
        raise UserError(
            f"Only the person who created {group.name}, or an organiser, can archive it."
        )
    group.archived_at = ctx.now
    meeting = ctx.store.meeting_of(group.id)
    if meeting is not None:
        ctx.store.remove_schedule(meeting)  # no reminders for a group that is gone
    return Reply(f"Archived {group.name}. Its check-ins stay in everyone's history.")


def set_role(ctx: Context, *, name: str, member: MemberRef, role: str) -> Reply:
    group = find_group(ctx, name)
    if not ctx.is_organiser and ctx.store.role_in(group.id, ctx.member_id) != "facilitator":
        raise UserError(f"Only a facilitator of {group.name} or an organiser can give roles.")
    target = ctx.resolve_member(member)
    assert target.id is not None
    if ctx.store.role_in(group.id, target.id) is None:
        raise UserError(
            f"{target.display_name} is not in {group.name}; they can join with "
            f'/group join "{group.name}".'
        )
    ctx.store.set_role(group.id, target.id, role)
    return Reply(f"{target.display_name} is now {role} of {group.name}.")
