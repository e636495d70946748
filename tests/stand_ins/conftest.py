"""Fixtures of the stand-ins' own tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.stand_ins import ReplyReceiver


@pytest.fixture
def receiver() -> Iterator[ReplyReceiver]:
    with ReplyReceiver() as stand_in:
        yield stand_in
