"""A term of a study community, told as a conversation, on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from bot.types import Actor, Visibility


def post_prompt(h, text: str, channel: str = "general") -> None:
    """What the scheduler will do: record a prompt posted in a channel."""
    with h.core.uow.begin(write=True) as store:
        community = store.community(h.community)
        store.add_prompt_post(community.id, channel, text, "weekly-reflection", h.clock.now())


def test_a_term_of_a_study_community(any_harness):
    h = any_harness
    h.admins.add("olu")  # the organiser is a server admin
    h.ok("/cohort setup --timezone Europe/Berlin", as_user="olu")

    # Week 1: students form groups.
    made = h.ok('/group create "Linear Algebra" eigenvalues and proofs --capacity 3', as_user="ana")
    assert made.reply.visibility is Visibility.CHANNEL
    assert made.reply.buttons[0].command == '/group join "Linear Algebra"'
    h.ok("/group create Databases --private", as_user="bo")
    h.ok("/group join linear algebra", as_user="bo")
    h.ok("/group join LINEAR ALGEBRA", as_user="cy")
    assert "is full (3/3)" in h.fails("/group join Linear Algebra", as_user="dee")
    listed = h.ok("/group list", as_user="dee").reply
    assert listed.items == ("Linear Algebra - eigenvalues and proofs (3/3 members)",)
    assert "Databases" in " ".join(h.ok("/group list", as_user="bo").reply.items)
    h.ok('/group role "Linear Algebra" bo note-taker', as_user="ana")
    info = h.ok("/group info linear algebra", as_user="dee").reply
    assert info.items == ("ana - facilitator", "bo - note-taker", "cy - member")

    # Check-ins across days; cy lives in Auckland, whose day starts 11 hours earlier.
    h.ok("/me timezone pacific/auckland", as_user="cy")
    for day in range(5):
        h.ok('/checkin --mood 4 --progress "worked problems"', as_user="ana")
        h.ok(f'/checkin --mood {2 + day % 3} --group "Linear Algebra"', as_user="bo")
        h.advance(days=1)
    again = h.ok("/checkin --mood 5", as_user="ana")
    h.ok('/checkin --progress "also read chapter 4"', as_user="ana")
    assert "Streak" in dict(again.reply.fields)
    checkins = [r for r in h.rows("checkin") if r["member_id"] == h.member_id("ana")]
    assert len(checkins) == 6  # the second check-in of day 6 updated the first
    assert dict(h.ok("/me", as_user="ana").reply.fields)["Streak"] == "6 days (longest 6)"

    # ana goes away for three days from tomorrow and keeps her streak.
    away = h.ok("/me away 2026-09-13 2026-09-15", as_user="ana").reply
    assert "no reminders" in away.text
    h.advance(days=4)
    h.ok("/checkin --mood 3", as_user="ana")
    assert dict(h.ok("/me", as_user="ana").reply.fields)["Streak"] == "7 days (longest 7)"
    # bo simply missed those days: his streak broke.
    h.ok("/checkin --mood 3", as_user="bo")
    assert dict(h.ok("/me", as_user="bo").reply.fields)["Streak"] == "1 day (longest 5)"

    # Asking for and giving help.
    h.ok("/tutor offer recursion, Eigenvalues", as_user="dee")
    hint = h.ok('/checkin --blockers "stuck on eigenvalues of 3x3 matrices"', as_user="cy")
    assert "Tutors for Eigenvalues: dee" in hint.reply.items
    asked = h.ok('/tutor request eigenvalues "3x3 characteristic polynomial"', as_user="cy")
    assert "number 1 in the queue; 1 tutor of eigenvalues was alerted" in asked.reply.text
    (alert,) = asked.posts
    assert alert.to_members == ("dee",) and alert.kind == "tutor_alert"
    assert alert.buttons[0].command == "/tutor claim 1"
    h.advance(minutes=25)
    queue = h.ok("/tutor queue", as_user="dee").reply
    assert queue.items == ("#1 eigenvalues - cy: 3x3 characteristic polynomial (waiting 25m)",)
    assert "your own request" in h.fails("/tutor claim 1", as_user="cy")
    claimed = h.ok("/tutor claim 1", as_user="dee")
    assert claimed.posts[0].to_members == ("cy",)
    assert dict(h.ok("/me", as_user="dee").reply.fields)["Helping with"] == "#1 eigenvalues"
    cy_me = dict(h.ok("/me", as_user="cy").reply.fields)
    assert cy_me["Open requests"] == "#1 eigenvalues (claimed)"
    assert cy_me["Helping with"] == "nothing"
    done = h.ok("/tutor done 1 expand along the first row", as_user="dee")
    assert "Notes: expand along the first row" in done.posts[0].text
    thanks = h.ok("/tutor thank 1 that finally clicked", as_user="cy")
    assert thanks.posts[0].to_members == ("dee",)
    assert "already thanked" in h.fails("/tutor thank 1", as_user="cy")

    # Reflections in all three visibilities, answering the latest prompt in the channel.
    post_prompt(h, "What did you learn this week?")
    shared = h.ok("/reflect pairing on proofs helped", as_user="ana").reply
    assert shared.visibility is Visibility.CHANNEL and shared.title == "ana reflected"
    assert 'Re: "What did you learn this week?"' in shared.text
    anon = h.ok("/reflect I was lost until Thursday --anonymous", as_user="bo")
    assert anon.reply.visibility is Visibility.PRIVATE
    (anon_post,) = anon.posts
    assert "bo" not in anon_post.text + (anon_post.title or "")
    assert anon_post.channel == "general"
    private = h.ok("/reflect I need more sleep --private", as_user="bo")
    assert not private.posts and private.reply.visibility is Visibility.PRIVATE
    assert [r["visibility"] for r in h.rows("reflection")] == ["shared", "anonymous", "private"]
    assert all(r["prompt_text"] == "What did you learn this week?" for r in h.rows("reflection"))
    mine = h.ok("/reflect list", as_user="bo").reply
    assert [i.split("] ")[0].split("[")[1] for i in mine.items] == ["private", "anonymous"]

    # The organiser reads stats; members may not.
    assert "for organisers" in h.fails("/cohort stats", as_user="ana")
    stats = h.ok("/cohort stats --days 30", as_user="olu").reply
    fields = dict(stats.fields)
    assert fields["Members"].startswith("5 (")
    assert fields["Help requests"] == "1 asked, 1 resolved, 0 waiting now"
    assert fields["Reflections"] == "3 (1 shared, 1 anonymous, 1 private)"
    assert stats.items[0] == "dee: helped 1, thanked 1"
    assert stats.items[1].startswith("Blocked: cy (")
    assert stats.items[1].endswith("stuck on eigenvalues of 3x3 matrices")

    # Export, then forget: cy's own data goes, dee's helper count stays.
    export = h.ok("/me export", as_user="cy").reply
    data = json.loads(export.attachment[1])
    assert len(data["help_requests_asked"]) == 1 and len(data["thanks_given"]) == 1
    assert data["profile"]["timezone"] == "Pacific/Auckland"
    confirm = h.ok("/me forget", as_user="cy").reply
    assert confirm.buttons[0].command == "/me forget --confirm"
    cy = h.member_id("cy")
    assert any(r["member_id"] == cy for r in h.rows("checkin"))
    h.ok("/me forget --confirm", as_user="cy")
    assert not any(r["member_id"] == cy for r in h.rows("checkin"))
    (request,) = h.rows("help_request")
    assert request["details"] == "[deleted]" and request["status"] == "done"
    (thank,) = h.rows("thanks")
    assert thank["message"] is None
    after = h.ok("/cohort stats --days 30", as_user="olu").reply
    assert after.items[0] == "dee: helped 1, thanked 1"
    assert dict(after.fields)["Members"].startswith("4 (")
    assert "cy" not in " ".join(h.ok("/group info linear algebra").reply.items)


def test_anonymous_reflections_are_unnamed_even_for_organisers(any_harness):
    h = any_harness
    h.admins.add("olu")
    h.ok("/reflect the pace is too fast --anonymous", as_user="ana")
    outputs = [
        h.ok("/cohort stats", as_user="olu"),
        h.ok("/reflect list", as_user="olu"),
        h.ok("/me", as_user="olu"),
    ]
    assert all("ana" not in repr(o) for o in outputs)
    assert json.loads(h.ok("/me export", as_user="ana").reply.attachment[1])["reflections"]


def test_check_in_day_follows_the_members_zone(any_harness):
    h = any_harness
    h.set_time(datetime(2026, 9, 7, 22, 30, tzinfo=UTC))  # 08:30 on the 8th in Sydney
    h.ok("/me timezone Australia/Sydney")
    assert "Tue 8 Sep 2026 (Australia/Sydney)" in h.ok("/checkin --mood 3").reply.text
    h.advance(hours=2)  # still the 8th in Sydney: the same check-in is updated
    assert h.ok("/checkin --mood 4").reply.text.startswith("Updated today's check-in")
    assert len(h.rows("checkin")) == 1


def test_community_timezone_is_the_default_day(any_harness):
    h = any_harness
    h.admins.add("olu")
    h.ok("/cohort setup --timezone America/New_York", as_user="olu")
    h.set_time(datetime(2026, 9, 8, 2, 0, tzinfo=UTC))  # 22:00 on the 7th in New York
    assert "Mon 7 Sep 2026 (America/New_York)" in h.ok("/checkin --mood 3").reply.text


def test_user_text_never_mentions_anyone(any_harness):
    h = any_harness
    h.ok("/tutor offer math", as_user="bo")
    outcome = h.ok("/tutor request math @everyone <@123> <!here> @here please", as_user="ana")
    shown = outcome.reply.text + "".join(p.text for p in outcome.posts)
    assert "@everyone" not in shown and "@here" not in shown
    assert "<@123>" not in shown and "<!here>" not in shown
    created = h.ok('/group create "@everyone party" <@&42>', as_user="ana").reply
    assert "@everyone" not in created.text + created.title + created.buttons[0].label


def test_organiser_named_in_setup_can_run_organiser_commands(any_harness):
    h = any_harness
    h.ok("/me", as_user="ana")
    assert "for organisers" in h.fails("/cohort stats", as_user="ana")
    h.ok("/cohort setup --organiser ANA", as_user="olu", admin=True)
    h.ok("/cohort stats", as_user="ana")
    h.ok('/prompts add "What surprised you?" --pack our-week', as_user="ana")
    packs = h.ok("/prompts packs", as_user="bo").reply.items
    assert "our-week - this community's own: 1 prompts" in packs
    assert sum("prompts." in i for i in packs) >= 4  # the built-in packs
    h.ok("/cohort setup --remove-organiser ana", as_user="olu", admin=True)
    assert "for organisers" in h.fails("/cohort stats", as_user="ana")


def test_communities_never_see_each_other(any_harness):
    h = any_harness
    h.ok('/group create "Linear Algebra"', as_user="ana")
    h.ok("/tutor request sql joins", as_user="ana")
    other = "console:other"
    assert "no group called Linear Algebra" in h.fails(
        "/group join Linear Algebra", as_user="zed", community=other
    )
    assert "no help request #1 in this community" in h.fails(
        "/tutor claim 1", as_user="zed", community=other
    )
    assert "queue is empty" in h.ok("/tutor queue", as_user="zed", community=other).reply.text
    h.ok('/group create "Linear Algebra"', as_user="zed", community=other)


def test_a_retried_invocation_is_applied_once(any_harness):
    h = any_harness
    first = h.invoke(("tutor", "request"), {"topic": "sql", "details": "joins"}, id="evt-1")
    second = h.invoke(("tutor", "request"), {"topic": "sql", "details": "joins"}, id="evt-1")
    assert "Request #1" in first.reply.text and "Already done" in second.reply.text
    assert len(h.rows("help_request")) == 1


def test_typed_invocations_are_validated_like_text(any_harness):
    h = any_harness
    bad = h.invoke(("checkin",), {"mood": 9})
    assert bad.reply.is_error and "from 1 to 5" in bad.reply.text
    ok = h.invoke(("checkin",), {"mood": 5, "progress": "typed"})
    assert not ok.reply.is_error


def test_back_ends_away_and_cancels_upcoming(any_harness):
    h = any_harness
    h.ok("/me away 2026-09-10 2026-09-12")
    assert dict(h.ok("/me").reply.fields)["Away"] == "no"
    assert "use /me back --upcoming" in h.fails("/me back")  # planned away time stays
    assert len(h.rows("awayperiod")) == 1
    assert "Cancelled 1 planned away period." in h.ok("/me back --upcoming").reply.text
    assert h.rows("awayperiod") == []
    h.ok("/me away 5d")
    h.advance(days=2)
    h.ok("/me back")
    (period,) = h.rows("awayperiod")
    assert str(period["end"]) == "2026-09-08"


def test_group_list_pages_through_many_groups(any_harness):
    h = any_harness
    for i in range(45):
        h.ok(f'/group create "Group {i:02d}"', as_user=f"m{i}")
    first = h.ok("/group list").reply
    assert first.text == "45 study groups. Page 1 of 3: /group list --page 2 for more."
    assert len(first.items) == 20 and first.items[0].startswith("Group 00")
    last = h.ok("/group list --page 3").reply
    assert [i.split(" (")[0] for i in last.items] == [f"Group {i}" for i in range(40, 45)]
    assert last.text == "45 study groups."


def test_queue_shows_the_oldest_twenty_and_the_true_total(any_harness):
    h = any_harness
    for i in range(23):
        h.ok(f"/tutor request sql question {i}", as_user=f"s{i}")
        h.advance(minutes=1)
    queue = h.ok("/tutor queue", as_user="tutor").reply
    assert queue.text == "23 open requests, oldest first. Showing the oldest 20."
    assert queue.items[0].startswith("#1 sql - s0: question 0 (waiting 23m)")
    assert len(queue.items) == 20
    last = h.ok("/tutor request sql one more", as_user="late").reply
    assert "number 24 in the queue" in last.text


def test_a_mention_resolves_by_platform_id_never_by_a_lookalike_name(any_harness):
    h = any_harness
    lookalike = h.core.handle_text(
        "/me", community=h.community, channel="general", actor=Actor("UMAL", "bob")
    )
    assert not lookalike.reply.is_error
    refused = h.run("/cohort setup --organiser <@UBOB|bob>", as_user="olu", admin=True)
    assert refused.reply.is_error and "don't know a member called bob" in refused.reply.text
    assert not any(r["is_organiser"] for r in h.rows("member"))
    h.core.handle_text("/me", community=h.community, channel="general", actor=Actor("UBOB", "bob"))
    assert "More than one member is called bob" in h.fails(
        "/cohort setup --organiser bob", as_user="olu", admin=True
    )
    h.ok("/cohort setup --organiser <@UBOB|bob>", as_user="olu", admin=True)
    (organiser,) = [r for r in h.rows("member") if r["is_organiser"]]
    assert organiser["platform_id"] == "UBOB"


def test_forgetting_removes_notes_and_thanks_cannot_reach_a_forgotten_helper(any_harness):
    h = any_harness
    h.ok("/tutor request css my grid collapses", as_user="ana")
    h.ok("/tutor claim 1", as_user="bo")
    h.ok("/tutor done 1 used grid-template-areas", as_user="bo")
    h.ok("/me forget --confirm", as_user="bo")
    (request,) = h.rows("help_request")
    assert request["notes"] is None and request["status"] == "done"
    assert "deleted their Cohort data" in h.fails("/tutor thank 1 thanks", as_user="ana")


def test_broadcasts_are_broken_even_glued_to_a_word(any_harness):
    h = any_harness
    shown = h.ok("/reflect hi @everyone_ @hereafter @channel1").reply.text
    assert "@everyone" not in shown and "@here" not in shown and "@channel" not in shown


def test_offering_the_same_topic_twice_in_one_line_is_one_offer(any_harness):
    h = any_harness
    assert "You now offer help with SQL." in h.ok("/tutor offer SQL, sql,  Sql ").reply.text
    assert len(h.rows("tutor_offer")) == 1


def test_export_includes_archived_groups(any_harness):
    h = any_harness
    h.ok("/group create Old")
    h.ok("/group archive Old")
    groups = json.loads(h.ok("/me export").reply.attachment[1])["groups"]
    assert [(g["group"], g["role"]) for g in groups] == [("Old", "facilitator")]
    assert groups[0]["archived_at"] is not None


def test_offering_a_topic_says_how_many_requests_already_wait(any_harness):
    h = any_harness
    h.ok("/tutor request recursion base case", as_user="ana")
    reply = h.ok("/tutor offer recursion", as_user="bo").reply.text
    assert reply.endswith("1 open request matches: /tutor queue")
