"""Discord interactions in: slash commands, button ids and form fields to Invocations.

Reads the interaction's raw ``data`` (the documented JSON), so what arrives is what the
catalogue declared: option names, typed values, and ``resolved`` users for member options.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import discord

from adapters.discord.commands import SUB_COMMAND, catalogue_path
from bot.catalogue import Kind
from bot.types import Actor, Invocation, MemberRef

PLATFORM = "discord"
CUSTOM_ID_MAX = 100  # Discord's limit for buttons and modals
BUTTON, FORM = "ck1", "ck1f"


def community_key(guild_id: int | str) -> str:
    return f"{PLATFORM}:{guild_id}"


def guild_of(key: str) -> str:
    """``discord:81384…`` -> ``81384…``."""
    return key.partition(":")[2]


@dataclass(frozen=True)
class Target:
    """What a button or form id carries: the community (DMs have no guild) and a command."""

    form: bool
    guild_id: str
    command: str


def custom_id(guild_id: str, command: str, *, form: bool = False) -> str:
    """``ck1:<guild>:<command text>``; the command is run as the person who clicks.

    Raises:
        ValueError: the id would be longer than Discord allows (a renderer bug, not input).
    """
    made = f"{FORM if form else BUTTON}:{guild_id}:{command}"
    if len(made) > CUSTOM_ID_MAX:
        raise ValueError(f"custom id over {CUSTOM_ID_MAX} characters: {made[:40]}…")
    return made


def parse_custom_id(value: str) -> Target | None:
    """The target of one of our ids, or None for anything else."""
    prefix, _, rest = value.partition(":")
    guild_id, _, command = rest.partition(":")
    if prefix not in (BUTTON, FORM) or not guild_id.isdigit() or not command.startswith("/"):
        return None
    return Target(prefix == FORM, guild_id, command)


def command_path(data: dict[str, Any]) -> tuple[tuple[str, ...], list[dict[str, Any]]]:
    """The catalogue path and the leaf options of a slash command's data."""
    names = [data["name"]]
    options = list(data.get("options") or [])
    while len(options) == 1 and options[0].get("type") in (SUB_COMMAND, 2):
        names.append(options[0]["name"])
        options = list(options[0].get("options") or [])
    return catalogue_path(tuple(names)), options


def focused(options: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The option being typed in an autocomplete interaction."""
    return next((o for o in options if o.get("focused")), None)


def arguments(
    options: list[dict[str, Any]], resolved: dict[str, Any], kinds: dict[str, Kind]
) -> dict[str, Any]:
    """Option values by catalogue key; member options become ``MemberRef``s."""
    args: dict[str, Any] = {}
    for option in options:
        name, value = option["name"], option.get("value")
        key = name.replace("-", "_")
        if kinds.get(key) is Kind.MEMBER:
            value = member_ref(str(value), resolved)
        args[key] = value
    return args


def member_ref(user_id: str, resolved: dict[str, Any]) -> MemberRef:
    """A resolved member, named as the server shows them (nickname first)."""
    user = (resolved.get("users") or {}).get(user_id) or {}
    member = (resolved.get("members") or {}).get(user_id) or {}
    name = member.get("nick") or user.get("global_name") or user.get("username") or user_id
    # Discord resolves a member only for someone in the server; a pasted id of anyone else
    # (or a bot) resolves to a bare user, which vouches for nothing.
    verified = user_id in (resolved.get("members") or {}) and not user.get("bot")
    return MemberRef(id=user_id, name=str(name), verified=verified)


# "--private" or "--anonymous" at the end of a reflection (what the prompt's hint says to
# type, in any dash a keyboard makes), taken as the switch rather than published as text.
TRAILING_SWITCH = re.compile(r"\s+(?:--|[\u2010-\u2015\u2212])(private|anonymous)\s*$")


def trailing_switches(path: tuple[str, ...], args: dict[str, Any]) -> dict[str, Any]:
    """Move switches typed at the end of a reflection's text into the switches."""
    text = args.get("text")
    if path != ("reflect",) or not isinstance(text, str):
        return args
    args = dict(args)
    while match := TRAILING_SWITCH.search(text):
        args[match.group(1)] = True
        text = text[: match.start()]
    args["text"] = text
    return args


def form_values(components: list[dict[str, Any]]) -> dict[str, str]:
    """Text inputs of a submitted modal, by custom id (action rows or labels around them)."""
    values: dict[str, str] = {}
    for component in components:
        inner = component.get("components") or (
            [component["component"]] if "component" in component else [component]
        )
        for item in inner:
            if "custom_id" in item and isinstance(item.get("value"), str):
                values[item["custom_id"]] = item["value"]
            elif "custom_id" in item and item.get("values"):  # a select: its one choice
                values[item["custom_id"]] = str(item["values"][0])
    return values


def actor(interaction: discord.Interaction) -> Actor:
    """The person, with ``is_admin`` for Manage Server (or Administrator) in a server."""
    perms = interaction.permissions
    admin = interaction.guild_id is not None and (perms.manage_guild or perms.administrator)
    return Actor(id=str(interaction.user.id), name=interaction.user.display_name, is_admin=admin)


def where(interaction: discord.Interaction, guild_id: str) -> dict[str, Any]:
    """Everything of an Invocation but the command: community, channel, actor, id."""
    guild = interaction.client.get_guild(int(guild_id))
    return {
        "community": community_key(guild_id),
        "channel": str(interaction.channel_id),
        "actor": actor(interaction),
        "id": f"{PLATFORM}:{interaction.id}",
        "community_name": guild.name if guild is not None else None,
    }


def invocation(
    interaction: discord.Interaction,
    guild_id: str,
    path: tuple[str, ...],
    args: dict[str, Any],
) -> Invocation:
    return Invocation(path=path, args=args, **where(interaction, guild_id))
