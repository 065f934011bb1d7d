"""The real discord.py client running Cohort against the loopback Discord stand-in.

Every interaction goes through the gateway as INTERACTION_CREATE; the assertions read the
callback bodies the bot sent over REST, the messages it posted, and the store.
"""

from __future__ import annotations

import asyncio
import copy
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from adapters.discord import app
from adapters.discord.commands import commands_json
from tests import discord_standin as ds
from tests.discord_bot import MANAGE_SERVER, Running, point_at, running

ANA = ds.user("53908232506183680", "ana", "Ana")
BO = ds.user("53908232506183681", "bo", "Bo")


def go(
    monkeypatch: pytest.MonkeyPatch,
    url: str,
    scenario: Callable[[Running], Awaitable[None]],
    **options: Any,
) -> None:
    async def main() -> None:
        async with running(monkeypatch, url, **options) as bot:
            await scenario(bot)

    asyncio.run(main())


def embed_of(callback: ds.Callback) -> dict[str, Any]:
    (embed,) = callback.data["embeds"]
    return embed


def text_of(callback: ds.Callback) -> str:
    embed = embed_of(callback)
    return f"{embed.get('title') or ''}\n{embed.get('description') or ''}"


def buttons_of(message: dict[str, Any]) -> dict[str, str]:
    return {
        b["label"]: b["custom_id"]
        for row in message.get("components", [])
        for b in row["components"]
    }


def tutor(sub: str, *options: dict[str, Any], **where: Any) -> dict[str, Any]:
    return ds.slash("tutor", [ds.sub(sub, list(options))], **where)


def help_with_recursion(details: str = "help") -> dict[str, Any]:
    """Ana's request for help with recursion (Bo offers it)."""
    return tutor("request", ds.opt("topic", "recursion"), ds.opt("details", details), user=ANA)


async def bo_offers_recursion(bot: Running) -> None:
    await bot.send(tutor("offer", ds.opt("topics", "recursion"), user=BO))


def group(sub: str, *options: dict[str, Any], **where: Any) -> dict[str, Any]:
    return ds.slash("group", [ds.sub(sub, list(options))], **where)


# -- registering --------------------------------------------------------------------------
def test_sync_puts_exactly_the_catalogue(monkeypatch: pytest.MonkeyPatch) -> None:
    async def main() -> None:
        standin = ds.DiscordStandIn()
        await standin.start()
        try:
            settings = point_at(monkeypatch, standin)
            done = await app.sync(settings, guild_id=ds.GUILD_ID)
            await app.sync(settings)
        finally:
            await standin.stop()
        assert [c["name"] for c in done] == [c["name"] for c in commands_json()]
        (put,) = [r for r in standin.requests if r.method == "PUT" and ds.GUILD_ID in r.path]
        assert put.body == commands_json()
        assert put.auth == f"Bot {standin.token}"
        assert [c["name"] for c in standin.commands[None]] == [c["name"] for c in commands_json()]
        assert standin.unknown == []

    asyncio.run(main())


def test_a_refused_token_is_a_clear_setup_error(monkeypatch: pytest.MonkeyPatch) -> None:
    async def main() -> None:
        standin = ds.DiscordStandIn()
        await standin.start()
        try:
            settings = replace(point_at(monkeypatch, standin), discord_token="an-old-token")
            with pytest.raises(app.DiscordSetupError, match="refused the bot token"):
                await app.sync(settings)
        finally:
            await standin.stop()

    asyncio.run(main())


