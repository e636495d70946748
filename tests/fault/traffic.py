"""Requests as the platforms send them: signed webhooks, Approve clicks, raw oversized bodies.

`deliver` posts like a platform that retries: until the service answers 200 (connection
errors, timeouts and 5xx while it is down or restarting are retried; a 4xx is final).
`raw_request` speaks HTTP/1.1 over a bare socket, so a 100 MB body can be streamed while
the answer is awaited, and the time to the status line is measured even when the server
answers before the body is sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import httpx

from tests.fault.service import REVIEWER, SLACK_SIGNING_SECRET, WEBHOOK_SECRET
from tests.stand_ins import SlackMessage, block_actions_body, sign_generic_body, sign_slack_request

GENERIC_PATH = "/webhooks/generic"
SLACK_PATH = "/slack/events"
APPROVE = "draft.approve"  # bot/slack/blocks.py Action.APPROVE
# Answers a platform retries besides 5xx and no answer at all.
_RETRIED = (408, 429)


def generic_enquiry(
    external_id: str,
    text: str,
    reply_url: str,
    author_id: str | None = None,
    author_name: str | None = "Anna",
) -> bytes:
    """The JSON body of a generic webhook enquiry."""
    author: dict[str, object] = {}
    if author_id is not None:
        author["id"] = author_id
    if author_name is not None:
        author["name"] = author_name
    payload = {
        "id": external_id,
        "channel": "fault-form",
        "author": author,
        "text": text,
        "reply_url": reply_url,
    }
    return json.dumps(payload).encode()


def signed_generic(body: bytes, secret: str = WEBHOOK_SECRET) -> dict[str, str]:
    """Headers that sign `body` for /webhooks/generic now."""
    return sign_generic_body(secret, body, int(time.time()))


def signed_slack(body: bytes, secret: str = SLACK_SIGNING_SECRET) -> dict[str, str]:
    """Headers that sign `body` for /slack/events now."""
    return sign_slack_request(secret, body)


def approve_click(draft_id: str, card: SlackMessage) -> bytes:
    """The form body of the reviewer's click on the card's Approve button."""
    return block_actions_body(
        APPROVE, draft_id, user_id=REVIEWER, channel_id=card.channel, message_ts=card.ts
    )


def approve_button(card: SlackMessage) -> str | None:
    """The draft id on the card's Approve button, or None when it has none."""
    for block in card.blocks:
        if isinstance(block, dict) and block.get("type") == "actions":
            for element in block.get("elements") or []:
                if isinstance(element, dict) and element.get("action_id") == APPROVE:
                    return str(element["value"])
    return None


@dataclass
class Delivered:
    """What a retried POST came to."""

    status: int  # the final answer: 200, a 4xx, or 0 when it gave up
    attempts: int
    seconds: float  # first attempt to the final answer
    first_status: int | None = None  # the first answer, if any (None: no connection)


async def deliver(
    client: httpx.AsyncClient,
    urls: Sequence[str],
    path: str,
    body: bytes,
    sign: bool | Mapping[str, str] = True,
    *,
    give_up_after: float = 90.0,
    first: int = 0,
) -> Delivered:
    """POST until a service answers 200 or a 4xx (408 and 429 are retried), URLs in turn.

    Args:
        client: The HTTP client.
        urls: Base URLs of the services (replicas); each retry takes the next one.
        path: The endpoint.
        body: The exact bytes.
        sign: True signs for the path's scheme (afresh on each attempt); a mapping gives
            fixed headers.
        give_up_after: Seconds after which status 0 is returned.
        first: Index of the URL tried first.
    """
    started = time.monotonic()
    first_status: int | None = None
    for attempt in itertools.count(1):
        url = urls[(first + attempt - 1) % len(urls)]
        if isinstance(sign, Mapping):
            headers = dict(sign)
        elif sign:
            headers = signed_slack(body) if path == SLACK_PATH else signed_generic(body)
        else:
            headers = {}
        status: int | None = None
        with contextlib.suppress(httpx.HTTPError):
            status = (await client.post(f"{url}{path}", content=body, headers=headers)).status_code
        if attempt == 1:
            first_status = status
        if status is not None and status < 500 and status not in _RETRIED:
            return Delivered(status, attempt, time.monotonic() - started, first_status)
        if time.monotonic() - started > give_up_after:
            break
        await asyncio.sleep(0.1 + 0.1 * min(attempt, 5))
    return Delivered(0, attempt, time.monotonic() - started, first_status)


@dataclass(frozen=True)
class RawAnswer:
    """The status line of a raw request and how long it took to arrive."""

    status: int | None  # None: the connection closed (or was reset) without an answer
    seconds: float  # from connecting to the status line (or the close)
    sent_bytes: int  # body bytes written before the answer came
    uploaded: float | None = None  # seconds until the whole body was written (None: never)


async def raw_request(
    port: int,
    method: str,
    path: str,
    headers: Mapping[str, str],
    body: bytes = b"",
    *,
    body_size: int | None = None,
    chunked: bool = False,
    chunk: int = 256 * 1024,
    pause: float = 0.0,
    answer_within: float = 10.0,
) -> RawAnswer:
    """Send one HTTP/1.1 request over a bare socket and time the status line.

    The body is written while the answer is awaited, so a server that answers before it
    has read everything is timed by its answer, not by the upload.

    Args:
        port: The service's port on 127.0.0.1.
        method: GET or POST.
        path: Path with query string.
        headers: Request headers (Host, Content-Length or Transfer-Encoding and
            Connection are added).
        body: The body; with `body_size`, a pattern repeated to that many bytes.
        body_size: Stream this many bytes instead of `body`.
        chunked: Send ``Transfer-Encoding: chunked`` and no Content-Length.
        chunk: Bytes written at a time.
        pause: Seconds to wait after the headers before the body, as a client on a slower
            link would; an answer that comes meanwhile is read before any body byte is
            sent, so the server's close cannot reset the connection under it.
        answer_within: Seconds before giving up on an answer.
    """
    size = len(body) if body_size is None else body_size
    framing = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {size}"
    head = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", framing]
    head += [f"{name}: {value}" for name, value in headers.items()]
    head.append("Connection: close")
    started = time.perf_counter()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    sent = 0
    uploaded: float | None = None

    async def send() -> None:
        nonlocal sent, uploaded
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode())
        await writer.drain()
        if pause:
            await asyncio.sleep(pause)
        pattern = body
        if body_size is not None:
            pattern = (body or b"x") * (chunk // max(len(body), 1) + 1)
        while sent < size:
            if body_size is None:
                piece = body[sent : sent + chunk]
            else:
                piece = pattern[: min(chunk, size - sent)]
            writer.write(b"%x\r\n%b\r\n" % (len(piece), piece) if chunked else piece)
            sent += len(piece)
            await writer.drain()
        if chunked:
            writer.write(b"0\r\n\r\n")
            await writer.drain()
        uploaded = time.perf_counter() - started

    async def answer() -> int | None:
        line = await reader.readline()
        parts = line.split()
        return int(parts[1]) if len(parts) >= 2 and parts[1].isdigit() else None

    sending = asyncio.create_task(send())
    try:
        status = await asyncio.wait_for(answer(), answer_within)
    except (TimeoutError, ConnectionError, OSError):
        status = None
    elapsed = time.perf_counter() - started
    sending.cancel()
    with contextlib.suppress(asyncio.CancelledError, ConnectionError, OSError):
        await sending
    writer.close()
    with contextlib.suppress(ConnectionError, OSError):
        await writer.wait_closed()
    return RawAnswer(status, elapsed, sent, uploaded)
