"""Prompt packs: TOML files shipped in the ``prompts`` package, read once."""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path


@dataclass(frozen=True)
class Pack:
    name: str
    title: str
    description: str
    prompts: tuple[str, ...]


class PromptLibrary:
    """The built-in packs, loaded from a directory of ``*.toml`` files."""

    def __init__(self, packs: dict[str, Pack]) -> None:
        self._packs = packs

    @classmethod
    def from_directory(cls, directory: Path) -> PromptLibrary:
        packs = {}
        for path in sorted(directory.glob("*.toml")):
            data = tomllib.loads(path.read_text(encoding="utf-8"))
            pack = Pack(data["name"], data["title"], data["description"], tuple(data["prompts"]))
            packs[pack.name] = pack
        return cls(packs)

    def packs(self) -> list[Pack]:
        return list(self._packs.values())

    def get(self, name: str) -> Pack | None:
        return self._packs.get(name)

    def prompts(self, name: str, custom: Callable[[], Sequence[str]]) -> Sequence[str]:
        """A built-in pack's prompts, else the community's own (``custom`` reads them)."""
        pack = self._packs.get(name)
        return pack.prompts if pack else custom()


@functools.cache
def builtin() -> PromptLibrary:
    """The packs that ship with Cohort."""
    return PromptLibrary.from_directory(Path(str(resources.files("prompts"))))