def test_the_invite_link_asks_for_exactly_what_the_bot_uses(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def main() -> None:
        standin = ds.DiscordStandIn()
        await standin.start()
        try:
            link = await app.invite_url(point_at(monkeypatch, standin))
        finally:
            await standin.stop()
        assert f"client_id={ds.APP_ID}" in link
        assert "scope=bot+applications.commands" in link
        # view channel, send messages, embed links, create public threads, send in threads
        assert f"permissions={(1 << 10) | (1 << 11) | (1 << 14) | (1 << 35) | (1 << 38)}" in link

    asyncio.run(main())


# -- commands -------------------------------------------------------------------------------
def test_creating_a_group_announces_it_and_opens_its_thread(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str
) -> None:
    async def scenario(bot: Running) -> None:
        answer = await bot.send(
            group(
                "create",
                ds.opt("name", "Linear Algebra"),
                ds.opt("topic", "eigenvalues @everyone"),
                ds.opt("capacity", 6),
                user=ANA,
            )
        )
        assert answer.type == 4 and not answer.ephemeral
        assert "Linear Algebra" in text_of(answer)
        assert answer.data["allowed_mentions"] == {"parse": []}
        assert "@everyone" not in text_of(answer)  # neutralised: it shows, it never pings
        assert "Join Linear Algebra" in buttons_of(answer.data)
        thread = await bot.standin.next_post()
        assert thread["channel_id"] in bot.standin.threads
        assert bot.standin.threads[thread["channel_id"]]["name"] == "Linear Algebra"
        assert "/group meet here" in thread["embeds"][0]["description"]
        (row,) = bot.rows("study_group")
        assert (row["name"], row["capacity"]) == ("Linear Algebra", 6)
        assert bot.rows("community")[0]["name"] == "Study Hall"  # the server's name

    go(monkeypatch, sqlite_url, scenario)


def test_a_bare_group_create_opens_a_form_and_the_form_creates_it(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str
) -> None:
    async def scenario(bot: Running) -> None:
        form = await bot.send(group("create", ds.opt("private", True), user=ANA))
        assert form.type == 9
        custom_id = form.data["custom_id"]
        assert custom_id == f"ck1f:{ds.GUILD_ID}:/group create --private"
        assert bot.rows("study_group") == []
        values = {"name": "Proof Club", "topic": "", "capacity": "4"}
        answer = await bot.send(ds.modal_submit(custom_id, values, user=ANA, labels=True))
        assert answer.type == 4 and answer.ephemeral  # a private group is not announced
        (row,) = bot.rows("study_group")
        assert (row["name"], row["private"], row["capacity"]) == ("Proof Club", True, 4)

    go(monkeypatch, sqlite_url, scenario)


def test_member_options_resolve_and_errors_are_private_and_change_nothing(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str
) -> None:
    async def scenario(bot: Running) -> None:
        await bot.send(group("create", ds.opt("name", "LA"), user=ANA))
        await bot.standin.next_post()  # the thread's welcome
        await bot.send(group("join", ds.opt("name", "LA"), user=BO))
        resolved = {
            "users": {BO["id"]: BO},
            "members": {BO["id"]: {"nick": "Bo (TA)", "roles": [], "flags": 0}},
        }
        role = group(
            "role",
            ds.opt("name", "LA"),
            ds.opt("member", BO["id"], 6),
            ds.opt("role", "facilitator"),
            user=ANA,
        )
        role["data"]["resolved"] = resolved
        answer = await bot.send(role)
        assert answer.ephemeral and embed_of(answer).get("color") != 0xED4245
        assert "Bo is now facilitator of LA" in text_of(answer)
        before = bot.rows("membership")
        long = await bot.send(
            ds.slash(
                "tutor",
                [
                    ds.sub(
                        "request", [ds.opt("topic", "recursion"), ds.opt("details", "x" * 10_000)]
                    )
                ],
                user=ANA,
            )
        )
        assert long.ephemeral and "10,000 characters" in text_of(long)
        assert embed_of(long)["color"] == 0xED4245
        assert bot.rows("help_request") == [] and bot.rows("membership") == before

    go(monkeypatch, sqlite_url, scenario)


def test_organisers_are_manage_server_or_named(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str
) -> None:
    def schedule(**where: Any) -> dict[str, Any]:
        options = [
            ds.opt("channel", ds.REFLECTIONS_ID, 7),
            ds.opt("when", "monday"),
            ds.opt("at", "09:00"),
            ds.opt("tz", "Europe/Berlin"),
        ]
        return ds.slash("prompts", [ds.sub("schedule", options)], **where)

    async def scenario(bot: Running) -> None:
        refused = await bot.send(schedule(user=BO))
        assert refused.ephemeral and "for organisers" in text_of(refused)
        assert bot.rows("schedule") == []
        done = await bot.send(schedule(user=ANA, permissions=MANAGE_SERVER))
        assert embed_of(done).get("color") != 0xED4245, text_of(done)
        (row,) = bot.rows("schedule")
        assert (row["channel"], row["timezone"]) == (ds.REFLECTIONS_ID, "Europe/Berlin")
        assert f"<#{ds.REFLECTIONS_ID}>" in text_of(done)
        setup = ds.slash("cohort", [ds.sub("setup", [ds.opt("organiser", BO["id"], 6)])], user=ANA)
        setup["member"]["permissions"] = MANAGE_SERVER
        # A pasted id of someone outside the server resolves to a bare user: not vouched for.
        setup["data"]["resolved"] = {"users": {BO["id"]: BO}}
        outsider = await bot.send(setup)
        assert "don't know a member called Bo" in text_of(outsider)
        assert [m["platform_id"] for m in bot.rows("member")] == [ANA["id"]]
        setup = copy.deepcopy(setup) | {"id": ds.snowflake(), "token": f"itoken-{ds.snowflake()}"}
        setup["data"]["resolved"] = {"users": {BO["id"]: BO}, "members": {BO["id"]: {"nick": None}}}
        named = await bot.send(setup)
        assert "organiser" in text_of(named) and embed_of(named)["color"] != 0xED4245, text_of(
            named
        )
        listed = await bot.send(ds.slash("prompts", [ds.sub("list")], user=BO))
        assert "for organisers" not in text_of(listed)

    go(monkeypatch, sqlite_url, scenario)


def test_a_help_request_alerts_tutors_who_claim_and_finish_it_by_buttons(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str
) -> None:
    async def scenario(bot: Running) -> None:
        await bo_offers_recursion(bot)
        asked = await bot.send(help_with_recursion())
        assert "1 tutor of recursion was alerted" in text_of(asked)
        alert = await bot.standin.next_post()
        assert bot.standin.dm_channels[alert["channel_id"]] == BO["id"]
        (request,) = bot.rows("help_request")
        claim = buttons_of(alert)[f"Claim #{request['id']}"]
        assert claim == f"ck1:{ds.GUILD_ID}:/tutor claim {request['id']}"
        # Bo clicks in the direct message: no guild there, the id names the community.
        clicked = await bot.send(
            ds.component(
                claim, message=alert, user=BO, guild_id=None, channel_id=alert["channel_id"]
            )
        )
        assert clicked.type == 4, clicked.data
        assert bot.rows("help_request")[0]["status"] == "claimed"
        done = buttons_of(clicked.data)[f"Done #{request['id']}"]
        await bot.send(ds.component(done, user=BO, guild_id=None))
        assert bot.rows("help_request")[0]["status"] == "done"

    go(monkeypatch, sqlite_url, scenario)


def test_a_button_from_another_server_is_refused(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str
) -> None:
    async def scenario(bot: Running) -> None:
        forged = ds.component("ck1:111111111111111111:/group join LA", user=ANA)
        answer = await bot.send(forged)
        assert answer.ephemeral and "another server" in text_of(answer)
        assert bot.rows("community") == []

    go(monkeypatch, sqlite_url, scenario)


def test_autocomplete_offers_group_names_topics_and_request_ids(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str
) -> None:
    async def scenario(bot: Running) -> None:
        for name in ("Linear Algebra", "Algebra II"):
            await bot.send(group("create", ds.opt("name", name), user=ANA))
            await bot.standin.next_post()
        typed = await bot.send(ds.autocomplete("group", [ds.sub("join", [ds.opt("name", "alg")])]))
        assert typed.type == 8
        assert typed.data["choices"] == [
            {"name": "Algebra II", "value": "Algebra II"},
            {"name": "Linear Algebra", "value": "Linear Algebra"},
        ]
        await bo_offers_recursion(bot)
        topic = await bot.send(
            ds.autocomplete("tutor", [ds.sub("request", [ds.opt("topic", "rec")])], user=ANA)
        )
        assert [c["value"] for c in topic.data["choices"]] == ["recursion"]
        await bot.send(help_with_recursion("loops"))
        await bot.standin.next_post()  # Bo's alert
        (request,) = bot.rows("help_request")
        ids = await bot.send(
            ds.autocomplete("tutor", [ds.sub("claim", [ds.opt("id", "", 4)])], user=BO)
        )
        assert ids.data["choices"] == [
            {"name": f"#{request['id']} recursion: loops", "value": request["id"]}
        ]

    go(monkeypatch, sqlite_url, scenario)


def test_a_scheduled_prompt_is_posted_once_and_answered_through_its_form(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str
) -> None:
    async def scenario(bot: Running) -> None:
        options = [
            ds.opt("channel", ds.REFLECTIONS_ID, 7),
            ds.opt("when", "daily"),
            ds.opt("at", "09:00"),
        ]
        await bot.send(
            ds.slash("prompts", [ds.sub("schedule", options)], user=ANA, permissions=MANAGE_SERVER)
        )
        bot.clock.advance(timedelta(hours=2))
        sent = await bot.scheduler.run_due(bot.client.messenger)  # type: ignore[attr-defined]
        assert sent == 1
        post = await bot.standin.next_post()
        assert post["channel_id"] == ds.REFLECTIONS_ID
        (delivery,) = bot.rows("delivery")
        create = [
            r for r in bot.standin.requests if r.path.endswith(f"{ds.REFLECTIONS_ID}/messages")
        ]
        assert create[0].body["nonce"] == f"d{delivery['id']}"
        assert create[0].body["enforce_nonce"] is True
        assert create[0].body["allowed_mentions"] == {"parse": []}
        # The sender dies after posting, before marking it sent: its lease runs out and
        # another pass sends again, with the same nonce, so Discord keeps one message.
        bot.execute(
            "update delivery set status = 'sending', sent_at = null, lease_until = :t",
            t=bot.clock.now() - timedelta(minutes=5),
        )
        assert await bot.scheduler.run_due(bot.client.messenger) == 1  # type: ignore[attr-defined]
        retried = [
            r for r in bot.standin.requests if r.path.endswith(f"{ds.REFLECTIONS_ID}/messages")
        ]
        assert [r.body["nonce"] for r in retried] == [f"d{delivery['id']}"] * 2
        assert len(bot.standin.messages[ds.REFLECTIONS_ID]) == 1
        assert [d["status"] for d in bot.rows("delivery")] == ["sent"]
        answer = buttons_of(post)["Answer"]
        form = await bot.send(
            ds.component(answer, message=post, user=BO, channel_id=ds.REFLECTIONS_ID)
        )
        assert form.type == 9
        done = await bot.send(
            ds.modal_submit(
                form.data["custom_id"],
                {"text": "pairing made it click"},
                user=BO,
                channel_id=ds.REFLECTIONS_ID,
            )
        )
        assert done.type == 4
        (reflection,) = bot.rows("reflection")
        assert reflection["text"] == "pairing made it click"
        assert reflection["prompt_post_id"] is not None

    go(monkeypatch, sqlite_url, scenario)


def test_an_export_arrives_as_a_file(monkeypatch: pytest.MonkeyPatch, sqlite_url: str) -> None:
    async def scenario(bot: Running) -> None:
        await bot.send(ds.slash("checkin", [ds.opt("mood", 4)], user=ANA))
        answer = await bot.send(ds.slash("me", [ds.sub("export")], user=ANA))
        assert answer.ephemeral
        ((name, data),) = answer.request.files
        assert name.endswith(".json")
        assert json.loads(data)["checkins"][0]["mood"] == 4

    go(monkeypatch, sqlite_url, scenario)


# -- the 3-second window ---------------------------------------------------------------------
def slow_store(seconds: float) -> Callable[[Any], None]:
    def wrap(core: Any) -> None:
        begin = core.uow.begin

        def slow(*args: Any, **kw: Any) -> Any:
            time.sleep(seconds)  # a database under load; the core runs in a worker thread
            return begin(*args, **kw)

        core.uow.begin = slow

    return wrap


def test_slow_work_is_deferred_then_followed_up(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str
) -> None:
    async def scenario(bot: Running) -> None:
        started = time.monotonic()
        await bot.standin.interaction(ds.slash("me", [ds.sub("show")], user=ANA))
        deferred = await bot.standin.next_callback()
        assert deferred.type == 5 and deferred.ephemeral
        assert time.monotonic() - started < 0.6  # well inside Discord's 3 s
        answer = await bot.standin.next_callback()
        assert answer.kind == "edit" and embed_of(answer)["description"]
        # A public answer to a public "thinking…": the original message is edited in place,
        # and the group's thread opens under it.
        await bot.standin.interaction(group("create", ds.opt("name", "LA"), user=ANA))
        deferred = await bot.standin.next_callback()
        assert deferred.type == 5 and not deferred.ephemeral
        edited = await bot.standin.next_callback()
        assert edited.kind == "edit" and "LA" in text_of(edited)
        welcome = await bot.standin.next_post()
        assert welcome["channel_id"] in bot.standin.threads

    go(monkeypatch, sqlite_url, scenario, defer_after_ms=100, wrap=slow_store(0.4))


def test_a_private_answer_after_a_public_defer_replaces_it(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str
) -> None:
    async def scenario(bot: Running) -> None:
        await bot.standin.interaction(group("create", ds.opt("name", 'Bad "name"'), user=ANA))
        deferred = await bot.standin.next_callback()
        assert deferred.type == 5 and not deferred.ephemeral
        removed = await bot.standin.next_callback()
        assert removed.kind == "delete"
        error = await bot.standin.next_callback()
        assert error.kind == "followup" and error.ephemeral and "quote" in text_of(error)

    go(monkeypatch, sqlite_url, scenario, defer_after_ms=50, wrap=slow_store(0.2))


# -- the gateway ---------------------------------------------------------------------------
def test_after_a_dropped_connection_the_bot_resumes_and_answers(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str
) -> None:
    async def scenario(bot: Running) -> None:
        await bot.send(group("list", user=ANA))
        await bot.standin.drop()
        await bot.standin.wait_resumed(1)
        answer = await bot.send(group("create", ds.opt("name", "After"), user=ANA))
        assert answer.type == 4 and "After" in text_of(answer)
        assert len(bot.standin.identifies) == 1 and len(bot.standin.resumes) == 1
        await bot.standin.reconnect()
        await bot.standin.wait_resumed(2)
        await bot.standin.invalid_session(False)
        await bot.standin.wait_ready(2)
        assert len(bot.standin.identifies) == 2
        later = await bot.send(group("list", user=BO))
        assert "After" in text_of(later)

    go(monkeypatch, sqlite_url, scenario)


def test_a_sharded_client_identifies_each_shard_and_answers(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str
) -> None:
    async def scenario(bot: Running) -> None:
        await bot.standin.wait_ready(2)
        assert sorted(i["shard"] for i in bot.standin.identifies) == [[0, 2], [1, 2]]
        await bot.send(group("create", ds.opt("name", "Sharded"), user=ANA))
        await bot.standin.next_post()
        assert len(bot.rows("study_group")) == 1

    go(monkeypatch, sqlite_url, scenario, shard_count=2, shard_ids=[0, 1])


def test_reminders_ping_only_the_members_they_name_and_check_in_by_form(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str
) -> None:
    async def scenario(bot: Running) -> None:
        await bot.send(group("create", ds.opt("name", "LA"), user=ANA))
        await bot.standin.next_post()  # the thread's welcome
        await bot.send(group("join", ds.opt("name", "LA"), user=BO))
        meet = group(
            "meet",
            ds.opt("name", "LA"),
            ds.opt("weekday", "monday"),
            ds.opt("at", "18:00"),
            ds.opt("tz", "UTC"),
            user=ANA,
        )
        assert "18:00" in text_of(await bot.send(meet))
        setup = ds.sub("setup", [ds.opt("checkin-reminder", "12:00")])
        await bot.send(ds.slash("cohort", [setup], user=ANA, permissions=MANAGE_SERVER))
        posts = []
        for hours, count in ((4, 2), (5.75, 1)):  # to 12:00 UTC on Monday, then to 17:45
            bot.clock.advance(timedelta(hours=hours))
            await bot.scheduler.run_due(bot.client.messenger)  # type: ignore[attr-defined]
            posts += [await bot.standin.next_post() for _ in range(count)]
        reminder = next(p for p in posts if p["channel_id"] == ds.GENERAL_ID)
        assert set(reminder["content"].split()) == {f"<@{ANA['id']}>", f"<@{BO['id']}>"}
        create = [
            r
            for r in bot.standin.requests
            if r.body is not None
            and r.body.get("nonce")
            and r.path.endswith(f"{ds.GENERAL_ID}/messages")
        ]
        assert create[-1].body["allowed_mentions"]["parse"] == []
        assert sorted(map(str, create[-1].body["allowed_mentions"]["users"])) == [
            ANA["id"],
            BO["id"],
        ]
        nudges = [p for p in posts if p["channel_id"] in bot.standin.dm_channels]
        assert {bot.standin.dm_channels[p["channel_id"]] for p in nudges} == {ANA["id"], BO["id"]}
        nudge = next(p for p in nudges if bot.standin.dm_channels[p["channel_id"]] == BO["id"])
        form = await bot.send(
            ds.component(buttons_of(nudge)["Check in"], message=nudge, user=BO, guild_id=None)
        )
        assert form.type == 9
        inputs = [row["component"]["custom_id"] for row in form.data["components"]]
        assert inputs == ["mood", "progress", "blockers", "group"]
        done = await bot.send(
            ds.modal_submit(
                form.data["custom_id"],
                {"mood": "5", "progress": "chapter 4", "blockers": ""},
                user=BO,
                guild_id=None,
            )
        )
        assert done.type == 4 and done.ephemeral, done.data
        (checkin,) = bot.rows("checkin")
        assert (checkin["mood"], checkin["progress"], checkin["blockers"]) == (5, "chapter 4", None)

    go(monkeypatch, sqlite_url, scenario)


def test_commands_in_direct_messages_are_refused_kindly(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str
) -> None:
    async def scenario(bot: Running) -> None:
        answer = await bot.send(ds.slash("me", [ds.sub("show")], user=ANA, guild_id=None))
        assert answer.ephemeral and "not in direct messages" in text_of(answer)
        assert bot.rows("community") == []

    go(monkeypatch, sqlite_url, scenario)


def test_a_bare_checkin_opens_its_form(monkeypatch: pytest.MonkeyPatch, sqlite_url: str) -> None:
    async def scenario(bot: Running) -> None:
        form = await bot.send(ds.slash("checkin", [], user=ANA))
        assert form.type == 9 and form.data["custom_id"] == f"ck1f:{ds.GUILD_ID}:/checkin"
        quick = await bot.send(ds.slash("checkin", [ds.opt("mood", 3)], user=ANA))
        assert quick.type == 4  # with something given, it checks in at once
        assert [c["mood"] for c in bot.rows("checkin")] == [3]

    go(monkeypatch, sqlite_url, scenario)


def reflect(text: str, **where: Any) -> dict[str, Any]:
    return ds.slash("reflect", [ds.sub("write", [ds.opt("text", text)])], **where)


def test_an_anonymous_reflection_never_carries_its_authors_name(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str
) -> None:
    async def scenario(bot: Running) -> None:
        # Typed as the prompt's hint says; a slow store must not show "Ana used /reflect".
        await bot.standin.interaction(reflect("I failed the exam --anonymous", user=ANA))
        deferred = await bot.standin.next_callback()
        assert deferred.type == 5 and deferred.ephemeral
        answer = await bot.standin.next_callback()
        assert answer.kind == "edit" and "Shared anonymously" in text_of(answer)
        post = await bot.standin.next_post()  # a plain channel message: no interaction header
        assert post["embeds"][0]["title"] == "An anonymous reflection"
        assert post["embeds"][0]["description"] == "I failed the exam"
        assert "interaction_metadata" not in post and "Ana" not in json.dumps(post)
        (row,) = bot.rows("reflection")
        assert (row["text"], row["visibility"]) == ("I failed the exam", "anonymous")
        # A shared one, deferred privately, is still shared with the channel afterwards.
        await bot.standin.interaction(reflect("pairing helped", user=ANA))
        assert (await bot.standin.next_callback()).ephemeral
        assert "posted in the channel" in text_of(await bot.standin.next_callback())
        shared = await bot.standin.next_callback()
        assert shared.kind == "followup" and not shared.ephemeral
        assert "pairing helped" in text_of(shared)

    go(monkeypatch, sqlite_url, scenario, defer_after_ms=50, wrap=slow_store(0.2))


def test_a_click_in_a_direct_message_needs_a_member_of_the_server(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str
) -> None:
    async def scenario(bot: Running) -> None:
        await bo_offers_recursion(bot)
        await bot.send(help_with_recursion())
        alert = await bot.standin.next_post()
        bot.standin.departed.add(BO["id"])  # Bo left the server
        claim = next(iter(buttons_of(alert).values()))
        answer = await bot.send(ds.component(claim, message=alert, user=BO, guild_id=None))
        assert answer.ephemeral and "no longer in the server" in text_of(answer)
        assert bot.rows("help_request")[0]["status"] == "open"

    go(monkeypatch, sqlite_url, scenario)


def test_direct_messages_go_on_past_a_member_who_refuses_them(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str
) -> None:
    from bot.scheduler import SendFailed
    from bot.types import Post

    async def scenario(bot: Running) -> None:
        messenger = bot.client.messenger  # type: ignore[attr-defined]
        both = Post(community=f"discord:{ds.GUILD_ID}", text="x", to_members=(ANA["id"], BO["id"]))
        bot.standin.fail_next_posts(1, 403)  # Ana takes no direct messages
        await messenger.send(both)
        (got,) = [await bot.standin.next_post()]
        assert bot.standin.dm_channels[got["channel_id"]] == BO["id"]
        bot.standin.fail_next_posts(1, 400)  # Discord refuses the message itself
        with pytest.raises(SendFailed) as refused:
            await messenger.send(Post(community="discord:1", text="x", channel=ds.GENERAL_ID))
        assert refused.value.permanent  # retrying an invalid message cannot help

    go(monkeypatch, sqlite_url, scenario)


def test_when_the_answer_cannot_be_shown_the_posts_still_go_out(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str
) -> None:
    async def scenario(bot: Running) -> None:
        await bo_offers_recursion(bot)
        expired = help_with_recursion()
        # Never remembered by the stand-in: its callback is answered 404 Unknown interaction,
        # as Discord answers one that took longer than 3 s.
        await bot.standin.dispatch("INTERACTION_CREATE", expired, guild_id=ds.GUILD_ID)
        alert = await bot.standin.next_post()
        assert bot.standin.dm_channels[alert["channel_id"]] == BO["id"]
        assert len(bot.rows("help_request")) == 1
        await asyncio.sleep(0.2)
        assert bot.standin.callbacks.empty()  # no second attempt at answering

    go(monkeypatch, sqlite_url, scenario)


def test_the_answer_form_asks_who_sees_the_reflection(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str
) -> None:
    async def scenario(bot: Running) -> None:
        form = await bot.send(ds.component(f"ck1:{ds.GUILD_ID}:/reflect", user=BO))
        assert form.type == 9
        (choice,) = [c["component"] for c in form.data["components"] if c["component"]["type"] == 3]
        assert [o["value"] for o in choice["options"]] == ["default", "anonymous", "private"]
        text = {"type": 18, "component": {"type": 4, "custom_id": "text", "value": "quietly"}}
        pick = {
            "type": 18,
            "component": {"type": 3, "custom_id": "visibility", "values": ["private"]},
        }
        submit = ds.modal_submit(form.data["custom_id"], {}, user=BO)
        submit["data"]["components"] = [text, pick]
        answer = await bot.send(submit)
        assert answer.ephemeral and "Saved privately" in text_of(answer)
        assert [(r["text"], r["visibility"]) for r in bot.rows("reflection")] == [
            ("quietly", "private")
        ]

    go(monkeypatch, sqlite_url, scenario)
