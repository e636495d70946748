"""`replydesk serve`: wait for what the service needs, say what it runs with, then serve.

Start-up order: logging; the database and a Chroma server, each retried for up to
STARTUP_WAIT_SECONDS (a compose stack starts them together); the Slack token and review
channel, checked once (a wrong one stops start-up with one line); the runtime; one log
record that pictures the configuration; uvicorn.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from bot.cli.failures import first_line
from bot.errors import PermanentError, TransientError
from bot.settings import LlmProvider, LogFormat, Settings
from bot.wording import counted

log = logging.getLogger("bot.serve")
T = TypeVar("T")
_FIRST_RETRY_SECONDS = 1.0
_LONGEST_RETRY_SECONDS = 10.0


def run_service(settings: Settings) -> None:
    """Run the service until it is stopped; errors before serving propagate as one line."""
    import gc
    import sys

    import uvicorn

    from bot.cli.logs import configure_service_logging
    from bot.wiring import build_runtime

    configure_service_logging(settings.log_level, json_lines=settings.log_format is LogFormat.JSON)
    slack_identity = asyncio.run(_wait_for_dependencies(settings))
    runtime = asyncio.run(build_runtime(settings))
    catalog = runtime.desk.catalog
    log.info("%s", startup_picture(settings, len(catalog.entries), len(catalog.clause_titles)))
    if slack_identity:
        log.info("Slack: %s", slack_identity)
    # The models, indexes and vocabularies loaded at start-up are millions of objects that
    # live as long as the process: frozen, the garbage collector stops walking them, which
    # otherwise paused the service for seconds every few seconds under load.
    gc.collect()
    gc.freeze()
    # Drafting's CPU work runs in a thread; a shorter switch interval lets the event loop
    # take the GIL back sooner, so acknowledging stays quick while drafting runs.
    sys.setswitchinterval(0.001)
    # log_config=None: uvicorn's own config would give its loggers handlers that bypass ours.
    uvicorn.run(
        runtime.asgi(), host=settings.server_host, port=settings.server_port, log_config=None
    )


async def _wait_for_dependencies(settings: Settings) -> str | None:
    """Wait for the database and a Chroma server; check Slack. Returns who the bot is."""
    budget = settings.startup_wait_seconds
    await retrying("the database", lambda: ping_database(settings), budget)
    if settings.chroma_host:
        await retrying("the Chroma server", lambda: ping_chroma(settings), budget)
    if settings.slack_bot_token is None or not settings.slack_review_channel:
        return None
    from bot.slack.preflight import check_slack
    from bot.slack.wiring import build_slack_client

    client = build_slack_client(settings)
    channel = settings.slack_review_channel
    identity = await retrying("Slack", lambda: check_slack(client, channel), budget)
    return f"@{identity.user} in {identity.team}, review channel {channel}"


async def retrying(name: str, attempt: Callable[[], Awaitable[T]], budget_seconds: float) -> T:
    """Run `attempt` until it succeeds; retry `TransientError`s for up to `budget_seconds`.

    The budget starts at the first failure; each failed try is logged as one warning;
    other errors end the wait at once.

    Raises:
        TransientError: `name` still failed when the budget ran out.
    """
    deadline: float | None = None
    delay = _FIRST_RETRY_SECONDS
    while True:
        try:
            return await attempt()
        except TransientError as error:
            deadline = deadline or time.monotonic() + budget_seconds
            if time.monotonic() + delay > deadline:
                raise TransientError(
                    f"{name} did not answer within {budget_seconds:.0f} s ({error}); "
                    "STARTUP_WAIT_SECONDS sets how long serve waits"
                ) from None
            log.warning("%s did not answer (%s); trying again in %.0f s", name, error, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, _LONGEST_RETRY_SECONDS)


async def ping_database(settings: Settings) -> None:
    """Connect and run `SELECT 1`.

    Raises:
        TransientError: the database did not answer (refused, timed out, starting up).
    """
    from sqlalchemy import exc, text
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(settings.resolved_database_url())
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except (exc.OperationalError, exc.InterfaceError) as error:
        cause = error.orig if error.orig is not None else error
        if engine.dialect.name == "sqlite":  # a file that cannot be opened stays so
            raise PermanentError(
                f"the SQLite database cannot be opened ({first_line(cause)}): "
                "check REPLYDESK_DATA_DIR or DATABASE_URL"
            ) from None
        raise TransientError(first_line(cause)) from None
    except OSError as error:
        raise TransientError(first_line(error)) from None
    finally:
        await engine.dispose()


async def ping_chroma(settings: Settings) -> None:
    """Ask the Chroma server for its heartbeat.

    Raises:
        TransientError: the server did not answer.
    """

    def heartbeat() -> None:
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        client = chromadb.HttpClient(
            host=settings.chroma_host or "",
            port=settings.chroma_port,
            settings=ChromaSettings(anonymized_telemetry=False),
        )
        client.heartbeat()

    try:
        await asyncio.to_thread(heartbeat)
    except Exception as error:  # chromadb raises ValueError, httpx errors, ...
        raise TransientError(
            f"{settings.chroma_host}:{settings.chroma_port}: {first_line(error)}"
        ) from None


def startup_picture(settings: Settings, entries: int, clauses: int) -> str:
    """One record naming what this process runs with (no secrets, no passwords)."""
    from sqlalchemy.engine import make_url

    from bot.slack.wiring import slack_mode

    database = make_url(settings.resolved_database_url()).render_as_string(hide_password=True)
    index = (
        f"Chroma server {settings.chroma_host}:{settings.chroma_port}"
        if settings.chroma_host
        else f"embedded Chroma in {settings.data_dir / 'index'}"
    )
    if settings.llm_provider is LlmProvider.OPENAI:
        drafter = f"{settings.openai_model} at {settings.openai_base_url or 'the OpenAI API'}"
    else:
        drafter = "offline (templates from prompts/offline)"
    on = enabled_channels(settings)
    lines = [
        f"ReplyDesk starting as role {settings.role.value} on "
        f"{settings.server_host}:{settings.server_port}",
        f"channels: {', '.join(on) if on else 'none (nothing can arrive: see .env.example)'}",
        f"Slack: {slack_mode(settings).value}"
        + (
            f", review channel {settings.slack_review_channel}"
            if settings.slack_bot_token
            else " (cards go to this log; nobody can approve)"
        ),
        f"drafter: {drafter}",
        f"knowledge: {settings.knowledge_dir} ({counted(entries, 'entry', 'entries')}, "
        f"{counted(clauses, 'guideline clause')})",
        f"retrieval: {settings.resolved_retrieval_mode().value}; index: {index}",
        f"database: {database}",
    ]
    return "\n  ".join(lines)


def enabled_channels(settings: Settings) -> list[str]:
    """The channels whose settings are present, with how each arrives."""
    on = []
    if settings.telegram_bot_token is not None:
        on.append("telegram (webhook)" if settings.telegram_webhook_url else "telegram (polling)")
    if settings.meta_app_secret is not None:
        on.append("meta (/webhooks/meta)")
    if settings.x_consumer_secret is not None:
        on.append("x (/webhooks/x)")
    if settings.webhook_secret is not None:
        on.append("generic webhook (/webhooks/generic)")
    if settings.slack_bot_token is not None:
        on.append("slack (forwarded messages)")
    return on
