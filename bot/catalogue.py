"""The command catalogue: one declaration per command, rendered by every adapter.

Discord app commands, the Slack manifest, the console/Slack text parser and
``/cohort help`` all read these specs; nothing else declares a command.
Descriptions stay within Discord's 100-character limit so they can be used as-is.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import Enum


class Kind(Enum):
    """The type of an option's value."""

    TEXT = "text"
    INTEGER = "integer"
    FLAG = "flag"
    MEMBER = "member"
    CHANNEL = "channel"


# Platform-safe lengths: a Discord message holds 2,000 characters and a Slack
# section block 3,000, so no single piece of user text may exceed what one reply can show.
NAME_MAX = 60
TOPIC_MAX = 100
SHORT_TEXT_MAX = 500
LONG_TEXT_MAX = 1500


@dataclass(frozen=True)
class Option:
    """One typed option or positional argument of a command."""

    name: str
    kind: Kind
    description: str
    required: bool = False
    positional: bool = False
    rest: bool = False  # a positional that takes the rest of the line
    choices: tuple[str, ...] = ()
    min_value: int | None = None
    max_value: int | None = None
    min_length: int | None = None
    max_length: int | None = None
    autocomplete: str | None = None  # "group" | "topic" | "request" | "timezone"
    placeholder: str | None = None  # how usage shows it, e.g. "HH:MM"

    @property
    def key(self) -> str:
        """The keyword argument name the handler receives."""
        return self.name.replace("-", "_")


@dataclass(frozen=True)
class Command:
    """One command path, e.g. ``("group", "join")``."""

    path: tuple[str, ...]
    description: str
    options: tuple[Option, ...] = ()
    organiser_only: bool = False
    read_only: bool = False
    example: str | None = None

    @property
    def name(self) -> str:
        """The path as typed, without the slash."""
        return " ".join(self.path)

    def option(self, name: str) -> Option | None:
        """The option called ``name`` (dashes or underscores), if any."""
        key = name.replace("-", "_")
        return next((o for o in self.options if o.key == key), None)

    @property
    def positionals(self) -> tuple[Option, ...]:
        return tuple(o for o in self.options if o.positional)

    def usage(self) -> str:
        """A one-line usage string in the shared text grammar."""
        parts = ["/" + self.name]
        for o in self.options:
            shown = o.placeholder or ("|".join(o.choices) if o.choices else o.name)
            if o.positional:
                parts.append(f"<{shown}>" if o.required else f"[{shown}]")
            elif o.kind is Kind.FLAG:
                parts.append(f"[--{o.name}]")
            else:
                parts.append(f"[--{o.name} {shown}]")
        return " ".join(parts)


def _pos(name: str, kind: Kind, description: str, **kw: object) -> Option:
    return Option(name, kind, description, positional=True, **kw)  # type: ignore[arg-type]


GROUP_NAME = _pos(
    "name",
    Kind.TEXT,
    "The study group's name",
    required=True,
    rest=True,
    min_length=1,
    max_length=NAME_MAX,
    autocomplete="group",
)
# The group's name when more arguments follow it (quoted if it has spaces).
GROUP_NAME_WORD = replace(GROUP_NAME, rest=False)
REQUEST_ID = _pos(
    "id",
    Kind.INTEGER,
    "The help request's number, as shown in the queue",
    required=True,
    min_value=1,
    autocomplete="request",
)
ROLES = ("facilitator", "note-taker", "timekeeper", "member")
SCHEDULE_ID = _pos(
    "id",
    Kind.INTEGER,
    "The schedule's number, as /prompts list shows it",
    required=True,
    min_value=1,
    autocomplete="schedule",
)
ZONE = Option(
    "tz",
    Kind.TEXT,
    "An IANA time zone (default: the community's)",
    max_length=64,
    autocomplete="timezone",
    placeholder="Area/City",
)
LOCAL_TIME = "Local time, 24-hour HH:MM"

