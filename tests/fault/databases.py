"""Databases for the service processes: a SQLite file, or a fresh PostgreSQL database per run.

Every PostgreSQL run gets its own database (`replydesk_fault_<random>`), created empty so the
services' own migrations run, and dropped afterwards even if killed services left
connections open. The test process reads the service's tables with plain SQL through a
synchronous engine: counting is all it does.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path

import psycopg
import sqlalchemy as sa

POSTGRES_HOST = "127.0.0.1"
POSTGRES_PORT = 5432
POSTGRES_ADMIN = f"host={POSTGRES_HOST} port={POSTGRES_PORT} user=postgres dbname=test"


def sqlite_url(path: Path) -> str:
    """The service's DATABASE_URL for a SQLite file."""
    return f"sqlite+aiosqlite:///{path.as_posix()}"


def postgres_unavailable() -> str | None:
    """Why PostgreSQL cannot be used here, or None when a server answers."""
    try:
        with psycopg.connect(POSTGRES_ADMIN, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        return f"no PostgreSQL server answers at {POSTGRES_HOST}:{POSTGRES_PORT} ({exc})"
    return None


@contextlib.contextmanager
def fresh_postgres_database(prefix: str = "replydesk_fault") -> Iterator[str]:
    """Create an empty PostgreSQL database, yield its DATABASE_URL, drop it afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield (
            f"postgresql+psycopg://postgres@{POSTGRES_HOST}:{POSTGRES_PORT}/{name}"
            "?connect_timeout=5"
        )
    finally:
        with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as conn:
            # FORCE: a killed replica's connections may linger until the server notices.
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class Tables:
    """Read-only SQL over a service's tables, from the test process.

    Args:
        database_url: The service's DATABASE_URL (async driver); read with the sync one.
    """

    def __init__(self, database_url: str) -> None:
        sync_url = database_url.replace("sqlite+aiosqlite", "sqlite")
        self._engine = sa.create_engine(sync_url, poolclass=sa.pool.NullPool)

    def rows(self, sql: str, **params: object) -> list[dict[str, object]]:
        """The rows of a query, as mappings (an empty list if the table is not there yet)."""
        try:
            with self._engine.connect() as conn:
                return [dict(row) for row in conn.execute(sa.text(sql), params).mappings()]
        except (sa.exc.ProgrammingError, sa.exc.OperationalError):
            return []

    def count(self, table: str) -> int:
        """Rows in `table` (0 if the table is not there yet)."""
        found = self.rows(f"SELECT count(*) AS n FROM {table}")  # noqa: S608 - our own names
        return int(str(found[0]["n"])) if found else 0

    def column(self, sql: str, **params: object) -> Sequence[object]:
        """The first column of a query."""
        return [next(iter(row.values())) for row in self.rows(sql, **params)]

    def dispose(self) -> None:
        """Close the engine."""
        self._engine.dispose()
