"""Making user text safe to show on any platform."""

from __future__ import annotations

import re
from dataclasses import replace

from bot.types import Button, Outcome, Post, Reply

ZWSP = "\u200b"
# @everyone/@here (Discord), <@id> <@!id> <@&role> (Discord), <!here> <!channel>
# <!everyone> <!subteam^ID> <@U…> (Slack).
BROADCAST = re.compile(r"@(everyone|here|channel)", re.IGNORECASE)  # no \b: @everyone_ pings
MENTION = re.compile(r"<([@!#])")


def neutralise(text: str) -> str:
    """Break every mention and broadcast so no platform pings anyone from user text."""
    text = BROADCAST.sub(lambda m: "@" + ZWSP + m.group(1), text)
    return MENTION.sub(lambda m: "<" + ZWSP + m.group(1), text)


def normalise_key(text: str) -> str:
    """How names and topics are compared: case-insensitive, spaces collapsed."""
    return " ".join(text.split()).casefold()


# Characters that show nothing: whitespace, zero-width spaces and joiners, bidi controls,
# BOM, soft hyphen, and the fillers used for blank names (Hangul filler, braille blank).
INVISIBLE = re.compile(
    "[\\s\u00ad\u034f\u115f\u1160\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2069"
    "\u2800\u3164\ufeff\uffa0]+"
)


def is_blank(text: str) -> bool:
    """True when the text would show as nothing at all."""
    return not INVISIBLE.sub("", text)


def shorten(text: str, limit: int) -> str:
    """At most ``limit`` characters, with an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def plural(count: int, word: str) -> str:
    """``1 day``, ``3 days``."""
    return f"{count} {word}{'' if count == 1 else 's'}"


def clean_name(text: str) -> str:
    return " ".join(text.split())


def _button(b: Button) -> Button:
    return replace(b, label=neutralise(b.label))


def neutralise_reply(reply: Reply) -> Reply:
    return replace(
        reply,
        text=neutralise(reply.text),
        title=neutralise(reply.title) if reply.title else reply.title,
        fields=tuple((neutralise(k), neutralise(v)) for k, v in reply.fields),
        items=tuple(neutralise(i) for i in reply.items),
        buttons=tuple(_button(b) for b in reply.buttons),
    )


def neutralise_post(post: Post) -> Post:
    return replace(
        post,
        text=neutralise(post.text),
        title=neutralise(post.title) if post.title else post.title,
        items=tuple(neutralise(i) for i in post.items),
        buttons=tuple(_button(b) for b in post.buttons),
    )


def neutralise_outcome(outcome: Outcome) -> Outcome:
    """Applied once, to everything the core emits."""
    return Outcome(
        neutralise_reply(outcome.reply), tuple(neutralise_post(p) for p in outcome.posts)
    )
