"""``send_to_each``: how every platform sends one post to several members."""

from __future__ import annotations

import asyncio

import pytest

from bot.scheduler import SendFailed, send_to_each


def sender(outcomes: dict[str, Exception | None], tried: list[str]):  # type: ignore[no-untyped-def]
    async def send(member: str) -> str:
        tried.append(member)
        problem = outcomes.get(member)
        if problem is not None:
            raise problem
        return f"m-{member}"

    return send


def test_a_member_who_refuses_does_not_stop_the_rest() -> None:
    tried: list[str] = []
    outcomes = {"a": SendFailed("dms closed", permanent=True)}
    assert asyncio.run(send_to_each(["a", "b"], sender(outcomes, tried))) == "m-b"
    assert tried == ["a", "b"]


def test_a_passing_failure_is_raised_after_all_were_tried() -> None:
    tried: list[str] = []
    with pytest.raises(SendFailed) as raised:
        asyncio.run(send_to_each(["a", "b"], sender({"a": SendFailed("503")}, tried)))
    assert tried == ["a", "b"] and not raised.value.permanent


def test_everyone_refusing_is_permanent_and_one_member_keeps_the_reason() -> None:
    both = {m: SendFailed("dms closed", permanent=True) for m in ("a", "b")}
    with pytest.raises(SendFailed, match="no member could") as raised:
        asyncio.run(send_to_each(["a", "b"], sender(both, [])))
    assert raised.value.permanent
    with pytest.raises(SendFailed, match="dms closed"):
        asyncio.run(send_to_each(["a"], sender(both, [])))
