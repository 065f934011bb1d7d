"""The neutral types every adapter translates to and from."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any


class Visibility(Enum):
    """Who sees a reply: only the person who ran the command, or the channel."""

    PRIVATE = "private"
    CHANNEL = "channel"


@dataclass(frozen=True)
class Actor:
    """The person running a command, as the platform describes them."""

    id: str
    name: str
    is_admin: bool = False


@dataclass(frozen=True)
class MemberRef:
    """A member named in an argument: a platform id when the platform resolved one.

    ``verified``: the platform itself picked the member (Discord's user option), so the id is
    a real member of the community even if they never used Cohort; a typed mention is not.
    """

    id: str | None
    name: str
    verified: bool = False


@dataclass(frozen=True)
class Invocation:
    """One command, already parsed into a catalogue path and raw arguments.

    Args:
        community: platform-qualified community key, e.g. ``discord:81384788765712384``.
        channel: channel id the command was run in.
        actor: who ran it.
        path: catalogue path, e.g. ``("group", "join")``.
        args: option name to value; values may be strings (text adapters) or already typed
            (Discord); the catalogue validates either.
        id: an id for de-duplicating platform retries.
        community_name: the human name of the server or workspace, when known.
    """

    community: str
    channel: str
    actor: Actor
    path: tuple[str, ...]
    args: dict[str, Any] = field(default_factory=dict)
    id: str | None = None
    community_name: str | None = None


@dataclass(frozen=True)
class Button:
    """A button the person can click; ``command`` is the text command it runs."""

    label: str
    action_id: str
    command: str
    style: str = "secondary"  # primary | secondary | danger


@dataclass(frozen=True)
class Reply:
    """What the core says back to the person who ran the command."""

    text: str
    title: str | None = None
    fields: tuple[tuple[str, str], ...] = ()
    items: tuple[str, ...] = ()
    buttons: tuple[Button, ...] = ()
    visibility: Visibility = Visibility.PRIVATE
    is_error: bool = False
    attachment: tuple[str, str] | None = None  # (filename, content), e.g. an export


@dataclass(frozen=True)
class Post:
    """A message the core wants sent somewhere other than the reply.

    ``channel`` is a channel id; ``to_members`` lists platform user ids to notify directly
    (a tutor alert is sent to each tutor); ``mentions`` are the only ids the adapter may ping.
    """

    community: str
    text: str
    channel: str | None = None
    to_members: tuple[str, ...] = ()
    title: str | None = None
    items: tuple[str, ...] = ()
    buttons: tuple[Button, ...] = ()
    mentions: tuple[str, ...] = ()
    kind: str = "notice"  # notice | tutor_alert | prompt | reminder
    nonce: str | None = None  # a scheduled post's delivery id: a retried send is not repeated
    # An earlier try of this delivery may have reached the platform (it failed unclearly, or
    # its sender died): a platform without nonces must look before it posts again.
    resend: bool = False


@dataclass(frozen=True)
class Outcome:
    """Everything one command produced: a reply and zero or more posts."""

    reply: Reply
    posts: tuple[Post, ...] = ()
