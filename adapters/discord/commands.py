"""The catalogue as Discord application commands: what ``cohort discord sync`` registers.

Each top-level name becomes one slash command; its catalogue paths become subcommands
with typed options, descriptions, choices and limits taken as they are. Two rules come
from Discord rather than from us:

* A command that has subcommands cannot also be run bare, so the bare ``/me`` and
  ``/reflect`` are the subcommands ``/me show`` and ``/reflect write``.
* Required options must come before optional ones, so they are listed first.

Commands with a form (``/reflect write``, ``/group create``) register their options as
optional: run without them, the bot opens the form instead of refusing.
"""

from __future__ import annotations

from typing import Any

from bot import catalogue, forms
from bot.catalogue import Command, Kind, Option

OPTION_TYPES = {Kind.TEXT: 3, Kind.INTEGER: 4, Kind.FLAG: 5, Kind.MEMBER: 6, Kind.CHANNEL: 7}
SUB_COMMAND = 1
CHAT_INPUT = 1
GUILD_INSTALL = 0
IN_GUILD = 0
# Text, announcement, announcement thread, public thread, private thread: where posts can go.
MESSAGE_CHANNELS = (0, 5, 10, 11, 12)
BARE_AS = {"me": "show", "reflect": "write"}


def native_path(path: tuple[str, ...]) -> tuple[str, ...]:
    """The Discord command path of a catalogue path: ``("me",)`` is ``("me", "show")``."""
    if len(path) == 1 and len(catalogue.subcommands(path[0])) > 1:
        return (path[0], BARE_AS[path[0]])  # a KeyError here is a new command to name
    return path


def catalogue_path(names: tuple[str, ...]) -> tuple[str, ...]:
    """The inverse of ``native_path``."""
    if len(names) == 2 and BARE_AS.get(names[0]) == names[1]:
        return names[:1]
    return names


def option_json(option: Option, *, form: bool = False) -> dict[str, Any]:
    """One option; ``form``: the command opens a form when it is left out."""
    out: dict[str, Any] = {
        "type": OPTION_TYPES[option.kind],
        "name": option.name,
        "description": option.description,
        "required": option.required and not form,
    }
    if option.choices:
        out["choices"] = [{"name": c, "value": c} for c in option.choices]
    if option.autocomplete:
        out["autocomplete"] = True
    for key in ("min_value", "max_value", "min_length", "max_length"):
        value = getattr(option, key)
        if value is not None and not (key == "max_length" and option.kind is Kind.CHANNEL):
            out[key] = value
    if option.kind is Kind.CHANNEL:
        out["channel_types"] = list(MESSAGE_CHANNELS)
    return out


def _options(command: Command) -> list[dict[str, Any]]:
    form = forms.has_form(command.path)
    rendered = [option_json(o, form=form) for o in command.options]
    return sorted(rendered, key=lambda o: not o["required"])  # stable: catalogue order


def command_json(top: str) -> dict[str, Any]:
    """One top-level slash command with its subcommands."""
    subs = catalogue.subcommands(top)
    base: dict[str, Any] = {
        "type": CHAT_INPUT,
        "name": top,
        "integration_types": [GUILD_INSTALL],
        "contexts": [IN_GUILD],
    }
    if list(subs) == [""]:
        only = subs[""]
        return {**base, "description": only.description, "options": _options(only)}
    options = [
        {
            "type": SUB_COMMAND,
            "name": native_path(c.path)[1],
            "description": c.description,
            "options": _options(c),
        }
        for c in subs.values()
    ]
    return {**base, "description": catalogue.SECTIONS[top], "options": options}


def commands_json() -> list[dict[str, Any]]:
    """Every command, in catalogue order: the body of the bulk overwrite (PUT)."""
    return [command_json(top) for top in catalogue.TOP_LEVEL]
