"""The scheduler with a fake clock: what is posted, when, in which zone, and how often."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.packs import builtin
from bot.scheduler import SendFailed

PACK = builtin().get("weekly-reflection")
assert PACK is not None


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def prompts_of(sent):
    return [(when, post.text.split("\n\n")[0]) for when, post in sent if post.kind == "prompt"]


def test_a_weekly_prompt_posts_every_monday_at_nine_berlin(any_harness):
    h = any_harness
    h.set_time(utc(2026, 11, 30, 12))  # a Monday, after 09:00 Berlin
    h.ok("/prompts schedule #general monday 09:00 --tz Europe/Berlin", admin=True)
    sent = h.walk(weeks=3)
    assert prompts_of(sent) == [
        (utc(2026, 12, 7, 8), PACK.prompts[0]),
        (utc(2026, 12, 14, 8), PACK.prompts[1]),
        (utc(2026, 12, 21, 8), PACK.prompts[2]),
    ]
    assert {post.channel for _, post in sent} == {"general"}
    assert [d["status"] for d in h.rows("delivery")] == ["sent"] * 3
    reply = h.ok("/reflect the proof finally clicked", as_user="ana")
    assert PACK.prompts[2] in reply.reply.text


def test_a_daily_prompt_every_second_day(harness):
    h = harness
    h.set_time(utc(2026, 12, 1, 6))
    h.ok("/prompts schedule here daily 07:30 --every 2", admin=True)
    times = [when for when, _ in prompts_of(h.walk(days=7))]
    assert times == [utc(2026, 12, d, 7, 30) for d in (1, 3, 5, 7)]


@pytest.mark.parametrize(
    ("zone", "spring", "autumn", "utc_before", "utc_after"),
    [
        # 09:00 local is 08:00Z in winter and 07:00Z in summer in Berlin
        ("Europe/Berlin", utc(2026, 3, 23, 12), utc(2026, 10, 19, 12), 8, 7),
        # New York changes on other Sundays (8 March, 1 November): 14:00Z / 13:00Z
        ("America/New_York", utc(2026, 3, 2, 18), utc(2026, 10, 26, 18), 14, 13),
    ],
)
def test_nine_oclock_stays_nine_oclock_across_both_changes(
    harness, zone, spring, autumn, utc_before, utc_after
):
    """Weekly on Sunday, the very day of the change, and the Sundays either side."""
    h = harness
    h.set_time(spring - timedelta(days=8))
    h.ok(f"/prompts schedule here sunday 09:00 --tz {zone}", admin=True)
    times = [when for when, _ in prompts_of(h.walk(days=21))]
    local = [t.astimezone(__import__("zoneinfo").ZoneInfo(zone)) for t in times]
    assert [(t.hour, t.minute) for t in local] == [(9, 0)] * 3
    assert [t.hour for t in times] == [utc_before, utc_after, utc_after]
    h.set_time(autumn - timedelta(days=8))
    h.outbox.sent.clear()
    h.ok("/prompts remove 1", admin=True)
    h.ok(f"/prompts schedule here sunday 09:00 --tz {zone}", admin=True)
    times = [when for when, _ in prompts_of(h.walk(days=21))]
    assert [t.astimezone(__import__("zoneinfo").ZoneInfo(zone)).hour for t in times] == [9] * 3
    assert [t.hour for t in times] == [utc_after, utc_before, utc_before]


@pytest.mark.parametrize(
    ("zone", "day", "at"),
    [("Europe/Berlin", 25, "02:30"), ("America/New_York", 1, "01:30")],
)
def test_a_slot_that_happens_twice_in_autumn_fires_once(any_harness, zone, day, at):
    h = any_harness
    month = 10 if day == 25 else 11
    h.set_time(utc(2026, month, day, 0) - timedelta(days=1))
    h.ok(f"/prompts schedule here daily {at} --tz {zone}", admin=True)
    sent = prompts_of(h.walk(days=3))
    assert len(sent) == 3  # the day before, the day of the change (once), the day after
    keys = [d["occurrence_key"] for d in h.rows("delivery")]
    assert len(keys) == len(set(keys)) == 3
    # the wall-clock 02:30 (01:30 in New York) that happens twice that night fired once
    first_on_day = [
        t for t, _ in sent if t.astimezone(__import__("zoneinfo").ZoneInfo(zone)).day == day
    ]
    assert len(first_on_day) == 1


@pytest.mark.parametrize(("zone", "day"), [("Europe/Berlin", 29), ("America/New_York", 8)])
def test_a_slot_the_spring_change_skips_fires_once_an_hour_later(harness, zone, day):
    h = harness
    h.set_time(utc(2026, 3, day, 0) - timedelta(days=1))
    h.ok(f"/prompts schedule here daily 02:30 --tz {zone}", admin=True)
    sent = prompts_of(h.walk(days=3))
    local = [t.astimezone(__import__("zoneinfo").ZoneInfo(zone)) for t, _ in sent]
    assert [(t.day, t.hour, t.minute) for t in local] == [
        (day - 1, 2, 30),
        (day, 3, 30),  # 02:30 does not exist that night: the first instant after it
        (day + 1, 2, 30),
    ]


def test_prompts_rotate_without_repeats_until_the_pack_is_used_up(harness):
    h = harness
    h.set_time(utc(2026, 12, 1, 6))
    h.ok("/prompts schedule here daily 08:00 --pack retrospective", admin=True)
    pack = builtin().get("retrospective")
    assert pack is not None and len(pack.prompts) >= 12
    texts = [text for _, text in prompts_of(h.walk(days=len(pack.prompts) + 2))]
    assert texts[: len(pack.prompts)] == list(pack.prompts)  # in order, each once
    assert texts[len(pack.prompts) :] == list(pack.prompts[:2])  # then round two
    listed = h.ok("/prompts list", admin=True).reply.items[0]
    assert f"prompt 3 of {len(pack.prompts)}, round 2" in listed


def test_a_communitys_own_pack_rotates_too(harness):
    h = harness
    h.set_time(utc(2026, 12, 1, 6))
    h.ok("/prompts add What surprised you this week? --pack ours", admin=True)
    h.ok("/prompts add Who helped you, and how? --pack ours", admin=True)
    h.ok("/prompts schedule here daily 08:00 --pack ours", admin=True)
    texts = [text for _, text in prompts_of(h.walk(days=3))]
    assert texts == [
        "What surprised you this week?",
        "Who helped you, and how?",
        "What surprised you this week?",
    ]


def test_pause_stops_posting_and_resume_does_not_backfill(any_harness):
    h = any_harness
    h.set_time(utc(2026, 12, 1, 6))
    h.ok("/prompts schedule here daily 08:00", admin=True)
    assert len(h.walk(days=1)) == 1
    h.ok("/prompts pause 1", admin=True)
    assert "paused" in h.ok("/prompts list", admin=True).reply.items[0]
    assert h.walk(days=3) == []
    h.set_time(utc(2026, 12, 5, 9))  # after today's 08:00
    assert "missed times are not posted" in h.ok("/prompts resume 1", admin=True).reply.text
    assert h.walk(hours=22) == []
    sent = prompts_of(h.walk(hours=2))
    assert sent == [(utc(2026, 12, 6, 8), PACK.prompts[1])]  # the rotation carried on


def test_pausing_cancels_a_post_already_queued(harness):
    h = harness
    h.set_time(utc(2026, 12, 1, 7, 59))
    h.ok("/prompts schedule here daily 08:00", admin=True)
    h.set_time(utc(2026, 12, 1, 8))
    h.scheduler.dispatch()  # queued, not yet sent
    h.ok("/prompts pause 1", admin=True)
    assert h.pump() == []
    assert [d["status"] for d in h.rows("delivery")] == ["cancelled"]


def test_post_now_posts_the_next_prompt_and_leaves_the_timetable(harness):
    h = harness
    h.set_time(utc(2026, 12, 1, 6))
    h.ok("/prompts schedule #study-hall monday 09:00", admin=True)
    reply = h.ok("/prompts post-now 1", admin=True)
    assert PACK.prompts[0] in reply.reply.text
    sent = h.pump()
    assert [(t, p.channel, p.kind) for t, p in sent] == [
        (utc(2026, 12, 1, 6), "study-hall", "prompt")
    ]
    assert sent[0][1].nonce == f"d{h.rows('delivery')[0]['id']}"
    later = prompts_of(h.walk(days=7))
    assert later == [(utc(2026, 12, 7, 9), PACK.prompts[1])]
    # /reflect in that channel answers the latest prompt posted there
    answer = h.ok("/reflect small steps", channel="study-hall", as_user="ana")
    assert PACK.prompts[1] in answer.reply.text


def test_a_skip_date_posts_and_reminds_nothing_and_keeps_the_rotation(any_harness):
    h = any_harness
    h.set_time(utc(2026, 12, 21, 6))
    h.ok("/cohort setup --checkin-reminder 18:00", admin=True)
    h.ok("/prompts schedule here daily 08:00", admin=True)
    h.ok('/group create "Night Owls"', as_user="ana")
    h.ok('/group meet "Night Owls" thursday 20:00', as_user="ana")
    h.ok("/prompts skip 2026-12-24", admin=True)
    h.ok("/prompts skip 2026-12-25", admin=True)
    listed = h.ok("/prompts list", admin=True).reply.items[-1]
    assert listed == "Skip dates: Thu 24 Dec 2026, Fri 25 Dec 2026"
    sent = h.walk(days=6)
    days = sorted({t.day for t, _ in sent})
    assert 24 not in days and 25 not in days
    assert [text for _, text in prompts_of(sent)] == list(PACK.prompts[:4])  # 21, 22, 23, 26
    statuses = {(d["kind"], d["occurrence_key"][:10], d["status"]) for d in h.rows("delivery")}
    assert ("prompt", "2026-12-24", "skipped") in statuses
    assert ("meeting", "2026-12-24", "skipped") in statuses
    assert ("checkin", "2026-12-25", "skipped") in statuses
    assert "Skip dates" not in h.ok("/prompts list", admin=True).reply.items[-1]  # passed


def test_checkin_reminders_reach_only_who_has_not_checked_in_and_is_not_away(any_harness):
    h = any_harness
    h.set_time(utc(2026, 12, 1, 6))
    for user in ("ana", "ben", "cy", "dee"):
        h.ok("/me", as_user=user)
    h.ok("/me timezone America/New_York", as_user="dee")
    h.ok("/cohort setup --timezone Europe/Berlin --checkin-reminder 18:00", admin=True)
    h.ok("/checkin --mood 4", as_user="ana")
    h.ok("/me away 3d", as_user="ben")
    sent = h.walk(hours=24)
    reminders = [(t, p.to_members) for t, p in sent if p.title == "Check-in reminder"]
    assert reminders == [
        (utc(2026, 12, 1, 17), ("cy",)),  # 18:00 Berlin; ana checked in, ben is away
        (utc(2026, 12, 1, 23), ("dee",)),  # 18:00 in New York
    ]


def test_a_member_who_checks_in_before_the_send_is_not_reminded(harness):
    h = harness
    h.set_time(utc(2026, 12, 1, 16))
    h.ok("/me", as_user="ana")
    h.ok("/cohort setup --checkin-reminder 17:00", admin=True)
    h.set_time(utc(2026, 12, 1, 17))
    h.scheduler.dispatch()  # the reminder is queued for ana...
    h.ok("/checkin --mood 3", as_user="ana")  # ...who checks in before it goes out
    assert h.pump() == []
    assert [d["status"] for d in h.rows("delivery") if d["kind"] == "checkin"] == ["skipped"]


def test_reminders_follow_a_member_who_changes_zone(harness):
    h = harness
    h.set_time(utc(2026, 12, 1, 6))
    h.ok("/cohort setup --checkin-reminder 09:00", admin=True)
    h.ok("/me timezone Asia/Tokyo", as_user="ana")
    assert [(t, p.to_members) for t, p in h.walk(hours=24)] == [
        (utc(2026, 12, 2, 0), ("ana",)),  # 09:00 in Tokyo
    ]
    h.ok("/cohort setup --checkin-reminder off", admin=True)
    assert h.walk(days=2) == []
    assert h.rows("schedule") == []


def test_a_missed_fire_is_posted_late_inside_the_grace_window(harness):
    h = harness
    h.set_time(utc(2026, 12, 1, 6))
    h.ok("/prompts schedule here daily 08:00", admin=True)
    sent = h.jump(utc(2026, 12, 1, 8, 50))  # the bot was down at 08:00
    assert [(t, text) for t, text in prompts_of(sent)] == [
        (utc(2026, 12, 1, 8, 50), PACK.prompts[0])
    ]


def test_a_fire_missed_by_more_than_the_grace_window_is_skipped_with_a_log_line(harness, caplog):
    h = harness
    h.set_time(utc(2026, 12, 1, 6))
    h.ok("/prompts schedule here daily 08:00", admin=True)
    with caplog.at_level("WARNING", logger="bot.scheduler"):
        sent = h.jump(utc(2026, 12, 3, 9, 30))  # two days down
    assert sent == []
    assert [d["status"] for d in h.rows("delivery")] == ["expired", "expired", "expired"]
    assert "skipped, not posted late" in caplog.text
    assert prompts_of(h.walk(days=1)) == [(utc(2026, 12, 4, 8), PACK.prompts[0])]
    assert "was missed" in h.ok("/prompts list", admin=True).reply.items[0]


def test_the_grace_window_is_configurable(sqlite_url):
    from bot.scheduler import SchedulerSettings
    from tests.harness import make_harness

    h = make_harness(sqlite_url, utc(2026, 12, 1, 6), SchedulerSettings(grace=timedelta(hours=6)))
    h.ok("/prompts schedule here daily 08:00", admin=True)
    assert len(prompts_of(h.jump(utc(2026, 12, 1, 13)))) == 1


def test_a_failed_send_is_retried_with_backoff(harness):
    h = harness
    h.set_time(utc(2026, 12, 1, 6))
    h.ok("/prompts schedule here daily 08:00", admin=True)
    h.outbox.fail["general"] = [SendFailed("HTTP 502")] * 3
    sent = h.walk(hours=3)
    assert prompts_of(sent) == [(utc(2026, 12, 1, 8, 3, 30), PACK.prompts[0])]  # 30+60+120 s
    (row,) = h.rows("delivery")
    assert (row["status"], row["attempts"]) == ("sent", 4)


def test_after_the_last_try_the_organisers_are_told(harness):
    h = harness
    h.set_time(utc(2026, 12, 1, 6))
    h.ok("/me", as_user="org2")
    h.ok("/cohort setup --organiser org2", as_user="boss", admin=True)
    h.ok("/prompts schedule here daily 08:00", as_user="boss", admin=True)
    h.outbox.fail["general"] = [SendFailed("HTTP 500")] * 5
    sent = h.walk(hours=3)
    assert prompts_of(sent) == []
    (report,) = [p for _, p in sent]
    assert set(report.to_members) == {"boss", "org2"}
    assert "after 5 tries" in report.text and "HTTP 500" in report.text
    statuses = [(d["kind"], d["status"]) for d in h.rows("delivery")]
    assert statuses == [("prompt", "failed"), ("report", "sent")]
    assert "failed" in h.ok("/prompts list", as_user="boss", admin=True).reply.items[0]
    # the next day posts normally
    assert len(prompts_of(h.walk(days=1))) == 1


def test_a_permanent_failure_is_reported_at_once(harness):
    h = harness
    h.set_time(utc(2026, 12, 1, 6))
    h.ok("/prompts schedule #locked daily 08:00", as_user="boss", admin=True)
    h.outbox.fail["locked"] = [SendFailed("HTTP 403: Missing Access", permanent=True)]
    sent = h.walk(hours=3)
    assert [(t, p.to_members) for t, p in sent] == [(utc(2026, 12, 1, 8), ("boss",))]
    assert "Missing Access" in sent[0][1].text


def test_a_lost_lease_is_not_marked_sent_twice(any_harness):
    """Sender A claims and stalls past its lease; B takes over and sends; A's late 'sent'
    is refused by the fencing check, so the ledger shows one send by B."""
    h = any_harness
    h.set_time(utc(2026, 12, 1, 7, 59))
    h.ok("/prompts schedule here daily 08:00", admin=True)
    h.set_time(utc(2026, 12, 1, 8))
    h.scheduler.dispatch()
    a = h.scheduler
    b = type(a)(ledger=a.ledger, clock=a.clock, library=a.library, platform="console", owner="B")
    (claimed,) = a.claim()
    h.advance(seconds=61)
    (again,) = b.claim()
    assert again.id == claimed.id and again.attempts == 2
    from bot.ports import Finished

    assert b.finish([Finished(again, "sent", message_id="b1")]) == 1
    assert a.finish([Finished(claimed, "sent", message_id="a1")]) == 0
    (row,) = h.rows("delivery")
    assert (row["status"], row["lease_owner"], row["message_id"]) == ("sent", "B", "b1")
    assert len(h.rows("prompt_post")) == 1


def test_two_dispatchers_at_once_write_each_slot_once(any_harness):
    from concurrent.futures import ThreadPoolExecutor

    h = any_harness
    h.set_time(utc(2026, 12, 1, 6))
    for channel in range(20):
        h.ok(f"/prompts schedule #c{channel} daily 08:00", admin=True)
    h.set_time(utc(2026, 12, 3, 8, 30))  # three fires each
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda _: h.scheduler.dispatch(), range(4)))
    rows = h.rows("delivery")
    assert len(rows) == 60 == len({(r["schedule_id"], r["occurrence_key"]) for r in rows})
    assert {r["body"] for r in rows if r["status"] == "pending"} == {PACK.prompts[0]}


def meeting_reminders(sent):
    return [(t, p.text, p.mentions) for t, p in sent if p.title and "meets soon" in p.title]


def test_members_are_reminded_half_an_hour_before_a_weekly_meeting(any_harness):
    h = any_harness
    h.set_time(utc(2026, 12, 1, 6))  # a Tuesday
    h.ok('/group create "Linear Algebra"', as_user="ana")
    for user in ("ben", "cy"):
        h.ok('/group join "Linear Algebra"', as_user=user)
    h.ok("/me away 2026-12-01 2026-12-03", as_user="cy")
    reply = h.ok('/group meet "Linear Algebra" wednesday 18:00 --tz Europe/Berlin', as_user="ana")
    assert "every Wednesday at 18:00 Europe/Berlin" in reply.reply.text
    info = dict(h.ok('/group info "Linear Algebra"').reply.fields)
    assert info["Meets"].startswith("every Wednesday at 18:00 Europe/Berlin; next Wed 2 Dec 18:00")
    sent = meeting_reminders(h.walk(days=9))
    assert [(t, mentions) for t, _, mentions in sent] == [
        (utc(2026, 12, 2, 16, 30), ("ana", "ben")),  # cy is away that day
        (utc(2026, 12, 9, 16, 30), ("ana", "ben", "cy")),
    ]
    assert "meets at 18:00 Europe/Berlin (Wednesday 2 Dec), in 30m" in sent[0][1]


def test_a_meeting_reminder_lead_is_configurable_and_a_meeting_can_be_cancelled(harness):
    h = harness
    h.set_time(utc(2026, 12, 1, 6))
    h.ok('/group create "Proofs"', as_user="ana")
    h.ok("/group meet Proofs friday 10:00 --remind 120", as_user="ana")
    assert [t for t, _, _ in meeting_reminders(h.walk(days=4))] == [utc(2026, 12, 4, 8)]
    h.ok("/group meet Proofs friday 10:00 --remind 0", as_user="ana")  # replaces the meeting
    assert [t for t, _, _ in meeting_reminders(h.walk(days=7))] == [utc(2026, 12, 11, 10)]
    assert len([s for s in h.rows("schedule") if s["kind"] == "meeting"]) == 1
    h.ok("/group meet Proofs off", as_user="ana")
    assert meeting_reminders(h.walk(days=14)) == []


def test_a_meeting_soon_after_it_is_set_still_gets_its_reminder(harness):
    h = harness
    h.set_time(utc(2026, 12, 4, 9, 50))  # Friday, 10 minutes before the meeting
    h.ok('/group create "Proofs"', as_user="ana")
    h.ok("/group meet Proofs friday 10:00", as_user="ana")
    assert [t for t, _, _ in meeting_reminders(h.pump())] == [utc(2026, 12, 4, 9, 50)]


def test_only_the_creator_a_facilitator_or_an_organiser_sets_a_meeting(harness):
    h = harness
    h.ok('/group create "Proofs"', as_user="ana")
    h.ok('/group join "Proofs"', as_user="ben")
    assert "creator, its facilitator or an organiser" in h.fails(
        "/group meet Proofs friday 10:00", as_user="ben"
    )
    h.ok("/group role Proofs ben facilitator", as_user="ana")
    h.ok("/group meet Proofs friday 10:00", as_user="ben")
    h.ok("/group meet Proofs monday 10:00", as_user="boss", admin=True)


def test_an_archived_group_gets_no_more_reminders(harness):
    h = harness
    h.set_time(utc(2026, 12, 1, 6))
    h.ok('/group create "Proofs"', as_user="ana")
    h.ok("/group meet Proofs friday 10:00", as_user="ana")
    h.ok("/group archive Proofs", as_user="ana")
    assert h.walk(days=8) == []
    assert [s for s in h.rows("schedule") if s["kind"] == "meeting"] == []


def test_schedules_belong_to_their_community(harness):
    h = harness
    h.ok("/prompts schedule here monday 09:00", admin=True)
    other = "console:elsewhere"
    for verb in ("pause", "resume", "remove", "post-now"):
        message = h.fails(f"/prompts {verb} 1", admin=True, community=other)
        assert "no prompt schedule #1 here" in message
    assert "Nothing is scheduled" in h.ok("/prompts list", admin=True, community=other).reply.text


@pytest.mark.parametrize("zone", ["Europe/Berlin", "America/New_York", "Australia/Lord_Howe"])
@pytest.mark.parametrize(
    "start", [utc(2026, 3, 1), utc(2026, 3, 25), utc(2026, 9, 30), utc(2026, 10, 22)]
)
def test_every_time_of_day_fires_once_a_day_across_the_changes(zone, start):
    """CronTrigger 3.11.3, searched from a previous fire, skips a day across the spring
    change for times in hour 0 (a daily 00:10 Berlin went from 29 to 31 March)."""
    from zoneinfo import ZoneInfo

    from bot import timetable

    tz = ZoneInfo(zone)
    for hour in range(24):
        for minute in (0, 10, 30, 45):
            t = timetable.Timetable(None, hour, minute, 1, start.date(), zone)
            fire = timetable.first_fire(t, start)
            days = []
            for _ in range(14):
                local = fire.astimezone(tz)
                days.append(local.date())
                wall = (local.hour, local.minute)
                # the wall time itself, or the first instant after it when the change skips it
                assert (
                    wall == (hour, minute)
                    or local.utcoffset() != (local - timedelta(hours=3)).utcoffset()
                ), (zone, hour, minute, local)
                fire = timetable.next_fire(t, fire)
            first = days[0]
            assert days == [first + timedelta(days=i) for i in range(14)], (zone, hour, minute)


def test_setting_a_meeting_again_does_not_repeat_its_reminder(harness):
    h = harness
    h.set_time(utc(2026, 12, 4, 9, 30))  # Friday, the 10:00 meeting's reminder is due now
    h.ok('/group create "Proofs"', as_user="ana")
    h.ok("/group meet Proofs friday 10:00", as_user="ana")
    assert len(meeting_reminders(h.pump())) == 1
    h.advance(minutes=5)
    h.ok("/group meet Proofs friday 10:00 --remind 25", as_user="ana")  # a tweak, same meeting
    assert meeting_reminders(h.pump()) == []
    assert len([s for s in h.rows("schedule") if s["kind"] == "meeting"]) == 1


def test_a_post_whose_sender_died_is_not_reported_as_failed(harness):
    """Re-taking a dead sender's lease counts an attempt; only a real failure is reported."""
    h = harness
    h.set_time(utc(2026, 12, 1, 7, 59))
    h.ok("/prompts schedule here daily 08:00", as_user="boss", admin=True)
    h.set_time(utc(2026, 12, 1, 8))
    h.scheduler.dispatch()
    h.scheduler.claim()  # ...and the process dies holding the lease
    sent = h.jump(utc(2026, 12, 1, 9, 30))  # back after the grace window
    assert sent == []  # no post, and no report to the organisers either
    assert [(d["kind"], d["status"]) for d in h.rows("delivery")] == [("prompt", "expired")]
