"""Community settings, organiser statistics and help."""

from __future__ import annotations

from datetime import timedelta

from bot import catalogue, zones
from bot.context import Context
from bot.errors import UserError
from bot.services import schedules
from bot.text import shorten
from bot.types import MemberRef, Reply

DEFAULT_STATS_DAYS = 7


def setup(
    ctx: Context,
    *,
    timezone: str | None,
    organiser: MemberRef | None,
    remove_organiser: MemberRef | None,
    reflections: str | None,
    checkin_reminder: str | None,
) -> Reply:
    changes = []
    if timezone:
        ctx.store.update_community(ctx.community, timezone=zones.parse_zone(timezone))
        changes.append(f"time zone {ctx.community.timezone}")
    if checkin_reminder:
        changes.append(schedules.set_checkin_reminder(ctx, checkin_reminder))
    elif timezone:
        schedules.sync_checkin_reminders(ctx)
    if organiser:
        member = ctx.resolve_member(organiser)
        ctx.store.set_organiser(member, True)
        changes.append(f"{member.display_name} is an organiser")
    if remove_organiser:
        member = ctx.resolve_member(remove_organiser)
        if not member.is_organiser:
            raise UserError(f"{member.display_name} was not named as an organiser.")
        ctx.store.set_organiser(member, False)
        changes.append(f"{member.display_name} is no longer an organiser")
    if reflections:
        ctx.store.update_community(ctx.community, reflections_default=reflections)
        changes.append(f"reflections default to {reflections}")
    organisers = ", ".join(m.display_name for m in ctx.store.organisers(ctx.community_id))
    fields = (
        ("Time zone", ctx.community.timezone),
        ("Reflections default", ctx.community.reflections_default),
        ("Check-in reminder", ctx.community.checkin_reminder or "off"),
        ("Named organisers", organisers or "none (platform admins always are)"),
    )
    text = ("Changed: " + "; ".join(changes) + ".") if changes else "Current settings."
    return Reply(text, title="Community settings", fields=fields)


def stats(ctx: Context, *, days: int | None) -> Reply:
    span = days or DEFAULT_STATS_DAYS
    since = ctx.now - timedelta(days=span)
    since_day = zones.local_date(since, ctx.community.timezone)
    s = ctx.store.stats(ctx.community_id, since=since, since_day=since_day)
    mood = f"{s.average_mood:.1f}/5" if s.average_mood is not None else "no moods given"
    fields = (
        ("Members", f"{s.members} ({s.active_members} checked in)"),
        ("Check-ins", f"{s.checkins}, average mood {mood}"),
        ("Study groups", f"{s.groups} open, {s.new_groups} new"),
        (
            "Help requests",
            f"{s.requests_opened} asked, {s.requests_resolved} resolved, "
            f"{s.requests_open} waiting now",
        ),
        (
            "Reflections",
            f"{s.reflections} ({s.reflections_shared} shared, "
            f"{s.reflections_anonymous} anonymous, {s.reflections_private} private)",
        ),
    )
    helpers = tuple(
        f"{name}: helped {helped}, thanked {thanked}" for name, helped, thanked in s.helpers
    ) or ("No one has resolved a request yet.",)
    blockers = tuple(
        f"Blocked: {name} ({zones.show_date(day)}): {shorten(text, 100)}"
        for name, day, text in s.blockers
    )
    return Reply(
        f"The last {span} day{'s' if span != 1 else ''}. Helper counts are for "
        "organisers only; there is no public leaderboard.",
        title="Community stats",
        fields=fields,
        items=helpers + blockers,
    )


def help_(ctx: Context, *, command: str | None) -> Reply:
    if command:
        return _help_for(ctx, command)
    items = tuple(
        f"{c.usage()} - {c.description}{' (organisers)' if c.organiser_only else ''}"
        for c in catalogue.COMMANDS
    )
    return Reply(
        "Every command, in the same words on every platform. /cohort help <command> explains one.",
        title="Cohort help",
        items=items,
    )


def _help_for(ctx: Context, command: str) -> Reply:
    words = tuple(command.lower().lstrip("/").split())
    if (
        words[:1] == ("cohort",)
        and words[1:2]
        and words[1] in catalogue.TOP_LEVEL
        and (words[1] not in catalogue.subcommands("cohort"))
    ):
        words = words[1:]
    found = [c for c in catalogue.COMMANDS if c.path[: len(words)] == words]
    if not found:
        raise UserError(f"There is no command /{' '.join(words)}. /cohort help lists them all.")
    if len(found) > 1 and found[0].path != words:
        return Reply(
            f"/{' '.join(words)} has these forms:",
            title=f"/{' '.join(words)}",
            items=tuple(f"{c.usage()} - {c.description}" for c in found),
        )
    spec = found[0]
    items = tuple(
        f"{('<' + o.name + '>') if o.positional else '--' + o.name}: {o.description}"
        for o in spec.options
    )
    fields = (("Usage", spec.usage()),) + ((("Example", spec.example),) if spec.example else ())
    return Reply(
        spec.description + (" Organisers only." if spec.organiser_only else ""),
        title=f"/{spec.name}",
        fields=fields,
        items=items,
    )
