"""The console adapter: the whole bot in a terminal, no tokens needed.

Lines starting with ``/`` (or any word) are commands in the shared grammar; lines starting
with ``:`` drive the console itself (who you are, which channel, what time it is).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TextIO

from rich.console import Console
from rich.markup import escape

from adapters.console.render import render, render_post
from bot import zones
from bot.clock import OffsetClock
from bot.core import Core, refused
from bot.errors import UserError
from bot.scheduler import Scheduler
from bot.types import Actor, Outcome, Post

DURATION = re.compile(r"^(\d+)([dhmw])$")
UNITS = {"w": "weeks", "d": "days", "h": "hours", "m": "minutes"}
CONSOLE_HELP = """Console commands:
  :as <user>          act as another member
  :admin on|off       whether the current member is a platform admin (organiser)
  :channel <name>     the channel commands run in
  :time <ISO time>    set the clock, e.g. :time 2026-12-07T09:00+01:00
  :advance <N>d|h|m|w move the clock forward
  :whoami             who, where and when you are
  :quit               leave (Ctrl-D works too)
Everything else is a command, e.g. /cohort help"""


USER = re.compile(r"[\w.\-]{1,40}")


def check_user(name: str) -> None:
    """Console members are single words (and so never look like a forgotten tombstone)."""
    if not USER.fullmatch(name):
        raise UserError("Use a single word for a member, like ana or sam.lee.")


@dataclass
class Outbox:
    """The console's messenger: scheduled posts land here, stamped with the clock."""

    clock: OffsetClock
    sent: list[tuple[datetime, Post]] = field(default_factory=list)

    async def send(self, post: Post) -> str:
        self.sent.append((self.clock.now(), post))
        return f"console-{len(self.sent)}"

    def take(self) -> list[tuple[datetime, Post]]:
        taken, self.sent = self.sent, []
        return taken


