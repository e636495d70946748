"""Alembic environment for ReplyDesk, async-aware.

`Database.migrate()` hands over an open connection in `config.attributes["connection"]`
and this file migrates on it. Run from the command line instead, it opens its own engine
through `Database` (so SQLite gets the same WAL and locking set-up) and drives it with
`asyncio.run`:

    alembic -c bot/migrations/alembic.ini -x url=sqlite+aiosqlite:///dev.sqlite3 upgrade head
"""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from bot.storage.database import Database
from bot.storage.tables import metadata


def run_on(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        compare_type=True,
        # SQLite cannot ALTER most things; batch mode rebuilds the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_standalone(url: str) -> None:
    database = Database(url)
    try:
        async with database.engine.begin() as conn:
            await conn.run_sync(run_on)
    finally:
        await database.dispose()


def command_line_url() -> str:
    url = context.get_x_argument(as_dictionary=True).get("url")
    url = url or context.config.get_main_option("sqlalchemy.url")
    if not url:
        raise SystemExit("give the database as: alembic -x url=<sqlalchemy url> ...")
    return url


def run_offline(url: str) -> None:
    context.configure(url=url, target_metadata=metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def main() -> None:
    connection = context.config.attributes.get("connection")
    if isinstance(connection, Connection):
        run_on(connection)
    elif context.is_offline_mode():
        run_offline(command_line_url())
    else:
        asyncio.run(run_standalone(command_line_url()))


main()
