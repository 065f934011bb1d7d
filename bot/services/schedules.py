"""Scheduling commands: prompt schedules, skip dates, group meetings, check-in reminders.

These only change the schedules; ``bot.scheduler`` turns due schedules into posts.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from bot import timetable, zones
from bot.context import Context
from bot.errors import UserError
from bot.ports import NewDelivery, ScheduleRecord
from bot.scheduler import pick_prompt, platform_of, slot_label
from bot.services.groups import find_group
from bot.text import plural, shorten
from bot.types import Reply, Visibility

DEFAULT_PACK = "weekly-reflection"
MAX_PROMPT_SCHEDULES = 25
MAX_SKIP_DATES = 60
DEFAULT_REMIND = 30
POST_NOW_WINDOW = timedelta(hours=1)
SKIP_AHEAD = timedelta(days=2 * 366)


def _zone(ctx: Context, tz: str | None) -> str:
    return zones.parse_zone(tz) if tz else ctx.community.timezone


def _channel(ctx: Context, channel: str) -> str:
    return ctx.invocation.channel if channel.lower() == "here" else channel


def pack_prompts(ctx: Context, pack: str) -> Sequence[str]:
    return ctx.library.prompts(pack, lambda: ctx.store.custom_prompts(ctx.community_id, pack))


def schedule(
    ctx: Context,
    *,
    channel: str,
    when: str,
    at: str,
    tz: str | None,
    pack: str | None,
    every: int | None,
) -> Reply:
    weekday = timetable.parse_weekday(when)
    hour, minute = timetable.parse_clock(at)
    zone = _zone(ctx, tz)
    pack_name = (pack or DEFAULT_PACK).strip().lower()
    prompts = pack_prompts(ctx, pack_name)
    if not prompts:
        raise UserError(
            f"There is no prompt pack called {shorten(pack_name, 40)}. /prompts packs lists "
            "them; /prompts add --pack <name> starts one of your own."
        )
    target = _channel(ctx, channel)
    existing = ctx.store.schedules(ctx.community_id, "prompt")
    if len(existing) >= MAX_PROMPT_SCHEDULES:
        raise UserError(
            f"This community already has {MAX_PROMPT_SCHEDULES} prompt schedules, the most "
            "allowed. /prompts remove <id> one you no longer need."
        )
    plan = timetable.Timetable(weekday, hour, minute, every or 1, ctx.now.date(), zone)
    for s in existing:
        if (s.channel, s.weekday, s.hour, s.minute, s.timezone, s.pack, s.every) == (
            target,
            weekday,
            hour,
            minute,
            zone,
            pack_name,
            plan.every,
        ):
            raise UserError(f"That is already scheduled as #{s.id}. /prompts list shows it.")
    first = timetable.first_fire(plan, ctx.now)
    s = ctx.store.add_schedule(
        community_id=ctx.community_id,
        kind="prompt",
        channel=target,
        pack=pack_name,
        weekday=weekday,
        hour=hour,
        minute=minute,
        every=plan.every,
        anchor=zones.local_date(first, zone),
        timezone=zone,
        next_fire_at=first,
        created_by=ctx.member_id,
        created_at=ctx.now,
    )
    return Reply(
        f"Scheduled #{s.id}: {pack_name} prompts in #{target} {timetable.describe(s)}, "
        f"in order through its {len(prompts)} prompts. First: "
        f"{zones.show_time(first, zone)} ({zones.show_duration(first - ctx.now)} from now).",
        title="Prompt scheduled",
    )


def list_schedules(ctx: Context) -> Reply:
    every = ctx.store.schedules(ctx.community_id)
    prompts = [s for s in every if s.kind == "prompt"]
    problems = ctx.store.problems([s.id for s in prompts])
    items = [_prompt_line(ctx, s, problems.get(s.id)) for s in prompts]
    meetings = [s for s in every if s.kind == "meeting"]
    names = ctx.store.group_names([s.group_id for s in meetings if s.group_id is not None])
    for s in meetings:
        name = names.get(s.group_id or 0, "a group")
        items.append(f"Meeting: {name} {timetable.describe(s)}; {timetable.upcoming(s, ctx.now)}")
    if ctx.community.checkin_reminder:
        zones_used = sorted({s.timezone for s in every if s.kind == "checkin"})
        items.append(
            f"Check-in reminder at {ctx.community.checkin_reminder} in each member's own zone "
            f"({', '.join(zones_used)})"
        )
    skips = ctx.store.skip_dates(ctx.community_id, ctx.today())
    if skips:
        items.append("Skip dates: " + ", ".join(zones.show_date(d) for d in skips))
    if not items:
        text = "Nothing is scheduled. Start with /prompts schedule #general monday 09:00"
    elif prompts:
        text = f"{plural(len(prompts), 'prompt schedule')}."
    else:
        text = "No prompt schedules yet; /prompts schedule adds one. Also scheduled:"
    return Reply(text, title="Schedules", items=tuple(items))


def _prompt_line(
    ctx: Context, s: ScheduleRecord, problem: tuple[str, str, str | None] | None
) -> str:
    size = len(pack_prompts(ctx, s.pack)) or 1
    done, position = divmod(s.prompt_index, size)
    rotation = f"prompt {position + 1} of {size}" + (f", round {done + 1}" if done else "")
    when = timetable.upcoming(s, ctx.now)
    line = f"#{s.id} #{s.channel} {timetable.describe(s)}, {s.pack} ({rotation}); {when}"
    if problem:
        status, key, error = problem
        what = "failed" if status == "failed" else "was missed (posted too late to send)"
        line += f". Last problem: {slot_label(key)} {what}{f': {error}' if error else ''}"
    return line


def _prompt_schedule(ctx: Context, schedule_id: int) -> ScheduleRecord:
    s = ctx.store.schedule(ctx.community_id, schedule_id)
    if s is None or s.kind != "prompt":
        raise UserError(
            f"There is no prompt schedule #{schedule_id} here. /prompts list shows them."
        )
    return s


def pause(ctx: Context, *, id: int) -> Reply:
    s = _prompt_schedule(ctx, id)
    if s.paused:
        raise UserError(f"#{s.id} is already paused. /prompts resume {s.id} starts it again.")
    s.paused = True
    dropped = ctx.store.cancel_pending(s.id)
    queued = f" The {plural(dropped, 'queued post')} will not go out." if dropped else ""
    return Reply(f"Paused #{s.id}; nothing posts until /prompts resume {s.id}.{queued}")


def resume(ctx: Context, *, id: int) -> Reply:
    s = _prompt_schedule(ctx, id)
    if not s.paused:
        raise UserError(f"#{s.id} is not paused.")
    s.paused = False
    s.next_fire_at = timetable.first_fire(s, ctx.now)  # from now on: no backfill
    return Reply(
        f"Resumed #{s.id} (missed times are not posted); {timetable.upcoming(s, ctx.now)}."
    )


def remove(ctx: Context, *, id: int) -> Reply:
    s = _prompt_schedule(ctx, id)
    ctx.store.remove_schedule(s)
    return Reply(f"Removed #{id}. Prompts already posted stay, and can still be answered.")


def post_now(ctx: Context, *, id: int) -> Reply:
    s = _prompt_schedule(ctx, id)
    prompts = pack_prompts(ctx, s.pack)
    if not prompts:
        raise UserError(f"The pack {s.pack} has no prompts left to post.")
    text = pick_prompt(prompts, s.prompt_index)
    s.prompt_index += 1
    ctx.store.add_delivery(
        NewDelivery(
            community_id=ctx.community_id,
            schedule_id=s.id,
            platform=platform_of(ctx.invocation.community),
            occurrence_key=f"now:{ctx.now:%Y-%m-%dT%H:%M:%S.%f}",
            kind="prompt",
            due_at=ctx.now,
            expires_at=ctx.now + POST_NOW_WINDOW,
            channel=s.channel,
            body=text,
            pack=s.pack,
        ),
        ctx.now,
    )
    return Reply(
        f'Posting to #{s.channel} now: "{shorten(text, 200)}". The regular schedule is unchanged.',
    )


def skip(ctx: Context, *, day: str, undo: bool) -> Reply:
    when = zones.parse_date(day)
    today = ctx.today()
    existing = ctx.store.skip_dates(ctx.community_id, today)
    if undo:
        if not ctx.store.remove_skip_date(ctx.community_id, when):
            raise UserError(f"{zones.show_date(when)} is not a skip date.")
        return Reply(f"{zones.show_date(when)} is a normal day again.")
    if when < today:
        raise UserError(f"{zones.show_date(when)} has passed. Pick today or a later date.")
    if when > today + SKIP_AHEAD:
        raise UserError("Skip dates can be set up to two years ahead.")
    if when in existing:
        raise UserError(f"{zones.show_date(when)} is already a skip date.")
    if len(existing) >= MAX_SKIP_DATES:
        raise UserError(f"There are already {MAX_SKIP_DATES} skip dates ahead; remove one first.")
    ctx.store.add_skip_date(ctx.community_id, when, ctx.member_id)
    return Reply(
        f"Nothing will be posted or reminded on {zones.show_date(when)}. "
        f"/prompts skip {when.isoformat()} --undo takes it back.",
        visibility=Visibility.PRIVATE,
    )


# -- study group meetings -----------------------------------------------------------------
def meet(
    ctx: Context,
    *,
    name: str,
    weekday: str,
    at: str | None,
    tz: str | None,
    remind: int | None,
) -> Reply:
    group = find_group(ctx, name)
    if not (
        ctx.is_organiser
        or group.created_by == ctx.member_id
        or ctx.store.role_in(group.id, ctx.member_id) == "facilitator"
    ):
        raise UserError(
            f"Only {group.name}'s creator, its facilitator or an organiser can set its meeting."
        )
    current = ctx.store.meeting_of(group.id)
    if weekday.strip().lower() in ("off", "none", "cancel"):
        if current is None:
            raise UserError(f"{group.name} has no weekly meeting set.")
        ctx.store.remove_schedule(current)
        return Reply(f"{group.name} no longer has a weekly meeting; no more reminders.")
    try:
        day = timetable.parse_weekday(weekday, daily=False)
    except UserError as error:
        raise UserError(
            f"{error.message} (A group name with spaces goes in quotes: "
            '/group meet "Linear Algebra" monday 18:00)'
        ) from None
    if at is None:
        raise UserError('Give the meeting time too, e.g. /group meet "Linear Algebra" monday 18:00')
    hour, minute = timetable.parse_clock(at)
    zone = _zone(ctx, tz)
    lead = DEFAULT_REMIND if remind is None else remind
    plan = timetable.Timetable(day, hour, minute, 1, ctx.now.date(), zone, lead)
    first = timetable.first_fire(plan, ctx.now)
    timing = {
        "channel": ctx.invocation.channel,
        "weekday": day,
        "hour": hour,
        "minute": minute,
        "anchor": plan.anchor,
        "timezone": zone,
        "remind_minutes": lead,
        "next_fire_at": first,
    }
    s = current or ctx.store.add_schedule(
        community_id=ctx.community_id,
        kind="meeting",
        group_id=group.id,
        created_by=ctx.member_id,
        created_at=ctx.now,
        **timing,
    )
    if current is not None:  # the same schedule: a reminder already sent is not repeated
        ctx.store.cancel_pending(current.id)
        for name, value in timing.items():
            setattr(current, name, value)
    reminder = (
        f"Members get a reminder here {zones.show_duration(timedelta(minutes=lead))} before."
        if lead
        else "Members are reminded here when it starts."
    )
    return Reply(
        f"{group.name} meets {timetable.describe(s)}. {reminder} Next meeting: "
        f"{zones.show_time(timetable.occasion(s, first), zone)}.",
        title="Weekly meeting set",
        visibility=Visibility.CHANNEL,
    )


# -- check-in reminders -------------------------------------------------------------------
def set_checkin_reminder(ctx: Context, value: str) -> str:
    """``/cohort setup --checkin-reminder HH:MM|off``; returns what changed."""
    if value.strip().lower() in ("off", "none", "no"):
        ctx.store.set_checkin_reminder(ctx.community, None)
        sync_checkin_reminders(ctx)
        return "check-in reminders off"
    hour, minute = timetable.parse_clock(value)
    ctx.store.set_checkin_reminder(ctx.community, timetable.show_clock(hour, minute))
    sync_checkin_reminders(ctx)
    return (
        f"check-in reminders at {ctx.community.checkin_reminder} in each member's own zone, "
        "to those who have not checked in that day"
    )


def sync_checkin_reminders(ctx: Context) -> None:
    """One reminder schedule per zone a member's day runs in, at the community's time.

    Called whenever the time, the community zone or a member's zone changes.
    """
    existing = {s.timezone: s for s in ctx.store.schedules(ctx.community_id, "checkin")}
    reminder = ctx.community.checkin_reminder
    wanted = ctx.store.zones_in_use(ctx.community_id, ctx.community.timezone) if reminder else set()
    for zone, stale in existing.items():
        if zone not in wanted:
            ctx.store.remove_schedule(stale)
    if not reminder:
        return
    hour, minute = timetable.parse_clock(reminder)
    for zone in wanted:
        plan = timetable.Timetable(None, hour, minute, 1, ctx.now.date(), zone)
        current = existing.get(zone)
        if current is None:
            ctx.store.add_schedule(
                community_id=ctx.community_id,
                kind="checkin",
                hour=hour,
                minute=minute,
                anchor=plan.anchor,
                timezone=zone,
                next_fire_at=timetable.first_fire(plan, ctx.now),
                created_by=ctx.member_id,
                created_at=ctx.now,
            )
        elif (current.hour, current.minute) != (hour, minute):
            current.hour, current.minute = hour, minute
            current.next_fire_at = timetable.first_fire(plan, ctx.now)
