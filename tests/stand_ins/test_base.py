"""What every stand-in can do: record calls, script answers, failures and delays."""

from __future__ import annotations

import httpx
import pytest

from tests.stand_ins import ReplyReceiver


class TestStandInBase:
    def test_wait_for_times_out_listing_calls_seen(self, receiver: ReplyReceiver) -> None:
        httpx.post(f"{receiver.url}/other", json={})
        with pytest.raises(AssertionError, match="/other"):
            receiver.wait_for("/expected", timeout=0.2)

    def test_respond_overrides_only_the_next_answer(self, receiver: ReplyReceiver) -> None:
        receiver.respond("/hook", {"custom": True}, status=202)
        first = httpx.post(f"{receiver.url}/hook", json={})
        second = httpx.post(f"{receiver.url}/hook", json={})
        assert (first.status_code, first.json()) == (202, {"custom": True})
        assert (second.status_code, second.json()) == (200, {"ok": True})

    def test_any_method_failure_applies_to_every_path(self, receiver: ReplyReceiver) -> None:
        receiver.fail("*", times=2, status=503)
        statuses = [httpx.post(f"{receiver.url}/{n}", json={}).status_code for n in range(3)]
        assert statuses == [503, 503, 200]

    def test_delay_makes_client_time_out(self, receiver: ReplyReceiver) -> None:
        receiver.delay("/slow", 0.5, times=1)
        with pytest.raises(httpx.ReadTimeout):
            httpx.post(f"{receiver.url}/slow", json={}, timeout=0.1)
        assert httpx.post(f"{receiver.url}/slow", json={}, timeout=1).status_code == 200

    def test_reset_forgets_calls_and_scripts(self, receiver: ReplyReceiver) -> None:
        receiver.fail("/hook")
        httpx.post(f"{receiver.url}/seen", json={})
        receiver.reset()
        assert receiver.calls() == []
        assert httpx.post(f"{receiver.url}/hook", json={}).status_code == 200
