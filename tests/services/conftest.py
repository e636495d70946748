"""Fixtures of the use-case tests."""

from tests.services.harness import desk
from tests.storage.conftest import database, postgresql_database, sqlite_database

__all__ = ["database", "desk", "postgresql_database", "sqlite_database"]
