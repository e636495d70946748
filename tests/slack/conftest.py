"""Fixtures of the Slack adapter tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.slack.harness import BOT_TOKEN
from tests.stand_ins import SlackStandIn


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    """The Slack Web API stand-in, accepting the bot token the Slack tests configure."""
    with SlackStandIn(token=BOT_TOKEN) as stand_in:
        yield stand_in
