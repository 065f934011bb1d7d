"""Settings: the example file documents every setting; the environment overrides the file."""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
import time
import tomllib
from dataclasses import fields
from pathlib import Path

import pytest

from adapters import config
from adapters.bootstrap import SchemaOutOfDate, bootstrap
from bot import core as core_module
from storage import migrate
from storage.engine import make_engine

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "config.example.toml"


def test_the_example_documents_every_setting_and_loads():
    data = tomllib.loads(EXAMPLE.read_text())
    documented = {f"{section}_{key}" for section, table in data.items() for key in table}
    assert documented == {f.name for f in fields(config.Settings)}
    assert config.load(str(EXAMPLE), env={}) == config.Settings()


def test_environment_overrides_the_file(tmp_path):
    file = tmp_path / "c.toml"
    file.write_text('[storage]\nurl = "sqlite:///from-file.db"\nauto_migrate = false\n')
    env = {
        "COHORT_CONFIG": str(file),
        "COHORT_DATABASE_URL": "postgresql+psycopg://x@h/db",
        "COHORT_LOGGING_LEVEL": "debug",
    }
    settings = config.load(None, env=env)
    assert settings.storage_url == "postgresql+psycopg://x@h/db"
    assert settings.storage_auto_migrate is False and settings.logging_level == "debug"
    explicit = {**env, "COHORT_STORAGE_URL": "sqlite:///explicit.db"}
    assert config.load(None, env=explicit).storage_url == "sqlite:///explicit.db"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[storage]\nurl = \n", "not valid TOML"),
        ("[storage]\ncolour = 'red'\n", "Unknown setting [storage] colour"),
        ("[storage]\nauto_migrate = 'maybe'\n", "must be true or false"),
        ("[storage]\nsqlite_synchronous = 'sometimes'\n", "sqlite_synchronous must be"),
        ("[scheduler]\ngrace_minutes = 'soon'\n", "[scheduler] grace_minutes must be a whole"),
        ("[scheduler]\nlease_seconds = 1\n", "lease_seconds must be a whole number from 5"),
        ("[scheduler]\nmax_attempts = true\n", "max_attempts must be a whole number"),
    ],
)
def test_bad_settings_are_named(tmp_path, text, message):
    file = tmp_path / "c.toml"
    file.write_text(text)
    with pytest.raises(config.ConfigError, match=re.escape(message)):
        config.load(str(file), env={})


def test_scheduler_settings_come_from_the_file_and_the_environment(tmp_path):
    file = tmp_path / "c.toml"
    file.write_text("[scheduler]\ngrace_minutes = 90\nmax_attempts = 3\n")
    settings = config.load(str(file), env={"COHORT_SCHEDULER_LEASE_SECONDS": "30"})
    tuned = config.scheduler_settings(settings)
    assert (tuned.grace.total_seconds(), tuned.lease.total_seconds(), tuned.max_attempts) == (
        5400,
        30,
        3,
    )


def test_db_flag_takes_a_path_or_a_url():
    settings = config.Settings()
    assert config.database_url("data/x.db", settings) == "sqlite:///data/x.db"
    assert config.database_url("postgresql+psycopg://h/db", settings).startswith("postgresql")
    assert config.database_url(None, settings) == settings.storage_url


def test_postgres_is_never_migrated_implicitly(pg_base_url, pg_url):
    engine = make_engine(pg_url)
    from alembic import command

    cfg = migrate.alembic_config(pg_url)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "base")
    with pytest.raises(SchemaOutOfDate, match="cohort db upgrade"):
        bootstrap(pg_url)
    cli = subprocess.run(
        [sys.executable, "-m", "adapters.cli", "db", "upgrade", "--db", pg_url],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert cli.returncode == 0, cli.stderr
    assert f"Schema is at {migrate.head()}" in cli.stdout
    assert not migrate.needs_upgrade(engine)
    engine.dispose()
    bootstrap(pg_url).uow.dispose()  # type: ignore[attr-defined]


def test_sqlite_is_migrated_on_start(tmp_path):
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    core = bootstrap(url)
    assert not migrate.needs_upgrade(core.uow.write_engine)  # type: ignore[attr-defined]
    core.uow.dispose()  # type: ignore[attr-defined]


def test_handle_async_keeps_the_event_loop_free(harness, monkeypatch):
    harness.ok("/me")
    original = core_module.HANDLERS[("me",)]

    def slow(ctx):
        time.sleep(0.3)  # a slow store
        return original(ctx)

    monkeypatch.setitem(core_module.HANDLERS, ("me",), slow)
    invocation = harness.core.parse(
        "/me", community=harness.community, channel="general", actor=harness.actor("ana")
    )

    async def scenario():
        ticks = 0

        async def ticker():
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        task = asyncio.create_task(ticker())
        outcome = await harness.core.handle_async(invocation)
        task.cancel()
        return outcome, ticks

    outcome, ticks = asyncio.run(scenario())
    assert outcome.reply.title == "You"
    assert ticks >= 10  # the loop kept running while the command slept in its thread
