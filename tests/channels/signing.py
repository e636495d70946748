"""Signed (and forged) test requests for each inbound endpoint, and an app with all of them.

Shared by test_channel_endpoints.py (refusals) and test_channel_fuzz.py (hypothesis).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bot.settings import Settings
from tests.channels.harness import (
    META_APP_SECRET,
    TELEGRAM_SECRET,
    TELEGRAM_TOKEN,
    WEBHOOK_SECRET,
    X_CONSUMER_SECRET,
    channel_settings,
)
from tests.stand_ins import sign_generic_body, sign_meta_body, sign_x_body

Signer = Callable[[bytes], dict[str, str]]


def _telegram_headers(secret: str) -> Signer:
    def sign(body: bytes) -> dict[str, str]:
        return {"X-Telegram-Bot-Api-Secret-Token": secret, "Content-Type": "application/json"}

    return sign


def generic_signer(secret: str, age: int = 0) -> Signer:
    return lambda body: sign_generic_body(secret, body, int(time.time()) - age)


@dataclass(frozen=True)
class Endpoint:
    name: str
    path: str
    sign: Signer
    forge: Signer  # signed with the wrong secret
    refusal: int  # the status for a bad or missing signature
    header: str  # the signature header


ENDPOINTS = [
    Endpoint(
        "generic",
        "/webhooks/generic",
        generic_signer(WEBHOOK_SECRET),
        generic_signer("not-the-secret"),
        401,
        "X-ReplyDesk-Signature",
    ),
    Endpoint(
        "meta",
        "/webhooks/meta",
        lambda body: sign_meta_body(META_APP_SECRET, body),
        lambda body: sign_meta_body("not-the-secret", body),
        401,
        "X-Hub-Signature-256",
    ),
    Endpoint(
        "x",
        "/webhooks/x",
        lambda body: sign_x_body(X_CONSUMER_SECRET, body),
        lambda body: sign_x_body("not-the-secret", body),
        401,
        "x-twitter-webhooks-signature",
    ),
    Endpoint(
        "telegram",
        "/webhooks/telegram",
        _telegram_headers(TELEGRAM_SECRET),
        _telegram_headers("not-the-secret"),
        403,
        "X-Telegram-Bot-Api-Secret-Token",
    ),
]
BY_NAME = {endpoint.name: endpoint for endpoint in ENDPOINTS}

# A body each endpoint would store, were it signed.
VALID_BODIES: dict[str, dict[str, object]] = {
    "generic": {
        "id": "g-1",
        "channel": "form",
        "author": {"id": "c1", "name": "Anna"},
        "text": "Wo ist mein Paket?",
        "reply_url": "http://127.0.0.1:9/reply",
    },
    "meta": {
        "object": "page",
        "entry": [
            {
                "id": "P1",
                "messaging": [
                    {
                        "sender": {"id": "U1"},
                        "message": {"mid": "m_1", "text": "Wo ist mein Paket?"},
                    }
                ],
            }
        ],
    },
    "x": {
        "direct_message_events": [
            {
                "type": "message_create",
                "id": "900",
                "message_create": {
                    "sender_id": "7",
                    "message_data": {"text": "Wo ist mein Paket?"},
                },
            }
        ]
    },
    "telegram": {
        "update_id": 1,
        "message": {
            "message_id": 1,
            "date": 1_700_000_000,
            "chat": {"id": 1, "type": "private"},
            "from": {"id": 1, "is_bot": False, "first_name": "Anna"},
            "text": "Wo ist mein Paket?",
        },
    },
}


def all_endpoints_settings(data_dir: Path, telegram_url: str) -> Settings:
    """Every inbound endpoint on, Telegram in webhook mode against its stand-in."""
    return channel_settings(
        data_dir,
        telegram_bot_token=TELEGRAM_TOKEN,
        telegram_api_url=telegram_url,
        telegram_webhook_url="https://replydesk.example/webhooks/telegram",
        telegram_secret_token=TELEGRAM_SECRET,
    )


def body_of(name: str) -> bytes:
    """The valid body of endpoint `name`, as bytes."""
    return json.dumps(VALID_BODIES[name]).encode()
