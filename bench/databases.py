"""The databases a benchmark runs on: a temporary SQLite file, then PostgreSQL if asked."""

from __future__ import annotations

import asyncio
import resource
import tempfile
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.engine import make_url

from tests.pg import fresh_schema


def each(pg: str | None, run: Callable[[str], Awaitable[Any]], report: Callable[..., None]) -> None:
    """``report(title, await run(url))`` on SQLite, then on a fresh schema at ``pg``."""
    with tempfile.TemporaryDirectory(prefix="cohort-bench-") as folder:
        report("SQLite (temp file)", asyncio.run(run(f"sqlite:///{folder}/cohort.db")))
    if pg:
        with fresh_schema(pg, "cohort_bench") as url:
            report(f"PostgreSQL ({make_url(pg).render_as_string()})", asyncio.run(run(url)))


def peak_rss() -> str:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    return f"peak RSS of this process so far: {peak:.0f} MiB"
