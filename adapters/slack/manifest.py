"""The Slack app manifest, generated from the catalogue: ``cohort slack manifest``.

Slack reserves some command names for itself (``/me``, ``/remind``, ``/leave``, ...), and a
workspace may already run another app's ``/group``. So every command is reachable as
``/cohort <command> ...``, and the top-level names that are free are registered too, with
an optional prefix (``[slack] command_prefix``, e.g. ``cohort-`` gives ``/cohort-group``).
"""

from __future__ import annotations

from typing import Any

from bot import catalogue

# Slack's built-in commands (slack.com/help/articles/201259356): an app cannot register them.
RESERVED = frozenset(
    {
        "me", "remind", "status", "invite", "topic", "msg", "dm", "who", "leave", "away",
        "active", "apps", "archive", "call", "collapse", "expand", "feed", "join", "kick",
        "mute", "open", "part", "remove", "rename", "search", "shortcuts", "shrug", "star",
        "dnd", "feedback", "help", "prefs", "settings",
    }
)  # fmt: skip
BOT_SCOPES = (
    "commands",  # slash commands
    "chat:write",  # replies, prompts, reminders
    "chat:write.public",  # post prompts to public channels the bot was not invited to
    "im:write",  # open direct messages (tutor alerts, check-in reminders)
    "im:history",  # reconcile a direct message whose send failed unclearly
    "channels:history",  # reconcile a channel post whose send failed unclearly
    "groups:history",  # ... in private channels the bot is in
    "mpim:history",  # ... in group direct messages
    "channels:join",  # join a public channel it posts in, to read that history
    "users:read",  # organisers: workspace admins and owners (users.info)
    "files:write",  # /me export as a file
)
HINT_MAX = 100


def command_names(prefix: str = "") -> dict[str, str]:
    """Slash command (with its slash) -> catalogue top-level name ("" for /cohort's all)."""
    free = [t for t in catalogue.TOP_LEVEL if (prefix or t not in RESERVED) and t != "cohort"]
    names = {f"/{prefix}{top}": top for top in free}
    return {**names, "/cohort": "cohort"}


def _hint(top: str) -> str:
    """What Slack shows while typing: the bare form's arguments, then the subcommands."""
    if top == "cohort":
        return 'me export | group join "Linear Algebra" | help'
    subs = catalogue.subcommands(top)
    bare = subs[""].usage().removeprefix(f"/{top}").strip() if "" in subs else ""
    return " | ".join(p for p in [bare, *(s for s in subs if s)] if p)[:HINT_MAX]


NAME_MAX = 35  # Slack's limit for an app's name


def manifest(
    *, name: str = "Cohort", prefix: str = "", request_url: str | None = None
) -> dict[str, Any]:
    """Socket Mode unless ``request_url`` (HTTP mode: every request goes to that URL).

    Raises:
        ValueError: a name Slack would refuse.
    """
    if not 1 <= len(name.strip()) <= NAME_MAX:
        raise ValueError(f"an app name has 1 to {NAME_MAX} characters")
    commands = []
    for slash, top in command_names(prefix).items():
        description = (
            "Every Cohort command: /cohort help lists them" if slash == "/cohort" else None
        ) or catalogue.SECTIONS[top]
        command: dict[str, Any] = {
            "command": slash,
            "description": description,
            "usage_hint": _hint(top),
            "should_escape": True,  # mentions arrive as <@U123|name>, channels as <#C1|x>
        }
        if request_url:
            command["url"] = request_url
        commands.append(command)
    settings: dict[str, Any] = {
        "interactivity": {"is_enabled": True},
        "event_subscriptions": {"bot_events": ["app_home_opened"]},
        "org_deploy_enabled": False,
        "socket_mode_enabled": request_url is None,
        "token_rotation_enabled": False,
    }
    if request_url:
        settings["interactivity"]["request_url"] = request_url
        settings["event_subscriptions"]["request_url"] = request_url
    return {
        "display_information": {
            "name": name,
            "description": "Study groups, check-ins, peer tutoring and reflection prompts",
        },
        "features": {
            "app_home": {
                "home_tab_enabled": True,
                "messages_tab_enabled": True,
                "messages_tab_read_only_enabled": True,
            },
            "bot_user": {"display_name": name, "always_online": True},
            "slash_commands": commands,
        },
        "oauth_config": {"scopes": {"bot": list(BOT_SCOPES)}},
        "settings": settings,
    }
