"""One request can neither stall nor swell the service, and unusable input is never a 500.

Bodies over 1 MB are refused on every route (Bolt's /slack/events included) while they
stream in; /slack/events answers malformed bodies with 4xx, signed or not, without a
traceback; signed deliveries with NUL, lone surrogates or ids too long to store get 2xx/4xx
and store either the cleaned message or nothing; `guarded` answers 5xx only when the
database is down or busy.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from urllib.parse import quote_plus

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.channels.webhooks import guarded
from bot.faq.embedders import Embedder
from bot.models import Channel, Enquiry
from bot.storage.tables import conversations, enquiries
from tests.channels.harness import LiveApp, channel_settings, serve_app
from tests.channels.signing import BY_NAME
from tests.stand_ins import SlackStandIn
from tests.storage.conftest import POSTGRES_URL

MB = 1024 * 1024
SLACK_SECRET = "hostile-input-signing-secret"
SLACK_TOKEN = "xoxb-hostile"
LONG_ID = "9" * 400
# Deeper than any JSON parser's recursion limit, still far under 1 MB.
DEEP_ARRAY = b"[" * 100_000 + b"]" * 100_000
DEEP_OBJECT = b'{"a":' * 50_000 + b"1" + b"}" * 50_000


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    with SlackStandIn(token=SLACK_TOKEN) as stand_in:
        yield stand_in


@pytest.fixture(params=["sqlite", "postgresql"])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """SQLite in tmp_path, or a fresh schema on the local PostgreSQL (skipped without one)."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'replydesk.sqlite3'}"
        return
    schema = f"rd_{uuid.uuid4().hex}"
    admin = create_async_engine(POSTGRES_URL, poolclass=NullPool)
    try:
        async with admin.begin() as conn:
            await conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    except (OSError, sa.exc.OperationalError) as error:
        await admin.dispose()
        pytest.skip(f"PostgreSQL not reachable at 127.0.0.1:5432: {error}")
    try:
        yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    finally:
        async with admin.begin() as conn:
            await conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        await admin.dispose()


@pytest.fixture
async def app(tmp_path: Path, database_url: str, use_embedder: Embedder) -> AsyncIterator[LiveApp]:
    """Generic, Meta and X endpoints on SQLite and on PostgreSQL."""
    async with serve_app(
        channel_settings(tmp_path, database_url=database_url), use_embedder
    ) as live:
        yield live


@pytest.fixture
async def slack_app(
    tmp_path: Path, slack: SlackStandIn, use_embedder: Embedder
) -> AsyncIterator[LiveApp]:
    """Every endpoint, Slack over HTTP at /slack/events."""
    settings = channel_settings(
        tmp_path,
        slack_bot_token=SLACK_TOKEN,
        slack_signing_secret=SLACK_SECRET,
        slack_review_channel="C_REVIEW",
        slack_reviewers="U_REVIEWER",
        slack_api_url=f"{slack.url}/api/",
    )
    async with serve_app(settings, use_embedder) as live:
        yield live


