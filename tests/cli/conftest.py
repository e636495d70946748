"""Fixtures shared by the command line's tests."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from bot.cli.logs import configure_service_logging


@pytest.fixture
def service_log() -> Iterator[io.StringIO]:
    """The service's handler on the root logger, writing to a string; removed afterwards."""
    stream = io.StringIO()
    root = logging.getLogger()
    level = root.level
    handler = configure_service_logging(logging.INFO, stream)
    yield stream
    root.removeHandler(handler)
    root.setLevel(level)
