"""Reflections: shared (named), anonymous (unnamed to everyone) or private (author only)."""

from __future__ import annotations

from bot import zones
from bot.context import Context
from bot.errors import UserError
from bot.text import plural, shorten
from bot.types import Reply, Visibility

LISTED = 10


def reflect(ctx: Context, *, text: str, private: bool, anonymous: bool) -> Reply:
    if private and anonymous:
        raise UserError(
            "Choose one: --private (only you see it) or --anonymous (everyone sees "
            "it without your name)."
        )
    visibility = (
        "private" if private else "anonymous" if anonymous else ctx.community.reflections_default
    )
    prompt = ctx.store.latest_prompt_post(ctx.community_id, ctx.invocation.channel)
    ctx.store.add_reflection(
        ctx.community_id,
        ctx.member_id,
        text=text,
        visibility=visibility,
        channel=ctx.invocation.channel,
        prompt_post_id=prompt.id if prompt else None,
        prompt_text=prompt.text if prompt else None,
        now=ctx.now,
    )
    about = f'Re: "{prompt.text}"\n' if prompt else ""
    if visibility == "shared":
        return Reply(
            f"{about}{text}",
            title=f"{ctx.member.display_name} reflected",
            visibility=Visibility.CHANNEL,
        )
    if visibility == "anonymous":
        ctx.post(
            f"{about}{text}",
            channel=ctx.invocation.channel,
            title="An anonymous reflection",
            kind="notice",
        )
        return Reply(
            "Shared anonymously: your name is not shown to anyone, organisers "
            "included. /me export still includes it for you."
        )
    return Reply(
        f"Saved privately{' as your answer to the latest prompt' if prompt else ''}. "
        "Only you can see it: /reflect list"
    )


def list_mine(ctx: Context) -> Reply:
    mine = ctx.store.reflections_of(ctx.member_id)
    if not mine:
        return Reply("You have no reflections yet. Write one: /reflect <text>")
    items = tuple(
        f"{zones.show_date(zones.local_date(r.created_at, ctx.zone))} [{r.visibility}] "
        f"{shorten(r.text, 120)}"
        for r in mine[:LISTED]
    )
    more = f" Showing the newest {LISTED}; /me export has them all." if len(mine) > LISTED else ""
    return Reply(f"{plural(len(mine), 'reflection')}.{more}", title="Your reflections", items=items)