def slack_signature(body: bytes) -> dict[str, str]:
    """Slack's signature headers for any bytes (the stand-in's signer wants UTF-8)."""
    timestamp = str(int(time.time()))
    base = b"v0:" + timestamp.encode() + b":" + body
    digest = hmac.new(SLACK_SECRET.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": f"v0={digest}"}


def generic_body(text: str, *, external_id: str = "g-1", name: str = "Anna") -> dict[str, object]:
    return {
        "id": external_id,
        "author": {"id": "c1", "name": name},
        "text": text,
        "reply_url": "http://127.0.0.1:9/reply",
    }


def meta_body(text: str, *, external_id: str = "c_1", name: str = "Anna") -> dict[str, object]:
    """A page comment (comments carry the author's name)."""
    comment = {
        "item": "comment",
        "verb": "add",
        "comment_id": external_id,
        "post_id": "P1_1",
        "message": text,
        "from": {"id": "U1", "name": name},
    }
    return {
        "object": "page",
        "entry": [{"id": "P1", "changes": [{"field": "feed", "value": comment}]}],
    }


def x_body(text: str, *, external_id: str = "900", name: str = "Anna") -> dict[str, object]:
    """A direct message (the sender's name comes in `users`)."""
    event = {
        "type": "message_create",
        "id": external_id,
        "message_create": {"sender_id": "7", "message_data": {"text": text}},
    }
    return {"for_user_id": "1", "direct_message_events": [event], "users": {"7": {"name": name}}}


BODIES: dict[str, Callable[..., dict[str, object]]] = {
    "generic": generic_body,
    "meta": meta_body,
    "x": x_body,
}


async def post_signed(app: LiveApp, name: str, payload: dict[str, object]) -> httpx.Response:
    endpoint = BY_NAME[name]
    body = json.dumps(payload).encode()  # ASCII: NUL and lone surrogates travel as \u escapes
    return await app.http.post(
        f"{app.url}{endpoint.path}", content=body, headers=endpoint.sign(body)
    )


async def post_to_each_channel(app: LiveApp, text: str, **fields: str) -> dict[str, int]:
    """POST one signed delivery to each endpoint (ids differ per channel unless given)."""
    statuses = {}
    for index, (name, make) in enumerate(BODIES.items()):
        payload = make(text, **{"external_id": f"id-{index}", **fields})
        statuses[name] = (await post_signed(app, name, payload)).status_code
    return statuses


async def stored_by_channel(app: LiveApp) -> dict[Channel, Enquiry]:
    """The stored enquiries, one per channel (generic is WEBHOOK, meta FACEBOOK)."""
    stored = {enquiry.channel: enquiry for enquiry in await app.enquiries()}
    assert set(stored) == {Channel.WEBHOOK, Channel.FACEBOOK, Channel.X}
    return stored


async def stored_rows(app: LiveApp) -> tuple[int, int]:
    return await app.count(enquiries), await app.count(conversations)


async def raw_request(app: LiveApp, head: str) -> bytes:
    """Send only a request head over a plain socket; return the first bytes of the answer."""
    host, port = app.url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        writer.write(head.encode())
        await writer.drain()
        return await asyncio.wait_for(reader.read(4096), timeout=5)
    finally:
        writer.close()


class TestBodyLimit:
    @pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
    @pytest.mark.parametrize("path", ["/webhooks/generic", "/healthz", "/webhooks/nowhere"])
    async def test_declared_length_over_one_megabyte_is_refused_before_any_body_arrives(
        self, app: LiveApp, path: str
    ) -> None:
        head = f"POST {path} HTTP/1.1\r\nHost: t\r\nContent-Length: {100 * MB}\r\n\r\n"

        answer = await raw_request(app, head)

        assert answer.startswith(b"HTTP/1.1 413"), answer[:80]
        assert b"request body larger than 1 MB" in answer

    async def test_declared_length_over_one_megabyte_to_slack_events_is_refused_at_once(
        self, slack_app: LiveApp
    ) -> None:
        head = f"POST /slack/events HTTP/1.1\r\nHost: t\r\nContent-Length: {12 * MB}\r\n\r\n"

        answer = await raw_request(slack_app, head)

        assert answer.startswith(b"HTTP/1.1 413"), answer[:80]

    async def test_streamed_100_mb_to_slack_events_is_refused_after_the_first_megabyte(
        self, slack_app: LiveApp, caplog: pytest.LogCaptureFixture
    ) -> None:
        produced = 0

        async def hundred_megabytes() -> AsyncIterator[bytes]:  # chunked: no Content-Length
            nonlocal produced
            for _ in range(1600):
                produced += 64 * 1024
                yield b"a" * (64 * 1024)

        # In process, the app pulls the body chunk by chunk, so `produced` is what it read.
        transport = httpx.ASGITransport(app=slack_app.runtime.asgi())
        async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:
            answer = await client.post("/slack/events", content=hundred_megabytes())

        assert answer.status_code == 413
        assert answer.json() == {"ok": False, "error": "request body larger than 1 MB"}
        assert produced <= MB + 64 * 1024
        assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]

    async def test_streamed_100_mb_over_the_wire_gets_413(self, slack_app: LiveApp) -> None:
        async def hundred_megabytes() -> AsyncIterator[bytes]:
            for _ in range(1600):
                yield b"a" * (64 * 1024)

        answer = await slack_app.http.post(
            f"{slack_app.url}/slack/events", content=hundred_megabytes(), timeout=60
        )

        assert answer.status_code == 413
        assert (await slack_app.http.get(f"{slack_app.url}/healthz")).status_code == 200


