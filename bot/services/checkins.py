"""Check-ins: one per member, local day and group; streaks; blockers linked to tutors."""

from __future__ import annotations

from datetime import date

from bot import zones
from bot.context import Context
from bot.errors import UserError
from bot.grammar import QUOTE_MARKS
from bot.services.groups import find_group
from bot.streaks import Streak, streak
from bot.text import normalise_key, plural
from bot.types import Reply

MOODS = {1: "rough", 2: "low", 3: "okay", 4: "good", 5: "great"}


def member_history(ctx: Context) -> tuple[Streak, list[tuple[date, date]]]:
    """The acting member's streak, and the away periods it was computed with."""
    days, away = ctx.store.streak_history(ctx.member_id)
    return streak(days, away, ctx.today()), away


def check_in(
    ctx: Context, *, mood: int | None, progress: str | None, blockers: str | None, group: str | None
) -> Reply:
    if mood is None and not progress and not blockers:
        raise UserError(
            "Tell me at least one thing: --mood 1-5, --progress text or "
            '--blockers text. E.g. /checkin --mood 4 --progress "read chapter 2"'
        )
    group_id, label = _group_scope(ctx, group)
    today = ctx.today()
    updated = ctx.store.save_checkin(
        ctx.community_id,
        ctx.member_id,
        group_id,
        today,
        mood=mood,
        progress=progress or None,
        blockers=blockers or None,
        now=ctx.now,
    )
    verb = "Updated today's check-in" if updated else "Checked in"
    current, _ = member_history(ctx)
    fields = [
        ("Streak", plural(current.current, "day")),
        ("Longest", plural(current.longest, "day")),
    ]
    if mood is not None:
        fields.insert(0, ("Mood", f"{mood}/5 ({MOODS[mood]})"))
    text = f"{verb}{label} for {zones.show_date(today)} ({ctx.zone})."
    items = _tutor_hint(ctx, blockers) if blockers else ()
    return Reply(text, title="Check-in", fields=tuple(fields), items=items)


def _group_scope(ctx: Context, group: str | None) -> tuple[int | None, str]:
    if not group:
        return None, ""
    found = find_group(ctx, group)
    if ctx.store.role_in(found.id, ctx.member_id) is None:
        raise UserError(
            f'You are not in {found.name}. Join it first with /group join "{found.name}".'
        )
    return found.id, f" to {found.name}"


def _tutor_hint(ctx: Context, blockers: str) -> tuple[str, ...]:
    """Tutors whose topic appears in the blockers, and the request that would ask them."""
    offers = ctx.store.offers_for_topics(ctx.community_id, topic_candidates(blockers))
    matches = [t for t in offers if t.member_id != ctx.member_id]
    if not matches:
        return (
            "No tutor offers a topic matching your blockers yet. Ask anyway: "
            f'/tutor request <topic> "{_unquote(blockers)}"',
        )
    by_topic: dict[str, list[str]] = {}
    for offer in matches:
        by_topic.setdefault(offer.topic, []).append(offer.display_name)
    lines = [
        f"Tutors for {topic}: {', '.join(sorted(names))}"
        for topic, names in sorted(by_topic.items())
    ]
    first = sorted(by_topic)[0]
    lines.append(f'Ask them: /tutor request {_quote(first)} "{_unquote(blockers)}"')
    return tuple(lines)


def _quote(topic: str) -> str:
    return f'"{topic}"' if " " in topic else topic


WORD_EDGES = ".,;:!?()[]{}<>\"'“”‘’"
MAX_TOPIC_WORDS = 5


def topic_candidates(text: str) -> list[str]:
    """Every run of up to five words, as a topic key: what a blocker could be 'about'.

    Topics match on whole words, so "sql" matches "my SQL joins" but not "postgresql".
    """
    words = [w.strip(WORD_EDGES) for w in normalise_key(text).split()]
    words = [w for w in words if w]
    return [
        " ".join(words[i : i + n])
        for n in range(1, MAX_TOPIC_WORDS + 1)
        for i in range(len(words) - n + 1)
    ]


def _unquote(text: str) -> str:
    """Text safe inside a suggested "..." argument: no quote mark can end it early."""
    for mark in QUOTE_MARKS:
        text = text.replace(mark, "'")
    return text
