"""What the card says about the customer's wait: only while undecided, in business time."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.faq.response_targets import ResponseTargets, TargetState
from bot.models import Channel
from bot.review import CardStatus, CardWait, card_wait, duration_text

RECEIVED = dt.datetime(2026, 5, 18, 9, 0, tzinfo=dt.UTC)
TARGETS = ResponseTargets(per_channel={"x": 3600.0})


class TestCardWait:
    def test_an_undecided_card_waits_from_its_first_message_until_now(self) -> None:
        now = RECEIVED + dt.timedelta(minutes=50)

        wait = card_wait(TARGETS, Channel.X, RECEIVED, CardStatus.AWAITING_REVIEW, now)

        assert wait == CardWait(50 * 60, 3600, TargetState.AT_RISK)

    @pytest.mark.parametrize("status", [CardStatus.SENDING, CardStatus.SENT, CardStatus.REJECTED])
    def test_a_decided_card_shows_no_wait(self, status: CardStatus) -> None:
        now = RECEIVED + dt.timedelta(hours=3)

        assert card_wait(TARGETS, Channel.X, RECEIVED, status, now) is None

    def test_a_channel_without_target_or_a_card_built_without_now_shows_no_wait(self) -> None:
        later = RECEIVED + dt.timedelta(hours=3)

        assert card_wait(TARGETS, Channel.TELEGRAM, RECEIVED, CardStatus.DRAFTING, later) is None
        assert card_wait(TARGETS, Channel.X, RECEIVED, CardStatus.DRAFTING, None) is None


class TestDurationText:
    @pytest.mark.parametrize(
        ("seconds", "text"),
        [
            (0, "0 min"),
            (59, "0 min"),
            (3600, "60 min"),
            (7199, "119 min"),
            (7200, "2 h"),
            (4 * 3600 + 300, "4 h 5 min"),
        ],
    )
    def test_short_waits_read_in_minutes_long_ones_in_hours(
        self, seconds: float, text: str
    ) -> None:
        assert duration_text(seconds) == text
