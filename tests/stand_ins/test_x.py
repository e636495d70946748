"""The X stand-in answers posts and direct messages like the X API does."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterator

import httpx
import pytest

from tests.stand_ins import XStandIn, sign_x_body, x_crc_response


@pytest.fixture
def x_api() -> Iterator[XStandIn]:
    with XStandIn() as stand_in:
        yield stand_in


class TestXStandIn:
    def test_reply_post_returns_201_with_id(self, x_api: XStandIn) -> None:
        body = {"text": "Danke!", "reply": {"in_reply_to_tweet_id": "1799"}}
        response = httpx.post(
            f"{x_api.url}/2/tweets", headers={"Authorization": "Bearer t"}, json=body
        )
        assert response.status_code == 201
        assert response.json()["data"]["text"] == "Danke!"
        assert x_api.tweets()[0]["in_reply_to_tweet_id"] == "1799"

    def test_x_rejects_long_duplicate_and_unauthorised_posts(self, x_api: XStandIn) -> None:
        auth = {"Authorization": "Bearer t"}
        assert (
            httpx.post(f"{x_api.url}/2/tweets", headers=auth, json={"text": "a" * 281}).status_code
            == 400
        )
        assert (
            httpx.post(f"{x_api.url}/2/tweets", headers=auth, json={"text": "ä" * 280}).status_code
            == 201
        )
        assert (
            httpx.post(f"{x_api.url}/2/tweets", headers=auth, json={"text": "ä" * 280}).status_code
            == 403
        )
        assert httpx.post(f"{x_api.url}/2/tweets", json={"text": "no auth"}).status_code == 401

    def test_dm_returns_conversation_and_event_ids(self, x_api: XStandIn) -> None:
        url = f"{x_api.url}/2/dm_conversations/with/42/messages"
        response = httpx.post(url, headers={"Authorization": "Bearer t"}, json={"text": "Hallo"})
        assert response.status_code == 201
        assert set(response.json()["data"]) == {"dm_conversation_id", "dm_event_id"}
        assert x_api.direct_messages()[0]["participant_id"] == "42"
        assert x_api.count("dm_messages") == 1

    def test_hiding_a_reply_answers_its_hidden_state(self, x_api: XStandIn) -> None:
        url = f"{x_api.url}/2/tweets/1799/hidden"
        auth = {"Authorization": "Bearer t"}

        hidden = httpx.put(url, headers=auth, json={"hidden": True})
        assert (hidden.status_code, hidden.json()) == (200, {"data": {"hidden": True}})
        assert x_api.is_hidden("1799")
        shown = httpx.put(url, headers=auth, json={"hidden": False})
        assert shown.json() == {"data": {"hidden": False}}
        assert not x_api.is_hidden("1799")
        assert x_api.count("hide_replies") == 2

    def test_hiding_outside_our_conversations_or_without_a_flag_is_refused(
        self, x_api: XStandIn
    ) -> None:
        auth = {"Authorization": "Bearer t"}
        x_api.not_in_own_conversation("1800")

        foreign = httpx.put(
            f"{x_api.url}/2/tweets/1800/hidden", headers=auth, json={"hidden": True}
        )
        no_flag = httpx.put(f"{x_api.url}/2/tweets/1799/hidden", headers=auth, json={})
        no_auth = httpx.put(f"{x_api.url}/2/tweets/1799/hidden", json={"hidden": True})

        assert (foreign.status_code, foreign.json()["title"]) == (403, "Forbidden")
        assert no_flag.status_code == 400
        assert no_auth.status_code == 401
        assert not x_api.is_hidden("1800") and not x_api.is_hidden("1799")

    def test_x_signatures_are_base64_hmacs(self) -> None:
        digest = hmac.new(b"consumer", b"token", hashlib.sha256).digest()
        assert x_crc_response("consumer", "token") == {
            "response_token": f"sha256={base64.b64encode(digest).decode()}"
        }
        body_digest = hmac.new(b"consumer", b"{}", hashlib.sha256).digest()
        expected = f"sha256={base64.b64encode(body_digest).decode()}"
        assert sign_x_body("consumer", b"{}")["x-twitter-webhooks-signature"] == expected