class TestMalformedSlackEvents:
    MALFORMED = {
        "not-json": (b"this is not json", "application/json"),
        "broken-json": (b'{"type": "event_callback", ', "application/json"),
        "json-array": (b'[{"type": "event_callback"}]', "application/json"),
        "deep-array": (DEEP_ARRAY, "application/json"),
        "deep-object": (DEEP_OBJECT, "application/json"),
        "not-utf8": (b"\xff\xfe{}", "application/json"),
        "event-not-object": (b'{"type": "event_callback", "event": null}', "application/json"),
        "view-not-object": (b'{"type": "view_submission", "view": []}', "application/json"),
        "actions-not-objects": (b'{"type": "block_actions", "actions": [1]}', "application/json"),
        "form-payload-not-json": (b"payload=%7Bnope", "application/x-www-form-urlencoded"),
        "form-payload-array": (b"payload=%5B1%5D", "application/x-www-form-urlencoded"),
        "form-deep-payload": (
            b"payload=" + quote_plus(DEEP_ARRAY.decode()).encode(),
            "application/x-www-form-urlencoded",
        ),
    }

    async def test_unsigned_malformed_body_gets_401_without_a_traceback(
        self, slack_app: LiveApp, caplog: pytest.LogCaptureFixture
    ) -> None:
        answers = {}
        for name, (body, content_type) in self.MALFORMED.items():
            answer = await slack_app.http.post(
                f"{slack_app.url}/slack/events",
                content=body,
                headers={"Content-Type": content_type},
            )
            answers[name] = answer.status_code

        assert answers == dict.fromkeys(self.MALFORMED, 401)
        assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]

    async def test_signed_malformed_body_gets_400_without_a_traceback(
        self, slack_app: LiveApp, caplog: pytest.LogCaptureFixture
    ) -> None:
        answers = {}
        for name, (body, content_type) in self.MALFORMED.items():
            headers = {**slack_signature(body), "Content-Type": content_type}
            answer = await slack_app.http.post(
                f"{slack_app.url}/slack/events", content=body, headers=headers
            )
            answers[name] = answer.status_code

        assert answers == dict.fromkeys(self.MALFORMED, 400)
        assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]

    async def test_a_timestamp_that_is_no_number_gets_401(
        self, slack_app: LiveApp, caplog: pytest.LogCaptureFixture
    ) -> None:
        body = b'{"type": "event_callback", "event": {"type": "app_mention"}}'
        statuses = []
        for timestamp in ("soon", "", "-5", "1e9"):
            headers = {**slack_signature(body), "X-Slack-Request-Timestamp": timestamp}
            answer = await slack_app.http.post(
                f"{slack_app.url}/slack/events", content=body, headers=headers
            )
            statuses.append(answer.status_code)

        assert statuses == [401] * 4
        assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]

    async def test_form_over_one_megabyte_gets_413_signed_or_not(self, slack_app: LiveApp) -> None:
        body = b"payload=" + b"a" * (3 * MB // 2)
        form = {"Content-Type": "application/x-www-form-urlencoded"}

        unsigned = await slack_app.http.post(
            f"{slack_app.url}/slack/events", content=body, headers=form
        )
        signed = await slack_app.http.post(
            f"{slack_app.url}/slack/events",
            content=body,
            headers={**slack_signature(body), **form},
        )

        assert (unsigned.status_code, signed.status_code) == (413, 413)


class TestUnstorableTextInSignedDeliveries:
    async def test_nul_and_control_characters_are_removed_before_storing(
        self, app: LiveApp
    ) -> None:
        text = "Wo ist\x00 mein\x07 Paket?\r\nBestellung\t4711\x1b"

        statuses = await post_to_each_channel(app, text, name="An\x00na")

        assert statuses == dict.fromkeys(BODIES, 200)
        stored = await stored_by_channel(app)
        assert {(e.text, e.author_name) for e in stored.values()} == {
            ("Wo ist mein Paket?\nBestellung\t4711", "Anna")
        }

    async def test_lone_surrogates_become_replacement_characters(self, app: LiveApp) -> None:
        statuses = await post_to_each_channel(app, "Paket \ud800 kaputt \udfff?", name="\udc00Anna")

        assert statuses == dict.fromkeys(BODIES, 200)
        stored = await stored_by_channel(app)
        assert {(e.text, e.author_name) for e in stored.values()} == {
            ("Paket \ufffd kaputt \ufffd?", "\ufffdAnna")
        }

    async def test_author_name_over_255_characters_is_cut_not_refused(self, app: LiveApp) -> None:
        statuses = await post_to_each_channel(app, "Wo ist mein Paket?", name="N" * 400)

        assert statuses == dict.fromkeys(BODIES, 200)
        stored = await stored_by_channel(app)
        assert {e.author_name for e in stored.values()} == {"N" * 255}

    async def test_an_id_too_long_to_store_is_refused_and_nothing_is_stored(
        self, app: LiveApp
    ) -> None:
        statuses = await post_to_each_channel(app, "Paket?", external_id="9" * 400)

        # Meta and X resend anything but a 2xx, so they get 200 and the message is skipped;
        # the generic webhook is our own API: 400 tells the sender what is wrong.
        assert statuses == {"generic": 400, "meta": 200, "x": 200}
        assert await stored_rows(app) == (0, 0)

    async def test_an_id_of_control_characters_only_is_refused_and_nothing_is_stored(
        self, app: LiveApp
    ) -> None:
        statuses = await post_to_each_channel(app, "Paket?", external_id="\x00\x01")

        assert statuses == {"generic": 400, "meta": 200, "x": 200}
        assert await stored_rows(app) == (0, 0)


def failing_app(error: Exception) -> Starlette:
    async def endpoint(request: Request) -> Response:
        raise error

    return Starlette(routes=[Route("/webhooks/test", guarded(endpoint), methods=["POST"])])


def statement_error(kind: type[sa.exc.DBAPIError]) -> sa.exc.DBAPIError:
    """A database error quoting its statement and parameters, as drivers' errors do."""
    return kind("INSERT INTO enquiries", {"text": "Geheimnis-4711"}, Exception("boom"))


class TestFailureAnswers:
    @pytest.mark.parametrize(
        "error",
        [
            statement_error(sa.exc.DataError),
            statement_error(sa.exc.IntegrityError),
            UnicodeEncodeError("utf-8", "\ud800", 0, 1, "surrogates not allowed"),
            ValueError("A string literal cannot contain NUL (0x00) characters."),
        ],
        ids=["data-error", "integrity-error", "unicode-error", "value-error"],
    )
    async def test_input_we_can_never_store_is_acknowledged_so_the_platform_stops(
        self, error: Exception, caplog: pytest.LogCaptureFixture
    ) -> None:
        caplog.set_level(logging.INFO)
        transport = httpx.ASGITransport(app=failing_app(error))
        async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:
            answer = await client.post("/webhooks/test", content=b"{}")

        assert answer.status_code == 200
        assert answer.json()["ok"] is True
        assert answer.json()["stored"] is False
        [line] = [r.getMessage() for r in caplog.records if r.name == "bot.channels.webhooks"]
        assert "/webhooks/test" in line
        assert type(error).__name__ in line
        assert "Geheimnis" not in caplog.text

    @pytest.mark.parametrize(
        "error",
        [
            statement_error(sa.exc.OperationalError),
            statement_error(sa.exc.InterfaceError),
            sa.exc.TimeoutError("QueuePool limit reached"),
        ],
        ids=["operational", "interface", "pool-timeout"],
    )
    async def test_database_down_or_busy_asks_for_a_retry_in_five_seconds(
        self, error: Exception, caplog: pytest.LogCaptureFixture
    ) -> None:
        transport = httpx.ASGITransport(app=failing_app(error))
        async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:
            answer = await client.post("/webhooks/test", content=b"{}")

        assert answer.status_code == 503
        assert answer.headers["Retry-After"] == "5"
        assert "Geheimnis" not in caplog.text
