"""Discord translation without a network: option data in, embeds, buttons and forms out."""

from __future__ import annotations

from types import SimpleNamespace

import discord
import pytest

from adapters.discord import interactions as inbound
from adapters.discord import render
from adapters.discord.client import failure, nonce_for
from bot import catalogue
from bot.catalogue import Kind
from bot.types import Button, MemberRef, Post, Reply, Visibility
from tests import discord_standin as ds

GUILD = "290926798626357999"


def test_subcommand_data_gives_the_catalogue_path_and_leaf_options() -> None:
    data = {
        "name": "group",
        "options": [
            {"type": 1, "name": "create", "options": [{"type": 3, "name": "name", "value": "LA"}]}
        ],
    }
    assert inbound.command_path(data) == (("group", "create"), [data["options"][0]["options"][0]])
    assert inbound.command_path({"name": "me", "options": [{"type": 1, "name": "show"}]}) == (
        ("me",),
        [],
    )
    bare = {"name": "checkin", "options": [{"type": 4, "name": "mood", "value": 4}]}
    assert inbound.command_path(bare) == (("checkin",), bare["options"])


def test_member_options_are_named_as_the_server_shows_them() -> None:
    resolved = {
        "users": {"7": {"id": "7", "username": "ana_b", "global_name": "Ana B"}},
        "members": {"7": {"nick": "Ana (TA)"}},
    }
    kinds = {"member": Kind.MEMBER, "role": Kind.TEXT}
    options = [
        {"name": "member", "type": 6, "value": "7"},
        {"name": "role", "type": 3, "value": "facilitator"},
    ]
    args = inbound.arguments(options, resolved, kinds)
    assert args == {"member": MemberRef("7", "Ana (TA)", verified=True), "role": "facilitator"}
    assert inbound.member_ref("8", {}) == MemberRef("8", "8", verified=False)
    assert inbound.member_ref("8", {}).name == "8"
    assert inbound.arguments([{"name": "checkin-reminder", "value": "off"}], {}, {}) == {
        "checkin_reminder": "off"
    }


def test_custom_ids_round_trip_and_refuse_what_is_not_ours() -> None:
    made = inbound.custom_id(GUILD, "/tutor claim 3")
    assert inbound.parse_custom_id(made) == inbound.Target(False, GUILD, "/tutor claim 3")
    form = inbound.custom_id(GUILD, "/reflect --private", form=True)
    assert inbound.parse_custom_id(form) == inbound.Target(True, GUILD, "/reflect --private")
    for other in ("", "x:1:/a", "ck1:abc:/a", "ck1:1:no-slash", "ck1"):
        assert inbound.parse_custom_id(other) is None
    with pytest.raises(ValueError):
        inbound.custom_id(GUILD, "/group join " + "x" * 80)


def test_form_values_read_action_rows_and_labels() -> None:
    rows = [
        {"type": 1, "components": [{"type": 4, "custom_id": "text", "value": "it clicked"}]},
        {"type": 18, "component": {"type": 4, "custom_id": "mood", "value": "4"}},
    ]
    assert inbound.form_values(rows) == {"text": "it clicked", "mood": "4"}


def test_a_reply_becomes_an_embed_that_pings_nobody() -> None:
    reply = Reply(
        "Posting to #645027906669510667 @everyone",
        title="Prompts",
        fields=(("Next", "Monday"),),
        items=("one", "two"),
        buttons=(Button("Join LA", "group.join:1", '/group join "LA"', "primary"),),
        visibility=Visibility.CHANNEL,
    )
    message = render.reply_message(reply, GUILD)
    assert message.ephemeral is False
    assert message.embed.title == "Prompts"
    assert "<#645027906669510667>" in (message.embed.description or "")
    assert "• one\n• two" in (message.embed.description or "")
    assert message.embed.fields[0].name == "Next"
    assert message.mentions.to_dict() == {"parse": []}
    button = message.view.children[0] if message.view else None
    assert button is not None and button.custom_id == f'ck1:{GUILD}:/group join "LA"'


def test_errors_and_private_replies_are_ephemeral_and_exports_are_files() -> None:
    error = render.reply_message(Reply("no", is_error=True, visibility=Visibility.CHANNEL), GUILD)
    assert error.ephemeral is True and error.embed.colour == render.COLOURS["error"]
    export = render.reply_message(Reply("Here", attachment=("me.json", '{"a": 1}')), GUILD)
    sent = export.send_kwargs()
    assert sent["ephemeral"] is True and sent["file"].filename == "me.json"
    assert export.edit_kwargs()["attachments"][0].filename == "me.json"


