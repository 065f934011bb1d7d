"""Unexpected errors: logged with context, answered briefly, never shown raw, nothing kept."""

from __future__ import annotations

import logging

from bot import core


def test_an_unexpected_error_is_logged_and_answered_briefly(harness, monkeypatch, caplog):
    harness.ok("/me", as_user="ana")

    def explode(ctx, **kw):
        ctx.store.add_offer(ctx.community_id, ctx.member_id, "half", "half", ctx.now)
        raise RuntimeError("secret internals: password=hunter2")

    monkeypatch.setitem(core.HANDLERS, ("tutor", "offer"), explode)
    before = harness.snapshot()
    with caplog.at_level(logging.ERROR, logger="bot.core"):
        outcome = harness.run("/tutor offer sql", as_user="ana")
    reply = outcome.reply
    assert reply.is_error and "something went wrong" in reply.text and "ref " in reply.text
    assert "hunter2" not in reply.text and "RuntimeError" not in reply.text
    (record,) = caplog.records
    ref = reply.text.split("ref ")[1][:8]
    assert ref in record.getMessage() and "/tutor offer" in record.getMessage()
    assert "console:test" in record.getMessage() and "by ana" in record.getMessage()
    assert record.exc_info and record.exc_info[0] is RuntimeError
    assert harness.snapshot() == before  # the half-done write was rolled back


def test_a_user_error_rolls_back_what_the_handler_wrote(harness, monkeypatch):
    from bot.errors import UserError

    def half_then_refuse(ctx, **kw):
        ctx.store.add_offer(ctx.community_id, ctx.member_id, "half", "half", ctx.now)
        raise UserError("No, and nothing changed.")

    harness.ok("/me", as_user="ana")
    monkeypatch.setitem(core.HANDLERS, ("tutor", "offer"), half_then_refuse)
    before = harness.snapshot()
    assert harness.fails("/tutor offer sql", as_user="ana") == "No, and nothing changed."
    assert harness.snapshot() == before
