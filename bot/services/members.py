"""A member's own view and data: /me, time zone, away periods, export, forget."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import date, timedelta

from bot import zones
from bot.context import Context
from bot.errors import UserError
from bot.services import schedules
from bot.services.checkins import member_history
from bot.text import plural
from bot.types import Button, Reply

MAX_AWAY_DAYS = 365
DAYS = re.compile(r"^([0-9]+)d$", re.IGNORECASE)


def show(ctx: Context) -> Reply:
    groups = ctx.store.groups_of(ctx.member_id)
    current, periods = member_history(ctx)
    today = ctx.today()
    involved = ctx.store.requests_involving(ctx.member_id)
    asked = [r for r in involved if r.requester_id == ctx.member_id]
    helping = [r for r in involved if r.claimed_by == ctx.member_id]
    away = next(((start, end) for start, end in periods if start <= today <= end), None)
    fields = (
        ("Streak", f"{plural(current.current, 'day')} (longest {current.longest})"),
        ("Time zone", ctx.zone + ("" if ctx.member.timezone else " (community default)")),
        ("Groups", ", ".join(f"{name} ({role})" for name, role in groups) or "none yet"),
        ("Open requests", ", ".join(f"#{r.id} {r.topic} ({r.status})" for r in asked) or "none"),
        ("Helping with", ", ".join(f"#{r.id} {r.topic}" for r in helping) or "nothing"),
        ("Reflections", str(ctx.store.count_reflections(ctx.member_id))),
        ("Away", f"until {zones.show_date(away[1])}" if away else "no"),
    )
    return Reply(f"Here is your Cohort, {ctx.member.display_name}.", title="You", fields=fields)


HOME_REQUESTS = 10


def home(ctx: Context) -> Reply:
    """A member's home (Slack's App Home tab): /me, plus the open requests in the topics
    they offer, oldest first, each with its Claim button."""
    mine = show(ctx)
    waiting = {
        int(r.id): r
        for offer in ctx.store.offers_of(ctx.member_id)
        for r in ctx.store.open_requests(ctx.community_id, offer.topic_key, limit=HOME_REQUESTS)
        if r.requester_id != ctx.member_id
    }
    oldest = sorted(waiting.values(), key=lambda r: (r.created_at, r.id))[:HOME_REQUESTS]
    items = tuple(f"#{r.id} {r.topic}: {r.details} (asked by {r.requester_name})" for r in oldest)
    claims = tuple(
        Button(f"Claim #{r.id}", f"tutor.claim:{r.id}", f"/tutor claim {r.id}", "primary")
        for r in oldest[:5]
    )
    told = "Open requests in your topics:" if items else "No open requests in your topics."
    return replace(mine, text=f"{mine.text} {told}", items=items, buttons=claims)


def set_timezone(ctx: Context, *, zone: str) -> Reply:
    name = zones.parse_zone(zone)
    ctx.store.set_member_timezone(ctx.member, name)
    schedules.sync_checkin_reminders(ctx)  # reminders follow the member's day
    local = ctx.show(ctx.now)
    return Reply(
        f"Your time zone is now {name} (it is {local} there). Check-ins, streaks and "
        "reminders follow your local day."
    )


def away(ctx: Context, *, start: str, end: str | None) -> Reply:
    first, last = _away_range(ctx, start, end)
    for period in ctx.store.away_periods(ctx.member_id):
        if period.start <= last and first <= period.end:
            raise UserError(
                f"That overlaps your away time {period.start} to {period.end}. "
                "Use /me back to end it first."
            )
    ctx.store.add_away(ctx.community_id, ctx.member_id, first, last)
    return Reply(
        f"Away from {zones.show_date(first)} to {zones.show_date(last)}: no reminders, "
        "and your streak is frozen. "
        + ("/me back ends it early." if first <= ctx.today() else "/me back --upcoming cancels it.")
    )


def _away_range(ctx: Context, start: str, end: str | None) -> tuple[date, date]:
    today = ctx.today()
    days = DAYS.match(start.strip())
    if days:
        if end:
            raise UserError("Give either a length (5d) or dates (YYYY-MM-DD [YYYY-MM-DD]).")
        count = int(days.group(1))
        if not 1 <= count <= MAX_AWAY_DAYS:
            raise UserError(f"Away is 1 to {MAX_AWAY_DAYS} days, e.g. /me away 5d.")
        return today, today + timedelta(days=count - 1)
    first = zones.parse_date(start, "start date")
    last = zones.parse_date(end, "end date") if end else first
    if first < today:
        raise UserError(f"{first} is in the past; away time starts today or later.")
    if last < first:
        raise UserError(f"The end date {last} is before the start {first}.")
    if (last - first).days >= MAX_AWAY_DAYS:
        raise UserError(f"Away is at most {MAX_AWAY_DAYS} days at a time.")
    return first, last


def back(ctx: Context, *, upcoming: bool) -> Reply:
    today = ctx.today()
    periods = [p for p in ctx.store.away_periods(ctx.member_id) if p.end >= today]
    current = next((p for p in periods if p.start <= today), None)
    planned = [p for p in periods if p.start > today]
    if current is None and not (upcoming and planned):
        if planned:
            first = planned[0]
            raise UserError(
                f"You are not away now. Your next away time is {zones.show_date(first.start)} "
                f"to {zones.show_date(first.end)}; to cancel planned away time, use "
                "/me back --upcoming."
            )
        raise UserError("You are not away, so there is nothing to end.")
    if current is not None and current.start < today:
        current.end = today - timedelta(days=1)
    elif current is not None:
        ctx.store.remove_away(current)
    for period in planned if upcoming else []:
        ctx.store.remove_away(period)
    cancelled = (
        f" Cancelled {plural(len(planned), 'planned away period')}." if upcoming and planned else ""
    )
    welcome = "Welcome back! Reminders are on again and today counts for your streak."
    return Reply((welcome if current is not None else "Done.") + cancelled)


def export(ctx: Context) -> Reply:
    data = ctx.store.export_member(ctx.community_id, ctx.member_id)
    body = json.dumps(data, indent=2, sort_keys=True, default=str)
    counts = ", ".join(f"{len(v)} {k}" for k, v in sorted(data.items()) if isinstance(v, list))
    return Reply(
        f"Your data in this community: {counts}.",
        title="Your export",
        attachment=("cohort-export.json", body),
    )


def forget(ctx: Context, *, confirm: bool) -> Reply:
    if not confirm:
        return Reply(
            "This deletes your check-ins, reflections, offers, groups and away time "
            "here. Help you gave or got stays in others' counts, without your name. "
            "It can't be undone.",
            title="Delete your data?",
            buttons=(Button("Delete my data", "me.forget", "/me forget --confirm", "danger"),),
        )
    ctx.store.forget_member(ctx.community_id, ctx.member_id, ctx.now)
    return Reply("Done: your data here is deleted. If you use Cohort again you start fresh.")
