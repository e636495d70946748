"""The Meta Graph stand-in answers sends and comment replies like the Graph API does."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator

import httpx
import pytest

from tests.stand_ins import MetaGraphStandIn, sign_meta_body


@pytest.fixture
def meta() -> Iterator[MetaGraphStandIn]:
    with MetaGraphStandIn() as stand_in:
        yield stand_in


class TestMetaGraphStandIn:
    def test_messenger_send_returns_recipient_and_message_id(self, meta: MetaGraphStandIn) -> None:
        body = {
            "recipient": {"id": "PSID1"},
            "messaging_type": "RESPONSE",
            "message": {"text": "Hallo"},
        }
        response = httpx.post(
            f"{meta.url}/v21.0/PAGE1/messages", params={"access_token": "t"}, json=body
        )
        assert response.status_code == 200
        assert response.json()["recipient_id"] == "PSID1"
        assert response.json()["message_id"].startswith("m_")
        assert meta.sent("messages")[0]["node"] == "PAGE1"

    def test_comment_reply_and_private_reply(self, meta: MetaGraphStandIn) -> None:
        auth = {"Authorization": "Bearer t"}
        public = httpx.post(
            f"{meta.url}/v19.0/C1/comments", headers=auth, json={"message": "Danke!"}
        )
        private = httpx.post(
            f"{meta.url}/v19.0/C1/private_replies", headers=auth, data={"message": "DM"}
        )
        assert public.json() == {"id": "C1_1"}
        assert private.json()["id"].startswith("m_")
        assert [c.api_method for c in meta.calls()] == ["comments", "private_replies"]

    def test_missing_token_and_closed_window_fail_like_graph(self, meta: MetaGraphStandIn) -> None:
        body = {"recipient": {"id": "PSID1"}, "message": {"text": "late"}}
        assert (
            httpx.post(f"{meta.url}/v21.0/PAGE1/messages", json=body).json()["error"]["code"]
            == 2500
        )
        meta.fail_outside_window()
        late = httpx.post(
            f"{meta.url}/v21.0/PAGE1/messages", params={"access_token": "t"}, json=body
        )
        assert (late.status_code, late.json()["error"]["error_subcode"]) == (400, 2018278)

    def test_hiding_a_comment_answers_success_and_keeps_its_state(
        self, meta: MetaGraphStandIn
    ) -> None:
        auth = {"Authorization": "Bearer t"}
        hide = httpx.post(f"{meta.url}/v21.0/P_C1", headers=auth, json={"is_hidden": True})
        form = httpx.post(f"{meta.url}/v21.0/1789", params={"access_token": "t", "hide": "true"})

        assert (hide.status_code, hide.json()) == (200, {"success": True})
        assert form.json() == {"success": True}
        assert meta.is_hidden("P_C1") and meta.is_hidden("1789")
        httpx.post(f"{meta.url}/v21.0/P_C1", headers=auth, json={"is_hidden": False})
        assert not meta.is_hidden("P_C1")
        assert [m["field"] for m in meta.moderated()] == ["is_hidden", "hide", "is_hidden"]
        assert meta.count("hide_comment") == 3

    def test_hiding_without_a_boolean_or_token_fails_like_graph(
        self, meta: MetaGraphStandIn
    ) -> None:
        auth = {"Authorization": "Bearer t"}
        no_flag = httpx.post(f"{meta.url}/v21.0/P_C1", headers=auth, json={"message": "x"})
        not_bool = httpx.post(f"{meta.url}/v21.0/P_C1", headers=auth, json={"hide": "maybe"})
        no_token = httpx.post(f"{meta.url}/v21.0/P_C1", json={"is_hidden": True})

        assert (no_flag.status_code, no_flag.json()["error"]["code"]) == (400, 100)
        assert not_bool.json()["error"]["code"] == 100
        assert no_token.json()["error"]["code"] == 2500
        assert meta.moderated() == []
        assert not meta.is_hidden("P_C1")

    def test_meta_signature_is_hex_hmac_of_body(self) -> None:
        body = b'{"object":"page"}'
        expected = hmac.new(b"app-secret", body, hashlib.sha256).hexdigest()
        assert sign_meta_body("app-secret", body)["X-Hub-Signature-256"] == f"sha256={expected}"
