"""The core's Replies and Posts as Block Kit; forms as modals; the App Home view.

Slack's mrkdwn treats ``&``, ``<`` and ``>`` as control characters, so all core text is
escaped before the bot adds its own markup (channel links, member mentions). Limits are
Slack's: 50 blocks a message, 3,000 characters a section, 10 fields, 25 buttons in an
actions block, 2,000 characters of button value, 150 characters of plain text labels.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from bot import forms
from bot.catalogue import Command
from bot.text import shorten
from bot.types import Button, Post, Reply, Visibility

SECTION_MAX, FIELD_MAX, FIELDS_MAX, HEADER_MAX = 3000, 2000, 10, 150
BLOCKS_MAX, BUTTONS_MAX, VALUE_MAX, LABEL_MAX, FALLBACK_MAX = 50, 25, 2000, 75, 3000
ACTION = "cohort_run"  # every button's action id prefix; the value is the command
FORM = "cohort_form"  # every modal's callback id; private_metadata says which command
CHANNEL_ID = re.compile(r"(?<![<\w])#([CG][A-Z0-9]{2,})\b")
STYLES = {"primary": "primary", "danger": "danger"}


def escape(text: str) -> str:
    """Slack's three control characters, as its docs ask."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def mrkdwn(text: str) -> str:
    return CHANNEL_ID.sub(r"<#\1>", escape(text))


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": shorten(text, SECTION_MAX)}}


def _list(items: tuple[str, ...], room: int) -> list[dict[str, Any]]:
    """Items as sections of bullets, each under Slack's 3,000 characters, in at most
    ``room`` blocks; the last says how many were left out."""
    sections: list[list[str]] = [[]]
    for item in items:
        line = "• " + shorten(mrkdwn(item), SECTION_MAX - 40)
        if sum(len(x) + 1 for x in sections[-1]) + len(line) > SECTION_MAX - 40:
            sections.append([])
        sections[-1].append(line)
    sections = [s for s in sections if s]
    if len(sections) > room > 0:
        kept = sections[: room - 1]
        left = len(items) - sum(len(s) for s in kept)
        sections = [*kept, [f"…and {left} more"]]
    return [_section("\n".join(lines)) for lines in sections[: max(room, 0)]]


def _mentions(users: tuple[str, ...]) -> list[dict[str, Any]]:
    """A big group's reminder: every member mentioned, across as many sections as needed."""
    sections: list[list[str]] = [[]]
    for user in users:
        if sum(len(x) + 1 for x in sections[-1]) + len(user) + 4 > SECTION_MAX:
            sections.append([])
        sections[-1].append(f"<@{user}>")
    return [_section(" ".join(s)) for s in sections if s]


def buttons(shown: tuple[Button, ...]) -> list[dict[str, Any]]:
    """One actions block; each button's value is the command it runs as the clicker."""
    if not shown:
        return []
    elements = []
    for index, button in enumerate(shown[:BUTTONS_MAX]):
        element: dict[str, Any] = {
            "type": "button",
            "action_id": f"{ACTION}:{index}",
            "text": {"type": "plain_text", "text": shorten(button.label, LABEL_MAX)},
            "value": button.command[:VALUE_MAX],
        }
        if button.style in STYLES:
            element["style"] = STYLES[button.style]
        elements.append(element)
    return [{"type": "actions", "elements": elements}]


@dataclass(frozen=True)
class Message:
    """Blocks plus the plain-text fallback Slack shows in notifications."""

    text: str
    blocks: list[dict[str, Any]]
    ephemeral: bool = True
    file: tuple[str, str] | None = None  # (filename, content)


