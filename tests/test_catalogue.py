"""The catalogue is the single declaration: every command has a handler and vice versa,
every handler accepts exactly its options, and help renders every command."""

from __future__ import annotations

import inspect
import re

import pytest

from bot import catalogue
from bot.core import HANDLERS

COMMANDS = catalogue.COMMANDS


def test_every_command_has_exactly_one_handler() -> None:
    assert set(HANDLERS) == {c.path for c in COMMANDS}
    assert len({c.path for c in COMMANDS}) == len(COMMANDS)


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c.name)
def test_handler_takes_the_declared_options(command: catalogue.Command) -> None:
    params = inspect.signature(HANDLERS[command.path]).parameters
    keyword_only = {n for n, p in params.items() if p.kind is p.KEYWORD_ONLY}
    assert keyword_only == {o.key for o in command.options}


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c.name)
def test_spec_fits_every_platform(command: catalogue.Command) -> None:
    # Discord: names 1-32 lowercase, descriptions 1-100; Slack block text limits are wider.
    assert 1 <= len(command.description) <= 100
    for word in command.path:
        assert re.fullmatch(r"[a-z][a-z0-9-]{0,31}", word)
    positionals = command.positionals
    assert all(not o.rest for o in positionals[:-1]), "only the last positional takes the rest"
    required_seen_optional = False
    for option in positionals:
        if not option.required:
            required_seen_optional = True
        assert not (option.required and required_seen_optional), "required after optional"
    for option in command.options:
        assert re.fullmatch(r"[a-z][a-z0-9-]{0,31}", option.name)
        assert 1 <= len(option.description) <= 100
        assert option.kind is not catalogue.Kind.FLAG or not option.positional


def test_help_lists_every_command(harness) -> None:
    reply = harness.ok("/cohort help").reply
    for command in COMMANDS:
        assert any(item.startswith(command.usage()) for item in reply.items), command.name


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c.name)
def test_help_for_each_command_shows_usage(harness, command: catalogue.Command) -> None:
    reply = harness.ok(f"/cohort help {command.name}").reply
    assert ("Usage", command.usage()) in reply.fields or any(
        item.startswith(command.usage()) for item in reply.items
    )


def test_cohort_prefix_reaches_every_top_level_command(harness) -> None:
    direct = harness.ok("/me").reply
    prefixed = harness.ok("/cohort me").reply
    assert direct.title == prefixed.title == "You"
