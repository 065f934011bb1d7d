"""Block Kit out, modal state in: Slack's escaping and limits, without a network."""

from __future__ import annotations

import json

from adapters.slack import render
from bot import catalogue
from bot.text import neutralise
from bot.types import Button, Post, Reply, Visibility


def texts(blocks: list[dict]) -> str:
    return json.dumps(blocks)


def test_user_text_is_escaped_and_never_mentions() -> None:
    reply = Reply(neutralise("<!channel> & <@U222> @here <#C111> in #C2147483705"), title="T")
    message = render.reply_message(reply)
    body = message.blocks[1]["text"]["text"]
    assert "<!channel>" not in body and "<@U222>" not in body and "&amp;" in body
    assert "<#C2147483705>" in body  # the core's own channel reference becomes a link
    assert message.ephemeral


def test_fields_items_and_buttons_fit_slacks_limits() -> None:
    items = tuple(f"item {i} " + "x" * 500 for i in range(400))
    fields = tuple((f"f{i}", "v" * 3000) for i in range(30))
    reply = Reply(
        "y" * 10_000,
        title="t" * 400,
        fields=fields,
        items=items,
        buttons=tuple(Button(f"B{i}", f"a{i}", f"/tutor claim {i}") for i in range(30)),
        visibility=Visibility.CHANNEL,
    )
    blocks = render.reply_message(reply).blocks
    assert len(blocks) <= 50
    for block in blocks:
        if block["type"] == "section" and "text" in block:
            assert len(block["text"]["text"]) <= 3000
        if block["type"] == "section" and "fields" in block:
            assert len(block["fields"]) <= 10
            assert all(len(f["text"]) <= 2000 for f in block["fields"])
        if block["type"] == "header":
            assert len(block["text"]["text"]) <= 150
    (actions,) = [b for b in blocks if b["type"] == "actions"]
    assert len(actions["elements"]) == 25
    assert actions["elements"][3]["value"] == "/tutor claim 3"
    assert len({e["action_id"] for e in actions["elements"]}) == 25
    assert "more" in texts(blocks)


def test_a_reminder_mentions_exactly_its_members() -> None:
    post = Post(community="slack:T1", text="LA meets soon", channel="C1", mentions=("U1", "x"))
    blocks = render.post_message(post).blocks
    assert "<@U1>" in texts(blocks) and "<@x>" not in texts(blocks)


def test_forms_carry_their_command_and_read_back_their_values() -> None:
    command = catalogue.find(("reflect",))
    assert command is not None
    view = render.form_view(command, {"line": "/reflect", "channel": "C1"}, {"anonymous": True})
    assert json.loads(view["private_metadata"]) == {"line": "/reflect", "channel": "C1"}
    assert [b["block_id"] for b in view["blocks"]] == ["text", "visibility"]
    assert view["blocks"][1]["element"]["initial_option"]["value"] == "anonymous"
    state = {
        "values": {
            "text": {"text": {"type": "plain_text_input", "value": "it clicked"}},
            "visibility": {
                "visibility": {"type": "static_select", "selected_option": {"value": "private"}}
            },
        }
    }
    assert render.form_values(state) == {"text": "it clicked", "private": True, "anonymous": False}
    empty = {"values": {"topic": {"topic": {"type": "plain_text_input", "value": None}}}}
    assert render.form_values(empty) == {}


def test_the_home_view_is_a_home_tab() -> None:
    view = render.home_view(Reply("Hi", title="You", fields=(("Streak", "3 days"),)))
    assert view["type"] == "home" and view["blocks"][0]["type"] == "header"
    assert "/cohort help" in texts(view["blocks"])


def test_a_big_groups_reminder_mentions_everyone_and_lists_count_what_they_leave_out() -> None:
    members = tuple(f"U{10**9 + i}" for i in range(500))
    post = Post(community="slack:T1", text="LA meets soon", channel="C1", mentions=members)
    blocks = render.post_message(post).blocks
    assert all(len(b["text"]["text"]) <= 3000 for b in blocks if "text" in b)
    assert texts(blocks).count("<@U") == 500
    long = tuple("x" * 1000 for _ in range(10))  # two per section: five sections
    kept = render._list(long, 3)
    assert kept[-1]["text"]["text"] == "…and 6 more" and len(kept) == 3
