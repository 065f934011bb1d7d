"""The dependency rule: bot/ imports no platform library, no database library, no outer layer."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN_IN_BOT = {
    "discord",
    "slack_bolt",
    "slack_sdk",
    "aiohttp",  # platforms
    "sqlite3",
    "psycopg",
    "psycopg2",
    "asyncpg",
    "aiosqlite",  # database drivers
    "sqlalchemy",
    "sqlmodel",
    "alembic",  # the core sees storage only through bot.ports
    "adapters",
    "storage",  # outer layers import the core, never the reverse
}


def imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    roots = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


BOT_FILES = sorted((ROOT / "bot").rglob("*.py"))


@pytest.mark.parametrize("path", BOT_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_core_module_imports_nothing_forbidden(path: Path) -> None:
    assert not imported_roots(path) & FORBIDDEN_IN_BOT


def test_the_rule_catches_a_forbidden_import(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("import os\nfrom sqlmodel import Session\nimport discord.ext\n")
    assert imported_roots(sample) & FORBIDDEN_IN_BOT == {"sqlmodel", "discord"}


def test_storage_does_not_import_adapters() -> None:
    for path in sorted((ROOT / "storage").rglob("*.py")):
        assert "adapters" not in imported_roots(path), path


def test_the_walk_found_the_core() -> None:
    names = {p.name for p in BOT_FILES}
    assert {"core.py", "catalogue.py", "grammar.py", "groups.py"} <= names
