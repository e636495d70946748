"""Refuses request bodies over 1 MB on every route while they stream in, before anyone reads them.

`BodyLimit` wraps the whole app (Bolt's /slack/events included, which reads every body whole):

- a Content-Length over the limit → 413 at once, the body unread;
- otherwise each chunk is counted as the app receives it, and the chunk that passes the limit
  raises `BodyTooLarge` → 413. Nobody holds more than the limit plus that one chunk.

The server (uvicorn) discards the rest of an unread body after the answer, so the client
still reads its 413. Usage::

    Starlette(routes=..., middleware=[Middleware(BodyLimit)])
"""

from __future__ import annotations

import logging

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.channels.webhooks import MAX_BODY_BYTES, RejectedRequest

log = logging.getLogger(__name__)

_REFUSAL = "request body larger than 1 MB"


class BodyTooLarge(RejectedRequest):
    """The body passed the limit while it was read; `guarded` endpoints answer it as 413."""

    def __init__(self) -> None:
        """A 413 with the one refusal text."""
        super().__init__(413, _REFUSAL)


class BodyLimit:
    """Pure ASGI middleware answering 413 to any HTTP request body over `limit` bytes.

    Args:
        app: The app to protect.
        limit: The largest body let through, in bytes.
    """

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY_BYTES) -> None:
        self._app = app
        self._limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the app with a counting `receive`; refuse what is or becomes too large."""
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        if _declared_length(scope) > self._limit:
            await _refuse(scope, receive, send)
            return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self._limit:
                    raise BodyTooLarge
            return message

        async def watching_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self._app(scope, counting_receive, watching_send)
        except BodyTooLarge:
            if started:  # too late for a 413: let the server drop the connection
                raise
            await _refuse(scope, receive, send)


def _declared_length(scope: Scope) -> int:
    """The Content-Length header as a number; 0 when missing (chunked) or not a number."""
    for name, value in scope["headers"]:
        if name == b"content-length":
            return int(value) if value.isdigit() else 0
    return 0


async def _refuse(scope: Scope, receive: Receive, send: Send) -> None:
    log.info("refused %s %s: 413 %s", scope["method"], scope["path"], _REFUSAL)
    response = JSONResponse({"ok": False, "error": _REFUSAL}, status_code=413)
    await response(scope, receive, send)
