"""Every inbound endpoint refuses what it must, and stores nothing it refused.

Bad or missing signatures → 401 (403 for Telegram's secret token), a stale timestamp → 401,
malformed JSON → 400 with a message, over 1 MB → 413, unknown routes → 404.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.faq.embedders import Embedder
from bot.storage.tables import enquiries, processed_events
from tests.channels.harness import WEBHOOK_SECRET, LiveApp, serve_app
from tests.channels.signing import (
    ENDPOINTS,
    VALID_BODIES,
    all_endpoints_settings,
    body_of,
    generic_signer,
)
from tests.stand_ins import TelegramStandIn


@pytest.fixture
async def app(
    tmp_path: Path, telegram: TelegramStandIn, use_embedder: Embedder
) -> AsyncIterator[LiveApp]:
    async with serve_app(all_endpoints_settings(tmp_path, telegram.url), use_embedder) as live:
        yield live


async def stored(app: LiveApp) -> int:
    return await app.count(enquiries) + await app.count(processed_events)


class TestRefusals:
    async def test_missing_or_forged_signature_is_refused_and_nothing_stored(
        self, app: LiveApp
    ) -> None:
        for endpoint in ENDPOINTS:
            body = body_of(endpoint.name)
            unsigned = {k: v for k, v in endpoint.sign(body).items() if k != endpoint.header}
            missing = await app.http.post(
                f"{app.url}{endpoint.path}", content=body, headers=unsigned
            )
            forged = await app.http.post(
                f"{app.url}{endpoint.path}", content=body, headers=endpoint.forge(body)
            )
            assert (endpoint.name, missing.status_code) == (endpoint.name, endpoint.refusal)
            assert (endpoint.name, forged.status_code) == (endpoint.name, endpoint.refusal)
            assert "not-the-secret" not in forged.text
        assert await stored(app) == 0

    async def test_stale_or_future_timestamp_is_refused(self, app: LiveApp) -> None:
        body = body_of("generic")
        for age in (301, -301, 3600):
            headers = generic_signer(WEBHOOK_SECRET, age)(body)
            answer = await app.http.post(
                f"{app.url}/webhooks/generic", content=body, headers=headers
            )
            assert answer.status_code == 401, age
            assert "timestamp" in answer.json()["error"]
        assert await stored(app) == 0

    async def test_malformed_json_is_refused_with_a_message(self, app: LiveApp) -> None:
        for endpoint in ENDPOINTS:
            for body in (b'{"id": ', b"\xff\xfe", b"[1, 2]", b""):
                answer = await app.http.post(
                    f"{app.url}{endpoint.path}", content=body, headers=endpoint.sign(body)
                )
                assert (endpoint.name, answer.status_code) == (endpoint.name, 400)
                assert "JSON" in answer.json()["error"]
        assert await stored(app) == 0

    async def test_body_over_one_megabyte_is_refused(self, app: LiveApp) -> None:
        payload = {**VALID_BODIES["generic"], "text": "x" * (1024 * 1024)}
        body = json.dumps(payload).encode()
        for endpoint in ENDPOINTS:
            answer = await app.http.post(
                f"{app.url}{endpoint.path}", content=body, headers=endpoint.sign(body)
            )
            assert (endpoint.name, answer.status_code) == (endpoint.name, 413)

        async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: chunked upload
            for _ in range(20):
                yield b" " * 65536

        chunked = await app.http.post(
            f"{app.url}/webhooks/meta",
            content=chunks(),
            headers={"Content-Type": "application/json"},
        )
        assert chunked.status_code == 413
        assert await stored(app) == 0

    async def test_unknown_route_and_wrong_method_are_not_found(self, app: LiveApp) -> None:
        unknown = await app.http.post(f"{app.url}/webhooks/nope", content=b"{}")
        assert unknown.status_code == 404
        assert (await app.http.get(f"{app.url}/webhooks/generic")).status_code == 405
        assert await stored(app) == 0

    async def test_valid_signatures_are_accepted(self, app: LiveApp) -> None:
        for endpoint in ENDPOINTS:
            body = body_of(endpoint.name)
            answer = await app.http.post(
                f"{app.url}{endpoint.path}", content=body, headers=endpoint.sign(body)
            )
            assert (endpoint.name, answer.status_code, answer.json()["new"]) == (
                endpoint.name,
                200,
                1,
            )
        assert await app.count(enquiries) == 4
