"""Cohort's platform-neutral core: catalogue, neutral types and services.

Nothing in this package imports a chat platform library, a database driver,
or the ``storage``/``adapters`` packages (``tests/test_layering.py`` checks).
"""