@dataclass
class Session:
    """The console's state: the acting member, the channel and the clock."""

    core: Core
    clock: OffsetClock
    community: str
    user: str
    channel: str = "general"
    admins: set[str] = field(default_factory=set)
    scheduler: Scheduler | None = None
    outbox: Outbox | None = None

    def __post_init__(self) -> None:
        if self.outbox is None:
            self.outbox = Outbox(self.clock)

    def pump(self, until: datetime | None = None) -> None:
        """Fire everything due up to ``until`` in order, stepping the clock through each
        due time, so ``:advance 1w`` shows a week of posts each at its own time."""
        if self.scheduler is None:
            return
        assert self.outbox is not None
        self.scheduler.step_through(until or self.clock.now(), self.outbox, self.clock.set)

    def move_clock(self, target: datetime) -> None:
        """``:time`` and ``:advance``: forward fires what falls due on the way."""
        if target <= self.clock.now():
            self.clock.set(target)
            self.pump()
        else:
            self.pump(target)

    @property
    def community_key(self) -> str:
        return f"console:{self.community}"

    def command(self, line: str) -> Outcome:
        """Parse and run one command line; a parse error raises UserError."""
        actor = Actor(id=self.user, name=self.user, is_admin=self.user in self.admins)
        invocation = self.core.parse(
            line,
            community=self.community_key,
            channel=self.channel,
            actor=actor,
            community_name=self.community,
        )
        return self.core.handle(invocation)

    def meta(self, line: str) -> str:
        """Run a ``:`` line; returns what to print. Raises UserError on a bad one."""
        word, _, arg = line[1:].strip().partition(" ")
        arg = arg.strip()
        handler = getattr(self, f"_meta_{word.lower()}", None)
        if handler is None:
            raise UserError(f"Unknown console command :{word}. Type :help.")
        return handler(arg)

    def _meta_help(self, _arg: str) -> str:
        return CONSOLE_HELP

    def _meta_as(self, arg: str) -> str:
        check_user(arg)
        self.user = arg
        return f"You are now {arg}{' (admin)' if arg in self.admins else ''}."

    def _meta_admin(self, arg: str) -> str:
        if arg not in ("on", "off"):
            raise UserError("Use :admin on or :admin off.")
        (self.admins.add if arg == "on" else self.admins.discard)(self.user)
        return f"{self.user} is {'now' if arg == 'on' else 'no longer'} a platform admin."

    def _meta_channel(self, arg: str) -> str:
        name = arg.lstrip("#")
        if not re.fullmatch(r"[\w\-]{1,40}", name):
            raise UserError("Use :channel <name>, e.g. :channel study-hall.")
        self.channel = name
        return f"Commands now run in #{name}."

    def _meta_time(self, arg: str) -> str:
        try:
            instant = datetime.fromisoformat(arg)
        except ValueError:
            raise UserError(
                "Use :time with an ISO time, e.g. :time 2026-12-07T09:00+01:00"
            ) from None
        try:
            target = instant if instant.tzinfo else instant.replace(tzinfo=UTC)
            self.clock.now() - target.astimezone(UTC)  # out of range raises here
        except OverflowError:
            raise UserError("That time is out of range; pick one before the year 9999.") from None
        self.move_clock(target)
        return f"The clock now reads {self.clock.now():%Y-%m-%d %H:%M} UTC."

    def _meta_advance(self, arg: str) -> str:
        match = DURATION.match(arg.lower())
        if not match:
            raise UserError("Use :advance with a length, e.g. :advance 1d, 2h, 30m or 1w.")
        try:
            target = self.clock.now() + timedelta(**{UNITS[match.group(2)]: int(match.group(1))})
        except OverflowError:
            raise UserError("That moves the clock out of range; advance by less.") from None
        self.move_clock(target)
        return f"The clock now reads {self.clock.now():%Y-%m-%d %H:%M} UTC."

    def _meta_whoami(self, _arg: str) -> str:
        admin = " (admin)" if self.user in self.admins else ""
        return (
            f"{self.user}{admin} in community {self.community}, #{self.channel}, "
            f"{self.clock.now():%Y-%m-%d %H:%M} UTC."
        )

    def _meta_quit(self, _arg: str) -> str:
        raise EOFError


def run_lines(session: Session, lines: Iterable[str], console: Console, *, echo: bool) -> int:
    """Run lines in order; the exit status is 1 if any line could not be understood."""
    failed = 0
    for raw in lines:
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if echo:
            console.print(f"[bold green]{escape(session.user)}>[/] {escape(line)}")
        try:
            ok = step(session, line, console)
        except EOFError:
            break
        failed += 0 if ok else 1
    return 1 if failed else 0


def step(session: Session, line: str, console: Console) -> bool:
    """One line; False when it was not understood (unknown command, bad syntax)."""
    if line.startswith(":"):
        try:
            said = session.meta(line)
        except UserError as error:
            console.print(escape(error.message), style="red")
            return False
        show_posts(session, console)
        console.print(escape(said), style="dim")
        return True
    try:
        outcome = session.command(line)
    except UserError as error:
        render(console, refused(error))
        return False
    render(console, outcome)
    session.pump()
    show_posts(session, console)
    return True


def show_posts(session: Session, console: Console) -> None:
    """Scheduled posts that went out, each under the time it was posted."""
    assert session.outbox is not None
    for when, post in session.outbox.take():
        console.print(f"[dim]{escape(zones.show_time(when, 'UTC'))} UTC[/]")
        render_post(console, post)


def interactive(session: Session, console: Console, stdin: TextIO = sys.stdin) -> int:
    console.print(
        "[bold]Cohort console[/]. Type /cohort help for commands, :help for the "
        "console, Ctrl-D to leave."
    )
    while True:
        try:
            line = console.input(f"[bold green]{escape(session.user)}[/]@#{session.channel}> ")
        except (EOFError, KeyboardInterrupt):
            console.print()
            return 0
        try:
            if line.strip():
                step(session, line.strip(), console)
        except EOFError:
            return 0
