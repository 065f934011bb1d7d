"""The Slack manifest renders the catalogue: every command reachable, Slack's names respected."""

from __future__ import annotations

from adapters.slack import manifest as sm
from bot import catalogue


def registered(prefix: str = "", **kw: object) -> dict[str, dict]:
    made = sm.manifest(prefix=prefix, **kw)  # type: ignore[arg-type]
    return {c["command"]: c for c in made["features"]["slash_commands"]}


def test_every_free_top_level_name_and_cohort_are_registered() -> None:
    commands = registered()
    free = {f"/{t}" for t in catalogue.TOP_LEVEL if t not in sm.RESERVED}
    assert set(commands) == free | {"/cohort"}
    assert "/me" not in commands  # Slack's own; reached as /cohort me
    for slash, spec in commands.items():
        top = slash.lstrip("/")
        if top != "cohort":
            assert spec["description"] == catalogue.SECTIONS[top]
        assert 1 <= len(spec["description"]) <= 100 and 1 <= len(spec["usage_hint"]) <= 100
        assert spec["should_escape"] is True


def test_every_catalogue_command_is_named_in_its_commands_hint() -> None:
    hints = {slash.lstrip("/"): spec["usage_hint"] for slash, spec in registered().items()}
    for command in catalogue.COMMANDS:
        top = command.path[0]
        if top in sm.RESERVED or top == "cohort":
            continue  # reached as /cohort <command>, which the grammar routes
        assert sm.command_names()[f"/{top}"] == top
        if len(command.path) > 1:
            assert command.path[1] in hints[top].split(" | "), command.name


def test_a_prefix_renames_the_top_level_commands_but_not_cohort() -> None:
    commands = registered("cohort-")
    assert "/cohort-group" in commands and "/group" not in commands
    assert "/cohort" in commands and "/cohort-cohort" not in commands
    assert sm.command_names("cohort-")["/cohort-group"] == "group"
    assert "/cohort-me" in commands  # free once prefixed


def test_socket_mode_by_default_and_urls_in_http_mode() -> None:
    made = sm.manifest()
    assert made["settings"]["socket_mode_enabled"] is True
    assert made["settings"]["event_subscriptions"]["bot_events"] == ["app_home_opened"]
    assert made["features"]["app_home"]["home_tab_enabled"] is True
    url = "https://cohort.example/slack/events"
    http = sm.manifest(request_url=url)
    assert http["settings"]["socket_mode_enabled"] is False
    assert http["settings"]["interactivity"]["request_url"] == url
    assert all(c["url"] == url for c in http["features"]["slash_commands"])
    scopes = set(made["oauth_config"]["scopes"]["bot"])
    assert {"commands", "chat:write", "users:read", "im:write", "channels:history"} <= scopes
