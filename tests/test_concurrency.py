"""Several workers at once: one claim wins, a group never overfills, one check-in per day.

Threads share one Core (as Slack HTTP workers or Discord shards share one database), on
SQLite (BEGIN IMMEDIATE serialises writers) and on PostgreSQL (FOR UPDATE row locks).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

WORKERS = 8


def race(h, line: str, users: list[str]):
    """Every user runs ``line`` at once, each worker on a connection it already holds."""
    h.ok("/me", as_user="warmup")  # the community row exists before the race
    with ThreadPoolExecutor(WORKERS) as pool:
        list(pool.map(lambda u: h.ok("/me", as_user=u), users))  # members and connections
        return list(pool.map(lambda u: h.run(line, as_user=u), users))


def test_only_one_tutor_claims_a_request(any_harness):
    h = any_harness
    h.ok("/tutor request sql why do my joins duplicate rows", as_user="ana")
    outcomes = race(h, "/tutor claim 1", [f"tutor{i}" for i in range(WORKERS)])
    winners = [o for o in outcomes if not o.reply.is_error]
    assert len(winners) == 1
    assert all("is claimed" in o.reply.text for o in outcomes if o.reply.is_error)
    (request,) = h.rows("help_request")
    assert request["status"] == "claimed"


def test_a_group_never_takes_more_than_its_capacity(any_harness):
    h = any_harness
    h.ok('/group create "Small Group" --capacity 3', as_user="ana")
    outcomes = race(h, "/group join small group", [f"s{i}" for i in range(WORKERS)])
    assert sum(not o.reply.is_error for o in outcomes) == 2
    assert len(h.rows("membership")) == 3


def test_parallel_check_ins_of_one_member_make_one_row(any_harness):
    h = any_harness
    h.ok("/me", as_user="ana")
    with ThreadPoolExecutor(WORKERS) as pool:
        outcomes = list(
            pool.map(
                lambda m: h.run(f"/checkin --mood {m}", as_user="ana"), [1, 2, 3, 4, 5, 1, 2, 3]
            )
        )
    assert len(h.rows("checkin")) == 1
    assert [o.reply.text for o in outcomes if o.reply.is_error] == []  # losers retried


def test_one_members_parallel_writes_respect_per_member_limits(any_harness):
    h = any_harness
    h.ok("/tutor offer " + ", ".join(f"topic{i}" for i in range(19)), as_user="ana")
    with ThreadPoolExecutor(WORKERS) as pool:
        list(pool.map(lambda _: h.run("/me away 5d", as_user="ana"), range(WORKERS)))
        list(pool.map(lambda i: h.run(f"/tutor offer extra{i}", as_user="ana"), range(WORKERS)))
    assert len(h.rows("awayperiod")) == 1  # no overlapping away time
    assert len(h.rows("tutor_offer")) == 20  # the 20-topic cap holds
