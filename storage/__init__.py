"""Persistence for Cohort: sqlmodel tables, engines and sessions, Alembic migrations."""
