"""What to offer while someone types an option: group names, topics, request ids, zones.

Platforms with autocomplete (Discord) ask for these; they are plain reads, cut to what a
platform shows at once (Discord: 25 choices, labels of at most 100 characters).
"""

from __future__ import annotations

from dataclasses import dataclass

from bot import timetable, zones
from bot.packs import PromptLibrary
from bot.ports import Store
from bot.text import normalise_key, shorten

LIMIT = 25
LABEL_MAX = 100
SCAN = 200  # rows read per kind before filtering by what was typed


@dataclass(frozen=True)
class Suggestion:
    """One choice: what the person sees, and the value the option gets."""

    label: str
    value: str | int


def _matching(typed: str, pairs: list[tuple[str, str | int]]) -> list[Suggestion]:
    """Those whose label starts with ``typed`` first, then those containing it."""
    key = normalise_key(typed).lstrip("#")  # "#3" and "3" both find request 3
    keyed = [(normalise_key(p[0]).lstrip("#"), p) for p in pairs]
    starts = [p for k, p in keyed if k.startswith(key)]
    within = [p for k, p in keyed if key in k and not k.startswith(key)]
    return [Suggestion(shorten(label, LABEL_MAX), value) for label, value in starts + within][
        :LIMIT
    ]


def zones_for(typed: str) -> list[Suggestion]:
    names = sorted(zones.zone_names())
    return _matching(typed.replace(" ", "_"), [(n, n) for n in names])


def packs_for(
    typed: str, library: PromptLibrary, store: Store | None, community_id: int
) -> list[Suggestion]:
    names = [p.name for p in library.packs()]
    if store is not None:
        names += [name for name, _ in store.custom_pack_sizes(community_id)]
    return _matching(typed, [(n, n) for n in dict.fromkeys(names)])


def suggest(
    store: Store, community_id: int, member_id: int | None, kind: str, typed: str
) -> list[Suggestion]:
    """Suggestions of ``kind`` ("group", "topic", "request", "schedule") in a community."""
    if kind == "group":
        visible = member_id if member_id is not None else 0
        rows, _ = store.groups_page(community_id, visible_to=visible, offset=0, limit=SCAN)
        return _matching(typed, [(g.name, g.name) for g in rows])
    if kind == "topic":
        # "/tutor offer recursion, sq": complete the last of the comma-separated topics.
        head, comma, last = typed.rpartition(",")
        found = _matching(last, [(t, t) for t in store.topics(community_id, limit=SCAN)])
        if not comma:
            return found
        before = f"{head.strip()}, "
        return [
            Suggestion(before + str(t.value), before + str(t.value))
            for t in found
            if len(before) + len(str(t.value)) <= LABEL_MAX
        ]
    if kind == "request":
        mine = store.requests_involving(member_id) if member_id is not None else []
        queue = store.open_requests(community_id, None, limit=SCAN)
        unique = {int(r.id): r for r in [*mine, *queue]}  # one's own (claimed too) first
        pairs: list[tuple[str, str | int]] = [
            (f"#{i} {r.topic}: {r.details}", i) for i, r in unique.items()
        ]
        return _matching(typed, pairs)
    if kind == "schedule":
        timetables = store.schedules(community_id)
        return _matching(
            typed, [(f"#{s.id} {s.kind} {timetable.describe(s)}", int(s.id)) for s in timetables]
        )
    return []
