"""The migrations build exactly the schema the models declare, and can be undone."""

from __future__ import annotations

import warnings

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlmodel import SQLModel

import storage.models  # noqa: F401
from storage import migrate
from storage.engine import make_engine

EXPRESSION_INDEX = "uq_checkin_member_day_group"


def _diff(url: str) -> list:
    """What autogenerate would change; SQLAlchemy cannot reflect expression indexes."""
    engine = make_engine(url)
    with warnings.catch_warnings(), engine.connect() as conn:
        warnings.filterwarnings("ignore", message=".*expression-based index")
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    engine.dispose()
    return [d for d in diff if not (d[0] == "add_index" and d[1].name == EXPRESSION_INDEX)]


def test_sqlite_schema_matches_models(sqlite_url):
    engine = make_engine(sqlite_url)
    migrate.upgrade(engine)
    engine.dispose()
    assert _diff(sqlite_url) == []


def test_postgres_schema_matches_models(pg_url):
    assert _diff(pg_url) == []  # the fixture already upgraded it
    engine = make_engine(pg_url)
    assert EXPRESSION_INDEX in {i["name"] for i in inspect(engine).get_indexes("checkin")}
    engine.dispose()


def test_the_expression_index_exists_and_downgrade_removes_everything(sqlite_url):
    engine = make_engine(sqlite_url)
    migrate.upgrade(engine)
    with engine.connect() as conn:
        found = conn.exec_driver_sql(
            "select name from sqlite_master where type = 'index' and name = ?",
            (EXPRESSION_INDEX,),
        ).first()
    assert found is not None
    config = migrate.alembic_config(sqlite_url)
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "base")
    assert set(inspect(engine).get_table_names()) == {"alembic_version"}
    engine.dispose()
