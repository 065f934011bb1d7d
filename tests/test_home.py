"""The member's home (Slack's App Home) and the resend flag a nonce-less platform needs."""

from __future__ import annotations

from bot.scheduler import SendFailed
from bot.types import Actor
from tests.harness import Harness


def test_home_shows_me_and_the_open_requests_in_the_topics_i_offer(harness: Harness) -> None:
    h = harness
    h.ok('/group create "Linear Algebra"', as_user="bo")
    h.ok("/checkin --mood 4", as_user="bo")
    h.ok("/tutor offer recursion, graphs", as_user="bo")
    h.ok('/tutor request recursion "base case"', as_user="ana")
    h.ok('/tutor request sql "joins"', as_user="ana")  # not bo's topic
    h.ok('/tutor request graphs "my own"', as_user="bo")  # bo's own request
    home = h.core.home(h.community, Actor("bo", "bo"))
    fields = dict(home.fields)
    assert fields["Groups"].startswith("Linear Algebra") and fields["Streak"].startswith("1 day")
    assert home.items == ("#1 recursion: base case (asked by ana)",)
    assert [b.command for b in home.buttons] == ["/tutor claim 1"]
    assert "Open requests in your topics" in home.text
    nobody = h.core.home(h.community, Actor("cy", "cy"))
    assert nobody.items == () and "No open requests" in nobody.text


def test_a_retried_delivery_is_marked_as_a_resend(harness: Harness) -> None:
    h = harness
    h.ok("/prompts schedule here daily 09:00", as_user="boss", admin=True)
    h.outbox.fail["general"] = [SendFailed("connection reset (maybe sent)")]
    h.walk(hours=1, minutes=1)
    h.walk(minutes=5)
    ((_, post),) = h.outbox.sent
    assert post.resend is True and post.nonce == "d1"
    h.walk(days=1)
    assert h.outbox.sent[-1][1].resend is False  # the next day's is a first try
