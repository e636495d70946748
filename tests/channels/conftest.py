"""Fixtures of the channel adapter tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.channels.harness import TELEGRAM_TOKEN
from tests.stand_ins import TelegramStandIn


@pytest.fixture
def telegram() -> Iterator[TelegramStandIn]:
    """The Telegram Bot API stand-in, accepting the bot token the channel tests configure."""
    with TelegramStandIn(token=TELEGRAM_TOKEN) as stand_in:
        yield stand_in
