"""The database handle: engine set-up per dialect, migrations, and units of work."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import event, text
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry

from bot.errors import InputError
from bot.storage.unit_of_work import UnitOfWork

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
# Connections per process: the queue workers (14 by default) plus requests in flight. At
# most 30 a process, so three replicas fit PostgreSQL's default max_connections of 100.
POOL_SIZE = 20
POOL_OVERFLOW = 10
# A request waits this long for a connection before the caller answers 503 (storage busy).
POOL_TIMEOUT_SECONDS = 5.0


def alembic_config(connection: Connection | None = None) -> Config:
    """Build the Alembic configuration in code, pointing at the migrations shipped in `bot`.

    Args:
        connection: A connection for env.py to migrate on, instead of opening its own.
    """
    config = Config()
    # Config values go through configparser interpolation, where "%" is special.
    config.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


# Any fixed number: the PostgreSQL advisory lock replicas take around migrating.
_MIGRATION_LOCK = 0x7265706C79  # "reply"


def _upgrade_to_head(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        # Replicas starting together migrate one after another: the first upgrades, the
        # rest wait here and then find the schema at head. Released when the transaction ends.
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
    command.upgrade(alembic_config(connection), "head")


def _sqlite_file(url: URL) -> Path | None:
    database = url.database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        return None
    return Path(database)


def _configure_sqlite(engine: AsyncEngine, busy_timeout_ms: int) -> None:
    """Make SQLite behave under concurrent writers in one process.

    WAL lets readers go on while one connection writes; the busy timeout makes a second
    writer wait for the lock instead of failing with "database is locked". The driver's own
    transaction handling is switched off so each transaction starts with BEGIN IMMEDIATE:
    taking the write lock up front is what lets the busy timeout apply, because SQLite
    cannot wait when a reading transaction later tries to become a writer.
    """

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {busy_timeout_ms:d}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


class Database:
    """Owns the async engine for one database URL and hands out units of work.

    Supports `sqlite+aiosqlite:///path/file.sqlite3` and `postgresql+psycopg://...`. Creating
    it does no I/O; `migrate()` prepares the schema and `dispose()` closes the pool.

    Usage::

        db = Database(settings.resolved_database_url())
        await db.migrate()
        async with db.unit_of_work() as uow:
            ...
        await db.dispose()
    """

    def __init__(self, url: str, *, echo: bool = False, busy_timeout: float = 30.0) -> None:
        """Set up the engine; nothing connects yet.

        Args:
            url: SQLAlchemy URL with an async driver.
            echo: Log every SQL statement (debugging only: statements carry customer text).
            busy_timeout: Seconds a SQLite writer waits for another's lock before failing.

        Raises:
            InputError: The URL names an in-memory SQLite database, which every pooled
                connection would see as a different, empty database.
        """
        self._url = make_url(url)
        self._is_sqlite = self._url.get_backend_name() == "sqlite"
        if self._is_sqlite and _sqlite_file(self._url) is None:
            raise InputError("SQLite needs a plain file path; in-memory and file: URIs are refused")
        # Every queue worker and each request in flight holds a connection for a moment; a
        # pool smaller than that makes requests queue for connections under load, and
        # overflow connections closed on return are reopened again and again.
        self._engine = create_async_engine(
            self._url,
            echo=echo,
            pool_pre_ping=not self._is_sqlite,
            pool_size=POOL_SIZE,
            max_overflow=POOL_OVERFLOW,
            pool_timeout=POOL_TIMEOUT_SECONDS,
        )
        if self._is_sqlite:
            _configure_sqlite(self._engine, round(busy_timeout * 1000))

    @property
    def engine(self) -> AsyncEngine:
        """The underlying engine, for wiring that needs it (health checks, metrics)."""
        return self._engine

    def unit_of_work(self) -> UnitOfWork:
        """Return a new, unopened unit of work; open it with `async with`."""
        return UnitOfWork(self._engine)

    async def migrate(self) -> None:
        """Bring the schema to the newest Alembic revision, creating a SQLite file if needed."""
        if self._is_sqlite:
            _create_parent_directory(self._url)
        async with self._engine.begin() as conn:
            await conn.run_sync(_upgrade_to_head)

    async def dispose(self) -> None:
        """Close every pooled connection; call once on shutdown."""
        await self._engine.dispose()


def _create_parent_directory(url: URL) -> None:
    path = _sqlite_file(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
