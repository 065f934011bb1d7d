"""The core's Replies and Posts out, as Discord messages: embeds, buttons, files, forms.

Nothing here pings anyone unless the core named them: every message carries
``AllowedMentions.none()``, except a Post's own ``mentions``, which are allowed by id and
written into the content (mentions inside embeds never notify).
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from typing import Any

import discord

from adapters.discord.interactions import custom_id
from bot import forms
from bot.catalogue import Command
from bot.text import shorten
from bot.types import Button, Post, Reply, Visibility

TITLE_MAX, DESCRIPTION_MAX, FIELD_NAME_MAX, FIELD_VALUE_MAX = 256, 4096, 256, 1024
FIELDS_MAX, BUTTONS_MAX, EMBED_TOTAL_MAX = 25, 25, 6000
LABEL_MAX, FORM_LABEL_MAX = 80, 45
CONTENT_MAX, MENTIONS_MAX = 2000, 100
COLOURS = {
    "ok": discord.Colour(0x5865F2),
    "error": discord.Colour(0xED4245),
    "prompt": discord.Colour(0x57F287),
    "reminder": discord.Colour(0xFEE75C),
}
STYLES = {
    "primary": discord.ButtonStyle.primary,
    "secondary": discord.ButtonStyle.secondary,
    "danger": discord.ButtonStyle.danger,
}
# The core writes channels as "#<id>"; on Discord "<#id>" shows the channel's name.
CHANNEL_ID = re.compile(r"(?<![<\w])#(\d{15,21})\b")


class Components(discord.ui.View):
    """Buttons only. Not kept in discord.py's view store: clicks arrive at ``on_interaction``
    by custom id, which also works for messages sent before a restart."""

    def __init__(self) -> None:
        super().__init__(timeout=None)
        self.stop()  # a finished view is rendered but never stored

    def is_dispatchable(self) -> bool:
        return False


class Form(discord.ui.Modal):
    """A modal. Its submission is handled by custom id in ``on_interaction``, like buttons;
    ``timeout`` bounds how long discord.py keeps it per user."""

    def __init__(self, *, title: str, custom_id: str) -> None:
        super().__init__(title=title, custom_id=custom_id, timeout=15 * 60)


@dataclass
class Message:
    """One Discord message, ready for any of the ways discord.py sends one."""

    embed: discord.Embed | None
    content: str | None = None
    view: Components | None = None
    file: tuple[str, bytes] | None = None
    ephemeral: bool = True
    mentions: discord.AllowedMentions = field(default_factory=discord.AllowedMentions.none)

    def _common(self) -> dict[str, Any]:
        out: dict[str, Any] = {"allowed_mentions": self.mentions}
        if self.embed is not None:
            out["embed"] = self.embed
        if self.content:
            out["content"] = self.content
        if self.view is not None:
            out["view"] = self.view
        return out

    def _file(self) -> discord.File | None:
        if self.file is None:
            return None
        name, data = self.file
        return discord.File(io.BytesIO(data), filename=name)

    def send_kwargs(self, *, ephemeral: bool | None = None) -> dict[str, Any]:
        """For ``response.send_message`` and ``followup.send``."""
        out = {**self._common(), "ephemeral": self.ephemeral if ephemeral is None else ephemeral}
        attached = self._file()
        return {**out, "file": attached} if attached else out

    def edit_kwargs(self) -> dict[str, Any]:
        """For ``edit_original_response`` (a deferred reply)."""
        out = self._common()
        attached = self._file()
        return {**out, "attachments": [attached]} if attached else out

    def channel_kwargs(self) -> dict[str, Any]:
        """For ``Messageable.send``."""
        attached = self._file()
        return {**self._common(), "file": attached} if attached else self._common()


def discord_text(text: str) -> str:
    return CHANNEL_ID.sub(r"<#\1>", text)


def embed(
    *,
    text: str,
    title: str | None,
    colour: str,
    items: tuple[str, ...] = (),
    fields: tuple[tuple[str, str], ...] = (),
) -> discord.Embed:
    """An embed inside Discord's limits; long lists end with how many were left out."""
    body = discord_text(text)
    if items:
        body = f"{body}\n\n" + _bullets(items, DESCRIPTION_MAX - len(body) - 2)
    made = discord.Embed(
        title=shorten(discord_text(title), TITLE_MAX) if title else None,
        description=shorten(body, DESCRIPTION_MAX),
        colour=COLOURS[colour],
    )
    budget = EMBED_TOTAL_MAX - len(made.title or "") - len(made.description or "")
    for name, value in fields[:FIELDS_MAX]:
        name = shorten(name, FIELD_NAME_MAX) or "\u200b"
        value = shorten(discord_text(value), FIELD_VALUE_MAX) or "\u200b"
        budget -= len(name) + len(value)
        if budget < 0:
            break
        made.add_field(name=name, value=value, inline=False)
    return made


