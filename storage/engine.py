"""Engines and units of work: SQLite (embedded default) or PostgreSQL by URL.

SQLite gets WAL, a busy timeout, foreign keys and ``BEGIN IMMEDIATE`` for every write
transaction (a deferred BEGIN that later writes is not covered by the busy handler under WAL,
measured in ../shared/scheduling-storage.md 2.5). Read-only commands use a second engine whose
transactions begin deferred, so readers never queue behind the write lock.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.pool import StaticPool
from sqlmodel import Session, create_engine

from bot.ports import Conflict
from storage.store import SqlStore

BUSY_TIMEOUT_MS = 5000


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def is_in_memory(url: str) -> bool:
    """``sqlite://`` or ``:memory:``: one private database per connection."""
    return is_sqlite(url) and make_url(url).database in (None, "", ":memory:")


def make_engine(
    url: str, *, immediate: bool = True, synchronous: str = "FULL", echo: bool = False
) -> Engine:
    """An engine for ``url``; for SQLite, ``immediate`` picks the write-lock-first BEGIN."""
    if not is_sqlite(url):
        return create_engine(url, echo=echo, pool_pre_ping=True)
    # An in-memory database lives in one connection, so every session must share it.
    pool = {"poolclass": StaticPool} if is_in_memory(url) else {}
    engine = create_engine(
        url,
        echo=echo,
        connect_args={"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
        **pool,
    )

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # SQLAlchemy emits BEGIN itself (below)
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


class SqlUnitOfWork:
    """The ``bot.ports.UnitOfWork`` over SQLAlchemy sessions."""

    def __init__(self, url: str, *, synchronous: str = "NORMAL") -> None:
        self.url = url
        self.sqlite = is_sqlite(url)
        self.write_engine = make_engine(url, immediate=True, synchronous=synchronous)
        separate_reader = self.sqlite and not is_in_memory(url)
        self.read_engine = (
            make_engine(url, immediate=False, synchronous=synchronous)
            if separate_reader
            else self.write_engine
        )

    @contextmanager
    def begin(self, *, write: bool) -> Iterator[SqlStore]:
        engine = self.write_engine if write else self.read_engine
        with Session(engine, expire_on_commit=False, autoflush=True) as session:
            store = SqlStore(session, lock_rows=write and not self.sqlite)
            try:
                yield store
                if write:
                    session.commit()
                else:
                    session.rollback()
            except IntegrityError as error:
                session.rollback()
                raise Conflict(str(error.orig)) from error
            except BaseException:
                session.rollback()
                raise

    def dispose(self) -> None:
        self.write_engine.dispose()
        if self.read_engine is not self.write_engine:
            self.read_engine.dispose()
