"""Base class for the stand-ins: call log, scripted failures, delays and replies.

Each stand-in subclasses `StandIn`, maps a request to a logical API method and
answers it; the base class owns the server, the call log and the scripting, so
every fake behaves the same way.
"""

from __future__ import annotations

import threading
import time
import traceback
from collections import deque
from dataclasses import dataclass
from types import TracebackType
from typing import ClassVar, Self
from urllib.parse import parse_qsl, urlsplit

from .wire import LoopbackServer, Reply, decode_body

#: Scripting key that matches any API method without a more specific entry.
ANY_METHOD = "*"


@dataclass(frozen=True)
class RecordedCall:
    """One request exactly as it arrived, so tests can assert on the wire.

    Attributes:
        method: HTTP verb.
        path: Request path without the query string.
        api_method: Logical API name, e.g. ``chat.postMessage`` or ``sendMessage``.
        headers: Request headers with lower-cased names.
        body: Raw request body.
        params: Decoded body (JSON object or form/multipart fields) merged over
            the query string.
    """

    method: str
    path: str
    api_method: str
    headers: dict[str, str]
    body: bytes
    params: dict[str, object]


class StandIn:
    """Base fake server: bind 127.0.0.1:0, record every call, play scripts.

    Subclasses implement `_api_method`, `_handle` and `_error_reply`.

    Usage::

        with SlackStandIn() as slack:
            slack.fail("chat.postMessage", status=429)
            ...
            slack.wait_for("chat.postMessage")
    """

    #: Decode form values holding JSON (Slack blocks, Telegram reply_parameters).
    json_form_values: ClassVar[bool] = False

    def __init__(self) -> None:
        self._lock = threading.Condition()
        self._calls: list[RecordedCall] = []
        self._scripts: dict[str, deque[Reply]] = {}
        self._delays: dict[str, list[float]] = {}  # method -> [seconds, remaining or -1]
        self._server: LoopbackServer | None = None

    # -- lifecycle -------------------------------------------------------

    @property
    def url(self) -> str:
        """Base URL such as ``http://127.0.0.1:54321`` (no trailing slash)."""
        if self._server is None:
            raise RuntimeError(f"{type(self).__name__} is not started")
        return self._server.url

    @property
    def running(self) -> bool:
        """Whether the server is serving (long polls end early once it is not)."""
        return self._server is not None

    def start(self) -> Self:
        """Bind a free port and serve from a daemon thread."""
        if self._server is None:
            self._server = LoopbackServer(self._dispatch, name=type(self).__name__)
        return self

    def stop(self) -> None:
        """Stop serving and drop open keep-alive connections."""
        server, self._server = self._server, None
        if server is not None:
            with self._lock:
                self._lock.notify_all()  # end long polls now
            server.close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- call log --------------------------------------------------------

    def calls(self, api_method: str | None = None) -> list[RecordedCall]:
        """Recorded calls in arrival order, optionally for one API method."""
        with self._lock:
            return [c for c in self._calls if api_method is None or c.api_method == api_method]

    def count(self, api_method: str) -> int:
        """How many calls of `api_method` arrived."""
        return len(self.calls(api_method))

    def wait_for(self, api_method: str, count: int = 1, timeout: float = 5.0) -> list[RecordedCall]:
        """Block until at least `count` calls of `api_method` arrived.

        Returns:
            All calls of that method seen so far.

        Raises:
            AssertionError: On timeout, listing the methods that did arrive.
        """
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                found = [c for c in self._calls if c.api_method == api_method]
                remaining = deadline - time.monotonic()
                if len(found) >= count or remaining <= 0:
                    break
                self._lock.wait(min(remaining, 0.05))
            seen = [c.api_method for c in self._calls]
        if len(found) < count:
            raise AssertionError(
                f"expected {count} call(s) of {api_method!r} within {timeout}s, "
                f"got {len(found)}; all calls seen: {seen}"
            )
        return found

    def reset(self) -> None:
        """Forget calls, scripts and delays (subclasses also clear their state)."""
        with self._lock:
            self._calls.clear()
            self._scripts.clear()
            self._delays.clear()

    # -- scripting -------------------------------------------------------

    def fail(
        self,
        api_method: str,
        times: int = 1,
        status: int = 500,
        body: object = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        """Queue `times` failure responses for `api_method` (``"*"``: any).

        Args:
            api_method: Logical method name.
            times: How many consecutive calls fail.
            status: HTTP status; Slack-style logical errors use 200.
            body: JSON body; None uses the service's own error format.
            headers: Response headers; None gives 429s a ``Retry-After: 1``.
        """
        if headers is None:
            headers = {"Retry-After": "1"} if status == 429 else {}
        if body is None:
            reply = self._error_reply(api_method, status, dict(headers))
        else:
            reply = Reply(status=status, payload=body, headers=dict(headers))
        with self._lock:
            self._scripts.setdefault(api_method, deque()).extend([reply] * times)

    def respond(
        self,
        api_method: str,
        payload: object,
        status: int = 200,
        headers: dict[str, str] | None = None,
    ) -> None:
        """Queue one full response body that replaces the next normal answer."""
        with self._lock:
            self._scripts.setdefault(api_method, deque()).append(
                Reply(status=status, payload=payload, headers=dict(headers or {}))
            )

    def delay(self, api_method: str, seconds: float, times: int | None = None) -> None:
        """Slow answers to `api_method` (``"*"``: any) to exercise client timeouts.

        Args:
            api_method: Logical method name.
            seconds: Sleep before answering; 0 removes the delay.
            times: Number of calls to slow; None slows all until `reset`.
        """
        with self._lock:
            if seconds <= 0:
                self._delays.pop(api_method, None)
            else:
                self._delays[api_method] = [seconds, -1 if times is None else times]

    # -- subclass hooks ----------------------------------------------------

    def _api_method(self, http_method: str, path: str) -> str:
        """Map a request to its logical API method name."""
        raise NotImplementedError

    def _handle(self, call: RecordedCall) -> Reply:
        """Answer a call that no script intercepted."""
        raise NotImplementedError

    def _error_reply(self, api_method: str, status: int, headers: dict[str, str]) -> Reply:
        """Build a failure in the service's own error format."""
        return Reply(
            status=status, payload={"error": f"scripted failure {status}"}, headers=headers
        )

    # -- internals -------------------------------------------------------

    def _take(self, table: dict[str, deque[Reply]], api_method: str) -> Reply | None:
        for key in (api_method, ANY_METHOD):
            queue = table.get(key)
            if queue:
                return queue.popleft()
        return None

    def _take_delay(self, api_method: str) -> float:
        for key in (api_method, ANY_METHOD):
            entry = self._delays.get(key)
            if entry:
                seconds, remaining = entry
                if remaining > 0:
                    entry[1] -= 1
                    if entry[1] == 0:
                        del self._delays[key]
                return seconds
        return 0.0

    def _dispatch(
        self, http_method: str, raw_path: str, headers: dict[str, str], body: bytes
    ) -> Reply:
        parts = urlsplit(raw_path)
        params: dict[str, object] = dict(parse_qsl(parts.query, keep_blank_values=True))
        params.update(
            decode_body(headers.get("content-type", ""), body, json_strings=self.json_form_values)
        )
        call = RecordedCall(
            method=http_method,
            path=parts.path,
            api_method=self._api_method(http_method, parts.path),
            headers=headers,
            body=body,
            params=params,
        )
        with self._lock:
            self._calls.append(call)
            self._lock.notify_all()
            pause = self._take_delay(call.api_method)
            scripted = self._take(self._scripts, call.api_method)
        if pause:
            time.sleep(pause)
        if scripted is not None:
            return scripted
        try:
            return self._handle(call)
        except Exception:  # a stand-in bug must surface as a 500, not as a hung client
            traceback.print_exc()
            return Reply(status=500, payload={"error": "stand-in crashed; see stderr"})
