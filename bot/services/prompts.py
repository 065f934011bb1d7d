"""Prompt packs: the built-in ones and each community's own."""

from __future__ import annotations

import re

from bot.context import Context
from bot.errors import UserError
from bot.text import clean_name, normalise_key
from bot.types import Reply

PACK_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")


def packs(ctx: Context) -> Reply:
    builtin = [
        f"{p.name} - {p.title}: {len(p.prompts)} prompts. {p.description}"
        for p in ctx.library.packs()
    ]
    own = ctx.store.custom_pack_sizes(ctx.community_id)
    custom = [f"{name} - this community's own: {count} prompts" for name, count in own]
    return Reply(
        f"{len(builtin) + len(custom)} packs.", title="Prompt packs", items=tuple(builtin + custom)
    )


def add(ctx: Context, *, text: str, pack: str | None) -> Reply:
    name = (pack or "custom").strip().lower()
    if not PACK_NAME.match(name):
        raise UserError(
            "A pack name uses lowercase letters, digits and dashes, e.g. --pack team-retro."
        )
    if ctx.library.get(name) is not None:
        raise UserError(
            f"{name} is a built-in pack and can't be changed. Add to a pack of your "
            "own, e.g. --pack our-reflection."
        )
    text = clean_name(text)
    existing = {normalise_key(p) for p in ctx.store.custom_prompts(ctx.community_id, name)}
    if normalise_key(text) in existing:
        raise UserError(f"{name} already has that prompt.")
    ctx.store.add_custom_prompt(ctx.community_id, name, text, ctx.member_id, ctx.now)
    return Reply(f"Added to {name} (now {len(existing) + 1} prompts).")
