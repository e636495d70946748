"""What `replydesk serve` writes to its log: no personal data, no secrets, no huge lines."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import httpx
import pytest
import uvicorn
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from bot.cli.logs import MAX_LINE_BYTES, TRUNCATED, configure_service_logging
from bot.slack.handlers import bolt_logger

EMAIL = "erika.mustermann@example.org"
PHONE = "+49 170 1234567"
IBAN = "DE89 3704 0044 0532 0130 00"
ENQUIRY = f"Lieferadresse geändert, bitte an {EMAIL}, Tel. {PHONE}, IBAN {IBAN} erstatten"


@pytest.fixture
def loggers_at_info() -> Iterator[None]:
    """Other tests quiet these library loggers (our wiring, uvicorn's default config)."""
    names = ("httpx", "uvicorn", "uvicorn.error", "uvicorn.access")
    saved = {name: _state(logging.getLogger(name)) for name in names}
    for name in names:
        logger = logging.getLogger(name)
        logger.setLevel(logging.NOTSET)
        logger.handlers = []
        logger.propagate = True
    yield
    for name, (level, handlers, propagate) in saved.items():
        logger = logging.getLogger(name)
        logger.setLevel(level)
        logger.handlers = handlers
        logger.propagate = propagate


def _state(logger: logging.Logger) -> tuple[int, list[logging.Handler], bool]:
    return logger.level, list(logger.handlers), logger.propagate


def _lines(stream: io.StringIO) -> list[str]:
    return stream.getvalue().splitlines()


class _Receiver(BaseHTTPRequestHandler):
    """A customer's reply endpoint: accepts any POST."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.send_response(204)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: http.server writes every request to stderr."""


@pytest.fixture
def receiver_url() -> Iterator[str]:
    server = HTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join()


class TestServiceLogs:
    async def test_slack_request_with_a_bad_signature_logs_the_failure_but_not_the_body(
        self, service_log: io.StringIO
    ) -> None:
        app = AsyncApp(token="xoxb-test", signing_secret="the-secret", logger=bolt_logger())
        body = json.dumps({"type": "event_callback", "event": {"type": "message", "text": ENQUIRY}})
        request = AsyncBoltRequest(
            body=body,
            headers={
                "content-type": "application/json",
                "x-slack-request-timestamp": str(int(time.time())),
                "x-slack-signature": "v0=forged",
            },
        )

        response = await app.async_dispatch(request)

        logged = service_log.getvalue()
        assert response.status == 401
        assert "Invalid request signature detected" in logged
        assert "body not logged" in logged
        for leak in ("Lieferadresse", EMAIL, PHONE, IBAN, "v0=forged"):
            assert leak not in logged

    async def test_access_log_shows_the_webhook_path_but_not_its_verify_token(
        self, service_log: io.StringIO, loggers_at_info: None
    ) -> None:
        async def verify(request: Request) -> PlainTextResponse:
            return PlainTextResponse(request.query_params.get("hub.challenge", ""))

        web = Starlette(routes=[Route("/webhooks/meta", verify)])
        server = uvicorn.Server(
            uvicorn.Config(web, host="127.0.0.1", port=0, lifespan="off", log_config=None)
        )
        task = asyncio.create_task(server.serve())
        try:
            for _ in range(500):
                if server.started or task.done():
                    break
                await asyncio.sleep(0.01)
            port = server.servers[0].sockets[0].getsockname()[1]
            query = "hub.mode=subscribe&hub.verify_token=meta-verify-s3cr3t&hub.challenge=42"
            async with httpx.AsyncClient() as client:
                response = await client.get(f"http://127.0.0.1:{port}/webhooks/meta?{query}")
        finally:
            server.should_exit = True
            await task

        assert response.text == "42"
        access = [line for line in _lines(service_log) if "uvicorn.access" in line]
        assert len(access) == 1
        assert '"GET /webhooks/meta?[redacted] HTTP/1.1" 200' in access[0]
        assert "meta-verify-s3cr3t" not in service_log.getvalue()

    def test_outbound_request_line_hides_the_reply_url_key(
        self, service_log: io.StringIO, loggers_at_info: None, receiver_url: str
    ) -> None:
        with httpx.Client() as client:
            client.post(f"{receiver_url}/reply?key=s3cr3t-key&id=7", json={"text": "Hallo"})

        requests = [line for line in _lines(service_log) if "HTTP Request:" in line]
        assert requests == [
            requests[0].split("HTTP Request:")[0]
            + f'HTTP Request: POST {receiver_url}/reply?[redacted] "HTTP/1.0 204 No Content"'
        ]
        assert "s3cr3t" not in service_log.getvalue()

    @pytest.mark.parametrize("filler", ["x", "ü", "€ "])
    def test_huge_message_becomes_one_line_of_at_most_2_kb(
        self, service_log: io.StringIO, filler: str
    ) -> None:
        logging.getLogger("bot.test").info("payload: %s", filler * 100_000)

        lines = _lines(service_log)
        assert len(lines) == 1
        assert len(lines[0].encode("utf-8")) <= MAX_LINE_BYTES
        assert lines[0].endswith(TRUNCATED)

    def test_failure_keeps_its_traceback_masked_and_within_2_kb(
        self, service_log: io.StringIO
    ) -> None:
        def deliver() -> None:
            raise RuntimeError(
                f"POST https://hooks.example/reply?key=s3cr3t failed for {EMAIL} " + "x" * 50_000
            )

        try:
            deliver()
        except RuntimeError:
            logging.getLogger("bot.test").exception("delivery %s failed", "d-1")

        logged = service_log.getvalue()
        assert "delivery d-1 failed" in logged
        assert "RuntimeError: POST https://hooks.example/reply?[redacted]" in logged
        assert "s3cr3t" not in logged and EMAIL not in logged
        assert len(logged.rstrip("\n").encode("utf-8")) <= MAX_LINE_BYTES

    @pytest.mark.parametrize(
        ("personal", "mask"),
        [
            (EMAIL, "[email]"),
            ("max+shop@mail.example.co.uk", "[email]"),
            (PHONE, "[phone]"),
            ("+49 (0)30 1234567", "[phone]"),
            ("0170/1234567", "[phone]"),
            ("(030) 12345678", "[phone]"),
            ("0049 170 1234567", "[phone]"),
            ("(555) 123-4567", "[phone]"),
            (IBAN, "[iban]"),
            ("DE89370400440532013000", "[iban]"),
            ("de89370400440532013000", "[iban]"),
            ("GB82 WEST 1234 5698 7654 32", "[iban]"),
            ("xoxb-1234567890-abcdefghijkl", "[token]"),
            ("123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawQ", "[token]"),
        ],
    )
    def test_personal_data_and_tokens_in_any_message_are_masked(
        self, service_log: io.StringIO, personal: str, mask: str
    ) -> None:
        logging.getLogger("bot.test").warning("enquiry from %s: please call back", personal)

        logged = service_log.getvalue()
        assert personal not in logged
        assert f"enquiry from {mask}: please call back" in logged

    def test_ids_dates_times_and_addresses_are_left_alone(self, service_log: io.StringIO) -> None:
        message = (
            "draft 42 (3f2a9c1e-7b4d-4e8a-9c1f-2a3b4c5d6e7f) ts 1712345678.123456 on 2024-05-01 "
            "and 01.05.2024 at 09:30:00, took 1234 ms, version 0.17.6, listening on "
            "127.0.0.1:8000, channel C0123ABCDEF, user U01ABCDEFGH, "
            "sha ab12cdef0123456789abcdef01234567"
        )

        logging.getLogger("bot.test").info(message)

        assert message in service_log.getvalue()

    def test_telegram_token_in_a_request_path_is_masked(self, service_log: io.StringIO) -> None:
        url = "https://api.telegram.org/bot123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawQ/getMe"

        logging.getLogger("httpx").warning("HTTP Request: POST %s", url)

        assert "https://api.telegram.org/bot[token]/getMe" in service_log.getvalue()


def test_library_chatter_below_warning_stays_out_of_the_service_log() -> None:
    stream = io.StringIO()
    handler = configure_service_logging("INFO", stream=stream)
    try:
        logging.getLogger("bm25s").debug("Building index from tokens")
        logging.getLogger("bm25s").info("Building index from tokens")
        logging.getLogger("bot.channels.intake").info("generic delivery stored")
    finally:
        logging.getLogger().removeHandler(handler)

    assert "Building index" not in stream.getvalue()
    assert "generic delivery stored" in stream.getvalue()
