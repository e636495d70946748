"""Fixtures of the fault suite: stand-ins, databases and the `fault` marker.

Every test here starts real `replydesk serve` processes; run them alone with
``pytest -m fault tests/fault`` (or leave them out with ``-m "not fault"``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fault.databases import fresh_postgres_database, postgres_unavailable, sqlite_url
from tests.fault.service import SLACK_BOT_TOKEN, TELEGRAM_TOKEN
from tests.fault.tripwires import TrippingReceiver, TrippingSlack, TrippingTelegram

_HERE = Path(__file__).parent


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "fault: starts real service processes (crashes, replicas, hostile input)"
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if _HERE in item.path.parents:
            item.add_marker(pytest.mark.fault)


@pytest.fixture
def slack() -> Iterator[TrippingSlack]:
    """The Slack stand-in (with a tripwire, unarmed)."""
    with TrippingSlack(token=SLACK_BOT_TOKEN) as stand_in:
        yield stand_in


@pytest.fixture
def telegram() -> Iterator[TrippingTelegram]:
    """The Telegram stand-in (with a tripwire, unarmed)."""
    with TrippingTelegram(token=TELEGRAM_TOKEN) as stand_in:
        yield stand_in


@pytest.fixture
def receiver() -> Iterator[TrippingReceiver]:
    """The webhook reply receiver (with a tripwire, unarmed)."""
    with TrippingReceiver() as stand_in:
        yield stand_in


def require_postgres() -> None:
    """Skip the test, saying why, when no PostgreSQL server answers."""
    reason = postgres_unavailable()
    if reason is not None:
        pytest.skip(reason)


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for this test, dropped afterwards."""
    require_postgres()
    with fresh_postgres_database() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The test runs once on a SQLite file and once on a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return sqlite_url(tmp_path / "replydesk.sqlite3")
    url: str = request.getfixturevalue("postgres_url")
    return url
