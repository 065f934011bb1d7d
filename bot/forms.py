"""Forms: commands a platform with dialogs (Discord and Slack modals) asks for in one.

A form command run with none of its form's fields given (a bare ``/reflect``, a click on
Answer) opens the form instead; its switches (``--private``) ride in the form's command
line. The reflection form also asks who sees it, which comes back as the switches.
"""

from __future__ import annotations

from typing import Any

from bot.catalogue import Command, Kind, Option

TITLES: dict[tuple[str, ...], str] = {
    ("reflect",): "Your reflection",
    ("checkin",): "Check in",
    ("group", "create"): "New study group",
}
FIELDS_MAX = 5  # Discord's limit for a modal, and plenty for Slack's
AUDIENCE = "visibility"  # the reflection form's "Who sees it" field
AUDIENCES = (
    ("default", "As this community shares reflections"),
    ("anonymous", "Anonymous: shared without my name"),
    ("private", "Only me"),
)


def has_form(path: tuple[str, ...]) -> bool:
    return path in TITLES


def fields(command: Command) -> tuple[Option, ...]:
    """The options a form asks for: typed text and numbers, no switches or choices."""
    typed = [o for o in command.options if o.kind in (Kind.TEXT, Kind.INTEGER) and not o.choices]
    return tuple(typed[:FIELDS_MAX])


def asks(command: Command | None, args: dict[str, Any]) -> bool:
    """Whether running ``command`` with ``args`` should open its form."""
    return (
        command is not None
        and has_form(command.path)
        and not any(args.get(o.key) for o in fields(command))
    )


def opening_line(command: Command, args: dict[str, Any]) -> str:
    """The command the form runs when sent: its name and the switches already given."""
    on = [f"--{o.name}" for o in command.options if o.kind is Kind.FLAG and args.get(o.key)]
    return " ".join(["/" + command.name, *on])


def audience(args: dict[str, Any]) -> str:
    """The "Who sees it" choice the given switches mean."""
    return "private" if args.get("private") else "anonymous" if args.get("anonymous") else "default"


def switches(values: dict[str, Any]) -> dict[str, Any]:
    """A submitted form's values with "Who sees it" turned into /reflect's switches. The
    choice overrides the switches the form was opened with: it showed them as its default."""
    values = dict(values)
    if AUDIENCE in values:
        chosen = values.pop(AUDIENCE)
        values |= {"private": chosen == "private", "anonymous": chosen == "anonymous"}
    return values
