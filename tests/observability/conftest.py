"""Fixtures of the health and metrics tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fault.databases import fresh_postgres_database, postgres_unavailable


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """DATABASE_URL of a fresh, empty PostgreSQL database at 127.0.0.1:5432 (dropped after)."""
    reason = postgres_unavailable()
    if reason is not None:
        pytest.skip(reason)
    with fresh_postgres_database("replydesk_observability") as url:
        yield url
