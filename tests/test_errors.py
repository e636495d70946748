"""One Retry-After reading for every edge: seconds, milliseconds, dates, X's reset time."""

from __future__ import annotations

import email.utils

import httpx
import httpx2  # the openai client's own httpx
import openai
import pytest

from bot.channels.outbound import DEFAULT_RETRY_AFTER_SECONDS, rate_limit_wait
from bot.errors import (
    MAX_RETRY_AFTER_SECONDS,
    RateLimitedError,
    TransientError,
    retry_after_seconds,
)
from bot.llm.errors import map_openai_error

NOW = 1_800_000_000.0


def _rate_limited(headers: dict[str, str]) -> openai.RateLimitError:
    request = httpx2.Request("POST", "http://127.0.0.1/v1/chat/completions")
    response = httpx2.Response(429, headers=headers, request=request)
    return openai.RateLimitError("rate limited", response=response, body=None)


class TestRetryAfterSeconds:
    @pytest.mark.parametrize(
        ("headers", "expected"),
        [
            ({"Retry-After": "7"}, 7.0),
            ({"retry-after": "2.5"}, 2.5),
            ({"retry-after-ms": "1500", "Retry-After": "9"}, 1.5),
            ({"Retry-After": email.utils.formatdate(NOW + 42, usegmt=True)}, 42.0),
            ({"x-rate-limit-reset": str(int(NOW + 60))}, 60.0),
            ({"Retry-After": ["3"]}, 3.0),  # slack_sdk keeps header values in lists
        ],
    )
    def test_reads_every_form_platforms_send(
        self, headers: dict[str, str | list[str]], expected: float
    ) -> None:
        assert retry_after_seconds(headers, now=NOW) == pytest.approx(expected)

    @pytest.mark.parametrize(
        "value", ["soon", "", "Thu, 99 Foo 2026", "nan", "inf", "-", "12 seconds"]
    )
    def test_malformed_header_counts_as_absent(self, value: str) -> None:
        assert retry_after_seconds({"Retry-After": value}, now=NOW) is None

    def test_no_header_says_nothing(self) -> None:
        assert retry_after_seconds({}, now=NOW) is None

    def test_wait_is_kept_within_zero_and_an_hour(self) -> None:
        assert retry_after_seconds({"Retry-After": "-5"}, now=NOW) == 0.0
        assert retry_after_seconds({"Retry-After": "999999"}, now=NOW) == MAX_RETRY_AFTER_SECONDS
        past = email.utils.formatdate(NOW - 60, usegmt=True)
        assert retry_after_seconds({"Retry-After": past}, now=NOW) == 0.0


class TestEdgesReadTheSameWait:
    def test_language_model_rate_limit_carries_the_wait(self) -> None:
        error = map_openai_error(_rate_limited({"retry-after": "7"}))

        assert isinstance(error, RateLimitedError)
        assert error.retry_after == 7.0

    def test_malformed_wait_from_the_language_model_is_a_plain_outage(self) -> None:
        error = map_openai_error(_rate_limited({"retry-after": "Thu, 99 Foo 2026"}))

        assert type(error) is TransientError

    def test_channel_rate_limit_without_a_wait_backs_off_the_default(self) -> None:
        response = httpx.Response(429, headers={"Retry-After": "soon"})

        assert rate_limit_wait(response, now=NOW) == DEFAULT_RETRY_AFTER_SECONDS

    def test_channel_rate_limit_waits_at_least_a_second(self) -> None:
        response = httpx.Response(429, headers={"Retry-After": "0"})

        assert rate_limit_wait(response, now=NOW) == 1.0
