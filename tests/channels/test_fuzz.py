"""Hypothesis throws random bodies and headers at every inbound endpoint.

Only 2xx/4xx answers are allowed, and nothing is stored without a valid signature. Some
examples are validly signed random JSON shaped like the platforms' payloads, so the parsers
behind the signature check are exercised too.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.faq.embedders import Embedder
from bot.storage.tables import enquiries
from tests.channels.harness import LiveApp, serve_app
from tests.channels.signing import BY_NAME, Endpoint, all_endpoints_settings
from tests.stand_ins import TelegramStandIn


@pytest.fixture
async def app(
    tmp_path: Path, telegram: TelegramStandIn, use_embedder: Embedder
) -> AsyncIterator[LiveApp]:
    async with serve_app(all_endpoints_settings(tmp_path, telegram.url), use_embedder) as live:
        yield live


# Keys of the platforms' payloads, so random trees reach deep into the parsers.
_KEYS = st.sampled_from(
    [
        "id",
        "object",
        "entry",
        "messaging",
        "changes",
        "field",
        "value",
        "message",
        "text",
        "mid",
        "sender",
        "from",
        "update_id",
        "chat",
        "message_id",
        "tweet_create_events",
        "direct_message_events",
        "for_user_id",
        "user",
        "id_str",
        "author",
        "reply_url",
        "comment_id",
        "item",
        "verb",
        "attachments",
        "type",
        "message_create",
        "sender_id",
        "message_data",
        "sticker",
        "photo",
        "is_echo",
    ]
) | st.text(max_size=6)
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(_KEYS, children, max_size=6),
    max_leaves=25,
)
# Printable ASCII without surrounding blanks: what an HTTP client can put on the wire at all.
_HEADER_TEXT = st.text(
    alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=80
).map(str.strip)


@st.composite
def requests(draw: st.DrawFn, endpoint: Endpoint) -> tuple[bytes, dict[str, str], bool]:
    """A random body with random headers; sometimes validly signed."""
    if draw(st.booleans()):
        body = json.dumps(draw(_JSON)).encode()
    else:
        body = draw(st.binary(max_size=512))
    signed = draw(st.booleans())
    headers = endpoint.sign(body) if signed else {}
    names = st.sampled_from(
        [endpoint.header, "X-ReplyDesk-Timestamp", "Content-Type", "Content-Encoding", "X-Other"]
    )
    noise = draw(st.dictionaries(names, _HEADER_TEXT, max_size=3))
    if signed:
        noise.pop(endpoint.header, None)  # keep a valid signature valid
        noise.pop("X-ReplyDesk-Timestamp", None)
        noise.pop("Content-Encoding", None)
    return body, {**headers, **noise}, signed


class TestFuzz:
    @pytest.mark.parametrize("name", list(BY_NAME))
    @settings(
        max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
    )
    @given(data=st.data())
    async def test_random_requests_get_only_2xx_or_4xx_and_unsigned_store_nothing(
        self, app: LiveApp, name: str, data: st.DataObject
    ) -> None:
        endpoint = BY_NAME[name]
        body, headers, signed = data.draw(requests(endpoint))
        before = await app.count(enquiries)
        answer = await app.http.post(f"{app.url}{endpoint.path}", content=body, headers=headers)
        after = await app.count(enquiries)
        assert 200 <= answer.status_code < 500, (answer.status_code, answer.text)
        if not signed:
            assert answer.status_code in (401, 403, 413), answer.status_code
            assert after == before
