"""Render Replies and Posts for a terminal with rich. User text is never read as markup."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from bot.types import Outcome, Post, Reply, Visibility


def render_reply(console: Console, reply: Reply) -> None:
    colour = "red" if reply.is_error else "cyan"
    who = "only you see this" if reply.visibility is Visibility.PRIVATE else "posted in channel"
    if reply.title:
        console.print(f"[bold {colour}]{escape(reply.title)}[/]  [dim]({who})[/]")
    elif not reply.is_error:
        console.print(f"[dim]({who})[/]")
    console.print(escape(reply.text), style="red" if reply.is_error else None)
    if reply.fields:
        table = Table(show_header=False, box=None, padding=(0, 2))
        for name, value in reply.fields:
            table.add_row(f"[bold]{escape(name)}[/]", escape(value))
        console.print(table)
    for item in reply.items:
        console.print(f"  • {escape(item)}")
    _buttons(console, reply.buttons)
    if reply.attachment:
        filename, content = reply.attachment
        console.print(f"[bold]Attachment {escape(filename)}:[/]")
        console.print(escape(content))


def _buttons(console: Console, buttons: tuple) -> None:
    for button in buttons:
        label, command = escape(button.label), escape(button.command)
        console.print(f"  [reverse] {label} [/] [dim]types {command}[/]")


def render_post(console: Console, post: Post) -> None:
    where = "DM to " + ", ".join(post.to_members) if post.to_members else f"#{post.channel}"
    console.print(f"[magenta]── {post.kind} → {escape(where)} ──[/]")
    if post.title:
        console.print(f"[bold]{escape(post.title)}[/]")
    console.print(escape(post.text))
    for item in post.items:
        console.print(f"  • {escape(item)}")
    if post.mentions:
        console.print(f"[dim]notifies {escape(', '.join(post.mentions))}[/]")
    _buttons(console, post.buttons)


def render(console: Console, outcome: Outcome) -> None:
    render_reply(console, outcome.reply)
    for post in outcome.posts:
        render_post(console, post)
