"""Blockers find tutors by whole-word topics."""

from bot.services.checkins import topic_candidates


def test_candidates_are_word_runs_without_edge_punctuation():
    found = topic_candidates("Stuck on SQL joins, again!")
    assert {"sql", "sql joins", "joins", "again", "stuck on sql joins again"} <= set(found)
    assert "postgresql" not in topic_candidates("postgres and sql")


def test_a_blocker_finds_multi_word_and_symbol_topics(harness):
    harness.ok("/tutor offer SQL joins, c++, node.js", as_user="tia")
    harness.ok("/tutor offer sql", as_user="sam")
    items = harness.ok('/checkin --blockers "my (SQL joins) and C++ templates"').reply.items
    assert "Tutors for SQL joins: tia" in items and "Tutors for c++: tia" in items
    assert "Tutors for sql: sam" in items
    none = harness.ok('/checkin --blockers "postgresql vacuum"').reply.items
    assert none[0].startswith("No tutor offers a topic matching your blockers yet")
