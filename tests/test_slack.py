"""The real slack-bolt app running Cohort against the loopback Slack stand-in.

Socket Mode envelopes and signed HTTP requests carry real payload shapes (slash command
bodies, block_actions, view_submission, events); the assertions read the acks, the
response_url posts, the Web API calls and the store.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from tests import slack_standin as ss
from tests.slack_bot import Running, running


def go(url: str, scenario: Callable[[Running], Awaitable[None]], **options: Any) -> None:
    async def main() -> None:
        async with running(url, **options) as bot:
            await scenario(bot)

    asyncio.run(main())


def shown(answer: Any) -> str:
    body = answer.body if hasattr(answer, "body") else answer
    return json.dumps(body.get("blocks") or []) + str(body.get("text") or "")


def buttons(blocks: list[dict[str, Any]]) -> dict[str, str]:
    return {
        e["text"]["text"]: e["value"]
        for b in blocks
        if b["type"] == "actions"
        for e in b["elements"]
    }


def test_a_slash_command_is_acked_answered_in_block_kit_and_stored(sqlite_url: str) -> None:
    async def scenario(bot: Running) -> None:
        started = time.monotonic()
        answer = await bot.command("/group", 'create "Linear Algebra" eigenvalues --capacity 6')
        bot.standin.assert_acked_once()
        assert time.monotonic() - started < 3
        assert answer.body["response_type"] == "in_channel"
        assert "Linear Algebra" in shown(answer)
        assert buttons(answer.body["blocks"]) == {
            "Join Linear Algebra": '/group join "Linear Algebra"'
        }
        (row,) = bot.rows("study_group")
        assert (row["name"], row["capacity"]) == ("Linear Algebra", 6)
        assert bot.rows("community")[0]["key"] == "slack:T111"
        await bot.standin.next_call("views.publish")  # the App Home follows what changed
        assert "Linear Algebra" in json.dumps(bot.standin.home["U111"])

    go(sqlite_url, scenario)


def test_cohort_reaches_every_command_and_private_answers_are_ephemeral(sqlite_url: str) -> None:
    async def scenario(bot: Running) -> None:
        answer = await bot.command("/cohort", "me")
        assert answer.body["response_type"] == "ephemeral" and "Streak" in shown(answer)
        wrong = await bot.command("/group", "jion x")
        assert wrong.body["response_type"] == "ephemeral" and "Did you mean join" in shown(wrong)
        await bot.cohort.drain()  # a read and a mistake change no one's App Home
        assert [c for c in bot.standin.calls if c.method == "views.publish"] == []
        long = await bot.command("/tutor", "request recursion " + "x" * 10_000)
        assert "characters" in shown(long) and bot.rows("help_request") == []
        # Slack escapes &, < and > in what was typed; mentions arrive as markup.
        await bot.command("/tutor", 'request maths "is a &lt; b &amp;&amp; b &lt; c?"')
        assert [r["details"] for r in bot.rows("help_request")] == ["is a < b && b < c?"]
        loud = await bot.command("/reflect", "<!channel> & <@U222|bo> see #C111 &lt;b&gt;")
        assert loud.body["response_type"] == "in_channel"
        echoed = loud.body["blocks"][1]["text"]["text"]
        assert "<!channel>" not in echoed and "<@U222" not in echoed and "<b>" not in echoed
        assert "&amp;" in echoed and "&lt;b&gt;" in echoed

    go(sqlite_url, scenario)


def test_organisers_are_workspace_admins_or_named(sqlite_url: str) -> None:
    async def scenario(bot: Running) -> None:
        line = "schedule <#C222|reflections> monday 09:00 --tz Europe/Berlin"
        refused = await bot.command("/prompts", line, user="U111")
        assert "for organisers" in shown(refused) and bot.rows("schedule") == []
        done = await bot.command("/prompts", line, user="UADMIN")
        assert "for organisers" not in shown(done), shown(done)
        assert [r["channel"] for r in bot.rows("schedule")] == ["C222"]
        assert "<#C222>" in shown(done)
        await bot.command("/cohort", "me", user="U222")  # bo is known once he used Cohort
        await bot.command("/cohort", "setup --organiser <@U222|bo>", user="UOWNER")
        listed = await bot.command("/prompts", "list", user="U222")
        assert "for organisers" not in shown(listed)
        users_info = [c for c in bot.standin.calls if c.method == "users.info"]
        assert {c.args["user"] for c in users_info} == {"U111", "UADMIN", "U222", "UOWNER"}

    go(sqlite_url, scenario)


def test_a_help_request_alerts_the_tutor_who_claims_it_by_button(sqlite_url: str) -> None:
    async def scenario(bot: Running) -> None:
        await bot.command("/tutor", "offer recursion", user="U222")
        asked = await bot.command("/tutor", 'request recursion "my base case"', user="U111")
        assert "1 tutor of recursion was alerted" in shown(asked)
        alert = await bot.standin.next_post()
        assert alert["channel"] == ss.dm_channel_id("U222")
        (request,) = bot.rows("help_request")
        claim = buttons(alert["blocks"])[f"Claim #{request['id']}"]
        press = ss.block_actions("cohort_run:0", claim, user="U222", channel=alert["channel"])
        await bot.interactive(press)
        claimed = await bot.standin.next_response()
        assert f"You claimed #{request['id']} (recursion) from ana" in shown(claimed)
        assert claimed.body["response_type"] == "ephemeral"
        assert bot.rows("help_request")[0]["status"] == "claimed"
        helping = f"*Helping with*\\n#{request['id']} recursion"
        while helping not in json.dumps(bot.standin.home.get("U222", {})):
            await bot.standin.next_call("views.publish")  # the tutor's home shows it

    go(sqlite_url, scenario)


def test_reflections_and_groups_open_a_modal_that_does_the_command(sqlite_url: str) -> None:
    async def scenario(bot: Running) -> None:
        envelope = await bot.standin.send_envelope(
            "slash_commands", ss.slash("/reflect", ""), accepts_response_payload=True
        )
        await bot.standin.next_ack(envelope)
        await bot.standin.next_call("views.open")
        opened = bot.standin.views_opened[-1].view
        assert [b["block_id"] for b in opened["blocks"]] == ["text", "visibility"]
        values = {
            "text": {"text": "it clicked"},
            "visibility": {"visibility": ("select", "anonymous")},
        }
        await bot.interactive(ss.view_submission("cohort_form", values, view=opened))
        post = await bot.standin.next_post()  # the anonymous reflection, in the channel
        assert post["channel"] == "C111" and "it clicked" in shown(post)
        assert "ana" not in shown(post).lower()
        (row,) = bot.rows("reflection")
        assert (row["text"], row["visibility"]) == ("it clicked", "anonymous")
        told = await bot.standin.next_response()  # through the command's response_url
        assert told.body["response_type"] == "ephemeral" and "anonymously" in shown(told)
        await bot.standin.send_envelope("slash_commands", ss.slash("/group", "create"))
        await bot.standin.next_call("views.open")
        form = bot.standin.views_opened[-1].view
        group = {"name": {"name": "Proof Club"}, "capacity": {"capacity": "4"}}
        await bot.interactive(ss.view_submission("cohort_form", group, view=form))
        announced = await bot.standin.next_response()
        assert announced.body["response_type"] == "in_channel" and "Proof Club" in shown(announced)
        assert [(g["name"], g["capacity"]) for g in bot.rows("study_group")] == [("Proof Club", 4)]

    go(sqlite_url, scenario)


def test_a_request_slack_retries_is_handled_once(sqlite_url: str) -> None:
    async def scenario(bot: Running) -> None:
        once = ss.slash("/group", 'create "Retry Club"')
        first = await bot.standin.send_envelope("slash_commands", once)
        again = await bot.standin.send_envelope(
            "slash_commands", once, retry_attempt=1, retry_reason="timeout"
        )
        for envelope in (first, again):
            await bot.standin.next_ack(envelope)
        answers = [await bot.standin.next_response(), await bot.standin.next_response()]
        assert len(bot.rows("study_group")) == 1
        assert any("Already done" in shown(a) for a in answers)

    go(sqlite_url, scenario)


def test_the_app_home_shows_groups_streak_and_requests_in_my_topics(sqlite_url: str) -> None:
    async def scenario(bot: Running) -> None:
        await bot.command("/group", 'create "Linear Algebra"', user="U222")
        await bot.command("/checkin", "--mood 4", user="U222")
        await bot.command("/tutor", "offer recursion", user="U222")
        await bot.command("/tutor", 'request recursion "stack overflow"', user="U111")
        await bot.standin.next_post()
        opened = ss.event({"type": "app_home_opened", "user": "U222", "tab": "home"})
        await bot.standin.send_envelope("events_api", opened)
        await bot.standin.next_call("views.publish")
        await bot.cohort.drain()
        home = json.dumps(bot.standin.home["U222"])
        for expected in ("Linear Algebra", "1 day", "stack overflow", "Claim #"):
            assert expected in home, expected

    go(sqlite_url, scenario)


def test_an_export_arrives_as_a_file_in_a_direct_message(sqlite_url: str) -> None:
    async def scenario(bot: Running) -> None:
        await bot.command("/checkin", "--mood 5")
        await bot.command("/cohort", "me export")
        (upload,) = bot.standin.uploads.values()
        assert upload["channel"] == ss.dm_channel_id("U111")
        assert json.loads(upload["data"])["checkins"][0]["mood"] == 5

    go(sqlite_url, scenario)


def test_http_mode_serves_only_correctly_signed_fresh_requests(sqlite_url: str) -> None:
    async def scenario(bot: Running) -> None:
        assert bot.url is not None
        body = ss.form_body(ss.slash("/group", 'create "Signed Club"'))
        bad = await bot.standin.post_to(bot.url, body, bot.standin.sign(body, secret="wrong"))
        stale = await bot.standin.post_to(
            bot.url, body, bot.standin.sign(body, timestamp=str(int(time.time()) - 360))
        )
        assert bad[0] == 401 and stale[0] == 401
        assert bot.rows("study_group") == []
        good = await bot.standin.post_to(bot.url, body, bot.standin.sign(body))
        assert good[0] == 200
        answer = await bot.standin.next_response()
        assert "Signed Club" in shown(answer)
        assert [g["name"] for g in bot.rows("study_group")] == ["Signed Club"]
        # Bolt alone would lose this one: its body holds the word "payload".
        word = ss.form_body(ss.slash("/tutor", 'request json "my payload is empty"'))
        assert (await bot.standin.post_to(bot.url, word, bot.standin.sign(word)))[0] == 200
        assert "Help request #" in shown(await bot.standin.next_response())
        assert [r["details"] for r in bot.rows("help_request")] == ["my payload is empty"]
        press = ss.block_actions("cohort_run:0", '/group join "Signed Club"', user="U222")
        clicked = ss.interactive_body(press)
        assert (await bot.standin.post_to(bot.url, clicked, bot.standin.sign(clicked)))[0] == 200
        await bot.standin.next_response()
        assert len(bot.rows("membership")) == 2

    go(sqlite_url, scenario, http=True)


def test_a_post_that_failed_unclearly_is_looked_for_not_sent_again(sqlite_url: str) -> None:
    async def scenario(bot: Running) -> None:
        await bot.command("/prompts", "schedule <#C222|reflections> daily 09:00", user="UADMIN")
        bot.clock.advance(timedelta(hours=1, minutes=5))
        bot.standin.drop_next("chat.postMessage", 1)  # posted, but the answer is lost
        await bot.scheduler.run_due(bot.cohort.messenger)
        assert len(bot.standin.messages["C222"]) == 1
        (delivery,) = bot.rows("delivery")
        assert delivery["status"] == "pending" and delivery["attempts"] == 1
        bot.clock.advance(timedelta(minutes=5))  # past the retry's backoff
        await bot.scheduler.run_due(bot.cohort.messenger)
        assert len(bot.standin.messages["C222"]) == 1  # found by its metadata, not re-sent
        assert [d["status"] for d in bot.rows("delivery")] == ["sent"]
        history = [c for c in bot.standin.calls if c.method == "conversations.history"]
        assert len(history) == 1 and history[0].args["channel"] == "C222"
        (message,) = bot.standin.messages["C222"]
        assert message["metadata"]["event_payload"] == {"delivery": f"d{delivery['id']}"}

    go(sqlite_url, scenario)


def test_a_rate_limited_post_waits_for_retry_after_and_goes_once(sqlite_url: str) -> None:
    async def scenario(bot: Running) -> None:
        await bot.command("/prompts", "schedule <#C222|reflections> daily 09:00", user="UADMIN")
        bot.clock.advance(timedelta(hours=1, minutes=5))
        bot.standin.fail_next("chat.postMessage", 1, retry_after=1)
        started = time.monotonic()
        assert await bot.scheduler.run_due(bot.cohort.messenger) == 1
        assert time.monotonic() - started >= 1.0
        assert len(bot.standin.messages["C222"]) == 1
        assert [d["status"] for d in bot.rows("delivery")] == ["sent"]

    go(sqlite_url, scenario)


def test_a_resend_to_a_channel_it_only_posts_in_joins_to_look(sqlite_url: str) -> None:
    async def scenario(bot: Running) -> None:
        bot.standin.add_channel("C333", "announcements", member=False)  # chat:write.public
        await bot.command("/prompts", "schedule <#C333|announcements> daily 09:00", user="UADMIN")
        bot.clock.advance(timedelta(hours=1, minutes=5))
        bot.standin.drop_next("chat.postMessage", 1)
        await bot.scheduler.run_due(bot.cohort.messenger)
        bot.clock.advance(timedelta(minutes=5))
        await bot.scheduler.run_due(bot.cohort.messenger)
        assert len(bot.standin.messages["C333"]) == 1
        assert [d["status"] for d in bot.rows("delivery")] == ["sent"]
        assert [c.method for c in bot.standin.calls if c.args.get("channel") == "C333"][-3:] == [
            "conversations.history",
            "conversations.join",
            "conversations.history",
        ]

    go(sqlite_url, scenario)


def test_failures_after_the_ack_are_told_not_swallowed(sqlite_url: str) -> None:
    async def scenario(bot: Running) -> None:
        bot.standin.fail_next("views.open", error="expired_trigger_id")
        envelope = await bot.standin.send_envelope("slash_commands", ss.slash("/reflect", ""))
        await bot.standin.next_ack(envelope)  # acked although the listener then failed
        sorry = await bot.standin.next_response()
        assert "went wrong" in shown(sorry) and sorry.body["response_type"] == "ephemeral"
        # An anonymous reflection in a conversation Cohort is not in: the post fails, and
        # the author hears so instead of believing it was shared.
        where = {"channel": "D0HUMANS", "channel_name": "directmessage"}
        answer = await bot.command("/reflect", "quietly --anonymous", **where)
        assert "anonymously" in shown(answer)
        told = await bot.standin.next_response()
        assert "could not post that in this conversation" in shown(told)

    go(sqlite_url, scenario)
