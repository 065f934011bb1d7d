"""Fixtures: a harness over a fresh SQLite file, and over PostgreSQL when it is reachable.

PostgreSQL tests use ``COHORT_TEST_PG_URL`` (default: the local server, database ``test``),
each in a schema of its own. Without a server they skip with the reason, except under
``CI=true``, where a missing server is an error.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.harness import Harness, make_harness
from tests.pg import fresh_schema

PG_URL = os.environ.get("COHORT_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
START = datetime(2026, 9, 7, 8, 0, tzinfo=UTC)  # Monday of the first week of term


def _pg_unavailable() -> str | None:
    try:
        engine = create_engine(PG_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        engine.dispose()
    except Exception as error:  # any failure to reach the server
        return f"PostgreSQL at {make_url(PG_URL).render_as_string()} unreachable: {error}"
    return None


@pytest.fixture(scope="session")
def pg_base_url() -> str:
    reason = _pg_unavailable()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI needs PostgreSQL: {reason}")
        pytest.skip(reason)
    return PG_URL


@pytest.fixture
def pg_url(pg_base_url: str) -> Iterator[str]:
    """A URL whose connections live in a fresh schema, dropped afterwards."""
    with fresh_schema(pg_base_url) as url:
        yield url


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'cohort.db'}"


def _harness(url: str) -> Iterator[Harness]:
    harness = make_harness(url, START)
    yield harness
    harness.core.uow.dispose()  # type: ignore[attr-defined]
    harness.scheduler.ledger.dispose()  # type: ignore[attr-defined]


@pytest.fixture
def harness(sqlite_url: str) -> Iterator[Harness]:
    """A harness over a real SQLite file."""
    yield from _harness(sqlite_url)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_harness(request: pytest.FixtureRequest) -> Iterator[Harness]:
    """The same harness on SQLite and on PostgreSQL: store tests run on both."""
    url = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url")
    yield from _harness(url)