def blocks_for(
    *,
    text: str,
    title: str | None,
    fields: tuple[tuple[str, str], ...] = (),
    items: tuple[str, ...] = (),
    shown: tuple[Button, ...] = (),
    mentions: tuple[str, ...] = (),
) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    if title:
        header = shorten(title, HEADER_MAX)
        blocks.append({"type": "header", "text": {"type": "plain_text", "text": header}})
    blocks += _mentions(mentions)
    if text:
        blocks.append(_section(mrkdwn(text)))
    for start in range(0, min(len(fields), 40), FIELDS_MAX):
        chunk = fields[start : start + FIELDS_MAX]
        cells = [
            {"type": "mrkdwn", "text": shorten(f"*{mrkdwn(k)}*\n{mrkdwn(v)}", FIELD_MAX)}
            for k, v in chunk
        ]
        blocks.append({"type": "section", "fields": cells})
    action = buttons(shown)
    blocks += _list(items, BLOCKS_MAX - len(blocks) - len(action))
    return (blocks + action)[:BLOCKS_MAX]


def fallback(text: str, title: str | None) -> str:
    return shorten(escape(f"{title}: {text}" if title else text), FALLBACK_MAX)


def reply_message(reply: Reply) -> Message:
    return Message(
        text=fallback(reply.text, reply.title),
        blocks=blocks_for(
            text=reply.text,
            title=reply.title,
            fields=reply.fields,
            items=reply.items,
            shown=reply.buttons,
        ),
        ephemeral=reply.is_error or reply.visibility is Visibility.PRIVATE,
        file=reply.attachment,
    )


def post_message(post: Post) -> Message:
    """A post the core sends unprompted; only its ``mentions`` are written as mentions."""
    mentions = tuple(m for m in post.mentions if re.fullmatch(r"[UW][A-Z0-9]+", m))
    return Message(
        text=fallback(post.text, post.title),
        blocks=blocks_for(
            text=post.text,
            title=post.title,
            items=post.items,
            shown=post.buttons,
            mentions=mentions,
        ),
        ephemeral=False,
    )


def form_view(command: Command, metadata: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
    """The modal of a form command; ``metadata`` (command, channel) rides in the view."""
    blocks: list[dict[str, Any]] = []
    for option in forms.fields(command):
        longest = option.max_length or 12
        element: dict[str, Any] = {
            "type": "plain_text_input",
            "action_id": option.key,
            "multiline": longest > 100,
            "max_length": min(longest, 3000),
        }
        if option.min_length:
            element["min_length"] = option.min_length
        if given.get(option.key):
            element["initial_value"] = str(given[option.key])
        blocks.append(
            {
                "type": "input",
                "block_id": option.key,
                "optional": not option.required,
                "label": {"type": "plain_text", "text": shorten(option.description, 150)},
                "element": element,
            }
        )
    if command.path == ("reflect",):
        blocks.append(_visibility(given))
    return {
        "type": "modal",
        "callback_id": FORM,
        "private_metadata": json.dumps(metadata)[:3000],
        "title": {"type": "plain_text", "text": forms.TITLES[command.path]},
        "submit": {"type": "plain_text", "text": "Send"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": blocks,
    }


def _visibility(given: dict[str, Any]) -> dict[str, Any]:
    options = [{"text": {"type": "plain_text", "text": t}, "value": v} for v, t in forms.AUDIENCES]
    initial = next(o for o in options if o["value"] == forms.audience(given))
    return {
        "type": "input",
        "block_id": forms.AUDIENCE,
        "label": {"type": "plain_text", "text": "Who sees it"},
        "element": {
            "type": "static_select",
            "action_id": forms.AUDIENCE,
            "options": options,
            "initial_option": initial,
        },
    }


def form_values(state: dict[str, Any]) -> dict[str, Any]:
    """A submitted modal's values by option key; the visibility choice as the switches."""
    values: dict[str, Any] = {}
    for block in (state.get("values") or {}).values():
        for key, item in block.items():
            if item.get("type") == "static_select":
                values[key] = (item.get("selected_option") or {}).get("value")
            elif isinstance(item.get("value"), str) and item["value"].strip():
                values[key] = item["value"]
    return forms.switches(values)


def home_view(reply: Reply) -> dict[str, Any]:
    """The App Home tab: the member's own Cohort."""
    blocks = blocks_for(
        text=reply.text,
        title=reply.title,
        fields=reply.fields,
        items=reply.items,
        shown=reply.buttons,
    )
    tip = "Use /cohort help for every command; this page refreshes as things change."
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": tip}]})
    return {"type": "home", "blocks": blocks[:100]}
