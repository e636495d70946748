"""The reply receiver records signed replies of the generic webhook channel."""

from __future__ import annotations

import hashlib
import hmac
import json

import httpx

from tests.stand_ins import ReplyReceiver, sign_generic_body, verify_generic_signature


class TestReplyReceiver:
    def test_receiver_records_signed_reply(self, receiver: ReplyReceiver) -> None:
        body = json.dumps({"enquiry_id": "e1", "text": "Hallo"}).encode()
        headers = sign_generic_body("hook-secret", body, timestamp=1_700_000_000)
        assert httpx.post(f"{receiver.url}/replies/e1", content=body, headers=headers).json() == {
            "ok": True
        }
        call = receiver.wait_for("/replies/e1")[0]
        assert call.params == {"enquiry_id": "e1", "text": "Hallo"}
        assert receiver.signed_correctly(call, "hook-secret")
        assert not verify_generic_signature("other-secret", call.headers, call.body)
        signed = b"1700000000." + body
        digest = hmac.new(b"hook-secret", signed, hashlib.sha256).hexdigest()
        assert headers["X-ReplyDesk-Signature"] == f"sha256={digest}"

    def test_receiver_scripted_failure_is_seen_by_client(self, receiver: ReplyReceiver) -> None:
        receiver.fail("/replies/e1", status=502)
        assert httpx.post(f"{receiver.url}/replies/e1", json={}).status_code == 502
        assert httpx.post(f"{receiver.url}/replies/e1", json={}).status_code == 200