def test_long_lists_stay_inside_discord_limits() -> None:
    items = tuple(f"item {i} " + "x" * 300 for i in range(100))
    message = render.reply_message(
        Reply("y" * 10_000, title="t" * 400, items=items, fields=(("f" * 300, "v" * 2000),) * 30),
        GUILD,
    )
    made = message.embed
    assert len(made.title or "") <= 256 and len(made.description or "") <= 4096
    assert len(made) <= 6000 and len(made.fields) <= 25
    listed = render.embed(text="short", title=None, colour="ok", items=items).description or ""
    assert len(listed) <= 4096 and listed.endswith("more")


def test_a_post_pings_only_the_members_it_names() -> None:
    post = Post(
        community=f"discord:{GUILD}",
        text="LA meets in 30 minutes",
        channel="1",
        mentions=("11", "12"),
        kind="reminder",
    )
    (message,) = render.post_messages(post, GUILD)
    assert message.content == "<@11> <@12>"
    assert message.mentions.to_dict() == {"parse": [], "users": [11, 12]}
    (quiet,) = render.post_messages(Post(community="discord:1", text="x", channel="1"), GUILD)
    assert quiet.content is None and quiet.mentions.to_dict() == {"parse": []}


def as_json(message: render.Message) -> dict:
    """What discord.py sends for a message, near enough for Discord's size limits."""
    sent = message.channel_kwargs()
    body = {"content": sent.get("content"), "allowed_mentions": sent["allowed_mentions"].to_dict()}
    return body | {"embeds": [sent["embed"].to_dict()] if "embed" in sent else []}


def test_a_big_groups_reminder_is_split_inside_discords_limits() -> None:
    members = tuple(str(10**17 + i) for i in range(500))  # a full group of 500
    post = Post(community="discord:1", text="LA meets soon", channel="1", mentions=members)
    parts = render.post_messages(post, GUILD)
    assert len(parts) > 1 and parts[0].embed is not None
    assert all(ds.too_big(as_json(p)) is None for p in parts)
    pinged = [
        u["id"] if isinstance(u, dict) else u
        for p in parts
        for u in as_json(p)["allowed_mentions"]["users"]
    ]
    assert sorted(map(str, pinged)) == sorted(members)
    assert " ".join(p.content or "" for p in parts).split() == [f"<@{m}>" for m in members]


def test_forms_ask_for_the_typed_options_and_prefill_what_was_given() -> None:
    checkin = catalogue.find(("checkin",))
    assert checkin is not None
    made = render.form(checkin, "ck1f:1:/checkin", {})
    inputs = [c.component for c in made.children]
    assert [c.custom_id for c in inputs] == ["mood", "progress", "blockers", "group"]
    assert all(not c.required for c in inputs)
    create = catalogue.find(("group", "create"))
    assert create is not None
    made = render.form(create, "ck1f:1:/group create --private", {"topic": "proofs"})
    fields = {c.component.custom_id: c.component for c in made.children}
    assert set(fields) == {"name", "topic", "capacity"}
    assert fields["name"].required and fields["name"].max_length == catalogue.NAME_MAX
    assert fields["topic"].default == "proofs"
    assert len(made.title) <= 45 and all(len(c.text) <= 45 for c in made.children)
    assert made.to_components()[0]["type"] == 18  # Discord's label component


def test_nonces_fit_discord_and_differ_per_direct_message() -> None:
    assert nonce_for("d42") == "d42"
    one, two = nonce_for("d42", "11"), nonce_for("d42", "12")
    assert one != two and len(one) <= 25 and len(two) <= 25
    assert nonce_for("d42", "11") == one  # a retry repeats the same nonce
    assert len(nonce_for("d" + "9" * 40)) <= 25


@pytest.mark.parametrize(
    ("status", "permanent"), [(400, True), (403, True), (404, True), (429, False), (503, False)]
)
def test_refusals_are_permanent_and_outages_are_retried(status: int, permanent: bool) -> None:
    response = SimpleNamespace(status=status, reason="x")
    error = discord.HTTPException(response, {"message": "m", "code": 0})  # type: ignore[arg-type]
    assert failure(error).permanent is permanent
