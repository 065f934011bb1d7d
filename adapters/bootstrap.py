"""The composition root: the one place concrete storage, clock and packs meet the core."""

from __future__ import annotations

import logging

from bot.clock import Clock, SystemClock
from bot.core import Core
from bot.packs import builtin
from bot.scheduler import Scheduler, SchedulerSettings
from storage import migrate
from storage.engine import SqlUnitOfWork, is_in_memory
from storage.ledger import SqlLedger

log = logging.getLogger(__name__)


class SchemaOutOfDate(Exception):
    """The PostgreSQL schema is behind this code; ``cohort db upgrade`` fixes it."""


def bootstrap(
    url: str, *, clock: Clock | None = None, synchronous: str = "NORMAL", auto_migrate: bool = True
) -> Core:
    """Build a Core over ``url``. SQLite is migrated on start; PostgreSQL must be upgraded."""
    uow = SqlUnitOfWork(url, synchronous=synchronous)
    if migrate.needs_upgrade(uow.write_engine):
        if uow.sqlite and auto_migrate:
            log.info("migrating %s to %s", url, migrate.head())
            migrate.upgrade(uow.write_engine)
        else:
            uow.dispose()
            raise SchemaOutOfDate(
                "The database schema is not up to date. Run: cohort db upgrade --db '<url>'"
            )
    return Core(uow=uow, clock=clock or SystemClock(), library=builtin())


def scheduler_for(
    core: Core, *, platform: str, settings: SchedulerSettings | None = None
) -> Scheduler:
    """The scheduler over the same database as ``core``; its ledger syncs fully on SQLite."""
    uow = core.uow
    assert isinstance(uow, SqlUnitOfWork)
    shared = uow.write_engine if is_in_memory(uow.url) else None  # one in-memory database
    return Scheduler(
        ledger=SqlLedger(uow.url, engine=shared),
        clock=core.clock,
        library=core.library,
        platform=platform,
        settings=settings,
    )
