"""The Discord rendering of the catalogue: parity option for option, and Discord's own rules.

The limits are Discord's (application-commands docs): names of 1-32 lowercase word
characters or dashes, descriptions of 1-100 characters, at most 25 options, subcommands
and choices, required options first, no choices on an autocomplete option, and at most
4,000 characters of names, descriptions and choices per command.
"""

from __future__ import annotations

import re

import pytest

from adapters.discord import commands as dc
from bot import catalogue, forms
from bot.catalogue import Kind

NAME = re.compile(r"^[-_a-z0-9]{1,32}$")


def native(path: tuple[str, ...]) -> dict:
    """The Discord option list (or subcommand) that renders a catalogue path."""
    names = dc.native_path(path)
    top = next(c for c in dc.commands_json() if c["name"] == names[0])
    if len(names) == 1:
        return top
    return next(o for o in top["options"] if o["name"] == names[1])


@pytest.mark.parametrize("command", catalogue.COMMANDS, ids=lambda c: c.name)
def test_every_command_is_rendered_option_for_option(command: catalogue.Command) -> None:
    rendered = native(command.path)
    assert rendered["description"] == command.description
    by_name = {o["name"]: o for o in rendered["options"]}
    assert set(by_name) == {o.name for o in command.options}
    form = forms.has_form(command.path)
    for option in command.options:
        got = by_name[option.name]
        assert got["type"] == dc.OPTION_TYPES[option.kind]
        assert got["description"] == option.description
        assert got["required"] is (option.required and not form)
        assert [c["value"] for c in got.get("choices", [])] == list(option.choices)
        assert got.get("autocomplete", False) is (option.autocomplete is not None)
        assert got.get("min_value") == option.min_value
        assert got.get("max_value") == option.max_value
        assert got.get("min_length") == option.min_length
        if option.kind is Kind.CHANNEL:
            assert got["channel_types"] == [0, 5, 10, 11, 12]
            assert "max_length" not in got  # Discord refuses lengths on channel options
        else:
            assert got.get("max_length") == option.max_length


def test_nothing_is_rendered_that_the_catalogue_lacks() -> None:
    rendered = set()
    for top in dc.commands_json():
        subs = [o for o in top["options"] if o["type"] == dc.SUB_COMMAND]
        if not subs:
            rendered.add(dc.catalogue_path((top["name"],)))
        rendered |= {dc.catalogue_path((top["name"], s["name"])) for s in subs}
    assert rendered == {c.path for c in catalogue.COMMANDS}


def test_bare_commands_beside_subcommands_get_a_subcommand_name() -> None:
    assert dc.native_path(("me",)) == ("me", "show")
    assert dc.native_path(("reflect",)) == ("reflect", "write")
    assert dc.native_path(("checkin",)) == ("checkin",)  # no subcommands: stays bare
    assert dc.catalogue_path(("me", "show")) == ("me",)
    assert dc.catalogue_path(("me", "export")) == ("me", "export")


def _options_everywhere(command: dict) -> list[dict]:
    found = []
    for option in command.get("options", []):
        found.append(option)
        found += _options_everywhere(option) if option["type"] == dc.SUB_COMMAND else []
    return found


@pytest.mark.parametrize("command", dc.commands_json(), ids=lambda c: c["name"])
def test_discord_accepts_the_shape(command: dict) -> None:
    assert NAME.match(command["name"])
    assert command["contexts"] == [0] and command["integration_types"] == [0]
    assert len(command["options"]) <= 25
    size = len(command["name"]) + len(command["description"])
    for option in _options_everywhere(command):
        assert NAME.match(option["name"]), option["name"]
        assert 1 <= len(option["description"]) <= 100
        assert not (option.get("autocomplete") and option.get("choices"))
        assert len(option.get("choices", [])) <= 25
        size += len(option["name"]) + len(option["description"])
        size += sum(len(c["name"]) + len(c["value"]) for c in option.get("choices", []))
        for choice in option.get("choices", []):
            assert 1 <= len(choice["name"]) <= 100 and 1 <= len(choice["value"]) <= 100
    lists = [command["options"]] + [
        o.get("options", []) for o in command["options"] if o["type"] == dc.SUB_COMMAND
    ]
    for leaves in lists:
        plain = [o for o in leaves if o["type"] != dc.SUB_COMMAND]
        required = [o["required"] for o in plain]
        assert required == sorted(required, reverse=True), "required options come first"
        assert len(leaves) <= 25
    assert size <= 4000


def test_a_form_command_registers_its_text_as_optional() -> None:
    reflect = native(("reflect",))
    assert next(o for o in reflect["options"] if o["name"] == "text")["required"] is False
    create = native(("group", "create"))
    assert next(o for o in create["options"] if o["name"] == "name")["required"] is False
    request = native(("tutor", "request"))  # not a form: stays required
    assert all(o["required"] for o in request["options"])