def _bullets(items: tuple[str, ...], room: int) -> str:
    lines: list[str] = []
    used = 0
    for index, item in enumerate(items):
        line = "• " + discord_text(item)
        left = len(items) - index
        if used + len(line) + 1 > room - 20:
            lines.append(f"…and {left} more")
            break
        lines.append(line)
        used += len(line) + 1
    return "\n".join(lines)


def buttons(guild_id: str, shown: tuple[Button, ...]) -> Components | None:
    if not shown:
        return None
    view = Components()
    for button in shown[:BUTTONS_MAX]:
        view.add_item(
            discord.ui.Button(
                label=shorten(button.label, LABEL_MAX),
                style=STYLES.get(button.style, discord.ButtonStyle.secondary),
                custom_id=custom_id(guild_id, button.command),
            )
        )
    return view


def reply_message(reply: Reply, guild_id: str) -> Message:
    """A reply to the person who ran a command; private replies are ephemeral."""
    file = None
    if reply.attachment is not None:
        name, content = reply.attachment
        file = (name, content.encode("utf-8"))
    return Message(
        embed=embed(
            text=reply.text,
            title=reply.title,
            colour="error" if reply.is_error else "ok",
            items=reply.items,
            fields=reply.fields,
        ),
        view=buttons(guild_id, reply.buttons),
        file=file,
        ephemeral=reply.is_error or reply.visibility is Visibility.PRIVATE,
    )


def post_messages(post: Post, guild_id: str) -> list[Message]:
    """A post the core sends unprompted; only its ``mentions`` may ping. Discord takes at
    most 100 allowed users and 2,000 characters a message, so a big group's reminder
    continues in plain messages carrying the rest of its mentions."""
    colour = {"prompt": "prompt", "reminder": "reminder"}.get(post.kind, "ok")
    chunks = _mention_chunks([m for m in post.mentions if m.isdigit()])
    parts = [
        Message(embed=None, content=" ".join(f"<@{m}>" for m in chunk), mentions=_allow(chunk))
        for chunk in chunks
    ]
    first = parts[0] if parts else Message(embed=None)
    first.embed = embed(text=post.text, title=post.title, colour=colour, items=post.items)
    first.view = buttons(guild_id, post.buttons)
    first.ephemeral = False
    return [first, *parts[1:]]


def _allow(users: list[str]) -> discord.AllowedMentions:
    allowed = discord.AllowedMentions.none()
    allowed.users = [discord.Object(id=int(m)) for m in users]
    return allowed


def _mention_chunks(users: list[str]) -> list[list[str]]:
    chunks: list[list[str]] = []
    for user in users:
        last = chunks[-1] if chunks else None
        size = sum(len(m) + 4 for m in last) if last else 0
        if last is None or len(last) >= MENTIONS_MAX or size + len(user) + 4 > CONTENT_MAX:
            chunks.append([user])
        else:
            last.append(user)
    return chunks


def form(command: Command, form_id: str, given: dict[str, Any]) -> Form:
    """The modal of a form command: one labelled text input per typed option, prefilled
    with what the slash command already gave."""
    made = Form(title=forms.TITLES[command.path], custom_id=form_id)
    for option in forms.fields(command):
        longest = option.max_length or (len(str(option.max_value)) if option.max_value else 12)
        value = given.get(option.key)
        field = discord.ui.TextInput(
            style=discord.TextStyle.paragraph if longest > 100 else discord.TextStyle.short,
            custom_id=option.key,
            required=option.required,
            min_length=option.min_length,
            max_length=min(longest, 4000),
            placeholder=option.placeholder,
            default=str(value) if value not in (None, "") else None,
        )
        label = shorten(option.description, FORM_LABEL_MAX)
        hint = option.description if label != option.description else None
        made.add_item(discord.ui.Label(text=label, description=hint, component=field))
    if command.path == ("reflect",):
        made.add_item(_visibility(given))
    return made


def _visibility(given: dict[str, Any]) -> discord.ui.Label[Any]:
    """Who sees the reflection: the switches of /reflect, as a choice in the form."""
    chosen = forms.audience(given)
    select: discord.ui.Select[Any] = discord.ui.Select(
        custom_id=forms.AUDIENCE,
        options=[
            discord.SelectOption(label=label, value=value, default=value == chosen)
            for value, label in forms.AUDIENCES
        ],
        min_values=1,
        max_values=1,
    )
    return discord.ui.Label(text="Who sees it", component=select)
