"""Autocomplete suggestions: what a person is offered while typing an option."""

from __future__ import annotations

from tests.harness import Harness


def labels(found: list) -> list[str]:
    return [s.label for s in found]


def test_group_names_match_the_start_first_then_anywhere(any_harness: Harness) -> None:
    h = any_harness
    for name in ("Linear Algebra", "Algebra II", "Proof Club"):
        h.ok(f'/group create "{name}"')
    h.ok('/group create "Secret Society" --private', as_user="bo")
    found = h.core.suggest(h.community, "ana", "group", "alg")
    assert labels(found) == ["Algebra II", "Linear Algebra"]
    assert [s.value for s in found] == ["Algebra II", "Linear Algebra"]
    assert "Secret Society" not in labels(h.core.suggest(h.community, "ana", "group", ""))
    assert "Secret Society" in labels(h.core.suggest(h.community, "bo", "group", "sec"))


def test_topics_are_offered_or_asked_about_most_used_first(any_harness: Harness) -> None:
    h = any_harness
    h.ok("/tutor offer recursion, SQL joins", as_user="bo")
    h.ok("/tutor offer recursion", as_user="cy")
    h.ok('/tutor request graphs "BFS or DFS?"')
    assert labels(h.core.suggest(h.community, "ana", "topic", "")) == [
        "recursion",
        "graphs",
        "SQL joins",
    ]
    assert labels(h.core.suggest(h.community, "ana", "topic", "sql")) == ["SQL joins"]


def test_request_ids_come_with_their_topic_and_mine_first(any_harness: Harness) -> None:
    h = any_harness
    h.ok("/tutor offer recursion", as_user="bo")
    h.ok('/tutor request recursion "base case never triggers"')
    h.ok('/tutor request recursion "stack overflow"', as_user="cy")
    first, second = h.rows("help_request")[0]["id"], h.rows("help_request")[1]["id"]
    h.ok(f"/tutor claim {second}", as_user="bo")
    found = h.core.suggest(h.community, "bo", "request", "")
    assert [s.value for s in found] == [second, first]  # bo's claimed one, then the queue
    assert labels(found)[1] == f"#{first} recursion: base case never triggers"
    assert [s.value for s in h.core.suggest(h.community, "ana", "request", f"#{first}")] == [first]


def test_zones_and_packs_need_no_community(harness: Harness) -> None:
    h = harness
    zones = h.core.suggest("discord:new", "ana", "timezone", "europe/ber")
    assert labels(zones) == ["Europe/Berlin"]
    assert len(h.core.suggest("discord:new", "ana", "timezone", "")) == 25
    assert "weekly-reflection" in labels(h.core.suggest("discord:new", "ana", "pack", "week"))
    assert h.core.suggest("discord:new", "ana", "group", "") == []
    assert h.rows("community") == []  # suggesting wrote nothing


def test_another_communitys_data_is_never_suggested(harness: Harness) -> None:
    h = harness
    h.ok('/group create "Linear Algebra"')
    h.ok("/tutor offer recursion")
    other = "console:other"
    h.ok("/me", community=other)
    for kind in ("group", "topic", "request", "schedule"):
        assert h.core.suggest(other, "ana", kind, "") == []


def test_a_long_label_is_cut_to_discords_100_characters(harness: Harness) -> None:
    h = harness
    h.ok("/tutor request recursion " + "why " * 200)
    (found,) = h.core.suggest(h.community, "ana", "request", "")
    assert len(found.label) == 100 and found.label.endswith("…")


def test_schedules_are_suggested_to_organisers_only(harness: Harness) -> None:
    h = harness
    h.ok("/prompts schedule here monday 09:00", as_user="boss", admin=True)
    h.ok("/me", as_user="ana")
    assert h.core.suggest(h.community, "ana", "schedule", "") == []
    (found,) = h.core.suggest(h.community, "boss", "schedule", "", admin=True)
    assert found.label.startswith(f"#{found.value} prompt every Monday at 09:00")


def test_a_comma_list_of_topics_completes_its_last_topic(harness: Harness) -> None:
    h = harness
    h.ok("/tutor offer recursion, SQL joins", as_user="bo")
    found = h.core.suggest(h.community, "ana", "topic", "graphs,  sq")
    assert [(s.label, s.value) for s in found] == [("graphs, SQL joins", "graphs, SQL joins")]