COMMANDS: tuple[Command, ...] = (
    # -- study groups ---------------------------------------------------------------
    Command(
        ("group", "create"),
        "Start a study group that others can join",
        (
            _pos(
                "name",
                Kind.TEXT,
                "A short name, e.g. Linear Algebra",
                required=True,
                min_length=1,
                max_length=NAME_MAX,
            ),
            _pos("topic", Kind.TEXT, "What the group studies", rest=True, max_length=TOPIC_MAX),
            Option(
                "capacity",
                Kind.INTEGER,
                "Most members allowed (2-500)",
                min_value=2,
                max_value=500,
                placeholder="N",
            ),
            Option("private", Kind.FLAG, "Hide the group from /group list; join by exact name"),
        ),
        example='/group create "Linear Algebra" eigenvalues and proofs --capacity 6',
    ),
    Command(
        ("group", "list"),
        "List the open study groups",
        (
            Option(
                "page",
                Kind.INTEGER,
                "Which page of 20 (default 1)",
                min_value=1,
                max_value=1000,
                placeholder="N",
            ),
        ),
        read_only=True,
    ),
    Command(("group", "join"), "Join a study group", (GROUP_NAME,)),
    Command(("group", "leave"), "Leave a study group", (GROUP_NAME,)),
    Command(
        ("group", "info"), "Show a group's topic, members and roles", (GROUP_NAME,), read_only=True
    ),
    Command(
        ("group", "archive"), "Archive a group you created (organisers: any group)", (GROUP_NAME,)
    ),
    Command(
        ("group", "role"),
        "Give a member a role in a group you facilitate",
        (
            GROUP_NAME_WORD,
            _pos("member", Kind.MEMBER, "Who gets the role", required=True),
            _pos("role", Kind.TEXT, "The role", required=True, choices=ROLES),
        ),
        example='/group role "Linear Algebra" ana facilitator',
    ),
    Command(
        ("group", "meet"),
        "Set a group's weekly meeting; members get a reminder before it",
        (
            GROUP_NAME_WORD,
            _pos(
                "weekday",
                Kind.TEXT,
                "Day of the meeting, or off to cancel it",
                required=True,
                max_length=12,
                placeholder="weekday|off",
            ),
            _pos("at", Kind.TEXT, LOCAL_TIME, max_length=5, placeholder="HH:MM"),
            ZONE,
            Option(
                "remind",
                Kind.INTEGER,
                "Minutes before to remind members (0-1440, default 30)",
                min_value=0,
                max_value=1440,
                placeholder="minutes",
            ),
        ),
        example='/group meet "Linear Algebra" monday 18:00 --tz Europe/Berlin',
    ),
    # -- check-ins --------------------------------------------------------------------
    Command(
        ("checkin",),
        "Check in: how you feel, what moved, what blocks you",
        (
            Option(
                "mood",
                Kind.INTEGER,
                "1 (rough) to 5 (great)",
                min_value=1,
                max_value=5,
                placeholder="1-5",
            ),
            Option(
                "progress",
                Kind.TEXT,
                "What you got done",
                max_length=SHORT_TEXT_MAX,
                placeholder="text",
            ),
            Option(
                "blockers",
                Kind.TEXT,
                "What is in your way; tutors of that topic are suggested",
                max_length=SHORT_TEXT_MAX,
                placeholder="text",
            ),
            Option(
                "group",
                Kind.TEXT,
                "Check in for one of your groups",
                max_length=NAME_MAX,
                autocomplete="group",
                placeholder="name",
            ),
        ),
        example='/checkin --mood 4 --progress "finished chapter 3" --blockers recursion',
    ),
    # -- peer tutoring ------------------------------------------------------------------
    Command(
        ("tutor", "offer"),
        "Offer to help with topics (comma-separated)",
        (
            _pos(
                "topics",
                Kind.TEXT,
                "Topics, e.g. recursion, sql joins",
                required=True,
                rest=True,
                min_length=1,
                max_length=SHORT_TEXT_MAX,
                autocomplete="topic",
            ),
        ),
    ),
    Command(
        ("tutor", "stop"),
        "Stop offering help with a topic",
        (
            _pos(
                "topic",
                Kind.TEXT,
                "The topic",
                required=True,
                rest=True,
                min_length=1,
                max_length=TOPIC_MAX,
                autocomplete="topic",
            ),
        ),
    ),
    Command(
        ("tutor", "request"),
        "Ask for help; tutors who offer the topic are told",
        (
            _pos(
                "topic",
                Kind.TEXT,
                "The topic, e.g. recursion",
                required=True,
                min_length=1,
                max_length=TOPIC_MAX,
                autocomplete="topic",
            ),
            _pos(
                "details",
                Kind.TEXT,
                "What you are stuck on",
                required=True,
                rest=True,
                min_length=1,
                max_length=LONG_TEXT_MAX,
            ),
        ),
        example='/tutor request recursion "my base case never triggers"',
    ),
    Command(
        ("tutor", "queue"),
        "Open help requests, oldest first",
        (
            _pos(
                "topic",
                Kind.TEXT,
                "Only this topic",
                rest=True,
                max_length=TOPIC_MAX,
                autocomplete="topic",
            ),
        ),
        read_only=True,
    ),
    Command(("tutor", "claim"), "Take a help request from the queue", (REQUEST_ID,)),
    Command(
        ("tutor", "done"),
        "Mark a request you claimed (or asked) as resolved",
        (
            REQUEST_ID,
            _pos("notes", Kind.TEXT, "What helped", rest=True, max_length=SHORT_TEXT_MAX),
        ),
    ),
    Command(("tutor", "cancel"), "Withdraw a help request you asked", (REQUEST_ID,)),
    Command(
        ("tutor", "thank"),
        "Thank the person who helped you",
        (
            REQUEST_ID,
            _pos("message", Kind.TEXT, "A note for them", rest=True, max_length=SHORT_TEXT_MAX),
        ),
    ),
    # -- reflections --------------------------------------------------------------------
    Command(
        ("reflect",),
        "Answer the latest prompt in this channel, or reflect freely",
        (
            _pos(
                "text",
                Kind.TEXT,
                "Your reflection",
                required=True,
                rest=True,
                min_length=1,
                max_length=LONG_TEXT_MAX,
            ),
            Option("private", Kind.FLAG, "Only you can see it"),
            Option("anonymous", Kind.FLAG, "Shared without your name"),
        ),
        example="/reflect pairing on the proof made it click --anonymous",
    ),
    Command(("reflect", "list"), "Your own reflections, newest first", read_only=True),
    # -- prompt packs -------------------------------------------------------------------
    Command(("prompts", "packs"), "The prompt packs to schedule from", read_only=True),
    Command(
        ("prompts", "add"),
        "Add a prompt of your own to a pack of this community",
        (
            _pos(
                "text",
                Kind.TEXT,
                "The prompt",
                required=True,
                rest=True,
                min_length=5,
                max_length=SHORT_TEXT_MAX,
            ),
            Option(
                "pack",
                Kind.TEXT,
                "Pack name (default: custom)",
                min_length=1,
                max_length=40,
                placeholder="name",
            ),
        ),
        organiser_only=True,
    ),
    Command(
        ("prompts", "schedule"),
        "Post a pack's prompts to a channel every week or day",
        (
            _pos(
                "channel",
                Kind.CHANNEL,
                "Where to post, e.g. #general (or here)",
                required=True,
                max_length=100,
                placeholder="channel",
            ),
            _pos(
                "when",
                Kind.TEXT,
                "A weekday, or daily",
                required=True,
                max_length=12,
                placeholder="weekday|daily",
            ),
            _pos("at", Kind.TEXT, LOCAL_TIME, required=True, max_length=5, placeholder="HH:MM"),
            ZONE,
            Option(
                "pack",
                Kind.TEXT,
                "Prompt pack (default: weekly-reflection)",
                min_length=1,
                max_length=40,
                autocomplete="pack",
                placeholder="name",
            ),
            Option(
                "every",
                Kind.INTEGER,
                "Every N weeks (days, when daily), 1-12",
                min_value=1,
                max_value=12,
                placeholder="N",
            ),
        ),
        organiser_only=True,
        example="/prompts schedule #general monday 09:00 --tz Europe/Berlin",
    ),
    Command(
        ("prompts", "list"),
        "Scheduled prompts, meetings and reminders, and when each is next",
        organiser_only=True,
        read_only=True,
    ),
    Command(
        ("prompts", "pause"),
        "Stop a schedule posting until resumed",
        (SCHEDULE_ID,),
        organiser_only=True,
    ),
    Command(
        ("prompts", "resume"),
        "Start a paused schedule again, from now on",
        (SCHEDULE_ID,),
        organiser_only=True,
    ),
    Command(("prompts", "remove"), "Delete a schedule", (SCHEDULE_ID,), organiser_only=True),
    Command(
        ("prompts", "post-now"),
        "Post a schedule's next prompt right away",
        (SCHEDULE_ID,),
        organiser_only=True,
    ),
    Command(
        ("prompts", "skip"),
        "A holiday: no prompts or reminders that day",
        (
            _pos(
                "day",
                Kind.TEXT,
                "The date, YYYY-MM-DD",
                required=True,
                max_length=10,
                placeholder="YYYY-MM-DD",
            ),
            Option("undo", Kind.FLAG, "Post and remind on that day after all"),
        ),
        organiser_only=True,
        example="/prompts skip 2026-12-24",
    ),
    # -- me -------------------------------------------------------------------------------
    Command(("me",), "Your groups, streak, open requests and reflections", read_only=True),
    Command(
        ("me", "timezone"),
        "Set your time zone for check-ins and reminders",
        (
            _pos(
                "zone",
                Kind.TEXT,
                "An IANA zone, e.g. Europe/Berlin",
                required=True,
                max_length=64,
                autocomplete="timezone",
                placeholder="Area/City",
            ),
        ),
    ),
    Command(
        ("me", "away"),
        "Go away: no reminders, streak frozen",
        (
            _pos(
                "start",
                Kind.TEXT,
                "A length like 5d, or a first day YYYY-MM-DD",
                required=True,
                max_length=10,
                placeholder="Nd|YYYY-MM-DD",
            ),
            _pos(
                "end",
                Kind.TEXT,
                "Last day away, YYYY-MM-DD",
                max_length=10,
                placeholder="YYYY-MM-DD",
            ),
        ),
    ),
    Command(
        ("me", "back"),
        "End your away period today",
        (Option("upcoming", Kind.FLAG, "Also cancel away time planned for later"),),
    ),
    Command(("me", "export"), "All your data in this community, as JSON", read_only=True),
    Command(
        ("me", "forget"),
        "Delete your data in this community",
        (Option("confirm", Kind.FLAG, "Yes, delete it"),),
    ),
    # -- community ------------------------------------------------------------------------
    Command(
        ("cohort", "setup"),
        "Show or change this community's settings",
        (
            Option(
                "timezone",
                Kind.TEXT,
                "The community's time zone",
                max_length=64,
                autocomplete="timezone",
                placeholder="Area/City",
            ),
            Option("organiser", Kind.MEMBER, "Make a member an organiser", placeholder="member"),
            Option(
                "remove-organiser",
                Kind.MEMBER,
                "Remove a member named as organiser",
                placeholder="member",
            ),
            Option(
                "reflections",
                Kind.TEXT,
                "Default visibility of reflections",
                choices=("private", "shared"),
            ),
            Option(
                "checkin-reminder",
                Kind.TEXT,
                "Daily check-in reminder at this local time, or off",
                max_length=5,
                placeholder="HH:MM|off",
            ),
        ),
        organiser_only=True,
    ),
    Command(
        ("cohort", "stats"),
        "Activity over the last days, for organisers",
        (
            Option(
                "days",
                Kind.INTEGER,
                "How many days back (1-365)",
                min_value=1,
                max_value=365,
                placeholder="N",
            ),
        ),
        organiser_only=True,
        read_only=True,
    ),
    Command(
        ("cohort", "help"),
        "What Cohort can do, or how to use one command",
        (_pos("command", Kind.TEXT, "A command, e.g. tutor request", rest=True, max_length=40),),
        read_only=True,
    ),
)

# What each top-level name is for, where a platform shows it above its subcommands
# (Discord's command picker, the Slack manifest).
SECTIONS: dict[str, str] = {
    "group": "Study groups: create, join, meet",
    "checkin": "Check in: how you feel, what moved, what blocks you",
    "tutor": "Peer tutoring: ask for help, offer it, thank your helper",
    "reflect": "Reflections: answer prompts, see your own",
    "prompts": "Scheduled reflection prompts and prompt packs",
    "me": "Your groups, streak, time zone, away time and data",
    "cohort": "This community's settings, stats and help",
}

BY_PATH: dict[tuple[str, ...], Command] = {c.path: c for c in COMMANDS}
TOP_LEVEL: tuple[str, ...] = tuple(dict.fromkeys(c.path[0] for c in COMMANDS))


def subcommands(top: str) -> dict[str, Command]:
    """The commands under one top-level name, keyed by subcommand ('' for the bare form)."""
    return {(c.path[1] if len(c.path) > 1 else ""): c for c in COMMANDS if c.path[0] == top}


def find(path: tuple[str, ...]) -> Command | None:
    """The command at ``path``, if the catalogue has one."""
    return BY_PATH.get(path)
